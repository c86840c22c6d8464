import Logging

/// The Redis client services share: a small bounded pool of self-healing connections
/// (`RedisConfiguration.poolSize`, default 4) for ordinary commands, plus typed helpers in
/// extensions (keys, hashes, lists, streams, leases, pub/sub).
///
/// Long blocking reads (a consumer loop's `XREADGROUP … BLOCK`) should run on a
/// `makeDedicatedClient()` so they never hold pool connections others need; subscribers
/// always get a connection of their own.
///
/// Errors are `RedisError`s; see `RedisError.Code`.
public final class RedisClient: Sendable {
    /// The server and tuning this client uses.
    public let configuration: RedisConfiguration
    let logger: Logger
    private let label: String
    private let pool: ConnectionPool

    /// A client for `configuration`. Connections open lazily, on first use.
    /// - Parameter label: names connection queues and tags log lines.
    public init(configuration: RedisConfiguration, label: String = "alphapulse.redis", logger: Logger = Logger(label: "alphapulse.redis")) {
        self.configuration = configuration
        self.logger = logger
        self.label = label
        self.pool = ConnectionPool(configuration: configuration, label: label, logger: logger)
    }

    /// A client for `redis://…` `url` with default tuning.
    /// - Throws: `RedisError` with code `invalidURL`.
    public convenience init(url: String, logger: Logger = Logger(label: "alphapulse.redis")) throws {
        self.init(configuration: try RedisConfiguration(url: url), logger: logger)
    }

    /// A new client with a single connection of its own, for loops that block on the server
    /// (`XREADGROUP … BLOCK`, `BLPOP`). Close it when the loop ends (it also closes on deinit).
    public func makeDedicatedClient(label: String = "dedicated") -> RedisClient {
        var configuration = configuration
        configuration.poolSize = 1
        return RedisClient(configuration: configuration, label: "\(self.label).\(label)", logger: logger)
    }

    /// Sends one command, e.g. `send("HINCRBY", key, "n", 1)`, and returns its reply.
    /// - Throws: `RedisError`; an error reply throws with code `server`.
    @discardableResult
    public func send(_ arguments: any RedisArgumentConvertible...) async throws -> RedisValue {
        try await send(arguments: arguments.map(\.redisArgument))
    }

    /// Sends one command given as an argument vector.
    /// - Parameter timeout: how long the command may block on the server (`BLOCK`, `BLPOP`);
    ///   the socket waits that plus `configuration.commandTimeout`. `nil` waits
    ///   `commandTimeout` alone, `.zero` waits indefinitely.
    @discardableResult
    public func send(arguments: [RedisArgument], timeout: Duration? = nil) async throws -> RedisValue {
        try await withConnection { try await $0.send(arguments: arguments, timeout: timeout) }
    }

    /// Sends several commands in one round trip on one connection; replies come back in
    /// order, error replies in place as `.error` (use `RedisValue.checked()`).
    /// - Throws: `RedisError` only for transport failures.
    public func pipeline(_ commands: [[any RedisArgumentConvertible]]) async throws -> [RedisValue] {
        try await pipeline(commands: commands.map { $0.map(\.redisArgument) })
    }

    /// `pipeline(_:)` for prepared argument vectors.
    public func pipeline(commands: [[RedisArgument]]) async throws -> [RedisValue] {
        try await withConnection { try await $0.pipeline(commands) }
    }

    /// Leases a pooled connection for several commands in a row (waiting if all are busy).
    public func withConnection<T: Sendable>(_ body: (RedisConnection) async throws -> T) async throws -> T {
        let connection = try await pool.lease()
        defer { pool.release(connection) }
        return try await body(connection)
    }

    /// Interrupts commands in flight, fails waiters and closes all pooled connections.
    /// Later commands throw `clientClosed`.
    public func close() async {
        await pool.close()
    }

    // MARK: - Reply decoding for the typed helpers

    /// Sends a command whose reply is an integer (e.g. `EVAL` of a script returning one).
    /// - Throws: `RedisError.unexpected` for any other reply.
    public func integer(_ arguments: [RedisArgument], timeout: Duration? = nil) async throws -> Int {
        let value = try await send(arguments: arguments, timeout: timeout)
        guard case .integer(let number) = value, let result = Int(exactly: number) else {
            throw RedisError.unexpected(value, expected: "an integer", command: arguments.first?.text)
        }
        return result
    }

    func optionalBulk(_ arguments: [RedisArgument]) async throws -> [UInt8]? {
        let value = try await send(arguments: arguments)
        switch value {
        case .null: return nil
        case .bulk(let bytes): return bytes
        default: throw RedisError.unexpected(value, expected: "a bulk string or null", command: arguments.first?.text)
        }
    }

    func stringArray(_ arguments: [RedisArgument]) async throws -> [String] {
        let value = try await send(arguments: arguments)
        guard let elements = value.array else {
            throw RedisError.unexpected(value, expected: "an array", command: arguments.first?.text)
        }
        return try elements.map { element in
            guard case .bulk = element, let text = element.string else {
                throw RedisError.unexpected(element, expected: "bulk strings", command: arguments.first?.text)
            }
            return text
        }
    }
}
