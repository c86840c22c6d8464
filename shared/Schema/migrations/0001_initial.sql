-- AlphaPulse initial schema (see DESIGN.md, "PostgreSQL").
-- Markets are the text 'spot' or 'futures'; every timestamp is timestamptz (UTC).

-- Symbols currently and formerly tracked. Rows are never deleted: a symbol that falls out
-- of the top N is marked inactive.
CREATE TABLE tracked_symbols (
    market           text        NOT NULL CHECK (market IN ('spot', 'futures')),
    symbol           text        NOT NULL,
    base_asset       text        NOT NULL,
    rank             integer     NOT NULL CHECK (rank > 0),
    quote_volume_24h numeric     NOT NULL,
    last_price       numeric     NOT NULL,
    price_change_pct numeric     NOT NULL,
    is_active        boolean     NOT NULL DEFAULT true,
    first_seen_at    timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (market, symbol)
);
CREATE INDEX tracked_symbols_active_rank ON tracked_symbols (market, rank) WHERE is_active;

-- One row per tracked symbol per refresh.
CREATE TABLE tracked_symbols_history (
    snapshot_at      timestamptz NOT NULL,
    market           text        NOT NULL CHECK (market IN ('spot', 'futures')),
    symbol           text        NOT NULL,
    rank             integer     NOT NULL,
    quote_volume_24h numeric     NOT NULL,
    last_price       numeric,
    PRIMARY KEY (snapshot_at, market, symbol)
);
CREATE INDEX tracked_symbols_history_symbol ON tracked_symbols_history (market, symbol, snapshot_at DESC);

-- Candles of every interval, keyed (market, symbol, interval, open_time) and partitioned by
-- interval so the 1m partition's churn never touches the derived ones. 1m rows come from the
-- WebSocket, REST backfill or archive import; 5m..1d rows are derived from 1m inside
-- PostgreSQL. Prices and volumes are numeric so the stored values equal Binance's exactly.
CREATE TABLE candles (
    market                 text        NOT NULL CHECK (market IN ('spot', 'futures')),
    symbol                 text        NOT NULL,
    interval               text        NOT NULL,
    open_time              timestamptz NOT NULL,
    close_time             timestamptz NOT NULL,
    open                   numeric     NOT NULL,
    high                   numeric     NOT NULL,
    low                    numeric     NOT NULL,
    close                  numeric     NOT NULL,
    volume                 numeric     NOT NULL,
    quote_volume           numeric     NOT NULL,
    trades                 bigint      NOT NULL,
    taker_buy_volume       numeric     NOT NULL,
    taker_buy_quote_volume numeric     NOT NULL,
    source                 text        NOT NULL DEFAULT 'ws' CHECK (source IN ('ws', 'backfill', 'import', 'rollup')),
    updated_at             timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (market, symbol, interval, open_time),
    CHECK (high >= low AND close_time > open_time)
) PARTITION BY LIST (interval);
CREATE TABLE candles_1m  PARTITION OF candles FOR VALUES IN ('1m');
CREATE TABLE candles_5m  PARTITION OF candles FOR VALUES IN ('5m');
CREATE TABLE candles_15m PARTITION OF candles FOR VALUES IN ('15m');
CREATE TABLE candles_1h  PARTITION OF candles FOR VALUES IN ('1h');
CREATE TABLE candles_4h  PARTITION OF candles FOR VALUES IN ('4h');
CREATE TABLE candles_1d  PARTITION OF candles FOR VALUES IN ('1d');

-- Every analysis the inference service ran: the nine head votes and the consensus.
CREATE TABLE analyses (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    market        text        NOT NULL CHECK (market IN ('spot', 'futures')),
    symbol        text        NOT NULL,
    interval      text        NOT NULL DEFAULT '1m',
    candle_time   timestamptz NOT NULL,
    analyzed_at   timestamptz NOT NULL DEFAULT now(),
    votes         jsonb       NOT NULL,
    consensus     jsonb       NOT NULL,
    direction     text        CHECK (direction IN ('long', 'short')),
    latency_ms    double precision,
    UNIQUE (market, symbol, interval, candle_time)
);
CREATE INDEX analyses_recent ON analyses (market, symbol, analyzed_at DESC);

-- Signals and their outcomes. At most one open signal per symbol.
CREATE TABLE signals (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    market          text        NOT NULL CHECK (market IN ('spot', 'futures')),
    symbol          text        NOT NULL,
    direction       text        NOT NULL CHECK (direction IN ('long', 'short')),
    candle_time     timestamptz NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    expires_at      timestamptz NOT NULL,
    entry           numeric     NOT NULL,
    stop            numeric     NOT NULL,
    targets         numeric[]   NOT NULL,
    probability     double precision NOT NULL CHECK (probability BETWEEN 0 AND 1),
    confidence      double precision NOT NULL CHECK (confidence BETWEEN 0 AND 1),
    agreeing_heads  text[]      NOT NULL,
    votes           jsonb       NOT NULL,
    analysis_id     bigint      REFERENCES analyses (id) ON DELETE SET NULL,
    status          text        NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'won', 'lost', 'expired')),
    resolved_at     timestamptz,
    exit_price      numeric,
    outcome_r       double precision,
    CHECK ((status = 'open') = (resolved_at IS NULL))
);
CREATE UNIQUE INDEX signals_one_open_per_symbol ON signals (market, symbol) WHERE status = 'open';
CREATE INDEX signals_recent ON signals (created_at DESC);

-- Operational alerts raised by the gateway's monitor and the services.
CREATE TABLE alerts (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    created_at      timestamptz NOT NULL DEFAULT now(),
    severity        text        NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
    source          text        NOT NULL,
    kind            text        NOT NULL,
    message         text        NOT NULL,
    details         jsonb       NOT NULL DEFAULT '{}',
    acknowledged_at timestamptz,
    resolved_at     timestamptz
);
CREATE INDEX alerts_open ON alerts (created_at DESC) WHERE resolved_at IS NULL;
