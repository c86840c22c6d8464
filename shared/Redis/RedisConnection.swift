import CHiredis
import Logging
import Metrics
import Synchronization
import Threads

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One connection to Redis: a hiredis context driven from its own `BlockingQueue`, so
/// blocking socket calls never run on Swift's cooperative pool. Commands run one at a time
/// in submission order.
///
/// The connection is lazy and self-healing: the first command connects (AUTH, SELECT), a
/// command in flight when the link breaks throws `connectionLost`, and the next command
/// reconnects, retrying with exponential backoff and jitter for up to
/// `RedisConfiguration.reconnectTimeout` before it throws `connectionFailed`.
/// Cancelling the awaiting task interrupts even a blocked command (`XREADGROUP … BLOCK`)
/// by shutting the socket down; it throws `cancelled` and the next command reconnects.
public final class RedisConnection: Sendable {
    /// The server this connection talks to.
    public let configuration: RedisConfiguration
    let logger: Logger
    /// Captured at init so counters bumped on the queue (where task locals don't reach) use
    /// the factory the creator saw.
    let metrics: any MetricsFactory
    private let queue: BlockingQueue
    private let context = HiredisContext()
    private let io = Mutex(IOState())

    private struct IOState {
        enum Operation { case queued, running, cancelled }
        /// The socket, published while connected so cancellation can shut it down.
        var fd: Int32 = -1
        var operations: [UInt64: Operation] = [:]
        var nextOperation: UInt64 = 0
        var closed = false
    }

    /// How long one command may wait for its reply.
    enum Timeout: Sendable {
        case standard
        /// The command itself blocks this long on the server (BLOCK ms) before replying.
        case blocking(Duration)
        case unlimited
    }

    /// - Parameter label: names the queue and tags log lines, e.g. `alphapulse.redis.pool.2`.
    public init(configuration: RedisConfiguration, label: String = "alphapulse.redis", logger: Logger = Logger(label: "alphapulse.redis")) {
        _ = ignoreSIGPIPE
        self.configuration = configuration
        self.queue = BlockingQueue(label: label)
        var logger = logger
        logger[metadataKey: "redis.connection"] = "\(label)"
        self.logger = logger
        self.metrics = MetricsSystem.factory
    }

    /// Sends one command and returns its reply.
    ///
    /// - Parameter timeout: how long the command may block on the server (`BLOCK`, `BLPOP`);
    ///   the socket waits that plus `configuration.commandTimeout`. `nil` waits
    ///   `commandTimeout` alone, `.zero` waits indefinitely (`BLOCK 0`).
    /// - Throws: `RedisError`: `server` for an error reply, `connectionLost`, `timeout`,
    ///   `connectionFailed`, `authenticationFailed`, `cancelled`, `clientClosed`.
    public func send(arguments: [RedisArgument], timeout: Duration? = nil) async throws -> RedisValue {
        let verb = arguments.first?.text
        let value = try await perform(command: verb, timeout: Self.timeout(timeout)) { context throws(RedisError) in
            try HiredisContext.command(context.pointer, arguments)
        }
        if case .error(let message) = value {
            let error = RedisError.serverReply(message, command: verb)
            count(error)
            throw error
        }
        return value
    }

    /// Sends several commands in one round trip and returns their replies in order. Error
    /// replies stay in place as `.error` values; only transport failures throw.
    public func pipeline(_ commands: [[RedisArgument]], timeout: Duration? = nil) async throws -> [RedisValue] {
        guard !commands.isEmpty else { return [] }
        let verb = commands.count == 1 ? commands[0].first?.text : "PIPELINE"
        return try await perform(command: verb, timeout: Self.timeout(timeout)) { context throws(RedisError) in
            for command in commands { try HiredisContext.append(context.pointer, command) }
            var replies: [RedisValue] = []
            replies.reserveCapacity(commands.count)
            for command in commands {
                replies.append(try HiredisContext.readReply(context.pointer, command: command.first?.text))
            }
            return replies
        }
    }

