import Contracts
import Core
import Scheduler
import ServiceRuntime
import Testing

@Suite struct RoundRobinTests {
    static func symbols(_ names: String...) -> [MarketSymbol] {
        names.map { name in
            let parts = name.split(separator: ":")
            return MarketSymbol(Market(rawValue: String(parts[0]))!, String(parts[1]))
        }.sorted()
    }

    @Test func batchesFollowTheStableOrderAndWrap() throws {
        let active = Self.symbols("spot:AUSDT", "futures:BUSDT", "futures:AUSDT", "spot:CUSDT", "futures:CUSDT")
        #expect(active.map(\.positionText) == ["futures:AUSDT", "futures:BUSDT", "futures:CUSDT", "spot:AUSDT", "spot:CUSDT"])
        let first = try #require(RoundRobin.batch(active: active, after: nil, size: 2))
        #expect(first.symbols == Array(active[0..<2]) && first.position == active[1] && !first.completesCycle)
        let second = try #require(RoundRobin.batch(active: active, after: first.position, size: 2))
        #expect(second.symbols == Array(active[2..<4]) && !second.completesCycle)
        let third = try #require(RoundRobin.batch(active: active, after: second.position, size: 2))
        #expect(third.symbols == [active[4], active[0]] && third.completesCycle, "wraps to the start and completes the cycle")
        // Never the same symbol twice in one batch, even when the batch is larger than the list.
        let all = try #require(RoundRobin.batch(active: active, after: active[2], size: 50))
        #expect(all.symbols == Array(active[3...]) + Array(active[...2]) && all.completesCycle)
        #expect(RoundRobin.batch(active: [], after: nil, size: 10) == nil)
    }

    /// The position is a symbol, not an index: removing symbols (the position among them) and
    /// adding some before and after it mid-cycle neither skips nor repeats any symbol that stays.
    @Test func aListChangeMidCycleNeitherSkipsNorRepeats() throws {
        var active = (0..<10).map { MarketSymbol(.futures, "S\($0)USDT") }.sorted()
        var position: MarketSymbol?
        var seen: [MarketSymbol] = []
        for _ in 0..<2 {
            let batch = try #require(RoundRobin.batch(active: active, after: position, size: 3))
            seen += batch.symbols
            position = batch.position
        }
        #expect(seen == Array(active[0..<6]))
        // Mid-cycle: the position (S5) and S7 leave, A0 (before the position) and S6A (after it) arrive.
        active.removeAll { $0.symbol == "S5USDT" || $0.symbol == "S7USDT" }
        active = (active + [MarketSymbol(.futures, "A0USDT"), MarketSymbol(.futures, "S6AUSDT")]).sorted()
        var rest: [MarketSymbol] = []
        while true {
            let batch = try #require(RoundRobin.batch(active: active, after: position, size: 3))
            position = batch.position
            rest += batch.symbols
            if batch.completesCycle { break }
        }
        // The rest of the cycle takes the newcomer after the position; the one before it opens the next cycle.
        #expect(rest.map(\.symbol) == ["S6AUSDT", "S6USDT", "S8USDT", "S9USDT", "A0USDT", "S0USDT"])
        let next = try #require(RoundRobin.batch(active: active, after: position, size: 3))
        #expect(next.symbols.map(\.symbol) == ["S1USDT", "S2USDT", "S3USDT"])
    }
}

@Suite struct SchedulePlannerTests {
    static let t0: Int64 = 1_769_904_000_000  // 2026-02-01 00:00 UTC, on every interval's boundary

    static func planner(_ mode: SchedulePlanner.Mode, size: Int = 2, closes: [CandleInterval] = [.fiveMinutes, .oneHour]) -> SchedulePlanner {
        SchedulePlanner(settings: .init(mode: mode, batchSize: size, batchInterval: 60_000, closeIntervals: closes))
    }

