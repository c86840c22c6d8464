-- The gateway's API keys (`alphapulse-gateway keys create|list|revoke`). A key is
-- `apk_<prefix>_<secret>`: the prefix finds the row, and only the SHA-256 of the whole key is
-- kept, so the table never holds anything a client could present. Revoked keys stay, for
-- the record.
CREATE TABLE api_keys (
    id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    prefix     text        NOT NULL UNIQUE CHECK (prefix ~ '^[0-9a-f]{16}$'),
    hash       text        NOT NULL CHECK (hash ~ '^[0-9a-f]{64}$'),
    name       text        NOT NULL CHECK (name <> ''),
    scope      text        NOT NULL CHECK (scope IN ('read', 'admin')),
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz
);
