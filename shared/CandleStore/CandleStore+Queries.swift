import Core
import Postgres

// Reads. Ranges are half-open, [from, to), in Unix milliseconds of the candles' open times.
extension CandleStore {
    /// The open time of the newest stored candle, or nil when there is none.
    public func lastOpenTime(market: Market, symbol: String, interval: CandleInterval) async throws -> Int64? {
        let rows = try await postgres.query("""
            SELECT (extract(epoch FROM max(open_time)) * 1000)::bigint FROM candles
            WHERE market = \(market.rawValue) AND symbol = \(symbol) AND interval = \(interval.rawValue)
            """)
        return try rows.first?.decode(0, as: Int64?.self)
    }

    /// The oldest stored open time of `symbol` at `interval` (Unix ms), nil when none is stored.
    public func firstOpenTime(market: Market, symbol: String, interval: CandleInterval) async throws -> Int64? {
        let rows = try await postgres.query("""
            SELECT (extract(epoch FROM min(open_time)) * 1000)::bigint FROM candles
            WHERE market = \(market.rawValue) AND symbol = \(symbol) AND interval = \(interval.rawValue)
            """)
        return try rows.first?.decode(0, as: Int64?.self)
    }

    /// The open times of the minutes in [from, to) that have no 1m candle, oldest first — what
    /// a backfill must fetch. `from` is rounded up to a whole minute. One set-based query
    /// (generate_series anti-joined with the stored minutes).
    public func missingMinutes(market: Market, symbol: String, from: Int64, to: Int64) async throws -> [Int64] {
        let start = (from + 59_999).floorDiv(60_000) * 60_000
        guard start < to else { return [] }
        let rows = try await postgres.query("""
            SELECT (extract(epoch FROM m.open_time) * 1000)::bigint
            FROM generate_series(timestamptz 'epoch' + \(start) * interval '1 millisecond',
                                 timestamptz 'epoch' + (\(to) - 1) * interval '1 millisecond',
                                 interval '1 minute') AS m (open_time)
            WHERE NOT EXISTS (
                SELECT 1 FROM candles c
                WHERE c.market = \(market.rawValue) AND c.symbol = \(symbol) AND c.interval = '1m' AND c.open_time = m.open_time)
            ORDER BY m.open_time
            """)
        return try rows.map { try $0.decode(0, as: Int64.self) }
    }

    /// Stored candles with open times in [from, to), oldest first, prices and volumes as the
    /// exact stored text (`numeric::text`, scale unchanged).
    /// - Parameter limit: at most this many (the oldest); nil for all.
    public func candles(market: Market, symbol: String, interval: CandleInterval, from: Int64, to: Int64, limit: Int? = nil) async throws -> [CandleRow] {
        let rows = try await postgres.query("""
            SELECT (extract(epoch FROM open_time) * 1000)::bigint, (extract(epoch FROM close_time) * 1000)::bigint,
                   open::text, high::text, low::text, close::text, volume::text, quote_volume::text, trades,
                   taker_buy_volume::text, taker_buy_quote_volume::text, source
            FROM candles
            WHERE market = \(market.rawValue) AND symbol = \(symbol) AND interval = \(interval.rawValue)
              AND open_time >= timestamptz 'epoch' + \(from) * interval '1 millisecond'
              AND open_time < timestamptz 'epoch' + \(to) * interval '1 millisecond'
            ORDER BY open_time
            LIMIT \(limit)
            """)
        return try rows.map { row in
            let sourceText = try row.decode(11, as: String.self)
            guard let source = CandleSource(rawValue: sourceText) else {
                throw PostgresError(.decoding, message: "unknown candle source '\(sourceText)'", connectionUsable: true)
            }
            return CandleRow(
                market: market, symbol: symbol, interval: interval, openTime: try row.decode(0), closeTime: try row.decode(1),
                open: try row.decode(2), high: try row.decode(3), low: try row.decode(4), close: try row.decode(5),
                volume: try row.decode(6), quoteVolume: try row.decode(7), trades: try row.decode(8),
                takerBuyVolume: try row.decode(9), takerBuyQuoteVolume: try row.decode(10), source: source)
        }
    }

    /// How many candles are stored with open times in [from, to); nil bounds are open.
    public func count(market: Market, symbol: String, interval: CandleInterval, from: Int64? = nil, to: Int64? = nil) async throws -> Int {
        let rows = try await postgres.query("""
            SELECT count(*) FROM candles
            WHERE market = \(market.rawValue) AND symbol = \(symbol) AND interval = \(interval.rawValue)
              AND open_time >= coalesce(timestamptz 'epoch' + \(from) * interval '1 millisecond', '-infinity')
              AND open_time < coalesce(timestamptz 'epoch' + \(to) * interval '1 millisecond', 'infinity')
            """)
        return try rows[0].decode(0, as: Int.self)
    }
}

extension Int64 {
    /// Division rounding toward negative infinity.
    func floorDiv(_ divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
}
