import Contracts
import Core
@testable import Inference
import Testing

/// The inference's window cache: bounded in bytes, the least recently stored symbol evicted
/// first, never the one just stored.
@Suite struct CandleCacheTests {
    static func series(_ symbol: String, count: Int) -> [CandleInterval: [Candle]] {
        [.oneMinute: (0..<count).map { index in
            let open = Int64(index) * 60_000
            return Candle(
                market: .futures, symbol: symbol, interval: .oneMinute, openTime: open, closeTime: open + 59_999,
                open: 1, high: 1, low: 1, close: 1, volume: 1, quoteVolume: 1, trades: 1, takerBuyVolume: 1, takerBuyQuoteVolume: 1)
        }]
    }

    @Test func evictsTheLeastRecentlyStoredSymbolFirst() {
        let perSymbol = 100 * CandleCache.bytesPerCandle
        let cache = CandleCache(maxBytes: 3 * perSymbol)
        let names = ["A", "B", "C", "D", "E"]
        let symbols = names.map { MarketSymbol(.futures, $0) }
        for (symbol, name) in zip(symbols[..<3], names) {
            cache.store(symbol, revision: 1, series: Self.series(name, count: 100), outcome: .miss)
        }
        #expect(cache.symbols == 3 && cache.bytes == 3 * perSymbol && cache.counts.evictions == 0)
        // A is used again (taken and stored back): B is now the least recently used.
        let entry = cache.take(symbols[0])
        #expect(entry?.series[.oneMinute]?.count == 100)
        cache.store(symbols[0], revision: 1, series: entry?.series ?? [:], outcome: .hit)
        cache.store(symbols[3], revision: 1, series: Self.series("D", count: 100), outcome: .miss)
        #expect(cache.take(symbols[1])?.revision == nil, "B, the least recently used, was evicted")
        #expect(cache.counts == .init(hits: 1, misses: 4, reloads: 0, evictions: 1))
        // A symbol twice the room of one evicts the two least recently used (C, then A), and
        // stays though it alone is over the bound once the rest is gone.
        cache.store(symbols[4], revision: 1, series: Self.series("E", count: 200), outcome: .miss)
        #expect(cache.take(symbols[2])?.revision == nil && cache.take(symbols[0])?.revision == nil)
        #expect(cache.symbols == 2 && cache.bytes == 3 * perSymbol, "D and E are left")
        cache.store(symbols[4], revision: 2, series: Self.series("E", count: 400), outcome: .reload)
        #expect(cache.symbols == 1 && cache.bytes == 4 * perSymbol, "only E, the one just stored, is left")
        #expect(cache.counts.evictions == 4)
    }
}
