import TestSupport
import Foundation
import Testing

@testable import Replay

@Suite struct StreamNameTests {
    @Test func parsesTheStreamsEachMarketServes() throws {
        let kline = try #require(StreamName("btcusdt@kline_1m", market: .spot))
        #expect(kline.symbol == "BTCUSDT" && kline.kind == .kline1m && kline.description == "btcusdt@kline_1m")
        let mark = try #require(StreamName("btcusdt_260327@markPrice@1s", market: .futures))
        #expect(mark.symbol == "BTCUSDT_260327" && mark.kind == .markPrice1s)
        #expect(StreamName("btcusdt@markPrice@1s", market: .spot) == nil)
        for invalid in ["BTCUSDT@kline_1m", "btcusdt@kline_5m", "btcusdt@aggTrade", "@kline_1m", "btcusdt", "btc usdt@kline_1m", "btcusdt@kline_1m@"] {
            #expect(StreamName(invalid, market: .futures) == nil, "\(invalid)")
        }
    }

    /// Every kline frame Binance sent in the recorded fixtures, re-encoded from its fields, is
    /// byte-identical (trade IDs aside, which the archives do not carry).
    @Test(arguments: ["binance_usdtm_20210722", "binance_spot_20210814", "binance_spot_20211012"])
    func encodesKlineFramesExactlyAsBinance(recording: String) throws {
        let text = try String(contentsOfFile: "\(Fixtures.frames)/\(recording).kline.jsonl", encoding: .utf8)
        let market: ReplayMarket = recording.contains("usdtm") ? .futures : .spot
        var checked = 0
        for line in text.split(separator: "\n") {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let data = try #require(object["data"] as? [String: Any])
            let k = try #require(data["k"] as? [String: Any])
            let streamText = try #require(object["stream"] as? String)
            let stream = try #require(StreamName(streamText, market: market))
            func number(_ key: String) throws -> Int64 { try #require((k[key] as? NSNumber)?.int64Value) }
            func string(_ key: String) throws -> String { try #require(k[key] as? String) }
            let kline = KlineOut(
                openTime: try number("t"), closeTime: try number("T"), open: try string("o"), high: try string("h"), low: try string("l"),
                close: try string("c"), volume: try string("v"), quoteVolume: try string("q"), trades: try number("n"),
                takerBuyVolume: try string("V"), takerBuyQuoteVolume: try string("Q"), isClosed: try #require(k["x"] as? Bool)
            )
            let eventTime = try #require((data["E"] as? NSNumber)?.int64Value)
            let (first, last) = KlineFrame.tradeIDs(kline)
            let (recordedFirst, recordedLast) = (try number("f"), try number("L"))
            let expected = String(line).replacingOccurrences(
                of: #""f":\#(recordedFirst),"L":\#(recordedLast),"#, with: #""f":\#(first),"L":\#(last),"#
            )
            #expect(KlineFrame.kline(kline, stream: stream, eventTime: eventTime, combined: true) == expected)
            let raw = try #require(expected.range(of: #","data":"#)).upperBound
            #expect(KlineFrame.kline(kline, stream: stream, eventTime: eventTime, combined: false) == String(expected[raw...].dropLast()))
            #expect(last - first + 1 == kline.trades)
            checked += 1
        }
        #expect(checked > 0)
    }

    @Test func malformedFramesDoNotParse() {
        let frame = #"{"e":"kline","E":1,"s":"X","k":{"t":0}}"#
        #expect((try? JSONSerialization.jsonObject(with: Data(KlineFrame.malformed(frame).utf8))) == nil)
    }
}

@Suite struct SubscriptionProtocolTests {
    func connection(market: ReplayMarket = .futures, maxStreams: Int = 3) -> StreamConnection {
        var options = ReplayOptions()
        options.futuresMaxStreams = maxStreams
        options.spotMaxStreams = maxStreams
        return StreamConnection(id: 1, market: market, path: "/market/ws", streams: [], combined: false, options: options, nowMillis: 120_000)
    }

    @Test func subscribeUnsubscribeAndList() {
        let connection = connection()
        #expect(
            connection.handleRequest(#"{"method":"SUBSCRIBE","params":["btcusdt@kline_1m","ethusdt@markPrice@1s"],"id":1}"#, nowMillis: 0)
                == #"{"result":null,"id":1}"#
        )
        #expect(connection.handleRequest(#"{"method":"LIST_SUBSCRIPTIONS","id":2}"#, nowMillis: 0)
            == #"{"result":["btcusdt@kline_1m","ethusdt@markPrice@1s"],"id":2}"#)
        #expect(connection.handleRequest(#"{"method":"UNSUBSCRIBE","params":["btcusdt@kline_1m"],"id":312}"#, nowMillis: 0)
            == #"{"result":null,"id":312}"#)
        #expect(connection.handleRequest(#"{"method":"LIST_SUBSCRIPTIONS","id":3}"#, nowMillis: 0) == #"{"result":["ethusdt@markPrice@1s"],"id":3}"#)
        #expect(connection.handleRequest(#"{"method":"SET_PROPERTY","params":["combined",true],"id":5}"#, nowMillis: 0) == #"{"result":null,"id":5}"#)
        #expect(connection.handleRequest(#"{"method":"GET_PROPERTY","params":["combined"],"id":2}"#, nowMillis: 0) == #"{"result":true,"id":2}"#)
    }

    @Test func enforcesTheStreamLimitOnSubscribe() {
        let connection = connection(maxStreams: 2)
        #expect(connection.handleRequest(#"{"method":"SUBSCRIBE","params":["a@kline_1m","b@kline_1m"],"id":1}"#, nowMillis: 0) == #"{"result":null,"id":1}"#)
        let reply = connection.handleRequest(#"{"method":"SUBSCRIBE","params":["c@kline_1m"],"id":2}"#, nowMillis: 0)
        #expect(reply.hasPrefix(#"{"error":{"code":2,"msg":"Invalid request: too many streams"#) && reply.hasSuffix(#""id":2}"#))
        // Re-subscribing to streams already held is not growth.
        #expect(connection.handleRequest(#"{"method":"SUBSCRIBE","params":["a@kline_1m"],"id":3}"#, nowMillis: 0) == #"{"result":null,"id":3}"#)
        #expect(connection.streams.map(\.description) == ["a@kline_1m", "b@kline_1m"])
    }

    @Test func answersMalformedRequestsWithBinanceErrors() {
        let connection = connection()
        #expect(connection.handleRequest("not json", nowMillis: 0) == #"{"error":{"code":3,"msg":"Invalid JSON: expected value at line 1 column 1"},"id":null}"#)
        #expect(connection.handleRequest(#"{"params":[],"id":7}"#, nowMillis: 0) == #"{"error":{"code":2,"msg":"Invalid request: missing field `method`"},"id":7}"#)
        #expect(connection.handleRequest(#"{"method":"SUBSCRIBE","params":["btcusdt@kline_1m"],"id":-1}"#, nowMillis: 0)
            == #"{"error":{"code":2,"msg":"Invalid request: request ID must be an unsigned integer"},"id":null}"#)
        #expect(connection.handleRequest(#"{"method":"SUBSCRIBE","params":["BTCUSDT@kline_1m"],"id":4}"#, nowMillis: 0)
            == #"{"error":{"code":2,"msg":"Invalid request: invalid stream"},"id":4}"#)
        #expect(connection.handleRequest(#"{"method":"FOO","id":8}"#, nowMillis: 0).hasPrefix(#"{"error":{"code":2,"msg":"Invalid request: unknown variant `FOO`"#))
        #expect(connection.handleRequest(#"{"method":"SET_PROPERTY","params":["combined","yes"],"id":9}"#, nowMillis: 0)
            == #"{"error":{"code":1,"msg":"Invalid value type: expected Boolean"},"id":9}"#)
        #expect(connection.handleRequest(#"{"method":"GET_PROPERTY","params":["other"],"id":10}"#, nowMillis: 0) == #"{"error":{"code":0,"msg":"Unknown property"},"id":10}"#)
        #expect(connection.streams.isEmpty)
    }

    @Test func spotAcceptsStringIDs() {
        let connection = connection(market: .spot)
        #expect(connection.handleRequest(#"{"method":"LIST_SUBSCRIPTIONS","id":"abc123"}"#, nowMillis: 0) == #"{"result":[],"id":"abc123"}"#)
    }

    @Test func countsMessagesPerSecond() {
        let connection = connection()
        let start = ContinuousClock.now
        for index in 0..<10 { connection.recordIncomingMessage(at: start + .milliseconds(index * 10)) }
        #expect(connection.closeRequest == nil)
        connection.recordIncomingMessage(at: start + .milliseconds(500))
        #expect(connection.closeRequest == .messageRate)
    }
}
