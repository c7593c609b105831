-- Webhook deliveries and every attempt at them (issue 3). A delivery row is written
-- before its queue message is sent, so a lost message is found again by the cron
-- sweeper (`scheduled` in src/lib.rs) and nothing is dropped.

ALTER TABLE webhook_endpoints ADD COLUMN format TEXT NOT NULL DEFAULT 'standard'
    CHECK (format IN ('standard', 'slack'));

CREATE TABLE deliveries (
    id              TEXT PRIMARY KEY,            -- dl_…, the webhook-id of every attempt
    endpoint_id     TEXT NOT NULL,
    event_type      TEXT NOT NULL,
    payload         TEXT NOT NULL,               -- the exact body sent
    status          TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,  -- attempts made, all rounds
    round_start     INTEGER NOT NULL DEFAULT 0,  -- attempts before the last replay
    next_attempt_at TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE INDEX deliveries_by_endpoint ON deliveries (endpoint_id, id);
CREATE INDEX deliveries_due ON deliveries (status, next_attempt_at);

CREATE TABLE delivery_attempts (
    delivery_id     TEXT NOT NULL REFERENCES deliveries(id),
    attempt         INTEGER NOT NULL,
    attempted_at    TEXT NOT NULL,
    status_code     INTEGER,
    latency_ms      INTEGER NOT NULL,
    response_body   TEXT,                        -- the first KiB
    error           TEXT,
    next_attempt_at TEXT,
    PRIMARY KEY (delivery_id, attempt)
);
