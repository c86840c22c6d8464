import Analysis
import Core

/// Builders for the ICT, Wyckoff, harmonic and market-structure head tests: a price path of
/// bars on one timeframe, split into 1m candles and rolled up into every higher timeframe with
/// the library's aggregator, so all timeframes tell the same story with correct UTC times.
enum HeadFixturesB {
    /// One bar of a crafted path.
    struct Bar {
        var open: Double
        var high: Double
        var low: Double
        var close: Double
        var volume: Double
    }

    /// 2024-01-01 00:00 UTC.
    static let epoch: Int64 = 1_704_067_200_000
    static let minute: Int64 = 60_000

    /// Bars through `closes`: each opens at the previous close (the first at `from`) and wicks
    /// `wick` beyond its body.
    static func bars(from: Double, _ closes: [Double], wick: Double = 0.05, volume: Double = 100) -> [Bar] {
        var open = from
        return closes.map { close in
            defer { open = close }
            return Bar(
                open: open, high: max(open, close) + wick, low: min(open, close) - wick, close: close, volume: volume)
        }
    }

    /// `count` bars alternating ±`swing` / 2 around `level`: no swings, no gaps.
    static func flat(_ count: Int, at level: Double, swing: Double = 0.2, wick: Double = 0.05, volume: Double = 100)
        -> [Bar]
    {
        bars(from: level, (0..<count).map { level + ($0 % 2 == 0 ? swing / 2 : -swing / 2) }, wick: wick, volume: volume)
    }

    /// `count` closes moving linearly from `from` (exclusive) to `to` (inclusive).
    static func line(from: Double, to: Double, _ count: Int) -> [Double] {
        (1...count).map { from + (to - from) * Double($0) / Double(count) }
    }

    /// Closes of `legs` linear legs through `points` (the first point is the start, excluded),
    /// `barsPerLeg` bars each.
    static func legs(_ points: [Double], barsPerLeg: Int) -> [Double] {
        var out: [Double] = []
        for k in 1..<points.count { out += line(from: points[k - 1], to: points[k], barsPerLeg) }
        return out
    }

    /// The path reflected around `pivot` (highs become lows): the short mirror of a long case.
    static func mirror(_ bars: [Bar], around pivot: Double) -> [Bar] {
        bars.map {
            Bar(open: 2 * pivot - $0.open, high: 2 * pivot - $0.low, low: 2 * pivot - $0.high, close: 2 * pivot - $0.close,
                volume: $0.volume)
        }
    }

    /// 1m candles for `bars` of `interval`, the last closing at `endMinute` minutes after
    /// midnight UTC on 2024-03-01. Each bar's minutes walk open → low → high → close (open →
    /// high → low → close for a down bar), so they roll up to exactly the bar.
    static func minutes(_ bars: [Bar], interval: CandleInterval, endMinute: Int = 8 * 60) -> [Candle] {
        let k = Int(interval.milliseconds / minute)
        let end = epoch + 60 * 86_400_000 + Int64(endMinute) * minute
        precondition(end % interval.milliseconds == 0, "the path must end on an \(interval.rawValue) boundary")
        let start = end - Int64(bars.count * k) * minute
        var out: [Candle] = []
        out.reserveCapacity(bars.count * k)
        for (b, bar) in bars.enumerated() {
            let up = bar.close >= bar.open
            let path = [bar.open, up ? bar.low : bar.high, up ? bar.high : bar.low, bar.close]
            func value(_ t: Double) -> Double {
                let x = min(max(t, 0), 1) * 3
                let i = min(Int(x), 2)
                return path[i] + (path[i + 1] - path[i]) * (x - Double(i))
            }
            for m in 0..<k {
                let t0 = Double(m) / Double(k)
                let t1 = Double(m + 1) / Double(k)
                let o = value(t0)
                let c = value(t1)
                var hi = max(o, c)
                var lo = min(o, c)
                for v in 1...2 where Double(v) / 3 > t0 && Double(v) / 3 < t1 {
                    hi = max(hi, path[v])
                    lo = min(lo, path[v])
                }
                let openTime = start + Int64(b * k + m) * minute
                let volume = bar.volume / Double(k)
                out.append(
                    Candle(
                        market: .futures, symbol: "TESTUSDT", interval: .oneMinute, openTime: openTime,
                        closeTime: openTime + minute - 1, open: o, high: hi, low: lo, close: c, volume: volume,
                        quoteVolume: volume * c, trades: 10, takerBuyVolume: volume / 2,
                        takerBuyQuoteVolume: volume * c / 2))
            }
        }
        return out
    }

    /// An input as the live service builds it: the last 500 1m candles and the last `higher`
    /// closed candles of 5m, 15m, 1h and 4h, rolled up from the 1m candles of `bars`.
    static func input(
        _ bars: [Bar], interval: CandleInterval, endMinute: Int = 8 * 60, higher: Int = 200,
        only: Set<CandleInterval>? = nil
    ) -> AnalysisInput {
        let ones = minutes(bars, interval: interval, endMinute: endMinute)
        var aggregator = CandleAggregator(intervals: [.fiveMinutes, .fifteenMinutes, .oneHour, .fourHours])
        var candles: [CandleInterval: [Candle]] = [.oneMinute: Array(ones.suffix(500))]
        for candle in ones {
            for closed in aggregator.add(candle) { candles[closed.interval, default: []].append(closed) }
        }
        for (key, value) in candles where key != .oneMinute { candles[key] = Array(value.suffix(higher)) }
        if let only { candles = candles.filter { only.contains($0.key) } }
        return AnalysisInput(symbol: "TESTUSDT", market: .futures, candles: candles)
    }

    /// Whether any reason contains `text` (case-insensitive).
    static func mentions(_ vote: Vote, _ text: String) -> Bool {
        vote.reasons.contains { $0.lowercased().contains(text.lowercased()) }
    }

    /// Whether the vote can count in a consensus (p ≥ 0.6, c ≥ 0.7) for `direction`.
    static func counts(_ vote: Vote, _ direction: Direction) -> Bool {
        vote.direction == direction && vote.probability >= 0.6 && vote.confidence >= 0.7
    }
}
