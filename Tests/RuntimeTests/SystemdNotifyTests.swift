#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging
@testable import ServiceRuntime
import Synchronization
import Testing
import TestSupport

/// The systemd notify protocol: the pure state machine, then datagrams on a socket the test
/// owns, from an in-process notifier (a stuck work loop starves the watchdog) and from a real
/// `alphapulse-scheduler serve` (READY, WATCHDOG, STOPPING in that order).
@Suite struct SystemdNotifyTests {
    @Test func readyOnceWatchdogWhileLoopsProgressStoppingLast() {
        var state = NotifyState(watchdogEvery: 1_000)
        #expect(state.tick(at: 0, checksPass: false, stalled: []) == ["STATUS=starting: waiting for PostgreSQL and Redis"])
        #expect(state.tick(at: 500, checksPass: false, stalled: []).isEmpty)
        #expect(state.tick(at: 1_000, checksPass: true, stalled: []) == ["READY=1", "STATUS=ready", "WATCHDOG=1"])
        #expect(state.tick(at: 1_500, checksPass: true, stalled: []).isEmpty)
        // A stalled loop: no WATCHDOG, however long, and the status says which.
        #expect(state.tick(at: 2_000, checksPass: true, stalled: ["persister"]) == ["STATUS=stalled: persister"])
        #expect(state.tick(at: 9_000, checksPass: true, stalled: ["persister"]).isEmpty)
        #expect(state.tick(at: 9_100, checksPass: true, stalled: []) == ["STATUS=ready", "WATCHDOG=1"])
        #expect(state.stop() == ["STOPPING=1", "STATUS=stopping"])
        #expect(state.stop().isEmpty)
        #expect(state.tick(at: 20_000, checksPass: true, stalled: []).isEmpty)
        // Without a watchdog, never WATCHDOG.
        var plain = NotifyState(watchdogEvery: nil)
        #expect(plain.tick(at: 0, checksPass: true, stalled: []) == ["READY=1", "STATUS=ready"])
    }

    /// What could not be sent (a full socket queue refuses a datagram rather than block) is said
    /// again at the next tick; what was sent is not.
    @Test func whatWasNotSentIsSaidAgain() {
        var state = NotifyState(watchdogEvery: 1_000)
        let first = state.tick(at: 0, checksPass: true, stalled: [])
        #expect(first == ["READY=1", "STATUS=ready", "WATCHDOG=1"])
        for message in first { state.notSent(message) }
        #expect(state.tick(at: 100, checksPass: true, stalled: []) == ["READY=1", "STATUS=ready", "WATCHDOG=1"])
        #expect(state.tick(at: 200, checksPass: true, stalled: []).isEmpty)
        state.notSent("WATCHDOG=1")
        #expect(state.tick(at: 300, checksPass: true, stalled: []) == ["WATCHDOG=1"])
    }

    /// A unix datagram socket of the test's own, read without blocking.
    final class NotifySocket: Sendable {
        let path: String
        let descriptor: Int32
        let received = Mutex<[String]>([])

        init() throws {
            path = FileManager.default.temporaryDirectory.appendingPathComponent("notify-\(UUID().uuidString.prefix(8)).sock").path
            descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            let bytes = Array(path.utf8)
            withUnsafeMutableBytes(of: &address.sun_path) { raw in for (index, byte) in bytes.enumerated() { raw[index] = byte } }
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
            try #require(descriptor >= 0 && bound == 0, "could not bind \(path)")
        }

        /// Everything received so far, in order.
        func drain() -> [String] {
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = recv(descriptor, &buffer, buffer.count, Int32(MSG_DONTWAIT))
                guard count > 0 else { break }
                let message = String(decoding: buffer[..<count], as: UTF8.self)
                received.withLock { $0.append(message) }
            }
            return received.withLock { $0 }
        }

