import Contracts
import Core

/// Ranks the eligible symbols of one market by 24 h quote volume (in USDT, never in
/// contracts or base units), largest first, ties broken by symbol name, and keeps the top
/// `count`. Eligible symbols without a ticker are left out (Binance lists a symbol in
/// exchangeInfo a moment before its ticker exists).
public enum Ranking {
    public static func rank(eligible: [ExchangeSymbol], tickers: [Ticker24h], market: Market, count: Int) -> [TrackedSymbol] {
        guard count > 0 else { return [] }
        var byName: [String: Ticker24h] = [:]
        byName.reserveCapacity(tickers.count)
        for ticker in tickers { byName[ticker.symbol] = ticker }
        var seen = Set<String>()
        let candidates = eligible.compactMap { symbol -> (ExchangeSymbol, Ticker24h)? in
            guard seen.insert(symbol.symbol).inserted, let ticker = byName[symbol.symbol] else { return nil }
            return (symbol, ticker)
        }
        let ordered = candidates.sorted { lhs, rhs in
            if lhs.1.quoteVolumeValue != rhs.1.quoteVolumeValue { return lhs.1.quoteVolumeValue > rhs.1.quoteVolumeValue }
            return lhs.0.symbol < rhs.0.symbol
        }
        return ordered.prefix(count).enumerated().map { index, pair in
            TrackedSymbol(
                market: market, symbol: pair.0.symbol, baseAsset: pair.0.baseAsset, rank: index + 1,
                quoteVolume24h: pair.1.quoteVolume, lastPrice: pair.1.lastPrice, priceChangePercent: pair.1.priceChangePercent)
        }
    }

    /// How many symbols a trustworthy list of `market` must hold at least: half of what
    /// could be tracked (the configured count, or fewer when fewer are eligible — or when the
    /// previous good list was longer than today's eligible set, half of that list, so a
    /// truncated exchangeInfo cannot shrink the list either).
    public static func minimumTrusted(configured: Int, eligible: Int, previouslyTracked: Int) -> Int {
        let expected = max(min(configured, eligible), min(configured, previouslyTracked))
        return (expected + 1) / 2
    }
}
