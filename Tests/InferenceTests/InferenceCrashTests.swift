import CandleStore
import Contracts
import Core
import Foundation
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
        let schema = TestEnvironment.uniqueName("inference_crash")
        let base = try PostgresConfiguration(url: try TestEnvironment.databaseURL())
        let admin = try await PostgresConnection.connect(base)
        try await admin.execute("CREATE SCHEMA \(identifier: schema)")
        var configuration = base
        configuration.searchPath = [schema]
        let pool = PostgresPool(configuration: configuration, options: .init(minimumConnections: 0, maximumConnections: 2))
        let redis = RedisClient(configuration: try RedisConfiguration(url: try TestEnvironment.redisURL()))
        let prefix = TestEnvironment.uniqueName("crash") + ":"
        let keys = RedisKeys(prefix: prefix)
        var processes: [SpawnedProcess] = []
        defer { for process in processes { kill(process.pid, SIGKILL) } }
        do {
            try await Schema.migrator().migrate(pool)
            _ = try await ArchiveImporter(store: CandleStore(postgres: pool)).importFile(Fixtures.futuresArchive("LINKUSDT"), market: .futures)
            // Every 5 minutes over days 12–17 of the month: 1,440 jobs, some of them opening and resolving signals.
            let start: Int64 = 1_769_904_000_000 + 12 * 86_400_000
            let moments = (0..<1_440).map { start + Int64($0) * 300_000 }
            for moment in moments {
                let job = AnalysisJob(id: "j\(moment / 60_000)", market: .futures, symbol: "LINKUSDT", moment: moment, reason: "schedule", enqueuedAt: moment)
                _ = try await redis.xadd(keys.jobs, fields: job.fields)
            }

            var components = try #require(URLComponents(string: try TestEnvironment.databaseURL()))
            components.queryItems = (components.queryItems ?? []) + [URLQueryItem(name: "search_path", value: schema)]
            func spawn(_ instance: String) throws -> SpawnedProcess {
                var environment = ProcessInfo.processInfo.environment
                for (key, value) in [
                    "DATABASE_URL": try #require(components.string), "DATABASE_POOL_MIN": "1", "DATABASE_POOL_MAX": "4",
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
        } catch {
            Issue.record(error)
        }
        for process in processes { kill(process.pid, SIGKILL) }
        if let names = try? await redis.send("KEYS", prefix + "*").array?.compactMap(\.string), !names.isEmpty {
            _ = try? await redis.delete(keys: names)
        }
        await redis.close()
        await pool.close()
        _ = try? await admin.execute("DROP SCHEMA \(identifier: schema) CASCADE")
        await admin.close()
    }
}
