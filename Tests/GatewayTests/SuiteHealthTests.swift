import Contracts
import Foundation
import Gateway
import Redis
import Testing
import TestSupport

/// `/health` over the heartbeats in Redis.
@Suite struct SuiteHealthTests {
    @Test func theSuitesHealthFollowsTheHeartbeats() async throws {
        let settings = [
            "gateway.expected_services": "gateway,ingest", "heartbeat.interval_seconds": "2", "heartbeat.ttl_seconds": "60",
        ]
        try await GatewayHarness.with("gw_health", settings: settings) { gateway in
            let redis = gateway.stores.redis
            let keys = RedisKeys(prefix: gateway.stores.prefix)
            func health() async throws -> (Int, String, [String: [[String: Any]]]) {
                let answer = try await gateway.call("/health", headers: [:])
                #expect(answer.contentType == "application/health+json")
                return (answer.status, answer.object["status"] as? String ?? "", answer.object["checks"] as? [String: [[String: Any]]] ?? [:])
            }
            // Only the gateway beats: the expected ingest is down, so the suite fails.
            #expect(await waitUntil {
                let checks = (try? await health())?.2 ?? [:]
                return checks["gateway"]?.first?["status"] as? String == "pass"
            })
            var (status, overall, checks) = try await health()
            #expect(status == 503 && overall == "fail")
            #expect(checks["ingest"]?.first?["status"] as? String == "fail" && checks["ingest"]?.first?["ready"] as? Bool == false)
            #expect(checks["gateway"]?.first?["componentId"] as? String == "gateway-test")

            // An ingest instance beats: pass, with its restarts and stats.
            let key = keys.health("ingest", "host-a")
            try await redis.hset(key, fields: [
                (SchemaVersion.field, "2"), (HeartbeatField.service, "ingest"), (HeartbeatField.instance, "host-a"),
                (HeartbeatField.status, "ready"), (HeartbeatField.restarts, "2"), (HeartbeatField.persisterLag, "7"),
                (HeartbeatField.updatedAt, "2026-12-06T12:00:00Z"),
            ])
            try await redis.pexpire(key, after: .seconds(60))
            (status, overall, checks) = try await health()
            #expect(status == 200 && overall == "pass")
            let ingest = try #require(checks["ingest"]?.first)
            #expect(ingest["componentId"] as? String == "host-a" && ingest["restarts"] as? Int == 2 && ingest["ready"] as? Bool == true)
            #expect((ingest["stats"] as? [String: String])?["persister_lag"] == "7")
            // Late is more than two intervals and a second (5 s) behind: far from a fresh beat, even on a stalled machine.
            #expect((ingest["lastSeenMilliseconds"] as? Int ?? -1) < 5_000)

            // Degraded: warn, still 200.
            try await redis.hset(key, fields: [(HeartbeatField.status, "degraded"), (HeartbeatField.degraded, "binance: 429")])
            (status, overall, checks) = try await health()
            #expect(status == 200 && overall == "warn")
            #expect((checks["ingest"]?.first?["output"] as? String)?.contains("binance: 429") == true)

            // Ready but late: judged from the key's remaining TTL, not the writer's clock.
            try await redis.hset(key, fields: [(HeartbeatField.status, "ready")])
            try await redis.pexpire(key, after: .seconds(30))
            (status, overall, checks) = try await health()
            #expect(status == 200 && overall == "warn" && checks["ingest"]?.first?["status"] as? String == "warn")

            // Gone: fail again.
            _ = try await redis.delete(keys: [key])
            (status, overall, _) = try await health()
            #expect(status == 503 && overall == "fail")
        }
    }
}
