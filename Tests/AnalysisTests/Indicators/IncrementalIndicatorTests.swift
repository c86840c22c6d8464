import Analysis
import Core
import Testing

/// The incremental indicators give exactly (bit for bit) the batch series.
@Suite struct IncrementalIndicatorTests {
    static func columns() throws -> CandleColumns {
        CandleColumns(try ReferenceFixture.named("LINKUSDT").candles)
    }

    static func expectIdentical(_ streamed: [Double], _ batch: [Double], _ name: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(streamed.count == batch.count, sourceLocation: sourceLocation)
        let first = zip(streamed, batch).enumerated().first { _, pair in
            !(pair.0 == pair.1 || (pair.0.isNaN && pair.1.isNaN))
        }
        #expect(first == nil, "\(name) differs at index \(first?.offset ?? -1): \(String(describing: first?.element))", sourceLocation: sourceLocation)
        #expect(streamed.contains { !$0.isNaN }, "\(name) never warmed up", sourceLocation: sourceLocation)
    }

    @Test(arguments: [1, 2, 20, 200])
    func smaMatchesBatch(period: Int) throws {
        let close = try Self.columns().close
        var sma = Indicators.SMA(period: period)
        var streamed: [Double] = []
        for (i, x) in close.enumerated() {
            streamed.append(sma.update(x))
            #expect(sma.isReady == (i >= period - 1))
        }
        Self.expectIdentical(streamed, Indicators.sma(close, period: period), "SMA(\(period))")
    }

    @Test(arguments: [1, 9, 20, 200])
    func emaMatchesBatch(period: Int) throws {
        let close = try Self.columns().close
        var ema = Indicators.EMA(period: period)
        let streamed = close.map { ema.update($0) }
        Self.expectIdentical(streamed, Indicators.ema(close, period: period), "EMA(\(period))")
        #expect(ema.value == streamed.last)
    }

    @Test(arguments: [2, 14, 50])
    func rsiMatchesBatch(period: Int) throws {
        let close = try Self.columns().close
        var rsi = Indicators.RSI(period: period)
        var streamed: [Double] = []
        for (i, x) in close.enumerated() {
            streamed.append(rsi.update(x))
            #expect(rsi.isReady == (i >= period))
        }
        Self.expectIdentical(streamed, Indicators.rsi(close, period: period), "RSI(\(period))")
    }

    @Test(arguments: [1, 14, 50])
    func atrMatchesBatch(period: Int) throws {
        let c = try Self.columns()
        var atr = Indicators.ATR(period: period)
        var streamed: [Double] = []
        for i in 0..<c.count {
            streamed.append(atr.update(high: c.high[i], low: c.low[i], close: c.close[i]))
            #expect(atr.isReady == (i >= period))
        }
        Self.expectIdentical(streamed, Indicators.atr(high: c.high, low: c.low, close: c.close, period: period), "ATR(\(period))")
    }

    @Test func obvMatchesBatch() throws {
        let c = try Self.columns()
        var obv = Indicators.OBV()
        let streamed = (0..<c.count).map { obv.update(close: c.close[$0], volume: c.volume[$0]) }
        Self.expectIdentical(streamed, Indicators.obv(close: c.close, volume: c.volume), "OBV")
    }

    @Test func candleOverloadsMatchColumns() throws {
        let candles = try ReferenceFixture.named("NEARUSDT").candles
        let c = CandleColumns(candles)
        var atr = Indicators.ATR()
        var obv = Indicators.OBV()
        Self.expectIdentical(candles.map { atr.update($0) }, Indicators.atr(candles), "ATR(candles)")
        Self.expectIdentical(candles.map { obv.update($0) }, Indicators.obv(candles), "OBV(candles)")
        Self.expectIdentical(Indicators.atr(candles), Indicators.atr(high: c.high, low: c.low, close: c.close), "ATR")
        Self.expectIdentical(Indicators.stochastic(candles).d, Indicators.stochastic(high: c.high, low: c.low, close: c.close).d, "STOCH")
        Self.expectIdentical(Indicators.adx(candles).adx, Indicators.adx(high: c.high, low: c.low, close: c.close).adx, "ADX")
    }
}
