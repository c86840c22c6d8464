import Analysis
import CandleStore
import Contracts
import Core
import Foundation
import Inference
import Postgres
import Redis
import Schema
import Testing
import TestSupport

/// `kill -9` of an inference instance mid-run: every job is committed once, with no duplicate
/// analysis or signal and no signal left unpublished; a second instance claims the dead one's jobs.
@Suite(.serialized) struct InferenceCrashTests {
    @Test func aKilledInstancesJobsAreFinishedOnceByAnother() async throws {
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("alphapulse-inference").path
        try #require(FileManager.default.isExecutableFile(atPath: executable), "\(executable) is not built")
        try await TestStores.with("inference_crash", connections: 2) { stores in try await Self.crash(stores, executable: executable) }
    }

    /// The test's body, outside the closure (a compiler crash in region-based isolation
    /// checking otherwise, Swift 6.3.1).
    static func crash(_ stores: TestStores, executable: String) async throws {
        let (pool, redis, prefix) = (stores.pool, stores.redis, stores.prefix)
        let keys = RedisKeys(prefix: prefix)
        var processes: [SpawnedProcess] = []
        defer { for process in processes { kill(process.pid, SIGKILL) } }
        _ = try await ArchiveImporter(store: CandleStore(postgres: pool)).importFile(Fixtures.futuresArchive("LINKUSDT"), market: .futures)
        // Every 5 minutes over days 12–17 of the month: 1,440 jobs, some of them opening and resolving signals.
        let start: Int64 = 1_769_904_000_000 + 12 * 86_400_000
        let moments = (0..<1_440).map { start + Int64($0) * 300_000 }
        for moment in moments {
            let job = AnalysisJob(id: "j\(moment / 60_000)", market: .futures, symbol: "LINKUSDT", moment: moment, reason: "schedule", enqueuedAt: moment)
            _ = try await redis.xadd(keys.jobs, fields: job.fields)
        }

        let databaseURL = try stores.databaseURL
        func spawn(_ instance: String) throws -> SpawnedProcess {
            var environment = ProcessInfo.processInfo.environment
            for (key, value) in [
                "DATABASE_URL": databaseURL, "DATABASE_POOL_MIN": "1", "DATABASE_POOL_MAX": "4",
                "REDIS_URL": try TestEnvironment.redisURL(), "REDIS_PREFIX": prefix, "INSTANCE_ID": instance, "PORTS_INFERENCE": "0",
                "LOG_LEVEL": "warning", "INFERENCE_CLAIM_IDLE_SECONDS": "2",
            ] {
                environment["ALPHAPULSE_" + key] = value
            }
            return try SpawnedProcess([executable, "serve"], environment: environment)
        }
        func analysed() async -> Int {
            (try? await pool.query("SELECT count(*) FROM analyses").first?.decode(0, as: Int.self)) ?? -1
        }

        let first = try spawn("first")
        processes.append(first)
        #expect(await waitUntil(timeout: .seconds(120)) { await analysed() >= 100 }, "\(first.outputSoFar.suffix(2_000))")
        kill(first.pid, SIGKILL)
        _ = await first.exit(within: .seconds(10))
        let atKill = await analysed()
        #expect(atKill < moments.count, "killed mid-run")

        let second = try spawn("second")
        processes.append(second)
        let finished = await waitUntil(timeout: .seconds(300)) {
            let pending = (try? await redis.xpending(keys.jobs, group: RedisKeys.Group.inference).count) ?? -1
            let count = await analysed()
            return count == moments.count && pending == 0
        }
        let total = await analysed()
        #expect(finished, "\(total) of \(moments.count) analysed; \(second.outputSoFar.suffix(2_000))")

        // Once per moment; signals at most once per moment; every signal and outcome published.
        let duplicates = try await pool.query("SELECT count(*) - count(DISTINCT candle_time) FROM analyses").first?.decode(0, as: Int.self)
        #expect(duplicates == 0)
        let unpublished = try await pool.query("""
            SELECT count(*) FROM signals WHERE published_at IS NULL OR (status <> 'open' AND outcome_published_at IS NULL)
            """).first?.decode(0, as: Int.self)
        #expect(unpublished == 0)
        let signalIDs = Set(try await pool.query("SELECT id FROM signals").map { try $0.decode(0, as: Int64.self) })
        #expect(!signalIDs.isEmpty, "the crafted span opens signals")
        let events = try await redis.xrange(keys.signals).map { try SignalEvent(fields: StreamFields($0.fields)) }
        #expect(Set(events.filter { $0.kind == .opened }.map(\.id)) == signalIDs, "every signal published (at least once)")
        let resolvedIDs = Set(try await pool.query("SELECT id FROM signals WHERE status <> 'open'").map { try $0.decode(0, as: Int64.self) })
        #expect(Set(events.filter { $0.kind == .resolved }.map(\.id)) == resolvedIDs)
        // The analyses of the killed instance's claimed jobs came from the second.
        let byJob = try await pool.query("SELECT count(DISTINCT job_id) FROM analyses").first?.decode(0, as: Int.self)
        #expect(byJob == moments.count)

        // Live equals backtest over every recorded moment: a backtest analysing exactly the moments
        // in `analyses`, on the same klines and the configuration's rules, opens the same signals
        // and resolves those it resolves by the last moment the same way; the rest are open live.
        let recorded = Set(try await pool.query("SELECT (extract(epoch FROM candle_time) * 1000)::bigint FROM analyses").map { try $0.decode(0, as: Int64.self) })
        #expect(recorded == Set(moments))
        let config = try AlphaPulseConfig(ConfigLoader().load(file: nil, environment: [:], flags: [:]))
        let stopATR = StopATR(config.signals)
        var options = BacktestOptions()
        options.moments = recorded
        let backtester = Backtester(
            heads: Heads.all(), consensus: ConsensusRules(config.signals), signals: SignalRules(config.signals), options: options,
            atr: { stopATR($0) })
        let candles = try KlineCSV.parse(try Fixtures.futuresMonth("LINKUSDT"), market: .futures, symbol: "LINKUSDT", interval: .oneMinute)
        let report = backtester.run(candles)
        let lastClose = (moments.last ?? 0) + 59_999
        struct Outcome: Hashable { var created: Int64; var direction: String; var entry: Double; var status: String; var exit: Double? }
        var expected: Set<Outcome> = []
        for result in report.results {
            let resolvedLive = result.outcome.resolvedAt <= lastClose
            expected.insert(Outcome(
                created: result.signal.createdAt, direction: result.signal.direction.rawValue, entry: result.signal.entry,
                status: resolvedLive ? result.outcome.status.rawValue : "open", exit: resolvedLive ? result.outcome.exitPrice : nil))
        }
        for signal in report.openSignals {
            expected.insert(Outcome(created: signal.createdAt, direction: signal.direction.rawValue, entry: signal.entry, status: "open", exit: nil))
        }
        let live = Set(try await pool.query("""
            SELECT (extract(epoch FROM candle_time) * 1000)::bigint + 59999, direction, entry::float8, status, exit_price::float8 FROM signals
            """).map { row in
            Outcome(created: try row.decode(0, as: Int64.self), direction: try row.decode(1, as: String.self), entry: try row.decode(2, as: Double.self),
                    status: try row.decode(3, as: String.self), exit: try row.decode(4, as: Double?.self))
        })
        #expect(!expected.isEmpty && live == expected, "live \(live.sorted { $0.created < $1.created }) vs backtest \(expected.sorted { $0.created < $1.created })")
    }
}
