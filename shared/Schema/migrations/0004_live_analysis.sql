-- Live analysis (alphapulse-inference serve).
--
-- analyses: one row per (market, symbol, interval, candle_time), where candle_time is the open
-- time of the newest 1m candle analysed (the moment). It records the job that made it, what
-- its inputs were (the newest candle time used per interval, so the analysis can be replayed),
-- which heads lacked data, and the queue wait and compute time. It is partitioned by day of
-- candle_time, so retention (analysis.retention_days) drops whole partitions; the service
-- creates each day's partition before the first insert into it (ap_analyses_partition).
-- A partitioned table's unique keys must hold the partition key, and an identity column is
-- not allowed on one in PostgreSQL 15, hence the sequence and the dropped foreign key from
-- signals (analysis_id stays, as a plain reference).
ALTER TABLE signals DROP CONSTRAINT IF EXISTS signals_analysis_id_fkey;
ALTER TABLE analyses RENAME TO analyses_v1;
ALTER INDEX analyses_recent RENAME TO analyses_v1_recent;
CREATE SEQUENCE analyses_row_id_seq;
CREATE TABLE analyses (
    id            bigint      NOT NULL DEFAULT nextval('analyses_row_id_seq'),
    market        text        NOT NULL CHECK (market IN ('spot', 'futures')),
    symbol        text        NOT NULL,
    interval      text        NOT NULL DEFAULT '1m',
    candle_time   timestamptz NOT NULL,
    analyzed_at   timestamptz NOT NULL DEFAULT now(),
    votes         jsonb       NOT NULL,
    consensus     jsonb       NOT NULL,
    direction     text        CHECK (direction IN ('long', 'short')),
    latency_ms    double precision,
    job_id        text,
    reason        text,
    inputs        jsonb       NOT NULL DEFAULT '{}',
    missing_heads text[]      NOT NULL DEFAULT '{}',
    queue_wait_ms double precision,
    compute_ms    double precision,
    signal_id     bigint,
    PRIMARY KEY (market, symbol, interval, candle_time)
) PARTITION BY RANGE (candle_time);
ALTER SEQUENCE analyses_row_id_seq OWNED BY analyses.id;
CREATE INDEX analyses_recent ON analyses (market, symbol, analyzed_at DESC);
CREATE INDEX analyses_id ON analyses (id);

-- The partition of the UTC day holding `moment`, created when missing. Serialised by an
-- advisory lock, so concurrent instances do not race on CREATE.
CREATE FUNCTION ap_analyses_partition(moment timestamptz) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    day date := (moment AT TIME ZONE 'UTC')::date;
    name text := 'analyses_p' || to_char(day, 'YYYYMMDD');
BEGIN
    IF to_regclass(name) IS NULL THEN
        PERFORM pg_advisory_xact_lock(hashtext('ap_analyses_partition'));
        IF to_regclass(name) IS NULL THEN
            EXECUTE format('CREATE TABLE %I PARTITION OF analyses FOR VALUES FROM (%L) TO (%L)',
                name, (day::timestamp AT TIME ZONE 'UTC'), ((day + 1)::timestamp AT TIME ZONE 'UTC'));
        END IF;
    END IF;
    RETURN name;
END $$;

-- Drops the day partitions wholly older than `keep_from`; returns how many.
CREATE FUNCTION ap_analyses_retain(keep_from timestamptz) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    part record;
    dropped integer := 0;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('ap_analyses_partition'));
    FOR part IN
        SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'analyses'::regclass AND c.relname ~ '^analyses_p[0-9]{8}$'
          AND (to_date(substr(c.relname, 11), 'YYYYMMDD') + 1)::timestamp AT TIME ZONE 'UTC' <= keep_from
    LOOP
        EXECUTE format('DROP TABLE %I', part.relname);
        dropped := dropped + 1;
    END LOOP;
    RETURN dropped;
END $$;

DO $$
DECLARE moment timestamptz;
BEGIN
    FOR moment IN SELECT DISTINCT date_trunc('day', candle_time AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' FROM analyses_v1 LOOP
        PERFORM ap_analyses_partition(moment);
    END LOOP;
END $$;
INSERT INTO analyses (id, market, symbol, interval, candle_time, analyzed_at, votes, consensus, direction, latency_ms)
SELECT id, market, symbol, interval, candle_time, analyzed_at, votes, consensus, direction, latency_ms FROM analyses_v1;
SELECT setval('analyses_row_id_seq', greatest((SELECT max(id) FROM analyses_v1), 0) + 1, false);
DROP TABLE analyses_v1;

-- signals: one per (market, symbol, moment), the full signal as the analysis library encodes
-- it (to restore the open one exactly), and the publication outbox: a signal is published on
-- ap:signals after its commit, then published_at is set; a resolved one likewise with
-- outcome_published_at. What is committed but unpublished is published again by the next
-- instance that sweeps (at start, and on every redelivered job).
ALTER TABLE signals
    ADD COLUMN detail jsonb,
    ADD COLUMN job_id text,
    ADD COLUMN published_at timestamptz,
    ADD COLUMN outcome_published_at timestamptz,
    ADD CONSTRAINT signals_one_per_moment UNIQUE (market, symbol, candle_time);
CREATE INDEX signals_unpublished ON signals (id)
    WHERE published_at IS NULL OR (status <> 'open' AND outcome_published_at IS NULL);
