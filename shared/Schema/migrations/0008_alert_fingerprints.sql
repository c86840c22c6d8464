-- The gateway monitor's alerts. Each alert has a fingerprint (`rule:subject`) and at most one
-- unresolved row per fingerprint, so a monitor that raises an alert twice (a retry, a
-- failover) cannot duplicate it. The publication outbox: an alert is published on ap:alerts
-- after its commit, then published_at is set; its resolution likewise with
-- resolution_published_at. What is committed but unpublished is published by the next
-- round of whichever monitor leads.
ALTER TABLE alerts
    ADD COLUMN rule                    text,
    ADD COLUMN subject                 text NOT NULL DEFAULT '',
    ADD COLUMN fingerprint             text,
    ADD COLUMN value                   double precision,
    ADD COLUMN acknowledged_by         text,
    ADD COLUMN published_at            timestamptz,
    ADD COLUMN resolution_published_at timestamptz;
UPDATE alerts SET rule = kind, fingerprint = kind || ':' || id::text WHERE fingerprint IS NULL;
ALTER TABLE alerts ALTER COLUMN rule SET NOT NULL, ALTER COLUMN fingerprint SET NOT NULL;
CREATE UNIQUE INDEX alerts_one_unresolved ON alerts (fingerprint) WHERE resolved_at IS NULL;
CREATE INDEX alerts_unpublished ON alerts (id)
    WHERE published_at IS NULL OR (resolved_at IS NOT NULL AND resolution_published_at IS NULL);

-- Fences for writes to PostgreSQL made under a Redis lease. Whoever takes the lease bumps
-- its row's epoch before writing; every write checks, in its own transaction, that the row
-- still holds the epoch it took (FOR SHARE, so a takeover waits for writes in flight). A
-- former holder that has not noticed its lease lapse therefore cannot write.
CREATE TABLE lease_fences (
    name     text        PRIMARY KEY,
    epoch    bigint      NOT NULL CHECK (epoch > 0),
    holder   text        NOT NULL,
    taken_at timestamptz NOT NULL DEFAULT now()
);
