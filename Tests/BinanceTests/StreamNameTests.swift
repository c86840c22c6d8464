import Binance
import Testing

@Suite struct StreamNameTests {
    @Test func buildersSpellNamesAsBinanceDoes() throws {
        #expect(StreamName.kline("BTCUSDT")?.description == "btcusdt@kline_1m")
        #expect(StreamName.kline("ethusdt", interval: .fifteenMinutes)?.description == "ethusdt@kline_15m")
        #expect(StreamName.kline("ETHUSDT", interval: .oneMonth)?.description == "ethusdt@kline_1M")
        #expect(StreamName.markPrice("BTCUSDT")?.description == "btcusdt@markPrice@1s")
        #expect(StreamName.markPrice("BTCUSDT", everySecond: false)?.description == "btcusdt@markPrice")
        #expect(StreamName.kline("1000SHIBUSDT")?.symbol == "1000SHIBUSDT")
        #expect(StreamName.kline("ethusdt")?.symbol == "ETHUSDT")
    }

    @Test func invalidSymbolsAreRefused() {
        for symbol in ["", "BTC USDT", "BTC-USDT", "BTC\"USDT", "BTC/USDT", String(repeating: "A", count: 33)] {
            #expect(StreamName.kline(symbol) == nil, "\(symbol)")
        }
    }

    @Test(arguments: ["btcusdt@kline_1m", "ethusdt@kline_4h", "1000shibusdt@kline_1s", "btcusdt@markPrice@1s", "btcusdt@markPrice", "币安人生usdt@kline_1m"])
    func namesRoundTrip(_ text: String) throws {
        let name = try #require(StreamName(text))
        #expect(name.description == text)
        #expect(StreamName(symbol: name.symbol, kind: name.kind) == name)
        #expect(name.symbol == name.symbol.uppercased())
    }

    @Test func parsingGivesTheKindAndUpperCaseSymbol() throws {
        let kline = try #require(StreamName("btcusdt@kline_5m"))
        #expect(kline.symbol == "BTCUSDT" && kline.kind == .kline(.fiveMinutes))
        let mark = try #require(StreamName("solusdt@markPrice@1s"))
        #expect(mark.symbol == "SOLUSDT" && mark.kind == .markPrice(everySecond: true))
    }

    @Test(arguments: ["", "btcusdt", "@kline_1m", "btcusdt@", "BTCUSDT@kline_1m", "btcusdt@kline_7m", "btcusdt@kline_", "btcusdt@aggTrade",
                      "btcusdt@markPrice@3s", "btcusdt@depth@100ms", "btc-usdt@kline_1m", "btcusdt@kline_1m@+08:00"])
    func otherNamesAreRefused(_ text: String) {
        #expect(StreamName(text) == nil)
    }

    @Test func intervalsMatchCore() {
        for interval in KlineInterval.allCases {
            if let candle = interval.candleInterval {
                #expect(KlineInterval(candle) == interval)
                #expect(candle.milliseconds == interval.milliseconds)
            }
        }
        #expect(KlineInterval.allCases.compactMap(\.candleInterval).count == 6)
        // Leap year: February 2024 has 29 days.
        #expect(KlineInterval.oneMonth.closeTime(openTime: 1_706_745_600_000) == 1_709_251_199_999)
        #expect(KlineInterval.oneMonth.closeTime(openTime: 1_701_388_800_000) == 1_704_067_199_999)  // Dec 2023
    }
}
