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

    func run() async throws {
        ChildProcess.stopChildrenOnSignals()
        let sources = try loadSources()
        var lines: [String] = [
            "",
            "alphapulse-inference serve, one instance" + (cpu >= 0 ? " pinned to CPU \(cpu)" : "") + ", \(String(format: "%g", days)) days of 1m history per symbol, \(jobsPerSymbol) jobs per symbol",
            "  symbols    jobs  analyses/s  per CPU-s  CPU ms/analysis  RSS MiB  bytes/analysis  load s",
        ]
        var results: [(Int, Result)] = []
        for count in symbols {
            let result = try await measure(symbols: count, sources: sources)
            results.append((count, result))
            lines.append(String(
                format: "  %7d  %6d  %10.0f  %9.0f  %15.2f  %7.1f  %14.0f  %6.1f", count, result.jobs, result.perSecond, result.perCPUSecond,
                result.cpuMillisPerAnalysis, result.residentMiB, result.bytesPerAnalysis, result.loadSeconds))
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

    struct Result {
        var jobs: Int
        var perSecond: Double
        var perCPUSecond: Double
        var cpuMillisPerAnalysis: Double
        var residentMiB: Double
        var bytesPerAnalysis: Double
        var loadSeconds: Double
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
        let admin = try await PostgresConnection.connect(try PostgresConfiguration(url: databaseURL))
        _ = try await admin.execute(PostgresQuery(unsafeSQL: "CREATE DATABASE \(PostgresQuery.quoteIdentifier(tag))"))
        guard var components = URLComponents(string: databaseURL) else { throw BenchError("unreadable database URL") }
        components.path = "/" + tag
        guard let url = components.string else { throw BenchError("unreadable database URL") }
        let pool = PostgresPool(configuration: try PostgresConfiguration(url: url), options: .init(minimumConnections: 0, maximumConnections: 4))
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
            let loadSeconds = (ContinuousClock.now - loadStart) / .seconds(1)
            // Interleaved by symbol, as round-robin batches come.
            jobs.sort { ($0.id.split(separator: "x").last ?? "", $0.id) < ($1.id.split(separator: "x").last ?? "", $1.id) }
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
            await process.stop()
            child = nil
            await pool.close()
            if let names = try? await redis.send("KEYS", keys.prefix + "*").array?.compactMap(\.string), !names.isEmpty {
                _ = try? await redis.delete(keys: names)
            }
            await redis.close()
            _ = try? await admin.execute(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(PostgresQuery.quoteIdentifier(tag)) WITH (FORCE)"))
            await admin.close()
            return Result(
                jobs: total, perSecond: analyses / seconds, perCPUSecond: analyses / cpuSeconds, cpuMillisPerAnalysis: cpuSeconds / analyses * 1000,
                residentMiB: Double(memory.residentKiB) / 1024, bytesPerAnalysis: Double(size) / Double(total), loadSeconds: loadSeconds)
        } catch {
            await child?.stop()
            await pool.close()
            await redis.close()
            _ = try? await admin.execute(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(PostgresQuery.quoteIdentifier(tag)) WITH (FORCE)"))
            await admin.close()
            throw error
        }
    }
}
