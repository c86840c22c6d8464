import CLibPQ
import Foundation
import Logging
import Metrics
import Threads
#if canImport(Glibc)
import Glibc
#endif

/// One libpq connection. Every libpq call runs on the connection's own `BlockingQueue`,
/// never on the cooperative thread pool.
///
/// A connection runs one statement at a time; use `PostgresPool` to share connections
/// between tasks. Cancelling the awaiting task cancels the running statement on the server.
public final class PostgresConnection: @unchecked Sendable {
    // Invariant: `handle` and `statements` are read and written only on `queue`; `cancelToken`
    // is thread-safe.
    private var handle: OpaquePointer?
    /// Statements prepared on this connection: their server-side names by text and types.
    private var statements: [PreparedKey: String] = [:]
    private var statementsPrepared = 0
    /// Most statements kept prepared; past it they are all deallocated and prepared again as used.
    public static let maximumPreparedStatements = 256
    private let queue: BlockingQueue
    private let cancelToken: CancelToken
    public let configuration: PostgresConfiguration
    let logger: Logger

    private init(handle: OpaquePointer, queue: BlockingQueue, configuration: PostgresConfiguration, logger: Logger) {
        self.handle = handle
        self.queue = queue
        self.cancelToken = CancelToken(PQgetCancel(handle))
        self.configuration = configuration
        self.logger = logger
    }

    deinit {
        if let handle {
            PQfinish(handle)
        }
    }

    /// Opens a connection.
    /// - Throws: `PostgresError` `.connectionFailed` with libpq's message (never the password).
    public static func connect(_ configuration: PostgresConfiguration, logger: Logger = Logger(label: "alphapulse.postgres")) async throws -> PostgresConnection {
        let queue = BlockingQueue(label: "alphapulse.postgres.\(configuration.host):\(configuration.port)")
        let parameters = configuration.connectionParameters
        let handle = try await queue.run {
            var keywords: [UnsafePointer<CChar>?] = parameters.map { UnsafePointer(strdup($0.0)) }
            var values: [UnsafePointer<CChar>?] = parameters.map { UnsafePointer(strdup($0.1)) }
            defer {
                for pointer in keywords + values { free(UnsafeMutableRawPointer(mutating: pointer)) }
            }
            keywords.append(nil)
            values.append(nil)
            guard let handle = PQconnectdbParams(keywords, values, 0) else {
                throw PostgresError(.connectionFailed, message: "libpq could not allocate a connection", connectionUsable: false)
            }
            guard PQstatus(handle) == CONNECTION_OK else {
                let message = String(cString: PQerrorMessage(handle)).trimmingCharacters(in: .whitespacesAndNewlines)
                PQfinish(handle)
                throw PostgresError(.connectionFailed, message: message, connectionUsable: false)
            }
            PQsetNoticeProcessor(handle, { _, _ in }, nil)
            return UnsafeHandle(pointer: handle)
        }
        Metrics.Counter(label: "alphapulse.postgres.connections_opened").increment()
        return PostgresConnection(handle: handle.pointer, queue: queue, configuration: configuration, logger: logger)
    }

    /// Runs `query` and returns its rows.
    /// - Throws: `PostgresError`: `.server` with the SQLSTATE for rejected statements,
    ///   `.connectionLost` when the connection broke, `.cancelled` when the task was cancelled.
    @discardableResult
    public func query(_ query: PostgresQuery) async throws -> PostgresRows {
        if query.isPrepared {
            return try await runCancellable { [self] handle in
                let name = try preparedName(query, handle: handle)
                return try Self.withCStrings(query.binds) { values in
                    PQexecPrepared(handle, name, Int32(query.binds.count), values, nil, nil, 0)
                }
            }
        }
        return try await runCancellable { handle in
            try Self.withCStrings(query.binds) { values in
                query.types.withUnsafeBufferPointer { types in
                    PQexecParams(handle, query.sql, Int32(query.binds.count), types.baseAddress, values, nil, nil, 0)
                }
            }
        }
    }

    /// Runs `query`, prepared on this connection once and reused (see `PostgresQuery.prepared()`).
    @discardableResult
    public func query(prepared query: PostgresQuery) async throws -> PostgresRows {
        try await self.query(query.prepared())
    }

