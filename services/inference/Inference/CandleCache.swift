import Contracts
import Core
import Synchronization

/// The candles the last analysis of each symbol used, kept warm between jobs: bounded in bytes,
/// the least recently used symbol evicted first.
///
/// A hit is checked against PostgreSQL before it is used (`AnalysisStore.windows`): per
/// interval, the count of stored candles over the cached range and their newest `updated_at`
/// must equal what was cached, so a backfilled gap or a corrected candle inside the range
/// reloads that interval. Only the candles after the cached range are then read: a job does
/// not reload its 2,000 rows.
public final class CandleCache: Sendable {
    /// One interval's cached candles (oldest first) and each one's `updated_at` as read.
    public struct Series: Sendable {
        public var candles: [Candle]
        /// `updated_at` of each candle, µs since 1970, in the same order.
        public var stamps: [Int64]

        /// Newest `updated_at` of the candles: what the stored range must still show. Kept per
        /// candle, so that when the window moves past the candle that was updated last the
        /// stamp moves with it (a stamp kept as one maximum then no longer matched the range,
        /// and every symbol reloaded its windows about once an hour).
        public var updated: Int64 { stamps.max() ?? 0 }
    }

    public struct Counts: Sendable, Equatable {
        public var hits = 0
        public var misses = 0
        public var reloads = 0
        public var evictions = 0

        public init(hits: Int = 0, misses: Int = 0, reloads: Int = 0, evictions: Int = 0) {
            self.hits = hits
            self.misses = misses
            self.reloads = reloads
            self.evictions = evictions
        }
    }

    /// Approximate bytes of one cached candle (the struct, its stamp and their share of array storage).
    static let bytesPerCandle = MemoryLayout<Candle>.stride + MemoryLayout<Int64>.stride + 8

    private struct Entry {
        var series: [CandleInterval: Series]
        var bytes: Int
        var used: UInt64
    }

    private struct State {
        var entries: [MarketSymbol: Entry] = [:]
        var bytes = 0
        var clock: UInt64 = 0
        var counts = Counts()
    }

    public let maxBytes: Int
    private let state = Mutex(State())

    public init(maxBytes: Int) {
        self.maxBytes = maxBytes
    }

    public var counts: Counts { state.withLock { $0.counts } }
    public var bytes: Int { state.withLock { $0.bytes } }
    public var symbols: Int { state.withLock { $0.entries.count } }

    func series(_ symbol: MarketSymbol) -> [CandleInterval: Series]? {
        state.withLock { state in
            guard var entry = state.entries[symbol] else { return nil }
            state.clock += 1
            entry.used = state.clock
            state.entries[symbol] = entry
            return entry.series
        }
    }

    func store(_ symbol: MarketSymbol, _ series: [CandleInterval: Series], outcome: Outcome) {
        let bytes = series.values.reduce(0) { $0 + $1.candles.count } * Self.bytesPerCandle
        state.withLock { state in
            switch outcome {
            case .hit: state.counts.hits += 1
            case .miss: state.counts.misses += 1
            case .reload: state.counts.reloads += 1
            }
            state.clock += 1
            if let old = state.entries[symbol] { state.bytes -= old.bytes }
            state.entries[symbol] = Entry(series: series, bytes: bytes, used: state.clock)
            state.bytes += bytes
            // Evict the least recently used until under the bound (never the one just stored).
            while state.bytes > maxBytes, state.entries.count > 1,
                  let victim = state.entries.filter({ $0.key != symbol }).min(by: { $0.value.used < $1.value.used }) {
                state.bytes -= victim.value.bytes
                state.entries[victim.key] = nil
                state.counts.evictions += 1
            }
        }
    }

    enum Outcome { case hit, miss, reload }
}
