import Core

/// ICT ("Inner Circle Trader") concepts: fair value gaps, the optimal-trade-entry retracement,
/// liquidity sweeps, and kill-zone sessions.
///
/// Each setup timeframe (default 15m and 1h, weight 1 each) is read over its newest `window`
/// candles; one with fewer than `minimumCandles` is skipped. ATR is the mean true range of the
/// timeframe's last `atrPeriod` candles. Per timeframe, scores are + for long and − for short,
/// times the timeframe's weight:
///
/// - **Fair value gap (FVG)**: three candles where candle 1's high is below candle 3's low leave
///   a bullish gap [high₁, low₃]; candle 1's low above candle 3's high leaves a bearish gap
///   [high₃, low₁]. Gaps shorter than `fvgMinimumATR` ATRs are ignored. A gap is spent once a
///   later candle closes beyond its far edge (below a bullish gap's bottom, above a bearish
///   gap's top). The newest live gap that price traded into during the last `tapBars` candles
///   (or that holds the close) scores ±1: price retracing into a bullish gap is a long setup.
///   Otherwise the live gap nearest to the close, within `fvgNearATR` ATRs, scores ±0.5.
/// - **Optimal trade entry (OTE)**: the last swing is the leg between the highest high and the
///   lowest low of the last `oteLookback` candles, at least `oteMinimumLegATR` ATRs long, its
///   end at least two candles old. A close 62–79 % (`oteZone`) back into an up-leg scores +1
///   (long zone); into a down-leg, −1 (short zone).
/// - **Liquidity sweep**: one of the last `sweepRecentBars` candles wicks below a swing low
///   (2-bar fractal confirmed before that candle, at most `sweepLookback` candles old, not
///   traded through since) and closes back above it, and no later close is below it: +1, or
///   +1.25 when the level was equal lows (two swing lows within `equalLevelATR` ATRs, both
///   swept). Wicks above swing highs / equal highs that close back below score −1 / −1.25.
///
/// **Kill zones**: the session is read from the moment of analysis — the close of the newest
/// 1m candle (or of the newest candle given) — never from a clock. Inside a kill zone
/// (default London 07:00–10:00 and New York 12:00–15:00 UTC, start inclusive) confidence is
/// kept; outside it is multiplied by `outsideKillZoneFactor`.
///
/// **Vote**: net = Σ scores, gross = Σ |scores|. Long/short when |net| ≥ `minimumNetScore`,
/// else neutral. Probability 0.5 + 0.4 × min(1, |net| / `saturation`). Confidence = data
/// sufficiency (weight share of usable timeframes) × agreement (|net| / gross) × confluence ×
/// session factor, where confluence is the number of distinct concepts whose summed score
/// reaches 0.75 the way of the vote, over `conceptsForFullConfidence`, capped at 1 — so one
/// concept alone (even on both timeframes) stays at 0.5, a gap merely near price adds no
/// confluence, and two agreeing concepts in a kill zone reach 1. A neutral vote has confidence sufficiency × 0.5; no usable timeframe is missing
/// data.
public struct ICTHead: Head {
    /// A UTC session window in minutes after midnight: `start` inclusive, `end` exclusive
    /// (wraps past midnight when `end` < `start`).
    public struct KillZone: Sendable, Hashable {
        public var name: String
        public var start: Int
        public var end: Int

        public init(name: String, start: Int, end: Int) {
            self.name = name
            self.start = start
            self.end = end
        }

        /// Whether `minute` (0..<1440, UTC) falls inside the window.
        public func contains(minute: Int) -> Bool {
            start <= end ? (minute >= start && minute < end) : (minute >= start || minute < end)
        }
    }

