-- Relationship surveys (issue 16): a survey sent to a customer list, once or every
-- quarter / half-year. The list itself is kept in R2 (`campaigns/{id}/part-NNNNN.ndjson`,
-- one object per upload), never written row by row in one request; each run turns it
-- into invitations chunk by chunk, one JOBS queue message a chunk.
CREATE TABLE campaigns (
    id            TEXT PRIMARY KEY,                 -- cmp_…
    survey_id     TEXT NOT NULL,
    name          TEXT NOT NULL,
    schedule      TEXT NOT NULL CHECK (schedule IN ('once', 'quarterly', 'half_yearly')),
    status        TEXT NOT NULL CHECK (status IN ('scheduled', 'queuing', 'paused', 'done')),
    throttle_days INTEGER NOT NULL,
    base_url      TEXT NOT NULL,                    -- where invitation links point
    part_sizes    TEXT NOT NULL DEFAULT '[]',       -- JSON array: recipients per list part
    recipients    INTEGER NOT NULL DEFAULT 0,
    run           INTEGER NOT NULL DEFAULT 0,       -- runs started (0 before the first)
    run_started_at TEXT,                            -- the current run's start
    next_run_at   TEXT,                             -- when the next run starts
    chunks_total  INTEGER NOT NULL DEFAULT 0,       -- chunks of the current run
    chunks_done   INTEGER NOT NULL DEFAULT 0,
    invited       INTEGER NOT NULL DEFAULT 0,       -- over all runs
    throttled     INTEGER NOT NULL DEFAULT 0,
    suppressed    INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX campaigns_due ON campaigns (status, next_run_at);

-- A campaign's answers: those whose invitation it issued.
CREATE INDEX responses_by_invitation ON responses (invitation_id);
