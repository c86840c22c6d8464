/// One reply from the server (RESP2).
public enum RedisValue: Sendable, Hashable {
    /// A nil bulk string or nil array (`$-1`, `*-1`): missing key, timed-out block.
    case null
    /// A simple status reply such as `OK` or `PONG`.
    case status(String)
    /// An integer reply.
    case integer(Int64)
    /// A bulk string, exactly as stored (binary safe).
    case bulk([UInt8])
    /// A multi-bulk reply.
    case array([RedisValue])
    /// An error reply, as it appears inside pipelines and arrays; `send` throws instead.
    case error(String)

    /// Whether this is `null`.
    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// Bulk or status text decoded as UTF-8 (invalid sequences become U+FFFD; use `bytes`
    /// for exact data), or an integer's decimal form; `nil` otherwise.
    public var string: String? {
        switch self {
        case .bulk(let bytes): String(decoding: bytes, as: UTF8.self)
        case .status(let text): text
        case .integer(let value): String(value)
        default: nil
        }
    }

    /// The raw bytes of a bulk or status reply; `nil` otherwise.
    public var bytes: [UInt8]? {
        switch self {
        case .bulk(let bytes): bytes
        case .status(let text): Array(text.utf8)
        default: nil
        }
    }

    /// An integer reply, or a bulk/status reply holding a decimal integer; `nil` otherwise.
    public var int: Int? {
        switch self {
        case .integer(let value): Int(exactly: value)
        case .bulk, .status: string.flatMap { Int($0) }
        default: nil
        }
    }

    /// The elements of an array reply; `nil` otherwise (also for `null`).
    public var array: [RedisValue]? {
        if case .array(let values) = self { return values }
        return nil
    }

    /// The message of an error reply; `nil` otherwise.
    public var errorMessage: String? {
        if case .error(let message) = self { return message }
        return nil
    }

    /// This value, or a thrown `RedisError` with code `server` if it is an error reply.
    /// Handy for pipeline results.
    public func checked(file: String = #fileID, line: Int = #line) throws -> RedisValue {
        if case .error(let message) = self { throw RedisError.serverReply(message, command: nil, file: file, line: line) }
        return self
    }

    var kindName: String {
        switch self {
        case .null: "null"
        case .status: "status"
        case .integer: "integer"
        case .bulk: "bulk string"
        case .array: "array"
        case .error: "error"
        }
    }
}
