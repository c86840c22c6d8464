/// An error from the PostgreSQL client.
///
/// `description` is short and safe to log: it never contains SQL text, bound values or a
/// password. `debugDescription` adds the server's detail and hint.
public struct PostgresError: Error, CustomStringConvertible, CustomDebugStringConvertible, Sendable {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Sendable {
            case invalidURL, connectionFailed, connectionLost, server, poolTimeout, poolClosed
            case decoding, cancelled, migration, protocolViolation
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The URL or connection parameters could not be understood.
        public static let invalidURL = Code(.invalidURL)
        /// A connection could not be opened (server down, wrong password, …).
        public static let connectionFailed = Code(.connectionFailed)
        /// The connection broke while a query ran (server restart, network cut). The query's
        /// effect is unknown; the next query on the pool uses a fresh connection.
        public static let connectionLost = Code(.connectionLost)
        /// The server rejected the statement; see `sqlState`.
        public static let server = Code(.server)
        /// Every pooled connection stayed busy for the whole acquire timeout.
        public static let poolTimeout = Code(.poolTimeout)
        /// The pool was shut down.
        public static let poolClosed = Code(.poolClosed)
        /// A column value did not decode to the requested Swift type.
        public static let decoding = Code(.decoding)
        /// The task was cancelled; the running statement was cancelled on the server.
        public static let cancelled = Code(.cancelled)
        /// A migration failed or does not match what was applied.
        public static let migration = Code(.migration)
        /// libpq reported a state the client does not expect.
        public static let protocolViolation = Code(.protocolViolation)

        public var description: String { base.rawValue }
    }

    public var code: Code
    /// The five-character SQLSTATE of a server error (`23505` unique violation, `57014` cancelled…).
    public var sqlState: String?
    /// The server's or libpq's primary message.
    public var message: String
    public var detail: String?
    public var hint: String?
    /// Whether the connection that raised this error can still run queries.
    public var connectionUsable: Bool
    public var file: String
    public var line: Int

    public init(
        _ code: Code, message: String, sqlState: String? = nil, detail: String? = nil, hint: String? = nil,
        connectionUsable: Bool, file: String = #fileID, line: Int = #line
    ) {
        self.code = code
        self.message = message
        self.sqlState = sqlState
        self.detail = detail
        self.hint = hint
        self.connectionUsable = connectionUsable
        self.file = file
        self.line = line
    }

    public var description: String {
        var text = "PostgresError(\(code)"
        if let sqlState { text += ", sqlstate \(sqlState)" }
        return text + "): " + message
    }

    public var debugDescription: String {
        var text = description
        if let detail { text += "; detail: \(detail)" }
        if let hint { text += "; hint: \(hint)" }
        return text + "; connection usable: \(connectionUsable) [\(file):\(line)]"
    }
}
