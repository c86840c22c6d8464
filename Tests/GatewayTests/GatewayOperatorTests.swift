import Contracts
import Foundation
@testable import Gateway
import Redis
import Testing
import TestSupport

/// The operators' endpoints: `/api/v1/alerts` (list, filter, pages, acknowledging with an
/// admin key), `/api/v1/metrics/history` and `POST /api/v1/symbols/refresh`.
@Suite struct GatewayOperatorTests {
    @Test func alertsAreListedFilteredPagedAndAcknowledgedByAdminsOnly() async throws {
        try await GatewayHarness.with("gw_alerts") { gateway in
            let reader = try await gateway.keys.create(name: "reader", scope: .read)
            let admin = try await gateway.keys.create(name: "ops", scope: .admin)
            _ = try await gateway.stores.pool.execute("""
                INSERT INTO alerts (created_at, severity, source, kind, rule, subject, fingerprint, message, value, resolved_at) VALUES
                  (to_timestamp(1767225600), 'warning', 'monitor', 'job_lag', 'job_lag', 'jobs', 'job_lag:jobs', '2500 routine jobs not yet analysed', 2500, to_timestamp(1767225900)),
                  (to_timestamp(1767226000), 'critical', 'monitor', 'heartbeat_missing', 'heartbeat_missing', 'ingest', 'heartbeat_missing:ingest', 'no live heartbeat from ingest', 1, NULL),
                  (to_timestamp(1767226100), 'warning', 'monitor', 'stale_data', 'stale_data', 'futures:BTCUSDT', 'stale_data:futures:BTCUSDT', 'no kline', 240, NULL)
                """)
            let all = try await gateway.get("/api/v1/alerts", key: reader)
            #expect(all.status == 200)
            let alerts = try #require(all.object["alerts"] as? [[String: Any]])
            #expect(alerts.compactMap { $0["fingerprint"] as? String } == ["stale_data:futures:BTCUSDT", "heartbeat_missing:ingest", "job_lag:jobs"])
            #expect(alerts.last?["state"] as? String == "resolved" && alerts.last?["resolved_at"] as? Int == 1_767_225_900_000)
            #expect(alerts.first?["severity"] as? String == "warning" && alerts.first?["acknowledged_at"] is NSNull)

            let firing = try await gateway.get("/api/v1/alerts?state=firing&limit=1", key: reader)
            let page = try #require(firing.object["alerts"] as? [[String: Any]])
            #expect(page.map { $0["rule"] as? String } == ["stale_data"])
            let next = try #require(firing.object["next_before"] as? Int)
            let rest = try await gateway.get("/api/v1/alerts?state=firing&before=\(next)", key: reader)
            #expect((rest.object["alerts"] as? [[String: Any]])?.map { $0["rule"] as? String } == ["heartbeat_missing"])
            #expect(rest.object["next_before"] is NSNull)
            #expect(try await gateway.get("/api/v1/alerts?state=open", key: reader).problem.parameter == "state")

            let id = try #require(page.first?["id"] as? Int)
            let auth = { (key: APIKey) in ["Authorization": "Bearer \(key.text)"] }
            #expect(try await gateway.call("POST", "/api/v1/alerts/\(id)/ack", headers: auth(reader)).status == 403)
            let acknowledged = try await gateway.call("POST", "/api/v1/alerts/\(id)/ack", headers: auth(admin))
            #expect(acknowledged.status == 200)
            let first = try #require(acknowledged.object["acknowledged_at"] as? Int)
            // Acknowledging again keeps the first time.
            let again = try await gateway.call("POST", "/api/v1/alerts/\(id)/ack", headers: auth(admin))
            #expect(again.object["acknowledged_at"] as? Int == first)
            #expect(try await gateway.call("POST", "/api/v1/alerts/999999/ack", headers: auth(admin)).status == 404)
            #expect(try await gateway.call("POST", "/api/v1/alerts/x/ack", headers: auth(admin)).problem.parameter == "id")
        }
    }

    @Test func metricsHistoryServesTheNewestSamplesOldestFirstAndSkipsGarbage() async throws {
        try await GatewayHarness.with("gw_metrics_history") { gateway in
            let key = try await gateway.keys.create(name: "reader", scope: .read)
            let keys = RedisKeys(prefix: gateway.stores.prefix)
            _ = try await gateway.stores.redis.rpush(keys.metricsHistory, values: [
                #"{"time":1,"score":100}"#, "not json", #"{"time":2,"score":90}"#, #"{"time":3,"score":80}"#,
            ])
            let answer = try await gateway.get("/api/v1/metrics/history?limit=3", key: key)
            #expect(answer.status == 200)
            #expect((answer.object["points"] as? [[String: Any]])?.compactMap { $0["time"] as? Int } == [2, 3])
            let everything = try await gateway.get("/api/v1/metrics/history", key: key)
            #expect((everything.object["points"] as? [[String: Any]])?.compactMap { $0["score"] as? Int } == [100, 90, 80])
            #expect(try await gateway.get("/api/v1/metrics/history?limit=0", key: key).problem.parameter == "limit")
        }
    }

    @Test func aSymbolRefreshIsRequestedByAdminKeysOnly() async throws {
        try await GatewayHarness.with("gw_symbols_refresh") { gateway in
            let reader = try await gateway.keys.create(name: "reader", scope: .read)
            let admin = try await gateway.keys.create(name: "ops", scope: .admin)
            let keys = RedisKeys(prefix: gateway.stores.prefix)
            let refused = try await gateway.call("POST", "/api/v1/symbols/refresh", headers: ["Authorization": "Bearer \(reader.text)"])
            #expect(refused.status == 403)
            #expect(try await gateway.stores.redis.get(keys.symbolsRefresh) == nil)
            let accepted = try await gateway.call("POST", "/api/v1/symbols/refresh", headers: ["X-API-Key": admin.text])
            #expect(accepted.status == 202 && accepted.object["requested"] as? Bool == true)
            let at = try #require(accepted.object["requested_at"] as? Int)
            // What the symbols service takes with GETDEL (SymbolCache.takeRefreshRequest), expiring on its own.
            #expect(try await gateway.stores.redis.get(keys.symbolsRefresh) == String(at))
            guard case .expires(let ttl) = try await gateway.stores.redis.pttl(keys.symbolsRefresh) else {
                Issue.record("the refresh request has no expiry")
                return
            }
            #expect(ttl > .zero && ttl <= .seconds(3600))
        }
    }
}
