import CandleStore
import Core
import Foundation
import Gateway
import Postgres
import Testing
import TestSupport

/// The gateway over real PostgreSQL: access by API key and scope, the REST endpoints, errors
/// as problem+json.
@Suite struct GatewayAPITests {
    @Test func accessNeedsAValidKeyOfTheRightScope() async throws {
        try await GatewayHarness.with("gw_access") { gateway in
            let read = try await gateway.keys.create(name: "dashboard", scope: .read)
            let admin = try await gateway.keys.create(name: "operator", scope: .admin)

            // Public paths.
            #expect(try await gateway.call("/healthz", headers: [:]).status == 200)
            #expect(try await gateway.call("/metrics", headers: [:]).status == 200, "public on a loopback bind")

            // No key, a made-up key of the right shape, a malformed key, a key in the query string.
            let missing = try await gateway.call("/api/v1/version", headers: [:])
            #expect(missing.status == 401 && missing.contentType == "application/problem+json")
            #expect(missing.headers["www-authenticate"] == "Bearer")
            #expect(missing.problem.status == 401)
            #expect(try await gateway.get("/api/v1/version", key: APIKey.generate()).status == 401)
            #expect(try await gateway.call("/api/v1/version", headers: ["X-API-Key": "apk_nonsense"]).status == 401)
            #expect(try await gateway.call("/api/v1/version?api_key=\(read.text)", headers: [:]).status == 401)
            // A real prefix with a wrong secret.
            let forged = try #require(APIKey("apk_\(read.prefix)_" + String(repeating: "0", count: 64)))
            #expect(try await gateway.get("/api/v1/version", key: forged).status == 401)

            // Bearer and X-API-Key both work.
            let version = try await gateway.get("/api/v1/version", key: read)
            #expect(version.status == 200 && version.contentType == "application/json")
            #expect(version.object["version"] as? String == AlphaPulseVersion.current)
            #expect((version.object["schema"] as? Int ?? 0) >= 7)
            #expect(try await gateway.call("/api/v1/version", headers: ["X-API-Key": read.text]).status == 200)

            // Writes need admin: a read key is refused before routing, an admin key reaches the router.
            let denied = try await gateway.call("POST", "/api/v1/version", headers: ["Authorization": "Bearer \(read.text)"])
            #expect(denied.status == 403 && denied.contentType == "application/problem+json")
            let wrongMethod = try await gateway.call("POST", "/api/v1/version", headers: ["Authorization": "Bearer \(admin.text)"])
            #expect(wrongMethod.status == 405 && wrongMethod.contentType == "application/problem+json")

            // Revocation takes effect on the next request.
            try await gateway.keys.revoke(prefix: read.prefix)
            #expect(try await gateway.get("/api/v1/version", key: read).status == 401)
            #expect(try await gateway.get("/api/v1/version", key: admin).status == 200)
            let listed = try await gateway.keys.list()
            #expect(listed.map(\.name) == ["dashboard", "operator"] && listed[0].revokedAt != nil && listed[1].revokedAt == nil)
            // The table holds hashes only.
            let stored = try await gateway.stores.pool.query("SELECT prefix || hash FROM api_keys").map { try $0.decode(0, as: String.self) }
            #expect(!stored.contains { $0.contains(String(read.text.suffix(64))) || $0.contains(String(admin.text.suffix(64))) })
        }
    }

    @Test func metricsNeedAKeyWhenConfiguredSo() async throws {
        try await GatewayHarness.with("gw_metrics", settings: ["gateway.metrics_auth": "on"]) { gateway in
            #expect(try await gateway.call("/metrics", headers: [:]).status == 401)
            let key = try await gateway.keys.create(name: "prometheus", scope: .read)
            #expect(try await gateway.get("/metrics", key: key).status == 200)
        }
    }

