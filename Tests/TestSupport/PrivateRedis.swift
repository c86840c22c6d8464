import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A redis-server of a test's own, for tests that stop, restart or reconfigure the server.
///
/// It listens on a free loopback port in a fresh temporary folder, with AOF on
/// (`appendfsync always`, so an acknowledged write survives even `SIGKILL`) and optionally
/// `requirepass`. `restart` keeps the port and the data. Call `cleanup()` when done; the
/// process is also killed on deinit.
public final class PrivateRedis: @unchecked Sendable {
    /// The loopback port it listens on, stable across restarts.
    public let port: Int
    /// The `requirepass` password, if any.
    public let password: String?
    /// The folder holding the AOF files and `redis.log`.
    public let directory: URL
    private let serverPath: String
    private let lock = NSLock()
    private var process: SpawnedProcess?

    /// Starts a server. The binary comes from `TestEnvironment.redisServer()`.
    public init(password: String? = nil) async throws {
        self.serverPath = try TestEnvironment.redisServer()
        self.port = try freePort()
        self.password = password
        self.directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("alphapulse-redis-\(port)-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try await start()
    }

    /// Starts a server, runs `body` with it and always cleans up afterwards.
    public static func with<T>(password: String? = nil, _ body: (PrivateRedis) async throws -> T) async throws -> T {
        let server = try await PrivateRedis(password: password)
        do {
            let result = try await body(server)
            await server.cleanup()
            return result
        } catch {
            await server.cleanup()
            throw error
        }
    }

    /// `redis://[:password@]127.0.0.1:port/database`.
    public func url(database: Int = 0, password: String? = nil) -> String {
        let secret = password ?? self.password
        return "redis://\(secret.map { ":\($0)@" } ?? "")127.0.0.1:\(port)/\(database)"
    }

    /// Launches the server and waits until it accepts connections.
    public func start() async throws {
        var arguments = [
            "--port", "\(port)", "--bind", "127.0.0.1", "--dir", directory.path,
            "--appendonly", "yes", "--appendfsync", "always", "--save", "",
            "--daemonize", "no", "--logfile", directory.appendingPathComponent("redis.log").path,
        ]
        if let password { arguments += ["--requirepass", password] }
        // posix_spawn, never Foundation.Process: its waitUntilExit spins a run loop on a
        // cooperative thread and can hang the whole test process.
        let process = try SpawnedProcess([serverPath] + arguments)
        lock.withLock { self.process = process }
        let port = self.port
        let ready = await waitUntil(timeout: .seconds(60)) { Self.acceptsConnections(port: port) }
        guard ready else {
            await stopNow(signal: SIGKILL)
            throw StartFailure(message: "redis-server did not listen on port \(port); see \(directory.path)/redis.log")
        }
    }

    /// Stops the server: `graceful` sends SIGTERM (Redis finishes its AOF), otherwise
    /// SIGKILL, as in a crash. Waits until the process has exited.
    public func stop(graceful: Bool = true) async {
        await stopNow(signal: graceful ? SIGTERM : SIGKILL)
    }

    /// Stops and starts again on the same port with the same data.
    public func restart(graceful: Bool = true) async throws {
        await stop(graceful: graceful)
        try await start()
    }

    /// Stops the server and deletes its folder.
    public func cleanup() async {
        await stopNow(signal: SIGKILL)
        try? FileManager.default.removeItem(at: directory)
    }

    deinit {
        if let process { kill(process.pid, SIGKILL) }
    }

    private func stopNow(signal: Int32) async {
        guard let process = lock.withLock({ () -> SpawnedProcess? in
            defer { self.process = nil }
            return self.process
        }) else { return }
        kill(process.pid, signal)
        if await process.exit(within: .seconds(20)) == nil {
            kill(process.pid, SIGKILL)
            _ = await process.exit(within: .seconds(5))
        }
    }

    private static func acceptsConnections(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        return connected == 0
    }

    public struct StartFailure: Error, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }
}
