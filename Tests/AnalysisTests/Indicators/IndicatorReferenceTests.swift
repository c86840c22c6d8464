import Analysis
import Core
import Testing

/// Every indicator against TA-Lib's output on real klines (reference/generate.py).
@Suite struct IndicatorReferenceTests {
    static let symbols = ["LINKUSDT", "NEARUSDT"]

    /// The fixture candles and the TA-Lib reference computed from them.
    struct Case {
        let reference: ReferenceTable
        let columns: CandleColumns

        init(_ symbol: String) throws {
            let fixture = try ReferenceFixture.named(symbol)
            reference = fixture.reference
            let candles = fixture.candles
            columns = CandleColumns(candles)
            #expect(candles.count == reference.rows)
            #expect(reference.indices.count > 300, "the reference samples too few rows to mean anything")
            for (row, time) in zip(reference.indices, reference.openTimes) where row < candles.count {
                #expect(candles[row].openTime == time, "reference row \(row) is from another candle")
            }
        }

        /// NaN exactly where TA-Lib has NaN; elsewhere within 1e-9 relative.
        func expectMatches(_ actual: [Double], _ column: String, sourceLocation: SourceLocation = #_sourceLocation) {
            guard let expected = reference.columns[column] else {
                Issue.record("no column \(column) in the reference", sourceLocation: sourceLocation)
                return
            }
            #expect(actual.count == reference.rows, "\(column): wrong length", sourceLocation: sourceLocation)
            var mismatches: [String] = []
            var compared = 0
            for (row, want) in zip(reference.indices, expected) where row < actual.count {
                let got = actual[row]
                if want.isNaN || got.isNaN {
                    if want.isNaN != got.isNaN { mismatches.append("row \(row): got \(got), TA-Lib \(want)") }
                    continue
                }
                compared += 1
                if abs(got - want) > 1e-9 * abs(want) {
                    mismatches.append("row \(row): got \(got), TA-Lib \(want), relative error \(abs(got - want) / abs(want))")
                }
            }
            #expect(compared > 300, "\(column): only \(compared) values compared", sourceLocation: sourceLocation)
            #expect(
                mismatches.isEmpty,
                "\(column): \(mismatches.count) mismatches, first: \(mismatches.prefix(3).joined(separator: "; "))",
                sourceLocation: sourceLocation
            )
        }
    }

    @Test(arguments: symbols)
    func movingAverages(symbol: String) throws {
        let c = try Case(symbol)
        c.expectMatches(Indicators.sma(c.columns.close, period: 20), "sma20")
        c.expectMatches(Indicators.ema(c.columns.close, period: 20), "ema20")
    }

    @Test(arguments: symbols)
    func rsi(symbol: String) throws {
        let c = try Case(symbol)
        c.expectMatches(Indicators.rsi(c.columns.close, period: 14), "rsi14")
    }

    @Test(arguments: symbols)
    func macd(symbol: String) throws {
        let c = try Case(symbol)
        let macd = Indicators.macd(c.columns.close)
        c.expectMatches(macd.macd, "macd")
        c.expectMatches(macd.signal, "macd_signal")
        c.expectMatches(macd.histogram, "macd_hist")
    }

    @Test(arguments: symbols)
    func bollinger(symbol: String) throws {
        let c = try Case(symbol)
        let bands = Indicators.bollinger(c.columns.close, period: 20, deviations: 2)
        c.expectMatches(bands.upper, "bb_upper")
        c.expectMatches(bands.middle, "bb_middle")
        c.expectMatches(bands.lower, "bb_lower")
    }

    @Test(arguments: symbols)
    func atr(symbol: String) throws {
        let c = try Case(symbol)
        c.expectMatches(Indicators.atr(high: c.columns.high, low: c.columns.low, close: c.columns.close, period: 14), "atr14")
    }

    @Test(arguments: symbols)
    func obv(symbol: String) throws {
        let c = try Case(symbol)
        c.expectMatches(Indicators.obv(close: c.columns.close, volume: c.columns.volume), "obv")
    }

    @Test(arguments: symbols)
    func stochastic(symbol: String) throws {
        let c = try Case(symbol)
        let stochastic = Indicators.stochastic(high: c.columns.high, low: c.columns.low, close: c.columns.close)
        c.expectMatches(stochastic.k, "stoch_k")
        c.expectMatches(stochastic.d, "stoch_d")
    }

    @Test(arguments: symbols)
    func adx(symbol: String) throws {
        let c = try Case(symbol)
        let adx = Indicators.adx(high: c.columns.high, low: c.columns.low, close: c.columns.close, period: 14)
        c.expectMatches(adx.adx, "adx14")
        c.expectMatches(adx.plusDI, "plus_di14")
        c.expectMatches(adx.minusDI, "minus_di14")
    }

    @Test(arguments: symbols)
    func donchian(symbol: String) throws {
        let c = try Case(symbol)
        let channel = Indicators.donchian(high: c.columns.high, low: c.columns.low, period: 20)
        c.expectMatches(channel.upper, "max20_high")
        c.expectMatches(channel.lower, "min20_low")
    }
}
