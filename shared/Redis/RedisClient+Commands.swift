/// How long a key set with `set(_:to:expiry:)` lives.
public enum RedisExpiry: Sendable, Hashable {
    /// `EX seconds`.
    case seconds(Int)
    /// `PX milliseconds`.
    case milliseconds(Int)
}

/// The remaining time to live of a key, from `PTTL`.
public enum RedisTTL: Sendable, Hashable {
    /// The key does not exist (`-2`).
    case missingKey
    /// The key exists without an expiry (`-1`).
    case persistent
    /// The key expires after this long.
    case expires(in: Duration)
}

extension RedisClient {
    /// `PING`; returns the server's answer (`PONG`).
    @discardableResult
    public func ping() async throws -> String {
        try await send(arguments: ["PING"]).string ?? ""
    }

    /// `TIME`: the server's clock in Unix milliseconds, the one clock every host of the suite
    /// shares.
    /// - Throws: `RedisError` (`.unexpectedReply` for an answer that is not TIME's).
    public func time() async throws -> Int64 {
        let reply = try await send(arguments: ["TIME"]).checked()
        guard let parts = reply.array, parts.count == 2, let seconds = parts[0].string.flatMap({ Int64($0) }),
              let micros = parts[1].string.flatMap({ Int64($0) }) else {
            throw RedisError.unexpected(reply, expected: "TIME's two integers", command: "TIME")
        }
        return seconds * 1000 + micros / 1000
    }

    // MARK: Strings and keys

    /// `GET key` decoded as UTF-8 (lossy); `nil` when the key is missing.
    public func get(_ key: String) async throws -> String? {
        try await optionalBulk(["GET", RedisArgument(key)]).map { String(decoding: $0, as: UTF8.self) }
    }

    /// `GET key` as raw bytes; `nil` when the key is missing.
    public func getBytes(_ key: String) async throws -> [UInt8]? {
        try await optionalBulk(["GET", RedisArgument(key)])
    }

    /// `SET key value [EX s|PX ms] [NX]`.
    /// - Parameters:
    ///   - value: a `String`, `[UInt8]`, number…; stored byte for byte.
    ///   - onlyIfAbsent: adds `NX`: set only when the key does not exist yet.
    /// - Returns: whether the value was set (`false` only when `NX` found the key).
    @discardableResult
    public func set(_ key: String, to value: any RedisArgumentConvertible, expiry: RedisExpiry? = nil, onlyIfAbsent: Bool = false) async throws -> Bool {
        var arguments: [RedisArgument] = ["SET", RedisArgument(key), value.redisArgument]
        switch expiry {
        case .seconds(let seconds): arguments += ["EX", RedisArgument(seconds)]
        case .milliseconds(let milliseconds): arguments += ["PX", RedisArgument(milliseconds)]
        case nil: break
        }
        if onlyIfAbsent { arguments.append("NX") }
        let reply = try await send(arguments: arguments)
        switch reply {
        case .status: return true
        case .null: return false
        default: throw RedisError.unexpected(reply, expected: "OK or null", command: "SET")
        }
    }

    /// `DEL key…`; returns how many keys were removed.
    @discardableResult
    public func delete(_ keys: String...) async throws -> Int {
        try await delete(keys: keys)
    }

    /// `DEL` for a list of keys; returns how many were removed.
    @discardableResult
    public func delete(keys: [String]) async throws -> Int {
        guard !keys.isEmpty else { return 0 }
        return try await integer(["DEL"] + keys.map(RedisArgument.init))
    }

    /// `EXISTS key…`; returns how many of the keys exist.
    public func exists(_ keys: String...) async throws -> Int {
        try await integer(["EXISTS"] + keys.map(RedisArgument.init))
    }

    /// `EXPIRE key seconds`; returns `false` when the key does not exist.
    @discardableResult
    public func expire(_ key: String, seconds: Int) async throws -> Bool {
        try await integer(["EXPIRE", RedisArgument(key), RedisArgument(seconds)]) == 1
    }

    /// `PEXPIRE key ms`; `ttl` is rounded down to milliseconds. Returns `false` when the key
    /// does not exist.
    @discardableResult
    public func pexpire(_ key: String, after ttl: Duration) async throws -> Bool {
        try await integer(["PEXPIRE", RedisArgument(key), RedisArgument(ttl.milliseconds)]) == 1
    }

