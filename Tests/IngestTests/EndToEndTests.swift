import Contracts
import Binance
import Core
import Foundation
import Logging
import Postgres
import REST
import Redis
import Replay
import Synchronization
import Testing
import TestSupport
@testable import Ingest

/// Two `alphapulse-ingest serve` processes against the replay, with private PostgreSQL and
/// Redis servers, through every fault at once: connections dropped every few seconds, a
/// stalled connection, malformed and duplicate frames, one process killed with SIGKILL and
/// restarted, PostgreSQL and Redis restarted mid-run. Afterwards every stored 1m candle equals
/// the replay's archive row, every minute is present once, and every derived candle equals the
/// replay's own kline of that interval.
@Suite struct EndToEndTests {

    func executable() throws -> String {
        let path = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("alphapulse-ingest").path
        try #require(FileManager.default.isExecutableFile(atPath: path), "\(path) is not built")
        return path
    }

    /// Runs `alphapulse-replay` as its own process (as in production), so this test process only
    /// orchestrates.
    func replay(port: Int) throws -> SpawnedProcess {
        let path = URL(fileURLWithPath: try executable()).deletingLastPathComponent().appendingPathComponent("alphapulse-replay").path
        return try SpawnedProcess([
            path, "serve", "--port", String(port), "--synthetic-futures", "6", "--synthetic-spot", "4", "--seed", "11",
            "--synthetic-days", "1", "--start", "2026-02-02T04:00:00Z", "--speed", "480",
        ])
    }

    func control(_ port: Int, _ path: String, _ body: String) async throws {
        let client = RESTClient(configuration: .init(maxRetries: 2))
        _ = try await client.execute(.init(method: .post, url: "http://127.0.0.1:\(port)/_replay/\(path)", body: Array(body.utf8)))
    }

