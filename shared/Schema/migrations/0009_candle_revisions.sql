-- A symbol's candle revision: a new number whenever its stored candles change other than by
-- appending. Inference keeps each symbol's candle windows cached and only reads what was
-- appended after them; the revision, read in the same statement, tells it when a cached range
-- may no longer be what is stored. Before this it counted the rows over every cached range and
-- compared their newest `updated_at`, per job: most of PostgreSQL's time per analysis.
--
-- What bumps it, in the writing statement's transaction (statement-level triggers):
-- - an insert of a candle older than a candle of the same symbol and interval stored before the
--   statement (a repaired gap, history loaded further back): not an append;
-- - any update of a 1m candle (a correction; a re-sent identical candle updates nothing);
-- - any delete.
-- Updates of derived (5m…1d) candles do not: each follows a change of its 1m candles, which has
-- bumped the revision already, or is the still-forming newest bucket, which no cache holds.
-- - a repair of derived candles (`CandleStore.rederive`), which revises the symbol itself.
-- A symbol without a row has revision 0. `deploy/alphapulse restore` gives every symbol a new
-- revision, since a restored row may carry the number a cache saw before the backup's data.
CREATE SEQUENCE candle_revision_seq;

CREATE TABLE candle_revisions (
    market   text   NOT NULL,
    symbol   text   NOT NULL,
    revision bigint NOT NULL,
    PRIMARY KEY (market, symbol)
);

CREATE FUNCTION ap_candles_revise(markets text[], symbols text[]) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO candle_revisions AS r (market, symbol, revision)
    SELECT s.market, s.symbol, nextval('candle_revision_seq')
    FROM (SELECT DISTINCT m, s FROM unnest(markets, symbols) AS u (m, s)) AS s (market, symbol)
    ORDER BY 1, 2
    ON CONFLICT (market, symbol) DO UPDATE SET revision = EXCLUDED.revision
$$;

-- One function for the three triggers; each branch reads its own trigger's transition table.
-- Inserts: per symbol and interval, the statement's k new candles from its oldest one on; if at
-- least k stored candles are newer than that oldest one, one of them was there before. A
-- symbol's first candles also give it a revision, so no cached window carries revision 0,
-- which a symbol without a row (say, after a restore from before it was first stored) reads.
CREATE FUNCTION ap_candles_revised() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    markets text[];
    symbols text[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(n.market), array_agg(n.symbol) INTO markets, symbols
        FROM (SELECT market, symbol, interval, min(open_time) AS first, count(*) AS k
              FROM inserted_candles GROUP BY market, symbol, interval) AS n
        WHERE (SELECT count(*) FROM (SELECT 1 FROM candles c
                                     WHERE c.market = n.market AND c.symbol = n.symbol AND c.interval = n.interval
                                       AND c.open_time > n.first
                                     LIMIT n.k) AS newer) >= n.k
           OR NOT EXISTS (SELECT 1 FROM candle_revisions r WHERE r.market = n.market AND r.symbol = n.symbol);
    ELSIF TG_OP = 'UPDATE' THEN
        SELECT array_agg(market), array_agg(symbol) INTO markets, symbols FROM updated_candles WHERE interval = '1m';
    ELSE
        SELECT array_agg(market), array_agg(symbol) INTO markets, symbols FROM deleted_candles;
    END IF;
    IF markets IS NOT NULL THEN
        PERFORM ap_candles_revise(markets, symbols);
    END IF;
    RETURN NULL;
END
$$;

-- On the table and on each partition: a statement fires the statement triggers of the table it
-- names only, and one that writes a partition directly must revise too.
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['candles', 'candles_1m', 'candles_5m', 'candles_15m', 'candles_1h', 'candles_4h', 'candles_1d'] LOOP
        EXECUTE format('CREATE TRIGGER candles_revise_inserted AFTER INSERT ON %I REFERENCING NEW TABLE AS inserted_candles '
                       'FOR EACH STATEMENT EXECUTE FUNCTION ap_candles_revised()', t);
        EXECUTE format('CREATE TRIGGER candles_revise_updated AFTER UPDATE ON %I REFERENCING NEW TABLE AS updated_candles '
                       'FOR EACH STATEMENT EXECUTE FUNCTION ap_candles_revised()', t);
        EXECUTE format('CREATE TRIGGER candles_revise_deleted AFTER DELETE ON %I REFERENCING OLD TABLE AS deleted_candles '
                       'FOR EACH STATEMENT EXECUTE FUNCTION ap_candles_revised()', t);
    END LOOP;
END
$$;

-- Every symbol with stored candles gets a new revision (a skip scan over the candle key):
-- `deploy/alphapulse restore` calls it, since a restored revision may be the very number a
-- running instance cached newer candles at. Returns the symbols revised.
CREATE FUNCTION ap_candles_revise_all() RETURNS bigint
LANGUAGE sql AS $$
    WITH RECURSIVE s AS (
        (SELECT market, symbol FROM candles ORDER BY market, symbol LIMIT 1)
        UNION ALL
        SELECT n.market, n.symbol
        FROM s CROSS JOIN LATERAL (
            SELECT c.market, c.symbol FROM candles c WHERE (c.market, c.symbol) > (s.market, s.symbol)
            ORDER BY c.market, c.symbol LIMIT 1) AS n
    ), revised AS (
        INSERT INTO candle_revisions AS r (market, symbol, revision)
        SELECT market, symbol, nextval('candle_revision_seq') FROM s
        ON CONFLICT (market, symbol) DO UPDATE SET revision = EXCLUDED.revision
        RETURNING 1
    )
    SELECT count(*) FROM revised
$$;
