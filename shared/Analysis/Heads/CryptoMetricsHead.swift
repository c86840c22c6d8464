import Core

/// Order flow and derivatives positioning: who is aggressing (taker flow, cumulative volume
/// delta), how crowded and stretched futures are (funding, premium), whether positions are being
/// opened or closed (open interest), and how turbulent the market is (realised volatility).
///
/// Sub-signals, scores in -1...1 (positive = long):
///
/// - **Taker flow** on each of ``flowWindows`` (default 1m × 30 bars × 0.15, 5m × 24 bars ×
///   0.15): the taker-buy share of volume, `Σ takerBuy / Σ volume`, scores
///   `clamp((share − 0.5) / flowFull)` (0.6 → +1 with the default ``flowFull`` 0.1).
/// - **CVD** on ``cvdInterval`` over ``cvdWindow`` bars (weight ``cvdWeight``), with per-bar
///   delta `2 × takerBuy − volume`: a divergence scores ±1 — price makes a higher high in the
///   last ``divergenceRecent`` bars than in the window before while CVD makes a lower high
///   (bearish), or a lower low while CVD makes a higher low (bullish); otherwise the CVD trend
///   `CVD / Σ volume` scores `clamp(trend / (2 × flowFull))`, halved when price moved the
///   other way.
/// - **Funding and premium** (weight ``premiumWeight``, derivatives only): the mean of the
///   available parts; funding whose deviation from ``neutralFunding`` exceeds
///   ``fundingExtreme`` scores `−clamp(deviation / fundingFull)` (crowded longs → short), and
///   a mean premium of the last 3 samples beyond ±``premiumExtreme`` scores
///   `−clamp(premium / premiumFull)`; inside those bands 0.
/// - **Open interest** (weight ``openInterestWeight``, derivatives only): the change over
///   ``openInterestLookback`` ms against the price change over the same span (from 1m
///   candles, else 5m). OI up by at least ``openInterestThreshold`` with price up by at least
///   ``priceThreshold`` is trend confirmation, `+(0.5 + 0.5 × min(1, ΔOI / openInterestFull))`;
///   with price down it is shorts building, the negative; with price flat 0. OI down by the
///   threshold is deleveraging: score 0 and confidence × ``deleveragingPenalty``.
/// - **Realised volatility** (no direction): the standard deviation of 1m close-to-close
///   changes (as fractions of the latest close, i.e. simple returns up to the window's drift)
///   over the last ``volatilityRecent`` bars against that of up to ``volatilityBaseline`` bars
///   before (5m bars, a fifth as many, when 1m is too short). Above ``highVolatilityRatio``
///   the market is in a high-volatility regime: confidence × ``highVolatilityPenalty``.
///
/// The vote follows ``WeightedEvidence`` (neutral when `|net| < neutralBand`, probability
/// `0.5 + 0.4|net|`, confidence `sufficiency × agreement`). Sufficiency is the weight share
/// of the usable candle-based sub-signals × `(0.85 + 0.15 × d)`, `d` being the share of the
/// two derivatives sub-signals that had data, times the penalties above. Without derivatives
/// (spot) the head still votes from flow, CVD and volatility and says the rest was unavailable;
/// without usable 1m or 5m candles it returns missing data.
public struct CryptoMetricsHead: Head {
    /// A taker-flow window: the last `bars` candles of `interval`.
    public struct FlowWindow: Sendable, Hashable {
        public var interval: CandleInterval
        public var bars: Int
        public var weight: Double
        public init(_ interval: CandleInterval, bars: Int, weight: Double) {
            self.interval = interval
            self.bars = bars
            self.weight = weight
        }
    }

    public var kind: HeadKind { .cryptoMetrics }