    /// Closes the socket. A command in flight is interrupted; later commands throw
    /// `clientClosed`.
    public func close() async {
        io.withLock { state in
            state.closed = true
            if state.operations.values.contains(.running), state.fd >= 0 { _ = shutdown(state.fd, Int32(SHUT_RDWR)) }
        }
        await queue.run { [self] in dropContext() }
    }

    private static func timeout(_ timeout: Duration?) -> Timeout {
        guard let timeout else { return .standard }
        return timeout == .zero ? .unlimited : .blocking(timeout)
    }

    // MARK: - Running operations

    /// What an operation body sees: the live context and its connect generation.
    struct Live {
        let pointer: UnsafeMutablePointer<redisContext>
        let generation: UInt64
    }

    /// Runs `body` on the queue against a connected context, reconnecting with backoff first
    /// if needed. `checkIdle` reconnects first when the server closed the idle socket; a
    /// subscriber, whose socket legitimately has data waiting, turns it off. Callers must not
    /// retry the body on `connectionLost`: it may have reached the server.
    func perform<T: Sendable>(
        command: String?,
        timeout: Timeout,
        checkIdle: Bool = true,
        _ body: @escaping @Sendable (Live) throws(RedisError) -> T
    ) async throws(RedisError) -> T {
        let clock = ContinuousClock()
        let start = clock.now
        var delay = configuration.initialReconnectDelay
        var attempts = 0
        while true {
            do {
                return try await performOnce(command: command, timeout: timeout, checkIdle: checkIdle, body)
            } catch where error.isTransient {
                attempts += 1
                let remaining = configuration.reconnectTimeout - start.duration(to: clock.now)
                guard remaining > .zero else {
                    var failed = RedisError(
                        .connectionFailed,
                        "cannot reach \(configuration.host):\(configuration.port) after \(attempts) attempts",
                        command: command, serverMessage: error.serverMessage,
                        hiredisCode: error.hiredisCode, hiredisMessage: error.hiredisMessage)
                    failed.isTransient = false
                    count(failed)
                    throw failed
                }
                let pause = min(Self.jittered(delay), remaining)
                logger.debug("redis connect failed, retrying", metadata: [
                    "redis.attempt": "\(attempts)", "redis.delay_ms": "\(pause.milliseconds)", "error": "\(error)",
                ])
                do {
                    try await Task.sleep(for: pause)
                } catch {
                    throw RedisError(.cancelled, "cancelled while reconnecting", command: command)
                }
                delay = min(delay * 2, configuration.maximumReconnectDelay)
            }
        }
    }

    private func performOnce<T: Sendable>(
        command: String?,
        timeout: Timeout,
        checkIdle: Bool,
        _ body: @escaping @Sendable (Live) throws(RedisError) -> T
    ) async throws(RedisError) -> T {
        let id: UInt64? = io.withLock { state in
            guard !state.closed else { return nil }
            state.nextOperation &+= 1
            state.operations[state.nextOperation] = .queued
            return state.nextOperation
        }
        guard let id else { throw RedisError(.clientClosed, "connection is closed", command: command) }
        let result: Result<T, RedisError> = await withTaskCancellationHandler {
            await queue.run { [self] in
                runOnQueue(id: id, command: command, timeout: timeout, checkIdle: checkIdle, body)
            }
        } onCancel: {
            cancel(id)
        }
        return try result.get()
    }

    private func cancel(_ id: UInt64) {
        io.withLock { state in
            switch state.operations[id] {
            case .queued:
                state.operations[id] = .cancelled
            case .running:
                state.operations[id] = .cancelled
                // Wakes a blocked read or write at once; the fd cannot have been reused
                // because dropContext unpublishes it under this same lock before closing.
                if state.fd >= 0 { _ = shutdown(state.fd, Int32(SHUT_RDWR)) }
            case .cancelled, nil:
                break
            }
        }
    }

