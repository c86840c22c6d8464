import Analysis
import Core
import Testing

@Suite struct WyckoffHeadTests {
    typealias F = HeadFixturesB
    let head = WyckoffHead()

    /// 1h: a quiet base at 120, a fall to 100, then 30 hours between 98.2 and 101.8.
    static func rangeAfterDecline() -> [F.Bar] {
        let decline = F.line(from: 120, to: 100, 20)
        let range = F.line(from: 100, to: 101.8, 3) + F.legs([101.8, 98.2, 101.8, 98.2, 101.8, 98.2, 101.8], barsPerLeg: 4)
            + F.line(from: 101.8, to: 99, 3)
        return F.flat(200, at: 120) + F.bars(from: 120, decline + range)
    }

    /// The range, then a dip to 96.9 that closes back inside on ordinary volume and a rally.
    static func spring() -> [F.Bar] {
        rangeAfterDecline() + F.bars(from: 99, [98.8])
            + [F.Bar(open: 98.8, high: 99.1, low: 96.9, close: 98.7, volume: 120)]
            + F.bars(from: 98.7, [99.6, 100.4, 101.0, 101.4])
    }

    @Test func springGivesLong() {
        let vote = head.evaluate(F.input(Self.spring(), interval: .oneHour))
        #expect(F.counts(vote, .long), "\(vote)")
        #expect(F.mentions(vote, "1h range"))
        #expect(F.mentions(vote, "spring"))
        #expect(F.mentions(vote, "accumulation"))
    }

    @Test func upthrustAfterDistributionGivesShort() {
        let vote = head.evaluate(F.input(F.mirror(Self.spring(), around: 100), interval: .oneHour))
        #expect(F.counts(vote, .short), "\(vote)")
        #expect(F.mentions(vote, "upthrust"))
        #expect(F.mentions(vote, "distribution"))
    }

    @Test func bareSpringOnHeavyVolumeDoesNotCount() {
        // The same dip on four times the range's volume and no rally after it: still a spring,
        // but not enough for a confident vote.
        let bars = Self.rangeAfterDecline() + F.bars(from: 99, [98.8, 98.9, 99.1, 98.9, 99.0])
            + [F.Bar(open: 99.0, high: 99.2, low: 96.9, close: 98.7, volume: 400)]
        let vote = head.evaluate(F.input(bars, interval: .oneHour))
        #expect(vote.direction == .long, "\(vote)")
        #expect(F.mentions(vote, "heavy volume"))
        #expect(!F.counts(vote, .long))
    }

    static func signOfStrength() -> [F.Bar] {
        rangeAfterDecline() + F.bars(from: 99, [99.8, 100.5])
            + [F.Bar(open: 100.5, high: 103.7, low: 100.4, close: 103.5, volume: 300)]
            + F.bars(from: 103.5, [103.2, 103.6, 103.4])
    }

    @Test func signOfStrengthGivesLong() {
        let vote = head.evaluate(F.input(Self.signOfStrength(), interval: .oneHour))
        #expect(F.counts(vote, .long), "\(vote)")
        #expect(F.mentions(vote, "sign of strength"))
    }

    @Test func signOfWeaknessGivesShort() {
        let vote = head.evaluate(F.input(F.mirror(Self.signOfStrength(), around: 100), interval: .oneHour))
        #expect(F.counts(vote, .short), "\(vote)")
        #expect(F.mentions(vote, "sign of weakness"))
    }

    @Test func rangeWithoutEventsIsNeutral() {
        let bars = Self.rangeAfterDecline() + F.bars(from: 99, F.legs([99, 101, 99.5], barsPerLeg: 3))
        let vote = head.evaluate(F.input(bars, interval: .oneHour))
        #expect(vote.direction == .neutral, "\(vote)")
        #expect(F.mentions(vote, "no spring, upthrust or breakout"))
    }

    @Test func trendWithoutRangeIsNeutral() {
        let bars = F.flat(200, at: 100) + F.bars(from: 100, F.line(from: 100, to: 160, 60))
        let vote = head.evaluate(F.input(bars, interval: .oneHour))
        #expect(vote.direction == .neutral, "\(vote)")
        #expect(F.mentions(vote, "no trading range"))
    }

    @Test func tooFewCandlesIsMissingData() {
        let vote = head.evaluate(F.input(F.flat(40, at: 100), interval: .fifteenMinutes))
        #expect(vote.direction == .neutral)
        #expect(vote.confidence == 0)
        #expect(F.mentions(vote, "enough candles"))
    }
}
