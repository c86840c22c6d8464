import Core
import Postgres

// The statements behind `CandleStore.upsert`. A batch is copied into a session temp table
// (emptied at every commit), moved into `candles` by one INSERT … ON CONFLICT, then rolled up by
// `ap_rollup_candles` over the batch's keys. Times travel as Unix milliseconds and are converted
// inside PostgreSQL, exactly (no floating-point seconds).
extension CandleStore {
    static let stagingTable = "ap_candle_staging"

    static let stagingColumns = [
        "market", "symbol", "open_time_ms", "close_time_ms", "open", "high", "low", "close",
        "volume", "quote_volume", "trades", "taker_buy_volume", "taker_buy_quote_volume", "source",
    ]

    static let createStaging = """
        CREATE TEMP TABLE IF NOT EXISTS ap_candle_staging (
            market text NOT NULL, symbol text NOT NULL, open_time_ms bigint NOT NULL, close_time_ms bigint NOT NULL,
            open numeric NOT NULL, high numeric NOT NULL, low numeric NOT NULL, close numeric NOT NULL,
            volume numeric NOT NULL, quote_volume numeric NOT NULL, trades bigint NOT NULL,
            taker_buy_volume numeric NOT NULL, taker_buy_quote_volume numeric NOT NULL, source text NOT NULL
        ) ON COMMIT DELETE ROWS
        """

    /// One transaction-scoped advisory lock per (market, symbol) of the batch, taken in key
    /// order (so two batches cannot deadlock) before anything is written. Without it two
    /// writers each bringing the last missing minute of a bucket would each, under READ
    /// COMMITTED, miss the other's uncommitted minute and neither would derive the bucket. With
    /// it the second waits for the first to commit, and its statements then see those rows.
    static let lockStagedSymbols = """
        SELECT count(pg_advisory_xact_lock(k.key))
        FROM (SELECT DISTINCT hashtextextended('alphapulse.candles/' || market || '/' || symbol, 0) AS key
              FROM pg_temp.ap_candle_staging ORDER BY 1) k
        """

    static func lockSymbol(market: Market, symbol: String) -> PostgresQuery {
        "SELECT pg_advisory_xact_lock(hashtextextended('alphapulse.candles/' || \(market.rawValue) || '/' || \(symbol), 0))"
    }

    /// `source` is not compared: a candle re-sent with the same values by another path (the
    /// archive after the WebSocket) keeps the row, and its source, untouched.
    static let upsertFromStaging = """
        INSERT INTO candles AS t (
            market, symbol, interval, open_time, close_time, open, high, low, close,
            volume, quote_volume, trades, taker_buy_volume, taker_buy_quote_volume, source)
        SELECT market, symbol, '1m',
               timestamptz 'epoch' + open_time_ms * interval '1 millisecond',
               timestamptz 'epoch' + close_time_ms * interval '1 millisecond',
               open, high, low, close, volume, quote_volume, trades, taker_buy_volume, taker_buy_quote_volume, source
        FROM pg_temp.ap_candle_staging
        ON CONFLICT (market, symbol, interval, open_time) DO UPDATE SET
            close_time = EXCLUDED.close_time, open = EXCLUDED.open, high = EXCLUDED.high, low = EXCLUDED.low,
            close = EXCLUDED.close, volume = EXCLUDED.volume, quote_volume = EXCLUDED.quote_volume,
            trades = EXCLUDED.trades, taker_buy_volume = EXCLUDED.taker_buy_volume,
            taker_buy_quote_volume = EXCLUDED.taker_buy_quote_volume, source = EXCLUDED.source, updated_at = now()
        WHERE (t.close_time, t.open::text, t.high::text, t.low::text, t.close::text, t.volume::text,
               t.quote_volume::text, t.trades, t.taker_buy_volume::text, t.taker_buy_quote_volume::text)
              IS DISTINCT FROM
              (EXCLUDED.close_time, EXCLUDED.open::text, EXCLUDED.high::text, EXCLUDED.low::text, EXCLUDED.close::text,
               EXCLUDED.volume::text, EXCLUDED.quote_volume::text, EXCLUDED.trades,
               EXCLUDED.taker_buy_volume::text, EXCLUDED.taker_buy_quote_volume::text)
        """

    /// Every staged key, changed or not, so the 5m buckets of the whole batch are re-checked;
    /// higher levels follow only the rows that changed (see migration 0003).
    static let rollupStaged = """
        SELECT r.rollup_interval, r.changed_rows
        FROM (SELECT array_agg(market) AS markets, array_agg(symbol) AS symbols,
                     array_agg(timestamptz 'epoch' + open_time_ms * interval '1 millisecond') AS open_times
              FROM pg_temp.ap_candle_staging) k
        CROSS JOIN LATERAL ap_rollup_candles(k.markets, k.symbols, k.open_times) r
        """


    /// Every stored 1m key of one symbol in a range, re-derived at every level.
    static func rederiveQuery(market: Market, symbol: String, from: Int64, to: Int64) -> PostgresQuery {
        """
        SELECT r.rollup_interval, r.changed_rows
        FROM (SELECT array_agg(market) AS markets, array_agg(symbol) AS symbols, array_agg(open_time) AS open_times
              FROM candles
              WHERE market = \(market.rawValue) AND symbol = \(symbol) AND interval = '1m'
                AND open_time >= timestamptz 'epoch' + \(from) * interval '1 millisecond'
                AND open_time < timestamptz 'epoch' + \(to) * interval '1 millisecond') k
        CROSS JOIN LATERAL ap_rollup_candles(k.markets, k.symbols, k.open_times, true) r
        """
    }
}
