import Analysis
import Core
import Testing

@Suite struct ICTHeadTests {
    typealias F = HeadFixturesB
    let head = ICTHead()

    /// 15m: a quiet base at 100, an impulsive leg to 110 that leaves fair value gaps, then a
    /// pull-back to 103 — about 70 % of the leg, into the OTE band and a live bullish gap.
    static func retraceAfterRally() -> [F.Bar] {
        F.flat(240, at: 100) + F.bars(from: 100, F.line(from: 100, to: 110, 10) + F.line(from: 110, to: 103, 5))
    }

    /// 15m: equal lows at 100 that a final candle wicks through to 99.4 and closes back above.
    static func equalLowsSwept() -> [F.Bar] {
        let base = F.flat(240, at: 102)
        let dips = F.bars(from: 102, F.legs([102, 100.05, 102, 100.05, 101.5], barsPerLeg: 4))
        let sweep = F.Bar(open: 101.5, high: 101.7, low: 99.4, close: 101.2, volume: 300)
        return base + dips + [sweep]
    }

    @Test func retraceIntoGapAndOTEGivesLong() {
        let vote = head.evaluate(F.input(Self.retraceAfterRally(), interval: .fifteenMinutes))
        #expect(F.counts(vote, .long), "\(vote)")
        #expect(F.mentions(vote, "bullish FVG"))
        #expect(F.mentions(vote, "OTE, long zone"))
        #expect(F.mentions(vote, "London kill zone"))
    }

    @Test func mirrorGivesShort() {
        let bars = F.mirror(Self.retraceAfterRally(), around: 100)
        let vote = head.evaluate(F.input(bars, interval: .fifteenMinutes))
        #expect(F.counts(vote, .short), "\(vote)")
        #expect(F.mentions(vote, "bearish FVG"))
        #expect(F.mentions(vote, "OTE, short zone"))
    }

    @Test func outsideKillZoneLowersConfidence() {
        let inside = head.evaluate(F.input(Self.retraceAfterRally(), interval: .fifteenMinutes, endMinute: 8 * 60))
        let outside = head.evaluate(F.input(Self.retraceAfterRally(), interval: .fifteenMinutes, endMinute: 4 * 60))
        #expect(outside.direction == .long)
        #expect(outside.confidence < inside.confidence)
        #expect(F.mentions(outside, "outside the kill zones"))
    }

    @Test func sweptEqualLowsGiveLong() {
        let vote = head.evaluate(F.input(Self.equalLowsSwept(), interval: .fifteenMinutes))
        #expect(vote.direction == .long, "\(vote)")
        #expect(F.mentions(vote, "bullish liquidity sweep on 15m"))
        #expect(F.mentions(vote, "equal lows"))
    }

    @Test func sweptEqualHighsGiveShort() {
        let vote = head.evaluate(F.input(F.mirror(Self.equalLowsSwept(), around: 100), interval: .fifteenMinutes))
        #expect(vote.direction == .short, "\(vote)")
        #expect(F.mentions(vote, "equal highs"))
    }

    @Test func quietMarketIsNeutral() {
        let vote = head.evaluate(F.input(F.flat(400, at: 100), interval: .fifteenMinutes))
        #expect(vote.direction == .neutral, "\(vote)")
        #expect(vote.confidence < 0.7)
        #expect(F.mentions(vote, "no fair value gap"))
    }

    @Test func tooFewCandlesIsMissingData() {
        let vote = head.evaluate(F.input(F.flat(20, at: 100), interval: .fifteenMinutes))
        #expect(vote.direction == .neutral)
        #expect(vote.confidence == 0)
        #expect(F.mentions(vote, "enough candles"))
        let empty = head.evaluate(AnalysisInput(symbol: "X", market: .spot, candles: [:]))
        #expect(empty.confidence == 0)
    }

    @Test func spentGapDoesNotVote() {
        // The pull-back closes below the whole leg: every gap is filled and no OTE remains.
        let bars = F.flat(240, at: 100) + F.bars(from: 100, F.line(from: 100, to: 110, 10) + F.line(from: 110, to: 99, 5))
        let vote = head.evaluate(F.input(bars, interval: .fifteenMinutes))
        #expect(!F.mentions(vote, "bullish FVG"), "\(vote)")
        #expect(!F.counts(vote, .long))
    }

    @Test func killZonesWrapPastMidnight() {
        let asia = ICTHead.KillZone(name: "Asia", start: 23 * 60, end: 2 * 60)
        #expect(asia.contains(minute: 23 * 60))
        #expect(asia.contains(minute: 60))
        #expect(!asia.contains(minute: 2 * 60))
        #expect(!asia.contains(minute: 12 * 60))
        let london = ICTHead().killZones[0]
        #expect(london.contains(minute: 7 * 60) && !london.contains(minute: 10 * 60))
    }
}
