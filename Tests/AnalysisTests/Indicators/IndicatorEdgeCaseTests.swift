import Analysis
import Foundation
import Testing

/// Warm-up lengths, short inputs and flat markets.
@Suite struct IndicatorEdgeCaseTests {
    static let ramp = (0..<60).map { 10 + Double($0) * 0.1 + sin(Double($0)) * 0.3 }

    static func firstValue(_ series: [Double]) -> Int? { series.firstIndex { !$0.isNaN } }

    @Test func warmUpLengthsFollowTALib() {
        let x = Self.ramp
        #expect(Self.firstValue(Indicators.sma(x, period: 20)) == 19)
        #expect(Self.firstValue(Indicators.ema(x, period: 20)) == 19)
        #expect(Self.firstValue(Indicators.rsi(x, period: 14)) == 14)
        let macd = Indicators.macd(x)
        #expect(Self.firstValue(macd.macd) == 33)
        #expect(Self.firstValue(macd.signal) == 33)
        #expect(Self.firstValue(macd.histogram) == 33)
        #expect(Self.firstValue(Indicators.atr(high: x, low: x, close: x, period: 14)) == 14)
        let stochastic = Indicators.stochastic(high: x, low: x, close: x)
        #expect(Self.firstValue(stochastic.k) == 17)
        #expect(Self.firstValue(stochastic.d) == 17)
        let adx = Indicators.adx(high: x, low: x, close: x, period: 14)
        #expect(Self.firstValue(adx.plusDI) == 14)
        #expect(Self.firstValue(adx.adx) == 27)
    }

    @Test func emaIsSeededWithTheSMA() {
        let ema = Indicators.ema([1, 2, 3, 4, 10], period: 3)
        #expect(ema[2] == 2)
        #expect(ema[3] == (4 - 2) * 0.5 + 2)
        #expect(ema[4] == (10 - 3) * 0.5 + 3)
    }

    @Test func macdSeedsTheFastEMAAtTheSlowStart() {
        // fast 2, slow 4, signal 2: the fast EMA is seeded with the mean of x[2...3], not x[0...1].
        let x = [1.0, 5, 2, 8, 4, 6]
        let macd = Indicators.macd(x, fast: 2, slow: 4, signal: 2)
        let fast3 = (2.0 + 8) / 2, slow3 = (1.0 + 5 + 2 + 8) / 4
        let fast4 = (4 - fast3) * (2.0 / 3) + fast3, slow4 = (4 - slow3) * 0.4 + slow3
        let line3 = fast3 - slow3, line4 = fast4 - slow4
        #expect(macd.macd[3].isNaN, "MACD is NaN until the signal exists, as in TA-Lib")
        #expect(macd.macd[4] == line4)
        #expect(macd.signal[4] == (line3 + line4) / 2)
        #expect(macd.histogram[4] == line4 - (line3 + line4) / 2)
    }

    @Test func shortInputsAreAllNaNOfTheSameLength() {
        let x = [1.0, 2, 3]
        for series in [
            Indicators.sma(x, period: 5), Indicators.ema(x, period: 5), Indicators.rsi(x, period: 3),
            Indicators.macd(x).macd, Indicators.bollinger(x).upper, Indicators.atr(high: x, low: x, close: x, period: 3),
            Indicators.stochastic(high: x, low: x, close: x).k, Indicators.adx(high: x, low: x, close: x, period: 3).adx,
        ] {
            #expect(series.count == 3 && series.allSatisfy(\.isNaN))
        }
        #expect(Indicators.obv(close: [], volume: []).isEmpty)
        #expect(Indicators.sma([], period: 3).isEmpty)
    }

    @Test func flatMarketsReadNeutral() {
        let flat = [Double](repeating: 0.00001234, count: 40)
        #expect(Indicators.rsi(flat, period: 14)[14...].allSatisfy { $0 == 50 })
        let stochastic = Indicators.stochastic(high: flat, low: flat, close: flat)
        #expect(stochastic.k[17...].allSatisfy { $0 == 50 } && stochastic.d[17...].allSatisfy { $0 == 50 })
        let bands = Indicators.bollinger(flat)
        for i in 19..<flat.count { #expect(bands.upper[i] - bands.lower[i] <= 1e-12 * bands.middle[i]) }
        #expect(Indicators.adx(high: flat, low: flat, close: flat, period: 14).plusDI[14...].allSatisfy { $0 == 0 })
    }

    @Test func lowPricedCoinsAreNotFlattened() {
        // Prices around 1e-5 USDT: TA-Lib's absolute epsilons would report RSI 0 and σ 0 here.
        let tiny = Self.ramp.map { $0 * 1e-6 }
        let scaled = Indicators.rsi(Self.ramp, period: 14)
        let rsi = Indicators.rsi(tiny, period: 14)
        for i in 14..<tiny.count { #expect(abs(rsi[i] - scaled[i]) < 1e-9) }
        let bands = Indicators.bollinger(tiny)
        #expect(bands.upper[19...].allSatisfy { $0 > 0 } && (bands.upper[30] - bands.lower[30]) > 0)
        let adx = Indicators.adx(high: tiny.map { $0 * 1.001 }, low: tiny.map { $0 * 0.999 }, close: tiny, period: 14)
        #expect(adx.adx[27...].allSatisfy { $0 > 0 })
    }
}
