import Binance
import Testing

/// One crafted frame per reject reason: each failure is distinct and names its field.
@Suite struct RejectTests {
    static let valid = #"{"stream":"btcusdt@kline_1m","data":{"e":"kline","E":1638747660000,"s":"BTCUSDT","k":{"t":1638747600000,"T":1638747659999,"s":"BTCUSDT","i":"1m","f":100,"L":200,"o":"0.0010","c":"0.0020","h":"0.0025","l":"0.0005","v":"1000","n":100,"x":false,"q":"1.0000","V":"500","Q":"0.500","B":"123456"}}}"#

    static let markPrice = #"{"stream":"btcusdt@markPrice@1s","data":{"e":"markPriceUpdate","E":1562305380000,"s":"BTCUSDT","p":"11794.15000000","i":"11784.62659091","P":"11784.25641265","r":"0.00038167","T":1562306400000}}"#

    /// `valid` with each `(old, new)` replaced once (each `old` must occur).
    static func frame(_ replacements: (String, String)...) -> String {
        var text = valid
        for (old, new) in replacements {
            precondition(text.contains(old), "\(old) not in the template")
            text = text.replacingOccurrences(of: old, with: new)
        }
        return text
    }

    struct Case: CustomStringConvertible, Sendable {
        var name: String
        var text: String
        var reason: RejectReason
        var field: String?
        var description: String { name }
    }

