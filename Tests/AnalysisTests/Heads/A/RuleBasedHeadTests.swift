import Analysis
import Core
import Testing

@Suite("RuleBasedHead")
struct RuleBasedHeadTests {
    typealias F = HeadFixturesA
    typealias Bar = (Double, Double, Double, Double)
    let head = RuleBasedHead()

    /// 15m: a rally to a swing high near 110, a pullback to 105, and a climb back towards 110.
    var approach: [Bar] {
        let rally = F.path(start: 100, count: 26, steps: [0.4])
        let pullback = F.extend(rally, count: 15, steps: [-0.33])
        let climb = F.extend(pullback, count: 17, steps: [0.27])
        return F.ohlc(climb)
    }

    /// 1h: a quiet market with no pattern.
    var quietHour: [Candle] { F.series(.oneHour, closes: F.path(start: 105, count: 60, steps: [0.3, -0.3])) }

    func input(_ fifteen: [Bar]) -> AnalysisInput {
        F.input([.fifteenMinutes: F.bars(.fifteenMinutes, fifteen), .oneHour: quietHour])
    }

    /// A bullish bar up to the old high, then a bearish bar engulfing it.
    let bearishEngulfing: [Bar] = [(109.4, 109.9, 109.3, 109.8), (109.9, 110.05, 108.9, 109.0)]

    @Test("a bearish engulfing at resistance gives short")
    func bearishEngulfingAtResistance() {
        let vote = head.evaluate(input(approach + bearishEngulfing))
        #expect(vote.head == .ruleBased)
        #expect(vote.direction == .short, "\(F.describe(vote))")
        #expect(F.counts(vote), "\(F.describe(vote))")
        #expect(F.mentions(vote, "bearish engulfing at resistance"), "\(F.describe(vote))")
        #expect(F.mentions(vote, "swing high"), "\(F.describe(vote))")
    }

    @Test("a bullish engulfing at support gives long (the mirror)")
    func bullishEngulfingAtSupport() {
        let vote = head.evaluate(input(F.mirror(approach + bearishEngulfing, around: 220)))
        #expect(vote.direction == .long, "\(F.describe(vote))")
        #expect(F.counts(vote), "\(F.describe(vote))")
        #expect(F.mentions(vote, "bullish engulfing at support"), "\(F.describe(vote))")
        #expect(F.mentions(vote, "swing low"), "\(F.describe(vote))")
    }

    @Test("a hammer at support gives long")
    func hammerAtSupport() {
        // Mirrored approach: a decline back to the old swing low near 109.9.
        let bars = F.mirror(approach, around: 220) + [(110.6, 110.75, 109.9, 110.7)]
        let vote = head.evaluate(input(bars))
        #expect(vote.direction == .long, "\(F.describe(vote))")
        #expect(F.counts(vote), "\(F.describe(vote))")
        #expect(F.mentions(vote, "hammer at support"), "\(F.describe(vote))")
    }

    @Test("an evening star at resistance gives short")
    func eveningStar() {
        let bars = approach + [(109.4, 109.95, 109.3, 109.9), (109.95, 110.1, 109.85, 110.0), (109.9, 109.95, 109.1, 109.2)]
        let vote = head.evaluate(input(bars))
        #expect(vote.direction == .short, "\(F.describe(vote))")
        #expect(F.mentions(vote, "evening star at resistance"), "\(F.describe(vote))")
    }

    @Test("no pattern gives neutral")
    func noPattern() {
        let vote = head.evaluate(input(approach))
        #expect(vote.direction == .neutral, "\(F.describe(vote))")
        #expect(vote.probability == 0.5)
        #expect(F.mentions(vote, "15m: no candlestick pattern"), "\(F.describe(vote))")
        #expect(F.mentions(vote, "1h: no candlestick pattern"), "\(F.describe(vote))")
    }

    @Test("a pattern away from levels counts little")
    func awayFromLevels() {
        // Swings between 100 and 110; the engulfing forms mid-range near 105.
        let swings = F.path(start: 100, count: 55, steps: Array(repeating: 1.0, count: 10) + Array(repeating: -1.0, count: 10))
        let bars = F.ohlc(swings) + [(104.8, 105.7, 104.7, 105.6), (105.7, 105.8, 104.2, 104.3)]
        let vote = head.evaluate(input(bars))
        #expect(vote.direction == .neutral, "\(F.describe(vote))")
        #expect(!F.counts(vote))
        #expect(F.mentions(vote, "bearish engulfing away from support/resistance"), "\(F.describe(vote))")
    }

    @Test("a doji at resistance is indecision: neutral")
    func dojiAtResistance() {
        let vote = head.evaluate(input(approach + [(109.8, 110.1, 109.5, 109.81)]))
        #expect(vote.direction == .neutral, "\(F.describe(vote))")
        #expect(F.mentions(vote, "doji at a level"), "\(F.describe(vote))")
        #expect(F.mentions(vote, "indecision"))
    }

    @Test("too few candles is missing data")
    func missing() {
        let few = F.series(.fifteenMinutes, closes: F.path(start: 100, count: 30, steps: [1, -0.5]))
        let vote = head.evaluate(F.input([.fifteenMinutes: few]))
        #expect(vote.direction == .neutral)
        #expect(vote.confidence == 0)
        #expect(F.mentions(vote, "15m 30"), "\(F.describe(vote))")
    }
}
