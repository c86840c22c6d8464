import Analysis
import Core
import Testing

@Suite("CryptoMetricsHead")
struct CryptoMetricsHeadTests {
    typealias F = HeadFixturesA
    let head = CryptoMetricsHead()
    let fiveMinutes: Int64 = 300_000

    /// 500 1m and 100 5m candles drifting up (or down) with the given taker-buy share.
    func candles(up: Bool?, share: Double, market: Market = .futures) -> [CandleInterval: [Candle]] {
        let steps: [Double]
        switch up {
        case true?: steps = [0.05, 0.05, -0.04]
        case false?: steps = [-0.05, -0.05, 0.04]
        case nil: steps = [0.03, -0.03]
        }
        let minute = F.path(start: 100, count: 500, steps: steps)
        let five = F.path(start: 100, count: 100, steps: steps.map { $0 * 3 })
        return [
            .oneMinute: F.series(.oneMinute, closes: minute, takerBuyShares: Array(repeating: share, count: 500), market: market),
            .fiveMinutes: F.series(.fiveMinutes, closes: five, takerBuyShares: Array(repeating: share, count: 100), market: market),
        ]
    }

    /// Open interest every 5 minutes for two hours, from `from` to `to`.
    func openInterest(from: Double, to: Double) -> [TimedValue] {
        F.timed((0..<25).map { from + (to - from) * Double($0) / 24 }, every: fiveMinutes)
    }

    func derivatives(oi: [TimedValue], funding: Double = 0.0001, premium: Double = 0.0002) -> Derivatives {
        Derivatives(
            funding: F.timed([funding], every: 8 * 3_600_000), premium: F.timed([premium, premium, premium], every: 60_000),
            openInterest: oi)
    }

    @Test("buyers aggressing while open interest rises with price votes long")
    func long() {
        let input = F.input(candles(up: true, share: 0.65), derivatives: derivatives(oi: openInterest(from: 1000, to: 1050)))
        let vote = head.evaluate(input)
        #expect(vote.head == .cryptoMetrics)
        #expect(vote.direction == .long, "\(F.describe(vote))")
        #expect(F.counts(vote), "\(F.describe(vote))")
        #expect(F.mentions(vote, "buyers aggressing"), "\(F.describe(vote))")
        #expect(F.mentions(vote, "longs building"), "\(F.describe(vote))")
    }

    @Test("sellers aggressing while open interest rises as price falls votes short (shorts building)")
    func short() {
        let input = F.input(candles(up: false, share: 0.35), derivatives: derivatives(oi: openInterest(from: 1000, to: 1050)))
        let vote = head.evaluate(input)
        #expect(vote.direction == .short, "\(F.describe(vote))")
        #expect(F.counts(vote), "\(F.describe(vote))")
        #expect(F.mentions(vote, "shorts building"), "\(F.describe(vote))")
        #expect(F.mentions(vote, "sellers aggressing"), "\(F.describe(vote))")
    }

    @Test("balanced flow, flat open interest and normal funding are neutral")
    func balanced() {
        let input = F.input(candles(up: nil, share: 0.5), derivatives: derivatives(oi: openInterest(from: 1000, to: 1002)))
        let vote = head.evaluate(input)
        #expect(vote.direction == .neutral, "\(F.describe(vote))")
        #expect(F.mentions(vote, "open interest flat"), "\(F.describe(vote))")
    }

    @Test("on spot it votes from flow and CVD and says the derivatives parts were unavailable")
    func spot() {
        let vote = head.evaluate(F.input(candles(up: true, share: 0.65, market: .spot), market: .spot))
        #expect(vote.direction == .long, "\(F.describe(vote))")
        #expect(F.counts(vote), "\(F.describe(vote))")
        #expect(F.mentions(vote, "funding, premium and open interest unavailable (spot market)"), "\(F.describe(vote))")
    }

    @Test("extreme funding and a rich premium lean short against the crowd")
    func crowdedFutures() {
        let input = F.input(
            candles(up: nil, share: 0.5),
            derivatives: derivatives(oi: openInterest(from: 1000, to: 1001), funding: 0.001, premium: 0.003))
        let vote = head.evaluate(input)
        #expect(vote.direction == .short, "\(F.describe(vote))")
        #expect(F.mentions(vote, "extreme: crowded longs"), "\(F.describe(vote))")
        #expect(F.mentions(vote, "rich: longs stretched"), "\(F.describe(vote))")
    }

    @Test("falling open interest is deleveraging and lowers confidence")
    func deleveraging() {
        let rising = head.evaluate(F.input(candles(up: true, share: 0.65), derivatives: derivatives(oi: openInterest(from: 1000, to: 1050))))
        let falling = head.evaluate(F.input(candles(up: true, share: 0.65), derivatives: derivatives(oi: openInterest(from: 1000, to: 940))))
        #expect(F.mentions(falling, "deleveraging (short covering)"), "\(F.describe(falling))")
        #expect(falling.confidence < rising.confidence)
        #expect(falling.probability < rising.probability)
    }

    @Test("a high-volatility regime lowers confidence")
    func highVolatility() {
        var data = candles(up: true, share: 0.65)
        let calm = data[.oneMinute]!.map(\.close)
        // The last hour swings five times as hard around the same drift.
        let wild = Array(calm.prefix(440)) + F.path(start: calm[440], count: 60, steps: [0.3, 0.3, -0.54])
        data[.oneMinute] = F.series(.oneMinute, closes: wild, takerBuyShares: Array(repeating: 0.65, count: 500))
        let normal = head.evaluate(F.input(candles(up: true, share: 0.65)))
        let vote = head.evaluate(F.input(data))
        #expect(F.mentions(vote, "high-volatility regime"), "\(F.describe(vote))")
        #expect(vote.confidence < normal.confidence)
        #expect(F.mentions(normal, "normal regime"), "\(F.describe(normal))")
    }

    @Test("a higher high on a lower CVD high is a bearish divergence")
    func cvdDivergence() {
        // 5m: a rally bought aggressively, then a thinly bought push to a new high.
        let closes = F.extend(F.path(start: 100, count: 40, steps: [0.2]), count: 8, steps: [0.3])
        let shares = (0..<48).map { $0 < 36 ? 0.7 : 0.2 }
        let input = F.input([.fiveMinutes: F.series(.fiveMinutes, closes: closes, takerBuyShares: shares)], market: .spot)
        let vote = head.evaluate(input)
        #expect(F.mentions(vote, "CVD 5m: bearish divergence"), "\(F.describe(vote))")
    }

    @Test("without 1m or 5m candles the vote is missing data")
    func missing() {
        let hours = F.series(.oneHour, closes: F.path(start: 100, count: 100, steps: [1, -0.5]))
        let vote = head.evaluate(F.input([.oneHour: hours], derivatives: derivatives(oi: openInterest(from: 1000, to: 1050))))
        #expect(vote.direction == .neutral)
        #expect(vote.confidence == 0)
        #expect(F.mentions(vote, "taker flow"), "\(F.describe(vote))")
    }
}
