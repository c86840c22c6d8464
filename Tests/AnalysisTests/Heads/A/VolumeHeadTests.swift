import Analysis
import Core
import Testing

@Suite("VolumeHead")
struct VolumeHeadTests {
    typealias F = HeadFixturesA
    let head = VolumeHead()

    /// A trend (two steps with it, one smaller against) whose with-trend bars carry the volume,
    /// ending with a with-trend bar of `lastVolume`.
    func trend(_ interval: CandleInterval, up: Bool, count: Int, lastVolume: Double) -> [Candle] {
        let steps = up ? [1.0, 1.0, -1.3] : [-1.0, -1.0, 1.3]
        let closes = F.path(start: up ? 100 : 300, count: count, steps: steps)
        // Candle i moves by steps[(i - 1) % 3]: bars 1 and 2 of each cycle go with the trend.
        var volumes = (0..<count).map { $0 % 3 == 0 ? 80.0 : 150.0 }
        volumes[count - 1] = lastVolume
        return F.series(interval, closes: closes, volumes: volumes)
    }

    func trending(up: Bool) -> AnalysisInput {
        // 200 and 80 bars: the last bar (index count − 1) moves with the trend.
        F.input([
            .oneHour: trend(.oneHour, up: up, count: 200, lastVolume: 150),
            .fifteenMinutes: trend(.fifteenMinutes, up: up, count: 200, lastVolume: 600),
            .fiveMinutes: trend(.fiveMinutes, up: up, count: 80, lastVolume: 600),
        ])
    }

    @Test("an uptrend on rising OBV, above a rising VWAP, with a bullish surge votes long")
    func long() {
        let vote = head.evaluate(trending(up: true))
        #expect(vote.head == .volume)
        #expect(vote.direction == .long, "\(F.describe(vote))")
        #expect(F.counts(vote), "\(F.describe(vote))")
        #expect(F.mentions(vote, "confirming the price move"), "\(F.describe(vote))")
        #expect(F.mentions(vote, "above, VWAP rising"), "\(F.describe(vote))")
        #expect(F.mentions(vote, "bullish candle"), "\(F.describe(vote))")
    }

    @Test("the mirrored downtrend votes short")
    func short() {
        let vote = head.evaluate(trending(up: false))
        #expect(vote.direction == .short, "\(F.describe(vote))")
        #expect(F.counts(vote), "\(F.describe(vote))")
        #expect(F.mentions(vote, "below, VWAP falling"), "\(F.describe(vote))")
        #expect(F.mentions(vote, "bearish candle"), "\(F.describe(vote))")
    }

    @Test("a flat market on even volume is neutral")
    func flat() {
        let closes = F.path(start: 150, count: 200, steps: [0.3, -0.3])
        let input = F.input([
            .oneHour: F.series(.oneHour, closes: closes),
            .fifteenMinutes: F.series(.fifteenMinutes, closes: closes),
            .fiveMinutes: F.series(.fiveMinutes, closes: closes),
        ])
        let vote = head.evaluate(input)
        #expect(vote.direction == .neutral, "\(F.describe(vote))")
        #expect(F.mentions(vote, "no volume surge"))
    }

    @Test("a higher high on a lower OBV high is a bearish divergence")
    func bearishDivergence() {
        // Rally on heavy up-volume, heavy selling, then a new high on thin volume.
        let rally = F.path(start: 100, count: 30, steps: [1.0])
        let selloff = F.extend(rally, count: 20, steps: [-0.6])
        let closes = F.extend(selloff, count: 10, steps: [1.6])
        let volumes = (0..<60).map { i in i < 30 ? 300.0 : (i < 50 ? 400.0 : 40.0) }
        let candles = F.series(.oneHour, closes: closes, volumes: volumes)
        let vote = head.evaluate(F.input([.oneHour: candles]))
        #expect(F.mentions(vote, "OBV 1h: bearish divergence"), "\(F.describe(vote))")
        #expect(vote.direction == .short, "\(F.describe(vote))")
        // The mirror: a lower low on a higher OBV low.
        let mirrored = F.series(.oneHour, closes: closes.map { 300 - $0 }, volumes: volumes)
        let bullish = head.evaluate(F.input([.oneHour: mirrored]))
        #expect(F.mentions(bullish, "OBV 1h: bullish divergence"), "\(F.describe(bullish))")
        #expect(bullish.direction == .long, "\(F.describe(bullish))")
    }

    @Test("without 1h, 15m or 5m candles the vote is missing data")
    func missing() {
        let closes = F.path(start: 100, count: 300, steps: [1, -0.5])
        let vote = head.evaluate(F.input([.oneMinute: F.series(.oneMinute, closes: closes)]))
        #expect(vote.direction == .neutral)
        #expect(vote.confidence == 0)
        #expect(!vote.reasons.isEmpty)
    }
}
