import ArgumentParser
import BenchSupport
import Core
import Foundation
import Ingest
import Postgres
import REST
import Redis

/// Measures `alphapulse-ingest serve` end to end as its own process, pinned to one core, with
/// PostgreSQL and Redis live: a firehose in this process offers Binance-shaped frames for N
/// futures symbols (kline and mark-price streams) over the ingest's own WebSocket
/// connections, and the ingest parses them, writes Redis and persists every closed kline
/// through the `candles` stream into PostgreSQL, rollups included.
///
/// Figures: frames per second the ingest takes when offered as many as its sockets accept
/// (counted by the ingest itself), its CPU time per frame and resident memory, the closed
/// klines it persisted meanwhile, and — from PostgreSQL's commit timestamps against the send
/// time of each closed kline — closed-kline-to-PostgreSQL latency, under full load and at a
/// paced rate. Every run also checks that PostgreSQL holds each closed kline sent, once.
@main
struct IngestBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alphapulse-ingest-bench",
        abstract: "Benchmark alphapulse-ingest end to end: frames/s on one core, CPU per frame, RSS, kline-to-PostgreSQL latency.",
        discussion: """
            Needs a PostgreSQL server where it may create and drop databases (track_commit_timestamp=on gives commit \
            times; otherwise transaction start times are used) and a Redis server it may write keys to.
            """
    )

    @Option(help: "Path of the alphapulse-ingest binary to measure.")
    var ingestBinary: String

    @Option(help: "PostgreSQL URL of a server the benchmark may create databases on.")
    var databaseURL: String

    @Option(help: "Redis URL of a server the benchmark may write keys to.")
    var redisURL: String

    @Option(help: "Synthetic futures symbols; each has a kline and a mark-price stream.")
    var symbols = 1_000

    @Option(help: "Kline updates per minute of a symbol; the last one closes it.")
    var updatesPerMinute = 60

    @Option(help: "CPU the ingest is pinned to (taskset); -1 leaves it unpinned.")
    var cpu = 0

    @Option(help: "Seconds of load before measuring.")
    var warmup: Double = 5

    @Option(help: "Seconds measured per run.")
    var seconds: Double = 15

    @Option(help: "Seconds the load continues after the window, so the window's last closed klines are persisted in steady state.")
    var settle: Double = 7

    @Option(help: "Runs per offered load; medians are reported.")
    var runs = 3

    @Option(parsing: .upToNextOption, help: "Offered loads in frames/s; 0 offers as many as the ingest's sockets take.")
    var rates: [Double] = [100_000, 150_000, 200_000, 0]

    @Option(help: "Folder for the ingest's logs.")
    var logs = NSTemporaryDirectory()

    @Option(name: .customLong("set"), help: ArgumentHelp("Extra ingest configuration (repeatable).", valueName: "key=value"))
    var settings: [String] = []

    func run() async throws {
        ChildProcess.stopChildrenOnSignals()
        let server = try await FirehoseServer()
        do {
            var levels: [(rate: Double, result: RunResult)] = []
            var number = 0
            for rate in rates {
                var results: [RunResult] = []
                for _ in 0..<runs {
                    number += 1
                    let result = try await measure(server: server, run: number, rate: rate > 0 ? rate : nil)
                    say("\(Self.label(rate)), run \(results.count + 1): \(result.line)")
                    results.append(result)
                }
                levels.append((rate, RunResult.median(results)))
            }
            say(summary(levels))
        } catch {
            await server.shutdown()
            throw error
        }
        await server.shutdown()
    }

    /// Prints a line at once, unbuffered, so a pipe or log shows each run as it ends.
    func say(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    static func label(_ rate: Double) -> String {
        rate > 0 ? String(format: "offered %.0f frames/s", rate) : "offered all it takes"
    }

    /// One run: a fresh database and key prefix, a fresh ingest process, warm-up, the measured
    /// window, then the load stops and every closed kline must reach PostgreSQL.
    func measure(server: FirehoseServer, run: Int, rate: Double?) async throws -> RunResult {
        let tag = "apbench_\(getpid())_\(run)"
        let environment = try await BenchEnvironment(databaseURL: databaseURL, redisURL: redisURL, tag: tag)
        do {
            let result = try await measure(server: server, environment: environment, rate: rate)
            await environment.tearDown()
            return result
        } catch {
            await environment.tearDown()
            throw error
        }
    }

    private func measure(server: FirehoseServer, environment: BenchEnvironment, rate: Double?) async throws -> RunResult {
        let names = (0..<symbols).map(Self.symbolName)
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        // A day back: however fast the minutes run, they stay in the past. The first minute is
        // two before a 4-hour boundary, so even a short run crosses an hour (and a 4h) close.
        let firstMinute = CandleInterval.fourHours.bucketStart(now - 86_400_000) - 2 * 60_000
        let plan = Firehose.Plan(symbols: names, updatesPerMinute: updatesPerMinute, rate: rate, firstMinute: firstMinute)
        try await server.withFirehose { $0.reset(plan) }
        try await environment.publish(symbols: names)

        let metricsPort = try freePort()
        var arguments = [
            ingestBinary, "serve", "--database-url", environment.ingestDatabaseURL, "--redis-url", redisURL, "--log-level", "warning",
            "--set", "redis.prefix=\(environment.prefix)",
            "--set", "instance.id=\(environment.tag)",
            "--set", "ports.ingest=\(metricsPort)",
            "--set", "binance.futures_ws_url=ws://127.0.0.1:\(server.port)/market",
            "--set", "binance.futures_rest_url=http://127.0.0.1:\(server.port)",
            "--set", "binance.spot_ws_url=ws://127.0.0.1:\(server.port)",
            "--set", "binance.spot_rest_url=http://127.0.0.1:\(server.port)",
            // Nothing to fetch: the firehose's minutes start when the run does.
            "--set", "ingest.backfill_first_candles=0", "--set", "ingest.backfill_history=false", "--set", "ingest.derivatives=false",
        ]
        for setting in settings { arguments += ["--set", setting] }
        if cpu >= 0 { arguments = ["/usr/bin/taskset", "-c", String(cpu)] + arguments }
        let log = (logs as NSString).appendingPathComponent("\(environment.tag)-ingest.log")
        let ingest = try ChildProcess(arguments, output: log)
        do {
            let result = try await measure(server: server, ingest: ingest, metricsPort: metricsPort, environment: environment, rate: rate)
            await ingest.stop()
            return result
        } catch {
            await ingest.stop()
            throw BenchError("\(error) (ingest log: \(log))")
        }
    }

    private func measure(
        server: FirehoseServer, ingest: ChildProcess, metricsPort: Int, environment: BenchEnvironment, rate: Double?
    ) async throws -> RunResult {
        let metrics = IngestMetricsReader(port: metricsPort)
        // Every stream subscribed: the ingest paces SUBSCRIBEs under Binance's message limit.
        let started = ContinuousClock.now
        let deadline = started + .seconds(180)
        while try await server.withFirehose({ $0.snapshot.subscribedStreams }) < symbols * 2 {
            guard ingest.isRunning else { throw BenchError("alphapulse-ingest exited during start-up") }
            guard ContinuousClock.now < deadline else { throw BenchError("alphapulse-ingest did not subscribe every stream in 180 s") }
            try await Task.sleep(for: .milliseconds(200))
        }
        let startup = (ContinuousClock.now - started) / .seconds(1)
        try await server.withFirehose { $0.start() }
        try await Task.sleep(for: .seconds(warmup))

        let before = try await metrics.read()
        let sentBefore = try await server.withFirehose { $0.framesSent }
        let cpuBefore = try ingest.cpuSeconds()
        let wallBefore = ContinuousClock.now
        let windowStart = wallMicros()
        try await Task.sleep(for: .seconds(seconds))
        let after = try await metrics.read()
        let sentAfter = try await server.withFirehose { $0.framesSent }
        let cpuAfter = try ingest.cpuSeconds()
        let elapsed = (ContinuousClock.now - wallBefore) / .seconds(1)
        let windowEnd = wallMicros()
        let memory = try ingest.memory()
        guard ingest.isRunning else { throw BenchError("alphapulse-ingest exited during the run") }

        // The load goes on until the window's last batch is written as it would be in steady
        // state (full, or at the persister's flush deadline), then stops; every closed kline
        // sent must then reach PostgreSQL.
        try await Task.sleep(for: .seconds(settle))
        let stopped = ContinuousClock.now
        let sends = try await server.withFirehose { firehose -> [Firehose.ClosedSend] in
            firehose.stop()
            return firehose.closedSends
        }
        var stored = 0
        while stored < sends.count {
            guard ContinuousClock.now - stopped < .seconds(180) else {
                throw BenchError("PostgreSQL holds \(stored) of \(sends.count) closed klines 180 s after the load stopped")
            }
            try await Task.sleep(for: .milliseconds(100))
            stored = try await environment.storedMinutes()
        }
        let drain = (ContinuousClock.now - stopped) / .seconds(1)
        guard stored == sends.count else { throw BenchError("PostgreSQL holds \(stored) 1m candles, \(sends.count) were sent") }
        let dropped = try await metrics.read().dropped
        guard dropped == 0 else { throw BenchError("alphapulse-ingest dropped \(dropped) of the firehose's frames; see its /metrics") }
        let rollups = try await environment.fiveMinuteRollups()
        guard rollups.derived == rollups.complete else {
            throw BenchError("\(rollups.derived) 5m candles derived for \(rollups.complete) complete 5-minute buckets")
        }

        let commits = try await environment.commitTimes()
        var hourCloses: [Double] = []
        var minutes = Set<Int64>()
        let latencies = sends.compactMap { send -> Double? in
            guard send.sentMicros >= windowStart, send.sentMicros <= windowEnd,
                  let committed = commits.times[CandleKey(symbol: Self.symbolName(send.symbol), openTime: send.openTime)]
            else { return nil }
            let latency = Double(committed - send.sentMicros) / 1_000
            minutes.insert(send.openTime)
            // The last minute of an hour: its commit also derives the 1h (and maybe 4h, 1d) candle.
            if CandleInterval.oneHour.bucketStart(send.openTime + 60_000) == send.openTime + 60_000 { hourCloses.append(latency) }
            return latency
        }
        guard !latencies.isEmpty else { throw BenchError("no closed kline was sent during the measured window") }
        let frames = after.frames - before.frames
        let closedInWindow = sends.count { $0.sentMicros >= windowStart && $0.sentMicros <= windowEnd }
        return RunResult(
            offeredPerSecond: Double(sentAfter - sentBefore) / elapsed, framesPerSecond: Double(frames) / elapsed,
            cpuMicrosPerFrame: (cpuAfter - cpuBefore) / Double(max(frames, 1)) * 1e6, cpuShare: (cpuAfter - cpuBefore) / elapsed,
            closedPerSecond: Double(closedInWindow) / elapsed, persistedPerSecond: Double(after.persisted - before.persisted) / elapsed,
            residentMiB: Double(memory.residentKiB) / 1024, peakMiB: Double(memory.peakKiB) / 1024,
            latencyP50: quantile(latencies, 0.5), latencyP99: quantile(latencies, 0.99), closedSent: sends.count, drainSeconds: drain,
            commitTimes: commits.fromCommits, nominalRate: rate, startupSeconds: startup,
            batchPerSecond: Double(flushRows) / elapsed, simulatedMinutes: Double(minutes.count),
            hourBoundaries: Double(minutes.count { CandleInterval.oneHour.isAligned($0 + 60_000) }),
            hourCloseP99: hourCloses.isEmpty ? .nan : quantile(hourCloses, 0.99))
    }

    /// The persister's batch size: `ingest.flush_rows` when given with `--set`, else its default.
    var flushRows: Int {
        settings.compactMap { setting -> Int? in
            let parts = setting.split(separator: "=", maxSplits: 1)
            return parts.count == 2 && parts[0] == "ingest.flush_rows" ? Int(parts[1]) : nil
        }.last ?? 1_000
    }

    /// The synthetic symbol at `index`: B0001USDT, B0002USDT, …
    static func symbolName(_ index: Int) -> String {
        String(format: "B%04dUSDT", index + 1)
    }
}

/// The ingest's own counters, scraped from its /metrics endpoint.
struct IngestMetricsReader {
    let port: Int
    let client = RESTClient(configuration: .init(timeout: .seconds(5), maxRetries: 2))

    struct Counters {
        var frames: Int
        var persisted: Int
        var dropped: Int
    }

    func read() async throws -> Counters {
        let response = try await client.get("http://127.0.0.1:\(port)/metrics")
        let text = String(decoding: response.body, as: UTF8.self)
        func value(_ name: String) -> Int {
            text.split(separator: "\n").reduce(0) { sum, line in
                let parts = line.split(separator: " ")
                guard parts.count >= 2, parts[0] == name || parts[0].hasPrefix(name + "{") else { return sum }
                return sum + (Double(parts[1]).map { Int($0) } ?? 0)
            }
        }
        return Counters(
            frames: value("alphapulse_ingest_frames"), persisted: value("alphapulse_ingest_persisted"),
            dropped: value("alphapulse_ingest_dropped_frames"))
    }
}
