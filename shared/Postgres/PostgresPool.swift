import Logging
import Metrics
import Synchronization

/// A bounded pool of PostgreSQL connections shared by the tasks of one process.
///
/// At most `maximumConnections` are open. A task that finds every connection busy waits up to
/// `acquireTimeout`, then fails with `.poolTimeout`. Idle connections are checked before reuse,
/// so after a server restart the next query gets a fresh connection instead of a dead one.
public final class PostgresPool: Sendable {
    public struct Options: Sendable {
        public var minimumConnections: Int
        public var maximumConnections: Int
        public var acquireTimeout: Duration
        /// Idle connections above the minimum are closed after this long unused.
        public var idleTimeout: Duration

        public init(minimumConnections: Int = 10, maximumConnections: Int = 30, acquireTimeout: Duration = .seconds(10), idleTimeout: Duration = .seconds(300)) {
            precondition(maximumConnections >= 1 && minimumConnections <= maximumConnections)
            self.minimumConnections = minimumConnections
            self.maximumConnections = maximumConnections
            self.acquireTimeout = acquireTimeout
            self.idleTimeout = idleTimeout
        }
    }

    public let configuration: PostgresConfiguration
    public let options: Options
    private let logger: Logger
    private let state: Mutex<PoolState>

    public init(configuration: PostgresConfiguration, options: Options = Options(), logger: Logger = Logger(label: "alphapulse.postgres")) {
        self.configuration = configuration
        self.options = options
        self.logger = logger
        self.state = Mutex(PoolState(maximum: options.maximumConnections))
    }

    /// Opens up to `minimumConnections` ahead of use. Failures are logged, not thrown: the
    /// pool opens connections on demand anyway.
    public func warmUp() async {
        var opened: [PostgresConnection] = []
        for _ in 0..<options.minimumConnections {
            guard state.withLock({ $0.reserve() }) else { break }
            do {
                opened.append(try await PostgresConnection.connect(configuration, logger: logger))
            } catch {
                release(slotOf: nil)
                logger.warning("could not open a pooled connection", metadata: ["error": "\(error)"])
                break
            }
        }
        for connection in opened { release(connection, broken: false) }
    }