    /// The name `query` is prepared under on this connection, preparing it first if needed.
    /// Protocol-level prepared statements outlive transactions, rolled back or not. Call on `queue`.
    private func preparedName(_ query: PostgresQuery, handle: OpaquePointer) throws -> String {
        let key = PreparedKey(sql: query.sql, types: query.types)
        if let name = statements[key] { return name }
        if statements.count >= Self.maximumPreparedStatements {
            let result = PQexec(handle, "DEALLOCATE ALL")
            defer { PQclear(result) }
            _ = try Self.rows(from: result, handle: handle, cancelled: false)
            statements.removeAll()
        }
        statementsPrepared += 1
        let name = "ap_\(statementsPrepared)"
        let result = query.types.withUnsafeBufferPointer { types in
            PQprepare(handle, name, query.sql, Int32(query.types.count), types.baseAddress)
        }
        defer { PQclear(result) }
        _ = try Self.rows(from: result, handle: handle, cancelled: false)
        statements[key] = name
        return name
    }

    private struct PreparedKey: Hashable {
        var sql: String
        var types: [UInt32]
    }

    /// Runs `query` and returns how many rows it affected.
    @discardableResult
    public func execute(_ query: PostgresQuery) async throws -> Int {
        try await self.query(query).affectedRows
    }

    /// Runs one or more `;`-separated statements with no parameters (migrations, DDL).
    /// The caller vouches that the text holds no outside input.
    @discardableResult
    public func execute(unsafeScript script: String) async throws -> Int {
        try await runCancellable { handle in PQexec(handle, script) }.affectedRows
    }

    /// Runs a clean-up statement (ROLLBACK, unlock) even when the task is already cancelled:
    /// clean-up must not be skipped just because the work it cleans up after was cancelled.
    func executeCleanup(_ sql: String) async throws {
        _ = try await queue.run { [self] in
            let handle = try liveHandle()
            let result = PQexec(handle, sql)
            defer { PQclear(result) }
            return try Self.rows(from: result, handle: handle, cancelled: false).affectedRows
        }
    }

    /// Whether the connection is open, idle and has not been closed by the server.
    ///
    /// An idle connection that does not LISTEN receives nothing from the server; anything
    /// readable on its socket is a shutdown notice ("terminating connection due to
    /// administrator command") or the end of the stream, so it counts as unhealthy.
    func isHealthy() async -> Bool {
        await queue.run { [self] in
            guard let handle, PQstatus(handle) == CONNECTION_OK, PQtransactionStatus(handle) == PQTRANS_IDLE else { return false }
            var descriptor = pollfd(fd: PQsocket(handle), events: Int16(POLLIN), revents: 0)
            return poll(&descriptor, 1, 0) == 0
        }
    }

    /// libpq's transaction state: used by the pool to roll back a connection left mid-transaction.
    func transactionState() async -> TransactionState {
        await queue.run { [self] in
            guard let handle, PQstatus(handle) == CONNECTION_OK else { return .broken }
            switch PQtransactionStatus(handle) {
            case PQTRANS_IDLE: return .idle
            case PQTRANS_INTRANS, PQTRANS_INERROR: return .inTransaction
            default: return .broken
            }
        }
    }

    enum TransactionState { case idle, inTransaction, broken }

    /// Closes the connection. Safe to call more than once.
    public func close() async {
        await queue.run { [self] in
            if let handle {
                PQfinish(handle)
                self.handle = nil
            }
        }
    }

    // MARK: - Running statements

    /// Runs a libpq call that returns one PGresult, turning it into rows or an error.
    func runCancellable(_ call: @escaping @Sendable (OpaquePointer) throws -> OpaquePointer?) async throws -> PostgresRows {
        if Task.isCancelled {
            throw PostgresError(.cancelled, message: "the task was cancelled before the statement was sent", connectionUsable: true)
        }
        let token = cancelToken
        return try await withTaskCancellationHandler {
            try await queue.run { [self] in
                let handle = try liveHandle()
                token.reset()
                let result = try call(handle)
                defer { PQclear(result) }
                return try Self.rows(from: result, handle: handle, cancelled: token.wasRequested)
            }
        } onCancel: {
            // Marked now, before the pool can take the connection back: a cancel that lands
            // late must not hit the next borrower's statement, so the pool closes it instead.
            token.markSent()
            // PQcancel opens a connection of its own and waits: never on the cooperative pool.
            Thread.detachNewThread { token.cancel() }
        }
    }

    /// Whether a cancel request was ever sent on this connection; such a connection is not
    /// reused, since the request may reach the server after the statement it was meant for.
    var cancelWasSent: Bool { cancelToken.wasEverSent }

    /// The open handle, or `.connectionLost`. Call on `queue` only.
    func liveHandle() throws -> OpaquePointer {
        guard let handle, PQstatus(handle) == CONNECTION_OK else {
            throw PostgresError(.connectionLost, message: "the connection is closed", connectionUsable: false)
        }
        return handle
    }

