import Foundation
import NIOCore
import Synchronization

/// One live WebSocket connection: its streams, counters, limits and pending faults. Thread-safe;
/// the connection's send loop, its request reader and the hub's fault controls share it.
public final class StreamConnection: Sendable {
    /// Why the server ends a connection.
    public enum CloseReason: String, Sendable {
        case dropped = "dropped by fault injection"
        case lifetime = "connection lifetime reached"
        case messageRate = "too many incoming messages"
        case pongTimeout = "pong timeout"
    }

    public let id: Int
    public let market: ReplayMarket
    /// Request path, e.g. "/market/stream".
    public let path: String
    /// Wall-clock Unix milliseconds of the upgrade.
    public let connectedSince: Int64
    let limits: Limits

    struct Limits: Sendable {
        var maxStreams: Int
        var messagesPerSecond: Int
        var lifetime: Duration
        var pingInterval: Duration
        var pongTimeout: Duration
        var klineUpdate: Duration

        init(market: ReplayMarket, options: ReplayOptions) {
            func seconds(_ value: Double) -> Duration { .seconds(clamping: max(value, 0.001)) }
            switch market {
            case .spot:
                maxStreams = options.spotMaxStreams
                messagesPerSecond = options.spotMessagesPerSecond
                pingInterval = seconds(options.spotPingIntervalSeconds)
                pongTimeout = seconds(options.spotPongTimeoutSeconds)
                klineUpdate = seconds(options.spotKlineUpdateSeconds)
            case .futures:
                maxStreams = options.futuresMaxStreams
                messagesPerSecond = options.futuresMessagesPerSecond
                pingInterval = seconds(options.futuresPingIntervalSeconds)
                pongTimeout = seconds(options.futuresPongTimeoutSeconds)
                klineUpdate = seconds(options.futuresKlineUpdateSeconds)
            }
            lifetime = seconds(options.connectionLifetimeSeconds)
        }
    }

    struct Subscriptions {
        /// In subscription order (LIST_SUBSCRIPTIONS answers in this order).
        var streams: [StreamName] = []
        /// Replay minute (open time) of each stream's first final kline frame.
        var firstFinal: [StreamName: Int64] = [:]
        var combined: Bool
        /// Bumped on every change so the send loop copies the list only when it changed.
        var version = 0
    }

    struct Liveness {
        /// Pings not yet answered, oldest first.
        var outstandingPings: [(payload: UInt64, sentAt: ContinuousClock.Instant)] = []
        /// Arrival times of the latest incoming messages (at most `messagesPerSecond`).
        var recentMessages: [ContinuousClock.Instant] = []
        var closeRequest: CloseReason?
        var stallUntil: ContinuousClock.Instant?
        /// The NIO channel when the frame observer could be installed (abrupt drops, pong checks).
        var channel: (any Channel)?
    }

    let subscriptions: Mutex<Subscriptions>
    let liveness = Mutex(Liveness())
    let framesSentCounter = Atomic<Int>(0)
    let pendingMalformed = Atomic<Int>(0)
    let pendingDuplicate = Atomic<Int>(0)
    let pendingOutOfOrder = Atomic<Int>(0)
    /// Whether control frames are observed (see `FrameObserver`); otherwise only data messages
    /// count against the rate limit and pong timeouts cannot be enforced.
    let observesControlFrames = Atomic<Bool>(false)

    init(id: Int, market: ReplayMarket, path: String, streams: [StreamName], combined: Bool, options: ReplayOptions, nowMillis: Int64) {
        self.id = id
        self.market = market
        self.path = path
        self.connectedSince = Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
        self.limits = Limits(market: market, options: options)
        var initial = Subscriptions(combined: combined)
        let minute = Self.minute(of: nowMillis)
        for stream in streams where initial.firstFinal[stream] == nil {
            initial.streams.append(stream)
            initial.firstFinal[stream] = minute
        }
        self.subscriptions = Mutex(initial)
    }

    /// Current stream names, in subscription order.
    public var streams: [StreamName] { subscriptions.withLock { $0.streams } }
    /// Data frames sent so far.
    public var framesSent: Int { framesSentCounter.load(ordering: .relaxed) }

    static func minute(of millis: Int64) -> Int64 { millis - ((millis % 60_000) + 60_000) % 60_000 }

    // MARK: - Limits and liveness

    /// Asks the connection to close; the send loop closes it within a few milliseconds, and at
    /// once (without a close handshake) when `abrupt` and the channel is known.
    func requestClose(_ reason: CloseReason, abrupt: Bool = false) {
        let channel = liveness.withLock { state -> (any Channel)? in
            if state.closeRequest == nil { state.closeRequest = reason }
            return abrupt ? state.channel : nil
        }
        channel?.close(promise: nil)
    }

    var closeRequest: CloseReason? { liveness.withLock { $0.closeRequest } }

    /// Counts one incoming message (data, ping or pong frame); past the per-second limit the
    /// connection is closed, as Binance does.
    func recordIncomingMessage(at now: ContinuousClock.Instant = .now) {
        let limit = max(limits.messagesPerSecond, 1)
        let exceeded = liveness.withLock { state -> Bool in
            if state.recentMessages.count == limit {
                let oldest = state.recentMessages.removeFirst()
                state.recentMessages.append(now)
                return now - oldest < .seconds(1)
            }
            state.recentMessages.append(now)
            return false
        }
        if exceeded { requestClose(.messageRate) }
    }

    func recordPing(payload: UInt64, at now: ContinuousClock.Instant) {
        guard observesControlFrames.load(ordering: .relaxed) else { return }
        liveness.withLock { $0.outstandingPings.append((payload, now)) }
    }

    /// A pong answers the ping with the same payload and every ping before it; unsolicited pongs
    /// do not keep a connection alive (as Binance documents).
    func receivedPong(payload: UInt64?) {
        guard let payload else { return }
        liveness.withLock { state in
            if let index = state.outstandingPings.firstIndex(where: { $0.payload == payload }) {
                state.outstandingPings.removeFirst(index + 1)
            }
        }
    }

    /// Whether the oldest unanswered ping is older than the pong timeout.
    func pongOverdue(at now: ContinuousClock.Instant) -> Bool {
        liveness.withLock { state in
            guard let oldest = state.outstandingPings.first else { return false }
            return now - oldest.sentAt > limits.pongTimeout
        }
    }

    // MARK: - Faults

    func stall(until instant: ContinuousClock.Instant) {
        liveness.withLock { $0.stallUntil = instant }
    }

    /// The end of the stall in progress, if any.
    func stalled(at now: ContinuousClock.Instant) -> ContinuousClock.Instant? {
        liveness.withLock { state in
            guard let until = state.stallUntil else { return nil }
            if until <= now { state.stallUntil = nil; return nil }
            return until
        }
    }

    /// Takes one unit of a pending fault; false when none is pending.
    static func takeOne(_ counter: borrowing Atomic<Int>) -> Bool {
        var current = counter.load(ordering: .relaxed)
        while current > 0 {
            let (exchanged, original) = counter.compareExchange(expected: current, desired: current - 1, ordering: .relaxed)
            if exchanged { return true }
            current = original
        }
        return false
    }
}
