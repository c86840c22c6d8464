import Binance
import Core
import Foundation
import Logging
import Metrics
import NIOCore
import Synchronization
import WSClient

/// One logical WebSocket connection: a set of streams of one market kept subscribed on a live
/// socket.
///
/// - A session connects to `{base}/stream`, subscribes its streams (paced under the
///   per-connection message limit) and feeds every frame to the sink. The WebSocket layer
///   answers Binance's pings.
/// - A session ends when the socket fails, when no frame arrives for
///   `connectionSilence`, or when a subscribed kline stream stays silent for
///   `symbolSilence`; the slot then reconnects after a doubling, jittered backoff, within the
///   process-wide connection-attempt limit.
/// - Before Binance's 24 h cut (`rotateAfter`) a new session is opened and subscribed; the
///   old one closes only once the new one has delivered a closed kline, so the two overlap
///   across a minute boundary and no minute goes unseen.
/// - After every session that delivers klines, `onLive` names the kline symbols, so gaps
///   from the time without a socket are backfilled.
public final class StreamSlot: Sendable {
    public struct Settings: Sendable {
        public var connectionSilence: Duration
        public var symbolSilence: Duration
        public var rotateAfter: Duration
        public var reconnectMin: Double
        public var reconnectMax: Double

        public init(connectionSilence: Duration, symbolSilence: Duration, rotateAfter: Duration, reconnectMin: Double, reconnectMax: Double) {
            self.connectionSilence = connectionSilence
            self.symbolSilence = symbolSilence
            self.rotateAfter = rotateAfter
            self.reconnectMin = reconnectMin
            self.reconnectMax = reconnectMax
        }
    }

    public let id: ConnectionID
    public let market: Market
    let url: String
    let limits: ConnectionLimits
    let settings: Settings
    let sink: KlineSink
    let attempts: ConnectAttempts
    let onLive: @Sendable (Market, [String]) -> Void
    let logger: Logger
    let state: Mutex<State>
    let metrics: IngestMetrics

    struct State {
        var streams: Set<StreamName>
        var sessions: [Int: SessionControl] = [:]
        var nextSession = 0
        var nextRequestID = 1
        var status = SlotStatus()
    }

    /// What the slot reports in the heartbeat.
    public struct SlotStatus: Sendable, Codable {
        public var connectedSince: Int64?
        public var frames: Int = 0
        public var lastFrameAt: Int64?
        public var reconnects: Int = 0
        public var lastError: String?
    }

    /// A live session's mailbox for subscription changes, and its silence watchdog.
    struct SessionControl: Sendable {
        let requests: AsyncStream<SubscriptionRequest>.Continuation
        let tracker: SessionTracker
    }

    init(
        id: ConnectionID, market: Market, baseURL: String, streams: Set<StreamName>, limits: ConnectionLimits, settings: Settings,
        sink: KlineSink, attempts: ConnectAttempts, metrics: IngestMetrics, logger: Logger,
        onLive: @escaping @Sendable (Market, [String]) -> Void
    ) {
        self.id = id
        self.market = market
        self.url = baseURL + "/stream"
        self.limits = limits
        self.settings = settings
        self.sink = sink
        self.attempts = attempts
        self.metrics = metrics
        var logger = logger
        logger[metadataKey: "ws.connection"] = "\(market.rawValue):\(id)"
        self.logger = logger
        self.onLive = onLive
        self.state = Mutex(State(streams: streams))
    }

    public var streams: Set<StreamName> { state.withLock { $0.streams } }
    public var status: SlotStatus { state.withLock { $0.status } }

    /// Changes the slot's streams; live sessions send the UNSUBSCRIBE/SUBSCRIBE requests.
    func change(subscribe: [StreamName], unsubscribe: [StreamName]) {
        state.withLock { state in
            state.streams.subtract(unsubscribe)
            state.streams.formUnion(subscribe)
            var requests = SubscriptionRequest.batches(.unsubscribe, streams: unsubscribe, limits: limits, nextID: &state.nextRequestID)
            requests += SubscriptionRequest.batches(.subscribe, streams: subscribe, limits: limits, nextID: &state.nextRequestID)
            let now = Self.now()
            let added = subscribe.compactMap(Self.klineSymbol), removed = unsubscribe.compactMap(Self.klineSymbol)
            for control in state.sessions.values {
                // Silence of an added symbol counts from now, not from when the session opened.
                control.tracker.change(subscribed: added, unsubscribed: removed, at: now)
                for request in requests { control.requests.yield(request) }
            }
        }
    }

    enum Event: Sendable {
        case live(Int)
        /// The session delivered its first closed kline: it has seen a minute boundary, so a
        /// connection it replaces may go without losing the minute that closed during the overlap.
        case closedSeen(Int)
        case rotateDue(Int)
        case ended(Int, String?)
    }

