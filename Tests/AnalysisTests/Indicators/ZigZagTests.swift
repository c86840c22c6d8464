import Analysis
import Core
import Testing

@Suite struct ZigZagTests {
    @Test func alternatesAfterMovesOfTheThreshold() {
        let closes = [100.0, 104, 108, 103, 97, 96, 100, 106, 112, 105, 100, 101]
        let zigzag = Indicators.zigzag(closes, threshold: 0.10)
        #expect(zigzag == [
            // 97 <= 108 × 0.9 = 97.2 confirms the high at bar 4.
            SwingPoint(kind: .high, index: 2, price: 108, confirmedAt: 4),
            // 106 >= 96 × 1.1 = 105.6 confirms the low at bar 7.
            SwingPoint(kind: .low, index: 5, price: 96, confirmedAt: 7),
            // 100 <= 112 × 0.9 = 100.8 confirms the high at bar 10.
            SwingPoint(kind: .high, index: 8, price: 112, confirmedAt: 10),
        ])
    }

    @Test func usesHighsAndLows() {
        let high = [10.3, 11, 10.5, 10.2, 10.9]
        let low = [10.2, 10.5, 9.8, 9.9, 10.4]
        // From the high of 11, the low of 9.8 is 10.9 % lower; then 10.9 is 11.2 % above 9.8.
        let zigzag = Indicators.zigzag(high: high, low: low, threshold: 0.10)
        #expect(zigzag == [
            SwingPoint(kind: .high, index: 1, price: 11, confirmedAt: 2),
            SwingPoint(kind: .low, index: 2, price: 9.8, confirmedAt: 4),
        ])
    }

    @Test func noSwingWithoutAMoveOfTheThreshold() {
        #expect(Indicators.zigzag([100.0, 101, 102, 103, 104], threshold: 0.05).isEmpty)
        // The start of a trend is a swing once the trend has moved far enough; the top is not yet.
        #expect(Indicators.zigzag([100.0, 101, 103, 106, 110], threshold: 0.05) == [
            SwingPoint(kind: .low, index: 0, price: 100, confirmedAt: 3),
        ])
        #expect(Indicators.zigzag([Double](), threshold: 0.05).isEmpty)
    }

    @Test func prefixesSeeExactlyTheSwingsConfirmedSoFar() throws {
        let c = CandleColumns(try ReferenceFixture.named("LINKUSDT").candles)
        let all = Indicators.zigzag(high: c.high, low: c.low, threshold: 0.004)
        #expect(all.count > 10)
        for (a, b) in zip(all, all.dropFirst()) {
            #expect(a.kind != b.kind, "zigzag swings alternate")
            #expect(a.index < b.index && a.confirmedAt <= b.confirmedAt)
        }
        for t in stride(from: 0, to: c.count, by: 37) {
            let prefix = Indicators.zigzag(high: Array(c.high[...t]), low: Array(c.low[...t]), threshold: 0.004)
            #expect(prefix == all.confirmed(asOf: t), "bar \(t)")
        }
    }
}
