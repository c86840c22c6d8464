import Foundation

/// A PostgreSQL server of a test's own, for tests that stop or restart the server and so
/// must not share the suite's server. Runs as `postgres` when the tests run as root.
public final class PrivatePostgres: @unchecked Sendable {
    public let port: Int
    public let directory: String
    private let binDir: String

    /// The URL of the server's superuser, with the `postgres` database.
    public var url: String { "postgresql://postgres@127.0.0.1:\(port)/postgres?sslmode=disable" }

    /// initdb + start on a free port; the data lives in a new 0700 folder under the temporary
    /// folder, owned by the user the server runs as (postgres when the tests run as root).
    public init() throws {
        binDir = try TestEnvironment.postgresBinDir()
        port = try freePort()
        directory = try Self.makePrivateDirectory(NSTemporaryDirectory() + "alphapulse-pg-\(UUID().uuidString.prefix(8))")
        let initdb = try run(["\(binDir)/initdb", "-D", directory + "/data", "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8"])
        guard initdb.status == 0 else { throw Failure(message: "initdb failed: \(initdb.output)") }
        try start()
    }

    deinit {
        _ = try? run(["\(binDir)/pg_ctl", "-D", directory + "/data", "-m", "immediate", "-w", "stop"])
        try? FileManager.default.removeItem(atPath: directory)
    }

    public func start() throws {
        let options = "-p \(port) -k \(directory) -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off"
        let result = try run(["\(binDir)/pg_ctl", "-D", directory + "/data", "-o", options, "-l", directory + "/log", "-w", "-t", "60", "start"])
        guard result.status == 0 else {
            let log = (try? String(contentsOfFile: directory + "/log", encoding: .utf8)) ?? ""
            throw Failure(message: "pg_ctl start failed: \(result.output)\n\(log)")
        }
    }

    /// Stops the server; `fast` disconnects clients at once, as a restart in production would.
    public func stop(mode: String = "fast") throws {
        let result = try run(["\(binDir)/pg_ctl", "-D", directory + "/data", "-m", mode, "-w", "stop"])
        guard result.status == 0 else { throw Failure(message: "pg_ctl stop failed: \(result.output)") }
    }

    public func restart() throws {
        try stop()
        try start()
    }

    /// `restart()` without blocking a cooperative thread while pg_ctl works.
    public func restartAsync() async throws {
        let options = "-p \(port) -k \(directory) -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off"
        for arguments in [
            ["\(binDir)/pg_ctl", "-D", directory + "/data", "-m", "fast", "-w", "stop"],
            ["\(binDir)/pg_ctl", "-D", directory + "/data", "-o", options, "-l", directory + "/log", "-w", "-t", "60", "start"],
        ] {
            let result = try await runCommandAsync(runningAsRoot ? ["runuser", "-u", "postgres", "--"] + arguments : arguments)
            guard result.status == 0 else { throw Failure(message: "\(arguments[1]) failed: \(result.output)") }
        }
    }

    private func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        try runCommand(runningAsRoot ? ["runuser", "-u", "postgres", "--"] + arguments : arguments)
    }

    /// Creates `path` with mode 0700 (failing if anything, a planted symlink included, is
    /// already there) and gives it to postgres when we are root. Returns `path`.
    private static func makePrivateDirectory(_ path: String) throws -> String {
        guard mkdir(path, 0o700) == 0 else {
            throw Failure(message: "cannot create \(path): \(String(cString: strerror(errno)))")
        }
        if runningAsRoot {
            guard let user = getpwnam("postgres") else { throw Failure(message: "user postgres does not exist") }
            guard lchown(path, user.pointee.pw_uid, user.pointee.pw_gid) == 0 else {
                throw Failure(message: "cannot give \(path) to postgres: \(String(cString: strerror(errno)))")
            }
        }
        return path
    }

    public struct Failure: Error, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }
}
