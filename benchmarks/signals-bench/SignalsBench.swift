import ArgumentParser
import Archive
import BenchSupport
import CandleStore
import Contracts
import Core
import Foundation
import Postgres
import Redis
import Schema

/// `deploy/alphapulse bench signals`: committed analyses per second of one
/// `alphapulse-inference serve` instance on one core, with PostgreSQL live.
///
/// Per symbol count: a fresh database holds `--days` of the fixture futures months under N
/// synthetic names (B0001USDT… cycling over the seven fixtures), `--jobs-per-symbol` routine
/// jobs per symbol wait on `ap:jobs`, and one pinned inference instance works them off. The
/// rate is taken between 10 % and 90 % of the jobs (steady state), CPU from /proc over the same
/// span, RSS at the end; database growth per analysis from the size of the analyses partitions.
@main
struct SignalsBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alphapulse-signals-bench", abstract: "Committed analyses/s of one alphapulse-inference instance.")

    @Option(help: "Path of the alphapulse-inference binary to measure.")
    var inferenceBinary: String

    @Option(help: "PostgreSQL URL of a server the benchmark may create databases on.")
    var databaseURL: String

    @Option(help: "Redis URL of a server the benchmark may write keys to.")
    var redisURL: String

    @Option(help: "Folder of the fixture futures months (data.binance.vision zips).")
    var klines: String

    @Option(parsing: .upToNextOption, help: "Symbol counts to measure.")
    var symbols: [Int] = [100, 1000]

    @Option(help: "Days of 1m history stored per symbol (the newest of the fixture month).")
    var days: Double = 3

    @Option(help: "Jobs per symbol, 5 minutes apart, oldest first.")
    var jobsPerSymbol = 10

    @Option(help: "CPU the inference instance is pinned to (taskset); -1 leaves it unpinned.")
    var cpu = 0

    @Option(help: "Folder for the instance's logs.")
    var logs = NSTemporaryDirectory()

    @Flag(help: "Measure candle committed → candle-close analysis committed, with the scheduler running too (needs --scheduler-binary).")
    var latency = false

    @Option(help: "Path of the alphapulse-scheduler binary (latency mode).")
    var schedulerBinary: String?

    @Option(help: "Live minutes committed in latency mode.")
    var minutes = 6

    @Option(help: "Real seconds between live minutes in latency mode.")
    var minuteSeconds: Double = 5

    @Option(name: .customLong("set"), help: ArgumentHelp(
        "Extra inference configuration (repeatable), e.g. consensus.min_heads=3 for a market that signals often.",
        valueName: "key=value"))
    var settings: [String] = []

    func run() async throws {
        ChildProcess.stopChildrenOnSignals()
        let sources = try loadSources()
        if latency {
            guard let scheduler = schedulerBinary else { throw BenchError("--latency needs --scheduler-binary") }
            var lines = [
                "",
                "candle committed → its 1m-close analysis committed (PostgreSQL commit timestamps), scheduler + one inference instance"
                    + (cpu >= 0 ? " pinned to CPU \(cpu)" : "") + ", \(minutes) minutes, one every \(String(format: "%g", minuteSeconds)) s",
                "  symbols  analyses  p50 ms  p99 ms  max ms  burst drained ms (median / max of warm minutes)  first (cold) minute ms  coalesced",
            ]
            for count in symbols {
                let result = try await measureLatency(symbols: count, sources: sources, scheduler: scheduler)
                let sorted = result.drained.sorted()
                let median = sorted.isEmpty ? Double.nan : sorted[sorted.count / 2]
                lines.append(String(
                    format: "  %7d  %8d  %6.0f  %6.0f  %6.0f  %21.0f / %-21.0f  %22.0f  %9d", count, result.analyses, result.p50, result.p99,
                    result.max, median, sorted.last ?? .nan, result.cold, result.coalesced))
            }
            lines.append("  targets: p99 ≤ 100 ms at 100 symbols; at 1,000 symbols a minute's burst drained within 1 s")
            print(lines.joined(separator: "\n"))
            return
        }
        var lines: [String] = [
            "",
            "alphapulse-inference serve, one instance" + (cpu >= 0 ? " pinned to CPU \(cpu)" : "") + ", \(String(format: "%g", days)) days of 1m history per symbol, \(jobsPerSymbol) jobs per symbol",
            "  symbols    jobs  analyses/s  per CPU-s  CPU ms/analysis  RSS MiB  bytes/analysis  load s  signals  commit→published p50 / p99 / max ms",
        ]
        var results: [(Int, Result)] = []
        for count in symbols {
            let result = try await measure(symbols: count, sources: sources)
            results.append((count, result))
            lines.append(String(
                format: "  %7d  %6d  %10.0f  %9.0f  %15.2f  %7.1f  %14.0f  %6.1f  %7d  %14.1f / %.1f / %.1f", count, result.jobs, result.perSecond,
                result.perCPUSecond, result.cpuMillisPerAnalysis, result.residentMiB, result.bytesPerAnalysis, result.loadSeconds, result.signals,
                result.publicationP50, result.publicationP99, result.publicationMax))
        }
        lines.append("  target: 2,000 analyses/s per core; RSS ≤ 100 MB + 150 KB per cached symbol")
        lines.append("  database growth per day (analyses only; signals are a few a day), from the measured bytes per analysis:")
        let bytes = results.map(\.1.bytesPerAnalysis).reduce(0, +) / Double(max(results.count, 1))
        for count in [100, 1000] {
            let roundRobin = 1440.0 * 10  // batches of 10 a minute: 14,400 analyses a day, whatever the symbol count
            let close5m = Double(count) * 288  // every symbol after every 5m close
            lines.append(String(
                format: "    %4d symbols: round robin %.0f MB/day (%.0f analyses), close 5m %.0f MB/day (%.0f), both %.0f MB/day", count,
                roundRobin * bytes / 1e6, roundRobin, close5m * bytes / 1e6, close5m, (roundRobin + close5m) * bytes / 1e6))
        }
        print(lines.joined(separator: "\n"))
    }

    /// A new database `tag` on the server: the admin connection (to drop it after), its URL and a pool on it.
    func freshDatabase(_ tag: String) async throws -> (PostgresConnection, String, PostgresPool) {
        let admin = try await PostgresConnection.connect(try PostgresConfiguration(url: databaseURL))
        _ = try await admin.execute(PostgresQuery(unsafeSQL: "CREATE DATABASE \(PostgresQuery.quoteIdentifier(tag))"))
        guard var components = URLComponents(string: databaseURL) else { throw BenchError("unreadable database URL") }
        components.path = "/" + tag
        guard let url = components.string else { throw BenchError("unreadable database URL") }
        return (admin, url, PostgresPool(configuration: try PostgresConfiguration(url: url), options: .init(minimumConnections: 0, maximumConnections: 4)))
    }

    /// Drops database `tag` and the run's Redis keys, and closes the clients.
    func tearDown(_ tag: String, admin: PostgresConnection, pool: PostgresPool, redis: RedisClient, keys: RedisKeys) async {
        await pool.close()
        if let names = try? await redis.send("KEYS", keys.prefix + "*").array?.compactMap(\.string), !names.isEmpty {
            _ = try? await redis.delete(keys: names)
        }
        await redis.close()
        _ = try? await admin.execute(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(PostgresQuery.quoteIdentifier(tag)) WITH (FORCE)"))
        await admin.close()
    }

    struct Result {
        var jobs: Int
        var perSecond: Double
        var perCPUSecond: Double
        var cpuMillisPerAnalysis: Double
        var residentMiB: Double
        var bytesPerAnalysis: Double
        var loadSeconds: Double
        /// Signals opened, and the time from their commit to their publication on `ap:signals`
        /// (`published_at`, set right after the XADD, minus the commit timestamp of the analysis
        /// committed with the signal: the signal row itself is rewritten when it resolves).
        var signals: Int
        var publicationP50: Double
        var publicationP99: Double
        var publicationMax: Double
    }

    /// The newest `days` of each fixture month, as stored rows.
    func loadSources() throws -> [[CandleRow]] {
        let names = try FileManager.default.contentsOfDirectory(atPath: klines).filter { $0.hasSuffix(".zip") }.sorted()
        guard !names.isEmpty else { throw BenchError("no fixture zips in \(klines)") }
        let keep = Int(days * 1440)
        return try names.map { name in
            let path = (klines as NSString).appendingPathComponent(name)
            let bytes = try ZipArchive.csvBytes(atPath: path)
            let symbol = KlineCSV.nameParts(name)?.symbol ?? "X"
            return Array(try KlineCSV.rows(bytes, market: .futures, symbol: symbol).suffix(keep))
        }
    }

    func measure(symbols count: Int, sources: [[CandleRow]]) async throws -> Result {
        let tag = "apsignals_\(getpid())_\(count)"
        let (admin, url, pool) = try await freshDatabase(tag)
        let redis = RedisClient(configuration: try RedisConfiguration(url: redisURL))
        let keys = RedisKeys(prefix: tag + ":")
        var child: ChildProcess?
        defer {
            let cleanup = child
            Task { await cleanup?.stop() }
        }
        do {
            try await Schema.migrator().migrate(pool)
            let store = CandleStore(postgres: pool)
            let loadStart = ContinuousClock.now
            var jobs: [AnalysisJob] = []
            for index in 0..<count {
                let name = String(format: "B%04dUSDT", index + 1)
                let rows = sources[index % sources.count].map { row -> CandleRow in
                    var renamed = row
                    renamed.symbol = name
                    return renamed
                }
                var start = 0
                while start < rows.count {
                    let end = min(start + 20_000, rows.count)
                    _ = try await store.upsert(Array(rows[start..<end]))
                    start = end
                }
                guard let newest = rows.last?.openTime else { continue }
                // Oldest first, as a live symbol's moments come.
                for step in 0..<jobsPerSymbol {
                    let moment = newest - Int64(jobsPerSymbol - 1 - step) * 300_000
                    jobs.append(AnalysisJob(
                        id: "b\(index)x\(step)", market: .futures, symbol: name, moment: moment, reason: "schedule", enqueuedAt: moment))
                }
            }
            // A live system's stored history has been vacuumed and analysed by autovacuum long
            // before it is read; a table bulk-loaded a moment ago has not (no visibility map,
            // no statistics), which would make every read of it slower than it ever is live.
            _ = try await pool.execute("VACUUM (ANALYZE) candles")
            let loadSeconds = (ContinuousClock.now - loadStart) / .seconds(1)
            // Interleaved by symbol, as round-robin batches come.
            // (By the step's number: sorted as text, step 10 came before step 2, so every symbol's
            // moments went back in time every ten jobs and the candle cache reloaded them.)
            func step(_ job: AnalysisJob) -> Int { Int(job.id.split(separator: "x").last ?? "") ?? 0 }
            jobs.sort { (step($0), $0.id) < (step($1), $1.id) }
            var index = 0
            while index < jobs.count {
                let end = min(index + 500, jobs.count)
                _ = try await redis.pipeline(commands: jobs[index..<end].map { RedisArgument.xadd(keys.jobs, fields: $0.fields) })
                index = end
            }

            var arguments = [
                inferenceBinary, "serve", "--database-url", url, "--redis-url", redisURL, "--log-level", "warning",
                "--set", "redis.prefix=\(keys.prefix)", "--set", "instance.id=\(tag)", "--set", "ports.inference=0",
            ]
            for setting in settings { arguments += ["--set", setting] }
            if cpu >= 0 { arguments = ["/usr/bin/taskset", "-c", String(cpu)] + arguments }
            let log = (logs as NSString).appendingPathComponent("\(tag)-inference.log")
            let process = try ChildProcess(arguments, output: log)
            child = process

            func analysed() async throws -> Int {
                try await pool.query("SELECT count(*) FROM analyses").first?.decode(0, as: Int.self) ?? 0
            }
            let total = jobs.count
            var marks: [(count: Int, time: ContinuousClock.Instant, cpu: Double)] = []
            let deadline = ContinuousClock.now + .seconds(1800)
            var done = 0
            while done < total {
                guard process.isRunning else { throw BenchError("alphapulse-inference exited (log: \(log))") }
                guard ContinuousClock.now < deadline else { throw BenchError("\(done) of \(total) analysed after 30 minutes (log: \(log))") }
                try await Task.sleep(for: .milliseconds(100))
                done = try await analysed()
                marks.append((done, ContinuousClock.now, try process.cpuSeconds()))
            }
            let memory = try process.memory()
            let low = marks.first { $0.count >= total / 10 } ?? marks[0]
            let high = marks.first { $0.count >= total * 9 / 10 } ?? marks[marks.count - 1]
            let seconds = max((high.time - low.time) / .seconds(1), 1e-3)
            let analyses = Double(max(high.count - low.count, 1))
            let cpuSeconds = max(high.cpu - low.cpu, 1e-6)
            let size = try await pool.query("""
                SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                WHERE i.inhparent = 'analyses'::regclass
                """).first?.decode(0, as: Int64.self) ?? 0
            let publication = try await pool.query("""
                SELECT count(*), percentile_cont(0.5) WITHIN GROUP (ORDER BY ms), percentile_cont(0.99) WITHIN GROUP (ORDER BY ms), max(ms) FROM (
                    -- The signal's own row may have been rewritten since (its outcome); the analysis
                    -- committed with it was not.
                    SELECT extract(epoch FROM s.published_at - pg_xact_commit_timestamp(a.xmin)) * 1000 AS ms
                    FROM signals s JOIN analyses a ON a.market = s.market AND a.symbol = s.symbol AND a.interval = '1m' AND a.candle_time = s.candle_time
                    WHERE s.published_at IS NOT NULL
                ) AS p
                """).first
            await process.stop()
            child = nil
            await tearDown(tag, admin: admin, pool: pool, redis: redis, keys: keys)
            return Result(
                jobs: total, perSecond: analyses / seconds, perCPUSecond: analyses / cpuSeconds, cpuMillisPerAnalysis: cpuSeconds / analyses * 1000,
                residentMiB: Double(memory.residentKiB) / 1024, bytesPerAnalysis: Double(size) / Double(total), loadSeconds: loadSeconds,
                signals: try publication?.decode(0, as: Int.self) ?? 0, publicationP50: try publication?.decode(1, as: Double?.self) ?? .nan,
                publicationP99: try publication?.decode(2, as: Double?.self) ?? .nan,
                publicationMax: try publication?.decode(3, as: Double?.self) ?? .nan)
        } catch {
            await child?.stop()
            await tearDown(tag, admin: admin, pool: pool, redis: redis, keys: keys)
            throw error
        }
    }
}
