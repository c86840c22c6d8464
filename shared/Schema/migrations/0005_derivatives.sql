-- Futures derivatives history: funding rates, the premium of mark over index, open interest and
-- the global long/short account ratio, one row per (symbol, series, time). Written by ingest's
-- derivatives fetcher (one leased instance for the whole suite: funding from
-- /fapi/v1/fundingRate, open interest from /futures/data/openInterestHist, the long/short ratio
-- from /futures/data/globalLongShortAccountRatio, premium sampled from ap:mark:{symbol});
-- read by inference for every analysis and by the backtest, so both vote from the same data.
-- `time` is when the value became known (the funding time, the statistics timestamp, the mark
-- price event time), never later than what an analysis at that moment could have seen.
-- Values are exact decimals as Binance printed them (premium: (mark - index) / index).
CREATE TABLE derivatives (
    symbol     text        NOT NULL,
    series     text        NOT NULL CHECK (series IN ('funding', 'premium', 'open_interest', 'long_short')),
    time       timestamptz NOT NULL,
    value      numeric     NOT NULL,
    fetched_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (symbol, series, time)
);
