import Core

/// Trend and momentum: moving-average alignment and crosses, RSI, MACD and Bollinger Bands,
/// read on several timeframes and weighted together.
///
/// Each timeframe in ``timeframes`` (default 15m × 0.25, 1h × 0.40, 4h × 0.35) with at least
/// ``minimumCandles`` candles is read over its last ``window`` candles; a shorter one is
/// skipped and the reasons say so. On each timeframe, with scores in -1...1 (positive = long):
///
/// - **Alignment** (weight ``alignmentWeight``): the mean of `clamp((a − b) / (0.5 × ATR14))`
///   over the pairs close/EMA20, EMA20/EMA50 and EMA50/EMA200 (the last only when the
///   timeframe has 200 candles). Stacked close > EMA20 > EMA50 > EMA200 scores +1, the
///   reverse −1; EMAs within a fraction of an ATR of each other score near 0.
/// - **Cross** (``crossWeight``): an EMA50/EMA200 golden (death) cross within the last
///   ``crossLookback`` bars scores `+(−)(1 − 0.5 × age / crossLookback)`; otherwise an
///   EMA20/EMA50 cross scores 0.8 of that. No recent cross adds nothing; neither does a
///   whipsaw (a cross within ``crossLookback`` bars of the previous cross of the same pair)
///   nor a cross whose EMAs are still within 0.05 ATR of each other.
/// - **RSI** (Wilder, ``rsiPeriod``; ``rsiWeight``): between the bands, `(RSI − 50) / 20`
///   (midline momentum); at or above ``overbought`` −0.5, at or below ``oversold`` +0.5
///   (stretched: a contrarian tilt).
/// - **MACD** (``macdFast``/``macdSlow``/``macdSignal``; ``macdWeight``): half zero-line
///   position, `clamp(MACD / (0.5 × ATR))`, half momentum: a signal-line cross in the last 3
///   bars ±1, else histogram > 0 and rising +1, > 0 and falling +0.3, < 0 and falling −1,
///   < 0 and rising −0.3; the momentum half is scaled by `min(1, |histogram| / (0.1 × ATR))`,
///   so crosses and slopes of a histogram too small to matter (chop) count little.
/// - **Bollinger** (``bollingerPeriod``, ``bollingerDeviations``; ``bollingerWeight``): a close
///   outside the bands while the bandwidth expands (> 1.2 × its value 5 bars earlier) is a
///   breakout, ±1; outside without expansion is stretched, ∓0.5; inside, `%B − 0.5`. A squeeze
///   (the bands inside a Keltner channel: `deviations × σ < keltnerMultiple × ATR14`) scores 0
///   and multiplies the confidence by ``squeezePenalty``: a breakout is pending, its side
///   unknown.
///
/// The sub-signals of all timeframes are weighted (timeframe weight × sub-signal weight) and
/// turned into a vote by ``WeightedEvidence``: net score `n` in -1...1, neutral when
/// `|n| < neutralBand`, else probability `0.5 + 0.4|n|` and confidence
/// `sufficiency × agreement`. Sufficiency is the weight share of usable timeframes (a
/// timeframe without EMA200 counts 0.9 of its weight), times the squeeze penalties.
/// Indicators are computed in a single pass per timeframe (incremental EMAs over the window;
/// RSI and ATR over its last 121 bars, MACD over its last 151, Bollinger sums over the last
/// bars), so their values depend slightly on where those spans start, as with any finite
/// history; the smoothing has forgotten its seed long before the last bar.
public struct TechnicalHead: Head {
    /// A timeframe the head reads and its weight in the result.
    public typealias Timeframe = HeadTimeframe

    public var kind: HeadKind { .technical }

    /// Timeframes and their weights. Default 15m 0.25, 1h 0.40, 4h 0.35.
    public var timeframes: [Timeframe]
    /// Fewest candles for a timeframe to be read. Default 60.
    public var minimumCandles: Int
    /// Most recent candles read per timeframe. Default 250.
    public var window: Int
    /// EMA periods of the alignment. Defaults 20, 50, 200.
    public var fastPeriod: Int
    public var midPeriod: Int
    public var slowPeriod: Int
    /// How many bars back a cross still counts. Default 10.
    public var crossLookback: Int
    /// RSI period and bands. Defaults 14, 70, 30.
    public var rsiPeriod: Int
    public var overbought: Double
    public var oversold: Double
    /// MACD periods. Defaults 12, 26, 9.
    public var macdFast: Int
    public var macdSlow: Int
    public var macdSignal: Int
    /// Bollinger period and width. Defaults 20, 2.
    public var bollingerPeriod: Int
    public var bollingerDeviations: Double
    /// Keltner channel half-width in ATRs that the bands must fit inside for a squeeze. Default 1.5.
    public var keltnerMultiple: Double
    /// Confidence factor per timeframe in a squeeze. Default 0.8.
    public var squeezePenalty: Double
    /// Sub-signal weights within a timeframe. Defaults 0.35, 0.15, 0.15, 0.2, 0.15.
    public var alignmentWeight: Double
    public var crossWeight: Double
    public var rsiWeight: Double
    public var macdWeight: Double
    public var bollingerWeight: Double
    /// `|net|` below this is neutral. Default 0.15.
    public var neutralBand: Double

    public init() {
        timeframes = [Timeframe(.fifteenMinutes, weight: 0.25), Timeframe(.oneHour, weight: 0.4), Timeframe(.fourHours, weight: 0.35)]
        minimumCandles = 60
        window = 250
        fastPeriod = 20
        midPeriod = 50
        slowPeriod = 200
        crossLookback = 10
        rsiPeriod = 14
        overbought = 70
        oversold = 30
        macdFast = 12
        macdSlow = 26
        macdSignal = 9
        bollingerPeriod = 20
        bollingerDeviations = 2
        keltnerMultiple = 1.5
        squeezePenalty = 0.8
        alignmentWeight = 0.35
        crossWeight = 0.15
        rsiWeight = 0.15
        macdWeight = 0.2
        bollingerWeight = 0.15
        neutralBand = 0.15
    }

    public func evaluate(_ input: AnalysisInput) -> Vote {
        var evidence = WeightedEvidence()
        var reasons: [String] = []
        var usable = 0.0
        var total = 0.0
        var penalty = 1.0
        var used = 0
        for timeframe in timeframes {
            total += timeframe.weight
            let candles = input.candles(timeframe.interval)
            guard candles.count >= max(minimumCandles, macdSlow + macdSignal + 2) else {
                reasons.append("\(timeframe.interval.rawValue) skipped: \(candles.count) candles (needs \(minimumCandles))")
                continue
            }
            let reading = read(candles)
            used += 1
            usable += timeframe.weight * (reading.slow.isNaN ? 0.9 : 1)
            if reading.squeeze { penalty *= squeezePenalty }
            reasons.append(score(reading, interval: timeframe.interval, weight: timeframe.weight, into: &evidence))
        }
        guard usable > 0 else {
            let seen = timeframes.map { "\($0.interval.rawValue) \(input.candles($0.interval).count)" }
            return .missingData(kind, "technical needs \(minimumCandles) candles on a timeframe; got \(seen.joined(separator: ", "))")
        }
        let sufficiency = usable / total * penalty
        reasons.insert("trend/momentum score \(ReasonFormat.decimal(evidence.net, 2)) over \(used) timeframe\(used == 1 ? "" : "s")", at: 0)
        return evidence.vote(kind, neutralBand: neutralBand, sufficiency: sufficiency, reasons: reasons)
    }
}
