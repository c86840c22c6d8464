import Testing
@testable import Replay

/// The request-weight state machine, driven by explicit times (no sleeping).
@Suite struct WeightLimiterTests {
    /// 2026-02-10 00:00:00 UTC, the start of a wall-clock minute.
    static let minute: Int64 = 1_770_681_600_000

    static func limiter(limit: Int = 10, after429: Int = 2, banSeconds: Int64 = 120) -> WeightLimiter {
        WeightLimiter(configuration: .init(limit: limit, requestsAfter429BeforeBan: after429, banMillis: banSeconds * 1000))
    }

    @Test func countsWeightPerMinuteUpToTheLimit() {
        var limiter = Self.limiter(limit: 10)
        #expect(limiter.admit(client: "a", weight: 2, nowMillis: Self.minute) == .allowed(usedWeight: 2))
        #expect(limiter.admit(client: "a", weight: 8, nowMillis: Self.minute + 30_000) == .allowed(usedWeight: 10))
        #expect(limiter.usedWeight(client: "a", nowMillis: Self.minute + 59_999) == 10)
        // Zero-weight requests are answered without counting.
        #expect(limiter.admit(client: "a", weight: 0, nowMillis: Self.minute + 40_000) == .allowed(usedWeight: 10))
    }

    @Test func passingTheLimitAnswers429UntilTheWallClockMinuteEnds() {
        var limiter = Self.limiter(limit: 10)
        _ = limiter.admit(client: "a", weight: 10, nowMillis: Self.minute + 1_000)
        // 45.5 s into the minute: 14.5 s left, rounded up.
        #expect(limiter.admit(client: "a", weight: 1, nowMillis: Self.minute + 45_500) == .rateLimited(usedWeight: 11, retryAfter: 15))
        // The next minute starts from zero.
        #expect(limiter.admit(client: "a", weight: 1, nowMillis: Self.minute + 60_000) == .allowed(usedWeight: 1))
    }

    @Test func retryAfterIsNeverZero() {
        var limiter = Self.limiter(limit: 1)
        _ = limiter.admit(client: "a", weight: 1, nowMillis: Self.minute)
        #expect(limiter.admit(client: "a", weight: 1, nowMillis: Self.minute + 59_999) == .rateLimited(usedWeight: 2, retryAfter: 1))
    }

    @Test func aClientThatKeepsGoingAfter429IsBannedAndStaysBanned() {
        var limiter = Self.limiter(limit: 4, after429: 2, banSeconds: 120)
        let t = Self.minute + 10_000
        #expect(limiter.admit(client: "a", weight: 4, nowMillis: t) == .allowed(usedWeight: 4))
        #expect(limiter.admit(client: "a", weight: 1, nowMillis: t + 1) == .rateLimited(usedWeight: 5, retryAfter: 50))
        // Two more requests while limited are tolerated …
        #expect(limiter.admit(client: "a", weight: 1, nowMillis: t + 2) == .rateLimited(usedWeight: 6, retryAfter: 50))
        #expect(limiter.admit(client: "a", weight: 1, nowMillis: t + 3) == .rateLimited(usedWeight: 7, retryAfter: 50))
        // … the third is banned for 120 s.
        let banEnd = t + 4 + 120_000
        #expect(limiter.admit(client: "a", weight: 1, nowMillis: t + 4) == .banned(usedWeight: 7, untilMillis: banEnd, retryAfter: 120))
        // The ban outlives the minute: every request is refused until it ends.
        #expect(limiter.admit(client: "a", weight: 1, nowMillis: t + 70_000)
                == .banned(usedWeight: 0, untilMillis: banEnd, retryAfter: 51))
        #expect(limiter.admit(client: "a", weight: 1, nowMillis: banEnd - 1) == .banned(usedWeight: 0, untilMillis: banEnd, retryAfter: 1))
        // Afterwards the client starts afresh.
        #expect(limiter.admit(client: "a", weight: 1, nowMillis: banEnd) == .allowed(usedWeight: 1))
    }

    @Test func aNewMinuteEndsTheRateLimitBeforeABan() {
        var limiter = Self.limiter(limit: 2, after429: 1)
        _ = limiter.admit(client: "a", weight: 2, nowMillis: Self.minute)
        #expect(limiter.admit(client: "a", weight: 1, nowMillis: Self.minute + 1) == .rateLimited(usedWeight: 3, retryAfter: 60))
        // Waiting for the minute as told is never punished.
        #expect(limiter.admit(client: "a", weight: 1, nowMillis: Self.minute + 60_000) == .allowed(usedWeight: 1))
        #expect(limiter.admit(client: "a", weight: 1, nowMillis: Self.minute + 60_001) == .allowed(usedWeight: 2))
    }

    @Test func clientsAreCountedSeparately() {
        var limiter = Self.limiter(limit: 3, after429: 0)
        _ = limiter.admit(client: "10.0.0.1", weight: 3, nowMillis: Self.minute)
        #expect(limiter.admit(client: "10.0.0.1", weight: 1, nowMillis: Self.minute + 1) == .rateLimited(usedWeight: 4, retryAfter: 60))
        #expect(limiter.admit(client: "10.0.0.1", weight: 1, nowMillis: Self.minute + 2)
                == .banned(usedWeight: 4, untilMillis: Self.minute + 2 + 120_000, retryAfter: 120))
        #expect(limiter.admit(client: "10.0.0.2", weight: 3, nowMillis: Self.minute + 3) == .allowed(usedWeight: 3))
    }

    @Test func resetForgetsCountsAndBans() {
        var limiter = Self.limiter(limit: 1, after429: 0)
        _ = limiter.admit(client: "a", weight: 1, nowMillis: Self.minute)
        _ = limiter.admit(client: "a", weight: 1, nowMillis: Self.minute + 1)
        guard case .banned = limiter.admit(client: "a", weight: 1, nowMillis: Self.minute + 2) else {
            Issue.record("expected a ban")
            return
        }
        limiter.reset()
        #expect(limiter.admit(client: "a", weight: 1, nowMillis: Self.minute + 3) == .allowed(usedWeight: 1))
    }

    @Test func windowsAlignToTheWallClockMinute() {
        #expect(WeightLimiter.windowStart(Self.minute) == Self.minute)
        #expect(WeightLimiter.windowStart(Self.minute + 59_999) == Self.minute)
        #expect(WeightLimiter.windowStart(Self.minute - 1) == Self.minute - 60_000)
        #expect(WeightLimiter.seconds(0) == 1)
        #expect(WeightLimiter.seconds(1_001) == 2)
    }

    @Test func futuresKlineWeightFollowsBinanceTable() {
        #expect([1, 99, 100, 499, 500, 1000, 1001, 1500].map(RESTRoutes.futuresKlinesWeight(limit:)) == [1, 1, 2, 2, 5, 5, 10, 10])
    }

    @Test func spotTickerWeightDependsOnTheSymbolsAsked() {
        func weight(_ values: [String: String]) -> Int { RESTRoutes.spotTickerWeight(BinanceQuery(values)) }
        let list = { (count: Int) in "[" + (0..<count).map { "\"S\($0)\"" }.joined(separator: ",") + "]" }
        #expect(weight([:]) == 80)
        #expect(weight(["symbol": "BTCUSDT"]) == 2)
        #expect(weight(["symbols": list(20)]) == 2)
        #expect(weight(["symbols": list(21)]) == 40)
        #expect(weight(["symbols": list(100)]) == 40)
        #expect(weight(["symbols": list(101)]) == 80)
    }
}
