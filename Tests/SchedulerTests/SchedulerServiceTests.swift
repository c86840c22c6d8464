import CandleStore
import Contracts
import Core
import Foundation
import Logging
import Postgres
import Redis
import Scheduler
import Schema
import ServiceRuntime
import Synchronization
import Testing
import TestSupport

/// The scheduler against real Redis and PostgreSQL.
@Suite struct SchedulerServiceTests {
    static let t0: Int64 = 1_769_904_000_000

    struct Bench {
        let redis: RedisClient
        let keys: RedisKeys
        let store: CandleStore

        func publish(_ symbols: [MarketSymbol], version: Int64) async throws {
            let list = SymbolList.ranked(
                version: version, refreshedAt: "2026-02-01T00:00:00Z",
                futures: symbols.filter { $0.market == .futures }.map(\.symbol), spot: symbols.filter { $0.market == .spot }.map(\.symbol))
            _ = try await redis.set(keys.symbols, to: String(decoding: list.encoded(), as: UTF8.self))
            _ = try await redis.publish("changed", to: keys.symbolsChanged)
        }

        /// One committed minute for every symbol, as the persister announces it (all at once, as
        /// one commit's events: a reader sees all of them or none).
        func commit(_ symbols: [MarketSymbol], minute: Int64) async throws {
            var commands: [[RedisArgument]] = [["MULTI"]]
            for symbol in symbols {
                let event = StoredCandles(market: symbol.market, symbol: symbol.symbol, from: minute, to: minute, count: 1)
                commands.append(RedisArgument.xadd(keys.candlesStored, fields: event.fields))
            }
            commands.append(["EXEC"])
            let replies = try await redis.pipeline(commands: commands)
            #expect(replies.last?.array?.count == symbols.count)
        }

        /// Jobs after `id`, decoded; the consumer's part: their waiting markers are deleted.
        func takeJobs(after id: inout String) async throws -> [AnalysisJob] {
            let entries = try await redis.xrange(keys.jobs, start: "(" + id)
            var jobs: [AnalysisJob] = []
            for entry in entries {
                id = entry.id
                let job = try AnalysisJob(fields: StreamFields(entry.fields))
                jobs.append(job)
                _ = try await redis.delete(keys.jobQueued(job.market, job.symbol, kind: job.kind))
            }
            return jobs
        }

        func service(_ instance: String, mode: String = "round_robin", batchSize: Int = 2, leaseSeconds: Double = 1.5) throws -> SchedulerService {
            let config = try AlphaPulseConfig(ConfigLoader().load(file: nil, environment: [:], flags: [
                "analysis.mode": mode, "analysis.batch_size": String(batchSize), "analysis.close_intervals": "5m",
                "scheduler.lease_ttl_seconds": String(leaseSeconds), "redis.prefix": keys.prefix,
            ]))
            var settings = try SchedulerService.Settings(config: config)
            settings.statusEvery = .milliseconds(100)
            settings.readBlock = .milliseconds(100)
            var logger = Logger(label: "test.scheduler")
            logger.logLevel = .warning
            return SchedulerService(settings: settings, redis: redis, store: store, keys: keys, instance: instance, logger: logger)
        }
    }

    static func with(_ name: String, _ body: (Bench) async throws -> Void) async throws {
        try await TestStores.with("scheduler_" + name) { stores in
            try await body(Bench(redis: stores.redis, keys: RedisKeys(prefix: stores.prefix), store: CandleStore(postgres: stores.pool)))
        }
    }

    /// The enqueue script: a deposed leader writes nothing; a symbol with a job waiting is not
    /// queued again until its marker goes.
    @Test func enqueuesAreFencedByTheLeaseAndCoalescedPerSymbol() async throws {
        try await Self.with(#function) { bench in
            let queue = JobQueue(redis: bench.redis, keys: bench.keys, markerTTL: 60_000, maxLength: 1000)
            let a = MarketSymbol(.futures, "AUSDT"), b = MarketSymbol(.spot, "BUSDT")
            func job(_ symbol: MarketSymbol, _ id: String) -> AnalysisJob {
                AnalysisJob(id: id, market: symbol.market, symbol: symbol.symbol, moment: Self.t0, reason: "schedule", enqueuedAt: Self.t0)
            }
            let lease = try #require(try await bench.redis.acquireLease(bench.keys.schedulerLease, ttl: .seconds(30), token: "old-leader"))
            #expect(try await queue.enqueue([job(a, "j1"), job(b, "j2")], position: b, token: lease.token) == .done([true, true]))
            #expect(try await queue.position() == b)
            #expect(try await queue.enqueue([job(a, "j3")], position: a, token: lease.token) == .done([false]), "a's job still waits")
            #expect(try await queue.position() == a, "the position moves even when every job coalesced")
            #expect(try await bench.redis.get(bench.keys.jobQueued(.futures, "AUSDT", kind: "schedule")) == "j1")

            // Another instance takes the lease (the old one expired): the old leader's enqueue is refused whole.
            _ = try await bench.redis.set(bench.keys.schedulerLease, to: "new-leader")
            _ = try await bench.redis.delete(bench.keys.jobQueued(.futures, "AUSDT", kind: "schedule"))
            #expect(try await queue.enqueue([job(a, "j4")], position: b, token: lease.token) == .fenced)
            #expect(try await queue.position() == a)
            #expect(try await bench.redis.xlen(bench.keys.jobs) == 2)
            #expect(try await bench.redis.get(bench.keys.jobQueued(.futures, "AUSDT", kind: "schedule")) == nil)
            #expect(try await queue.enqueue([job(a, "j5")], position: nil, token: "new-leader") == .done([true]))
            #expect(try await bench.redis.xlen(bench.keys.jobs) == 3)
        }
    }