    /// Taker-flow windows. Default 1m × 30 (0.15) and 5m × 24 (0.15).
    public var flowWindows: [FlowWindow]
    /// Taker-buy share above (below) one half that scores a full ±1. Default 0.1.
    public var flowFull: Double
    /// CVD timeframe, window and weight. Defaults 5m, 48 bars, 0.2.
    public var cvdInterval: CandleInterval
    public var cvdWindow: Int
    public var cvdWeight: Double
    /// Recent bars of the CVD divergence test (the rest of the window is the prior part). Default 12.
    public var divergenceRecent: Int
    /// Funding/premium weight. Default 0.2.
    public var premiumWeight: Double
    /// Funding taken as neutral, the deviation that starts to count and the one scoring ±1.
    /// Defaults 0.0001, 0.0003, 0.0006.
    public var neutralFunding: Double
    public var fundingExtreme: Double
    public var fundingFull: Double
    /// Premium that starts to count and the one scoring ±1. Defaults 0.0005 (0.05 %), 0.002.
    public var premiumExtreme: Double
    public var premiumFull: Double
    /// Open-interest weight, span (ms) and thresholds. Defaults 0.3, 1 h, 1 %, 5 %.
    public var openInterestWeight: Double
    public var openInterestLookback: Int64
    public var openInterestThreshold: Double
    public var openInterestFull: Double
    /// Price change that counts as a move over the open-interest span. Default 0.002 (0.2 %).
    public var priceThreshold: Double
    /// Confidence factor while open interest drops. Default 0.9.
    public var deleveragingPenalty: Double
    /// Realised-volatility windows in 1m bars. Defaults 60 and 480.
    public var volatilityRecent: Int
    public var volatilityBaseline: Int
    /// Recent/baseline volatility above which the regime is high-volatility. Default 1.8.
    public var highVolatilityRatio: Double
    /// Confidence factor in a high-volatility regime. Default 0.75.
    public var highVolatilityPenalty: Double
    /// `|net|` below this is neutral. Default 0.15.
    public var neutralBand: Double

    public init() {
        flowWindows = [FlowWindow(.oneMinute, bars: 30, weight: 0.15), FlowWindow(.fiveMinutes, bars: 24, weight: 0.15)]
        flowFull = 0.1
        cvdInterval = .fiveMinutes
        cvdWindow = 48
        cvdWeight = 0.2
        divergenceRecent = 12
        premiumWeight = 0.2
        neutralFunding = 0.0001
        fundingExtreme = 0.0003
        fundingFull = 0.0006
        premiumExtreme = 0.0005
        premiumFull = 0.002
        openInterestWeight = 0.3
        openInterestLookback = 3_600_000
        openInterestThreshold = 0.01
        openInterestFull = 0.05
        priceThreshold = 0.002
        deleveragingPenalty = 0.9
        volatilityRecent = 60
        volatilityBaseline = 480
        highVolatilityRatio = 1.8
        highVolatilityPenalty = 0.75
        neutralBand = 0.15
    }

    public func evaluate(_ input: AnalysisInput) -> Vote {
        var evidence = WeightedEvidence()
        var reasons: [String] = []
        var candleTotal = 0.0
        var candleUsable = 0.0

        for window in flowWindows {
            candleTotal += window.weight
            if let text = scoreFlow(input.candles(window.interval), window, into: &evidence) {
                candleUsable += window.weight
                reasons.append(text)
            }
        }
        candleTotal += cvdWeight
        if let text = scoreCVD(input.candles(cvdInterval), into: &evidence) {
            candleUsable += cvdWeight
            reasons.append(text)
        }
        guard candleUsable > 0 else {
            return .missingData(kind, "crypto metrics needs 1m or 5m candles with volume for taker flow and CVD; none usable")
        }

        var penalty = 1.0
        var derivativeParts = 0.0
        let derivatives = input.derivatives
        if derivatives == nil {
            reasons.append("funding, premium and open interest unavailable (\(input.market == .spot ? "spot market" : "no derivatives data"))")
        }
        if let derivatives {
            if let text = scorePremium(derivatives, into: &evidence) {
                derivativeParts += 1
                reasons.append(text)
            } else {
                reasons.append("funding and premium unavailable")
            }
            if let (text, deleveraging) = scoreOpenInterest(derivatives, input, into: &evidence) {
                derivativeParts += 1
                if deleveraging { penalty *= deleveragingPenalty }
                reasons.append(text)
            } else {
                reasons.append("open-interest change unavailable")
            }
        }
        let (volatilityText, highVolatility) = volatilityRegime(input)
        if highVolatility { penalty *= highVolatilityPenalty }
        reasons.append(volatilityText)

        let sufficiency = candleUsable / candleTotal * (0.85 + 0.15 * derivativeParts / 2) * penalty
        return evidence.vote(kind, neutralBand: neutralBand, sufficiency: sufficiency, reasons: reasons)
    }
}
