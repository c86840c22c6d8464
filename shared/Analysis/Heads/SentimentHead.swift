/// Crowd positioning, read contrarian: when the crowd leans hard one way, lean the other.
///
/// Sub-signals, with scores in -1...1 (positive = long):
///
/// - **Funding** (weight ``fundingWeight``): the effective rate is the mean of the latest rate
///   and the average of the last ``fundingWindow`` rates; `d` is its deviation from
///   ``neutralFunding`` (Binance's base 0.01 % per period). It scores
///   `−sign(d) × clamp((|d| − fundingDeadZone) / (extremeFundingDeviation − fundingDeadZone), 0, 1)`:
///   strongly positive funding means crowded longs paying shorts (short tilt), negative
///   funding crowded shorts (long tilt); funding near the base rate says nothing.
/// - **Long/short ratio** (weight ``longShortWeight``): 0.7 × level + 0.3 × trend. With
///   `q = ratio / neutralLongShortRatio` and `e = max(q, 1/q) − 1`, the level scores
///   `clamp((e − ratioDeadZone) / (extremeLongShortRatio − 1 − ratioDeadZone), 0, 1)`, negative
///   when `q > 1` (crowd long → short tilt), positive below; the trend is the ratio's relative
///   change over the last ``ratioTrendWindow`` samples, scored `−clamp(change / ratioTrendFull)`
///   (a crowd piling into longs is a short tilt).
/// - **Fear and greed** (weight ``fearGreedWeight``, optional): at or below ``extremeFear``
///   `0.5 + 0.5 × (extremeFear − value) / extremeFear` (contrarian long); at or above
///   ``extremeGreed`` the mirror (contrarian short); in between 0.
///
/// The vote follows ``WeightedEvidence``: net score `n`, neutral when `|n| < neutralBand`,
/// else probability `0.5 + 0.4|n|`, confidence `sufficiency × agreement`. With derivatives,
/// `sufficiency = 0.4 + 0.6 × (available weight / total weight)`. Without funding and
/// long/short data (spot, or nothing known) but with a fear-and-greed reading, the head votes
/// from that alone with confidence at most ``fearGreedOnlyConfidence`` — too little to count
/// in a consensus on its own. With neither it returns missing data.
public struct SentimentHead: Head {
    public var kind: HeadKind { .sentiment }

    /// Funding rate per period taken as neutral. Default 0.0001 (0.01 %).
    public var neutralFunding: Double
    /// Deviation from neutral funding that scores a full ±1. Default 0.0005 (so 0.06 % is −1).
    public var extremeFundingDeviation: Double
    /// Deviation from neutral funding that still scores 0. Default 0.0001 (0.00 %…0.02 % is quiet).
    public var fundingDeadZone: Double
    /// Funding samples in the recent average. Default 6.
    public var fundingWindow: Int
    /// Long/short account ratio taken as balanced. Default 1.0.
    public var neutralLongShortRatio: Double
    /// Ratio (relative to neutral) that scores a full ∓1; its reciprocal scores ±1. Default 2.5.
    public var extremeLongShortRatio: Double
    /// Excess of the ratio (or its reciprocal) over 1 that still scores 0. Default 0.2.
    public var ratioDeadZone: Double
    /// Samples over which the ratio's trend is read. Default 12.
    public var ratioTrendWindow: Int
    /// Relative change of the ratio over the trend window that scores a full ∓1. Default 0.25.
    public var ratioTrendFull: Double
    /// Fear-and-greed bounds. Defaults 25 (extreme fear) and 75 (extreme greed).
    public var extremeFear: Double
    public var extremeGreed: Double
    /// Sub-signal weights. Defaults 0.45, 0.35, 0.2.
    public var fundingWeight: Double
    public var longShortWeight: Double
    public var fearGreedWeight: Double
    /// Confidence cap of a vote from fear and greed alone. Default 0.45.
    public var fearGreedOnlyConfidence: Double
    /// `|net|` below this is neutral. Default 0.15.
    public var neutralBand: Double

    public init() {
        neutralFunding = 0.0001
        extremeFundingDeviation = 0.0005
        fundingDeadZone = 0.0001
        fundingWindow = 6
        neutralLongShortRatio = 1.0
        extremeLongShortRatio = 2.5
        ratioDeadZone = 0.2
        ratioTrendWindow = 12
        ratioTrendFull = 0.25
        extremeFear = 25
        extremeGreed = 75
        fundingWeight = 0.45
        longShortWeight = 0.35
        fearGreedWeight = 0.2
        fearGreedOnlyConfidence = 0.45
        neutralBand = 0.15
    }

