import Analysis
import Core
import Testing

@Suite("SentimentHead")
struct SentimentHeadTests {
    typealias F = HeadFixturesA
    let head = SentimentHead()
    let eightHours: Int64 = 8 * 3_600_000
    let fiveMinutes: Int64 = 300_000

    func derivatives(funding: [Double], ratios: [Double]) -> Derivatives {
        Derivatives(funding: F.timed(funding, every: eightHours), longShortRatio: F.timed(ratios, every: fiveMinutes))
    }

    @Test("crowded longs (high funding, high and rising long/short ratio) vote short")
    func crowdedLongs() {
        let d = derivatives(funding: [0.0002, 0.0003, 0.0004, 0.0005, 0.0006, 0.0007], ratios: F.path(start: 2.0, count: 12, steps: [0.08]))
        let vote = head.evaluate(F.input([:], derivatives: d))
        #expect(vote.head == .sentiment)
        #expect(vote.direction == .short, "\(F.describe(vote))")
        #expect(F.counts(vote), "\(F.describe(vote))")
        #expect(F.mentions(vote, "crowded longs"), "\(F.describe(vote))")
        #expect(F.mentions(vote, "long/short ratio 2.88"), "\(F.describe(vote))")
    }

    @Test("crowded shorts (negative funding, low and falling ratio) vote long")
    func crowdedShorts() {
        let d = derivatives(funding: [0, -0.0001, -0.0002, -0.0003, -0.0004, -0.0005], ratios: F.path(start: 0.6, count: 12, steps: [-0.015]))
        let vote = head.evaluate(F.input([:], derivatives: d))
        #expect(vote.direction == .long, "\(F.describe(vote))")
        #expect(F.counts(vote), "\(F.describe(vote))")
        #expect(F.mentions(vote, "crowded shorts"), "\(F.describe(vote))")
    }

    @Test("extreme greed adds to a crowded-long reading")
    func greedAgrees() {
        let d = derivatives(funding: [0.0004, 0.0004, 0.0005, 0.0005, 0.0006, 0.0006], ratios: [2.2, 2.3, 2.4])
        let without = head.evaluate(F.input([:], derivatives: d))
        let with = head.evaluate(F.input([:], derivatives: d, fearGreed: 88))
        #expect(with.direction == .short)
        #expect(with.confidence > without.confidence, "\(F.describe(with)) vs \(F.describe(without))")
        #expect(F.mentions(with, "extreme greed"))
    }

    @Test("neutral funding, a balanced ratio and a middling fear-and-greed reading are neutral")
    func balanced() {
        let d = derivatives(funding: [0.0001, 0.0001, 0.0001, 0.0001], ratios: [1.0, 1.01, 0.99, 1.0])
        let vote = head.evaluate(F.input([:], derivatives: d, fearGreed: 52))
        #expect(vote.direction == .neutral, "\(F.describe(vote))")
        #expect(vote.probability == 0.5)
        #expect(vote.confidence > 0)
    }

    @Test("funding and ratio pointing opposite ways do not make a confident vote")
    func conflicting() {
        let d = derivatives(funding: [0.0006, 0.0006, 0.0006], ratios: [0.5, 0.45, 0.4])
        let vote = head.evaluate(F.input([:], derivatives: d))
        #expect(!F.counts(vote), "\(F.describe(vote))")
    }

    @Test("spot with only fear and greed votes from it with modest confidence")
    func fearGreedOnly() {
        let fear = head.evaluate(F.input([:], market: .spot, fearGreed: 12))
        #expect(fear.direction == .long, "\(F.describe(fear))")
        #expect(fear.probability >= 0.6)
        #expect(fear.confidence > 0 && fear.confidence < 0.7, "\(F.describe(fear))")
        #expect(F.mentions(fear, "extreme fear"))
        #expect(F.mentions(fear, "spot market"))

        let greed = head.evaluate(F.input([:], market: .spot, fearGreed: 90))
        #expect(greed.direction == .short, "\(F.describe(greed))")
        #expect(greed.confidence < 0.7)
    }

    @Test("no derivatives and no fear and greed is missing data")
    func missing() {
        let spot = head.evaluate(F.input([:], market: .spot))
        #expect(spot.direction == .neutral)
        #expect(spot.confidence == 0)
        #expect(F.mentions(spot, "no derivatives data"), "\(F.describe(spot))")

        let empty = head.evaluate(F.input([:], derivatives: Derivatives()))
        #expect(empty.confidence == 0)
        #expect(F.mentions(empty, "no funding or long/short data"), "\(F.describe(empty))")
    }
}
