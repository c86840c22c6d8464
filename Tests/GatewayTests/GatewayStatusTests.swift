import Contracts
import Core
import Foundation
import Gateway
import Redis
import Testing
import TestSupport

/// `/api/v1/scheduler/status` and `/api/v1/websocket/status`, from what the scheduler and
/// ingest write to Redis.
@Suite struct GatewayStatusTests {
    @Test func schedulerStatusShowsTheLeaderItsPositionAndTheQueues() async throws {
        try await GatewayHarness.with("gw_scheduler_status") { gateway in
            let key = try await gateway.keys.create(name: "ui", scope: .read)
            let redis = gateway.stores.redis
            let keys = RedisKeys(prefix: gateway.stores.prefix)

            let empty = try await gateway.get("/api/v1/scheduler/status", key: key)
            #expect(empty.status == 200)
            #expect(empty.object["status"] is NSNull, "no scheduler has written yet")
            #expect((empty.object["lease"] as? [String: Any])?["holder"] is NSNull)

            let status = SchedulerStatus(
                leader: "sched-a", mode: "both", symbols: 100, position: "futures:ETHUSDT", cycle: 3, exchangeTime: 1_767_225_660_000,
                nextBatch: 1_767_225_720_000, enqueued: 310, coalesced: 7, skipped: 1, fenced: 0, updated: 1_767_225_661_000)
            _ = try await redis.hset(keys.schedulerStatus, fields: status.fields)
            _ = try await redis.set(keys.schedulerLease, to: "sched-a-0123abcd", expiry: .milliseconds(9_000))
            _ = try await redis.xgroupCreate(keys.jobs, group: RedisKeys.Group.inference, startID: "0")
            for n in 0..<3 { _ = try await redis.xadd(keys.jobs, fields: [("n", String(n))]) }
            _ = try await redis.xreadgroup(group: RedisKeys.Group.inference, consumer: "inf-1", streams: [keys.jobs], count: 1)
            _ = try await redis.xadd(keys.jobsDead, fields: [("reason", "test")])

            let body = try await gateway.get("/api/v1/scheduler/status", key: key).object
            let lease = try #require(body["lease"] as? [String: Any])
            #expect(lease["holder"] as? String == "sched-a" && (lease["ttl_ms"] as? Int ?? 0) > 0)
            let written = try #require(body["status"] as? [String: Any])
            #expect(written["leader"] as? String == "sched-a" && written["mode"] as? String == "both" && written["position"] as? String == "futures:ETHUSDT")
            #expect(written["coalesced"] as? Int == 7 && written["exchange_time"] as? Int64 == 1_767_225_660_000)
            let queues = try #require(body["queues"] as? [String: Any])
            let jobs = try #require(queues["jobs"] as? [String: Any])
            #expect(jobs["length"] as? Int == 3 && jobs["pending"] as? Int == 1 && jobs["lag"] as? Int == 2 && jobs["consumers"] as? Int == 1)
            #expect((queues["jobs_now"] as? [String: Any])?["length"] as? Int == 0 && queues["dead_letters"] as? Int == 1)
        }
    }

    @Test func websocketStatusShowsConnectionsAndStaleSymbols() async throws {
        try await GatewayHarness.with("gw_websocket_status") { gateway in
            let key = try await gateway.keys.create(name: "ui", scope: .read)
            let redis = gateway.stores.redis
            let keys = RedisKeys(prefix: gateway.stores.prefix)
            _ = try await gateway.stores.pool.execute("""
                INSERT INTO tracked_symbols (market, symbol, base_asset, rank, quote_volume_24h, last_price, price_change_pct) VALUES
                  ('futures', 'BTCUSDT', 'BTC', 1, 1, 1, 0), ('futures', 'ETHUSDT', 'ETH', 2, 1, 1, 0), ('spot', 'SOLUSDT', 'SOL', 1, 1, 1, 0)
                """)
            let connections = """
                [{"id":1,"market":"futures","streams":4,"frames":1200,"reconnects":2,"connected_since":1767225600000,"last_frame_age_ms":150},
                 {"id":"spot-0","market":"spot","streams":2,"frames":10,"reconnects":1,"last_error":"connection reset"}]
                """
            _ = try await redis.hset(keys.health("ingest", "ingest-1"), fields: [
                ("_v", "2"), ("service", "ingest"), ("instance", "ingest-1"), ("status", "ready"), ("connections", connections),
                ("frames_per_second", "40.5"), ("symbols_futures", "2"), ("symbols_spot", "1"),
            ])
            _ = try await redis.pexpire(keys.health("ingest", "ingest-1"), after: .seconds(60))
            let now: Int64 = 1_767_225_700_000
            _ = try await redis.hset(keys.kline(.futures, "BTCUSDT"), fields: [("E", String(now))])
            _ = try await redis.hset(keys.kline(.futures, "ETHUSDT"), fields: [("E", String(now - 600_000))])

            let body = try await gateway.get("/api/v1/websocket/status", key: key).object
            #expect(body["connections"] as? Int == 2 && body["connected"] as? Int == 1 && body["streams"] as? Int == 6 && body["reconnects"] as? Int == 3)
            #expect(body["exchange_time"] as? Int64 == now && body["stale_symbols"] as? Int == 2)
            let instances = try #require(body["instances"] as? [[String: Any]])
            #expect(instances.count == 1 && instances[0]["instance"] as? String == "ingest-1" && instances[0]["frames_per_second"] as? Double == 40.5)
            let both = try #require(instances[0]["connections"] as? [[String: Any]])
            #expect(both.compactMap { $0["id"] as? String } == ["1", "spot-0"], "ingest numbers its connections")
            let spot = try #require(both.last)
            #expect(spot["connected_since"] is NSNull && spot["last_error"] as? String == "connection reset")
            let symbols = try #require(body["symbols"] as? [[String: Any]])
            let freshness = Dictionary(uniqueKeysWithValues: symbols.map { ("\($0["market"] ?? ""):\($0["symbol"] ?? "")", $0) })
            #expect(freshness["futures:BTCUSDT"]?["stale"] as? Bool == false && freshness["futures:BTCUSDT"]?["behind_ms"] as? Int == 0)
            #expect(freshness["futures:ETHUSDT"]?["stale"] as? Bool == true && freshness["futures:ETHUSDT"]?["behind_ms"] as? Int == 600_000)
            #expect(freshness["spot:SOLUSDT"]?["stale"] as? Bool == true && freshness["spot:SOLUSDT"]?["last_event_time"] is NSNull, "never seen")
        }
    }
}
