import Binance
import Core
import Logging
import Synchronization

/// Keeps the WebSocket slots of this process subscribed to exactly the streams it owns:
/// `<symbol>@kline_1m` for every owned symbol, plus `<symbol>@markPrice@1s` on futures.
/// Changes to the owned set (a new symbol list, shards moving) are applied live with
/// SUBSCRIBE/UNSUBSCRIBE on the existing connections — streams already subscribed never
/// move — and new connections only where the existing ones are full.
public final class ConnectionManager: Sendable {
    public struct Endpoints: Sendable {
        public var spot: String
        public var futures: String
        public init(spot: String, futures: String) {
            self.spot = spot
            self.futures = futures
        }
    }

    let endpoints: Endpoints
    let limits: [Market: ConnectionLimits]
    let settings: StreamSlot.Settings
    let sink: KlineSink
    let metrics: IngestMetrics
    let logger: Logger
    let onLive: @Sendable (Market, [String]) -> Void
    let attempts: [Market: ConnectAttempts]
    private let state = Mutex<State>(State())

    struct State {
        var slots: [ConnectionID: (slot: StreamSlot, task: Task<Void, Never>)] = [:]
        var nextID = 1
        var stopped = false
    }

    public init(
        endpoints: Endpoints, limits: [Market: ConnectionLimits], settings: StreamSlot.Settings, sink: KlineSink,
        metrics: IngestMetrics, logger: Logger, onLive: @escaping @Sendable (Market, [String]) -> Void
    ) {
        self.endpoints = endpoints
        self.limits = limits
        self.settings = settings
        self.sink = sink
        self.metrics = metrics
        self.logger = logger
        self.onLive = onLive
        var attempts: [Market: ConnectAttempts] = [:]
        for market in Market.allCases { attempts[market] = ConnectAttempts(limits: limits[market] ?? .defaults(for: market)) }
        self.attempts = attempts
    }

    /// The streams for `symbols` of `market`.
    public static func streams(_ symbols: some Sequence<String>, market: Market) -> Set<StreamName> {
        var streams = Set<StreamName>()
        for symbol in symbols {
            if let kline = StreamName.kline(symbol) { streams.insert(kline) }
            if market == .futures, let mark = StreamName.markPrice(symbol) { streams.insert(mark) }
        }
        return streams
    }

    /// Makes the subscriptions match `symbols` per market.
    public func apply(_ symbols: [Market: Set<String>]) {
        state.withLock { state in
            guard !state.stopped else { return }
            var current: [Market: [ConnectionID: Set<StreamName>]] = [:]
            for (id, entry) in state.slots { current[entry.slot.market, default: [:]][id] = entry.slot.streams }
            var desired: [Market: Set<StreamName>] = [:]
            for market in Market.allCases { desired[market] = Self.streams(symbols[market] ?? [], market: market) }
            let plans = ConnectionPlanner.plan(
                desired: desired, current: current, limits: limits, nextConnectionID: ConnectionID(state.nextID))
            for market in Market.allCases {
                guard let plan = plans[market], !plan.isEmpty else { continue }
                for id in plan.close {
                    state.slots[id]?.task.cancel()
                    state.slots[id] = nil
                }
                for id in Set(plan.subscribe.keys).union(plan.unsubscribe.keys) {
                    state.slots[id]?.slot.change(subscribe: plan.subscribe[id] ?? [], unsubscribe: plan.unsubscribe[id] ?? [])
                }
                for open in plan.open {
                    let slot = StreamSlot(
                        id: open.connection, market: market, baseURL: market == .spot ? endpoints.spot : endpoints.futures,
                        streams: Set(open.streams), limits: limits[market] ?? .defaults(for: market), settings: settings, sink: sink,
                        attempts: attempts[market]!, metrics: metrics, logger: logger, onLive: onLive)
                    state.slots[open.connection] = (slot, Task { await slot.run() })
                    state.nextID = max(state.nextID, open.connection.rawValue + 1)
                }
                logger.info("subscriptions changed", metadata: [
                    "market": "\(market.rawValue)", "ws.opened": "\(plan.open.count)", "ws.closed": "\(plan.close.count)",
                    "streams.subscribed": "\(plan.subscribe.values.reduce(0) { $0 + $1.count } + plan.open.reduce(0) { $0 + $1.streams.count })",
                    "streams.unsubscribed": "\(plan.unsubscribe.values.reduce(0) { $0 + $1.count })",
                ])
            }
        }
    }

    /// Every slot, for status.
    public var slots: [StreamSlot] {
        state.withLock { $0.slots.values.map(\.slot) }.sorted { $0.id < $1.id }
    }

    /// Closes every connection and waits for them.
    public func stop() async {
        let tasks = state.withLock { state -> [Task<Void, Never>] in
            state.stopped = true
            defer { state.slots = [:] }
            return state.slots.values.map(\.task)
        }
        for task in tasks { task.cancel() }
        for task in tasks { await task.value }
    }
}
