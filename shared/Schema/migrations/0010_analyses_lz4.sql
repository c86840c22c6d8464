-- analyses: its JSON columns (votes, consensus, inputs) are compressed with lz4 instead of
-- pglz where the server supports it (PostgreSQL 14+ built with lz4, as Debian's and the
-- official images are). An analysis's votes take about 2 KB, past the TOAST threshold, so each
-- insert compresses them; lz4 does that several times faster. Existing values stay as they
-- were written (both methods read back alike); the day partitions created from now on take the
-- parent's setting, those already there are set here. A server without lz4 keeps pglz.
DO $$
DECLARE
    part regclass;
BEGIN
    ALTER TABLE analyses
        ALTER COLUMN votes SET COMPRESSION lz4,
        ALTER COLUMN consensus SET COMPRESSION lz4,
        ALTER COLUMN inputs SET COMPRESSION lz4;
    FOR part IN SELECT inhrelid::regclass FROM pg_inherits WHERE inhparent = 'analyses'::regclass LOOP
        EXECUTE format('ALTER TABLE %s ALTER COLUMN votes SET COMPRESSION lz4, ALTER COLUMN consensus SET COMPRESSION lz4, '
                       'ALTER COLUMN inputs SET COMPRESSION lz4', part);
    END LOOP;
EXCEPTION WHEN feature_not_supported OR invalid_parameter_value THEN
    RAISE NOTICE 'analyses stay compressed with pglz: %', SQLERRM;
END $$;
