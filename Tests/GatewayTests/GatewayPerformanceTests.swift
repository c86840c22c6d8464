import Foundation
@testable import Gateway
import Postgres
import Testing
import TestSupport

/// `/api/v1/performance` over signals with known outcomes: the backtest's definitions, groups,
/// filters and the operational report.
@Suite struct GatewayPerformanceTests {
    static let t0: Int64 = 1_767_225_600_000  // 2026-01-01

    static func signal(
        _ pool: PostgresPool, market: String = "futures", symbol: String, direction: String = "long", heads: String, status: String,
        r: Double?, moment: Int64, resolved: Int64?
    ) async throws {
        _ = try await pool.execute("""
            INSERT INTO signals (market, symbol, direction, candle_time, expires_at, entry, stop, targets, probability, confidence,
                                 agreeing_heads, votes, status, resolved_at, exit_price, outcome_r)
            VALUES (\(market), \(symbol), \(direction), timestamptz 'epoch' + \(moment) * interval '1 millisecond',
                    timestamptz 'epoch' + \(moment + 86_400_000) * interval '1 millisecond', 100, 98, '{103,106}', 0.7, 0.6,
                    \(heads)::text[], '[]', \(status),
                    CASE WHEN \(resolved)::bigint IS NULL THEN NULL ELSE timestamptz 'epoch' + \(resolved)::bigint * interval '1 millisecond' END,
                    CASE WHEN \(status) = 'open' THEN NULL ELSE 101 END, \(r))
            """)
    }

    @Test func figuresFollowTheBacktestsDefinitions() async throws {
        try await GatewayHarness.with("gw_performance") { gateway in
            let key = try await gateway.keys.create(name: "ui", scope: .read)
            let pool = gateway.stores.pool
            let minute: Int64 = 60_000
            try await Self.signal(pool, symbol: "BTCUSDT", heads: "{technical,volume}", status: "won", r: 2, moment: Self.t0, resolved: Self.t0 + 60 * minute)
            try await Self.signal(pool, symbol: "ETHUSDT", direction: "short", heads: "{technical,ict}", status: "lost", r: -1,
                                  moment: Self.t0 + 30 * minute, resolved: Self.t0 + 120 * minute)
            try await Self.signal(pool, market: "spot", symbol: "BTCUSDT", heads: "{technical,volume}", status: "expired", r: 0.25,
                                  moment: Self.t0 + 60 * minute, resolved: Self.t0 + 300 * minute)
            try await Self.signal(pool, symbol: "BTCUSDT", heads: "{technical,wyckoff}", status: "open", r: nil, moment: Self.t0 + 400 * minute, resolved: nil)
            _ = try await pool.query("SELECT ap_analyses_partition(timestamptz 'epoch' + \(Self.t0) * interval '1 millisecond')")
            _ = try await pool.execute("""
                INSERT INTO analyses (market, symbol, candle_time, votes, consensus, queue_wait_ms, compute_ms)
                VALUES ('futures', 'BTCUSDT', timestamptz 'epoch' + \(Self.t0) * interval '1 millisecond', '[]', '{}', 10, 4),
                       ('futures', 'ETHUSDT', timestamptz 'epoch' + \(Self.t0) * interval '1 millisecond', '[]', '{}', 30, 8)
                """)

            let range = "from=\(Self.t0)&to=\(Self.t0 + 86_400_000)"
            let answer = try await gateway.get("/api/v1/performance?" + range, key: key)
            #expect(answer.status == 200)
            let body = answer.object
            let figures = try #require(body["figures"] as? [String: Any])
            #expect(figures["signals"] as? Int == 4 && figures["open"] as? Int == 1 && figures["resolved"] as? Int == 3)
            #expect(figures["won"] as? Int == 1 && figures["lost"] as? Int == 1 && figures["expired"] as? Int == 1)
            #expect(abs((figures["win_rate"] as? Double ?? 0) - 1.0 / 3) < 1e-9, "expired counts as not won")
            #expect(figures["total_r"] as? Double == 1.25 && abs((figures["mean_r"] as? Double ?? 0) - 1.25 / 3) < 1e-9)
            #expect(figures["expectancy_r"] as? Double == figures["mean_r"] as? Double)
            #expect(figures["profit_factor"] as? Double == 2.25, "(2 + 0.25) / 1")
            #expect(figures["max_drawdown_r"] as? Double == 1, "+2, then −1 in resolution order")
            #expect(figures["median_minutes_to_outcome"] as? Double == 90, "60, 90 and 240 minutes")

            func group(_ name: String, _ key: String) -> [String: Any]? {
                ((body[name] as? [[String: Any]])?.first { $0["key"] as? String == key })?["figures"] as? [String: Any]
            }
            #expect(group("by_head", "technical")?["signals"] as? Int == 4)
            #expect(group("by_head", "volume")?["resolved"] as? Int == 2 && group("by_head", "volume")?["total_r"] as? Double == 2.25)
            #expect(group("by_head", "ict")?["lost"] as? Int == 1 && group("by_head", "ict")?["profit_factor"] as? Double == 0, "a loss and no gain")
            #expect(group("by_head", "wyckoff")?["open"] as? Int == 1 && group("by_head", "wyckoff")?["profit_factor"] is NSNull, "no losing R")
            #expect(group("by_market", "futures")?["total_r"] as? Double == 1 && group("by_market", "spot")?["expired"] as? Int == 1)
            #expect(group("by_direction", "short")?["lost"] as? Int == 1)
            #expect(group("by_symbol", "futures:BTCUSDT")?["signals"] as? Int == 2)
            #expect(group("by_agreeing_heads", "technical+volume")?["resolved"] as? Int == 2)

            let operations = try #require(body["operations"] as? [String: Any])
            #expect(operations["analyses"] as? Int == 2)
            #expect((operations["queue_wait_ms"] as? [String: Any])?["p50"] as? Double == 20)
            #expect((operations["services"] as? [[String: Any]])?.contains { $0["service"] as? String == "gateway" } == true, "from the heartbeats")

            // Filters and an empty range.
            let spot = try await gateway.get("/api/v1/performance?\(range)&market=spot", key: key).object
            #expect((spot["figures"] as? [String: Any])?["signals"] as? Int == 1)
            let none = try await gateway.get("/api/v1/performance?from=0&to=1", key: key).object
            let empty = try #require(none["figures"] as? [String: Any])
            #expect(empty["signals"] as? Int == 0 && empty["win_rate"] as? Double == 0 && empty["profit_factor"] is NSNull)
            #expect(try await gateway.get("/api/v1/performance?symbol=eth", key: key).problem.parameter == "symbol")
        }
    }
}
