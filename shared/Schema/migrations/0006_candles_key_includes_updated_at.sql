-- The candle key's index also carries `updated_at`. Inference checks a cached window against
-- the stored one per job (the count of rows over its range and their newest `updated_at`);
-- with the stamp in the index that check reads the index alone (an index-only scan over
-- vacuumed pages) instead of visiting every row. Upserts still arbitrate on the same key.
ALTER TABLE candles DROP CONSTRAINT candles_pkey;
ALTER TABLE candles ADD PRIMARY KEY (market, symbol, interval, open_time) INCLUDE (updated_at);
