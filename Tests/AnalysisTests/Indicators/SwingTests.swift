import Analysis
import Core
import Testing

@Suite struct SwingTests {
    // Index:       0  1  2  3  4  5  6  7  8  9  10 11
    static let high = [1.0, 2, 5, 3, 2, 4, 4, 3, 6, 7, 6, 5]
    static let low = [0.5, 1, 4, 2, 1, 3, 3.5, 2, 5, 6, 5.5, 4]

    @Test func findsPivotsWithTheirConfirmationBar() {
        let swings = Indicators.swings(high: Self.high, low: Self.low, left: 2, right: 2)
        #expect(swings == [
            SwingPoint(kind: .high, index: 2, price: 5, confirmedAt: 4),
            SwingPoint(kind: .low, index: 4, price: 1, confirmedAt: 6),
            // Equal highs at 5 and 6: only the first is a swing.
            SwingPoint(kind: .high, index: 5, price: 4, confirmedAt: 7),
            SwingPoint(kind: .low, index: 7, price: 2, confirmedAt: 9),
            SwingPoint(kind: .high, index: 9, price: 7, confirmedAt: 11),
        ])
    }

    @Test func aSwingIsNotReportedBeforeItsConfirmationBar() {
        // The high at index 2 needs bars 3 and 4 to be known.
        let early = Indicators.swings(high: Array(Self.high[...3]), low: Array(Self.low[...3]), left: 2, right: 2)
        #expect(early.isEmpty)
        let confirmed = Indicators.swings(high: Array(Self.high[...4]), low: Array(Self.low[...4]), left: 2, right: 2)
        #expect(confirmed == [SwingPoint(kind: .high, index: 2, price: 5, confirmedAt: 4)])
    }

    @Test func prefixesSeeExactlyTheSwingsConfirmedSoFar() throws {
        let c = CandleColumns(Array(try ReferenceFixture.named("NEARUSDT").candles.prefix(400)))
        let all = Indicators.swings(high: c.high, low: c.low, left: 3, right: 2)
        #expect(all.count > 20)
        #expect(all.allSatisfy { $0.confirmedAt == $0.index + 2 })
        for t in stride(from: 0, to: c.count, by: 3) {
            let prefix = Indicators.swings(high: Array(c.high[...t]), low: Array(c.low[...t]), left: 3, right: 2)
            #expect(prefix == all.confirmed(asOf: t), "bar \(t)")
        }
    }

    @Test func eachSwingIsAStrictLocalExtreme() throws {
        let c = CandleColumns(try ReferenceFixture.named("LINKUSDT").candles)
        for swing in Indicators.swings(high: c.high, low: c.low, left: 5, right: 5) {
            let before = (swing.index - 5)..<swing.index
            let after = (swing.index + 1)...(swing.index + 5)
            switch swing.kind {
            case .high:
                #expect(before.allSatisfy { c.high[$0] < swing.price } && after.allSatisfy { c.high[$0] <= swing.price })
            case .low:
                #expect(before.allSatisfy { c.low[$0] > swing.price } && after.allSatisfy { c.low[$0] >= swing.price })
            }
        }
    }
}
