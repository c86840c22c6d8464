import Contracts
import Foundation
@testable import Gateway
import Redis
import Testing
import TestSupport

/// `/api/v1/metrics` from heartbeats, streams and tables, and the health score's formula.
@Suite struct GatewayMetricsTests {
    @Test func theSuitesFiguresAndScoreComeFromWhatServicesPublish() async throws {
        let settings = ["gateway.expected_services": "gateway,ingest,inference,scheduler", "heartbeat.interval_seconds": "1"]
        try await GatewayHarness.with("gw_metrics_figures", settings: settings) { gateway in
            let key = try await gateway.keys.create(name: "ops", scope: .read)
            let redis = gateway.stores.redis
            let keys = RedisKeys(prefix: gateway.stores.prefix)
            _ = try await gateway.stores.pool.execute("""
                INSERT INTO tracked_symbols (market, symbol, base_asset, rank, quote_volume_24h, last_price, price_change_pct) VALUES
                  ('futures', 'BTCUSDT', 'BTC', 1, 1, 1, 0), ('futures', 'ETHUSDT', 'ETH', 2, 1, 1, 0)
                """)
            let now: Int64 = 1_767_225_700_000
            _ = try await redis.hset(keys.kline(.futures, "BTCUSDT"), fields: [("E", String(now))])
            _ = try await redis.hset(keys.kline(.futures, "ETHUSDT"), fields: [("E", String(now - 600_000))])
            func beat(_ service: String, _ instance: String, _ fields: [(String, String)]) async throws {
                let name = keys.health(service, instance)
                _ = try await redis.hset(name, fields: [
                    (SchemaVersion.field, "2"), (HeartbeatField.service, service), (HeartbeatField.instance, instance),
                    (HeartbeatField.status, "ready"), (HeartbeatField.restarts, "1"), (HeartbeatField.cpuPercent, "12.5"),
                    (HeartbeatField.rssBytes, "1000"),
                ] + fields)
                _ = try await redis.pexpire(name, after: .seconds(60))
            }
            try await beat("ingest", "a", [
                ("frames_per_second", "40.5"), ("closed_candles_per_second", "0.5"), (HeartbeatField.persisterLag, "3000"),
                (HeartbeatField.binance429, "2"),
                ("connections", #"[{"id":1,"market":"futures","streams":4,"frames":9,"reconnects":0,"connected_since":1},{"id":2,"market":"spot","streams":2,"frames":1,"reconnects":3}]"#),
            ])
            try await beat("inference", "b", [("jobs_per_second", "7.25"), ("analysed", "100"), ("signals", "3"),
                                              ("latency_p50_ms", "12.5"), ("latency_p99_ms", "80.0")])
            try await beat("inference", "c", [("jobs_per_second", "1"), ("latency_p50_ms", "20.0"), ("latency_p99_ms", "40.0")])
            _ = try await redis.xgroupCreate(keys.jobs, group: RedisKeys.Group.inference, startID: "0")
            for n in 0..<250 { _ = try await redis.xadd(keys.jobs, fields: [("n", String(n))]) }
            _ = try await redis.xadd(keys.candlesDead, fields: [("reason", "test")])

            // The gateway's own heartbeat says ready once its checks pass.
            func gatewayReady(_ body: [String: Any]) -> Bool {
                (body["services"] as? [[String: Any]])?.first { $0["service"] as? String == "gateway" }?["ready"] as? Int == 1
            }
            #expect(await waitUntil { gatewayReady((try? await gateway.get("/api/v1/metrics", key: key).object) ?? [:]) })
            let answer = try await gateway.get("/api/v1/metrics", key: key)
            #expect(answer.status == 200)
            let body = answer.object
            let ingest = try #require(body["ingest"] as? [String: Any])
            #expect(ingest["frames_per_second"] as? Double == 40.5 && ingest["persister_lag"] as? Int == 3000)
            #expect(ingest["connections"] as? Int == 2 && ingest["connected"] as? Int == 1)
            #expect(ingest["tracked_symbols"] as? Int == 2 && ingest["stale_symbols"] as? Int == 1)
            let inference = try #require(body["inference"] as? [String: Any])
            #expect(inference["jobs_per_second"] as? Double == 8.25)
            // The slowest instance's figures.
            #expect(inference["latency_p50_ms"] as? Double == 20.0 && inference["latency_p99_ms"] as? Double == 80.0)
            #expect(((body["jobs"] as? [String: Any])?["routine"] as? [String: Any])?["lag"] as? Int == 250)
            #expect((body["dead_letters"] as? [String: Any])?["candles"] as? Int == 1)
            #expect((body["binance"] as? [String: Any])?["rate_limited"] as? Int == 2)
            let services = try #require(body["services"] as? [[String: Any]])
            let scheduler = try #require(services.first { $0["service"] as? String == "scheduler" })
            #expect(scheduler["expected"] as? Bool == true && scheduler["instances"] as? Int == 0)
            #expect(services.first { $0["service"] as? String == "ingest" }?["ready"] as? Int == 1)
            // 100 − 25 (scheduler down) − 15 (half the symbols stale) − 10 (one of two connections down)
            //     − 3 (3,000 behind in the persister) − 2.5 (250 jobs waiting) = 44.5 → 45 (rounded)
            #expect(body["score"] as? Int == 45)
        }
    }

    @Test func theScoreIsFlooredAtZeroAndFullWhenAllIsWell() {
        let ingest = SuiteMetrics.Ingest(framesPerSecond: 1, candlesPerSecond: 1, persisterLag: 0, connections: 2, connected: 2, trackedSymbols: 10, staleSymbols: 0)
        let up = SuiteMetrics.ServiceFigures(service: "ingest", expected: true, instances: 1, ready: 1, restarts: 0, cpuPercent: 1, rssBytes: 1)
        #expect(SuiteMetrics.score(services: [up], ingest: ingest, jobLag: 0) == 100)
        var down = up
        down.ready = 0
        let broken = SuiteMetrics.Ingest(framesPerSecond: 0, candlesPerSecond: 0, persisterLag: 1_000_000, connections: 2, connected: 0, trackedSymbols: 10, staleSymbols: 10)
        #expect(SuiteMetrics.score(services: Array(repeating: down, count: 5), ingest: broken, jobLag: 1_000_000) == 0)
    }
}
