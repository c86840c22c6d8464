import Analysis
import Core
import Testing

@Suite struct MarketStructureHeadTests {
    typealias F = HeadFixturesB
    let head = MarketStructureHead()

    /// Closes of a leg from `from` that moves `move` in `steps` waves of `barsPerStep` candles:
    /// each wave advances for all but its last candle, which gives back a fifth of the advance.
    static func wave(from: Double, move: Double, steps: Int, barsPerStep: Int) -> [Double] {
        var closes: [Double] = []
        var level = from
        let step = move / Double(steps)
        for _ in 0..<steps {
            let advance = step * 1.25
            closes += F.line(from: level, to: level + advance, barsPerStep - 1)
            closes.append(level + step)
            level += step
        }
        return closes
    }

    /// Closes of `cycles` rises of `up` over `upBars` candles, each followed by a fall of `down`
    /// over `downBars`, from `start`; the legs are waves of six (rises) and four (falls) candles.
    static func staircase(from start: Double, cycles: Int, up: Double, upBars: Int, down: Double, downBars: Int)
        -> [Double]
    {
        var closes: [Double] = []
        var level = start
        for _ in 0..<cycles {
            closes += wave(from: level, move: up, steps: upBars / 6, barsPerStep: 6)
            closes += wave(from: level + up, move: -down, steps: downBars / 4, barsPerStep: 4)
            level += up - down
        }
        return closes
    }

    /// 1h: eighteen days of higher highs and higher lows (+12 in 24 h, −6 in 12 h), then a rally
    /// whose waves close above the last swing high a few hours before the end.
    static func uptrendWithBreak() -> [F.Bar] {
        var closes = staircase(from: 100, cycles: 12, up: 12, upBars: 24, down: 6, downBars: 12)
        closes += wave(from: closes.last!, move: 9, steps: 3, barsPerStep: 6)
        return F.flat(60, at: 100) + F.bars(from: 100, closes)
    }

    @Test func alignedUptrendWithBreakGivesLong() {
        let vote = head.evaluate(F.input(Self.uptrendWithBreak(), interval: .oneHour))
        #expect(F.counts(vote, .long), "\(vote)")
        #expect(F.mentions(vote, "trend alignment: 15m up, 1h up, 4h up"))
        #expect(F.mentions(vote, "1h: bullish break of structure"))
    }

    @Test func alignedDowntrendWithBreakGivesShort() {
        let vote = head.evaluate(F.input(F.mirror(Self.uptrendWithBreak(), around: 100), interval: .oneHour))
        #expect(F.counts(vote, .short), "\(vote)")
        #expect(F.mentions(vote, "trend alignment: 15m down, 1h down, 4h down"))
        #expect(F.mentions(vote, "1h: bearish break of structure"))
    }

    @Test func rangeIsNeutral() {
        let closes = Self.staircase(from: 100, cycles: 14, up: 8, upBars: 18, down: 8, downBars: 18)
        let vote = head.evaluate(F.input(F.flat(60, at: 100) + F.bars(from: 100, closes), interval: .oneHour))
        #expect(vote.direction == .neutral, "\(vote)")
        #expect(F.mentions(vote, "1h none, 4h none"))
    }

    @Test func changeOfCharacterIsReported() {
        // A downtrend whose last rally closes above the last lower high: a bullish CHoCH on 1h
        // against the 4h downtrend, so the head does not vote short with confidence.
        var closes = Self.staircase(from: 200, cycles: 12, up: 6, upBars: 12, down: 12, downBars: 24)
        closes += Self.wave(from: closes.last!, move: 14, steps: 2, barsPerStep: 6)
        let vote = head.evaluate(F.input(F.flat(60, at: 200) + F.bars(from: 200, closes), interval: .oneHour))
        #expect(F.mentions(vote, "1h: bullish change of character"), "\(vote)")
        #expect(!F.counts(vote, .short) && !F.counts(vote, .long))
    }

    @Test func tooFewCandlesIsMissingData() {
        let vote = head.evaluate(F.input(F.flat(30, at: 100), interval: .fifteenMinutes))
        #expect(vote.direction == .neutral)
        #expect(vote.confidence == 0)
        #expect(F.mentions(vote, "enough candles"))
    }
}