    /// `PTTL key`.
    public func pttl(_ key: String) async throws -> RedisTTL {
        let milliseconds = try await integer(["PTTL", RedisArgument(key)])
        switch milliseconds {
        case -2: return .missingKey
        case -1: return .persistent
        default: return .expires(in: .milliseconds(milliseconds))
        }
    }

    // MARK: Hashes

    /// `HSET key field value …`; returns how many fields were new.
    @discardableResult
    public func hset(_ key: String, fields: [(String, String)]) async throws -> Int {
        precondition(!fields.isEmpty, "HSET needs at least one field")
        var arguments: [RedisArgument] = ["HSET", RedisArgument(key)]
        for (field, value) in fields { arguments += [RedisArgument(field), RedisArgument(value)] }
        return try await integer(arguments)
    }

    /// `HGET key field`; `nil` when the key or field is missing.
    public func hget(_ key: String, field: String) async throws -> String? {
        try await optionalBulk(["HGET", RedisArgument(key), RedisArgument(field)]).map { String(decoding: $0, as: UTF8.self) }
    }

    /// `HGETALL key`; empty when the key is missing.
    public func hgetall(_ key: String) async throws -> [String: String] {
        let flat = try await stringArray(["HGETALL", RedisArgument(key)])
        var result: [String: String] = [:]
        result.reserveCapacity(flat.count / 2)
        for index in stride(from: 0, to: flat.count - 1, by: 2) { result[flat[index]] = flat[index + 1] }
        return result
    }

    /// `HDEL key field…`; returns how many fields were removed.
    @discardableResult
    public func hdel(_ key: String, fields: [String]) async throws -> Int {
        precondition(!fields.isEmpty, "HDEL needs at least one field")
        return try await integer(["HDEL", RedisArgument(key)] + fields.map(RedisArgument.init))
    }

    // MARK: Lists

    /// `LPUSH key value…`; returns the new length.
    @discardableResult
    public func lpush(_ key: String, values: [String]) async throws -> Int {
        precondition(!values.isEmpty, "LPUSH needs at least one value")
        return try await integer(["LPUSH", RedisArgument(key)] + values.map(RedisArgument.init))
    }

    /// `RPUSH key value…`; returns the new length.
    @discardableResult
    public func rpush(_ key: String, values: [String]) async throws -> Int {
        precondition(!values.isEmpty, "RPUSH needs at least one value")
        return try await integer(["RPUSH", RedisArgument(key)] + values.map(RedisArgument.init))
    }

    /// `LTRIM key start stop` (inclusive, negative indexes count from the end).
    public func ltrim(_ key: String, start: Int, stop: Int) async throws {
        try await send(arguments: ["LTRIM", RedisArgument(key), RedisArgument(start), RedisArgument(stop)])
    }

    /// `LRANGE key start stop` (inclusive, negative indexes count from the end).
    public func lrange(_ key: String, start: Int, stop: Int) async throws -> [String] {
        try await stringArray(["LRANGE", RedisArgument(key), RedisArgument(start), RedisArgument(stop)])
    }

    /// `BLPOP key… timeout`: pops the first element of the first non-empty list, waiting up
    /// to `timeout` (`.zero` waits forever) for one to appear. Cancelling the task
    /// interrupts the wait.
    /// - Returns: the list it came from and the element, or `nil` on timeout.
    public func blpop(_ keys: [String], timeout: Duration) async throws -> (key: String, value: String)? {
        precondition(!keys.isEmpty, "BLPOP needs at least one key")
        let seconds = Double(timeout.milliseconds) / 1000
        let reply = try await send(arguments: ["BLPOP"] + keys.map(RedisArgument.init) + [RedisArgument(seconds.description)], timeout: timeout)
        if reply.isNull { return nil }
        guard let pair = reply.array, pair.count == 2, let key = pair[0].string, let value = pair[1].string else {
            throw RedisError.unexpected(reply, expected: "a key and a value", command: "BLPOP")
        }
        return (key, value)
    }

    /// `LLEN key`.
    public func llen(_ key: String) async throws -> Int {
        try await integer(["LLEN", RedisArgument(key)])
    }

    // MARK: Pub/sub

    /// `PUBLISH channel message`; returns how many subscribers received it.
    @discardableResult
    public func publish(_ message: any RedisArgumentConvertible, to channel: String) async throws -> Int {
        try await integer(["PUBLISH", RedisArgument(channel), message.redisArgument])
    }
}
