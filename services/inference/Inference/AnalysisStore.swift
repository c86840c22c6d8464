import Analysis
import CandleStore
import Contracts
import Core
import Foundation
import Postgres

/// What `alphapulse-inference serve` reads from and writes to PostgreSQL.
public struct AnalysisStore: Sendable {
    public let postgres: PostgresPool

    public init(postgres: PostgresPool) {
        self.postgres = postgres
    }

    /// The newest `count` stored candles of `interval` opening before `before` (Unix ms), oldest first.
    public func recent(market: Market, symbol: String, interval: CandleInterval, before: Int64, count: Int) async throws -> [Candle] {
        let rows = try await postgres.query("""
            SELECT (extract(epoch FROM open_time) * 1000)::bigint, (extract(epoch FROM close_time) * 1000)::bigint,
                   open::float8, high::float8, low::float8, close::float8, volume::float8, quote_volume::float8, trades,
                   taker_buy_volume::float8, taker_buy_quote_volume::float8
            FROM candles
            WHERE market = \(market.rawValue) AND symbol = \(symbol) AND interval = \(interval.rawValue)
              AND open_time < timestamptz 'epoch' + \(before) * interval '1 millisecond'
            ORDER BY open_time DESC
            LIMIT \(count)
            """)
        return try rows.reversed().map { row in
            Candle(
                market: market, symbol: symbol, interval: interval, openTime: try row.decode(0), closeTime: try row.decode(1),
                open: try row.decode(2), high: try row.decode(3), low: try row.decode(4), close: try row.decode(5),
                volume: try row.decode(6), quoteVolume: try row.decode(7), trades: try row.decode(8),
                takerBuyVolume: try row.decode(9), takerBuyQuoteVolume: try row.decode(10))
        }
    }

    /// Open time of the newest stored 1m candle of each symbol (nil when it has none), in one
    /// statement, in order.
    public func newestMinutes(_ symbols: [MarketSymbol]) async throws -> [Int64?] {
        guard !symbols.isEmpty else { return [] }
        let rows = try await postgres.query("""
            SELECT q.k, (SELECT (extract(epoch FROM max(open_time)) * 1000)::bigint FROM candles
                         WHERE market = q.m AND symbol = q.s AND interval = '1m')
            FROM unnest(\(symbols.map(\.market.rawValue))::text[], \(symbols.map(\.symbol))::text[]) WITH ORDINALITY AS q (m, s, k)
            """)
        var newest = Array(repeating: Int64?.none, count: symbols.count)
        for row in rows {
            let index = try row.decode(0, as: Int.self) - 1
            if newest.indices.contains(index) { newest[index] = try row.decode(1, as: Int64?.self) }
        }
        return newest
    }

    /// The stored analysis of a moment, as the reply to an on-demand job gets it.
    public func analysis(market: Market, symbol: String, moment: Int64) async throws -> StoredAnalysis? {
        let rows = try await postgres.query("""
            SELECT id, consensus || jsonb_build_object('votes', votes) AS consensus, signal_id, missing_heads FROM analyses
            WHERE market = \(market.rawValue) AND symbol = \(symbol) AND interval = '1m'
              AND candle_time = timestamptz 'epoch' + \(moment) * interval '1 millisecond'
            """)
        guard let row = rows.first else { return nil }
        return StoredAnalysis(
            id: try row.decode(0), market: market, symbol: symbol, moment: moment,
            consensus: try row.decodeJSON("consensus", as: Consensus.self), signalID: try row.decode(2, as: Int64?.self),
            missingHeads: try row.decode(3, as: [String].self))
    }