    static func event(_ symbol: String, _ from: Int64, _ to: Int64, market: Market = .futures) -> StoredCandles {
        StoredCandles(market: market, symbol: symbol, from: from, to: to, count: Int((to - from) / 60_000 + 1))
    }

    @Test func closeModeTriggersAfterTheLastMinuteOfAnIntervalIsCommitted() {
        var planner = Self.planner(.close)
        planner.setActive([MarketSymbol(.futures, "AUSDT")])
        let minute: Int64 = 60_000
        // Minutes 00:00–00:03 close no 5m candle; 00:04 closes 00:00–00:05.
        #expect(planner.stored(Self.event("AUSDT", Self.t0, Self.t0 + 3 * minute)) == nil)
        let close = planner.stored(Self.event("AUSDT", Self.t0 + 4 * minute, Self.t0 + 4 * minute))
        #expect(close == .init(symbol: MarketSymbol(.futures, "AUSDT"), moment: Self.t0 + 4 * minute, reason: "close_5m"))
        #expect(planner.exchangeTime == Self.t0 + 5 * minute, "the exchange clock is the close of the newest committed minute")
        // A redelivered or older range (a backfilled gap) triggers nothing.
        #expect(planner.stored(Self.event("AUSDT", Self.t0 + 4 * minute, Self.t0 + 4 * minute)) == nil)
        #expect(planner.stored(Self.event("AUSDT", Self.t0 - 90 * minute, Self.t0 - 80 * minute)) == nil)
        // A batch spanning an hour's close names the largest interval closed, once, at its newest minute.
        let hour = planner.stored(Self.event("AUSDT", Self.t0 + 5 * minute, Self.t0 + 62 * minute))
        #expect(hour?.reason == "close_1h" && hour?.moment == Self.t0 + 62 * minute)
        // Symbols not tracked are not analysed; round-robin batches are not made in close mode.
        #expect(planner.stored(Self.event("ZUSDT", Self.t0 + 4 * minute, Self.t0 + 4 * minute)) == nil)
        #expect(planner.dueBatch(after: nil) == nil)
    }

    @Test func roundRobinBatchesAreDueOnTheExchangeClockAndPassOverSymbolsWithoutCandles() throws {
        var planner = Self.planner(.roundRobin, size: 3)
        let a = MarketSymbol(.futures, "AUSDT"), b = MarketSymbol(.futures, "BUSDT"), c = MarketSymbol(.spot, "AUSDT")
        planner.setActive([c, b, a])
        #expect(planner.dueBatch(after: nil) == nil, "nothing before any candle is committed")
        #expect(planner.unseeded == [a, b, c])
        planner.seed(a, newest: Self.t0)
        #expect(planner.stored(Self.event("BUSDT", Self.t0, Self.t0 + 60_000)) == nil, "round-robin mode makes no close triggers")
        let batch = try #require(planner.dueBatch(after: nil))
        #expect(batch.triggers == [.init(symbol: a, moment: Self.t0, reason: "schedule"), .init(symbol: b, moment: Self.t0 + 60_000, reason: "schedule")])
        #expect(batch.skipped == [c] && batch.position == c && batch.completesCycle)
        #expect(planner.dueBatch(after: nil) == batch, "not taken until enqueued: a failed enqueue retries the same batch")
        planner.batchEnqueued()
        #expect(planner.dueBatch(after: c) == nil, "the next batch waits one interval of exchange time")
        _ = planner.stored(Self.event("BUSDT", Self.t0 + 120_000, Self.t0 + 120_000))
        _ = planner.stored(Self.event("AUSDT", Self.t0 + 60_000, Self.t0 + 120_000))
        #expect(planner.dueBatch(after: c)?.triggers.first == .init(symbol: a, moment: Self.t0 + 120_000, reason: "schedule"))
        // A symbol leaving the list forgets its moment.
        planner.setActive([a, c])
        #expect(planner.newest[b] == nil && planner.newest[a] == Self.t0 + 120_000)
    }