    private func runOnQueue<T>(
        id: UInt64,
        command: String?,
        timeout: Timeout,
        checkIdle: Bool,
        _ body: (Live) throws(RedisError) -> T
    ) -> Result<T, RedisError> {
        let early: RedisError? = io.withLock { state in
            if state.closed || state.operations[id] == .cancelled {
                state.operations[id] = nil
                return state.closed
                    ? RedisError(.clientClosed, "connection is closed", command: command)
                    : RedisError(.cancelled, "cancelled before it was sent", command: command)
            }
            state.operations[id] = .running
            return nil
        }
        if let early { return .failure(early) }

        let outcome = Result<T, RedisError> { () throws(RedisError) -> T in
            let live = try connectIfNeeded(command: command, checkIdle: checkIdle, operation: id)
            try context.setTimeout(resolve(timeout), command: command)
            return try body(live)
        }
        let (cancelled, closed) = io.withLock { state in
            (state.operations.removeValue(forKey: id) == .cancelled, state.closed)
        }
        if cancelled || closed {
            // The socket may have been shut down under us: never reuse it.
            dropContext()
            if case .success = outcome { return outcome }
            return .failure(
                closed
                    ? RedisError(.clientClosed, "connection closed while the command was in flight", command: command)
                    : RedisError(.cancelled, "interrupted by task cancellation", command: command))
        }
        if case .failure(let error) = outcome {
            if error.code != .server { dropContext() }
            if !error.isTransient { count(error) }
            if error.code == .connectionLost || error.code == .timeout {
                logger.info("redis command failed, will reconnect", metadata: ["redis.command": "\(command ?? "?")", "error": "\(error)"])
            }
        }
        return outcome
    }

    private func resolve(_ timeout: Timeout) -> Duration? {
        switch timeout {
        case .standard: configuration.commandTimeout
        case .blocking(let block): block + configuration.commandTimeout
        case .unlimited: nil
        }
    }

    /// Connects and runs the handshake when there is no healthy context. Runs on the queue.
    private func connectIfNeeded(command: String?, checkIdle: Bool, operation id: UInt64) throws(RedisError) -> Live {
        if let pointer = context.pointer {
            if pointer.pointee.err == 0 && (!checkIdle || !Self.isClosedWhileIdle(pointer.pointee.fd)) {
                return Live(pointer: pointer, generation: context.generation)
            }
            logger.debug("redis connection went stale while idle, reconnecting")
            dropContext()
        }
        let reconnecting = context.generation > 0
        let pointer = try context.connect(host: configuration.host, port: configuration.port, timeout: configuration.connectTimeout)
        // A cancel or close that arrived while connecting had no socket to shut down: honour it
        // now, or a blocking command would wait forever behind it.
        let abandoned = io.withLock { state -> Bool in
            state.fd = pointer.pointee.fd
            return state.closed || state.operations[id] == .cancelled
        }
        if abandoned {
            dropContext()
            throw RedisError(.cancelled, "cancelled while connecting", command: command)
        }
        do {
            try context.setTimeout(configuration.commandTimeout, command: "AUTH")
            try handshake(pointer)
        } catch {
            dropContext()
            throw error
        }
        if reconnecting {
            Counter(label: "alphapulse.redis.reconnects", factory: metrics).increment()
            logger.info("redis reconnected", metadata: ["redis.server": "\(configuration)"])
        } else {
            logger.debug("redis connected", metadata: ["redis.server": "\(configuration)"])
        }
        return Live(pointer: pointer, generation: context.generation)
    }

    /// Frees the context, unpublishing its fd first so a late cancellation cannot shut down
    /// a reused descriptor. Runs on the queue.
    private func dropContext() {
        io.withLock { $0.fd = -1 }
        context.free()
    }
}

/// hiredis writes with plain write(): a write to a socket the server reset (a Redis restart)
/// or that a cancellation shut down would raise SIGPIPE and kill the process. Ignore it once
/// per process; the write then fails with EPIPE, which hiredis reports as an I/O error.
private let ignoreSIGPIPE: Void = {
    _ = signal(SIGPIPE, SIG_IGN)
}()
