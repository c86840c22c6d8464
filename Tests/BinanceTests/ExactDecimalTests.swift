import Binance
import Testing

@Suite struct ExactDecimalTests {
    @Test func theFastPathRoundsExactlyLikeTheStandardLibrary() {
        var generator = SeededGenerator(seed: 42)
        for _ in 0..<200_000 {
            let integer = String(UInt64.random(in: 0...(Bool.random(using: &generator) ? 99 : 99_999_999_999), using: &generator))
            let fractionLength = Int.random(in: 0...18, using: &generator)
            let fraction = String((0..<fractionLength).map { _ in "0123456789".randomElement(using: &generator)! })
            let text = fractionLength == 0 ? integer : integer + "." + fraction
            let decimal = ExactDecimal(text)
            #expect(decimal?.text == text)
            #expect(decimal?.value == Double(text), "\(text)")
        }
    }

    @Test func longAndSignedTextStaysExact() throws {
        for text in ["0", "-0.5", "123456789012345678901234567890.123456789", "0.000000000000000000000000001", "9007199254740993",
                     "1.00000000000000000000000000000000000000000000000000000000000001"] {
            let decimal = try #require(ExactDecimal(text), "\(text)")
            #expect(decimal.text == text && decimal.value == Double(text), "\(text)")
        }
    }

    @Test func onlyPlainDecimalsAreAccepted() {
        for text in ["", "-", ".", "1.", ".1", "1..2", "1.2.3", "1e5", "+1", " 1", "1 ", "0x10", "NaN", "inf", "--1", "1-",
                     String(repeating: "1", count: 65)] {
            #expect(ExactDecimal(text) == nil, "\(text)")
        }
        #expect(ExactDecimal(String(repeating: "1", count: 64)) != nil)
    }
}
