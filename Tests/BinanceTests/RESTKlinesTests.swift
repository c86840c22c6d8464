import Binance
import Core
import Foundation
import Testing
import TestSupport

@Suite struct RESTKlinesTests {
    /// The first `count` rows of a real archive month as Binance's REST API returns them
    /// (times and trades as numbers, decimals as strings), with the CSV text for comparison.
    static func body(symbol: String, count: Int) throws -> (body: String, rows: [[Substring]]) {
        let text = try Fixtures.futuresMonth(symbol)
        let rows = text.split(separator: "\n").dropFirst().prefix(count).map { $0.split(separator: ",", omittingEmptySubsequences: false) }
        let json = rows.map { cells in
            "[" + cells.enumerated().map { index, cell in [0, 6, 8].contains(index) ? String(cell) : "\"\(cell)\"" }.joined(separator: ",") + "]"
        }
        return ("[" + json.joined(separator: ",") + "]", rows)
    }

    @Test func realArchiveRowsParseExactlyAndMatchTheCSVLoader() throws {
        let (body, rows) = try Self.body(symbol: "LINKUSDT", count: 1_500)
        let parsed = try RESTKlines.parse(body, symbol: "LINKUSDT", interval: .oneMinute, market: .futures)
        #expect(parsed.rejected.isEmpty)
        #expect(parsed.klines.count == 1_500)
        for (kline, cells) in zip(parsed.klines, rows) {
            #expect(kline.open.text == cells[1] && kline.high.text == cells[2] && kline.low.text == cells[3] && kline.close.text == cells[4])
            #expect(kline.volume.text == cells[5] && kline.quoteVolume.text == cells[7])
            #expect(kline.takerBuyVolume.text == cells[9] && kline.takerBuyQuoteVolume.text == cells[10])
            #expect(kline.isClosed && kline.eventTime == nil && kline.firstTradeID == nil && kline.market == .futures)
        }
        let csv = try KlineCSV.parse(
            rows.map { $0.joined(separator: ",") }.joined(separator: "\n"), market: .futures, symbol: "LINKUSDT", interval: .oneMinute
        )
        #expect(parsed.klines.compactMap { $0.candle(market: .futures) } == csv)
    }

    @Test func theRowStillInProgressIsNotClosed() throws {
        let (body, _) = try Self.body(symbol: "DOTUSDT", count: 3)
        let parsed = try RESTKlines.parse(body, symbol: "DOTUSDT", interval: .oneMinute, now: 1_769_904_150_000)
        #expect(parsed.klines.map(\.isClosed) == [true, true, false])
    }

    @Test func badRowsAreRejectedOneByOneAndTheRestKept() throws {
        let good = #"[1769904000000,"9.982","9.990","9.974","9.987","24464.35",1769904059999,"244198.04745",782,"9388.60","93722.16297","0"]"#
        func row(_ old: String, _ new: String) -> String {
            precondition(good.contains(old))
            return good.replacingOccurrences(of: old, with: new)
        }
        let rows = [
            good,
            "[1,2,3]",
            #"{"open":"1"}"#,
            row(#""9.990""#, #""9.970""#),  // high below low
            row("1769904059999", "1769904060000"),
            row(#""24464.35""#, #""-1""#),
            row(#""9.982""#, #""NaN""#),
            row("782", "\"x\""),
            good + "",
            row(#","0"]"#, #","0",1]"#),
        ]
        let parsed = try RESTKlines.parse("[" + rows.joined(separator: ",\n ") + "]", symbol: "LINKUSDT", interval: .oneMinute)
        #expect(parsed.klines.count == 2)
        #expect(parsed.rejected == [
            RESTKlines.RowReject(index: 1, reject: FrameReject(.badRow)),
            RESTKlines.RowReject(index: 2, reject: FrameReject(.badRow)),
            RESTKlines.RowReject(index: 3, reject: FrameReject(.highBelowLow, field: "high")),
            RESTKlines.RowReject(index: 4, reject: FrameReject(.closeTimeMismatch, field: "closeTime")),
            RESTKlines.RowReject(index: 5, reject: FrameReject(.negativeVolume, field: "volume")),
            RESTKlines.RowReject(index: 6, reject: FrameReject(.nanPrice, field: "open")),
            RESTKlines.RowReject(index: 7, reject: FrameReject(.badNumber, field: "trades")),
            RESTKlines.RowReject(index: 9, reject: FrameReject(.badRow)),
        ])
    }

    @Test func bodiesThatAreNotKlineArraysThrow() {
        #expect(throws: FrameReject(.wrongType, field: "body")) {
            try RESTKlines.parse(#"{"code":-1121,"msg":"Invalid symbol."}"#, symbol: "LINKUSDT", interval: .oneMinute)
        }
        #expect(throws: FrameReject(.malformedJSON)) { try RESTKlines.parse("[[1,2]", symbol: "LINKUSDT", interval: .oneMinute) }
        #expect(throws: FrameReject(.malformedJSON)) { try RESTKlines.parse("", symbol: "LINKUSDT", interval: .oneMinute) }
        #expect(throws: FrameReject(.badSymbol, field: "symbol")) { try RESTKlines.parse("[]", symbol: "linkusdt", interval: .oneMinute) }
        #expect((try? RESTKlines.parse(" [ ] ", symbol: "LINKUSDT", interval: .oneMinute))?.klines == [])
    }
}
