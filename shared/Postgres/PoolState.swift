/// The pool's bookkeeping as a plain state machine: every method runs under the pool's lock
/// and returns what to do, which the pool then does outside the lock.
struct PoolState {
    enum Handoff: Sendable {
        /// An open, idle connection.
        case connection(PostgresConnection)
        /// Room for one more connection: the receiver opens it.
        case slot
    }

    struct Waiter {
        let id: Int
        let continuation: CheckedContinuation<Handoff, any Error>
    }

    struct IdleConnection {
        let connection: PostgresConnection
        let since: ContinuousClock.Instant
    }

    enum AcquireAction { case reuse(PostgresConnection), open, wait, closed }
    enum EnqueueResult { case enqueued, immediately(Handoff), closed }
    enum ReleaseAction { case none, resume(Waiter, Handoff) }

    let maximum: Int
    /// Open connections plus those being opened.
    private(set) var open = 0
    private(set) var idle: [IdleConnection] = []
    private(set) var waiters: [Waiter] = []
    private var closed = false
    private var waiterCounter = 0

    init(maximum: Int) { self.maximum = maximum }

    mutating func acquire() -> AcquireAction {
        if closed { return .closed }
        if let last = idle.popLast() { return .reuse(last.connection) }
        if open < maximum {
            open += 1
            return .open
        }
        return .wait
    }

    /// Reserves a slot for a connection opened ahead of use.
    mutating func reserve() -> Bool {
        guard !closed, open < maximum else { return false }
        open += 1
        return true
    }

    mutating func nextWaiterID() -> Int {
        waiterCounter += 1
        return waiterCounter
    }

    /// Queues a waiter — unless a connection or slot became free since `acquire` said "wait".
    mutating func enqueue(_ waiter: Waiter) -> EnqueueResult {
        if closed { return .closed }
        if let last = idle.popLast() { return .immediately(.connection(last.connection)) }
        if open < maximum {
            open += 1
            return .immediately(.slot)
        }
        waiters.append(waiter)
        return .enqueued
    }

    mutating func removeWaiter(_ id: Int) -> Waiter? {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else { return nil }
        return waiters.remove(at: index)
    }

    /// Takes back a healthy connection, or with nil frees the slot of a broken or failed one.
    /// Returns whom to wake and the idle connections to close.
    mutating func release(_ connection: PostgresConnection?, minimum: Int, idleTimeout: Duration) -> (ReleaseAction, [PostgresConnection]) {
        guard let connection else {
            if !closed, !waiters.isEmpty {
                return (.resume(waiters.removeFirst(), .slot), [])
            }
            open -= 1
            return (.none, [])
        }
        if closed {
            open -= 1
            return (.none, [connection])
        }
        if !waiters.isEmpty {
            return (.resume(waiters.removeFirst(), .connection(connection)), [])
        }
        let now = ContinuousClock.now
        idle.append(IdleConnection(connection: connection, since: now))
        var stale: [PostgresConnection] = []
        while idle.count > minimum, let oldest = idle.first, oldest.since.duration(to: now) > idleTimeout {
            idle.removeFirst()
            open -= 1
            stale.append(oldest.connection)
        }
        return (.none, stale)
    }

    mutating func close() -> ([IdleConnection], [Waiter]) {
        closed = true
        let idleConnections = idle
        let pending = waiters
        idle = []
        waiters = []
        open -= idleConnections.count
        return (idleConnections, pending)
    }
}
