import Contracts
import Foundation
import Gateway
import Redis
import Testing
import TestSupport

/// Per-key rate limits shared by every gateway through Redis, and CORS for browser pages.
@Suite struct GatewayLimitTests {
    /// A bucket of three that barely refills: two gateways together allow three requests of
    /// one key, the fourth is a 429 with Retry-After whichever gateway it reaches; another key
    /// has its own bucket; once Redis's clock has moved on (the bucket's stamp moved back
    /// here) the key may send again.
    @Test func twoGatewaysEnforceOneLimitPerKey() async throws {
        let settings = ["gateway.rate_limit_per_second": "0.01", "gateway.rate_limit_burst": "3"]
        try await GatewayHarness.with("gw_limits", settings: settings, gateways: 2) { gateway in
            let key = try await gateway.keys.create(name: "greedy", scope: .read)
            let other = try await gateway.keys.create(name: "polite", scope: .read)
            let second = gateway.on(try #require(gateway.others.first))

            let first = try await gateway.get("/api/v1/version", key: key)
            #expect(first.status == 200 && first.headers["x-ratelimit-limit"] == "3" && first.headers["x-ratelimit-remaining"] == "2")
            #expect(try await second.get("/api/v1/version", key: key).status == 200)
            #expect(try await gateway.get("/api/v1/version", key: key).headers["x-ratelimit-remaining"] == "0")
            let limited = try await second.get("/api/v1/version", key: key)
            #expect(limited.status == 429 && limited.contentType == "application/problem+json")
            let retryAfter = try #require(Int(limited.headers["retry-after"] ?? ""))
            #expect(retryAfter > 60 && retryAfter <= 100, "one token at 0.01 per second is about 100 s away")
            #expect(try await gateway.get("/api/v1/version", key: key).status == 429)
            #expect(try await gateway.get("/api/v1/version", key: other).status == 200, "each key has its own bucket")
            #expect(try await gateway.call("/healthz", headers: [:]).status == 200, "public paths are not limited")

            // 200 s of Redis time later the bucket holds two tokens again.
            let bucket = RedisKeys(prefix: gateway.stores.prefix).rateLimit(key.prefix)
            let stamp = try #require(Double(try await gateway.stores.redis.hget(bucket, field: "at") ?? ""))
            _ = try await gateway.stores.redis.hset(bucket, fields: [("at", String(Int64(stamp) - 200_000))])
            #expect(try await second.get("/api/v1/version", key: key).status == 200)
        }
    }

    @Test func browsersOfConfiguredOriginsMayCallTheAPI() async throws {
        try await GatewayHarness.with("gw_cors", settings: ["gateway.cors_origins": "https://ui.example"]) { gateway in
            let key = try await gateway.keys.create(name: "ui", scope: .read)
            // The preflight carries no key and is answered before authentication.
            let preflight = try await gateway.call("OPTIONS", "/api/v1/symbols", headers: [
                "Origin": "https://ui.example", "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "authorization",
            ])
            #expect(preflight.status == 204 && preflight.headers["access-control-allow-origin"] == "https://ui.example")
            #expect(preflight.headers["access-control-allow-headers"]?.contains("Authorization") == true)
            let answer = try await gateway.call("/api/v1/version", headers: ["Origin": "https://ui.example", "Authorization": "Bearer \(key.text)"])
            #expect(answer.status == 200 && answer.headers["access-control-allow-origin"] == "https://ui.example")
            let refused = try await gateway.call("/api/v1/version", headers: ["Origin": "https://ui.example"])
            #expect(refused.status == 401 && refused.headers["access-control-allow-origin"] == "https://ui.example", "the page may read the 401")
            // Another origin gets no CORS headers, and its preflight is not let past authentication.
            let foreign = try await gateway.call("/api/v1/version", headers: ["Origin": "https://evil.example", "Authorization": "Bearer \(key.text)"])
            #expect(foreign.headers["access-control-allow-origin"] == nil)
            let foreignPreflight = try await gateway.call("OPTIONS", "/api/v1/symbols", headers: [
                "Origin": "https://evil.example", "Access-Control-Request-Method": "GET",
            ])
            #expect(foreignPreflight.status == 401 && foreignPreflight.headers["access-control-allow-origin"] == nil)
        }
    }
}
