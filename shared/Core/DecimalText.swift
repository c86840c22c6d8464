/// Checks and writes the plain decimal text candles are stored as.
public enum DecimalText {
    /// `[-]digits[.digits]` with at least one digit (also `.5` and `5.`), at most 100 bytes:
    /// what both Binance prints and PostgreSQL's numeric input reads back with the same scale.
    public static func isValid(_ text: String) -> Bool {
        var utf8 = text.utf8[...]
        guard utf8.count <= 100 else { return false }
        if utf8.first == UInt8(ascii: "-") { utf8 = utf8.dropFirst() }
        var digits = false
        var dot = false
        for byte in utf8 {
            if byte &- UInt8(ascii: "0") < 10 {
                digits = true
            } else if byte == UInt8(ascii: "."), !dot {
                dot = true
            } else {
                return false
            }
        }
        return digits
    }

    /// The shortest text that reads back as `value`, in plain notation (`0.00001`, not `1e-05`).
    public static func format(_ value: Double) -> String? {
        guard value.isFinite else { return nil }
        let text = value == 0 ? "0" : value.description
        guard let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) else {
            return text.hasSuffix(".0") ? String(text.dropLast(2)) : text
        }
        guard let exponent = Int(text[text.index(after: e)...]) else { return nil }
        var mantissa = String(text[..<e])
        let negative = mantissa.hasPrefix("-")
        if negative { mantissa.removeFirst() }
        let parts = mantissa.split(separator: ".", omittingEmptySubsequences: false)
        let whole = String(parts[0])
        var fraction = parts.count > 1 ? String(parts[1]) : ""
        if fraction == "0" { fraction = "" }
        // digits × 10^(exponent - fraction.count), with the point placed after `point` digits.
        let digits = whole + fraction
        let point = whole.count + exponent
        var result: String
        if point <= 0 {
            result = "0." + String(repeating: "0", count: -point) + digits
        } else if point >= digits.count {
            result = digits + String(repeating: "0", count: point - digits.count)
        } else {
            result = String(digits.prefix(point)) + "." + String(digits.dropFirst(point))
        }
        return negative ? "-" + result : result
    }
}
