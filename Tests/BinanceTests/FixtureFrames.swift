import Foundation
import TestSupport

/// The recorded Binance frames (Tests/Fixtures/binance/frames), one frame per line.
enum FixtureFrames {
    struct Frame {
        var file: String
        var line: Int
        var text: String
        var bytes: [UInt8] { Array(text.utf8) }
    }

    /// Every frame of the files whose names end with `suffix` (`.kline.jsonl`, `.aggTrade.jsonl`).
    static func load(_ suffix: String) throws -> [Frame] {
        let directory = Fixtures.frames
        let files = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(suffix) }.sorted()
        var frames: [Frame] = []
        for file in files {
            let text = try String(contentsOfFile: directory + "/" + file, encoding: .utf8)
            for (index, line) in text.split(separator: "\n").enumerated() where !line.isEmpty {
                frames.append(Frame(file: file, line: index + 1, text: String(line)))
            }
        }
        return frames
    }

    static func klines() throws -> [Frame] { try load(".kline.jsonl") }

    /// The frame as Foundation reads it: the reference the byte scanner is checked against.
    static func object(_ text: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] ?? [:]
    }
}

/// A small deterministic PRNG (SplitMix64) so fuzz cases are the same on every run.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
