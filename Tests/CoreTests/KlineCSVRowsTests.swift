import Core
import Foundation
import Testing

@Suite struct KlineCSVRowsTests {
    let sample = """
        1769904000000,9.982,9.990,9.974,9.987,24464.35,1769904059999,244198.04745,782,9388.60,93722.16297,0
        1769904060000,9.986,9.986,9.972,9.976,11394.34,1769904119999,113691.69260,541,6072.95,60592.76611,0

        """

    @Test func headerlessMicrosecondCRLFAndBOMVariantsReadTheSame() throws {
        let plain = try KlineCSV.rows(Array((KlineCSV.header + "\n" + sample).utf8), market: .futures, symbol: "LINKUSDT")
        #expect(plain.count == 2)
        #expect(plain[0].csvRow == "1769904000000,9.982,9.990,9.974,9.987,24464.35,1769904059999,244198.04745,782,9388.60,93722.16297,0")
        #expect(plain[1].quoteVolume == "113691.69260" && plain[1].takerBuyVolume == "6072.95" && plain[1].trades == 541)
        #expect(plain.allSatisfy { $0.source == .import && $0.interval == .oneMinute && $0.market == .futures })

        let headerless = try KlineCSV.rows(Array(sample.utf8), market: .futures, symbol: "LINKUSDT")
        let micros = sample.replacingOccurrences(of: "1769904000000,", with: "1769904000000000,")
            .replacingOccurrences(of: "1769904059999,", with: "1769904059999999,")
            .replacingOccurrences(of: "1769904060000,", with: "1769904060000000,")
            .replacingOccurrences(of: "1769904119999,", with: "1769904119999999,")
        let microsecond = try KlineCSV.rows(Array(micros.utf8), market: .futures, symbol: "LINKUSDT")
        let crlf = try KlineCSV.rows([0xEF, 0xBB, 0xBF] + Array(sample.replacingOccurrences(of: "\n", with: "\r\n").utf8), market: .futures, symbol: "LINKUSDT")
        let elevenColumns = try KlineCSV.rows(Array(sample.replacingOccurrences(of: ",0\n", with: "\n").utf8), market: .futures, symbol: "LINKUSDT")
        #expect(headerless == plain)
        #expect(microsecond == plain)
        #expect(crlf == plain)
        #expect(elevenColumns == plain)
    }

    @Test func badLinesAreReportedWithTheirNumber() {
        let cases: [(String, String)] = [
            ("1769904000000,9.982,9.990\n", "columns"),
            ("1769904000000,9.982,9.990,9.974,9.987,24464.35,1769904059999,244198.04745,x,9388.60,93722.16297,0\n", "count"),
            ("1769904000000,9.982,9.990,9.974,9.987,2e4,1769904059999,244198.04745,782,9388.60,93722.16297,0\n", "volume"),
            ("1769904000000,9.982,9.990,9.974,9.987,24464.35,1769904000000,244198.04745,782,9388.60,93722.16297,0\n", "close_time"),
        ]
        for (line, word) in cases {
            let error = #expect(throws: KlineCSV.ParseError.self) {
                try KlineCSV.rows(Array((KlineCSV.header + "\n" + sample + line).utf8), market: .futures, symbol: "LINKUSDT")
            }
            #expect(error?.line == 4, "\(word)")
            #expect(error?.description.contains(word) == true, "\(error?.description ?? "")")
        }
    }

    @Test func writerRowsMatchTheArchiveFormat() throws {
        let row = KlineCSV.row(
            openTime: 1_769_904_000_000, open: "9.982", high: "9.990", low: "9.974", close: "9.987", volume: "24464.35",
            closeTime: 1_769_904_059_999, quoteVolume: "244198.04745", trades: 782, takerBuyVolume: "9388.60", takerBuyQuoteVolume: "93722.16297")
        #expect(row == sample.split(separator: "\n")[0])
        #expect(KlineCSV.write([row, row], header: true) == KlineCSV.header + "\n" + row + "\n" + row + "\n")
        #expect(KlineCSV.write([String](), header: false).isEmpty)
        // The reader reads what the writer writes, as rows and as analysis candles alike.
        #expect(try KlineCSV.rows(Array(KlineCSV.write([row]).utf8), market: .futures, symbol: "LINKUSDT").first?.csvRow == row)
        let parsed = try KlineCSV.parse(KlineCSV.write([row]), market: .futures, symbol: "LINKUSDT", interval: .oneMinute)
        #expect(parsed.first?.quoteVolume == 244198.04745 && parsed.first?.trades == 782)
    }

    @Test func candleConversionsKeepValuesAndAvoidExponents() throws {
        let row = try #require(try KlineCSV.rows(Array(sample.utf8), market: .futures, symbol: "LINKUSDT").first)
        let candle = try #require(Candle(row))
        #expect(candle.open == 9.982 && candle.takerBuyQuoteVolume == 93722.16297 && candle.closeTime == 1_769_904_059_999)
        let back = try #require(CandleRow(candle, source: .ws))
        #expect(back.open == "9.982" && back.quoteVolume == "244198.04745" && back.volume == "24464.35" && back.source == .ws)
        #expect(back.takerBuyVolume == "9388.6", "a Double has no scale: the shortest text")

        var tiny = candle
        tiny.open = 0.00001234
        tiny.high = 1.5e20
        tiny.low = 0
        tiny.volume = -2.5e-7
        let text = try #require(CandleRow(tiny, source: .backfill))
        #expect(text.open == "0.00001234" && text.high == "150000000000000000000" && text.low == "0" && text.volume == "-0.00000025")
        #expect(Candle(text)?.open == 0.00001234 && Candle(text)?.volume == -2.5e-7)
        tiny.close = .nan
        #expect(CandleRow(tiny, source: .ws) == nil)
        var broken = row
        broken.high = "abc"
        #expect(Candle(broken) == nil)
    }
}
