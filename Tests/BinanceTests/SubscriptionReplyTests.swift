import Binance
import Testing

@Suite struct SubscriptionReplyTests {
    @Test func repliesParse() throws {
        #expect(try BinanceFrame.parse(#"{"result":null,"id":1}"#) == .subscriptionReply(SubscriptionReply(id: 1, result: .null)))
        #expect(try BinanceFrame.parse(#"{"id":7,"result":true}"#) == .subscriptionReply(SubscriptionReply(id: 7, result: .bool(true))))
        #expect(
            try BinanceFrame.parse(#"{"result":["btcusdt@kline_1m","ethusdt@markPrice@1s"],"id":3}"#)
                == .subscriptionReply(SubscriptionReply(id: 3, result: .streams(["btcusdt@kline_1m", "ethusdt@markPrice@1s"])))
        )
        #expect(try BinanceFrame.parse(#"{"result":[],"id":4}"#) == .subscriptionReply(SubscriptionReply(id: 4, result: .streams([]))))
        #expect(try BinanceFrame.parse(#"{"result":null,"id":1}"#, market: .spot).market == nil)
    }

    @Test func errorsParseWithTheirMessage() throws {
        let frame = try BinanceFrame.parse(#"{"error":{"code":2,"msg":"Invalid request: \"params\" \u00e9\ud83d\ude00\n"},"id":5}"#)
        #expect(frame == .subscriptionError(SubscriptionError(code: 2, message: "Invalid request: \"params\" é😀\n", id: 5)))
        #expect(
            try BinanceFrame.parse(#"{"error":{"code":3,"msg":"Invalid JSON: expected value at line 1 column 1"},"id":null}"#)
                == .subscriptionError(SubscriptionError(code: 3, message: "Invalid JSON: expected value at line 1 column 1", id: nil))
        )
        #expect(
            try BinanceFrame.parse(#"{"code":0,"msg":"Unknown property","id":9}"#)
                == .subscriptionError(SubscriptionError(code: 0, message: "Unknown property", id: 9))
        )
        // A lone surrogate becomes U+FFFD instead of failing.
        #expect(try BinanceFrame.parse(#"{"error":{"code":1,"msg":"a\ud800b"},"id":1}"#) == .subscriptionError(SubscriptionError(code: 1, message: "a\u{FFFD}b", id: 1)))
    }

    @Test func badRepliesAreRejected() {
        #expect(throws: FrameReject(.missingField, field: "id")) { try BinanceFrame.parse(#"{"result":null}"#) }
        #expect(throws: FrameReject(.wrongType, field: "result")) { try BinanceFrame.parse(#"{"result":"ok","id":1}"#) }
        #expect(throws: FrameReject(.wrongType, field: "id")) { try BinanceFrame.parse(#"{"result":null,"id":"1"}"#) }
        #expect(throws: FrameReject(.badNumber, field: "id")) { try BinanceFrame.parse(#"{"result":null,"id":1.5}"#) }
        #expect(throws: FrameReject(.missingField, field: "error.msg")) { try BinanceFrame.parse(#"{"error":{"code":2},"id":1}"#) }
        #expect(throws: FrameReject(.wrongType, field: "error")) { try BinanceFrame.parse(#"{"error":"boom","id":1}"#) }
        #expect(throws: FrameReject(.duplicateField, field: "id")) { try BinanceFrame.parse(#"{"result":null,"id":1,"id":2}"#) }
    }
}