    /// Runs sessions until cancelled.
    func run() async {
        let (events, eventSink) = AsyncStream.makeStream(of: Event.self)
        var tasks: [Int: Task<Void, Never>] = [:]
        var current: Int
        var rotatingTo: Int?
        var failures = 0

        func start(after delay: Duration) -> Int {
            let number = state.withLock { state -> Int in
                state.nextSession += 1
                return state.nextSession
            }
            tasks[number] = Task {
                if delay > .zero { try? await Task.sleep(for: delay) }
                let error = await self.session(number, events: eventSink)
                eventSink.yield(.ended(number, error))
            }
            return number
        }

        current = start(after: .zero)
        // Ends when the slot's task is cancelled.
        for await event in events {
            switch event {
            case .rotateDue(let number) where number == current && rotatingTo == nil:
                logger.info("rotating the connection before Binance's 24 h limit")
                rotatingTo = start(after: .zero)
            case .live:
                failures = 0
            case .closedSeen(let number):
                if number == rotatingTo {
                    tasks[current]?.cancel()
                    current = number
                    rotatingTo = nil
                }
            case .ended(let number, let error):
                tasks[number] = nil
                if number == current {
                    if let next = rotatingTo {
                        current = next
                        rotatingTo = nil
                    } else if !Task.isCancelled {
                        failures += 1
                        let ceiling = min(settings.reconnectMax, settings.reconnectMin * pow(2, Double(min(failures - 1, 30))))
                        let wait = ceiling * Double.random(in: 0.5...1)
                        state.withLock {
                            $0.status.reconnects += 1
                            $0.status.connectedSince = nil
                            $0.status.lastError = error
                        }
                        metrics.reconnect()
                        logger.warning("connection lost; reconnecting", metadata: [
                            "error": "\(error ?? "closed")", "retry.seconds": "\(String(format: "%.2f", wait))",
                        ])
                        current = start(after: .milliseconds(Int64(wait * 1000)))
                    }
                } else if number == rotatingTo {
                    rotatingTo = nil
                }
            default:
                break
            }
        }
        for task in tasks.values { task.cancel() }
        for task in tasks.values { await task.value }
        eventSink.finish()
    }

