import Binance
import Testing

/// Garbled and truncated variants of real frames never crash the parser: each either parses
/// to a valid update or is rejected.
@Suite struct FuzzTests {
    /// Parses, and checks what a successful parse promises.
    static func parseOrReject(_ bytes: [UInt8]) -> Result<BinanceFrame, FrameReject> {
        let result = Result { () throws(FrameReject) -> BinanceFrame in try BinanceFrame.parse(bytes) }
        if case .success(.kline(let kline)) = result {
            #expect(kline.low.value <= kline.high.value)
            #expect(kline.closeTime == kline.interval.closeTime(openTime: kline.openTime))
            #expect(ExactDecimal(kline.open.text)?.value == kline.open.value)
        }
        return result
    }

    @Test func everyProperPrefixOfEveryFrameIsMalformed() throws {
        let frames = try FixtureFrames.klines() + FixtureFrames.load(".aggTrade.jsonl")
        var checked = 0
        for frame in frames {
            let bytes = frame.bytes
            for length in 0..<bytes.count {
                guard case .failure(let reject) = Self.parseOrReject(Array(bytes[..<length])) else {
                    Issue.record("\(frame.file):\(frame.line) prefix of \(length) bytes parsed")
                    continue
                }
                #expect(reject.reason == .malformedJSON)
                checked += 1
            }
        }
        #expect(checked > 45_000)
    }

    @Test func randomByteFlipsInsertionsAndDeletionsNeverCrash() throws {
        var generator = SeededGenerator(seed: 0xA1FA_9015E)
        let frames = try FixtureFrames.klines().map(\.bytes) + [Array(RejectTests.markPrice.utf8)]
        // Bytes that matter to the grammar, so mutations reach deep into the parser.
        let interesting: [UInt8] = Array(#"{}[]":,.-0123456789eE\"tfnux "#.utf8) + [0x00, 0x1F, 0x7F, 0x80, 0xFF]
        var parsed = 0
        var rejects: [RejectReason: Int] = [:]
        for round in 0..<40_000 {
            var bytes = frames[round % frames.count]
            for _ in 0..<Int.random(in: 1...3, using: &generator) {
                let position = Int.random(in: 0..<bytes.count, using: &generator)
                let byte = Bool.random(using: &generator)
                    ? interesting.randomElement(using: &generator)!
                    : UInt8.random(in: 0...255, using: &generator)
                switch Int.random(in: 0..<4, using: &generator) {
                case 0: bytes[position] = byte
                case 1: bytes[position] ^= 1 << UInt8.random(in: 0..<8, using: &generator)
                case 2: bytes.insert(byte, at: position)
                default: if bytes.count > 1 { bytes.remove(at: position) }
                }
            }
            switch Self.parseOrReject(bytes) {
            case .success: parsed += 1
            case .failure(let reject): rejects[reject.reason, default: 0] += 1
            }
        }
        // Some mutations leave a valid frame (a digit of a volume changed); most do not.
        #expect(parsed > 100)
        #expect(rejects.values.reduce(0, +) > 20_000)
        #expect(rejects.count >= 10)
    }

    @Test func randomBytesAndPathologicalInputsAreRejected() {
        var generator = SeededGenerator(seed: 7)
        for _ in 0..<5_000 {
            let bytes = (0..<Int.random(in: 0...64, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            _ = Self.parseOrReject(bytes)
        }
        let pathological = [
            String(repeating: "[", count: 100_000),
            String(repeating: "{\"a\":", count: 50_000),
            "{\"e\":\"" + String(repeating: "\\u00", count: 1_000),
            "{\"e\":\"kline\"" + String(repeating: ",\"x\":1", count: 10_000) + "}",
            "{\"result\":[\"a\",1],\"id\":1}",
            "{\"error\":{\"code\":\"x\"},\"id\":1}",
            "  \n\t{\"e\":\"kline\"}  \n",
        ]
        for text in pathological {
            guard case .failure = Self.parseOrReject(Array(text.utf8)) else {
                Issue.record("accepted: \(text.prefix(40))")
                continue
            }
        }
    }
}
