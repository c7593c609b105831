-- Fixed-window rate limit counters (shared/src/rate_limit.rs): one row per key and
-- minute, counted up by one upsert per request; the cron deletes past windows.
CREATE TABLE rate_limits (
    key     TEXT NOT NULL,               -- scope|client[|survey]
    window  INTEGER NOT NULL,            -- Unix minutes
    count   INTEGER NOT NULL,
    PRIMARY KEY (key, window)
) WITHOUT ROWID;