    /// Runs `body` with the connection's handle on its queue. For COPY, which needs several calls.
    func withHandle<T: Sendable>(_ body: @escaping @Sendable (OpaquePointer) throws -> T) async throws -> T {
        try await queue.run { [self] in try body(try liveHandle()) }
    }

    static func rows(from result: OpaquePointer?, handle: OpaquePointer, cancelled: Bool) throws -> PostgresRows {
        guard let result else { throw error(result: nil, handle: handle, cancelled: cancelled) }
        let status = PQresultStatus(result)
        guard status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK || status == PGRES_EMPTY_QUERY else {
            throw error(result: result, handle: handle, cancelled: cancelled)
        }
        let fieldCount = Int(PQnfields(result))
        let columns = (0..<fieldCount).map { index in
            PostgresColumn(name: String(cString: PQfname(result, Int32(index))), type: PQftype(result, Int32(index)))
        }
        let rowCount = Int(PQntuples(result))
        var rows: [PostgresRow] = []
        rows.reserveCapacity(rowCount)
        for row in 0..<rowCount {
            var values: [String?] = []
            values.reserveCapacity(fieldCount)
            for column in 0..<fieldCount {
                if PQgetisnull(result, Int32(row), Int32(column)) != 0 {
                    values.append(nil)
                } else {
                    values.append(String(cString: PQgetvalue(result, Int32(row), Int32(column))))
                }
            }
            rows.append(PostgresRow(columns: columns, values: values))
        }
        return PostgresRows(columns: columns, rows: rows, affectedRows: Int(String(cString: PQcmdTuples(result))) ?? 0)
    }

    static func error(result: OpaquePointer?, handle: OpaquePointer, cancelled: Bool) -> PostgresError {
        func field(_ code: Character) -> String? {
            guard let result, let value = PQresultErrorField(result, Int32(code.asciiValue!)) else { return nil }
            return String(cString: value)
        }
        let usable = PQstatus(handle) == CONNECTION_OK
        let sqlState = field("C")
        var message = field("M") ?? String(cString: PQerrorMessage(handle)).trimmingCharacters(in: .whitespacesAndNewlines)
        if message.isEmpty { message = "the statement failed without a message" }
        let code: PostgresError.Code
        if !usable || sqlState?.hasPrefix("57P") == true || sqlState?.hasPrefix("08") == true {
            code = .connectionLost
        } else if cancelled && sqlState == "57014" {
            code = .cancelled
        } else {
            code = .server
        }
        Metrics.Counter(label: "alphapulse.postgres.errors", dimensions: [("code", code.description)]).increment()
        return PostgresError(code, message: message, sqlState: sqlState, detail: field("D"), hint: field("H"), connectionUsable: usable)
    }

    /// Passes the values as NUL-terminated C strings (nil for SQL NULL).
    static func withCStrings<T>(_ values: [String?], _ body: (UnsafePointer<UnsafePointer<CChar>?>?) throws -> T) throws -> T {
        for value in values {
            if let value, value.utf8.contains(0) {
                throw PostgresError(
                    .server, message: "a bound string contains a NUL byte, which PostgreSQL text cannot hold",
                    sqlState: "22021", connectionUsable: true
                )
            }
        }
        let pointers: [UnsafePointer<CChar>?] = values.map { $0.map { UnsafePointer(strdup($0)!) } }
        defer { for pointer in pointers { free(UnsafeMutableRawPointer(mutating: pointer)) } }
        return try pointers.withUnsafeBufferPointer { try body($0.baseAddress) }
    }
}

/// A libpq handle in transit from the queue that opened it to the connection that owns it.
private struct UnsafeHandle: @unchecked Sendable {
    let pointer: OpaquePointer
}

/// libpq's cancel object: sends a cancel request over a new socket, safe from any thread.
final class CancelToken: @unchecked Sendable {
    private let pointer: OpaquePointer?
    private let requested = Mutex(false)
    private let sent = Mutex(false)

    init(_ pointer: OpaquePointer?) { self.pointer = pointer }
    deinit { if let pointer { PQfreeCancel(pointer) } }

    var wasRequested: Bool { requested.withLock { value in defer { value = false }; return value } }

    /// Forgets a cancel that arrived after the previous statement had finished.
    func reset() { requested.withLock { $0 = false } }

    /// Records, for good, that a cancel is on its way.
    func markSent() { sent.withLock { $0 = true } }

    var wasEverSent: Bool { sent.withLock { $0 } }

    func cancel() {
        markSent()
        requested.withLock { $0 = true }
        guard let pointer else { return }
        var buffer = [CChar](repeating: 0, count: 256)
        _ = PQcancel(pointer, &buffer, Int32(buffer.count))
    }
}

import Synchronization
