/// A decimal exactly as Binance printed it (`"0.00007480"`), with its nearest `Double`.
///
/// The text goes to PostgreSQL `numeric` unchanged, so no digit is ever lost or added; the
/// `Double` is for arithmetic and validation. Equality and hashing use the text, so
/// `"1.0"` and `"1.00"` differ, as they do in Binance's output.
public struct ExactDecimal: Sendable, Hashable, CustomStringConvertible {
    /// Plain decimal text: `-?digits[.digits]`, at most 64 characters.
    public let text: String
    /// The correctly rounded `Double` nearest to `text`.
    public let value: Double

    init(uncheckedText text: String, value: Double) {
        self.text = text
        self.value = value
    }

    /// Validates `text` as a plain decimal (`-?digits[.digits]`, no exponent, at most 64
    /// characters); nil otherwise.
    public init?(_ text: some StringProtocol) {
        var copy = String(text)
        let parsed = copy.withUTF8 { DecimalText.parse($0.baseAddress, $0.count) }
        guard case .number(let value, _) = parsed else { return nil }
        self.text = copy
        self.value = value
    }

    public var description: String { text }
}

/// Validation and conversion of decimal number text, on raw bytes.
enum DecimalText {
    static var maxLength: Int { 64 }

    enum Parsed {
        case number(Double, negative: Bool)
        /// `NaN`, `Infinity`, `inf` in any case, with or without a sign.
        case notFinite
        case invalid
    }

    /// Parses `-?[0-9]+(\.[0-9]+)?`. The value is correctly rounded: exact integer arithmetic
    /// and one IEEE division when the digits fit (Clinger's fast path, every Binance price and
    /// volume), the standard library's `strtod` otherwise.
    @inline(__always)
    static func parse(_ start: UnsafePointer<UInt8>?, _ count: Int) -> Parsed {
        guard let start, count > 0, count <= maxLength else { return .invalid }
        var index = 0
        var negative = false
        if start[0] == UInt8(ascii: "-") {
            negative = true
            index = 1
        }
        guard index < count else { return .invalid }
        let first = start[index] | 0x20  // ASCII lower-case
        if first == UInt8(ascii: "n") || first == UInt8(ascii: "i") {
            return isNotFiniteWord(start + index, count - index) ? .notFinite : .invalid
        }
        var mantissa: UInt64 = 0
        var significant = 0
        var integerDigits = 0
        var fractionDigits = 0
        var seenDot = false
        var truncated = false
        while index < count {
            let byte = start[index]
            index += 1
            let digit = byte &- UInt8(ascii: "0")
            if digit < 10 {
                if seenDot { fractionDigits += 1 } else { integerDigits += 1 }
                if mantissa == 0 && digit == 0 { continue }
                if significant < 19 {
                    mantissa = mantissa &* 10 &+ UInt64(digit)
                    significant += 1
                } else {
                    truncated = true
                }
            } else if byte == UInt8(ascii: ".") && !seenDot {
                guard integerDigits > 0 else { return .invalid }
                seenDot = true
            } else {
                return .invalid
            }
        }
        guard integerDigits > 0, !seenDot || fractionDigits > 0 else { return .invalid }
        var exponent = fractionDigits
        if !truncated {
            // Trailing fraction zeros ("208601.00000000") only scale the mantissa.
            while mantissa > 1 << 53 && exponent > 0 && mantissa % 10 == 0 {
                mantissa /= 10
                exponent -= 1
            }
            if mantissa <= 1 << 53, let scale = powerOfTen(exponent) {
                let magnitude = Double(mantissa) / scale
                return .number(negative ? -magnitude : magnitude, negative: negative)
            }
        }
        let text = String(decoding: UnsafeBufferPointer(start: start, count: count), as: UTF8.self)
        guard let value = Double(text), value.isFinite else { return .invalid }
        return .number(value, negative: negative)
    }

    private static func isNotFiniteWord(_ start: UnsafePointer<UInt8>, _ count: Int) -> Bool {
        func matches(_ word: StaticString) -> Bool {
            guard word.utf8CodeUnitCount == count else { return false }
            for offset in 0..<count where start[offset] | 0x20 != word.utf8Start[offset] { return false }
            return true
        }
        return matches("nan") || matches("inf") || matches("infinity")
    }

    /// 10^exponent for the exactly representable powers, nil past 10^22.
    @inline(__always)
    private static func powerOfTen(_ exponent: Int) -> Double? {
        switch exponent {
        case 0: 1
        case 1: 1e1
        case 2: 1e2
        case 3: 1e3
        case 4: 1e4
        case 5: 1e5
        case 6: 1e6
        case 7: 1e7
        case 8: 1e8
        case 9: 1e9
        case 10: 1e10
        case 11: 1e11
        case 12: 1e12
        case 13: 1e13
        case 14: 1e14
        case 15: 1e15
        case 16: 1e16
        case 17: 1e17
        case 18: 1e18
        case 19: 1e19
        case 20: 1e20
        case 21: 1e21
        case 22: 1e22
        default: nil
        }
    }
}
