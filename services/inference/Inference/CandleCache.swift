import Contracts
import Core
import Synchronization

/// The candles the last analysis of each symbol used, kept warm between jobs: bounded in bytes,
/// the least recently used symbol evicted first.
///
/// Each symbol's windows are kept with the candle revision they were read at (migration 0009).
/// `AnalysisStore.windows` reads the revision with the candles after the cached ranges, in one
/// statement; while it is unchanged the stored candles have only grown at the end, so the cached
/// ranges are still what is stored and a job does not reload its 2,000 rows. A changed revision
/// (a repaired gap, a corrected candle) reads every window whole. A job takes its symbol's
/// entry out while it reads (`take`) and stores it back: a job that fails leaves the symbol
/// uncached, and its next job reads whole.
public final class CandleCache: Sendable {
    /// A symbol's cached windows, oldest candle first, and the revision they were read at.
    public struct Entry: Sendable {
        public var revision: Int64
        public var series: [CandleInterval: [Candle]]
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

    /// Approximate bytes of one cached candle (the struct and its share of array storage).
    static let bytesPerCandle = MemoryLayout<Candle>.stride + 8

    private struct Slot {
        var entry: Entry
        var bytes: Int
        var used: UInt64
    }

    private struct State {
        var entries: [MarketSymbol: Slot] = [:]
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

    /// Removes and returns a symbol's entry: its windows are then referenced only by the
    /// caller, which tops them up in place (no copy) and stores them back.
    func take(_ symbol: MarketSymbol) -> Entry? {
        state.withLock { state in
            guard let slot = state.entries.removeValue(forKey: symbol) else { return nil }
            state.bytes -= slot.bytes
            return slot.entry
        }
    }

    func store(_ symbol: MarketSymbol, revision: Int64, series: [CandleInterval: [Candle]], outcome: Outcome) {
        let bytes = series.values.reduce(0) { $0 + $1.count } * Self.bytesPerCandle
        state.withLock { state in
            switch outcome {
            case .hit: state.counts.hits += 1
            case .miss: state.counts.misses += 1
            case .reload: state.counts.reloads += 1
            }
            state.clock += 1
            if let old = state.entries[symbol] { state.bytes -= old.bytes }
            state.entries[symbol] = Slot(entry: Entry(revision: revision, series: series), bytes: bytes, used: state.clock)
            state.bytes += bytes
            // Evict the least recently used until under the bound (never the one just stored):
            // a scan of the entries in place, without copying them (a cache too small for its
            // symbols evicts at almost every job).
            while state.bytes > maxBytes, state.entries.count > 1 {
                var victim: (key: MarketSymbol, used: UInt64, bytes: Int)?
                for (key, slot) in state.entries where key != symbol && slot.used < (victim?.used ?? .max) {
                    victim = (key, slot.used, slot.bytes)
                }
                guard let victim else { break }
                state.bytes -= victim.bytes
                state.entries[victim.key] = nil
                state.counts.evictions += 1
            }
        }
    }

    enum Outcome { case hit, miss, reload }
}
