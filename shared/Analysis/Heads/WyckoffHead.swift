import Core

/// Wyckoff: trading ranges and what price and volume do at their edges — springs, upthrusts,
/// signs of strength and weakness, effort versus result.
///
/// Each timeframe (default 15m weight 0.75, 1h and 4h weight 1) is read over its newest
/// `trendBars + rangeBars + eventBars` candles; one with fewer is skipped. The newest
/// `eventBars` candles are the *event window*; the `rangeBars` before them are tested as a
/// *trading range*, and the `trendBars` before that give its context.
///
/// - **Trading range**: the range is the highest high and lowest low of the range candles. It
///   counts when its height is at most `maxRangeSpreads` mean candle spreads (high − low) of
///   those candles, its net drift (last close − first open) is at most `maxRangeDrift` of the
///   height, and both edges were touched (within a quarter of the height) by at least two
///   candles each. When the last close before the range is `trendRanges` heights or more
///   below the close `trendBars` candles earlier, the range follows a downtrend
///   (accumulation); that far above, an uptrend (distribution).
/// - **Spring** (long): the lowest candle of the event window dips below the range low by
///   `minPenetration` to `maxPenetration` of the height and closes back inside, and no later
///   close is below the range low: +1; +0.25 when its volume is at most `moderateVolume` ×
///   the range's mean volume; +0.5 when the last close is above the spring candle's high (the
///   rally); +0.25 after a downtrend. **Upthrust** (short) mirrors it at the range high, with −0.25 more
///   after an uptrend (upthrust after distribution).
/// - **Sign of strength** (long, +1.5): an event candle closing above the range high in the
///   top third of its own span, at least `wideSpread` × the mean spread wide and on at least
///   `highVolume` × the mean volume, with the last close still above the range high. **Sign
///   of weakness** (−1.5) mirrors it below the range low.
/// - **Effort vs result**: an event candle closing inside the range on at least
///   `absorptionVolume` × the mean volume but at most `absorptionSpread` × the mean spread is
///   effort without result — absorption: +0.5 in the lower half of the range (supply
///   absorbed), −0.5 in the upper half. Volume on up-closes versus down-closes in the event
///   window, when it favours the way the window moved by `volumeBias` or more, adds ±0.5
///   (effort in harmony with result).
///
/// **Vote**: scores times their timeframe's weight give net = Σ and gross = Σ |·|. Long/short
/// when |net| ≥ `minimumNetScore`; probability 0.5 + 0.4 × min(1, |net| / `saturation`);
/// confidence = sufficiency (weight share of usable timeframes) × agreement (|net| / gross) ×
/// min(1, support / `fullEvidence`), where support counts springs, upthrusts and breakouts
/// fully and effort-vs-result readings at a quarter, so volume alone never makes a confident
/// vote. A bare spring (+1) stays below 0.7 confidence; a spring on moderate volume followed
/// by a rally reaches it. Neutral votes have confidence sufficiency × 0.5; no usable
/// timeframe is missing data.
public struct WyckoffHead: Head {
    public var kind: HeadKind { .wyckoff }
    /// Timeframes and their weights. Default 15m 0.75, 1h 1, 4h 1.
    public var timeframes: [(interval: CandleInterval, weight: Double)] = [
        (.fifteenMinutes, 0.75), (.oneHour, 1), (.fourHours, 1),
    ]
    /// Candles tested as the trading range. Default 30.
    public var rangeBars = 30
    /// Newest candles searched for springs, upthrusts and breakouts. Default 6.
    public var eventBars = 6
    /// Candles before the range that give its context (trend). Default 20.
    public var trendBars = 20
    /// Tallest range, in mean candle spreads. Default 8.
    public var maxRangeSpreads = 8.0
    /// Largest net drift across the range, as a fraction of its height. Default 0.5.
    public var maxRangeDrift = 0.5
    /// Move before the range, in range heights, that counts as a prior trend. Default 1.
    public var trendRanges = 1.0
    /// Shallowest spring / upthrust beyond the range, as a fraction of its height. Default 0.03.
    public var minPenetration = 0.03
    /// Deepest spring / highest upthrust beyond the range, as a fraction of its height. Default 0.5.
    public var maxPenetration = 0.5
    /// Spring / upthrust volume counted as low-to-moderate, × mean range volume. Default 1.5.
    public var moderateVolume = 1.5
    /// Breakout volume counted as high, × mean range volume. Default 1.5.
    public var highVolume = 1.5
    /// Breakout spread counted as wide, × mean range spread. Default 1.5.
    public var wideSpread = 1.5
    /// Volume of an absorption candle, × mean range volume. Default 2.
    public var absorptionVolume = 2.0
    /// Largest spread of an absorption candle, × mean range spread. Default 0.75.
    public var absorptionSpread = 0.75
    /// Up- vs down-close volume ratio counted as a bias. Default 1.5.
    public var volumeBias = 1.5
    /// Smallest |net| for a direction. Default 0.75.
    public var minimumNetScore = 0.75
    /// |net| at which probability reaches its cap (0.9). Default 2.5.
    public var saturation = 2.5
    /// Support (see the vote) needed for full confidence. Default 1.5.
    public var fullEvidence = 1.5

    public init() {}

    public func evaluate(_ input: AnalysisInput) -> Vote {
        precondition(rangeBars >= 2 && eventBars >= 1 && trendBars >= 1, "Wyckoff windows must not be empty")
        let needed = trendBars + rangeBars + eventBars
        let (frames, sufficiency, skipped) = StructureKit.frames(input, timeframes, minimum: needed, window: needed)
        guard !frames.isEmpty else {
            return .missingData(kind, "no timeframe has enough candles (" + skipped.joined(separator: "; ") + ")")
        }
        var tally = StructureKit.Tally()
        var support = 0.0
        var reasons: [String] = []
        for frame in frames {
            for (score, reason, primary) in read(frame.series, frame.interval) {
                tally.add(score * frame.weight)
                support += abs(score * frame.weight) * (primary ? 1 : 0.25)
                reasons.append(reason)
            }
        }
        reasons += skipped
        return tally.vote(
            kind, minimumNet: minimumNetScore, saturation: saturation, fullEvidence: fullEvidence,
            sufficiency: sufficiency, strength: min(1, support / fullEvidence), reasons: reasons)
    }
}
