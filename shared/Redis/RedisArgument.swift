/// One element of a command's argument vector: raw bytes, sent as a bulk string, so any
/// content (including `\0` and `\r\n`) is passed through unchanged.
public struct RedisArgument: Sendable, Hashable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral {
    public var bytes: [UInt8]

    public init(bytes: [UInt8]) { self.bytes = bytes }
    public init(_ string: some StringProtocol) { self.bytes = Array(string.utf8) }
    public init(_ integer: some BinaryInteger) { self.bytes = Array(String(integer).utf8) }
    public init(stringLiteral value: String) { self.init(value) }
    public init(integerLiteral value: Int) { self.init(value) }

    /// `XADD key [MAXLEN ~ n] id field value …`, for pipelines and `send`.
    public static func xadd(_ key: String, maxLength: Int? = nil, id: String = "*", fields: [(String, String)]) -> [RedisArgument] {
        var command: [RedisArgument] = ["XADD", RedisArgument(key)]
        command.reserveCapacity(6 + fields.count * 2)
        if let maxLength { command += ["MAXLEN", "~", RedisArgument(maxLength)] }
        command.append(RedisArgument(id))
        appendFields(fields, to: &command)
        return command
    }

    /// `HSET key field value …`, for pipelines and `send`.
    public static func hset(_ key: String, fields: [(String, String)]) -> [RedisArgument] {
        var command: [RedisArgument] = ["HSET", RedisArgument(key)]
        command.reserveCapacity(2 + fields.count * 2)
        appendFields(fields, to: &command)
        return command
    }

    private static func appendFields(_ fields: [(String, String)], to command: inout [RedisArgument]) {
        for (name, value) in fields {
            command.append(RedisArgument(name))
            command.append(RedisArgument(value))
        }
    }

    /// The argument as text, for error messages about the command verb.
    var text: String { String(decoding: bytes, as: UTF8.self) }
}

/// A type that can be sent as a command argument: `String`, `Substring`, `[UInt8]`,
/// the integer types, `Double` and `RedisArgument` itself.
public protocol RedisArgumentConvertible {
    var redisArgument: RedisArgument { get }
}

extension RedisArgument: RedisArgumentConvertible {
    public var redisArgument: RedisArgument { self }
}

extension String: RedisArgumentConvertible {
    public var redisArgument: RedisArgument { RedisArgument(self) }
}

extension Substring: RedisArgumentConvertible {
    public var redisArgument: RedisArgument { RedisArgument(self) }
}

extension Array: RedisArgumentConvertible where Element == UInt8 {
    public var redisArgument: RedisArgument { RedisArgument(bytes: self) }
}

extension ArraySlice: RedisArgumentConvertible where Element == UInt8 {
    public var redisArgument: RedisArgument { RedisArgument(bytes: Array(self)) }
}

extension Int: RedisArgumentConvertible {
    public var redisArgument: RedisArgument { RedisArgument(self) }
}

extension Int64: RedisArgumentConvertible {
    public var redisArgument: RedisArgument { RedisArgument(self) }
}

extension UInt64: RedisArgumentConvertible {
    public var redisArgument: RedisArgument { RedisArgument(self) }
}

extension Double: RedisArgumentConvertible {
    /// Shortest round-tripping decimal form, which Redis parses for float arguments.
    public var redisArgument: RedisArgument { RedisArgument(self.description) }
}