    @Test func nothingIsLostOrDuplicatedThroughEveryFault() async throws {
        let postgres = try PrivatePostgres()
        let port = try freePort()
        let replay = try replay(port: port)
        defer { kill(replay.pid, SIGKILL) }
        let restClient = RESTClient(configuration: .init(maxRetries: 0))
        #expect(await waitUntil(timeout: .seconds(60)) { (try? await restClient.get("http://127.0.0.1:\(port)/_replay/status")) != nil })
        let harness = ReplayEndpoint(port: port)
        try await PrivateRedis.with { redisServer in
            let futures = ["BTCUSDT", "ETHUSDT", try await harness.someSymbol(.futures, excluding: ["BTCUSDT", "ETHUSDT"])]
            let spot = ["BTCUSDT", try await harness.someSymbol(.spot, excluding: ["BTCUSDT", "ETHUSDT"])]
            let redis = RedisClient(configuration: try RedisConfiguration(url: redisServer.url()))
            defer { Task { await redis.close() } }
            let list = SymbolList.ranked(version: 1, refreshedAt: "2026-02-02T00:05:00Z", futures: futures, spot: spot)
            _ = try await redis.set("ap:symbols", to: String(decoding: list.encoded(), as: UTF8.self))

            var environment = ProcessInfo.processInfo.environment
            for (key, value) in [
                "DATABASE_URL": postgres.url, "DATABASE_POOL_MIN": "1", "DATABASE_POOL_MAX": "4", "REDIS_URL": redisServer.url(),
                "BINANCE_SPOT_REST_URL": "http://127.0.0.1:\(port)", "BINANCE_FUTURES_REST_URL": "http://127.0.0.1:\(port)",
                "BINANCE_SPOT_WS_URL": "ws://127.0.0.1:\(port)", "BINANCE_FUTURES_WS_URL": "ws://127.0.0.1:\(port)/market",
                "INGEST_CONNECTION_SILENCE_SECONDS": "6", "INGEST_SYMBOL_SILENCE_SECONDS": "10", "INGEST_RECONNECT_MIN_SECONDS": "0.05",
                "INGEST_RECONNECT_MAX_SECONDS": "1", "INGEST_FLUSH_ROWS": "200",
                "INGEST_CLAIM_IDLE_SECONDS": "3", "INGEST_BACKFILL_FIRST_CANDLES": "90", "INGEST_BACKFILL_MAX_HOURS": "48",
                "INGEST_CONSISTENCY_INTERVAL_SECONDS": "2", "INGEST_SHARDS": "8", "INGEST_LEASE_TTL_SECONDS": "3",
                "PORTS_INGEST": "0", "HEARTBEAT_INTERVAL_SECONDS": "1", "HEARTBEAT_TTL_SECONDS": "3", "LOG_LEVEL": "warning",
                "REST_MAX_RETRIES": "3",
            ] {
                environment["ALPHAPULSE_" + key] = value
            }
            func spawn(_ name: String) throws -> SpawnedProcess {
                var env = environment
                env["ALPHAPULSE_INSTANCE_ID"] = name
                return try SpawnedProcess([try executable(), "serve"], environment: env)
            }
            var processes = [try spawn("a"), try spawn("b")]
            defer { for process in processes { kill(process.pid, SIGKILL) } }

            // Both processes take shards and ingest.
            let bothIngesting: @Sendable () async -> Bool = {
                let members = (try? await redis.send("ZCARD", "ap:ingest:members"))?.int ?? 0
                let entries = (try? await redis.xlen("ap:candles")) ?? 0
                return members == 2 && entries > 20
            }
            #expect(await waitUntil(timeout: .seconds(60)) { await bothIngesting() })
            try await control(port, "drop-every", #"{"seconds":4}"#)
            try await control(port, "malformed", #"{"count":3}"#)
            try await control(port, "duplicate-kline", #"{"count":3}"#)
            try await Task.sleep(for: .seconds(5))
            try await control(port, "stall", #"{"seconds":5,"connections":1}"#)

            // SIGKILL one process; start another a little later.
            kill(processes[0].pid, SIGKILL)
            #expect(await processes[0].exit(within: .seconds(10))?.status == 128 + SIGKILL)
            processes.removeFirst()
            try await Task.sleep(for: .seconds(2))
            processes.append(try spawn("a2"))
            try await Task.sleep(for: .seconds(5))

            // The stores restart under them.
            try await postgres.restartAsync()
            try await Task.sleep(for: .seconds(4))
            try await redisServer.restart()
            try await Task.sleep(for: .seconds(6))
            try await control(port, "drop-every", #"{"seconds":0}"#)
            try await Task.sleep(for: .seconds(10))

            // The heartbeats report connections and the persister's lag. Which instance holds the
            // shards the five symbols hash to is decided by the lease race after Redis restarted,
            // so the connections are looked for across both live instances.
            var connections: [[String: Any]] = []
            var frames = 0
            for instance in ["b", "a2"] {
                let beat = try await redis.hgetall("ap:health:ingest:\(instance)")
                #expect(beat["persister_pending"] != nil && beat["connections"] != nil, "\(instance): \(beat)")
                connections += beat["connections"].flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [[String: Any]] } ?? []
                frames += Int(beat["frames"] ?? "0") ?? 0
            }
            #expect(!connections.isEmpty && connections.allSatisfy { $0["market"] != nil && $0["streams"] != nil && $0["reconnects"] != nil })
            #expect(frames > 0)

            // Graceful stop: both flush and persist what they hold.
            for process in processes { kill(process.pid, SIGTERM) }
            for process in processes {
                if let result = await process.exit(within: .seconds(30)) {
                    #expect(result.status == 0, "\(result.output.suffix(3_000))")
                } else {
                    Issue.record("an ingest process did not stop within 30 s of SIGTERM: \(process.outputSoFar.suffix(3_000))")
                    kill(process.pid, SIGKILL)
                    _ = await process.exit(within: .seconds(10))
                }
            }
            processes = []

            let pool = PostgresPool(configuration: try PostgresConfiguration(url: postgres.url), options: .init(minimumConnections: 0, maximumConnections: 2))
            defer { Task { await pool.close() } }
            for (market, symbols) in [(Market.futures, futures), (.spot, spot)] {
                for symbol in symbols {
                    try await Self.verify(market: market, symbol: symbol, pool: pool, harness: harness)
                }
            }

            // `export` prints the stored 1m candles as the replay's archive rows, each minute once.
            let symbol = futures[0]
            let exported = try await runCommandAsync(
                [try executable(), "export", "--market", "futures", "--symbol", symbol, "--interval", "1m",
                 "--from", "2026-02-01T00:00:00Z", "--to", "2026-02-03T00:00:00Z"], environment: environment)
            #expect(exported.status == 0, "\(exported.output.suffix(1_000))")
            let lines = exported.output.split(separator: "\n").filter { $0.first?.isNumber == true || $0.hasPrefix("open_time") }
            #expect(lines.first == Substring(KlineCSV.header))
            let rows = lines.dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
            let opens = rows.compactMap { Int64($0[0]) }
            #expect(Set(opens).count == opens.count, "a minute exported twice")
            let expected = try await harness.expectedKlines(.futures, symbol, interval: "1m", from: opens.first ?? 0, to: opens.last ?? 0)
            #expect(rows.count == expected.count)
            for (row, kline) in zip(rows, expected) {
                #expect(row == [String(kline.openTime), kline.open.text, kline.high.text, kline.low.text, kline.close.text, kline.volume.text,
                                String(kline.closeTime), kline.quoteVolume.text, String(kline.trades), kline.takerBuyVolume.text,
                                kline.takerBuyQuoteVolume.text, "0"])
            }
        }
        _ = postgres
    }

    /// Stored 1m candles are contiguous and equal the replay's; stored derived candles (rollups,
    /// and the history from Binance's klines before them) equal the replay's klines and exist for
    /// every bucket from the oldest stored to the last complete one.
    static func verify(market: Market, symbol: String, pool: PostgresPool, harness: ReplayEndpoint) async throws {
        let rows = try await pool.query("""
            SELECT interval, (extract(epoch FROM open_time) * 1000)::bigint, (extract(epoch FROM close_time) * 1000)::bigint,
                   open::text, high::text, low::text, close::text, volume::text, quote_volume::text, trades,
                   taker_buy_volume::text, taker_buy_quote_volume::text
            FROM candles WHERE market = \(market.rawValue) AND symbol = \(symbol) ORDER BY interval, open_time
            """)
        var stored: [String: [Int64: [String]]] = [:]
        for row in rows {
            let interval = try row.decode(0, as: String.self)
            let values = try (3...11).map { try row.decode($0, as: String.self) }
            stored[interval, default: [:]][try row.decode(1, as: Int64.self)] = [String(try row.decode(2, as: Int64.self))] + values
        }
        let minutes = try #require(stored["1m"], "\(symbol): nothing stored").keys.sorted()
        let first = minutes.first!, last = minutes.last!
        #expect(minutes.count >= 200, "\(symbol): only \(minutes.count) minutes stored")
        #expect(Int64(minutes.count) == (last - first) / 60_000 + 1, "\(symbol): a minute is missing between \(first) and \(last)")
        for interval in ["1m", "5m", "15m", "1h", "4h"] {
            let step = CandleInterval(rawValue: interval)!.milliseconds
            // Complete buckets inside the stored minutes.
            let bucketFrom = (first + step - 1) / step * step
            let bucketTo = (last + 60_000) / step * step - step
            let have = stored[interval] ?? [:]
            // Older buckets come from Binance's own klines (the history every head reads): they too
            // must equal the replay's, with none missing up to the complete buckets of the minutes.
            let from = min(have.keys.filter { $0 < bucketFrom }.min() ?? bucketFrom, bucketFrom)
            let expected = from <= bucketTo
                ? try await harness.expectedKlines(market, symbol, interval: interval, from: from, to: bucketTo) : []
            #expect(have.count == expected.count, "\(symbol) \(interval): \(have.count) stored, \(expected.count) complete buckets")
            for kline in expected {
                let want = [String(kline.closeTime), kline.open.text, kline.high.text, kline.low.text, kline.close.text, kline.volume.text,
                            kline.quoteVolume.text, String(kline.trades), kline.takerBuyVolume.text, kline.takerBuyQuoteVolume.text]
                #expect(have[kline.openTime] == want, "\(symbol) \(interval) \(kline.openTime): \(have[kline.openTime] ?? []) vs \(want)")
            }
        }
    }
}

/// The replay process's REST API.
struct ReplayEndpoint: Sendable {
    let port: Int

    /// A tradable USDT symbol of the market other than `excluded`.
    func someSymbol(_ market: Market, excluding excluded: Set<String>) async throws -> String {
        let client = RESTClient(configuration: .init(maxRetries: 2))
        let path = market == .spot ? "http://127.0.0.1:\(port)/api/v3/exchangeInfo" : "http://127.0.0.1:\(port)/fapi/v1/exchangeInfo"
        let info = try await client.get(path).json(ExchangeInfo.self)
        return try #require(info.symbols.filter {
            $0.status == "TRADING" && $0.quoteAsset == "USDT" && !excluded.contains($0.symbol) && ($0.contractType ?? "PERPETUAL") == "PERPETUAL"
                && !($0.permissions ?? []).contains("LEVERAGED") && !["USDC", "FDUSD", "TUSD"].contains($0.baseAsset)
        }.map(\.symbol).sorted().first)
    }

    struct ExchangeInfo: Decodable {
        struct Symbol: Decodable {
            var symbol: String
            var status: String
            var baseAsset: String
            var quoteAsset: String
            var contractType: String?
            var permissions: [String]?
        }
        var symbols: [Symbol]
    }

    /// The replay's own klines of any interval, open times `from...to`.
    func expectedKlines(_ market: Market, _ symbol: String, interval: String, from: Int64, to: Int64) async throws -> [KlineUpdate] {
        let client = RESTClient(configuration: .init(maxRetries: 2))
        let path = market == .spot ? "http://127.0.0.1:\(port)/api/v3/klines" : "http://127.0.0.1:\(port)/fapi/v1/klines"
        let response = try await client.get(path, query: [
            ("symbol", symbol), ("interval", interval), ("startTime", String(from)), ("endTime", String(to)), ("limit", "1000"),
        ])
        let kind = try #require(KlineInterval(rawValue: interval))
        return try response.body.withUnsafeBytes { body in
            try Result { () throws(FrameReject) -> RESTKlines in try RESTKlines.parse(body, symbol: symbol, interval: kind) }.get()
        }.klines
    }
}
