import Metrics
/// An error from the Redis client: a `code` to switch on, plus the native detail.
///
/// `description` is short and safe to log: it holds the code, the command verb and the
/// server's error prefix (`WRONGTYPE`), never arguments, values or passwords.
/// `debugDescription` adds the full server message and hiredis' error, which may echo
/// command arguments.
public struct RedisError: Error, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// What kind of failure this is. New codes may be added; don't switch exhaustively.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case invalidURL, connectionFailed, authenticationFailed, connectionLost
            case server, unexpectedReply, timeout, cancelled, clientClosed
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The configuration URL could not be parsed.
        public static let invalidURL = Code(.invalidURL)
        /// The server could not be reached (or refused the handshake) within the reconnect timeout.
        public static let connectionFailed = Code(.connectionFailed)
        /// `AUTH` was rejected or required: wrong or missing password or user.
        public static let authenticationFailed = Code(.authenticationFailed)
        /// The connection broke while a command was in flight; the next command reconnects.
        public static let connectionLost = Code(.connectionLost)
        /// The server answered with an error reply (`-ERR …`, `-WRONGTYPE …`); see `serverMessage`.
        public static let server = Code(.server)
        /// The reply did not have the shape the command promises, or the protocol was violated.
        public static let unexpectedReply = Code(.unexpectedReply)
        /// The server did not answer within the command's timeout.
        public static let timeout = Code(.timeout)
        /// The awaiting task was cancelled; a command in flight was interrupted.
        public static let cancelled = Code(.cancelled)
        /// The client or connection was closed by its owner.
        public static let clientClosed = Code(.clientClosed)

        public var description: String { base.rawValue }
    }

    /// The kind of failure.
    public var code: Code
    /// A short, secret-free explanation.
    public var message: String
    /// The command verb that failed (`GET`, `XREADGROUP`), when known.
    public var command: String?
    /// The server's full error reply without the leading `-`, for `server` and
    /// `authenticationFailed`. May echo arguments: not for routine logs.
    public var serverMessage: String?
    /// hiredis' `err` code (`REDIS_ERR_IO`, `REDIS_ERR_EOF`, …), when hiredis reported the failure.
    public var hiredisCode: Int32?
    /// hiredis' `errstr`, when hiredis reported the failure.
    public var hiredisMessage: String?
    /// Where the error was raised.
    public var file: String
    public var line: Int

    /// Set on connect failures that are worth retrying (refused, reset, server loading).
    var isTransient = false

    public init(
        _ code: Code,
        _ message: String,
        command: String? = nil,
        serverMessage: String? = nil,
        hiredisCode: Int32? = nil,
        hiredisMessage: String? = nil,
        file: String = #fileID,
        line: Int = #line
    ) {
        self.code = code
        self.message = message
        self.command = command
        self.serverMessage = serverMessage
        self.hiredisCode = hiredisCode
        self.hiredisMessage = hiredisMessage
        self.file = file
        self.line = line
    }

    /// The first word of the server's error reply (`WRONGTYPE`, `BUSYGROUP`, `NOAUTH`), if any.
    public var serverErrorPrefix: String? {
        guard let serverMessage, let first = serverMessage.split(separator: " ", maxSplits: 1).first else { return nil }
        return String(first)
    }

    public var description: String {
        var text = "RedisError.\(code)"
        if let command { text += " (\(command))" }
        if let serverErrorPrefix { text += " [\(serverErrorPrefix)]" }
        return text + ": " + message
    }

    public var debugDescription: String {
        var parts = ["code: \(code)", "message: \(message)"]
        if let command { parts.append("command: \(command)") }
        if let serverMessage { parts.append("server: \(serverMessage)") }
        if let hiredisCode { parts.append("hiredis.err: \(hiredisCode)") }
        if let hiredisMessage { parts.append("hiredis.errstr: \(hiredisMessage)") }
        parts.append("at: \(file):\(line)")
        return "RedisError(" + parts.joined(separator: ", ") + ")"
    }

    static func serverReply(_ message: String, command: String?, file: String = #fileID, line: Int = #line) -> RedisError {
        RedisError(.server, "server replied with an error", command: command, serverMessage: message, file: file, line: line)
    }

    /// A reply of the wrong shape; counted in `alphapulse.redis.errors`, as every error from
    /// outside is.
    public static func unexpected(_ value: RedisValue, expected: String, command: String?, file: String = #fileID, line: Int = #line) -> RedisError {
        Counter(label: "alphapulse.redis.errors", dimensions: [("code", "unexpectedReply")]).increment()
        return RedisError(.unexpectedReply, "expected \(expected), got \(value.kindName)", command: command, file: file, line: line)
    }
}
