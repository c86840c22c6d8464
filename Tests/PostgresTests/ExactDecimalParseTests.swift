import Testing
@testable import Postgres

/// `Double.exactDecimal`, the fast path of reading a number column: wherever it answers, it
/// answers exactly what strtod (`Double(text)`) does, bit for bit.
@Suite struct ExactDecimalParseTests {
    @Test func plainDecimalsEqualStrtod() {
        var generator = SystemRandomNumberGenerator()
        var fast = 0
        for _ in 0..<100_000 {
            let digits = Int.random(in: 1...18, using: &generator)
            var text = String((0..<digits).map { _ in Character(String(Int.random(in: 0...9, using: &generator))) })
            if Bool.random(using: &generator) {
                let point = Int.random(in: 1..<(digits + 1), using: &generator)
                if point < digits { text.insert(".", at: text.index(text.startIndex, offsetBy: point)) }
            }
            if Int.random(in: 0..<4, using: &generator) == 0, text.contains(".") { text += String(repeating: "0", count: Int.random(in: 1...6, using: &generator)) }
            if Bool.random(using: &generator) { text = "-" + text }
            let expected = Double(text)!
            if let parsed = Double.exactDecimal(Substring(text)) {
                fast += 1
                #expect(parsed.bitPattern == expected.bitPattern, "\(text)")
            }
            #expect(Double(postgresText: Substring(text), type: 1700)?.bitPattern == expected.bitPattern, "\(text)")
        }
        #expect(fast > 75_000, "most plain decimals take the fast path")
    }

    @Test func edgesTakeTheFastPathOnlyWhenExact() {
        let exact: [(String, Double)] = [
            ("0", 0), ("-0", -0.0), ("-0.000", -0.0), ("9.982", 9.982), ("43123.45000000", 43123.45), ("0.00001234", 0.00001234),
            ("9007199254740992", 9_007_199_254_740_992), ("0.1", 0.1), ("-1.5", -1.5), ("1234567.12345600", 1234567.123456),
            ("0.0000000000000000000001", 1e-22),
        ]
        for (text, value) in exact {
            let parsed = Double.exactDecimal(Substring(text))
            #expect(parsed?.bitPattern == value.bitPattern, "\(text)")
        }
        // Beyond 2^53, more than 22 decimals, exponents, special spellings and malformed texts go to strtod.
        for text in ["9007199254740993", "12345678901234567890", "0.00000000000000000000001", "1e5", "1E-5", "NaN", "Infinity", "-Infinity",
                     "", "-", ".", "1.", ".5", "+1", " 1", "1 ", "1.2.3", "--1", "0x10"] {
            #expect(Double.exactDecimal(Substring(text)) == nil, "\(text)")
        }
        #expect(Double(postgresText: "9007199254740993", type: 1700) == 9_007_199_254_740_992, "strtod rounds to even")
        #expect(Double(postgresText: "-Infinity", type: 701) == -.infinity)
        #expect(Double(postgresText: "1.2.3", type: 1700) == nil)
    }
}
