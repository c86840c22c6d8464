import Core

/// Harmonic patterns: XABCD (Gartley, Bat, Butterfly, Crab) and ABCD measured on zigzag swings
/// with Fibonacci ratio tolerances.
///
/// Each timeframe (default 15m weight 0.75, 1h and 4h weight 1) is read over its newest
/// `window` candles; one with fewer than `minimumCandles` is skipped. Swings are the
/// percentage zigzag of those candles with a threshold of `zigzagATR` × ATR / close (clamped
/// to 0.2 %...20 %; ATR is the mean true range of the last `atrPeriod` candles), so they scale
/// with the coin's volatility.
///
/// **Where D comes from, without look-ahead.** Zigzag swings are only reported once price has
/// moved the threshold away from them. Two readings are tried on every timeframe:
/// 1. D is the *forming* extreme: the lowest low (or highest high) of the candles after the
///    last confirmed swing C — a fact of candles already closed, even though it may still
///    extend; X, A, B, C are the last four confirmed swings.
/// 2. D is the last confirmed swing, X…C the four before it, and no candle since has traded
///    beyond D.
///
/// A pattern votes only if D is at most `recentBars` candles old and the close has moved at
/// most `przRetrace` of the CD leg away from D (price still near the potential reversal
/// zone). A bullish pattern (D a low) is long, a bearish one (D a high) short.
///
/// **Ratios** (XA, AB, BC, CD, AD as absolute leg lengths): AB/XA, BC/AB, CD/BC and AD/XA
/// (the D retracement). Defaults, from the classic definitions:
/// - Gartley: AB 0.618, BC 0.382–0.886, CD 1.27–1.618, AD 0.786
/// - Bat: AB 0.382–0.5, BC 0.382–0.886, CD 1.618–2.618, AD 0.886
/// - Butterfly: AB 0.786, BC 0.382–0.886, CD 1.618–2.618, AD 1.27–1.618
/// - Crab: AB 0.382–0.618, BC 0.382–0.886, CD 2.24–3.618, AD 1.618
/// - ABCD (A, B, C, D only): BC/AB 0.618–0.786, CD/AB 1 (AB = CD)
///
/// Every ratio may miss its band by `tolerance` (default 5 %, relative to the band's edge).
/// *Accuracy* (0...1) is the mean, over a pattern's single-valued ratios, of 1 − miss /
/// allowed miss; a pattern without single-valued ratios has accuracy 1.
///
/// **Vote**: per timeframe the pattern scoring highest counts: ± weight × `abcdWeight` (for
/// ABCD, else 1) × (0.5 + 0.5 × accuracy). Long/short when |net| ≥ `minimumNetScore`;
/// probability 0.5 + 0.4 × min(1, |net| / `saturation`); confidence = sufficiency (weight
/// share of usable timeframes) × agreement (|net| / gross) × min(1, gross / `fullEvidence`) ×
/// (0.4 + 0.6 × the best accuracy on the winning side). Neutral votes have confidence
/// sufficiency × 0.5; no usable timeframe is missing data.
public struct HarmonicHead: Head {
    /// A harmonic pattern as ratio bands; a single-valued band is a target.
    public struct Pattern: Sendable, Hashable {
        public var name: String
        /// AB / XA; nil for ABCD.
        public var ab: ClosedRange<Double>?
        /// BC / AB.
        public var bc: ClosedRange<Double>
        /// CD / BC for XABCD patterns, CD / AB for ABCD.
        public var cd: ClosedRange<Double>
        /// AD / XA; nil for ABCD.
        public var ad: ClosedRange<Double>?

        public init(
            name: String, ab: ClosedRange<Double>?, bc: ClosedRange<Double>, cd: ClosedRange<Double>,
            ad: ClosedRange<Double>?
        ) {
            self.name = name
            self.ab = ab
            self.bc = bc
            self.cd = cd
            self.ad = ad
        }

        /// Whether the pattern uses X (XABCD) rather than only A, B, C, D.
        public var usesX: Bool { ab != nil || ad != nil }