    public func evaluate(_ input: AnalysisInput) -> Vote {
        let funding = input.derivatives?.funding ?? []
        let ratios = input.derivatives?.longShortRatio ?? []
        let fearGreed = input.fearGreed.flatMap { $0.isFinite ? $0 : nil }
        guard !funding.isEmpty || !ratios.isEmpty || fearGreed != nil else {
            let what = input.derivatives == nil ? "no derivatives data" : "no funding or long/short data"
            return .missingData(kind, "sentiment needs funding, long/short ratio or fear and greed; \(what) and no fear-and-greed reading")
        }
        var evidence = WeightedEvidence()
        var reasons: [String] = []

        if funding.isEmpty {
            evidence.unavailable(weight: fundingWeight)
            reasons.append("funding unavailable")
        } else {
            reasons.append(scoreFunding(funding, into: &evidence))
        }
        if ratios.isEmpty {
            evidence.unavailable(weight: longShortWeight)
            reasons.append("long/short ratio unavailable")
        } else {
            reasons.append(scoreRatio(ratios, into: &evidence))
        }
        if let value = fearGreed {
            reasons.append(scoreFearGreed(value, into: &evidence))
        } else {
            evidence.unavailable(weight: fearGreedWeight)
            reasons.append("no fear-and-greed reading")
        }

        let derivativesKnown = !funding.isEmpty || !ratios.isEmpty
        let sufficiency = derivativesKnown ? 0.4 + 0.6 * evidence.coverage : fearGreedOnlyConfidence
        if !derivativesKnown {
            reasons.insert("fear and greed only (\(input.market == .spot ? "spot market" : "no derivatives data")): modest confidence", at: 0)
        }
        return evidence.vote(kind, neutralBand: neutralBand, sufficiency: sufficiency, reasons: reasons)
    }

    private func scoreFunding(_ funding: [TimedValue], into evidence: inout WeightedEvidence) -> String {
        let latest = funding[funding.count - 1].value
        let window = funding.suffix(max(1, fundingWindow))
        var total = 0.0
        for sample in window { total += sample.value }
        let average = total / Double(window.count)
        let deviation = (latest + average) / 2 - neutralFunding
        let size = Self.beyond(abs(deviation), deadZone: fundingDeadZone, full: extremeFundingDeviation)
        let score = deviation > 0 ? -size : size
        evidence.add(score, weight: fundingWeight)
        let reading: String
        if score <= -0.5 {
            reading = "crowded longs, contrarian short"
        } else if score >= 0.5 {
            reading = "crowded shorts, contrarian long"
        } else {
            reading = "no crowding"
        }
        return "funding \(ReasonFormat.percent(latest, 4)) (avg \(ReasonFormat.percent(average, 4)) over \(window.count)): \(reading)"
    }

    private func scoreRatio(_ ratios: [TimedValue], into evidence: inout WeightedEvidence) -> String {
        let latest = ratios[ratios.count - 1].value
        guard latest > 0, neutralLongShortRatio > 0, extremeLongShortRatio > 1 + ratioDeadZone else {
            evidence.unavailable(weight: longShortWeight)
            return "long/short ratio \(ReasonFormat.decimal(latest, 2)) unusable"
        }
        let q = latest / neutralLongShortRatio
        let size = Self.beyond(max(q, 1 / q) - 1, deadZone: ratioDeadZone, full: extremeLongShortRatio - 1)
        let level = q > 1 ? -size : size
        let first = ratios[max(0, ratios.count - max(2, ratioTrendWindow))].value
        let change = ratios.count >= 2 && first > 0 ? latest / first - 1 : 0
        let trend = -min(max(change / ratioTrendFull, -1), 1)
        evidence.add(0.7 * level + 0.3 * trend, weight: longShortWeight)
        let crowd: String
        if level <= -0.5 {
            crowd = "crowd long, contrarian short"
        } else if level >= 0.5 {
            crowd = "crowd short, contrarian long"
        } else {
            crowd = "balanced"
        }
        return "long/short ratio \(ReasonFormat.decimal(latest, 2)) (\(ReasonFormat.percent(change, 1, signed: true)) over \(min(ratios.count, max(2, ratioTrendWindow))) samples): \(crowd)"
    }

    private func scoreFearGreed(_ value: Double, into evidence: inout WeightedEvidence) -> String {
        let text = "fear and greed \(ReasonFormat.decimal(value, 0))"
        if value <= extremeFear {
            evidence.add(0.5 + 0.5 * (extremeFear - value) / max(extremeFear, 1), weight: fearGreedWeight)
            return text + ": extreme fear, contrarian long"
        }
        if value >= extremeGreed {
            evidence.add(-(0.5 + 0.5 * (value - extremeGreed) / max(100 - extremeGreed, 1)), weight: fearGreedWeight)
            return text + ": extreme greed, contrarian short"
        }
        evidence.add(0, weight: fearGreedWeight)
        return text + ": neither extreme"
    }

    /// How far `value` is past `deadZone` on the way to `full`, 0...1.
    private static func beyond(_ value: Double, deadZone: Double, full: Double) -> Double {
        guard full > deadZone else { return value > deadZone ? 1 : 0 }
        return min(max((value - deadZone) / (full - deadZone), 0), 1)
    }
}