    @Test func aDueBatchWaitsUpToAMinuteForItsSymbolsCurrentMinute() throws {
        var planner = Self.planner(.roundRobin, size: 2)
        let a = MarketSymbol(.futures, "AUSDT"), b = MarketSymbol(.futures, "BUSDT")
        let minute: Int64 = 60_000
        planner.setActive([a, b])
        _ = planner.stored(Self.event("AUSDT", Self.t0, Self.t0))
        _ = planner.stored(Self.event("BUSDT", Self.t0, Self.t0))
        #expect(planner.dueBatch(after: nil)?.triggers.count == 2, "the first batch does not wait")
        planner.batchEnqueued()  // next due at t0 + 2 min

        // Minute t0+1 is committed for A first: the batch is due, but B's minute is not in yet.
        _ = planner.stored(Self.event("AUSDT", Self.t0 + minute, Self.t0 + minute))
        #expect(planner.exchangeTime == Self.t0 + 2 * minute)
        #expect(planner.dueBatch(after: b) == nil, "B's candle of the current minute is not committed yet")
        _ = planner.stored(Self.event("BUSDT", Self.t0 + minute, Self.t0 + minute))
        let batch = try #require(planner.dueBatch(after: b))
        #expect(batch.triggers.map(\.moment) == [Self.t0 + minute, Self.t0 + minute], "both at the minute just closed")
        planner.batchEnqueued()  // next due at t0 + 3 min

        // B stalls: the batch waits out one minute of exchange time, then goes with B's older moment.
        _ = planner.stored(Self.event("AUSDT", Self.t0 + 2 * minute, Self.t0 + 2 * minute))
        #expect(planner.dueBatch(after: b) == nil)
        _ = planner.stored(Self.event("AUSDT", Self.t0 + 3 * minute, Self.t0 + 3 * minute))
        let late = try #require(planner.dueBatch(after: b), "a stalled symbol holds the batch one minute at most")
        #expect(late.triggers == [.init(symbol: a, moment: Self.t0 + 3 * minute, reason: "schedule"),
                                  .init(symbol: b, moment: Self.t0 + minute, reason: "schedule")])
    }
}

@Suite struct LeaseStateTests {
    @Test func leadingLastsFromTheSendTimeOfTheLastSuccessfulRenewal() {
        var lease = LeaseState(ttl: 3_000)  // renew every 1 s, 300 ms margin
        #expect(lease.next(at: 0) == .acquire)
        lease.acquired("a-1", sentAt: 0)
        #expect(lease.isLeading(at: 2_699) && !lease.isLeading(at: 2_700) && lease.epoch == 1)
        #expect(lease.next(at: 500) == .wait(until: 1_000))
        #expect(lease.next(at: 1_000) == .renew(token: "a-1"))
        lease.renewed(true, sentAt: 1_000)
        #expect(lease.isLeading(at: 3_699) && !lease.isLeading(at: 3_700))

        // L6: renewal errors are not renewals; the lead ends at the old validity.
        lease.failed(sentAt: 2_000)
        #expect(lease.next(at: 2_050) == .wait(until: 2_100), "a failed renewal is retried soon")
        lease.failed(sentAt: 2_100)
        #expect(lease.isLeading(at: 3_600) && !lease.isLeading(at: 3_700))
        #expect(lease.next(at: 3_700) == .acquire, "after the lead lapsed, it must be taken anew")
        lease.acquired(nil, sentAt: 3_700)
        #expect(!lease.isLeading(at: 3_701) && lease.epoch == 1, "someone else took it")
        lease.acquired("a-2", sentAt: 4_700)
        #expect(lease.isLeading(at: 4_701) && lease.epoch == 2, "every new lead is a new epoch")

        // "Not yours" ends the lead at once; so does a refused fenced write.
        lease.renewed(false, sentAt: 5_700)
        #expect(!lease.isLeading(at: 5_701) && lease.token == nil)
        lease.acquired("a-3", sentAt: 6_700)
        lease.lost()
        #expect(!lease.isLeading(at: 6_701))
    }
}
