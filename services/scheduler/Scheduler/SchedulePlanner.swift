import Contracts
import Core

/// What the scheduler decides, as a pure state machine: no I/O and no clock of its own. Time is
/// the exchange clock — the close of the newest committed 1m candle it has seen — so intervals
/// follow the market data (a replay at 60× runs batches 60× faster, and a stalled ingest
/// schedules nothing new to analyse).
public struct SchedulePlanner: Sendable {
    public enum Mode: String, Sendable, CaseIterable {
        case roundRobin = "round_robin"
        case close
        case both

        var roundRobin: Bool { self != .close }
        var onClose: Bool { self != .roundRobin }
    }

    public struct Settings: Sendable, Equatable {
        public var mode: Mode
        public var batchSize: Int
        /// Exchange-clock milliseconds between round-robin batches.
        public var batchInterval: Int64
        /// Intervals whose close triggers an analysis (close mode).
        public var closeIntervals: [CandleInterval]

        public init(mode: Mode, batchSize: Int, batchInterval: Int64, closeIntervals: [CandleInterval]) {
            self.mode = mode
            self.batchSize = batchSize
            self.batchInterval = batchInterval
            self.closeIntervals = closeIntervals
        }
    }

    /// One analysis to enqueue: the symbol at `moment` (open time of its newest committed 1m candle).
    public struct Trigger: Sendable, Hashable {
        public var symbol: MarketSymbol
        public var moment: Int64
        public var reason: String

        public init(symbol: MarketSymbol, moment: Int64, reason: String) {
            self.symbol = symbol
            self.moment = moment
            self.reason = reason
        }
    }

    /// A round-robin batch due now.
    public struct Batch: Sendable, Equatable {
        public var triggers: [Trigger]
        /// Symbols of the batch with no committed candle yet: passed over, counted.
        public var skipped: [MarketSymbol]
        public var position: MarketSymbol
        public var completesCycle: Bool
    }

    public let settings: Settings
    /// Active symbols, sorted.
    public private(set) var active: [MarketSymbol] = []
    private var activeSet: Set<MarketSymbol> = []
    /// Newest committed 1m open time per symbol.
    public private(set) var newest: [MarketSymbol: Int64] = [:]
    /// Close of the newest committed 1m candle of any symbol, Unix ms (0 before any).
    public private(set) var exchangeTime: Int64 = 0
    /// Exchange time the next round-robin batch is due at; nil: due as soon as there is data.
    public private(set) var nextBatchAt: Int64?

    public init(settings: Settings) {
        self.settings = settings
    }

    /// Replaces the active list. Known moments of symbols that stay are kept.
    public mutating func setActive(_ symbols: some Sequence<MarketSymbol>) {
        activeSet = Set(symbols)
        active = activeSet.sorted()
        newest = newest.filter { activeSet.contains($0.key) }
    }

    /// Active symbols whose newest committed candle is not known yet (to look up in PostgreSQL).
    public var unseeded: [MarketSymbol] { active.filter { newest[$0] == nil } }

    /// The newest committed 1m open time of `symbol`, as read from PostgreSQL at start.
    public mutating func seed(_ symbol: MarketSymbol, newest openTime: Int64) {
        guard activeSet.contains(symbol) else { return }
        advance(symbol, to: openTime)
    }

    /// A committed-candle event. Returns the close-mode trigger when the event brings the
    /// symbol's newest candle forward and a configured interval closed with a minute of it
    /// (the analysis then includes that candle). An older range (a backfilled gap) moves
    /// nothing and triggers nothing.
    public mutating func stored(_ event: StoredCandles) -> Trigger? {
        let symbol = MarketSymbol(event.market, event.symbol)
        guard activeSet.contains(symbol) else { return nil }
        let previous = newest[symbol]
        guard previous.map({ event.to > $0 }) ?? true else { return nil }
        advance(symbol, to: event.to)
        guard settings.mode.onClose else { return nil }
        // The largest configured interval that closed within the new minutes.
        let first = max(event.from, (previous ?? event.from - 60_000) + 60_000)
        let closed = settings.closeIntervals.sorted(by: >).first { interval in
            // A close within [first, to]: the minute before an interval boundary.
            interval.bucketStart(event.to + 60_000) >= first + 60_000
        }
        guard let closed else { return nil }
        return Trigger(symbol: symbol, moment: event.to, reason: "close_" + closed.rawValue)
    }

    /// The round-robin batch due at the current exchange time, if any. It is not taken until
    /// `batchEnqueued()` is called (an enqueue that fails is retried with the same batch).
    ///
    /// Ingest commits each symbol's closed minute on its own, and the first commit of a minute
    /// moves the exchange clock: a batch symbol whose candle of that minute is not committed
    /// yet would be analysed a minute late. So a due batch waits for its symbols' current
    /// minutes, for at most one minute of exchange time; then it is taken with the moments
    /// there are (a stalled symbol must not hold the cycle). The first batch never waits.
    public func dueBatch(after position: MarketSymbol?) -> Batch? {
        guard settings.mode.roundRobin, exchangeTime > 0 else { return nil }
        if let nextBatchAt, exchangeTime < nextBatchAt { return nil }
        guard let batch = RoundRobin.batch(active: active, after: position, size: settings.batchSize) else { return nil }
        if let nextBatchAt, exchangeTime < nextBatchAt + 60_000,
            batch.symbols.contains(where: { symbol in newest[symbol].map { $0 < exchangeTime - 60_000 } ?? false })
        {
            return nil
        }
        var triggers: [Trigger] = []
        var skipped: [MarketSymbol] = []
        for symbol in batch.symbols {
            if let moment = newest[symbol] {
                triggers.append(Trigger(symbol: symbol, moment: moment, reason: "schedule"))
            } else {
                skipped.append(symbol)
            }
        }
        return Batch(triggers: triggers, skipped: skipped, position: batch.position, completesCycle: batch.completesCycle)
    }

    /// The due batch was enqueued (or fenced off): the next is due one interval later.
    public mutating func batchEnqueued() {
        nextBatchAt = exchangeTime + settings.batchInterval
    }

    private mutating func advance(_ symbol: MarketSymbol, to openTime: Int64) {
        newest[symbol] = max(newest[symbol] ?? openTime, openTime)
        exchangeTime = max(exchangeTime, openTime + 60_000)
    }
}