    public var kind: HeadKind { .ict }
    /// Setup timeframes and their weights. Default 15m and 1h, weight 1 each.
    public var timeframes: [(interval: CandleInterval, weight: Double)] = [(.fifteenMinutes, 1), (.oneHour, 1)]
    /// Candles read per timeframe. Default 100.
    public var window = 100
    /// Fewer candles than this skip the timeframe. Default 40.
    public var minimumCandles = 40
    /// Candles in the ATR (mean true range). Default 14.
    public var atrPeriod = 14
    /// Smallest fair value gap, in ATRs. Default 0.2.
    public var fvgMinimumATR = 0.2
    /// A live gap this many ATRs or less from the close counts as near. Default 0.5.
    public var fvgNearATR = 0.5
    /// Newest candles in which a retrace into a gap counts. Default 3.
    public var tapBars = 3
    /// Optimal trade entry retracement band. Default 0.62...0.79.
    public var oteZone: ClosedRange<Double> = 0.62...0.79
    /// Candles spanning the swing leg measured for OTE. Default 40.
    public var oteLookback = 40
    /// Smallest OTE leg, in ATRs. Default 3.
    public var oteMinimumLegATR = 3.0
    /// Oldest swing (in candles before the sweeping candle) that can be swept. Default 30.
    public var sweepLookback = 30
    /// Newest candles in which a sweep counts. Default 3.
    public var sweepRecentBars = 3
    /// Swing levels this many ATRs apart or less are equal highs / lows. Default 0.1.
    public var equalLevelATR = 0.1
    /// Sessions that raise confidence. Default London 07:00–10:00, New York 12:00–15:00 UTC.
    public var killZones = [KillZone(name: "London", start: 7 * 60, end: 10 * 60),
                            KillZone(name: "New York", start: 12 * 60, end: 15 * 60)]
    /// Confidence multiplier outside every kill zone. Default 0.85.
    public var outsideKillZoneFactor = 0.85
    /// Smallest |net| for a direction. Default 0.75.
    public var minimumNetScore = 0.75
    /// |net| at which probability reaches its cap (0.9). Default 3.
    public var saturation = 3.0
    /// Distinct concepts (FVG, OTE, sweep) agreeing with the vote needed for full confidence.
    /// Default 2.
    public var conceptsForFullConfidence = 2.0

    public init() {}

    public func evaluate(_ input: AnalysisInput) -> Vote {
        precondition(oteLookback >= 2 && window >= 3 && atrPeriod >= 1, "ICT windows are too short")
        let (frames, sufficiency, skipped) = StructureKit.frames(
            input, timeframes, minimum: max(minimumCandles, atrPeriod + 3), window: window)
        guard !frames.isEmpty else {
            return .missingData(kind, "no setup timeframe has enough candles (" + skipped.joined(separator: "; ") + ")")
        }
        var tally = StructureKit.Tally()
        var byConcept = [Double](repeating: 0, count: Concept.allCases.count)
        var reasons: [String] = []
        for frame in frames {
            for (concept, score, reason) in setups(frame.series, frame.interval) {
                tally.add(score * frame.weight)
                byConcept[concept.rawValue] += score * frame.weight
                reasons.append(reason)
            }
        }
        if reasons.isEmpty { reasons.append("no fair value gap, OTE or liquidity sweep in play") }
        // Confluence: distinct concepts pointing the way of the net score with at least a full
        // setup's weight (a gap merely near price does not count).
        let agreeing = byConcept.filter { tally.net > 0 ? $0 >= 0.75 : $0 <= -0.75 }.count
        let strength = min(1, Double(agreeing) / conceptsForFullConfidence)

        var factor = outsideKillZoneFactor
        let moment = input.time ?? frames.map(\.closeTime).max()!
        let minute = Int(((moment + 1) / 60_000) % 1440)
        let clock = ReasonFormat.clock(moment + 1)
        if let zone = killZones.first(where: { $0.contains(minute: minute) }) {
            factor = 1
            reasons.append("\(clock) UTC is inside the \(zone.name) kill zone")
        } else {
            reasons.append("\(clock) UTC is outside the kill zones: confidence × \(ReasonFormat.decimal(factor, 2))")
        }
        reasons += skipped
        return tally.vote(
            kind, minimumNet: minimumNetScore, saturation: saturation, fullEvidence: 1,
            sufficiency: sufficiency, factor: factor, strength: strength, reasons: reasons)
    }
}
