import Core
import Testing

@Suite struct KlineCSVTests {
    let header = KlineCSV.header

    @Test func readsRowsWithOrWithoutHeaderAndMicrosecondTimes() throws {
        let row = "1769904000000,9.6950,9.7030,9.6900,9.7000,12345.6,1769904059999,119812.5,321,6000.1,58234.2,0"
        let micro = "1769904060000000,9.7000,9.7100,9.6950,9.7050,100,1769904119999999,970.5,12,50,485.2,0"
        for text in [header + "\n" + row + "\r\n" + micro + "\n", row + "\n" + micro, "\u{FEFF}" + header + "\r\n" + row + "\r\n" + micro + "\r\n"] {
            let candles = try KlineCSV.parse(text, market: .futures, symbol: "LINKUSDT", interval: .oneMinute)
            #expect(candles.count == 2)
            #expect(candles[0].openTime == 1_769_904_000_000 && candles[0].closeTime == 1_769_904_059_999)
            #expect(candles[0].open == 9.695 && candles[0].high == 9.703 && candles[0].low == 9.69 && candles[0].close == 9.7)
            #expect(candles[0].volume == 12345.6 && candles[0].quoteVolume == 119812.5 && candles[0].trades == 321)
            #expect(candles[0].takerBuyVolume == 6000.1 && candles[0].takerBuyQuoteVolume == 58234.2)
            #expect(candles[1].openTime == 1_769_904_060_000 && candles[1].closeTime == 1_769_904_119_999)
        }
    }

    @Test func badRowsNameTheirLine() {
        let cases = [
            (header + "\n1,2,3\n", 2),
            ("1769904000000,9.6,9.7,9.6,x,1,1769904059999,1,1,1,1,0\n", 1),
            ("1769904000000,9.6,9.7,9.6,9.7,1,1769904059999,1,1,1,1,0\n1769904060000,9.6,9.7,9.6,9.7,1,1769904000000,1,1,1,1,0\n", 2),
        ]
        for (text, line) in cases {
            #expect(throws: KlineCSV.ParseError.self) { try KlineCSV.parse(text, market: .spot, symbol: "X", interval: .oneMinute) }
            do throws(KlineCSV.ParseError) {
                _ = try KlineCSV.parse(text, market: .spot, symbol: "X", interval: .oneMinute)
            } catch {
                #expect(error.line == line)
            }
        }
    }

    @Test func archiveNamesGiveSymbolAndInterval() {
        #expect(KlineCSV.nameParts("/data/BTCUSDT-1m-2026-02.csv")! == ("BTCUSDT", .oneMinute))
        #expect(KlineCSV.nameParts("ETHUSDT-4h-2026-02-03.zip")! == ("ETHUSDT", .fourHours))
        #expect(KlineCSV.nameParts("prices.csv") == nil)
        #expect(KlineCSV.nameParts("BTCUSDT-2m-2026-02.csv") == nil)
    }
}