    @Test func symbolsAndTheirHistory() async throws {
        try await GatewayHarness.with("gw_symbols") { gateway in
            let key = try await gateway.keys.create(name: "t", scope: .read)
            _ = try await gateway.stores.pool.execute("""
                INSERT INTO tracked_symbols (market, symbol, base_asset, rank, quote_volume_24h, last_price, price_change_pct, is_active) VALUES
                  ('futures', 'BTCUSDT', 'BTC', 1, 12345678901.25, 97000.10, -1.50, true),
                  ('futures', 'ETHUSDT', 'ETH', 2, 2345678901.5, 3100.5, 2.25, true),
                  ('spot', 'SOLUSDT', 'SOL', 1, 99.000000001, 180.123, 0, true),
                  ('spot', 'OLDUSDT', 'OLD', 2, 1, 1, 0, false)
                """)
            _ = try await gateway.stores.pool.execute("""
                INSERT INTO symbol_list_versions (version, changed_at, added, removed) VALUES
                  (1, timestamptz 'epoch' + interval '1000 seconds', '[{"market":"futures","symbol":"BTCUSDT"},{"market":"spot","symbol":"OLDUSDT"}]', '[]'),
                  (2, timestamptz 'epoch' + interval '2000 seconds', '[{"market":"futures","symbol":"ETHUSDT"}]', '[]'),
                  (3, timestamptz 'epoch' + interval '3000 seconds', '[{"market":"spot","symbol":"SOLUSDT"}]', '[{"market":"spot","symbol":"OLDUSDT"}]')
                """)
            let all = try await gateway.get("/api/v1/symbols", key: key).object
            #expect(all["version"] as? Int == 3 && all["count"] as? Int == 3)
            let symbols = try #require(all["symbols"] as? [[String: Any]])
            #expect(symbols.map { "\($0["market"]!):\($0["symbol"]!)" } == ["futures:BTCUSDT", "futures:ETHUSDT", "spot:SOLUSDT"])
            // Exact decimals, as stored.
            #expect(symbols[0]["quote_volume_24h"] as? String == "12345678901.25" && symbols[2]["quote_volume_24h"] as? String == "99.000000001")
            #expect(symbols[0]["last_price"] as? String == "97000.10" && symbols[0]["rank"] as? Int == 1 && symbols[0]["base_asset"] as? String == "BTC")

            let spot = try await gateway.get("/api/v1/symbols?market=spot", key: key).object["symbols"] as? [[String: Any]]
            #expect(spot?.map { $0["symbol"] as? String } == ["SOLUSDT"])
            let bad = try await gateway.get("/api/v1/symbols?market=options", key: key)
            #expect(bad.status == 400 && bad.problem.parameter == "market" && bad.contentType == "application/problem+json")
            #expect(try await gateway.get("/api/v1/symbols?market=spot&market=futures", key: key).problem.parameter == "market")

            // History, newest first, paged.
            let first = try await gateway.get("/api/v1/symbols/history?limit=2", key: key).object
            let versions = try #require(first["versions"] as? [[String: Any]])
            #expect(versions.map { $0["version"] as? Int } == [3, 2] && first["next_before"] as? Int == 2)
            #expect(versions[0]["changed_at"] as? Int == 3_000_000)
            let removed = try #require(versions[0]["removed"] as? [[String: Any]])
            #expect(removed.first?["symbol"] as? String == "OLDUSDT" && removed.first?["market"] as? String == "spot")
            let last = try await gateway.get("/api/v1/symbols/history?limit=2&before=2", key: key).object
            #expect((last["versions"] as? [[String: Any]])?.map { $0["version"] as? Int } == [1] && last["next_before"] is NSNull)
            #expect(try await gateway.get("/api/v1/symbols/history?limit=0", key: key).problem.parameter == "limit")
            #expect(try await gateway.get("/api/v1/symbols/history?before=x", key: key).problem.parameter == "before")
        }
    }

    @Test func candlesArePagedExactlyAndBadRequestsNameTheirParameter() async throws {
        try await GatewayHarness.with("gw_candles") { gateway in
            let key = try await gateway.keys.create(name: "t", scope: .read)
            let t0: Int64 = 1_769_904_000_000  // 2026-02-01 00:00 UTC
            let rows = (0..<12).map { index in
                CandleRow(market: .futures, symbol: "LINKUSDT", openTime: t0 + Int64(index) * 60_000, closeTime: t0 + Int64(index) * 60_000 + 59_999,
                          open: "10.\(100 + index)", high: "10.9", low: "9.9", close: "10.\(200 + index)", volume: "1000.5", quoteVolume: "10100.25",
                          trades: Int64(10 + index), takerBuyVolume: "500.25", takerBuyQuoteVolume: "5050.125", source: .ws)
            }
            _ = try await CandleStore(postgres: gateway.stores.pool).upsert(rows)

            var seen: [[String: Any]] = []
            var from: Int64? = t0
            var pages = 0
            while let start = from {
                let page = try await gateway.get("/api/v1/candles/futures/LINKUSDT?interval=1m&limit=5&from=\(start)", key: key)
                #expect(page.status == 200)
                let body = page.object
                seen += body["candles"] as? [[String: Any]] ?? []
                from = (body["next_from"] as? NSNumber)?.int64Value
                pages += 1
                if pages > 5 { break }
            }
            #expect(pages == 3 && seen.count == 12)
            #expect(seen.map { ($0["open_time"] as? NSNumber)?.int64Value } == rows.map(\.openTime))
            #expect(seen.map { $0["close"] as? String } == rows.map(\.close))
            #expect(seen[3]["taker_buy_quote_volume"] as? String == "5050.125" && seen[3]["trades"] as? Int == 13)

            // A window [from, to), and the rollups.
            let window = try await gateway.get("/api/v1/candles/futures/LINKUSDT?from=\(t0 + 60_000)&to=\(t0 + 180_000)", key: key).object
            #expect((window["candles"] as? [[String: Any]])?.count == 2 && window["next_from"] is NSNull)
            let fives = try await gateway.get("/api/v1/candles/futures/LINKUSDT?interval=5m", key: key).object
            let five = try #require((fives["candles"] as? [[String: Any]])?.first)
            #expect(five["open"] as? String == "10.100" && five["close"] as? String == "10.204" && five["source"] as? String == "rollup")

            // Errors.
            #expect(try await gateway.get("/api/v1/candles/futures/NOPEUSDT", key: key).status == 404)
            #expect(try await gateway.get("/api/v1/candles/options/LINKUSDT", key: key).problem.parameter == "market")
            #expect(try await gateway.get("/api/v1/candles/futures/link-usdt", key: key).problem.parameter == "symbol")
            #expect(try await gateway.get("/api/v1/candles/futures/LINKUSDT?interval=2m", key: key).problem.parameter == "interval")
            #expect(try await gateway.get("/api/v1/candles/futures/LINKUSDT?limit=1001", key: key).problem.parameter == "limit")
            let empty = try await gateway.get("/api/v1/candles/futures/LINKUSDT?from=5&to=5", key: key)
            #expect(empty.status == 200 && (empty.object["candles"] as? [Any])?.isEmpty == true && empty.object["next_from"] is NSNull)
            #expect(try await gateway.get("/api/v1/candles/futures/NOPEUSDT?from=5&to=5", key: key).status == 404)
            #expect(try await gateway.get("/api/v1/candles/futures/LINKUSDT?to=-1", key: key).problem.parameter == "to")
            let unknown = try await gateway.get("/api/v1/nothing", key: key)
            #expect(unknown.status == 404 && unknown.contentType == "application/problem+json")
        }
    }
}
