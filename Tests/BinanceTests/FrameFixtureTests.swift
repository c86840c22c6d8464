import Binance
import Core
import Foundation
import Testing

/// Every real frame Binance sent (spot and USDT-M futures) parses, and to the exact values
/// Foundation's JSON parser reads from it.
@Suite struct FrameFixtureTests {
    @Test func everyRecordedKlineFrameParsesToTheValuesItCarries() throws {
        let frames = try FixtureFrames.klines()
        #expect(frames.count == 86)
        var closed = 0
        for frame in frames {
            let parsed = try BinanceFrame.parse(frame.bytes, market: .spot)
            guard case .kline(let update) = parsed else {
                Issue.record("\(frame.file):\(frame.line) is not a kline: \(parsed)")
                continue
            }
            let envelope = try FixtureFrames.object(frame.text)
            let data = try #require(envelope["data"] as? [String: Any])
            let k = try #require(data["k"] as? [String: Any])
            #expect((envelope["stream"] as? String) == update.symbol.lowercased() + "@kline_1m")
            #expect(update.market == .spot)
            #expect(update.symbol == data["s"] as? String)
            #expect(update.interval == .oneMinute)
            #expect(update.eventTime == (data["E"] as? NSNumber)?.int64Value)
            #expect(update.openTime == (k["t"] as? NSNumber)?.int64Value)
            #expect(update.closeTime == (k["T"] as? NSNumber)?.int64Value)
            #expect(update.firstTradeID == (k["f"] as? NSNumber)?.int64Value)
            #expect(update.lastTradeID == (k["L"] as? NSNumber)?.int64Value)
            #expect(update.trades == (k["n"] as? NSNumber)?.int64Value)
            #expect(update.isClosed == (k["x"] as? Bool))
            let decimals: [(String, ExactDecimal)] = [
                ("o", update.open), ("h", update.high), ("l", update.low), ("c", update.close), ("v", update.volume),
                ("q", update.quoteVolume), ("V", update.takerBuyVolume), ("Q", update.takerBuyQuoteVolume),
            ]
            for (key, decimal) in decimals {
                #expect(decimal.text == k[key] as? String, "\(frame.file):\(frame.line) k.\(key)")
                #expect(decimal.value == Double(decimal.text), "\(frame.file):\(frame.line) k.\(key)")
            }
            if update.isClosed { closed += 1 }
        }
        // 2 closed spot klines on 2021-08-14, 4 closed futures klines on 2021-07-22.
        #expect(closed == frames.filter { $0.text.contains(#""x":true"#) }.count)
        #expect(closed == 6)
    }

    @Test func aClosedFrameBecomesTheCoreCandle() throws {
        let frame = try #require(try FixtureFrames.klines().first { $0.text.contains(#""x":true"#) && $0.file.contains("usdtm") })
        guard case .kline(let update) = try BinanceFrame.parse(frame.text) else {
            Issue.record("not a kline")
            return
        }
        #expect(update.market == nil)
        let candle = try #require(update.candle(market: .futures))
        #expect(candle.market == .futures)
        #expect(candle.symbol == update.symbol)
        #expect(candle.interval == .oneMinute)
        #expect(candle.openTime == update.openTime)
        #expect(candle.closeTime == update.openTime + 59_999)
        #expect(candle.open == Double(update.open.text) && candle.close == Double(update.close.text))
        #expect(candle.high == update.high.value && candle.low == update.low.value)
        #expect(candle.volume == update.volume.value && candle.quoteVolume == update.quoteVolume.value)
        #expect(candle.takerBuyVolume == update.takerBuyVolume.value)
        #expect(candle.takerBuyQuoteVolume == update.takerBuyQuoteVolume.value)
        #expect(candle.trades == update.trades)
    }

    @Test func rawPayloadsWithoutTheEnvelopeParseTheSame() throws {
        for frame in try FixtureFrames.klines() {
            let text = frame.text
            let dataStart = try #require(text.range(of: #","data":"#)).upperBound
            let raw = String(text[dataStart...].dropLast())
            #expect(try BinanceFrame.parse(raw) == BinanceFrame.parse(text), "\(frame.file):\(frame.line)")
        }
    }

    @Test func fieldOrderWhitespaceAndNumbersAsStringsDoNotMatter() throws {
        for frame in try FixtureFrames.klines() {
            let original = try BinanceFrame.parse(frame.text)
            // Foundation re-serialises with sorted keys (stream < data reversed, k's keys shuffled)
            // and pretty-printing whitespace; decimals stay the same strings.
            let object = try FixtureFrames.object(frame.text)
            let sorted = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted])
            #expect(try BinanceFrame.parse(Array(sorted)) == original, "\(frame.file):\(frame.line)")
            // Integers written as strings, an unknown field added.
            var quoted = frame.text
            for key in ["t", "T", "f", "L", "n"] {
                quoted = quoted.replacingOccurrences(
                    of: #""\#(key)":([-0-9]+)"#, with: #""\#(key)":"$1""#, options: .regularExpression
                )
            }
            quoted = quoted.replacingOccurrences(of: #""k":{"#, with: #""extra":[1,{"a":null},true],"k":{"#)
            #expect(quoted != frame.text)
            #expect(try BinanceFrame.parse(quoted) == original, "\(frame.file):\(frame.line)")
        }
    }

    @Test func recordedAggTradeFramesAreRejectedAsStreamsThisParserDoesNotHandle() throws {
        let frames = try FixtureFrames.load(".aggTrade.jsonl")
        #expect(frames.count == 121)
        for frame in frames {
            #expect(throws: FrameReject(.unknownStream, field: "stream")) { try BinanceFrame.parse(frame.text) }
            let dataStart = try #require(frame.text.range(of: #","data":"#)).upperBound
            let raw = String(frame.text[dataStart...].dropLast())
            #expect(throws: FrameReject(.unknownEvent, field: "e")) { try BinanceFrame.parse(raw) }
        }
    }
}
