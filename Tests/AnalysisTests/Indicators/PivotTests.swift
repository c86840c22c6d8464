import Analysis
import Core
import Testing

@Suite struct PivotTests {
    @Test func classicLevels() {
        let levels = PivotLevels(high: 110, low: 100, close: 105)
        #expect(levels == PivotLevels(pivot: 105, r1: 110, r2: 115, r3: 120, s1: 100, s2: 95, s3: 90))
    }

    @Test func classicLevelsWithAnOffCentreClose() {
        // P = (120 + 100 + 116) / 3 = 112.
        let levels = PivotLevels(high: 120, low: 100, close: 116, method: .classic)
        #expect(levels == PivotLevels(pivot: 112, r1: 124, r2: 132, r3: 144, s1: 104, s2: 92, s3: 84))
    }

    @Test func fibonacciLevels() {
        let levels = PivotLevels(high: 110, low: 100, close: 105, method: .fibonacci)
        let expected = [105, 108.82, 111.18, 115, 101.18, 98.82, 95]
        let actual = [levels.pivot, levels.r1, levels.r2, levels.r3, levels.s1, levels.s2, levels.s3]
        for (a, e) in zip(actual, expected) { #expect(abs(a - e) < 1e-12) }
    }

    @Test func previousDayPivotsUseTheDayBeforeTheLastCandle() {
        let day: Int64 = 86_400_000
        let start: Int64 = 20_480 * day
        func candle(_ time: Int64, _ high: Double, _ low: Double, _ close: Double) -> Candle {
            Candle(
                market: .spot, symbol: "TESTUSDT", interval: .oneHour, openTime: time, closeTime: time + 3_599_999,
                open: close, high: high, low: low, close: close, volume: 1, quoteVolume: close,
                trades: 1, takerBuyVolume: 0.5, takerBuyQuoteVolume: close / 2
            )
        }
        let candles = [
            candle(start - 3_600_000, 500, 1, 250),      // two days back: ignored
            candle(start, 108, 101, 104),
            candle(start + 12 * 3_600_000, 110, 100, 107),
            candle(start + 23 * 3_600_000, 106, 102, 105), // the previous day's close
            candle(start + day, 130, 90, 120),             // today: ignored
        ]
        #expect(Indicators.previousDayPivots(candles) == PivotLevels(high: 110, low: 100, close: 105))
        #expect(Indicators.previousDayPivots(Array(candles.prefix(1))) == nil)
        #expect(Indicators.previousDayPivots([]) == nil)
    }
}