    /// Committed signal events not yet published, oldest first.
    public func unpublished(limit: Int = 500) async throws -> [SignalEvent] {
        let rows = try await postgres.query("""
            SELECT id, detail, status, (extract(epoch FROM candle_time) * 1000)::bigint, published_at IS NULL,
                   exit_price::float8, outcome_r, (extract(epoch FROM resolved_at) * 1000)::bigint
            FROM signals
            WHERE detail IS NOT NULL AND (published_at IS NULL OR (status <> 'open' AND outcome_published_at IS NULL))
            ORDER BY id
            LIMIT \(limit)
            """)
        var events: [SignalEvent] = []
        for row in rows {
            let id: Int64 = try row.decode(0)
            let signal = try row.decodeJSON("detail", as: Signal.self)
            let status: String = try row.decode(2)
            let moment: Int64 = try row.decode(3)
            func event(_ kind: SignalEvent.Kind, status: String, exit: Double? = nil, r: Double? = nil, at: Int64? = nil) -> SignalEvent {
                SignalEvent(
                    kind: kind, id: id, market: signal.market, symbol: signal.symbol, direction: signal.direction.rawValue, moment: moment,
                    entry: signal.entry, stop: signal.stop, target1: signal.target1, target2: signal.target2, expiresAt: signal.expiresAt,
                    probability: signal.probability, confidence: signal.confidence, heads: signal.agreeing.map(\.rawValue),
                    status: status, exitPrice: exit, returnR: r, resolvedAt: at)
            }
            if try row.decode(4, as: Bool.self) { events.append(event(.opened, status: "open")) }
            if status != "open" {
                events.append(event(
                    .resolved, status: status, exit: try row.decode(5, as: Double?.self), r: try row.decode(6, as: Double?.self),
                    at: try row.decode(7, as: Int64?.self)))
            }
        }
        return events
    }

    /// Records that `events` were published, in one statement.
    public func markPublished(_ events: [SignalEvent]) async throws {
        guard !events.isEmpty else { return }
        let opened = events.filter { $0.kind == .opened }.map(\.id)
        let resolved = events.filter { $0.kind == .resolved }.map(\.id)
        _ = try await postgres.execute("""
            UPDATE signals
            SET published_at = CASE WHEN id = ANY(\(opened)::bigint[]) THEN coalesce(published_at, now()) ELSE published_at END,
                outcome_published_at = CASE WHEN id = ANY(\(resolved)::bigint[])
                    THEN coalesce(outcome_published_at, now()) ELSE outcome_published_at END
            WHERE id = ANY(\(opened + resolved)::bigint[])
            """)
    }

    /// Drops the analyses partitions wholly older than `keepFrom` (Unix ms); returns how many.
    public func retain(keepFrom: Int64) async throws -> Int {
        let rows = try await postgres.query("SELECT ap_analyses_retain(timestamptz 'epoch' + \(keepFrom) * interval '1 millisecond')")
        return try rows.first?.decode(0, as: Int.self) ?? 0
    }
}

/// A symbol's signal state, read inside the commit transaction.
public struct SignalState: Sendable {
    public var open: OpenSignal?
    /// Creation time (close of its candle) of the symbol's latest signal, Unix ms.
    public var lastSignalAt: Int64?
}

public struct OpenSignal: Sendable {
    public var id: Int64
    public var signal: Signal
}

/// What one analysis decided about signals.
public struct SignalDecision: Sendable {
    public var consensus: Consensus
    /// The open signal, resolved by the candles up to the moment.
    public var resolved: ResolvedSignal?
    /// A new signal.
    public var opened: Signal?
}

/// An analysis computed and waiting to be stored.
public struct PendingAnalysis: Sendable {
    public var market: Market
    public var symbol: String
    public var moment: Int64
    public var jobID: String
    public var reason: String
    /// Newest candle open time used per interval (`"1m"`, `"5m"`…), and counts: the inputs' identity.
    public var inputs: [String: Int64]
    public var missingHeads: [String]
    public var queueWaitMilliseconds: Double
    public var computeMilliseconds: Double
}

public struct CommitResult: Sendable, Equatable {
    public var analysisID: Int64
    public var signalID: Int64?
    public var resolvedSignalID: Int64?
}

public struct StoredAnalysis: Sendable {
    public var id: Int64
    public var market: Market
    public var symbol: String
    public var moment: Int64
    public var consensus: Consensus
    public var signalID: Int64?
    public var missingHeads: [String]
}
