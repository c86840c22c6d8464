import Contracts
import Core
import Foundation
import Postgres
import REST
import Redis
import Testing
import TestSupport

/// The whole live path on the replay at high speed, each service its own process, with private
/// PostgreSQL and Redis: symbols ranks the replay's market, ingest stores its candles, the
/// scheduler (round robin and candle close) enqueues, inference analyses and stores.
@Suite(.serialized) struct WholePathTests {
    static func binary(_ name: String) throws -> String { try builtExecutable(name) }

    @Test func symbolsIngestSchedulerAndInferenceProduceAnalysesOfEveryTrackedSymbol() async throws {
        let postgres = try PrivatePostgres()
        let port = try freePort()
        // 60×: a minute every second, a 5m close every 5 s (faster, and a debug-built inference falls
        // behind, so close triggers coalesce into the routine jobs still waiting, as designed).
        let replay = try SpawnedProcess([
            try Self.binary("alphapulse-replay"), "serve", "--port", String(port), "--synthetic-futures", "4", "--synthetic-spot", "3",
            "--seed", "5", "--synthetic-days", "2", "--start", "2026-02-02T06:00:00Z", "--speed", "60",
        ])
        defer { kill(replay.pid, SIGKILL) }
        let rest = RESTClient(configuration: .init(maxRetries: 0))
        #expect(await waitUntil(timeout: .seconds(60)) { (try? await rest.get("http://127.0.0.1:\(port)/_replay/status")) != nil })
        try await PrivateRedis.with { redisServer in
            let redis = RedisClient(configuration: try RedisConfiguration(url: redisServer.url()))
            defer { Task { await redis.close() } }
            var environment = ProcessInfo.processInfo.environment
            for (key, value) in [
                "DATABASE_URL": postgres.url, "DATABASE_POOL_MIN": "1", "DATABASE_POOL_MAX": "4", "REDIS_URL": redisServer.url(),
                "BINANCE_SPOT_REST_URL": "http://127.0.0.1:\(port)", "BINANCE_FUTURES_REST_URL": "http://127.0.0.1:\(port)",
                "BINANCE_SPOT_WS_URL": "ws://127.0.0.1:\(port)", "BINANCE_FUTURES_WS_URL": "ws://127.0.0.1:\(port)/market",
                "SYMBOLS_FUTURES": "3", "SYMBOLS_SPOT": "2", "INGEST_BACKFILL_FIRST_CANDLES": "600",
                "ANALYSIS_MODE": "both", "ANALYSIS_CLOSE_INTERVALS": "5m", "ANALYSIS_BATCH_SIZE": "2",
                "SCHEDULER_LEASE_TTL_SECONDS": "2", "HEARTBEAT_INTERVAL_SECONDS": "1", "LOG_LEVEL": "warning",
                "PORTS_SYMBOLS": "0", "PORTS_INGEST": "0", "PORTS_SCHEDULER": "0", "PORTS_INFERENCE": "0",
            ] {
                environment["ALPHAPULSE_" + key] = value
            }
            var processes: [SpawnedProcess] = []
            defer { for process in processes { kill(process.pid, SIGKILL) } }
            for service in ["symbols", "ingest", "scheduler", "inference"] {
                processes.append(try SpawnedProcess([try Self.binary("alphapulse-" + service), "serve"], environment: environment))
            }
            let database = try PostgresPool(configuration: PostgresConfiguration(url: postgres.url), options: .init(minimumConnections: 0, maximumConnections: 2))
            defer { Task { await database.close() } }

            // Every tracked symbol analysed after a 5m close, including the candle just committed,
            // and by the round robin.
            let tracked = await waitUntil(timeout: .seconds(60)) {
                guard let bytes = try? await redis.getBytes("ap:symbols"), let list = try? SymbolList.decode(bytes) else { return false }
                return list.futures.count == 3 && list.spot.count == 2
            }
            #expect(tracked, "\(processes[0].outputSoFar.suffix(1_000))")
            // Symbols (exchangeInfo, tickers) and ingest (klines) spend from the one Binance budget.
            let budgeted = await waitUntil(timeout: .seconds(60)) {
                let names = (try? await redis.send("KEYS", "ap:binance:weight:*").array?.compactMap(\.string)) ?? []
                return names.contains { $0.hasPrefix("ap:binance:weight:futures:") } && names.contains { $0.hasPrefix("ap:binance:weight:spot:") }
            }
            #expect(budgeted, "no Binance weight spent from the shared budget")
            // History older than the 600 backfilled minutes: Binance's own 4h klines for every symbol.
            let history = await waitUntil(timeout: .seconds(60)) {
                let rows = try? await database.query("SELECT count(DISTINCT (market, symbol)) FROM candles_4h WHERE source = 'backfill'")
                return (try? rows?.first?.decode(0, as: Int.self)) == 5
            }
            #expect(history, "every tracked symbol has 4h history from Binance's klines")
            let covered = await waitUntil(timeout: .seconds(120)) {
                let rows = try? await database.query("""
                    SELECT count(DISTINCT (market, symbol)) FILTER (
                               WHERE reason = 'close_5m' AND extract(epoch FROM candle_time + interval '1 minute')::bigint % 300 = 0),
                           count(DISTINCT (market, symbol)) FILTER (WHERE reason = 'schedule')
                    FROM analyses
                    """)
                return (try? rows?.first?.decode(0, as: Int.self)) == 5 && (try? rows?.first?.decode(1, as: Int.self)) == 5
            }
            if !covered {
                let logs = processes.map { "\($0.outputSoFar.suffix(600))" }.joined(separator: "\n---\n")
                let reasons = (try? await database.query("SELECT coalesce(reason, '-') || ' ' || market || ':' || symbol, count(*) FROM analyses GROUP BY 1"))?
                    .map { "\((try? $0.decode(0, as: String.self)) ?? "?")=\((try? $0.decode(1, as: Int.self)) ?? -1)" } ?? []
                let minutes = (try? await database.query("SELECT count(*) FROM candles_1m"))?.first.flatMap { try? $0.decode(0, as: Int.self) }
                let status = (try? await redis.hgetall("ap:scheduler:status")) ?? [:]
                let jobs = (try? await redis.xlen("ap:jobs")) ?? -1
                let dead = (try? await redis.xrange("ap:jobs:dead", count: 3))?.map { "\($0.fields)" } ?? []
                Issue.record("analyses \(reasons), 1m candles \(minutes ?? -1), jobs \(jobs), dead \(dead), scheduler \(status)\n\(logs)")
            }
            // Live, a close analysis sits on the last minute of a 5m candle (a backfill that commits
            // many minutes at once triggers one, at its newest minute); each includes its moment's candle.
            let closes = try await database.query("""
                SELECT market || ':' || symbol, (extract(epoch FROM candle_time) * 1000)::bigint, (inputs->>'1m')::bigint
                FROM analyses WHERE reason = 'close_5m'
                """)
            var onTheClose: Set<String> = []
            for row in closes {
                let moment = try row.decode(1, as: Int64.self)
                #expect(try row.decode(2, as: Int64.self) == moment, "the analysis includes the minute's candle")
                if CandleInterval.fiveMinutes.isAligned(moment + 60_000) { onTheClose.insert(try row.decode(0, as: String.self)) }
            }
            #expect(onTheClose.count == 5, "\(onTheClose)")
            // One ingest instance holds the derivatives lease and fetches each futures symbol's
            // series; futures analyses then vote sentiment from them and record the samples used.
            let derived = await waitUntil(timeout: .seconds(60)) {
                let rows = try? await database.query("""
                    SELECT (SELECT count(DISTINCT symbol) FROM derivatives WHERE series = 'open_interest'),
                           (SELECT count(DISTINCT symbol) FROM derivatives WHERE series = 'premium'),
                           (SELECT count(*) FROM analyses WHERE market = 'futures' AND NOT ('sentiment' = ANY (missing_heads))
                                                          AND inputs ? 'funding' AND inputs ? 'open_interest')
                    """)
                let row = rows?.first
                return (try? row?.decode(0, as: Int.self)) == 3 && (try? row?.decode(1, as: Int.self)) == 3 && ((try? row?.decode(2, as: Int.self)) ?? 0) > 0
            }
            #expect(derived, "derivatives fetched and used live")
            // Nothing left unacknowledged or dead beyond what is in flight.
            #expect(try await redis.xlen("ap:jobs:dead") == 0)
            for process in processes { kill(process.pid, SIGTERM) }
        }
        try? postgres.stop()
    }
}
