-- Every change of the tracked symbol set, numbered. The number is the `version` the Redis
-- cache ap:symbols carries and the ap:symbols:changed message names; `added` and `removed`
-- are JSON arrays of {"market": …, "symbol": …}.
CREATE TABLE symbol_list_versions (
    version    bigint      PRIMARY KEY CHECK (version > 0),
    changed_at timestamptz NOT NULL,
    added      jsonb       NOT NULL,
    removed    jsonb       NOT NULL
);
