import Analysis
import Core
import Testing

@Suite struct VWAPTests {
    static let day: Int64 = 86_400_000
    static let minute: Int64 = 60_000

    static func candle(_ openTime: Int64, high: Double, low: Double, close: Double, volume: Double) -> Candle {
        Candle(
            market: .futures, symbol: "TESTUSDT", interval: .oneMinute, openTime: openTime, closeTime: openTime + minute - 1,
            open: close, high: high, low: low, close: close, volume: volume, quoteVolume: close * volume,
            trades: 1, takerBuyVolume: volume / 2, takerBuyQuoteVolume: close * volume / 2
        )
    }

    @Test func resetsAtEachUTCMidnight() {
        // 2026-02-01 23:58 and 23:59, then 2026-02-02 00:00 and 00:01.
        let midnight: Int64 = 1_769_990_400_000
        #expect(midnight % Self.day == 0)
        let candles = [
            Self.candle(midnight - 2 * Self.minute, high: 12, low: 9, close: 9, volume: 2),     // typical 10
            Self.candle(midnight - Self.minute, high: 22, low: 19, close: 19, volume: 3),      // typical 20
            Self.candle(midnight, high: 31, low: 29, close: 30, volume: 1),                    // typical 30
            Self.candle(midnight + Self.minute, high: 41, low: 40, close: 39, volume: 4),      // typical 40
        ]
        let vwap = Indicators.vwap(candles)
        let beforeMidnight: Double = (10 * 2 + 20 * 3) / 5
        let afterMidnight: Double = (30 * 1 + 40 * 4) / 5
        #expect(vwap == [10, beforeMidnight, 30, afterMidnight])
    }

    @Test func isNaNUntilTheSessionTrades() {
        let start: Int64 = 1_769_990_400_000
        let candles = [
            Self.candle(start, high: 11, low: 9, close: 10, volume: 0),
            Self.candle(start + Self.minute, high: 12, low: 12, close: 12, volume: 5),
        ]
        let vwap = Indicators.vwap(candles)
        #expect(vwap[0].isNaN)
        #expect(vwap[1] == 12)
    }

    @Test func rollingWindow() {
        let high = [10.0, 20, 30, 40, 50]
        let low = high
        let close = high
        let volume = [1.0, 3, 0, 0, 2]
        let vwap = Indicators.rollingVWAP(high: high, low: low, close: close, volume: volume, period: 2)
        #expect(vwap[0].isNaN)
        #expect(vwap[1] == 17.5) // (10 × 1 + 20 × 3) / 4
        #expect(vwap[2] == 20)
        #expect(vwap[3].isNaN, "a window without volume has no VWAP")
        #expect(vwap[4] == 50)
    }

    @Test func sessionVWAPMatchesABruteForceOnRealKlines() throws {
        let candles = try ReferenceFixture.named("LINKUSDT").candles
        let vwap = Indicators.vwap(candles)
        // 2,000 one-minute klines span two UTC midnights.
        var sessions = 0
        for i in candles.indices {
            let day = candles[i].openTime / Self.day
            if i == 0 || candles[i - 1].openTime / Self.day != day { sessions += 1 }
            guard i % 7 == 0 else { continue }
            let session = candles[...i].filter { $0.openTime / Self.day == day }
            let pv = session.reduce(0.0) { $0 + ($1.high + $1.low + $1.close) / 3 * $1.volume }
            let v = session.reduce(0.0) { $0 + $1.volume }
            #expect(abs(vwap[i] - pv / v) <= 1e-9 * abs(pv / v), "index \(i)")
        }
        #expect(sessions >= 2)
    }
}
