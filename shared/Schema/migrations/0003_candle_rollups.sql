-- Derived candles (5m, 15m, 1h, 4h, 1d) computed from 1m inside PostgreSQL.
--
-- ap_rollup_candles(markets, symbols, open_times, rederive_all) takes the keys of 1m candles
-- that were just written (three parallel arrays, one element per 1m candle) and re-derives
-- exactly the buckets they fall in, one level at a time: 5m from 1m, 15m from 5m, 1h from 15m,
-- 4h from 1h, 1d from 4h. Buckets are aligned to the Unix epoch (date_bin), so 1d starts at
-- 00:00 UTC and 4h at 00, 04, … 20 UTC, as on Binance.
--
-- A bucket is derived only when it is complete: every one of its source candles is present
-- (5 of 1m, 3 of 5m, 4 of 15m, 4 of 1h, 6 of 4h). Because a derived candle exists only when
-- complete, and levels nest, a complete 1d candle means all 1,440 minutes are there. Above 1m
-- only 'rollup' rows count as sources, so a candle stored by some other path can never stand
-- in for missing minutes. A bucket completed later (a backfill filling a gap) is derived when
-- that minute lands; a changed minute re-derives its buckets.
--
-- Incremental: the 5m buckets of every given key are re-derived, and each higher level only
-- for the buckets holding a lower-level row that this call inserted or changed — an unchanged
-- 5m candle cannot change its 15m, 1h… candles. Unchanged results are not rewritten (IS
-- DISTINCT FROM, comparing numerics as text so a change of scale alone counts), so re-running
-- a batch changes nothing. rederive_all => true re-derives every level for all the given keys
-- instead (a repair after candles were edited by hand).
--
-- Derived values: open of the first source candle, close of the last, max high, min low, sums
-- of volume, quote volume, trades and taker-buy volumes; close_time = open_time + interval
-- - 1 ms. numeric sums keep the largest scale of their inputs, so sums of Binance's
-- fixed-decimal text print with the same number of decimals.
--
-- Returns the number of derived rows inserted or changed per target interval, shortest first.
CREATE FUNCTION ap_rollup_candles(
    p_markets text[], p_symbols text[], p_open_times timestamptz[], p_rederive_all boolean DEFAULT false
)
RETURNS TABLE (rollup_interval text, changed_rows bigint)
LANGUAGE plpgsql
AS $$
DECLARE
    level record;
    -- The keys whose buckets this level re-derives.
    k_markets text[] := p_markets;
    k_symbols text[] := p_symbols;
    k_open_times timestamptz[] := p_open_times;
    -- The rows this level inserted or changed.
    w_markets text[];
    w_symbols text[];
    w_open_times timestamptz[];
    affected bigint;
BEGIN
    FOR level IN
        SELECT * FROM (VALUES
            (1, '1m',  '5m',  interval '1 minute',   interval '5 minutes',  5),
            (2, '5m',  '15m', interval '5 minutes',  interval '15 minutes', 3),
            (3, '15m', '1h',  interval '15 minutes', interval '1 hour',     4),
            (4, '1h',  '4h',  interval '1 hour',     interval '4 hours',    4),
            (5, '4h',  '1d',  interval '4 hours',    interval '1 day',      6)
        ) AS l (ordinal, source_interval, target_interval, source_step, target_step, parts)
        ORDER BY ordinal
    LOOP
        rollup_interval := level.target_interval;
        IF coalesce(cardinality(k_open_times), 0) = 0 THEN
            changed_rows := 0;
            RETURN NEXT;
            CONTINUE;
        END IF;
        WITH buckets AS (
            SELECT DISTINCT k.market, k.symbol,
                   date_bin(level.target_step, k.open_time, timestamptz '1970-01-01 00:00:00+00') AS bucket
            FROM unnest(k_markets, k_symbols, k_open_times) AS k (market, symbol, open_time)
        ),
        -- One aggregate per bucket over an index range of its source candles. LATERAL pins the
        -- plan to per-bucket index lookups, so the cost stays linear in the number of buckets
        -- even on a freshly filled, never analysed table (a plain join there can turn into a
        -- hash join on (market, symbol) that compares every candle of a symbol with every bucket).
        derived AS (
            SELECT b.market, b.symbol, b.bucket, a.*
            FROM buckets b
            CROSS JOIN LATERAL (
                SELECT count(*) AS parts,
                       min(c.open)  FILTER (WHERE c.open_time = b.bucket) AS open,
                       max(c.high) AS high,
                       min(c.low) AS low,
                       min(c.close) FILTER (WHERE c.open_time = b.bucket + level.target_step - level.source_step) AS close,
                       sum(c.volume) AS volume,
                       sum(c.quote_volume) AS quote_volume,
                       sum(c.trades)::bigint AS trades,
                       sum(c.taker_buy_volume) AS taker_buy_volume,
                       sum(c.taker_buy_quote_volume) AS taker_buy_quote_volume
                FROM candles c
                WHERE c.market = b.market AND c.symbol = b.symbol AND c.interval = level.source_interval
                  AND c.open_time >= b.bucket AND c.open_time < b.bucket + level.target_step
                  AND (level.source_interval = '1m' OR c.source = 'rollup')
            ) a
            WHERE a.parts = level.parts
        ),
        written AS (
            INSERT INTO candles AS t (
                market, symbol, interval, open_time, close_time, open, high, low, close,
                volume, quote_volume, trades, taker_buy_volume, taker_buy_quote_volume, source)
            SELECT d.market, d.symbol, level.target_interval, d.bucket,
                   d.bucket + level.target_step - interval '1 millisecond',
                   d.open, d.high, d.low, d.close,
                   d.volume, d.quote_volume, d.trades, d.taker_buy_volume, d.taker_buy_quote_volume, 'rollup'
            FROM derived d
            ON CONFLICT (market, symbol, interval, open_time) DO UPDATE SET
                close_time = EXCLUDED.close_time, open = EXCLUDED.open, high = EXCLUDED.high,
                low = EXCLUDED.low, close = EXCLUDED.close, volume = EXCLUDED.volume,
                quote_volume = EXCLUDED.quote_volume, trades = EXCLUDED.trades,
                taker_buy_volume = EXCLUDED.taker_buy_volume,
                taker_buy_quote_volume = EXCLUDED.taker_buy_quote_volume,
                source = EXCLUDED.source, updated_at = now()
            WHERE (t.close_time, t.open::text, t.high::text, t.low::text, t.close::text, t.volume::text,
                   t.quote_volume::text, t.trades, t.taker_buy_volume::text, t.taker_buy_quote_volume::text, t.source)
                  IS DISTINCT FROM
                  (EXCLUDED.close_time, EXCLUDED.open::text, EXCLUDED.high::text, EXCLUDED.low::text,
                   EXCLUDED.close::text, EXCLUDED.volume::text, EXCLUDED.quote_volume::text, EXCLUDED.trades,
                   EXCLUDED.taker_buy_volume::text, EXCLUDED.taker_buy_quote_volume::text, EXCLUDED.source)
            RETURNING t.market, t.symbol, t.open_time
        )
        SELECT count(*), array_agg(w.market), array_agg(w.symbol), array_agg(w.open_time)
        INTO affected, w_markets, w_symbols, w_open_times
        FROM written w;
        changed_rows := affected;
        RETURN NEXT;
        IF NOT p_rederive_all THEN
            k_markets := w_markets;
            k_symbols := w_symbols;
            k_open_times := w_open_times;
        END IF;
    END LOOP;
END
$$;
