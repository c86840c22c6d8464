import Analysis
import Core
import Testing

@Suite struct HarmonicHeadTests {
    typealias F = HeadFixturesB
    let head = HarmonicHead()

    /// 1h: a quiet base at 112, then X A B C D through `points`, eight candles per leg; the last
    /// candle makes D.
    static func pattern(_ points: [Double]) -> [F.Bar] {
        F.flat(300, at: 112) + F.bars(from: 112, F.legs([112] + points, barsPerLeg: 8))
    }

    /// Gartley: AB = 0.618 XA, BC = 0.618 AB, D at the 0.786 retracement of XA.
    static let gartley = pattern([100, 120, 107.64, 115.28, 104.28])
    /// Bat: AB = 0.45 XA, BC = 0.7 AB, D at the 0.886 retracement of XA.
    static let bat = pattern([100, 120, 111, 117.3, 102.28])

    @Test func bullishGartleyGivesLong() {
        let vote = head.evaluate(F.input(Self.gartley, interval: .oneHour))
        #expect(F.counts(vote, .long), "\(vote)")
        #expect(F.mentions(vote, "bullish Gartley on 1h"))
    }

    @Test func bearishGartleyGivesShort() {
        let vote = head.evaluate(F.input(F.mirror(Self.gartley, around: 100), interval: .oneHour))
        #expect(F.counts(vote, .short), "\(vote)")
        #expect(F.mentions(vote, "bearish Gartley on 1h"))
    }

    @Test func bullishBatGivesLong() {
        let vote = head.evaluate(F.input(Self.bat, interval: .oneHour))
        #expect(F.counts(vote, .long), "\(vote)")
        #expect(F.mentions(vote, "bullish Bat"))
    }

    @Test func bullishABCDGivesLong() {
        // AB = CD = 12 with BC = 0.7 AB; the rise into A is too short for any XABCD pattern.
        let vote = head.evaluate(F.input(Self.pattern([120, 108, 116.4, 104.4]), interval: .oneHour))
        #expect(vote.direction == .long, "\(vote)")
        #expect(F.mentions(vote, "bullish ABCD on 1h"))
    }

    @Test func staleDoesNotVote() {
        // Two days of drifting after D (12 candles on 4h): the pattern is no longer at its completion.
        let bars = Self.gartley + F.flat(48, at: 104.6, swing: 0.3)
        let vote = head.evaluate(F.input(bars, interval: .oneHour))
        #expect(vote.direction == .neutral, "\(vote)")
    }

    @Test func noPatternIsNeutral() {
        let vote = head.evaluate(F.input(F.flat(300, at: 100), interval: .oneHour))
        #expect(vote.direction == .neutral, "\(vote)")
        #expect(F.mentions(vote, "no harmonic pattern"))
    }

    @Test func tooFewCandlesIsMissingData() {
        let vote = head.evaluate(F.input(F.flat(30, at: 100), interval: .fifteenMinutes))
        #expect(vote.confidence == 0)
        #expect(F.mentions(vote, "enough candles"))
    }
}
