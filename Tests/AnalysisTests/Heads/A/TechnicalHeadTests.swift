import Analysis
import Core
import Testing

@Suite("TechnicalHead")
struct TechnicalHeadTests {
    typealias F = HeadFixturesA
    let head = TechnicalHead()

    /// The same trend shape on 15m, 1h and 4h.
    func trending(up: Bool, count: Int = 220) -> AnalysisInput {
        // Two steps with the trend, one smaller step against it: RSI near 60 (40), not stretched.
        let steps = up ? [1.0, 1.0, -1.3] : [-1.0, -1.0, 1.3]
        let closes = F.path(start: up ? 100 : 200, count: count, steps: steps)
        return F.input([
            .fifteenMinutes: F.series(.fifteenMinutes, closes: closes),
            .oneHour: F.series(.oneHour, closes: closes),
            .fourHours: F.series(.fourHours, closes: closes),
        ])
    }

    @Test("a stacked uptrend votes long")
    func uptrend() {
        let vote = head.evaluate(trending(up: true))
        #expect(vote.head == .technical)
        #expect(vote.direction == .long, "\(F.describe(vote))")
        #expect(F.counts(vote), "\(F.describe(vote))")
        #expect(F.mentions(vote, "stacked bullish"), "\(F.describe(vote))")
        #expect(F.mentions(vote, "RSI(14)"))
    }

    @Test("the mirrored downtrend votes short")
    func downtrend() {
        let vote = head.evaluate(trending(up: false))
        #expect(vote.direction == .short, "\(F.describe(vote))")
        #expect(F.counts(vote), "\(F.describe(vote))")
        #expect(F.mentions(vote, "stacked bearish"), "\(F.describe(vote))")
    }

    @Test("a market going nowhere is neutral")
    func flat() {
        let closes = F.path(start: 150, count: 221, steps: [0.3, -0.3])
        let input = F.input([
            .fifteenMinutes: F.series(.fifteenMinutes, closes: closes),
            .oneHour: F.series(.oneHour, closes: closes),
            .fourHours: F.series(.fourHours, closes: closes),
        ])
        let vote = head.evaluate(input)
        #expect(vote.direction == .neutral, "\(F.describe(vote))")
        #expect(vote.probability == 0.5)
        #expect(F.mentions(vote, "squeeze"), "\(F.describe(vote))")
    }

    @Test("timeframes that disagree balance out to neutral")
    func disagreeing() {
        let up = F.path(start: 100, count: 220, steps: [1.0, 1.0, -1.3])
        let down = F.path(start: 200, count: 220, steps: [-1.0, -1.0, 1.3])
        let flat = F.path(start: 150, count: 221, steps: [0.3, -0.3])
        let input = F.input([
            .fifteenMinutes: F.series(.fifteenMinutes, closes: flat),
            .oneHour: F.series(.oneHour, closes: down),
            .fourHours: F.series(.fourHours, closes: up),
        ])
        let vote = head.evaluate(input)
        #expect(vote.direction == .neutral, "\(F.describe(vote))")
        #expect(!F.counts(vote))
    }

    @Test("RSI above 70 is overbought and tilts against the trend")
    func overbought() {
        // A steady climb whose last 20 bars go straight up: RSI far above 70.
        let base = F.path(start: 100, count: 200, steps: [1.0, 1.0, -1.3])
        let closes = F.extend(base, count: 20, steps: [2.0])
        let input = F.input([.oneHour: F.series(.oneHour, closes: closes)])
        var neverOverbought = TechnicalHead()
        neverOverbought.overbought = 101
        let vote = head.evaluate(input)
        #expect(F.mentions(vote, "overbought"), "\(F.describe(vote))")
        #expect(vote.probability < neverOverbought.evaluate(input).probability)
    }

    @Test("a fresh golden cross is reported and counts for long; a death cross mirrors it")
    func crosses() {
        let down = F.path(start: 200, count: 160, steps: [-1.0, -1.0, 1.3])
        let turn = F.extend(down, count: 48, steps: [1.5, 1.5, -1.0])
        let golden = head.evaluate(F.input([.oneHour: F.series(.oneHour, closes: turn)]))
        #expect(golden.direction == .long, "\(F.describe(golden))")
        #expect(F.mentions(golden, "golden cross (EMA50/200) 3 bars ago"), "\(F.describe(golden))")
        let death = head.evaluate(F.input([.oneHour: F.series(.oneHour, closes: turn.map { 400 - $0 })]))
        #expect(death.direction == .short, "\(F.describe(death))")
        #expect(F.mentions(death, "death cross (EMA50/200) 3 bars ago"), "\(F.describe(death))")

        let early = F.extend(down, count: 20, steps: [1.5, 1.5, -1.0])
        let fast = head.evaluate(F.input([.oneHour: F.series(.oneHour, closes: early)]))
        #expect(F.mentions(fast, "EMA20 crossed above EMA50 6 bars ago"), "\(F.describe(fast))")
    }

    @Test("too few candles on every timeframe is missing data")
    func missing() {
        let closes = F.path(start: 100, count: 40, steps: [1, -0.5])
        let vote = head.evaluate(F.input([.oneHour: F.series(.oneHour, closes: closes), .oneMinute: F.series(.oneMinute, closes: closes)]))
        #expect(vote.direction == .neutral)
        #expect(vote.confidence == 0)
        #expect(F.mentions(vote, "1h 40"), "\(F.describe(vote))")
    }

    @Test("a timeframe that is too short is skipped and lowers confidence")
    func skipsShortTimeframe() {
        var input = trending(up: true)
        input.candles[.fourHours] = Array(input.candles(.fourHours).suffix(30))
        let full = head.evaluate(trending(up: true))
        let vote = head.evaluate(input)
        #expect(vote.direction == .long)
        #expect(vote.confidence < full.confidence)
        #expect(F.mentions(vote, "4h skipped"), "\(F.describe(vote))")
    }
}
