import Logging
import Metrics
import Synchronization

/// One pub/sub message.
public struct RedisMessage: Sendable, Hashable {
    /// The channel it was published to.
    public var channel: String
    /// The pattern that matched, for pattern subscriptions.
    public var pattern: String?
    /// The message exactly as published.
    public var payload: [UInt8]

    /// The payload decoded as UTF-8 (lossy).
    public var string: String { String(decoding: payload, as: UTF8.self) }

    init?(_ value: RedisValue) {
        guard let parts = value.array, let kind = parts.first?.string else { return nil }
        switch kind {
        case "message" where parts.count == 3:
            guard let channel = parts[1].string, let payload = parts[2].bytes else { return nil }
            self.init(channel: channel, pattern: nil, payload: payload)
        case "pmessage" where parts.count == 4:
            guard let pattern = parts[1].string, let channel = parts[2].string, let payload = parts[3].bytes else { return nil }
            self.init(channel: channel, pattern: pattern, payload: payload)
        default:
            return nil
        }
    }

    public init(channel: String, pattern: String?, payload: [UInt8]) {
        self.channel = channel
        self.pattern = pattern
        self.payload = payload
    }
}

/// A live subscription on a connection of its own, iterated as an `AsyncSequence` of
/// `RedisMessage`s in publication order. Create it with `RedisClient.subscribe(to:patterns:)`.
///
/// When the connection breaks (server restart) it reconnects with backoff and
/// resubscribes by itself, logging and counting (`alphapulse.redis.resubscribes`);
/// messages published while it was disconnected are lost, as pub/sub promises no more.
/// It keeps retrying until the server is back; only authentication or server errors end
/// the sequence with a thrown `RedisError`. Cancelling the iterating task interrupts the
/// wait, ends the sequence (`nil`) and closes the connection, whether the cancellation came
/// during a wait or before it; `close()` or dropping the subscriber closes it too. Iterate it
/// from one task at a time.
public final class RedisSubscriber: AsyncSequence, Sendable {
    public typealias Element = RedisMessage

    /// The channels and patterns this subscriber listens to.
    public let channels: [String]
    public let patterns: [String]
    private let connection: RedisConnection
    private let logger: Logger
    private let state = Mutex(State())

    private struct State {
        /// The connect generation the subscription is active on; `nil` before the first.
        var generation: UInt64?
        /// Messages that arrived while confirmations were read.
        var buffered: [RedisMessage] = []
    }

    init(connection: RedisConnection, channels: [String], patterns: [String], logger: Logger) {
        precondition(!channels.isEmpty || !patterns.isEmpty, "subscribe to at least one channel or pattern")
        self.connection = connection
        self.channels = channels
        self.patterns = patterns
        var logger = logger
        logger[metadataKey: "redis.channels"] = "\((channels + patterns).joined(separator: ","))"
        self.logger = logger
    }

    /// Subscribes now, so messages published after this returns are delivered.
    func start() async throws {
        try await connection.perform(command: "SUBSCRIBE", timeout: .standard, checkIdle: false) { [self] live throws(RedisError) in
            try ensureSubscribed(live)
        }
    }

    /// Unsubscribes by closing the connection; an iteration in progress ends with `nil`.
    public func close() async {
        await connection.close()
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let subscriber: RedisSubscriber

        /// The next message; `nil` after cancellation or `close()`.
        /// - Throws: `RedisError` for authentication and server errors.
        public mutating func next() async throws -> RedisMessage? {
            try await subscriber.next()
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(subscriber: self)
    }

    private func next() async throws -> RedisMessage? {
        let configuration = connection.configuration
        var delay = configuration.initialReconnectDelay
        while !Task.isCancelled {
            do {
                return try await connection.perform(command: "SUBSCRIBE", timeout: .unlimited, checkIdle: false) { [self] live throws(RedisError) in
                    try receive(live)
                }
            } catch {
                switch error.code {
                case .clientClosed:
                    return nil
                case .cancelled:
                    return await ended()
                case .connectionLost, .connectionFailed, .timeout:
                    logger.info("redis subscription interrupted, resubscribing", metadata: ["error": "\(error)"])
                    do {
                        try await Task.sleep(for: delay * Double.random(in: 0.5...1.0))
                    } catch {
                        return await ended()
                    }
                    delay = Swift.min(delay * 2, configuration.maximumReconnectDelay)
                default:
                    throw error
                }
            }
        }
        return await ended()
    }

    /// Ends the subscription of a cancelled iteration: the server stops sending to it.
    private func ended() async -> RedisMessage? {
        await connection.close()
        return nil
    }

    /// Runs on the connection's queue.
    private func receive(_ live: RedisConnection.Live) throws(RedisError) -> RedisMessage {
        try ensureSubscribed(live)
        if let message = state.withLock({ $0.buffered.isEmpty ? nil : $0.buffered.removeFirst() }) { return message }
        while true {
            let value = try HiredisContext.readReply(live.pointer, command: "SUBSCRIBE")
            if let message = RedisMessage(value) { return message }
            if case .error(let text) = value { throw RedisError.serverReply(text, command: "SUBSCRIBE") }
        }
    }

    /// Sends SUBSCRIBE/PSUBSCRIBE when the live context is not the one subscribed on, and
    /// waits for every confirmation. Runs on the connection's queue.
    private func ensureSubscribed(_ live: RedisConnection.Live) throws(RedisError) {
        let previous = state.withLock { $0.generation }
        guard previous != live.generation else { return }
        if !channels.isEmpty { try HiredisContext.append(live.pointer, ["SUBSCRIBE"] + channels.map(RedisArgument.init)) }
        if !patterns.isEmpty { try HiredisContext.append(live.pointer, ["PSUBSCRIBE"] + patterns.map(RedisArgument.init)) }
        var awaiting = channels.count + patterns.count
        while awaiting > 0 {
            let value = try HiredisContext.readReply(live.pointer, command: "SUBSCRIBE")
            if let message = RedisMessage(value) {
                state.withLock { $0.buffered.append(message) }
            } else if case .error(let text) = value {
                throw RedisError.serverReply(text, command: "SUBSCRIBE")
            } else if let kind = value.array?.first?.string, kind == "subscribe" || kind == "psubscribe" {
                awaiting -= 1
            }
        }
        state.withLock { $0.generation = live.generation }
        if previous != nil {
            Counter(label: "alphapulse.redis.resubscribes", factory: connection.metrics).increment()
            logger.info("redis subscription restored")
        }
    }
}

extension RedisClient {
    /// Subscribes to `channels` (and `patterns`, as PSUBSCRIBE) on a new connection of its
    /// own. Messages published after this returns are delivered.
    /// - Throws: `RedisError` if the first subscription cannot be made.
    public func subscribe(to channels: [String], patterns: [String] = []) async throws -> RedisSubscriber {
        let connection = RedisConnection(configuration: configuration, label: "alphapulse.redis.subscriber", logger: logger)
        let subscriber = RedisSubscriber(connection: connection, channels: channels, patterns: patterns, logger: logger)
        try await subscriber.start()
        return subscriber
    }
}
