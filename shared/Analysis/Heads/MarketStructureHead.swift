import Core

/// Market structure: trend alignment across timeframes, break of structure, change of
/// character, and premium / discount of the current dealing range.
///
/// Each timeframe (default 15m weight 0.75, 1h weight 1, 4h weight 1.25) is read over its
/// newest `window` candles; one with fewer than `minimumCandles` is skipped. Swings are pivot
/// highs and lows with `swingStrength` candles on each side, used only from the candle at
/// which they are confirmed.
///
/// - **Trend**: the last two swing highs and the last two swing lows. Higher highs and higher
///   lows score +1 × weight (uptrend), lower highs and lower lows −1 × weight (downtrend);
///   anything else, or fewer than two of each, is no trend (0).
/// - **Break of structure / change of character**: walking the candles oldest first, a close
///   above the latest confirmed, not yet broken swing high is a bullish break (a close below
///   the latest swing low, bearish). It is a *break of structure* (continuation) when it goes
///   the way of the structure left by the previous break, and a *change of character*
///   (reversal) when it is the first break against it (the window's first break counts as a
///   break of structure); either way the structure then points the way of the break. The
///   newest break, if at most `eventRecency` candles old, scores ± `bosWeight` (BOS) or
///   ± `chochWeight` (CHoCH) × weight.
/// - **Premium / discount**: on `dealingTimeframe` (default 1h) the dealing range runs from
///   the lowest low to the highest high since the older of the last swing high and last swing
///   low. Close below its middle is discount (favours long), above is premium (favours
///   short): score `premiumDiscountWeight` × (0.5 − position) × 2, zero within
///   `equilibriumBand` of the middle.
///
/// **Vote**: net = Σ scores, gross = Σ |scores|. Long/short when |net| ≥ `minimumNetScore`;
/// probability 0.5 + 0.4 × min(1, |net| / `saturation`); confidence = sufficiency (weight share
/// of usable timeframes) × agreement (|net| / gross) × min(1, gross / `fullEvidence`) ×
/// alignment, where alignment is (a + ¼) / (u + ¼) for a of u usable timeframes trending the
/// way of the vote. So confidence reaches 0.7 only when every usable timeframe trends the
/// same way and the evidence is broad (typically with a fresh break in that direction); two
/// of three aligned cap it at 0.69. Neutral votes have confidence sufficiency × 0.5; no
/// usable timeframe is missing data.
public struct MarketStructureHead: Head {
    public var kind: HeadKind { .marketStructure }
    /// Timeframes and their weights. Default 15m 0.75, 1h 1, 4h 1.25.
    public var timeframes: [(interval: CandleInterval, weight: Double)] = [
        (.fifteenMinutes, 0.75), (.oneHour, 1), (.fourHours, 1.25),
    ]
    /// Candles read per timeframe. Default 120.
    public var window = 120
    /// Fewer candles than this skip the timeframe. Default 40.
    public var minimumCandles = 40
    /// Candles on each side of a swing high / low. Default 3.
    public var swingStrength = 3
    /// Oldest break (in candles of its timeframe) that still scores. Default 10.
    public var eventRecency = 10
    /// Score of a break of structure. Default 1.
    public var bosWeight = 1.0
    /// Score of a change of character. Default 1.
    public var chochWeight = 1.0
    /// Timeframe whose dealing range gives premium / discount. Default 1h.
    public var dealingTimeframe: CandleInterval = .oneHour
    /// Largest premium / discount score. Default 0.5.
    public var premiumDiscountWeight = 0.5
    /// Distance from the middle (fraction of the range) treated as equilibrium. Default 0.05.
    public var equilibriumBand = 0.05
    /// Smallest |net| for a direction. Default 1.
    public var minimumNetScore = 1.0
    /// |net| at which probability reaches its cap (0.9). Default 3.
    public var saturation = 3.0
    /// Gross evidence needed for full confidence. Default 3.
    public var fullEvidence = 3.0

    public init() {}

    public func evaluate(_ input: AnalysisInput) -> Vote {
        precondition(swingStrength >= 1 && window > 2 * swingStrength, "the structure window must hold a swing")
        let (frames, sufficiency, skipped) = StructureKit.frames(
            input, timeframes, minimum: max(minimumCandles, 2 * swingStrength + 2), window: window)
        guard !frames.isEmpty else {
            return .missingData(kind, "no timeframe has enough candles (" + skipped.joined(separator: "; ") + ")")
        }
        var tally = StructureKit.Tally()
        var reasons: [String] = []
        var trends: [String] = []
        var trendSigns: [Int] = []
        for frame in frames {
            let c = frame.series
            let swings = Indicators.swings(high: c.high, low: c.low, left: swingStrength, right: swingStrength)
            let tf = frame.interval.rawValue
            let trend = self.trend(swings)
            tally.add(Double(trend) * frame.weight)
            trendSigns.append(trend)
            trends.append("\(tf) " + (trend > 0 ? "up" : trend < 0 ? "down" : "none"))
            if trend > 0 { reasons.append("\(tf): higher highs and higher lows (uptrend)") }
            if trend < 0 { reasons.append("\(tf): lower highs and lower lows (downtrend)") }
            if let event = lastBreak(c, swings), c.count - 1 - event.index <= eventRecency {
                let score = (event.reversal ? chochWeight : bosWeight) * Double(event.direction)
                tally.add(score * frame.weight)
                reasons.append(describe(event, age: c.count - 1 - event.index, tf))
            }
            if frame.interval == dealingTimeframe, let pd = premiumDiscount(c, swings) {
                tally.add(pd.score)
                reasons.append(pd.reason)
            }
        }
        reasons.append("trend alignment: " + trends.joined(separator: ", "))
        reasons += skipped
        let side = tally.net > 0 ? 1 : -1
        let aligned = trendSigns.filter { $0 == side }.count
        let alignment = (Double(aligned) + 0.25) / (Double(frames.count) + 0.25)
        return tally.vote(
            kind, minimumNet: minimumNetScore, saturation: saturation, fullEvidence: fullEvidence,
            sufficiency: sufficiency, factor: alignment, reasons: reasons)
    }
}