    /// Lends a connection to `body` and takes it back afterwards, rolling back any transaction
    /// `body` left open and discarding the connection if it broke.
    @discardableResult
    public func withConnection<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        let connection = try await acquire()
        do {
            let result = try await body(connection)
            await giveBack(connection)
            return result
        } catch {
            await giveBack(connection)
            throw error
        }
    }

    /// Runs `query` on a pooled connection.
    @discardableResult
    public func query(_ query: PostgresQuery) async throws -> PostgresRows {
        try await withConnection { try await $0.query(query) }
    }

    /// Runs `query` on a pooled connection, prepared there once and reused (see `PostgresQuery.prepared()`).
    @discardableResult
    public func query(prepared query: PostgresQuery) async throws -> PostgresRows {
        try await withConnection { try await $0.query(query.prepared()) }
    }

    /// Runs `query` on a pooled connection and returns the affected-row count.
    @discardableResult
    public func execute(_ query: PostgresQuery) async throws -> Int {
        try await withConnection { try await $0.execute(query) }
    }

    /// Runs `body` inside BEGIN … COMMIT on one connection. Any error thrown by `body` (or a
    /// cancelled task) rolls the transaction back and is rethrown.
    @discardableResult
    public func transaction<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await withConnection { connection in
            try await connection.execute("BEGIN")
            do {
                let result = try await body(connection)
                try await connection.execute("COMMIT")
                return result
            } catch {
                _ = try? await connection.executeCleanup("ROLLBACK")
                throw error
            }
        }
    }

    /// Upserts a batch through a pooled connection; see `PostgresConnection.bulkUpsert`.
    @discardableResult
    public func bulkUpsert(_ spec: BulkUpsert, rows: CopyBuffer) async throws -> Int {
        try await withConnection { try await $0.bulkUpsert(spec, rows: rows) }
    }

    /// Closes idle connections and fails every waiting and future acquire with `.poolClosed`.
    public func close() async {
        let (idle, waiters) = state.withLock { $0.close() }
        for waiter in waiters {
            waiter.continuation.resume(throwing: PostgresError(.poolClosed, message: "the pool was closed", connectionUsable: false))
        }
        for connection in idle { await connection.connection.close() }
    }

    /// Open connections and idle ones, for metrics and tests.
    public var counts: (open: Int, idle: Int, waiting: Int) {
        state.withLock { ($0.open, $0.idle.count, $0.waiters.count) }
    }

    // MARK: - Acquire and release

    func acquire() async throws -> PostgresConnection {
        while true {
            let action = state.withLock { $0.acquire() }
            switch action {
            case .closed:
                throw PostgresError(.poolClosed, message: "the pool was closed", connectionUsable: false)
            case .reuse(let connection):
                if await connection.isHealthy() { return connection }
                logger.info("discarding a pooled connection the server closed")
                await connection.close()
                if let connection = try await openReplacing() { return connection }
            case .open:
                if let connection = try await openReplacing() { return connection }
            case .wait:
                if let connection = try await waitForConnection() { return connection }
            }
        }
    }

    /// Opens a connection in a slot already reserved; on failure frees the slot for others.
    private func openReplacing() async throws -> PostgresConnection? {
        do {
            return try await PostgresConnection.connect(configuration, logger: logger)
        } catch {
            release(slotOf: nil)
            throw error
        }
    }

    /// Waits for a connection or a free slot; nil means "a slot is yours: open one".
    private func waitForConnection() async throws -> PostgresConnection? {
        let id = state.withLock { $0.nextWaiterID() }
        let timeout = options.acquireTimeout
        let maximum = options.maximumConnections
        let handoff: PoolState.Handoff = try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<PoolState.Handoff, any Error>) in
                if Task.isCancelled {
                    continuation.resume(throwing: PostgresError(.cancelled, message: "cancelled while waiting for a connection", connectionUsable: false))
                    return
                }
                switch state.withLock({ $0.enqueue(PoolState.Waiter(id: id, continuation: continuation)) }) {
                case .closed:
                    continuation.resume(throwing: PostgresError(.poolClosed, message: "the pool was closed", connectionUsable: false))
                    return
                case .immediately(let handoff):
                    continuation.resume(returning: handoff)
                    return
                case .enqueued:
                    break
                }
                Task { [self] in
                    try? await Task.sleep(for: timeout)
                    if let waiter = self.state.withLock({ $0.removeWaiter(id) }) {
                        Metrics.Counter(label: "alphapulse.postgres.pool_timeouts").increment()
                        waiter.continuation.resume(throwing: PostgresError(
                            .poolTimeout, message: "all \(maximum) pooled connections stayed busy for \(timeout)", connectionUsable: false
                        ))
                    }
                }
            }
        } onCancel: {
            if let waiter = state.withLock({ $0.removeWaiter(id) }) {
                waiter.continuation.resume(throwing: PostgresError(.cancelled, message: "cancelled while waiting for a connection", connectionUsable: false))
            }
        }
        switch handoff {
        case .connection(let connection):
            if await connection.isHealthy() { return connection }
            await connection.close()
            return try await openReplacing()
        case .slot:
            return try await openReplacing()
        }
    }

    private func giveBack(_ connection: PostgresConnection) async {
        if connection.cancelWasSent {
            await connection.close()
            release(connection, broken: true)
            return
        }
        switch await connection.transactionState() {
        case .idle:
            release(connection, broken: false)
        case .inTransaction:
            do {
                try await connection.executeCleanup("ROLLBACK")
                release(connection, broken: false)
            } catch {
                await connection.close()
                release(connection, broken: true)
            }
        case .broken:
            await connection.close()
            release(connection, broken: true)
        }
    }

    private func release(_ connection: PostgresConnection, broken: Bool) {
        let (action, stale) = state.withLock {
            $0.release(broken ? nil : connection, minimum: options.minimumConnections, idleTimeout: options.idleTimeout)
        }
        if case .resume(let waiter, let handoff) = action { waiter.continuation.resume(returning: handoff) }
        if !stale.isEmpty {
            Task { for connection in stale { await connection.close() } }
        }
    }

    private func release(slotOf connection: PostgresConnection?) {
        let (action, _) = state.withLock { $0.release(nil, minimum: options.minimumConnections, idleTimeout: options.idleTimeout) }
        if case .resume(let waiter, let handoff) = action { waiter.continuation.resume(returning: handoff) }
    }
}