    /// One socket, from connect to close. Returns why it ended (nil: cancelled or closed cleanly).
    private func session(_ number: Int, events: AsyncStream<Event>.Continuation) async -> String? {
        // The per-IP connection-attempt limit, shared by the process's slots.
        while let wait = attempts.reserve(), !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(wait))
        }
        if Task.isCancelled { return nil }
        let (requests, requestSink) = AsyncStream.makeStream(of: SubscriptionRequest.self)
        let started = Self.now()
        let (initial, tracker) = state.withLock { state -> ([SubscriptionRequest], SessionTracker) in
            let tracker = SessionTracker(SilenceWatchdog(
                started: started, connectionLimit: settings.connectionSilence.milliseconds, symbolLimit: settings.symbolSilence.milliseconds,
                symbols: state.streams.compactMap(Self.klineSymbol)))
            state.sessions[number] = SessionControl(requests: requestSink, tracker: tracker)
            return (SubscriptionRequest.batches(.subscribe, streams: state.streams.sorted(), limits: limits, nextID: &state.nextRequestID), tracker)
        }
        for request in initial { requestSink.yield(request) }
        defer {
            requestSink.finish()
            _ = state.withLock { $0.sessions.removeValue(forKey: number) }
        }
        let market = self.market
        do {
            try await WebSocketClient.connect(
                url: url, configuration: .init(maxFrameSize: 1 << 22, closeTimeout: .seconds(2)), logger: logger
            ) { inbound, outbound, _ in
                // However the session ends (cancelled, silent, failed), close the socket now
                // rather than leave it to the server's ping timeout.
                defer { Task { try? await outbound.close(.goingAway, reason: nil) } }
                try await withThrowingTaskGroup(of: Void.self) { group in
                    // Writer: paced subscription requests.
                    group.addTask {
                        var pacer = SlidingWindowLimiter.messagePacer(self.limits)
                        for await request in requests {
                            let now = Self.now()
                            let next = pacer.nextAllowedTime(at: now)
                            if next > now { try await Task.sleep(for: .milliseconds(next - now)) }
                            pacer.record(at: Self.now())
                            try await outbound.write(.text(request.json))
                        }
                    }
                    // Watchdog: silence, and the rotation deadline.
                    group.addTask {
                        var rotationAnnounced = false
                        while true {
                            try await Task.sleep(for: .milliseconds(250))
                            let now = Self.now()
                            if let problem = tracker.verdict(at: now) { throw SessionEnd(reason: problem) }
                            if !rotationAnnounced, now - tracker.started >= self.settings.rotateAfter.milliseconds {
                                rotationAnnounced = true
                                events.yield(.rotateDue(number))
                            }
                        }
                    }
                    // Reader.
                    group.addTask {
                        var dropLog = DropLogLimiter()
                        var iterator = inbound.messages(maxSize: 1 << 22).makeAsyncIterator()
                        var announced = false
                        var closedSeen = false
                        while let message = try await iterator.next() {
                            guard case .text(let text) = message else { continue }
                            let now = Self.now()
                            tracker.frame(at: now)
                            self.state.withLock {
                                $0.status.frames += 1
                                $0.status.lastFrameAt = now
                                if $0.status.connectedSince == nil { $0.status.connectedSince = now }
                            }
                            self.metrics.frame()
                            do throws(FrameReject) {
                                switch try BinanceFrame.parse(text, market: market) {
                                case .kline(let update):
                                    tracker.kline(update.symbol, at: now)
                                    self.sink.kline(update, market: market)
                                    if update.isClosed, !closedSeen {
                                        closedSeen = true
                                        events.yield(.closedSeen(number))
                                    }
                                    if !announced {
                                        announced = true
                                        events.yield(.live(number))
                                        self.onLive(market, self.state.withLock { $0.streams }.compactMap {
                                            $0.kind == .kline(.oneMinute) ? $0.symbol : nil
                                        })
                                    }
                                case .markPrice(let update):
                                    self.sink.markPrice(update)
                                case .subscriptionReply:
                                    break
                                case .subscriptionError(let error):
                                    self.logger.warning("subscription refused", metadata: ["error": "\(error)"])
                                }
                            } catch {
                                self.metrics.dropped(error.reason.rawValue)
                                // Logged, but at most a few lines a minute per connection: a
                                // broken feed must not flood the log.
                                let level: Logger.Level = dropLog.allow(now: now) ? .warning : .debug
                                self.logger.log(level: level, "frame dropped", metadata: [
                                    "reason": "\(error.reason.rawValue)", "field": "\(error.field ?? "")", "frame": "\(text.prefix(120))",
                                ])
                            }
                        }
                        throw SessionEnd(reason: "closed by the server")
                    }
                    try await group.next()
                    group.cancelAll()
                }
            }
            return Task.isCancelled ? nil : "closed"
        } catch let end as SessionEnd {
            return end.reason
        } catch {
            return Task.isCancelled ? nil : "\(error)"
        }
    }

    static func klineSymbol(_ stream: StreamName) -> String? {
        stream.kind == .kline(.oneMinute) ? stream.symbol : nil
    }

    static func now() -> Int64 {
        Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
    }
}

/// At most 5 dropped-frame warnings per minute.
struct DropLogLimiter {
    var windowStart: Int64 = 0
    var count = 0

    mutating func allow(now: Int64) -> Bool {
        if now - windowStart >= 60_000 {
            windowStart = now
            count = 0
        }
        count += 1
        return count <= 5
    }
}

struct SessionEnd: Error {
    var reason: String
}

/// One session's `SilenceWatchdog`, shared by its reader, its watchdog task and live changes.
final class SessionTracker: Sendable {
    let started: Int64
    private let watchdog: Mutex<SilenceWatchdog>

    init(_ watchdog: SilenceWatchdog) {
        self.started = watchdog.started
        self.watchdog = Mutex(watchdog)
    }

    func frame(at time: Int64) {
        watchdog.withLock { $0.frame(at: time) }
    }

    func kline(_ symbol: String, at time: Int64) {
        watchdog.withLock { $0.kline(symbol, at: time) }
    }

    func change(subscribed: [String], unsubscribed: [String], at time: Int64) {
        watchdog.withLock { watchdog in
            watchdog.unsubscribed(unsubscribed)
            watchdog.subscribed(subscribed, at: time)
        }
    }

    /// Why the session should be replaced, if it should.
    func verdict(at now: Int64) -> String? {
        watchdog.withLock { $0.verdict(at: now) }
    }
}

/// The process-wide connection-attempt limit of one market (Binance counts attempts per IP).
final class ConnectAttempts: Sendable {
    private let limiter: Mutex<SlidingWindowLimiter>

    init(limits: ConnectionLimits) {
        limiter = Mutex(SlidingWindowLimiter.connectionAttempts(limits))
    }

    /// Records an attempt now and returns nil, or returns the milliseconds to wait.
    func reserve() -> Int64? {
        let now = StreamSlot.now()
        return limiter.withLock { limiter in
            let next = limiter.nextAllowedTime(at: now)
            if next <= now {
                limiter.record(at: now)
                return nil
            }
            return next - now
        }
    }
}

extension Duration {
    var milliseconds: Int64 { components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000 }
}
