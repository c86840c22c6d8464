import Contracts
import Core
import Foundation
import Postgres
import Redis
import Testing
import TestSupport

/// The drill, with every part a process of its own as in production: `alphapulse-replay` in
/// real time, `alphapulse-ingest` and `alphapulse-gateway` (its monitor sampling every second).
/// Killing ingest (SIGKILL) raises the stale-data alert of every tracked symbol and the
/// missing-heartbeat alert of ingest; restarting it resolves them all.
@Suite struct StaleDataDrillTests {
    /// fingerprint → resolved, for the unresolved and resolved rows of `rule`.
    static func alerts(_ pool: PostgresPool, rule: String) async throws -> [(fingerprint: String, resolved: Bool)] {
        try await pool.query("SELECT fingerprint, resolved_at IS NOT NULL FROM alerts WHERE rule = \(rule) ORDER BY id")
            .map { (try $0.decode(0, as: String.self), try $0.decode(1, as: Bool.self)) }
    }

    @Test func killingIngestRaisesStaleDataAndRestartingItResolvesIt() async throws {
        try await TestStores.with("drill_stale") { stores in
            let replayPort = try freePort()
            let replay = try SpawnedProcess([
                try builtExecutable("alphapulse-replay"), "serve", "--port", String(replayPort), "--synthetic-futures", "4",
                "--synthetic-spot", "3", "--seed", "11", "--synthetic-days", "1", "--start", "2026-02-02T04:00:00Z", "--speed", "1",
            ])
            defer { kill(replay.pid, SIGKILL) }
            let keys = RedisKeys(prefix: stores.prefix)
            let futures = ["BTCUSDT", "ETHUSDT"], spot = ["BTCUSDT"]
            let list = SymbolList.ranked(version: 1, refreshedAt: "2026-02-02T00:05:00Z", futures: futures, spot: spot)
            _ = try await stores.redis.set(keys.symbols, to: String(decoding: list.encoded(), as: UTF8.self))
            _ = try await stores.pool.execute("""
                INSERT INTO tracked_symbols (market, symbol, base_asset, rank, quote_volume_24h, last_price, price_change_pct) VALUES
                  ('futures', 'BTCUSDT', 'BTC', 1, 1, 1, 0), ('futures', 'ETHUSDT', 'ETH', 2, 1, 1, 0), ('spot', 'BTCUSDT', 'BTC', 1, 1, 1, 0)
                """)
            var environment = ProcessInfo.processInfo.environment
            for (key, value) in [
                "DATABASE_URL": try stores.databaseURL, "DATABASE_POOL_MIN": "1", "DATABASE_POOL_MAX": "4",
                "REDIS_URL": try TestEnvironment.redisURL(), "REDIS_PREFIX": stores.prefix,
                "BINANCE_SPOT_REST_URL": "http://127.0.0.1:\(replayPort)", "BINANCE_FUTURES_REST_URL": "http://127.0.0.1:\(replayPort)",
                "BINANCE_SPOT_WS_URL": "ws://127.0.0.1:\(replayPort)", "BINANCE_FUTURES_WS_URL": "ws://127.0.0.1:\(replayPort)/market",
                "INGEST_BACKFILL_FIRST_CANDLES": "30", "INGEST_LEASE_TTL_SECONDS": "3", "PORTS_INGEST": "0", "HEARTBEAT_INTERVAL_SECONDS": "1", "HEARTBEAT_TTL_SECONDS": "3",
                "LOG_LEVEL": "warning", "HTTP_HOST": "127.0.0.1", "PORTS_GATEWAY": String(try freePort()), "GATEWAY_AUTH": "off",
                "GATEWAY_EXPECTED_SERVICES": "ingest,gateway", "METRICS_INTERVAL_SECONDS": "1",
                "ALERTS_STALE_DATA_RAISE_SECONDS": "10", "ALERTS_STALE_DATA_CLEAR_SECONDS": "5", "ALERTS_HEARTBEAT_MISSING_FOR_SECONDS": "1",
            ] {
                environment["ALPHAPULSE_" + key] = value
            }
            func spawn(_ service: String, instance: String) throws -> SpawnedProcess {
                var env = environment
                env["ALPHAPULSE_INSTANCE_ID"] = instance
                return try SpawnedProcess([try builtExecutable("alphapulse-\(service)"), "serve"], environment: env)
            }
            var ingest = try spawn("ingest", instance: "ingest-a")
            defer { kill(ingest.pid, SIGKILL) }
            // Every tracked symbol's latest kline is in Redis before the monitor starts judging.
            let tracked = futures.map { (Market.futures, $0) } + spot.map { (Market.spot, $0) }
            let redis = stores.redis
            #expect(await waitUntil(timeout: .seconds(120)) {
                for (market, symbol) in tracked where (try? await redis.hget(keys.kline(market, symbol), field: "E")) == nil { return false }
                return true
            }, "ingest never wrote every symbol's kline: \(ingest.outputSoFar.suffix(2_000))")
            let gateway = try spawn("gateway", instance: "gateway-a")
            defer { kill(gateway.pid, SIGKILL) }
            let fingerprints = Set(tracked.map { "stale_data:\($0.0.rawValue):\($0.1)" })
            let pool = stores.pool
            // The monitor samples; while klines flow, no stale-data alert stays raised.
            #expect(await waitUntil(timeout: .seconds(120)) { ((try? await redis.llen(keys.metricsHistory)) ?? 0) >= 3 },
                    "the monitor never sampled: \(gateway.outputSoFar.suffix(2_000))")
            #expect(await waitUntil(timeout: .seconds(120)) {
                (try? await Self.alerts(pool, rule: "stale_data").allSatisfy(\.resolved)) == true
            })

            kill(ingest.pid, SIGKILL)
            #expect(await ingest.exit(within: .seconds(10))?.status == 128 + SIGKILL)
            #expect(await waitUntil(timeout: .seconds(120)) {
                let firing = Set(((try? await Self.alerts(pool, rule: "stale_data")) ?? []).filter { !$0.resolved }.map(\.fingerprint))
                return firing == fingerprints
            }, "stale-data alerts not raised: \(gateway.outputSoFar.suffix(2_000))")
            #expect(await waitUntil(timeout: .seconds(120)) {
                (try? await Self.alerts(pool, rule: "heartbeat_missing").contains { $0.fingerprint == "heartbeat_missing:ingest" && !$0.resolved }) == true
            })

            ingest = try spawn("ingest", instance: "ingest-a")
            #expect(await waitUntil(timeout: .seconds(120)) {
                guard let rows = try? await Self.alerts(pool, rule: "stale_data") else { return false }
                return !rows.isEmpty && rows.allSatisfy(\.resolved)
            }, "stale-data alerts not resolved: \(gateway.outputSoFar.suffix(2_000))")
            #expect(await waitUntil(timeout: .seconds(120)) {
                (try? await Self.alerts(pool, rule: "heartbeat_missing").allSatisfy(\.resolved)) == true
            })
            // One row per episode: the unique index kept every raise single.
            let rows = try await Self.alerts(pool, rule: "stale_data")
            #expect(Set(rows.map(\.fingerprint)) == fingerprints)
            kill(gateway.pid, SIGTERM)
            #expect(await gateway.exit(within: .seconds(30)) != nil)
        }
    }
}