        func close() {
            _ = Glibc.close(descriptor)
            unlink(path)
        }
    }

    @Test func aStuckWorkLoopStarvesTheWatchdog() async throws {
        let socket = try NotifySocket()
        defer { socket.close() }
        let readiness = Readiness()
        let progress = WorkProgress(name: "worker")
        readiness.watch(progress, limit: .milliseconds(600))
        var logger = Logger(label: "notify.test")
        logger.logLevel = .critical
        let notifier = try #require(SystemdNotifier(
            environment: ["NOTIFY_SOCKET": socket.path, "WATCHDOG_USEC": "400000"], readiness: readiness, logger: logger))
        let beating = Task {
            while !Task.isCancelled {
                progress.beat()
                try? await Task.sleep(for: .milliseconds(50))
            }
        }
        let running = Task { try await notifier.run() }
        #expect(await waitUntil { socket.drain().filter { $0 == "WATCHDOG=1" }.count >= 3 })
        #expect(socket.drain().first == "READY=1")
        // A starved machine may have reported a stall already while the loop still beat: only a
        // stall reported after the loop stopped counts.
        let beforeStop = socket.drain().count
        beating.cancel()
        _ = await beating.result
        // Once the loop is seen stalled, no more WATCHDOG.
        #expect(await waitUntil { socket.drain().dropFirst(beforeStop).contains("STATUS=stalled: worker") })
        let fed = socket.drain().count
        try await Task.sleep(for: .seconds(1))
        #expect(!socket.drain().dropFirst(fed).contains("WATCHDOG=1"))
        running.cancel()
        _ = await running.result
        #expect(await waitUntil { socket.drain().suffix(2) == ["STOPPING=1", "STATUS=stopping"] })
    }

    /// …and its `healthcheck` subcommand (the compose file's container healthcheck) answers 0
    /// while it is ready and 1 once it has stopped.
    @Test func aRealServiceSaysReadyFeedsTheWatchdogAndSaysStopping() async throws {
        let socket = try NotifySocket()
        defer { socket.close() }
        try await TestStores.with("notify_scheduler") { stores in
            let binary = try builtExecutable("alphapulse-scheduler")
            var environment = ProcessInfo.processInfo.environment
            for (key, value) in [
                "ALPHAPULSE_DATABASE_URL": try stores.databaseURL, "ALPHAPULSE_REDIS_URL": try TestEnvironment.redisURL(),
                "ALPHAPULSE_REDIS_PREFIX": stores.prefix, "ALPHAPULSE_PORTS_SCHEDULER": String(try freePort()), "ALPHAPULSE_LOG_LEVEL": "warning",
                "NOTIFY_SOCKET": socket.path, "WATCHDOG_USEC": "2000000",
            ] {
                environment[key] = value
            }
            let process = try SpawnedProcess([binary, "serve"], environment: environment)
            defer { kill(process.pid, SIGKILL) }
            #expect(await waitUntil { socket.drain().filter { $0 == "WATCHDOG=1" }.count >= 2 }, "\(process.outputSoFar.suffix(2_000))")
            let ready = try await runCommandAsync([binary, "healthcheck"], environment: environment)
            #expect(ready.status == 0, "\(ready.output)")
            #expect(ready.output.contains("scheduler: ready"))
            kill(process.pid, SIGTERM)
            #expect(await process.exit(within: .seconds(30))?.status == 0)
            let gone = try await runCommandAsync([binary, "healthcheck", "--live"], environment: environment)
            #expect(gone.status == 1 && gone.output.contains("scheduler: not alive"), "\(gone.output)")
            // READY, then only WATCHDOGs, then STOPPING last.
            let messages = socket.drain().filter { !$0.hasPrefix("STATUS=") }
            #expect(messages.first == "READY=1" && messages.last == "STOPPING=1", "\(messages)")
            #expect(messages.dropFirst().dropLast().allSatisfy { $0 == "WATCHDOG=1" } && messages.count >= 4, "\(messages)")
        }
    }
}
