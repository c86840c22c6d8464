import Logging
import Synchronization

/// A bounded set of lazily opened connections. Callers lease one, use it, and give it back;
/// when all are busy, callers wait in FIFO order (cancellable).
final class ConnectionPool: Sendable {
    private let configuration: RedisConfiguration
    private let label: String
    private let logger: Logger
    private let state: Mutex<State>

    private struct State {
        var idle: [RedisConnection] = []
        var all: [RedisConnection] = []
        var waiters: [(id: UInt64, continuation: CheckedContinuation<RedisConnection, any Error>)] = []
        var nextWaiter: UInt64 = 0
        var closed = false
    }

    init(configuration: RedisConfiguration, label: String, logger: Logger) {
        precondition(configuration.poolSize >= 1, "RedisConfiguration.poolSize must be at least 1")
        self.configuration = configuration
        self.label = label
        self.logger = logger
        self.state = Mutex(State())
    }

    func lease() async throws -> RedisConnection {
        let immediate: Result<RedisConnection, RedisError>? = state.withLock { state in
            if state.closed { return .failure(Self.closedError()) }
            if let connection = state.idle.popLast() { return .success(connection) }
            guard state.all.count < configuration.poolSize else { return nil }
            let connection = RedisConnection(configuration: configuration, label: "\(label).\(state.all.count)", logger: logger)
            state.all.append(connection)
            return .success(connection)
        }
        if let immediate { return try immediate.get() }

        let id = state.withLock { state in
            state.nextWaiter &+= 1
            return state.nextWaiter
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<RedisConnection, any Error>) in
                let now: Result<RedisConnection, RedisError>? = state.withLock { state in
                    if state.closed { return .failure(Self.closedError()) }
                    // Checked under the lock: a cancellation handler that ran before us has
                    // already set the flag, one that runs after us will find the waiter.
                    if Task.isCancelled { return .failure(RedisError(.cancelled, "cancelled while waiting for a pooled connection")) }
                    if let connection = state.idle.popLast() { return .success(connection) }
                    state.waiters.append((id, continuation))
                    return nil
                }
                if let now { continuation.resume(with: now.mapError { $0 as any Error }) }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<RedisConnection, any Error>? in
                guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return state.waiters.remove(at: index).continuation
            }
            waiter?.resume(throwing: RedisError(.cancelled, "cancelled while waiting for a pooled connection"))
        }
    }

    func release(_ connection: RedisConnection) {
        let waiter = state.withLock { state -> CheckedContinuation<RedisConnection, any Error>? in
            if state.closed { return nil }
            if !state.waiters.isEmpty { return state.waiters.removeFirst().continuation }
            state.idle.append(connection)
            return nil
        }
        waiter?.resume(returning: connection)
    }

    /// Fails waiters, interrupts commands in flight and closes every connection.
    func close() async {
        let (connections, waiters) = state.withLock { state in
            state.closed = true
            defer {
                state.idle = []
                state.all = []
                state.waiters = []
            }
            return (state.all, state.waiters)
        }
        for waiter in waiters { waiter.continuation.resume(throwing: Self.closedError()) }
        for connection in connections { await connection.close() }
    }

    private static func closedError() -> RedisError {
        RedisError(.clientClosed, "the Redis client is closed")
    }
}