        public static let gartley = Pattern(
            name: "Gartley", ab: 0.618...0.618, bc: 0.382...0.886, cd: 1.27...1.618, ad: 0.786...0.786)
        public static let bat = Pattern(
            name: "Bat", ab: 0.382...0.5, bc: 0.382...0.886, cd: 1.618...2.618, ad: 0.886...0.886)
        public static let butterfly = Pattern(
            name: "Butterfly", ab: 0.786...0.786, bc: 0.382...0.886, cd: 1.618...2.618, ad: 1.27...1.618)
        public static let crab = Pattern(
            name: "Crab", ab: 0.382...0.618, bc: 0.382...0.886, cd: 2.24...3.618, ad: 1.618...1.618)
        public static let abcd = Pattern(name: "ABCD", ab: nil, bc: 0.618...0.786, cd: 1...1, ad: nil)
    }

    public var kind: HeadKind { .harmonic }
    /// Timeframes and their weights. Default 15m 0.75, 1h 1, 4h 1.
    public var timeframes: [(interval: CandleInterval, weight: Double)] = [
        (.fifteenMinutes, 0.75), (.oneHour, 1), (.fourHours, 1),
    ]
    /// Candles read per timeframe. Default 150.
    public var window = 150
    /// Fewer candles than this skip the timeframe. Default 60.
    public var minimumCandles = 60
    /// Candles in the ATR (mean true range) for the zigzag threshold. Default 14.
    public var atrPeriod = 14
    /// Zigzag threshold in ATRs (as a fraction of the close). Default 2.5.
    public var zigzagATR = 2.5
    /// Patterns searched, in order of preference on ties. Default Gartley, Bat, Butterfly, Crab, ABCD.
    public var patterns: [Pattern] = [.gartley, .bat, .butterfly, .crab, .abcd]
    /// Relative miss allowed at each ratio band's edge. Default 0.05.
    public var tolerance = 0.05
    /// Oldest D (candles before the last) that still votes. Default 8.
    public var recentBars = 8
    /// Largest move away from D, as a fraction of CD, that still counts as near the PRZ. Default 0.382.
    public var przRetrace = 0.382
    /// Score multiplier of a plain ABCD relative to an XABCD pattern. Default 0.75.
    public var abcdWeight = 0.75
    /// Smallest |net| for a direction. Default 0.4.
    public var minimumNetScore = 0.4
    /// |net| at which probability reaches its cap (0.9). Default 1.5.
    public var saturation = 1.5
    /// Gross evidence needed for full confidence. Default 0.5.
    public var fullEvidence = 0.5

    public init() {}

    public func evaluate(_ input: AnalysisInput) -> Vote {
        precondition(window > atrPeriod && atrPeriod >= 1 && tolerance >= 0, "the harmonic window must exceed the ATR period")
        let (frames, sufficiency, skipped) = StructureKit.frames(
            input, timeframes, minimum: max(minimumCandles, atrPeriod + 2), window: window)
        guard !frames.isEmpty else {
            return .missingData(kind, "no timeframe has enough candles (" + skipped.joined(separator: "; ") + ")")
        }
        var tally = StructureKit.Tally()
        var reasons: [String] = []
        var bestLong = 0.0
        var bestShort = 0.0
        for frame in frames {
            guard let match = bestMatch(frame.series) else { continue }
            let weighted = frame.weight * score(match)
            if match.bullish {
                tally.add(weighted)
                bestLong = max(bestLong, match.accuracy)
            } else {
                tally.add(-weighted)
                bestShort = max(bestShort, match.accuracy)
            }
            reasons.append(describe(match, frame.interval))
        }
        if reasons.isEmpty { reasons.append("no harmonic pattern completing near price") }
        reasons += skipped
        let accuracy = tally.net >= 0 ? bestLong : bestShort
        return tally.vote(
            kind, minimumNet: minimumNetScore, saturation: saturation, fullEvidence: fullEvidence,
            sufficiency: sufficiency, factor: 0.4 + 0.6 * accuracy, reasons: reasons)
    }
}
