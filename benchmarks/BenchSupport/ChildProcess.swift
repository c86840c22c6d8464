import Dispatch
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A process a benchmark started with `posix_spawn`, measured through /proc and stopped with
/// SIGTERM (SIGKILL after a grace period). Waiting never blocks a thread: the exit is polled.
public final class ChildProcess: Sendable {
    public let pid: pid_t
    public let name: String

    /// Starts `arguments[0]` (an absolute path) with the others as its arguments.
    /// - Parameter output: a file that receives the child's standard output and error; nil
    ///   keeps the benchmark's own.
    public init(_ arguments: [String], output: String? = nil) throws {
        precondition(!arguments.isEmpty, "no program to start")
        name = URL(fileURLWithPath: arguments[0]).lastPathComponent
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if let output {
            posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_APPEND, 0o644)
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        }
        var pid: pid_t = 0
        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        let result = posix_spawn(&pid, arguments[0], &actions, nil, argv, environ)
        guard result == 0 else { throw BenchError("cannot start \(arguments[0]): \(String(cString: strerror(result)))") }
        self.pid = pid
        Self.live.withLock { _ = $0.insert(pid) }
    }

    /// Children started and not yet seen to exit.
    private static let live = Mutex<Set<pid_t>>([])

    /// On SIGINT or SIGTERM, stops every child still running, then exits (130 or 143), so an
    /// interrupted benchmark leaves no process behind.
    public static func stopChildrenOnSignals() {
        for (signal, code) in [(SIGINT, Int32(130)), (SIGTERM, Int32(143))] {
            Glibc.signal(signal, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signal, queue: .global())
            source.setEventHandler {
                for pid in live.withLock({ $0 }) { kill(pid, SIGTERM) }
                exit(code)
            }
            source.resume()
            // Kept for the life of the process.
            _ = Unmanaged.passRetained(source as AnyObject)
        }
    }

    /// Whether the process has not exited yet (reaps it if it has).
    public var isRunning: Bool {
        var status: Int32 = 0
        let running = waitpid(pid, &status, WNOHANG) == 0
        if !running { Self.live.withLock { _ = $0.remove(pid) } }
        return running
    }

    /// SIGTERM, then SIGKILL if it has not exited within `grace`.
    public func stop(grace: Duration = .seconds(20)) async {
        guard isRunning else { return }
        kill(pid, SIGTERM)
        let deadline = ContinuousClock.now + grace
        while ContinuousClock.now < deadline {
            if !isRunning { return }
            try? await Task.sleep(for: .milliseconds(50))
        }
        kill(pid, SIGKILL)
        while isRunning { try? await Task.sleep(for: .milliseconds(20)) }
    }

    /// User + system CPU time so far, in seconds (all threads).
    public func cpuSeconds() throws -> Double {
        let stat = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
        guard let close = stat.lastIndex(of: ")") else { throw BenchError("unreadable /proc/\(pid)/stat") }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // After the command name: state is field 3, utime field 14, stime field 15 (1-based).
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else {
            throw BenchError("unreadable /proc/\(pid)/stat")
        }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// Resident memory now and at its peak, in KiB (VmRSS and VmHWM).
    public func memory() throws -> (residentKiB: Int, peakKiB: Int) {
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        func value(_ key: String) -> Int? {
            guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(key + ":") }) else { return nil }
            return line.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first.flatMap { Int($0) }
        }
        guard let resident = value("VmRSS"), let peak = value("VmHWM") else { throw BenchError("unreadable /proc/\(pid)/status") }
        return (resident, peak)
    }
}

/// A benchmark that cannot go on.
public struct BenchError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
