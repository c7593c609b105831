-- API keys with scopes (shared/src/staff.rs) and the audit log of admin changes.
-- A key's secret is shown once and kept only as its SHA-256 (hex): a request's bearer
-- token is hashed and looked up here. Revoking sets revoked_at; the row stays so the
-- audit log and the key list keep its name.
CREATE TABLE api_keys (
    id            TEXT PRIMARY KEY,        -- key_…
    name          TEXT NOT NULL,           -- the actor of the key's changes
    scopes        TEXT NOT NULL,           -- JSON array: ["read","cases","admin"]
    secret_hash   TEXT NOT NULL UNIQUE,
    created_at    TEXT NOT NULL,
    last_used_at  TEXT,                    -- updated at most once a minute
    revoked_at    TEXT
);

-- Who changed surveys, webhooks, keys, cases and erased respondents. Ids are
-- time-ordered (au_…): newest first is ORDER BY id DESC, and the cursor is an id. The
-- cron deletes entries older than AUDIT_RETENTION_DAYS, a bounded batch a minute.
CREATE TABLE audit_log (
    id              TEXT PRIMARY KEY,      -- au_…
    at              TEXT NOT NULL,         -- RFC 3339
    actor           TEXT NOT NULL,
    principal_kind  TEXT NOT NULL,         -- bootstrap | api_key | access
    principal_id    TEXT,                  -- the key's id for api_key
    action          TEXT NOT NULL,         -- survey.updated, api_key.revoked, …
    target_type     TEXT NOT NULL,
    target_id       TEXT NOT NULL,
    summary         TEXT NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_action ON audit_log (action, id);
CREATE INDEX audit_log_actor ON audit_log (actor, id);
