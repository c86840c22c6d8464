import Core

/// Candlestick patterns, weighed by where they form: at support or resistance they count, away
/// from levels they count little.
///
/// On each of ``timeframes`` (default 1h × 0.55, 15m × 0.45) with at least ``minimumCandles``
/// candles, the newest closed candles are tested for one pattern, in this order (ATR = ATR14 of
/// the timeframe; "body" = |close − open|, "range" = high − low):
///
/// - **Morning / evening star** (3 bars, strength 1.0): a bearish (bullish) bar with a body of
///   at least 0.5 ATR, then a small bar (body ≤ ``starBodyRatio`` × the first body) whose body
///   sits in the lower (upper) half of the first, then a bullish (bearish) bar with a body of
///   at least half the first that closes beyond the first body's midpoint.
/// - **Bullish / bearish engulfing** (2 bars, strength 1.0): a bar of the opposite colour, then
///   one whose body (at least 0.3 ATR) covers it: open at or beyond the previous close, close at
///   or beyond the previous open, larger body.
/// - **Hammer / shooting star** (1 bar, strength 0.8): range ≥ 0.5 ATR, body ≤ 35 % of range,
///   lower (upper) wick ≥ 2 × body and ≥ 55 % of range, the other wick ≤ 15 % of range.
/// - **Doji** (1 bar): range ≥ 0.3 ATR and body ≤ ``dojiBodyRatio`` × range: indecision.
///
/// Levels are taken only from candles before the pattern's first bar: confirmed swing highs
/// and lows (``swingStrength`` bars each side) in the last ``window`` candles, the Donchian
/// high and low of the ``donchianPeriod`` bars, and the previous UTC day's classic pivots
/// (P, R1, R2, S1, S2). A bullish pattern is *at support* when a level at or below its close
/// (+ tolerance) lies within ``levelTolerance`` × ATR of the pattern's low, or the low swept
/// below the level and the close reclaimed it; bearish patterns mirror this at resistance.
///
/// A pattern at a level scores `±strength`, away from levels `±strength × awayFactor`; a doji
/// scores 0, and a timeframe without a pattern scores 0 (so a lone pattern on one timeframe is
/// diluted by the other's silence). The vote follows ``WeightedEvidence`` (neutral when
/// `|net| < neutralBand`, probability `0.5 + 0.4|net|`), with confidence
/// `sufficiency × agreement × quality × doji`, where sufficiency is the weight share of usable
/// timeframes, quality is that of the best pattern on the winning side (1.0 at two or more
/// kinds of level — swing, Donchian, pivot — 0.85 at one, ``awayQuality`` away from levels),
/// and doji is ``dojiPenalty`` when any timeframe shows a doji (else 1).
public struct RuleBasedHead: Head {
    /// A timeframe the head reads and its weight in the result.
    public typealias Timeframe = HeadTimeframe

    public var kind: HeadKind { .ruleBased }

    /// Timeframes and weights. Default 1h 0.55, 15m 0.45.
    public var timeframes: [Timeframe]
    /// Fewest candles for a timeframe to be read. Default 50.
    public var minimumCandles: Int
    /// Candles searched for swing levels. Default 120.
    public var window: Int
    /// Bars each side of a swing point. Default 2.
    public var swingStrength: Int
    /// Donchian lookback for the range high and low. Default 20.
    public var donchianPeriod: Int
    /// Distance to a level, in ATRs, that still counts as "at" it. Default 0.35.
    public var levelTolerance: Double
    /// Share of its score a pattern away from levels keeps. Default 0.25.
    public var awayFactor: Double
    /// Confidence quality of a pattern away from levels. Default 0.5.
    public var awayQuality: Double
    /// Doji: body at most this share of the range. Default 0.1.
    public var dojiBodyRatio: Double
    /// Star: middle body at most this share of the first body. Default 0.3.
    public var starBodyRatio: Double
    /// Confidence factor when a doji shows on any timeframe. Default 0.8.
    public var dojiPenalty: Double
    /// `|net|` below this is neutral. Default 0.15.
    public var neutralBand: Double

    public init() {
        timeframes = [Timeframe(.oneHour, weight: 0.55), Timeframe(.fifteenMinutes, weight: 0.45)]
        minimumCandles = 50
        window = 120
        swingStrength = 2
        donchianPeriod = 20
        levelTolerance = 0.35
        awayFactor = 0.25
        awayQuality = 0.5
        dojiBodyRatio = 0.1
        starBodyRatio = 0.3
        dojiPenalty = 0.8
        neutralBand = 0.15
    }

    public func evaluate(_ input: AnalysisInput) -> Vote {
        var evidence = WeightedEvidence()
        var reasons: [String] = []
        var total = 0.0
        var usable = 0.0
        var doji = false
        var bullishQuality = 0.0
        var bearishQuality = 0.0
        for timeframe in timeframes {
            total += timeframe.weight
            let candles = input.candles(timeframe.interval)
            let name = timeframe.interval.rawValue
            guard candles.count >= max(minimumCandles, donchianPeriod + 4) else {
                reasons.append("\(name) skipped: \(candles.count) candles (needs \(minimumCandles))")
                continue
            }
            usable += timeframe.weight
            let last = candles.count - 1
            var atr = Indicators.ATR(period: 14)
            for i in (last - min(last, 50))...last { atr.update(candles[i]) }
            guard atr.value > 0, let pattern = detect(candles, at: last, atr: atr.value) else {
                evidence.add(0, weight: timeframe.weight)
                reasons.append("\(name): no candlestick pattern")
                continue
            }
            let location = locate(pattern, in: candles, at: last, atr: atr.value)
            let score = pattern.bias * pattern.strength * (location.matches > 0 ? 1 : awayFactor)
            evidence.add(score, weight: timeframe.weight)
            let quality = location.matches >= 2 ? 1 : (location.matches == 1 ? 0.85 : awayQuality)
            if pattern.bias > 0 { bullishQuality = max(bullishQuality, quality) }
            if pattern.bias < 0 { bearishQuality = max(bearishQuality, quality) }
            if pattern == .doji { doji = true }
            reasons.append("\(name): " + describe(pattern, location, atr: atr.value))
        }
        guard usable > 0 else {
            let seen = timeframes.map { "\($0.interval.rawValue) \(input.candles($0.interval).count)" }
            return .missingData(kind, "rule-based needs \(minimumCandles) candles on a timeframe; got \(seen.joined(separator: ", "))")
        }
        let net = evidence.net
        let quality = net > 0 ? bullishQuality : (net < 0 ? bearishQuality : 1)
        let sufficiency = usable / total * quality * (doji ? dojiPenalty : 1)
        return evidence.vote(kind, neutralBand: neutralBand, sufficiency: sufficiency, reasons: reasons)
    }
}
