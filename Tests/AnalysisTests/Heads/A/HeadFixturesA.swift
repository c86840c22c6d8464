import Analysis
import Core

/// Candle and input builders for the technical, sentiment, volume, rule-based and
/// crypto-metrics head tests, namespaced so they cannot clash with other test folders.
enum HeadFixturesA {
    /// The analysis moment, 2024-03-01 00:00 UTC: aligned to every timeframe and to a UTC day,
    /// so every series built here ends with a candle closing at `end − 1`.
    static let end: Int64 = 1_709_251_200_000

    /// A candle of `interval` opening at `openTime`. Taker-buy volume defaults to half the volume.
    static func candle(
        _ interval: CandleInterval, openTime: Int64, open: Double, high: Double, low: Double, close: Double,
        volume: Double = 100, takerBuy: Double? = nil, market: Market = .futures
    ) -> Candle {
        let buy = takerBuy ?? volume / 2
        return Candle(
            market: market, symbol: "BTCUSDT", interval: interval, openTime: openTime,
            closeTime: openTime + interval.milliseconds - 1, open: open, high: high, low: low, close: close, volume: volume,
            quoteVolume: volume * close, trades: 100, takerBuyVolume: buy, takerBuyQuoteVolume: buy * close)
    }

    /// Candles of `interval` with the given closes, the newest closing at `end − 1`. Each opens
    /// at the previous close (the first at its own close less one step of the path); highs and
    /// lows extend the body by `wick` × price. `volumes` and `takerBuyShares` (taker-buy volume
    /// over volume) default to 100 and 0.5.
    static func series(
        _ interval: CandleInterval, closes: [Double], volumes: [Double]? = nil, takerBuyShares: [Double]? = nil,
        wick: Double = 0.001, end: Int64 = end, market: Market = .futures
    ) -> [Candle] {
        let count = closes.count
        let first = end - Int64(count) * interval.milliseconds
        var out: [Candle] = []
        out.reserveCapacity(count)
        for i in 0..<count {
            let close = closes[i]
            let open = i > 0 ? closes[i - 1] : (count > 1 ? close - (closes[1] - close) : close)
            let volume = volumes?[i] ?? 100
            let share = takerBuyShares?[i] ?? 0.5
            out.append(
                candle(
                    interval, openTime: first + Int64(i) * interval.milliseconds, open: open,
                    high: max(open, close) * (1 + wick), low: min(open, close) * (1 - wick), close: close, volume: volume,
                    takerBuy: volume * share, market: market))
        }
        return out
    }

    /// Candles from explicit (open, high, low, close) tuples, the newest closing at `end − 1`.
    static func bars(
        _ interval: CandleInterval, _ ohlc: [(Double, Double, Double, Double)], volume: Double = 100,
        end: Int64 = end, market: Market = .futures
    ) -> [Candle] {
        let first = end - Int64(ohlc.count) * interval.milliseconds
        return ohlc.enumerated().map { i, bar in
            candle(
                interval, openTime: first + Int64(i) * interval.milliseconds, open: bar.0, high: bar.1, low: bar.2,
                close: bar.3, volume: volume, market: market)
        }
    }

    /// (open, high, low, close) tuples for a close path, shaped as ``series`` shapes them.
    static func ohlc(_ closes: [Double], wick: Double = 0.001) -> [(Double, Double, Double, Double)] {
        closes.enumerated().map { i, close in
            let open = i > 0 ? closes[i - 1] : close
            return (open, max(open, close) * (1 + wick), min(open, close) * (1 - wick), close)
        }
    }

    /// Bars reflected around `axis` (x → axis − x, highs and lows swapped): an up move becomes
    /// the same move down.
    static func mirror(_ bars: [(Double, Double, Double, Double)], around axis: Double) -> [(Double, Double, Double, Double)] {
        bars.map { (axis - $0.0, axis - $0.2, axis - $0.1, axis - $0.3) }
    }

    /// `count` closes from `start`, adding `steps` in a repeating cycle.
    static func path(start: Double, count: Int, steps: [Double]) -> [Double] {
        var out: [Double] = []
        out.reserveCapacity(count)
        var price = start
        for i in 0..<count {
            out.append(price)
            price += steps[i % steps.count]
        }
        return out
    }

    /// `prefix` followed by closes that keep walking from its last value with `steps`.
    static func extend(_ prefix: [Double], count: Int, steps: [Double]) -> [Double] {
        guard let last = prefix.last else { return path(start: 100, count: count, steps: steps) }
        return prefix + path(start: last + steps[0], count: count, steps: Array(steps.dropFirst()) + [steps[0]])
    }

    /// Values sampled every `every` ms, the newest at `end − 1`.
    static func timed(_ values: [Double], every: Int64, end: Int64 = end) -> [TimedValue] {
        values.enumerated().map { i, value in TimedValue(time: end - 1 - Int64(values.count - 1 - i) * every, value: value) }
    }

    /// An input with the given candles.
    static func input(
        _ candles: [CandleInterval: [Candle]], market: Market = .futures, derivatives: Derivatives? = nil,
        fearGreed: Double? = nil
    ) -> AnalysisInput {
        AnalysisInput(symbol: "BTCUSDT", market: market, candles: candles, derivatives: derivatives, fearGreed: fearGreed)
    }

    /// Whether a vote can count towards a consensus with the default floors.
    static func counts(_ vote: Vote) -> Bool { vote.probability >= 0.6 && vote.confidence >= 0.7 }

    /// Whether any reason contains `text` (case-insensitive).
    static func mentions(_ vote: Vote, _ text: String) -> Bool {
        vote.reasons.contains { $0.lowercased().contains(text.lowercased()) }
    }

    /// A one-line description for test failure messages.
    static func describe(_ vote: Vote) -> String {
        "\(vote.direction) p=\(vote.probability) c=\(vote.confidence) \(vote.reasons)"
    }
}
