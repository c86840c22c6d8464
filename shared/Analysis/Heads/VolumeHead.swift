import Core

/// Whether volume backs the price: OBV against price, the session VWAP, and volume surges.
///
/// Sub-signals, scores in -1...1 (positive = long):
///
/// - **OBV** on each of ``obvTimeframes`` (default 1h × 0.25, 15m × 0.2), from its last
///   ``divergenceRecent`` + ``divergencePrior`` candles (a timeframe with fewer is skipped):
///   - a *divergence* scores ±1: price makes a higher high in the last ``divergenceRecent``
///     bars than in the ``divergencePrior`` bars before them while OBV makes a lower high
///     (bearish, −1), or price a lower low while OBV makes a higher low (bullish, +1);
///   - otherwise the OBV *flow* over the last ``obvWindow`` bars, `ΔOBV / Σ volume` (−1...1),
///     scores `clamp(flow / 0.4)` when its sign matches the price change over those bars
///     (confirmation) and half that when it does not (volume not confirming the move).
/// - **VWAP** on ``vwapInterval`` (weight ``vwapWeight``): the UTC-day session VWAP (once the
///   session has ``minimumSessionBars`` bars; before that a VWAP anchored
///   ``fallbackVWAPBars`` bars back). With `d = clamp((close − VWAP) / (0.5 × ATR14))`, a close
///   above it (`d ≥ 0.2`) scores `d` when the VWAP is rising over the last ``vwapSlopeBars``
///   bars and `0.4 d` otherwise; below (`d ≤ −0.2`), `d` when falling and `0.4 d` otherwise;
///   at the VWAP (`|d| < 0.2`), `0.4 d`.
/// - **Surges** on each of ``surgeTimeframes`` (default 15m × 0.15, 5m × 0.1): each of the
///   last ``surgeLookback`` bars whose volume exceeds ``surgeMultiple`` × the mean volume of
///   the ``surgeAverage`` bars before them adds `sign(close − open) × body / range`; the sum
///   is clamped to −1...1. Without a surge the sub-signal adds nothing.
///
/// The vote follows ``WeightedEvidence`` (neutral when `|net| < neutralBand`, probability
/// `0.5 + 0.4|net|`, confidence `sufficiency × agreement`); sufficiency is the weight share of
/// the sub-signals whose candles were there.
public struct VolumeHead: Head {
    /// A timeframe the head reads and its weight in the result.
    public typealias Timeframe = HeadTimeframe

    public var kind: HeadKind { .volume }

    /// OBV timeframes and weights. Default 1h 0.25, 15m 0.2.
    public var obvTimeframes: [Timeframe]
    /// Bars of the OBV flow. Default 24.
    public var obvWindow: Int
    /// Recent and prior windows of the divergence test. Defaults 10 and 30.
    public var divergenceRecent: Int
    public var divergencePrior: Int
    /// VWAP timeframe and weight. Defaults 15m, 0.3.
    public var vwapInterval: CandleInterval
    public var vwapWeight: Double
    /// Fewest bars in the UTC-day session before the session VWAP is used. Default 4.
    public var minimumSessionBars: Int
    /// How far back the VWAP used early in a session is anchored, in bars. Default 32.
    public var fallbackVWAPBars: Int
    /// Bars over which the VWAP's slope is read. Default 4.
    public var vwapSlopeBars: Int
    /// Surge timeframes and weights. Default 15m 0.15, 5m 0.1.
    public var surgeTimeframes: [Timeframe]
    /// A surge is volume above this multiple of the average. Default 2.
    public var surgeMultiple: Double
    /// Bars of the volume average. Default 20.
    public var surgeAverage: Int
    /// Most recent bars checked for a surge. Default 3.
    public var surgeLookback: Int
    /// `|net|` below this is neutral. Default 0.15.
    public var neutralBand: Double

    public init() {
        obvTimeframes = [Timeframe(.oneHour, weight: 0.25), Timeframe(.fifteenMinutes, weight: 0.2)]
        obvWindow = 24
        divergenceRecent = 10
        divergencePrior = 30
        vwapInterval = .fifteenMinutes
        vwapWeight = 0.3
        minimumSessionBars = 4
        fallbackVWAPBars = 32
        vwapSlopeBars = 4
        surgeTimeframes = [Timeframe(.fifteenMinutes, weight: 0.15), Timeframe(.fiveMinutes, weight: 0.1)]
        surgeMultiple = 2
        surgeAverage = 20
        surgeLookback = 3
        neutralBand = 0.15
    }

    public func evaluate(_ input: AnalysisInput) -> Vote {
        var evidence = WeightedEvidence()
        var reasons: [String] = []
        var total = 0.0
        var present = 0.0

        for timeframe in obvTimeframes {
            total += timeframe.weight
            let candles = input.candles(timeframe.interval)
            let needed = max(divergenceRecent + divergencePrior, obvWindow + 1)
            guard candles.count >= needed else {
                reasons.append("OBV \(timeframe.interval.rawValue) skipped: \(candles.count) candles (needs \(needed))")
                continue
            }
            present += timeframe.weight
            reasons.append(scoreOBV(candles, interval: timeframe.interval, weight: timeframe.weight, into: &evidence))
        }

        total += vwapWeight
        let vwapCandles = input.candles(vwapInterval)
        if vwapCandles.count >= max(minimumSessionBars, 15) {
            present += vwapWeight
            reasons.append(scoreVWAP(vwapCandles, into: &evidence))
        } else {
            reasons.append("VWAP \(vwapInterval.rawValue) skipped: \(vwapCandles.count) candles")
        }

        var surges: [String] = []
        for timeframe in surgeTimeframes {
            total += timeframe.weight
            let candles = input.candles(timeframe.interval)
            guard candles.count >= surgeAverage + surgeLookback else { continue }
            present += timeframe.weight
            if let text = scoreSurge(candles, interval: timeframe.interval, weight: timeframe.weight, into: &evidence) {
                surges.append(text)
            }
        }
        reasons.append(surges.isEmpty ? "no volume surge in the last \(surgeLookback) bars" : surges.joined(separator: "; "))

        guard present > 0 else {
            return .missingData(kind, "volume needs \(max(divergenceRecent + divergencePrior, obvWindow + 1)) candles of 1h or 15m, or a VWAP session; none present")
        }
        return evidence.vote(kind, neutralBand: neutralBand, sufficiency: present / total, reasons: reasons)
    }
}