    /// Two schedulers: one leads, the cycle goes on through a takeover (the new leader continues
    /// from the stored position), and no symbol is enqueued twice or skipped in a cycle.
    @Test func twoSchedulersOneLeadsAndTheStandbyContinuesTheCycle() async throws {
        try await Self.with(#function) { bench in
            let symbols = ((0..<3).map { MarketSymbol(.futures, "F\($0)USDT") } + (0..<2).map { MarketSymbol(.spot, "S\($0)USDT") }).sorted()
            try await bench.publish(symbols, version: 1)
            try await bench.commit(symbols, minute: Self.t0)
            let first = try bench.service("first"), second = try bench.service("second")
            let tasks = Mutex<[String: Task<Void, any Error>]>([:])
            for service in [first, second] {
                let task = Task { try await service.run() }
                tasks.withLock { $0[service.elector.instance] = task }
            }
            defer { for task in tasks.withLock({ Array($0.values) }) { task.cancel() } }

            #expect(await waitUntil(timeout: .seconds(60)) { first.elector.leadership != nil || second.elector.leadership != nil })
            #expect((first.elector.leadership == nil) != (second.elector.leadership == nil), "exactly one leads")
            let leader = first.elector.leadership != nil ? first : second
            let standby = leader === first ? second : first

            var lastID = "0-0"
            var scheduled: [MarketSymbol] = []
            var minute = Self.t0
            // Minute by minute, a batch of 2 each: 5 minutes make 2 cycles, then the leader stops.
            func advance(_ minutes: Int) async throws {
                for _ in 0..<minutes {
                    minute += 60_000
                    let before = scheduled.count
                    try await bench.commit(symbols, minute: minute)
                    _ = await waitUntil(timeout: .seconds(60)) {
                        scheduled += (try? await bench.takeJobs(after: &lastID)).map { $0.map { MarketSymbol($0.market, $0.symbol) } } ?? []
                        return scheduled.count >= before + 2
                    }
                }
            }
            try await advance(4)
            let cancelled = tasks.withLock { $0[leader.elector.instance] }
            cancelled?.cancel()
            _ = try? await cancelled?.value
            #expect(await waitUntil(timeout: .seconds(60)) { standby.elector.leadership != nil }, "the standby takes over")
            try await advance(6)

            // The first batch comes at the first minute (the clock starts), then one per minute.
            #expect(scheduled.count >= 20, "\(scheduled.count) jobs: \(scheduled.map(\.positionText))")
            for (index, symbol) in scheduled.enumerated() {
                #expect(symbol == symbols[index % symbols.count], "job \(index): \(symbol.positionText)")
            }
            let end = minute + 60_000
            #expect(await waitUntil(timeout: .seconds(60)) { standby.status?.exchangeTime == end }, "the clock is the newest committed close")
            let status = try #require(standby.status)
            #expect(status.leader == standby.elector.instance && status.mode == "round_robin" && status.symbols == 5)
            let stored = try await bench.redis.hgetall(bench.keys.schedulerStatus)
            #expect(stored["leader"] == standby.elector.instance)
        }
    }

    /// Close mode: every symbol is enqueued right after the last minute of each 5m candle is
    /// committed, at that minute; the minutes between enqueue nothing.
    @Test func closeModeEnqueuesEverySymbolAfterEachClose() async throws {
        try await Self.with(#function) { bench in
            let symbols = [MarketSymbol(.futures, "AUSDT"), MarketSymbol(.spot, "AUSDT"), MarketSymbol(.spot, "BUSDT")]
            try await bench.publish(symbols, version: 1)
            // One scheduler: a long lease, so a starved machine cannot let it lapse mid-test.
            let service = try bench.service("only", mode: "close", leaseSeconds: 300)
            let task = Task { try await service.run() }
            defer { task.cancel() }
            #expect(await waitUntil(timeout: .seconds(60)) { service.elector.leadership != nil && service.status != nil })
            var lastID = "0-0"
            var jobs: [AnalysisJob] = []
            for minute in 0..<10 {
                try await bench.commit(symbols, minute: Self.t0 + Int64(minute) * 60_000)
                if minute == 4 || minute == 9 {
                    #expect(await waitUntil(timeout: .seconds(60)) {
                        jobs += (try? await bench.takeJobs(after: &lastID)) ?? []
                        return jobs.count >= (minute == 4 ? 3 : 6)
                    })
                }
            }
            try await Task.sleep(for: .milliseconds(500))
            jobs += try await bench.takeJobs(after: &lastID)
            #expect(jobs.count == 6)
            #expect(Set(jobs.prefix(3).map { MarketSymbol($0.market, $0.symbol) }) == Set(symbols))
            #expect(jobs.prefix(3).allSatisfy { $0.moment == Self.t0 + 4 * 60_000 && $0.reason == "close_5m" })
            #expect(jobs.suffix(3).allSatisfy { $0.moment == Self.t0 + 9 * 60_000 })
        }
    }
}
