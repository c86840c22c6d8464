import BenchSupport
import CandleStore
import Contracts
import Core
import Foundation
import Postgres
import Redis
import Schema

/// `--latency`: how long after a candle is committed its candle-close analysis is committed,
/// with `alphapulse-scheduler` (mode close, 1m closes) and `alphapulse-inference` running as
/// their own processes. The benchmark plays ingest's persister: every `--minute-seconds` it
/// commits the next minute of every symbol in one transaction and announces it on
/// `candles:stored`, as the persister does. Latency is the difference of the two PostgreSQL
/// commit timestamps (`track_commit_timestamp`), so no clock of ours is involved. The first
/// minute (a cold candle cache) is reported apart.
extension SignalsBench {
    struct LatencyResult {
        var analyses: Int
        var p50: Double
        var p99: Double
        var max: Double
        /// Per minute, the time until its last symbol's analysis was committed (the burst drained).
        var drained: [Double]
        var cold: Double
        /// Close triggers the scheduler coalesced because the symbol's previous close job still waited.
        var coalesced: Int
    }

    func measureLatency(symbols count: Int, sources: [[CandleRow]], scheduler: String) async throws -> LatencyResult {
        let tag = "aplatency_\(getpid())_\(count)"
        let (admin, url, pool) = try await freshDatabase(tag)
        let redis = RedisClient(configuration: try RedisConfiguration(url: redisURL))
        let keys = RedisKeys(prefix: tag + ":")
        var children: [ChildProcess] = []
        func cleanUp() async {
            for child in children { await child.stop() }
            await tearDown(tag, admin: admin, pool: pool, redis: redis, keys: keys)
        }
        do {
            try await Schema.migrator().migrate(pool)
            let store = CandleStore(postgres: pool)
            // History up to `minutes` before the end; those minutes come live.
            var held: [[CandleRow]] = []
            var names: [String] = []
            for index in 0..<count {
                let name = String(format: "B%04dUSDT", index + 1)
                names.append(name)
                let rows = sources[index % sources.count].map { row -> CandleRow in
                    var renamed = row
                    renamed.symbol = name
                    return renamed
                }
                let stored = rows.dropLast(minutes)
                var start = stored.startIndex
                while start < stored.endIndex {
                    let end = min(start + 20_000, stored.endIndex)
                    _ = try await store.upsert(Array(stored[start..<end]))
                    start = end
                }
                held.append(Array(rows.suffix(minutes)))
            }
            // As `measure` does: the history is vacuumed and analysed before it is read, as a
            // live system's is by autovacuum long before; else autovacuum's first pass over the
            // freshly loaded rows ran during the measured minutes.
            _ = try await pool.execute("VACUUM (ANALYZE) candles")
            let list = SymbolList.ranked(version: 1, refreshedAt: "2026-02-01T00:00:00Z", futures: names, spot: [])
            _ = try await redis.set(keys.symbols, to: String(decoding: list.encoded(), as: UTF8.self))

            let common = ["--database-url", url, "--redis-url", redisURL, "--log-level", "warning", "--set", "redis.prefix=\(keys.prefix)"]
            var inference = [inferenceBinary, "serve"] + common + ["--set", "instance.id=\(tag)-i", "--set", "ports.inference=0"]
            for setting in settings { inference += ["--set", setting] }
            if cpu >= 0 { inference = ["/usr/bin/taskset", "-c", String(cpu)] + inference }
            children.append(try ChildProcess(inference, output: (logs as NSString).appendingPathComponent("\(tag)-inference.log")))
            children.append(try ChildProcess(
                [scheduler, "serve"] + common + [
                    "--set", "instance.id=\(tag)-s", "--set", "ports.scheduler=0", "--set", "analysis.mode=close",
                    "--set", "analysis.close_intervals=1m",
                ], output: (logs as NSString).appendingPathComponent("\(tag)-scheduler.log")))
            // The scheduler leads and follows the stored-candle events before the first minute comes.
            let leading = ContinuousClock.now + .seconds(60)
            while (try? await redis.hgetall(keys.schedulerStatus))?["leader"] != "\(tag)-s" {
                guard ContinuousClock.now < leading, children.allSatisfy(\.isRunning) else { throw BenchError("the scheduler did not lead (logs in \(logs))") }
                try await Task.sleep(for: .milliseconds(200))
            }
            try await Task.sleep(for: .seconds(2))

            for minute in 0..<minutes {
                let rows = held.compactMap { $0.count > minute ? $0[minute] : nil }
                _ = try await store.upsert(rows)
                var commands: [[RedisArgument]] = [["MULTI"]]
                for event in StoredCandles.events(for: rows) { commands.append(RedisArgument.xadd(keys.candlesStored, fields: event.fields)) }
                commands.append(["EXEC"])
                _ = try await redis.pipeline(commands: commands)
                try await Task.sleep(for: .milliseconds(Int64(minuteSeconds * 1000)))
            }
            // Every job the scheduler enqueued is analysed (a symbol whose previous close job still
            // waits is coalesced by design: the scheduler's backpressure, counted apart).
            let deadline = ContinuousClock.now + .seconds(300)
            var status: [String: String] = [:]
            while true {
                status = (try? await redis.hgetall(keys.schedulerStatus)) ?? [:]
                let enqueued = Int(status["enqueued"] ?? "") ?? -1
                let done = try await pool.query("SELECT count(*) FROM analyses WHERE reason = 'close_1m'").first?.decode(0, as: Int.self) ?? 0
                let groups = (try? await redis.xinfoGroups(keys.jobs)) ?? []
                let group = groups.first { $0.name == RedisKeys.Group.inference }
                if enqueued > 0, done >= enqueued, group?.pending == 0, group?.lag == 0 { break }
                guard ContinuousClock.now < deadline, children.allSatisfy(\.isRunning) else {
                    throw BenchError("\(done) of \(enqueued) close analyses after 5 minutes (logs in \(logs))")
                }
                try await Task.sleep(for: .milliseconds(200))
            }
            let latencies = """
                WITH l AS (
                    SELECT a.candle_time,
                           extract(epoch FROM pg_xact_commit_timestamp(a.xmin) - pg_xact_commit_timestamp(c.xmin)) * 1000 AS ms
                    FROM analyses a
                    JOIN candles c ON c.market = a.market AND c.symbol = a.symbol AND c.interval = '1m' AND c.open_time = a.candle_time
                    WHERE a.reason = 'close_1m'
                )
                """
            let overall = try await pool.query(PostgresQuery(unsafeSQL: latencies + """
                SELECT count(*), percentile_cont(0.5) WITHIN GROUP (ORDER BY ms), percentile_cont(0.99) WITHIN GROUP (ORDER BY ms), max(ms)
                FROM l WHERE candle_time > (SELECT min(candle_time) FROM l)
                """))
            let perMinute = try await pool.query(PostgresQuery(unsafeSQL: latencies + "SELECT max(ms) FROM l GROUP BY candle_time ORDER BY candle_time"))
            let drained = try perMinute.map { try $0.decode(0, as: Double.self) }
            let row = try overall.first.map { try ($0.decode(0, as: Int.self), $0.decode(1, as: Double?.self), $0.decode(2, as: Double?.self), $0.decode(3, as: Double?.self)) }
            await cleanUp()
            return LatencyResult(
                analyses: row?.0 ?? 0, p50: row?.1 ?? .nan, p99: row?.2 ?? .nan, max: row?.3 ?? .nan, drained: Array(drained.dropFirst()),
                cold: drained.first ?? .nan, coalesced: Int(status["coalesced"] ?? "") ?? 0)
        } catch {
            await cleanUp()
            throw error
        }
    }
}