    static let cases: [Case] = [
        Case(name: "truncated", text: String(valid.dropLast()), reason: .malformedJSON),
        Case(name: "trailing garbage", text: valid + "x", reason: .malformedJSON),
        Case(name: "empty", text: "", reason: .malformedJSON),
        Case(name: "not an object", text: "[1,2]", reason: .malformedJSON),
        Case(name: "bare NaN", text: frame((#""o":"0.0010""#, #""o":NaN"#)), reason: .malformedJSON),
        Case(name: "leading zero", text: frame((#""n":100"#, #""n":0100"#)), reason: .malformedJSON),
        Case(name: "control character in string", text: frame((#""B":"123456""#, "\"B\":\"12\u{01}\"")), reason: .malformedJSON),
        Case(name: "bad escape", text: frame((#""B":"123456""#, #""B":"\q""#)), reason: .malformedJSON),
        Case(name: "nesting bomb", text: frame((#""B":"123456""#, #""B":"# + String(repeating: "[", count: 100) + String(repeating: "]", count: 100))), reason: .malformedJSON),
        Case(name: "aggTrade payload", text: #"{"e":"aggTrade","E":1,"s":"BTCUSDT","a":1,"p":"1","q":"1","f":1,"l":1,"T":1,"m":true}"#, reason: .unknownEvent, field: "e"),
        Case(name: "no event type", text: #"{"foo":1}"#, reason: .unknownEvent, field: "e"),
        Case(name: "depth stream", text: frame(("btcusdt@kline_1m", "btcusdt@depth")), reason: .unknownStream, field: "stream"),
        Case(name: "upper-case stream", text: frame(("btcusdt@kline_1m", "BTCUSDT@kline_1m")), reason: .unknownStream, field: "stream"),
        Case(name: "stream with unknown interval", text: frame(("btcusdt@kline_1m", "btcusdt@kline_7m")), reason: .unknownStream, field: "stream"),
        Case(name: "no high", text: frame((#""h":"0.0025","#, "")), reason: .missingField, field: "k.h"),
        Case(name: "no event time", text: frame((#""E":1638747660000,"#, "")), reason: .missingField, field: "E"),
        Case(name: "envelope without data", text: #"{"stream":"btcusdt@kline_1m"}"#, reason: .missingField, field: "data"),
        Case(name: "no k", text: frame((#""s":"BTCUSDT","k":{"#, #""s":"BTCUSDT","kk":{"#)), reason: .missingField, field: "k"),
        Case(name: "high twice", text: frame((#""h":"0.0025""#, #""h":"0.0025","h":"0.0026""#)), reason: .duplicateField, field: "k.h"),
        Case(name: "stream twice", text: frame((#""data":"#, #""stream":"btcusdt@kline_1m","data":"#)), reason: .duplicateField, field: "stream"),
        Case(name: "closed flag as a string", text: frame((#""x":false"#, #""x":"false""#)), reason: .wrongType, field: "k.x"),
        Case(name: "price as an object", text: frame((#""c":"0.0020""#, #""c":{}"#)), reason: .wrongType, field: "k.c"),
        Case(name: "symbol as a number", text: frame((#""E":1638747660000,"s":"BTCUSDT""#, #""E":1638747660000,"s":1"#)), reason: .wrongType, field: "s"),
        Case(name: "data as an array", text: #"{"stream":"btcusdt@kline_1m","data":[]}"#, reason: .wrongType, field: "data"),
        Case(name: "two dots", text: frame((#""o":"0.0010""#, #""o":"0.00.10""#)), reason: .badNumber, field: "k.o"),
        Case(name: "exponent in a price", text: frame((#""o":"0.0010""#, #""o":"1e-3""#)), reason: .badNumber, field: "k.o"),
        Case(name: "empty price", text: frame((#""o":"0.0010""#, #""o":"""#)), reason: .badNumber, field: "k.o"),
        Case(name: "dot without digits", text: frame((#""o":"0.0010""#, #""o":".001""#)), reason: .badNumber, field: "k.o"),
        Case(name: "fractional open time", text: frame((#""t":1638747600000"#, #""t":1638747600000.5"#)), reason: .badNumber, field: "k.t"),
        Case(name: "huge trade ID", text: frame((#""L":200"#, #""L":99999999999999999999"#)), reason: .badNumber, field: "k.L"),
        Case(name: "negative trade count", text: frame((#""n":100"#, #""n":-1"#)), reason: .badNumber, field: "k.n"),
        Case(name: "volume text", text: frame((#""v":"1000""#, #""v":"lots""#)), reason: .badNumber, field: "k.v"),
        Case(name: "symbol with a dash", text: frame((#""E":1638747660000,"s":"BTCUSDT""#, #""E":1638747660000,"s":"BTC-USDT""#)), reason: .badSymbol, field: "s"),
        Case(name: "lower-case symbol", text: frame((#""E":1638747660000,"s":"BTCUSDT""#, #""E":1638747660000,"s":"btcusdt""#)), reason: .badSymbol, field: "s"),
        Case(name: "empty kline symbol", text: frame((#""T":1638747659999,"s":"BTCUSDT""#, #""T":1638747659999,"s":"""#)), reason: .badSymbol, field: "k.s"),
        Case(name: "unknown interval", text: frame((#""i":"1m""#, #""i":"7m""#)), reason: .badInterval, field: "k.i"),
        Case(name: "negative low", text: frame((#""l":"0.0005""#, #""l":"-0.0005""#)), reason: .negativePrice, field: "k.l"),
        Case(name: "negative volume", text: frame((#""v":"1000""#, #""v":"-1000""#)), reason: .negativeVolume, field: "k.v"),
        Case(name: "negative taker quote volume", text: frame((#""Q":"0.500""#, #""Q":"-0.500""#)), reason: .negativeVolume, field: "k.Q"),
        Case(name: "NaN high", text: frame((#""h":"0.0025""#, #""h":"NaN""#)), reason: .nanPrice, field: "k.h"),
        Case(name: "infinite close", text: frame((#""c":"0.0020""#, #""c":"-Infinity""#)), reason: .nanPrice, field: "k.c"),
        Case(name: "high below low", text: frame((#""h":"0.0025""#, #""h":"0.0004""#)), reason: .highBelowLow, field: "k.h"),
        Case(name: "open above high", text: frame((#""o":"0.0010""#, #""o":"0.0030""#)), reason: .openCloseOutsideRange, field: "k.o"),
        Case(name: "close below low", text: frame((#""c":"0.0020""#, #""c":"0.0001""#)), reason: .openCloseOutsideRange, field: "k.c"),
        Case(name: "open time off the minute", text: frame((#""t":1638747600000,"T":1638747659999"#, #""t":1638747600001,"T":1638747660000"#)), reason: .misalignedOpenTime, field: "k.t"),
        Case(name: "close time one ms late", text: frame((#""T":1638747659999"#, #""T":1638747660000"#)), reason: .closeTimeMismatch, field: "k.T"),
        Case(name: "close time of a 5m kline", text: frame((#""T":1638747659999"#, #""T":1638747899999"#)), reason: .closeTimeMismatch, field: "k.T"),
        Case(name: "kline symbol differs", text: frame((#""T":1638747659999,"s":"BTCUSDT""#, #""T":1638747659999,"s":"ETHUSDT""#)), reason: .symbolMismatch, field: "k.s"),
        Case(name: "stream symbol differs", text: frame(("btcusdt@kline_1m", "ethusdt@kline_1m")), reason: .symbolMismatch, field: "stream"),
        Case(name: "stream symbol is a prefix", text: frame(("btcusdt@kline_1m", "btcusd@kline_1m")), reason: .symbolMismatch, field: "stream"),
        Case(name: "kline on a 5m stream", text: frame(("btcusdt@kline_1m", "btcusdt@kline_5m")), reason: .streamMismatch, field: "k.i"),
        Case(name: "kline on a mark-price stream", text: frame(("btcusdt@kline_1m", "btcusdt@markPrice@1s")), reason: .streamMismatch, field: "e"),
        Case(name: "mark price on a kline stream", text: markPrice.replacingOccurrences(of: "btcusdt@markPrice@1s", with: "btcusdt@kline_1m"), reason: .streamMismatch, field: "e"),
        Case(name: "negative mark price", text: markPrice.replacingOccurrences(of: #""p":"11794"#, with: #""p":"-11794"#), reason: .negativePrice, field: "p"),
        Case(name: "mark price without next funding time", text: markPrice.replacingOccurrences(of: #","T":1562306400000"#, with: ""), reason: .missingField, field: "T"),
        Case(name: "mark price for another symbol", text: markPrice.replacingOccurrences(of: "btcusdt@", with: "ethusdt@"), reason: .symbolMismatch, field: "stream"),
    ]

    @Test func theTemplatesAreValid() throws {
        guard case .kline(let kline) = try BinanceFrame.parse(Self.valid) else {
            Issue.record("template is not a kline")
            return
        }
        #expect(kline.open.text == "0.0010" && kline.takerBuyQuoteVolume.text == "0.500")
        guard case .markPrice(let mark) = try BinanceFrame.parse(Self.markPrice, market: .futures) else {
            Issue.record("template is not a mark price")
            return
        }
        #expect(mark == MarkPriceUpdate(
            market: .futures, symbol: "BTCUSDT", eventTime: 1_562_305_380_000,
            markPrice: ExactDecimal("11794.15000000")!, indexPrice: ExactDecimal("11784.62659091")!,
            estimatedSettlePrice: ExactDecimal("11784.25641265")!, fundingRate: ExactDecimal("0.00038167")!,
            nextFundingTime: 1_562_306_400_000
        ))
        #expect(mark.fundingRate.value == 0.00038167)
    }

    @Test(arguments: cases)
    func eachBadFrameIsRejectedForItsOwnReason(_ badCase: Case) {
        #expect(throws: FrameReject(badCase.reason, field: badCase.field)) { try BinanceFrame.parse(badCase.text) }
    }

    @Test func everyReasonHasACraftedCase() {
        // bad_row is REST-only; RESTKlinesTests covers it.
        let covered = Set(Self.cases.map(\.reason)).union([.badRow])
        #expect(covered == Set(RejectReason.allCases))
    }

    @Test func reasonsHaveStableLabels() {
        #expect(RejectReason.allCases.map(\.rawValue) == [
            "malformed_json", "unknown_event", "unknown_stream", "missing_field", "duplicate_field", "wrong_type",
            "bad_number", "bad_symbol", "bad_interval", "bad_row", "negative_price", "negative_volume", "nan_price",
            "high_below_low", "open_close_outside_range", "misaligned_open_time", "close_time_mismatch",
            "symbol_mismatch", "stream_mismatch",
        ])
        #expect(RejectReason(rawValue: "high_below_low") == .highBelowLow)
        #expect(RejectReason(rawValue: "nope") == nil)
        #expect("\(FrameReject(.badNumber, field: "k.o"))" == "frame rejected: bad_number (k.o)")
    }

    @Test func fundingRateMayBeNegativeAndPricesZero() throws {
        let text = Self.markPrice.replacingOccurrences(of: #""r":"0.00038167""#, with: #""r":"-0.00010000""#)
            .replacingOccurrences(of: #""P":"11784.25641265""#, with: #""P":"0""#)
        guard case .markPrice(let mark) = try BinanceFrame.parse(text) else {
            Issue.record("not a mark price")
            return
        }
        #expect(mark.fundingRate.text == "-0.00010000" && mark.fundingRate.value == -0.0001)
        #expect(mark.estimatedSettlePrice.value == 0)
    }

    @Test func aKlineWithoutTradesKeepsMinusOneTradeIDs() throws {
        let text = Self.frame((#""f":100,"L":200"#, #""f":-1,"L":-1"#), (#""n":100"#, #""n":0"#))
        guard case .kline(let kline) = try BinanceFrame.parse(text) else {
            Issue.record("not a kline")
            return
        }
        #expect(kline.firstTradeID == -1 && kline.lastTradeID == -1 && kline.trades == 0)
    }

    @Test func otherIntervalsCheckTheirOwnCloseTime() throws {
        // 2021-12-01T00:00Z, a 1M kline closes at 2021-12-31T23:59:59.999Z.
        let month = Self.frame(
            ("btcusdt@kline_1m", "btcusdt@kline_1M"), (#""i":"1m""#, #""i":"1M""#),
            (#""t":1638747600000,"T":1638747659999"#, #""t":1638316800000,"T":1640995199999"#)
        )
        guard case .kline(let kline) = try BinanceFrame.parse(month) else {
            Issue.record("not a kline")
            return
        }
        #expect(kline.interval == .oneMonth && kline.candle(market: .spot) == nil)
        let midMonth = month.replacingOccurrences(of: #""t":1638316800000"#, with: #""t":1638403200000"#)
        #expect(throws: FrameReject(.misalignedOpenTime, field: "k.t")) { try BinanceFrame.parse(midMonth) }
        let hour = Self.frame(
            ("btcusdt@kline_1m", "btcusdt@kline_1h"), (#""i":"1m""#, #""i":"1h""#),
            (#""T":1638747659999"#, #""T":1638751199999"#)
        )
        guard case .kline(let hourly) = try BinanceFrame.parse(hour) else {
            Issue.record("not a kline")
            return
        }
        #expect(hourly.candle(market: .futures)?.interval == .oneHour)
    }

    @Test func aSymbolInChineseIsAccepted() throws {
        let text = Self.frame(("btcusdt@kline_1m", "币安人生usdt@kline_1m")).replacingOccurrences(of: "BTCUSDT", with: "币安人生USDT")
        guard case .kline(let kline) = try BinanceFrame.parse(text) else {
            Issue.record("not a kline")
            return
        }
        #expect(kline.symbol == "币安人生USDT")
        // "BTC\xFFUSDT": not UTF-8.
        let parts = Self.valid.components(separatedBy: "BTCUSDT").map { Array($0.utf8) }
        let invalidUTF8 = parts.dropFirst().reduce(parts[0]) { $0 + Array("BTC".utf8) + [0xFF] + Array("USDT".utf8) + $1 }
        #expect(throws: FrameReject(.badSymbol, field: "s")) { try BinanceFrame.parse(invalidUTF8) }
    }
}
