/// The sub-signals of one head, weighted and tallied into a vote.
///
/// Each sub-signal is a score in -1...1 (positive = long) with a weight; a sub-signal whose
/// data is absent is recorded as unavailable, so its weight counts towards what the head
/// could have seen but not towards the result. The heads share one vote rule:
///
/// - `net` = Σ weight·score / Σ available weight, in -1...1;
/// - `|net| < neutralBand` → neutral, probability 0.5, confidence `sufficiency × 0.5`;
/// - otherwise direction = sign of `net`, probability = `0.5 + 0.4 × |net|` (0.5...0.9), and
///   confidence = `sufficiency × agreement`, where `agreement` is the share of the directional
///   evidence (Σ weight·|score|) that points the same way as `net`.
///
/// (Used by all heads of this folder; it lives here because each head file has one owner.)
struct WeightedEvidence: Sendable {
    /// Weight of every sub-signal considered, available or not.
    private(set) var possibleWeight = 0.0
    /// Weight of the sub-signals that had their data.
    private(set) var availableWeight = 0.0
    private var weighted = 0.0
    private var bullish = 0.0
    private var bearish = 0.0

    init() {}

    /// Records a sub-signal; `score` is clamped to -1...1 (NaN counts as 0).
    mutating func add(_ score: Double, weight: Double) {
        let s = score.isNaN ? 0 : min(max(score, -1), 1)
        possibleWeight += weight
        availableWeight += weight
        weighted += weight * s
        if s > 0 { bullish += weight * s } else { bearish -= weight * s }
    }

    /// Records a sub-signal whose data was not there.
    mutating func unavailable(weight: Double) {
        possibleWeight += weight
    }

    /// Weighted mean score of the available sub-signals, -1...1 (0 when none).
    var net: Double { availableWeight > 0 ? weighted / availableWeight : 0 }

    /// Available weight over possible weight, 0...1.
    var coverage: Double { possibleWeight > 0 ? availableWeight / possibleWeight : 0 }

    /// Share of the directional evidence on the side of `net`, 0...1 (0 when there is none).
    var agreement: Double {
        let total = bullish + bearish
        guard total > 0 else { return 0 }
        return (weighted >= 0 ? bullish : bearish) / total
    }

    /// Whether any sub-signal had a non-zero score.
    var hasDirectionalEvidence: Bool { bullish + bearish > 0 }

    /// The vote described in the type's documentation. `sufficiency` (0...1) is the head's
    /// judgement of how complete its data was, already including any confidence penalties.
    func vote(_ head: HeadKind, neutralBand: Double, sufficiency: Double, reasons: [String]) -> Vote {
        let n = net
        guard abs(n) >= neutralBand, n != 0 else {
            return Vote(head: head, direction: .neutral, probability: 0.5, confidence: sufficiency * 0.5, reasons: reasons)
        }
        return Vote(
            head: head, direction: n > 0 ? .long : .short, probability: 0.5 + 0.4 * min(abs(n), 1),
            confidence: sufficiency * agreement, reasons: reasons)
    }
}
