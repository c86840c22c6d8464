import Contracts
import Foundation
import Logging
import REST
import Redis
import ServiceRuntime
import Testing
import TestSupport

/// The suite's one Binance weight budget, on the run's Redis: two processes' budgets (two
/// clients) share one count per pool and minute of Redis TIME.
@Suite struct BinanceBudgetTests {
    static func budget(_ redis: RedisClient, _ prefix: String, limit: Int) -> BinanceBudget {
        var logger = Logger(label: "test.budget")
        logger.logLevel = .critical
        return BinanceBudget(redis: redis, keys: RedisKeys(prefix: prefix), limits: ["futures": limit, "spot": limit], logger: logger)
    }

    /// Waits until at least 15 s remain in the current minute of Redis TIME, so one test's
    /// spends land in one minute.
    static func awayFromTheMinuteBoundary(_ redis: RedisClient) async throws {
        while true {
            let time = try await redis.send("TIME").array?.compactMap(\.string).compactMap { Int64($0) } ?? []
            let millis = (time.first ?? 0) * 1000 + (time.count > 1 ? time[1] / 1000 : 0)
            let left = 60_000 - millis % 60_000
            if left >= 15_000 { return }
            try await Task.sleep(for: .milliseconds(left + 50))
        }
    }

    @Test func twoProcessesShareOneLimitPerMinute() async throws {
        try await TestStores.with("budget_share") { stores in
            let other = RedisClient(configuration: try RedisConfiguration(url: try TestEnvironment.redisURL()))
            defer { Task { await other.close() } }
            let first = Self.budget(stores.redis, stores.prefix, limit: 100)
            let second = Self.budget(other, stores.prefix, limit: 100)
            try await Self.awayFromTheMinuteBoundary(stores.redis)
            #expect(try await first.trySpend(60, from: "futures") == 0)
            let wait = try await second.trySpend(60, from: "futures")
            #expect(wait > 0 && wait <= 60_000, "the other process's spend counts: wait \(wait) ms for the next minute")
            #expect(try await second.trySpend(40, from: "futures") == 0, "what fits still goes")
            #expect(try await first.spent("futures") == 100)
            #expect(try await first.trySpend(1, from: "futures") > 0)
            // Pools are apart.
            #expect(try await second.trySpend(100, from: "spot") == 0)
            // A request heavier than the whole limit goes alone in an empty minute, never waits forever.
            let heavy = Self.budget(stores.redis, stores.prefix + "heavy:", limit: 10)
            #expect(try await heavy.trySpend(40, from: "futures") == 0)
            #expect(try await heavy.trySpend(1, from: "futures") > 0)
        }
    }

    /// Binance's own count raises the minute's (never lowers it); a 429 or 418 blocks the pool
    /// for every process for its Retry-After, and a shorter block does not shorten it.
    @Test func binancesCountAndBlocksApplyToEveryone() async throws {
        try await TestStores.with("budget_observe") { stores in
            let budget = Self.budget(stores.redis, stores.prefix, limit: 100)
            try await Self.awayFromTheMinuteBoundary(stores.redis)
            #expect(try await budget.trySpend(10, from: "futures") == 0)
            await budget.observe(usedWeight: 95, in: "futures")
            #expect(try await budget.spent("futures") == 95)
            await budget.observe(usedWeight: 20, in: "futures")
            #expect(try await budget.spent("futures") == 95)
            #expect(try await budget.trySpend(10, from: "futures") > 0)
            #expect(try await budget.trySpend(5, from: "futures") == 0)

            #expect(try await budget.trySpend(1, from: "spot") == 0)
            await budget.block("spot", for: .seconds(30))
            await budget.block("spot", for: .seconds(2))
            let blocked = try await budget.trySpend(1, from: "spot")
            #expect(blocked > 25_000 && blocked <= 30_000, "blocked for the longer Retry-After: \(blocked) ms")
            #expect(try await budget.spent("spot") == 1, "nothing spent while blocked")
        }
    }
}
