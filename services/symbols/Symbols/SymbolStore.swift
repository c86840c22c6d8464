import Contracts
import Core
import Foundation
import Postgres

/// The tracked list in PostgreSQL, the system of record: `tracked_symbols` (one row per symbol
/// ever tracked, `is_active` for the current list), `tracked_symbols_history` (one row per
/// tracked symbol per refresh) and `symbol_list_versions` (one row per change of the set).
public struct SymbolStore: Sendable {
    let postgres: PostgresPool

    public init(postgres: PostgresPool) {
        self.postgres = postgres
    }

    /// What one stored refresh changed.
    public struct Change: Sendable, Equatable {
        /// The list's version after the refresh (0 while no list was ever stored).
        public var version: Int64
        public var added: [MarketSymbol]
        public var removed: [MarketSymbol]
        public var isEmpty: Bool { added.isEmpty && removed.isEmpty }
    }

    /// Stores a new list in one transaction: upserts every tracked symbol (active, new rank and
    /// figures; `first_seen_at` kept for symbols seen before), marks those that fell out as
    /// inactive (never deletes), appends one history row per tracked symbol and, when the set
    /// changed, records a new version. Refreshes from several processes are serialised by a
    /// transaction-level advisory lock.
    /// - Throws: `PostgresError`; nothing is stored then.
    public func store(_ list: [TrackedSymbol], at time: Date) async throws -> Change {
        try await postgres.transaction { connection in
            _ = try await connection.query("SELECT pg_advisory_xact_lock(\(Self.lockKey))")
            let current = try await connection.query(
                "SELECT market, symbol FROM tracked_symbols WHERE is_active FOR UPDATE"
            ).map { MarketSymbol(Market(rawValue: try $0.decode(0, as: String.self)) ?? .spot, try $0.decode(1, as: String.self)) }
            let previous = Set(current)
            let next = Set(list.map { MarketSymbol($0.market, $0.symbol) })
            let added = next.subtracting(previous).sorted()
            let removed = previous.subtracting(next).sorted()

            if !list.isEmpty {
                _ = try await connection.execute("""
                    INSERT INTO tracked_symbols AS t
                        (market, symbol, base_asset, rank, quote_volume_24h, last_price, price_change_pct, is_active, first_seen_at, updated_at)
                    SELECT market, symbol, base_asset, rank, quote_volume, last_price, change_pct, true, \(time), \(time)
                    FROM unnest(\(list.map(\.market.rawValue))::text[], \(list.map(\.symbol))::text[], \(list.map(\.baseAsset))::text[],
                                \(list.map(\.rank))::integer[], \(list.map(\.quoteVolume24h))::numeric[], \(list.map(\.lastPrice))::numeric[],
                                \(list.map(\.priceChangePercent))::numeric[])
                        AS n(market, symbol, base_asset, rank, quote_volume, last_price, change_pct)
                    ON CONFLICT (market, symbol) DO UPDATE SET
                        base_asset = excluded.base_asset, rank = excluded.rank, quote_volume_24h = excluded.quote_volume_24h,
                        last_price = excluded.last_price, price_change_pct = excluded.price_change_pct, is_active = true,
                        updated_at = excluded.updated_at
                    """)
                _ = try await connection.execute("""
                    INSERT INTO tracked_symbols_history (snapshot_at, market, symbol, rank, quote_volume_24h, last_price)
                    SELECT \(time), market, symbol, rank, quote_volume, last_price
                    FROM unnest(\(list.map(\.market.rawValue))::text[], \(list.map(\.symbol))::text[], \(list.map(\.rank))::integer[],
                                \(list.map(\.quoteVolume24h))::numeric[], \(list.map(\.lastPrice))::numeric[])
                        AS n(market, symbol, rank, quote_volume, last_price)
                    """)
            }
            if !removed.isEmpty {
                _ = try await connection.execute("""
                    UPDATE tracked_symbols SET is_active = false, updated_at = \(time)
                    WHERE (market, symbol) IN (SELECT * FROM unnest(\(removed.map(\.market.rawValue))::text[], \(removed.map(\.symbol))::text[]))
                    """)
            }
            var version = try await connection.query("SELECT coalesce(max(version), 0) FROM symbol_list_versions")[0]
                .decode(0, as: Int64.self)
            if !added.isEmpty || !removed.isEmpty {
                version += 1
                _ = try await connection.execute("""
                    INSERT INTO symbol_list_versions (version, changed_at, added, removed)
                    VALUES (\(version), \(time), \(PostgresJSON(added)), \(PostgresJSON(removed)))
                    """)
            }
            return Change(version: version, added: added, removed: removed)
        }
    }

    /// The active list, by market then rank.
    public func active(market: Market? = nil) async throws -> [TrackedSymbol] {
        let rows = try await postgres.query("""
            SELECT market, symbol, base_asset, rank, quote_volume_24h::text, last_price::text, price_change_pct::text
            FROM tracked_symbols WHERE is_active AND (\(market?.rawValue)::text IS NULL OR market = \(market?.rawValue))
            ORDER BY market DESC, rank, symbol
            """)
        return try rows.map { row in
            TrackedSymbol(
                market: Market(rawValue: try row.decode(0, as: String.self)) ?? .spot, symbol: try row.decode(1), baseAsset: try row.decode(2),
                rank: try row.decode(3), quoteVolume24h: try row.decode(4), lastPrice: try row.decode(5),
                priceChangePercent: try row.decode(6))
        }
    }

    /// The current version (0 before the first list) and when the last refresh was stored.
    public func state() async throws -> (version: Int64, lastRefresh: Date?) {
        let row = try await postgres.query("""
            SELECT (SELECT coalesce(max(version), 0) FROM symbol_list_versions),
                   (SELECT max(snapshot_at) FROM tracked_symbols_history)
            """)[0]
        return (try row.decode(0, as: Int64.self), try row.decode(1, as: Date?.self))
    }

    /// Recorded changes after `version`, oldest first.
    public func changes(after version: Int64) async throws -> [(version: Int64, changedAt: Date, added: [MarketSymbol], removed: [MarketSymbol])] {
        try await postgres.query("""
            SELECT version, changed_at, added, removed FROM symbol_list_versions WHERE version > \(version) ORDER BY version
            """).map { row in
            (try row.decode(0, as: Int64.self), try row.decode(1, as: Date.self),
             try row.decodeJSON("added", as: [MarketSymbol].self), try row.decodeJSON("removed", as: [MarketSymbol].self))
        }
    }

    /// Active symbols per market.
    public func activeCounts() async throws -> [Market: Int] {
        var counts: [Market: Int] = [:]
        for row in try await postgres.query("SELECT market, count(*) FROM tracked_symbols WHERE is_active GROUP BY market") {
            if let market = Market(rawValue: try row.decode(0, as: String.self)) { counts[market] = try row.decode(1, as: Int.self) }
        }
        return counts
    }

    /// Advisory lock key of symbol refreshes (an arbitrary constant: "APSYMBOL").
    static let lockKey: Int64 = 0x4150_5359_4D42_4F4C
}
