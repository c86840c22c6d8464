import ArgumentParser
import BenchSupport
import Contracts
import Core
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Gateway
import HTTPTypes
import Logging
import Postgres
import Redis
import Schema
import Synchronization
import WSClient

/// `deploy/alphapulse bench gateway`: one `alphapulse-gateway serve` over a fresh database.
///
/// - HTTP: requests/s and p99 of `GET /api/v1/symbols` (100 tracked symbols) and
///   `GET /api/v1/candles/futures/BTCUSDT?limit=500` under wrk (`--runs` runs of `--seconds`,
///   medians), with one API key (its rate limit off).
/// - WebSocket: the delivery latency of a signal to 1 and to 1,000 subscribers: from its XADD
///   on `ap:signals` (the entry id's milliseconds are Redis's clock, the same host's) to its
///   arrival at each client; p50, p99 and max over every (signal, client) delivery.
@main
struct GatewayBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alphapulse-gateway-bench", abstract: "HTTP requests/s and WebSocket delivery latency of alphapulse-gateway.")

    @Option(help: "Path of the alphapulse-gateway binary to measure.")
    var gatewayBinary: String

    @Option(help: "PostgreSQL URL of a server the benchmark may create databases on.")
    var databaseURL: String

    @Option(help: "Redis URL of a server the benchmark may write keys to.")
    var redisURL: String

    @Option(help: "wrk runs per endpoint (the median is reported).")
    var runs = 3

    @Option(help: "Seconds per wrk run.")
    var seconds = 5

    @Option(help: "wrk connections.")
    var connections = 32

    @Option(parsing: .upToNextOption, help: "WebSocket subscriber counts.")
    var subscribers: [Int] = [1, 1000]

    @Option(help: "Signals published per subscriber count, one every 200 ms.")
    var signals = 25

    @Option(help: "CPU the gateway is pinned to (taskset); -1 leaves it unpinned. wrk runs on the others.")
    var cpu = 0

    @Option(help: "Folder for the gateway's log.")
    var logs = NSTemporaryDirectory()

    func run() async throws {
        ChildProcess.stopChildrenOnSignals()
        let tag = "apgateway_\(getpid())"
        let admin = try await PostgresConnection.connect(try PostgresConfiguration(url: databaseURL))
        _ = try await admin.execute(PostgresQuery(unsafeSQL: "CREATE DATABASE \(PostgresQuery.quoteIdentifier(tag))"))
        guard var components = URLComponents(string: databaseURL) else { throw BenchError("unreadable database URL") }
        components.path = "/" + tag
        guard let url = components.string else { throw BenchError("unreadable database URL") }
        let pool = PostgresPool(configuration: try PostgresConfiguration(url: url), options: .init(minimumConnections: 0, maximumConnections: 4))
        let redis = RedisClient(configuration: try RedisConfiguration(url: redisURL))
        let keys = RedisKeys(prefix: tag + ":")
        var gateway: ChildProcess?
        do {
            try await Schema.migrator().migrate(pool)
            try await seed(pool)
            let key = try await KeyStore(postgres: pool).create(name: "bench", scope: .read)
            let port = try freePort()
            var arguments = [
                gatewayBinary, "serve", "--database-url", url, "--redis-url", redisURL, "--log-level", "warning",
                "--set", "redis.prefix=\(keys.prefix)", "--set", "instance.id=\(tag)", "--set", "ports.gateway=\(port)",
                "--set", "gateway.rate_limit_per_second=0", "--set", "gateway.ws_queue_messages=100000",
            ]
            if cpu >= 0 { arguments = ["/usr/bin/taskset", "-c", String(cpu)] + arguments }
            let log = (logs as NSString).appendingPathComponent("\(tag)-gateway.log")
            let process = try ChildProcess(arguments, output: log)
            gateway = process
            let base = "http://127.0.0.1:\(port)"
            try await waitReady(base, process: process, log: log)

            print("")
            print("alphapulse-gateway" + (cpu >= 0 ? " pinned to CPU \(cpu)" : "") + ", wrk \(connections) connections on the other CPUs, "
                + "\(runs) runs of \(seconds) s (medians)")
            print("  endpoint                                          requests/s   p50 ms   p99 ms")
            for path in ["/api/v1/symbols", "/api/v1/candles/futures/BTCUSDT?limit=500"] {
                var rates: [Double] = []
                var p50s: [Double] = []
                var p99s: [Double] = []
                for _ in 0..<runs {
                    let result = try wrk(base + path, key: key.text)
                    rates.append(result.rate)
                    p50s.append(result.p50)
                    p99s.append(result.p99)
                }
                print(String(format: "  %@ %12.0f %8.2f %8.2f", path.padding(toLength: 48, withPad: " ", startingAt: 0),
                             median(rates), median(p50s), median(p99s)))
            }

            print("")
            print("WebSocket: one signal XADDed on ap:signals → its arrival at every subscriber (\(signals) signals, 200 ms apart)")
            print("  subscribers  deliveries  p50 ms  p99 ms  max ms")
            for count in subscribers {
                let latencies = try await fanOut(base: base, key: key.text, subscribers: count, redis: redis, keys: keys)
                print(String(format: "  %11d  %10d  %6.1f  %6.1f  %6.1f", count, latencies.count,
                             quantile(latencies, 0.5), quantile(latencies, 0.99), latencies.max() ?? 0))
            }
            await process.stop()
            gateway = nil
        } catch {
            await gateway?.stop()
            await cleanUp(tag, admin: admin, pool: pool, redis: redis, keys: keys)
            throw error
        }
        await cleanUp(tag, admin: admin, pool: pool, redis: redis, keys: keys)
    }

    /// 100 tracked symbols (50 per market) and two days of 1m candles of BTCUSDT.
    func seed(_ pool: PostgresPool) async throws {
        _ = try await pool.execute("""
            INSERT INTO tracked_symbols (market, symbol, base_asset, rank, quote_volume_24h, last_price, price_change_pct)
            SELECT m, 'S' || lpad(n::text, 4, '0') || 'USDT', 'S' || n, n, 1000000 - n, 1.5 + n, 0.25
            FROM (VALUES ('futures'), ('spot')) AS markets (m), generate_series(1, 50) AS n
            """)
        _ = try await pool.execute("""
            INSERT INTO candles (market, symbol, interval, open_time, close_time, open, high, low, close, volume, quote_volume, trades,
                                 taker_buy_volume, taker_buy_quote_volume, source)
            SELECT 'futures', 'BTCUSDT', '1m', t, t + interval '59.999 seconds', 97000.1 + n % 13, 97010.5 + n % 13, 96990.25 + n % 13,
                   97001.75 + n % 13, 12.345, 1197654.321, 420, 6.5, 630000.125, 'ws'
            FROM generate_series(0, 2879) AS n, LATERAL (SELECT timestamptz '2026-01-01T00:00:00Z' + n * interval '1 minute' AS t) AS times
            """)
        _ = try await pool.execute("VACUUM (ANALYZE) candles")
    }

    func waitReady(_ base: String, process: ChildProcess, log: String) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            guard process.isRunning else { throw BenchError("alphapulse-gateway exited (log: \(log))") }
            if let (_, response) = try? await URLSession.shared.data(from: URL(string: base + "/readyz")!),
               (response as? HTTPURLResponse)?.statusCode == 200 {
                return
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw BenchError("alphapulse-gateway not ready after 60 s (log: \(log))")
    }

    /// One wrk run: requests/s and the p50/p99 latency in ms.
    func wrk(_ url: String, key: String) throws -> (rate: Double, p50: Double, p99: Double) {
        var arguments = ["wrk", "-t", "1", "-c", String(connections), "-d", "\(seconds)s", "--latency", "-H", "Authorization: Bearer \(key)", url]
        if cpu >= 0, ProcessInfo.processInfo.activeProcessorCount > 1 {
            arguments = ["taskset", "-c", "\(cpu == 0 ? 1 : 0)"] + arguments
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw BenchError("wrk failed: \(output)") }
        if let errors = output.split(separator: "\n").first(where: { $0.contains("Non-2xx") }) {
            throw BenchError("wrk saw failed requests (\(errors.trimmingCharacters(in: .whitespaces))): \(output)")
        }
        func value(_ prefix: String) -> String? {
            output.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.first { $0.hasPrefix(prefix) }?
                .split(separator: " ", omittingEmptySubsequences: true).last.map(String.init)
        }
        guard let rate = value("Requests/sec:").flatMap(Double.init), let p50 = value("50%").flatMap(Self.millis),
              let p99 = value("99%").flatMap(Self.millis) else { throw BenchError("unreadable wrk output: \(output)") }
        return (rate, p50, p99)
    }

    /// wrk's `1.23ms`, `456.00us`, `1.02s` in milliseconds.
    static func millis(_ text: String) -> Double? {
        if text.hasSuffix("us"), let value = Double(text.dropLast(2)) { return value / 1000 }
        if text.hasSuffix("ms"), let value = Double(text.dropLast(2)) { return value }
        if text.hasSuffix("s"), let value = Double(text.dropLast(1)) { return value * 1000 }
        return nil
    }

    final class Deliveries: Sendable {
        private let latencies = Mutex<[Double]>([])
        private let subscribed = Atomic<Int>(0)
        func add(_ value: Double) { latencies.withLock { $0.append(value) } }
        func didSubscribe() { subscribed.add(1, ordering: .relaxed) }
        var subscribedCount: Int { subscribed.load(ordering: .relaxed) }
        var all: [Double] { latencies.withLock { $0 } }
    }

    func fanOut(base: String, key: String, subscribers: Int, redis: RedisClient, keys: RedisKeys) async throws -> [Double] {
        let url = base.replacingOccurrences(of: "http://", with: "ws://") + "/api/v1/ws"
        let deliveries = Deliveries()
        // One stop signal per client: an AsyncStream has one reader.
        let stops = (0..<subscribers).map { _ in AsyncStream.makeStream(of: Void.self) }
        var quiet = Logger(label: "bench.ws")
        quiet.logLevel = .critical
        let logger = quiet
        let headers: HTTPFields = [.authorization: "Bearer \(key)"]
        let clients = stops.map { stop in
            let stopStream = stop.stream
            return Task {
                try await WebSocketClient.connect(
                    url: url, configuration: WebSocketClientConfiguration(maxFrameSize: 1 << 20, additionalHeaders: headers),
                    logger: logger
                ) { inbound, outbound, _ in
                    try await outbound.write(.text(#"{"type":"subscribe","channels":["signals"]}"#))
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask {
                            for await _ in stopStream {}
                            try await outbound.close(.normalClosure, reason: nil)
                        }
                        for try await message in inbound.messages(maxSize: 1 << 20) {
                            guard case .text(let text) = message else { continue }
                            let now = Double(wallMicros()) / 1000
                            if text.contains("\"type\":\"subscribed\"") { deliveries.didSubscribe() }
                            guard text.contains("\"type\":\"signal\""), let range = text.range(of: "\"stream_id\":\"") else { continue }
                            let millis = text[range.upperBound...].prefix { $0.isNumber }
                            if let sent = Double(millis) { deliveries.add(now - sent) }
                        }
                        group.cancelAll()
                    }
                }
            }
        }
        let deadline = ContinuousClock.now + .seconds(120)
        while deliveries.subscribedCount < subscribers {
            guard ContinuousClock.now < deadline else { throw BenchError("\(deliveries.subscribedCount) of \(subscribers) subscribed after 120 s") }
            try await Task.sleep(for: .milliseconds(100))
        }
        for index in 0..<signals {
            let event = SignalEvent(
                kind: .opened, id: Int64(index + 1), market: .futures, symbol: "BTCUSDT", direction: "long", moment: 1_767_225_600_000,
                entry: 97000.5, stop: 96500.25, target1: 98000, target2: 99000, expiresAt: 1_767_312_000_000, probability: 0.71,
                confidence: 0.64, heads: ["technical", "volume", "ict", "wyckoff", "market_structure"], status: "open", exitPrice: nil,
                returnR: nil, resolvedAt: nil)
            _ = try await redis.xadd(keys.signals, fields: event.fields)
            try await Task.sleep(for: .milliseconds(200))
        }
        let expected = subscribers * signals
        let settle = ContinuousClock.now + .seconds(30)
        while deliveries.all.count < expected, ContinuousClock.now < settle { try await Task.sleep(for: .milliseconds(100)) }
        for stop in stops { stop.continuation.finish() }
        for client in clients { _ = try? await client.value }
        let all = deliveries.all
        guard all.count == expected else { throw BenchError("\(all.count) of \(expected) deliveries arrived") }
        return all
    }

    func cleanUp(_ tag: String, admin: PostgresConnection, pool: PostgresPool, redis: RedisClient, keys: RedisKeys) async {
        await pool.close()
        if let names = try? await redis.send("KEYS", keys.prefix + "*").array?.compactMap(\.string), !names.isEmpty {
            _ = try? await redis.delete(keys: names)
        }
        await redis.close()
        _ = try? await admin.execute(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(PostgresQuery.quoteIdentifier(tag)) WITH (FORCE)"))
        await admin.close()
    }
}
