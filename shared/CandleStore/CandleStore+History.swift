import Core
import Postgres

extension CandleStore {
    /// Stores candles of a derived interval (5m…1d) that come from Binance's own klines rather
    /// than from stored minutes: the history older than the 1m backfill reaches, which the heads'
    /// longest lookbacks need (``AnalysisWindows``).
    ///
    /// A bucket that already holds a candle keeps it (`ON CONFLICT DO NOTHING`), so a rollup is
    /// never replaced; a rollup derived later for the same bucket replaces the stored row, since
    /// `ap_rollup_candles` upserts. Only rollups feed higher rollups, so these rows never stand
    /// in for missing minutes.
    /// - Returns: the rows inserted.
    /// - Throws: `CandleStoreError` `.invalidCandle` when a row is 1m, not aligned to its
    ///   interval, has another close time than the interval's, a source of `rollup`, or a value
    ///   that is not plain decimal text (nothing is written then).
    @discardableResult
    public func insertHistory(_ rows: [CandleRow]) async throws -> Int {
        for row in rows {
            guard row.interval != .oneMinute, Self.derivedIntervals.contains(row.interval) else {
                throw CandleStoreError(.invalidCandle, "\(row.symbol) \(row.openTime): history rows are 5m…1d candles, not \(row.interval.rawValue)")
            }
            guard row.source != .rollup else {
                throw CandleStoreError(.invalidCandle, "\(row.symbol) \(row.openTime): source 'rollup' is reserved for derived candles")
            }
            guard !row.symbol.isEmpty, row.symbol.utf8.count <= 64 else {
                throw CandleStoreError(.invalidCandle, "a candle has an empty or overlong symbol")
            }
            guard row.interval.isAligned(row.openTime), row.closeTime == row.interval.closeTime(openTime: row.openTime) else {
                throw CandleStoreError(.invalidCandle, "\(row.symbol) \(row.openTime): not a whole \(row.interval.rawValue) bucket")
            }
            guard row.trades >= 0, row.hasDecimalFields else {
                throw CandleStoreError(.invalidCandle, "\(row.symbol) \(row.openTime): a price, volume or trade count is not a plain decimal number")
            }
        }
        guard !rows.isEmpty else { return 0 }
        // Under the symbols' locks, in the order `upsert` takes them: the insert's candle
        // revision check (migration 0009) needs the symbol's writers one at a time, and a
        // concurrent upsert rolling up the same buckets would otherwise deadlock with it.
        return try await postgres.transaction { connection in
            _ = try await connection.query("""
                SELECT count(pg_advisory_xact_lock(k.key))
                FROM (SELECT DISTINCT hashtextextended('alphapulse.candles/' || m || '/' || s, 0) AS key
                      FROM unnest(\(rows.map(\.market.rawValue))::text[], \(rows.map(\.symbol))::text[]) AS u (m, s) ORDER BY 1) k
                """)
            return try await connection.execute("""
                INSERT INTO candles (market, symbol, interval, open_time, close_time, open, high, low, close,
                                     volume, quote_volume, trades, taker_buy_volume, taker_buy_quote_volume, source)
                SELECT r.m, r.s, r.iv, timestamptz 'epoch' + r.o * interval '1 millisecond',
                       timestamptz 'epoch' + r.c * interval '1 millisecond', r.op::numeric, r.hi::numeric, r.lo::numeric, r.cl::numeric,
                       r.v::numeric, r.qv::numeric, r.t, r.tbv::numeric, r.tbqv::numeric, r.src
                FROM unnest(\(rows.map(\.market.rawValue))::text[], \(rows.map(\.symbol))::text[], \(rows.map(\.interval.rawValue))::text[],
                            \(rows.map(\.openTime))::bigint[], \(rows.map(\.closeTime))::bigint[], \(rows.map(\.open))::text[],
                            \(rows.map(\.high))::text[], \(rows.map(\.low))::text[], \(rows.map(\.close))::text[], \(rows.map(\.volume))::text[],
                            \(rows.map(\.quoteVolume))::text[], \(rows.map(\.trades))::bigint[], \(rows.map(\.takerBuyVolume))::text[],
                            \(rows.map(\.takerBuyQuoteVolume))::text[], \(rows.map(\.source.rawValue))::text[])
                     AS r (m, s, iv, o, c, op, hi, lo, cl, v, qv, t, tbv, tbqv, src)
                ON CONFLICT (market, symbol, interval, open_time) DO NOTHING
                """)
        }
    }
}
