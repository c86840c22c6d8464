#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// What a service tells systemd (`Type=notify`), as a pure state machine: the caller reports
/// at each tick whether the readiness checks pass and which watched work loops have stalled,
/// and sends what it returns. Times are milliseconds of a clock the caller injects.
///
/// - `READY=1` once, the first time every readiness check passes (the stores answer).
/// - `WATCHDOG=1`, once ready, every half watchdog period while no watched work loop has stalled: the work
///   loops' own progress (`WorkProgress.beat`) is what keeps systemd's watchdog fed, so a hung
///   loop starves it and systemd restarts the process (`Restart=on-failure`), as `/healthz`
///   fails for the deploy script's supervisor.
/// - `STOPPING=1` once, when a graceful shutdown begins.
/// - `STATUS=…` when what it reports changes.
public struct NotifyState: Sendable, Equatable {
    /// Half of `WATCHDOG_USEC`, in ms; nil when systemd set no watchdog.
    public let watchdogEvery: Int64?
    public private(set) var ready = false
    public private(set) var stopping = false
    private var lastWatchdog: Int64?
    private var lastStatus = ""

    public init(watchdogEvery: Int64?) {
        self.watchdogEvery = watchdogEvery.map { max(1, $0) }
    }

    /// The messages to send at `now`.
    public mutating func tick(at now: Int64, checksPass: Bool, stalled: [String]) -> [String] {
        guard !stopping else { return [] }
        var messages: [String] = []
        if !ready, checksPass {
            ready = true
            messages.append("READY=1")
        }
        let status = !stalled.isEmpty ? "stalled: " + stalled.joined(separator: ", ")
            : ready ? "ready" : "starting: waiting for PostgreSQL and Redis"
        if status != lastStatus {
            lastStatus = status
            messages.append("STATUS=" + status)
        }
        if let watchdogEvery, ready, stalled.isEmpty, lastWatchdog.map({ now - $0 >= watchdogEvery }) ?? true {
            lastWatchdog = now
            messages.append("WATCHDOG=1")
        }
        return messages
    }

    /// `message`, returned by `tick`, could not be sent (the socket's queue was full): the next
    /// tick says it again, so a lost `READY=1`, `WATCHDOG=1` or status is not lost for good.
    public mutating func notSent(_ message: String) {
        if message == "READY=1" {
            ready = false
        } else if message == "WATCHDOG=1" {
            lastWatchdog = nil
        } else if message.hasPrefix("STATUS=") {
            lastStatus = ""
        }
    }

    /// A graceful shutdown began.
    public mutating func stop() -> [String] {
        guard !stopping else { return [] }
        stopping = true
        return ["STOPPING=1", "STATUS=stopping"]
    }
}

/// The I/O shell: sends `NotifyState`'s messages as datagrams to `$NOTIFY_SOCKET` (a path, or
/// `@name` for the abstract namespace), without libsystemd. Does nothing when the variable is
/// unset (not run by systemd). A send that fails is logged and dropped: systemd's own timeouts
/// decide what a missing READY or WATCHDOG means.
public final class SystemdNotifier: Service, Sendable {
    let socketPath: String
    let readiness: Readiness
    let logger: Logger
    let state: Mutex<NotifyState>
    let tickEvery: Duration

    /// nil when `environment` has no `NOTIFY_SOCKET`.
    public init?(environment: [String: String] = ProcessInfo.processInfo.environment, readiness: Readiness, logger: Logger) {
        guard let path = environment["NOTIFY_SOCKET"], !path.isEmpty else { return nil }
        socketPath = path
        self.readiness = readiness
        self.logger = logger
        let watchdogMillis = environment["WATCHDOG_USEC"].flatMap { Int64($0) }.map { $0 / 2_000 }
        // WATCHDOG_PID names the process the watchdog is for; another's is not ours to feed.
        let forUs = environment["WATCHDOG_PID"].map { Int32($0) == getpid() } ?? true
        state = Mutex(NotifyState(watchdogEvery: forUs ? watchdogMillis : nil))
        tickEvery = .milliseconds(max(100, min(1_000, (forUs ? watchdogMillis : nil) ?? 1_000)))
    }

    /// Ticks until a graceful shutdown begins, then says STOPPING. Put it last among a group's
    /// services: a group tells the last first, so STOPPING goes out as the shutdown starts.
    public func run() async throws {
        let clock = ContinuousClock()
        let origin = clock.now
        do {
            try await cancelWhenGracefulShutdown { [self] in
                while true {
                    let elapsed = clock.now - origin
                    let now = elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000
                    let checksPass = state.withLock({ $0.ready }) ? true : await readiness.isReady()
                    let stalled = readiness.stalled().map(\.name)
                    for message in state.withLock({ $0.tick(at: now, checksPass: checksPass, stalled: stalled) }) where !send(message) {
                        state.withLock { $0.notSent(message) }
                    }
                    try await Task.sleep(for: tickEvery)
                }
            }
        } catch is CancellationError {
            // The graceful shutdown began (or the group was cancelled).
        }
        for message in state.withLock({ $0.stop() }) { send(message) }
    }

    /// One datagram; errors are logged, never thrown. Whether it was sent.
    @discardableResult
    func send(_ message: String) -> Bool {
        do {
            try Self.send(message, to: socketPath)
            return true
        } catch {
            logger.warning("systemd notification not sent", metadata: ["notify.message": "\(message)", "error": "\(error)"])
            return false
        }
    }

    struct SendError: Error, CustomStringConvertible {
        var description: String
    }

    /// Sends `message` as one datagram to the unix socket at `path` (`@` for the abstract namespace).
    /// It never blocks (it runs on the cooperative pool): when the receiver's queue is full the
    /// datagram is refused (EAGAIN) and logged, and the next tick says it again (`notSent`).
    static func send(_ message: String, to path: String) throws {
        let descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw SendError(description: "socket: \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(path.utf8)
        if bytes.first == UInt8(ascii: "@") { bytes[0] = 0 }
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard bytes.count < capacity else { throw SendError(description: "NOTIFY_SOCKET is longer than a socket path may be") }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in bytes.enumerated() { raw[index] = byte }
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count + (bytes.first == 0 ? 0 : 1))
        let payload = Array(message.utf8)
        let sent = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                sendto(descriptor, payload, payload.count, Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT), socketAddress, length)
            }
        }
        guard sent == payload.count else { throw SendError(description: "sendto: \(String(cString: strerror(errno)))") }
    }
}
