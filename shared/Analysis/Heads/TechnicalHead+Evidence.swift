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

/// Compact number formatting for vote reasons, without Foundation (and cheap: reasons are built
/// on every evaluation).
enum ReasonFormat {
    /// `value` with `digits` decimals ("28.4", "-0.05"); "n/a" when not finite.
    static func decimal(_ value: Double, _ digits: Int) -> String {
        guard value.isFinite else { return "n/a" }
        let digits = max(0, min(digits, 12))
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let scaled = (abs(value) * scale).rounded()
        guard scaled < 9.0e15 else { return String(value) }
        // Digits written backwards into a small buffer: no intermediate strings.
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 32) { buffer in
            var n = UInt64(scaled)
            var i = 32
            var written = 0
            while n > 0 || written <= digits {
                if written == digits && digits > 0 {
                    i -= 1
                    buffer[i] = UInt8(ascii: ".")
                }
                i -= 1
                buffer[i] = UInt8(ascii: "0") + UInt8(n % 10)
                n /= 10
                written += 1
            }
            if value < 0 && scaled > 0 {
                i -= 1
                buffer[i] = UInt8(ascii: "-")
            }
            return String(decoding: UnsafeBufferPointer(rebasing: buffer[i..<32]), as: UTF8.self)
        }
    }

    /// A price with about six significant digits ("65432.1", "1.23456", "0.0000123456").
    static func price(_ value: Double) -> String {
        guard value.isFinite, value != 0 else { return decimal(value, 2) }
        var magnitude = 0
        var v = abs(value)
        while v >= 10 {
            v /= 10
            magnitude += 1
        }
        while v < 1 {
            v *= 10
            magnitude -= 1
        }
        return decimal(value, max(0, min(12, 5 - magnitude)))
    }

    /// A fraction as a percentage with `digits` decimals: 0.0123 → "1.23%" (or "+1.23%" when
    /// `signed`).
    static func percent(_ fraction: Double, _ digits: Int = 2, signed: Bool = false) -> String {
        let text = decimal(fraction * 100, digits) + "%"
        return signed && fraction > 0 && text != decimal(0, digits) + "%" ? "+" + text : text
    }

    /// "on the last bar", "1 bar ago", "3 bars ago".
    static func barsAgo(_ bars: Int) -> String {
        bars == 0 ? "on the last bar" : (bars == 1 ? "1 bar ago" : "\(bars) bars ago")
    }
}
