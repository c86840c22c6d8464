import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs a command to completion and returns its exit status and combined output.
@discardableResult
public func runCommand(_ arguments: [String], environment: [String: String]? = nil) throws -> (status: Int32, output: String) {
    try SpawnedProcess(arguments, environment: environment).wait()
}

/// A child process started with posix_spawn; `wait()` reaps it.
///
/// posix_spawn and waitpid are used rather than Foundation's `Process`, whose exit monitoring
/// on Linux can miss a child's exit. Output goes through a temporary file, not a pipe: a
/// daemon the command starts (pg_ctl start) inherits the descriptors and would hold a pipe open.
/// Runs a command to completion without blocking a thread of Swift's cooperative pool (the
/// child is reaped by polling), so long commands cannot starve concurrently running tests.
/// - Throws: when it cannot be started, or still runs after `timeout` (it is then killed).
public func runCommandAsync(
    _ arguments: [String], environment: [String: String]? = nil, timeout: Duration = .seconds(600)
) async throws -> (status: Int32, output: String) {
    let process = try SpawnedProcess(arguments, environment: environment)
    if let result = await process.exit(within: timeout) { return result }
    kill(process.pid, SIGKILL)
    _ = await process.exit(within: .seconds(10))
    throw POSIXError(.ETIMEDOUT)
}

public final class SpawnedProcess: Sendable {
    public let pid: pid_t
    private let outputPath: String

    public init(_ arguments: [String], environment: [String: String]? = nil) throws {
        precondition(!arguments.isEmpty)
        outputPath = NSTemporaryDirectory() + "alphapulse-cmd-\(UUID().uuidString)"
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv: [UnsafeMutablePointer<CChar>?] = (["/usr/bin/env"] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        let environmentStrings = (environment ?? ProcessInfo.processInfo.environment).map { "\($0.key)=\($0.value)" }
        let envp: [UnsafeMutablePointer<CChar>?] = environmentStrings.map { strdup($0) } + [nil]
        defer { for pointer in envp { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, "/usr/bin/env", &actions, nil, argv, envp)
        guard spawned == 0 else { throw POSIXError(POSIXErrorCode(rawValue: spawned) ?? .EINVAL) }
        self.pid = pid
    }

    /// The output file goes with the handle, whether or not the process was waited for.
    deinit { unlink(outputPath) }

    /// Waits up to `timeout` for the process to exit without blocking a thread (polls); nil
    /// when it is still running then.
    public func exit(within timeout: Duration) async -> (status: Int32, output: String)? {
        let deadline = ContinuousClock.now + timeout
        var status: Int32 = 0
        while ContinuousClock.now < deadline {
            let result = waitpid(pid, &status, WNOHANG)
            if result == pid {
                defer { unlink(outputPath) }
                let output = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
                let exitCode = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
                return (exitCode, output)
            }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return nil
    }

    /// The output so far (the process may still be running).
    public var outputSoFar: String { (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "" }

    /// Waits for the process to exit; returns its exit status (128 + signal when killed) and output.
    public func wait() throws -> (status: Int32, output: String) {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        defer { unlink(outputPath) }
        let output = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        let exitCode = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return (exitCode, output)
    }
}

/// Whether this process runs as root, in which case PostgreSQL commands run as `postgres`.
public var runningAsRoot: Bool { getuid() == 0 }

/// Polls `condition` every 50 ms until it holds or `timeout` passes.
///
/// Time the process spent starved of CPU does not count: when a poll's sleep overruns by more
/// than half a second (two shared cores, a burst of CPU-heavy tests), the deadline moves out by
/// the overrun, so what is awaited gets the time it was promised once the process runs again.
/// It never waits past three times `timeout` in all: a run starved throughout (every poll
/// overrunning) would otherwise stretch a failing 60 s wait to most of half an hour.
public func waitUntil(timeout: Duration = .seconds(60), _ condition: () async -> Bool) async -> Bool {
    let clock = ContinuousClock()
    let interval = Duration.milliseconds(50)
    let ceiling = clock.now.advanced(by: timeout * 3)
    var deadline = clock.now.advanced(by: timeout)
    while true {
        if await condition() { return true }
        let asleep = clock.now
        try? await Task.sleep(for: interval)
        let now = clock.now
        let overrun = asleep.duration(to: now) - interval
        if overrun > .milliseconds(500) { deadline = min(deadline.advanced(by: overrun), ceiling) }
        if now >= deadline || Task.isCancelled { break }
    }
    return await condition()
}

/// The path of executable `name` built beside the test bundle (`.build/debug/<name>`).
/// - Throws: `NotBuilt` when it is not built.
public func builtExecutable(_ name: String) throws -> String {
    let path = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(name).path
    guard FileManager.default.isExecutableFile(atPath: path) else { throw NotBuilt(path: path) }
    return path
}

public struct NotBuilt: Error, CustomStringConvertible {
    public let path: String
    public var description: String { "\(path) is not built" }
}
