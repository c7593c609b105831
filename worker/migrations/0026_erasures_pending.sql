-- GDPR erase of a respondent named in campaign lists (issue 16): the lists live in R2
-- and are scrubbed by a background job, part by part. Until it is done, each campaign
-- chunk checks its recipients against these rows and invites none of them. Only a
-- keyed hash is kept (HMAC-SHA256 with INVITATION_SECRET of "email:<key>" or
-- "id:<id>"), never the address; the row goes a while after the scrub finished.
CREATE TABLE erasures_pending (
    id         TEXT PRIMARY KEY,   -- er_…: one erase request, also its scrub job's
    key_hash   TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX erasures_pending_by_hash ON erasures_pending (key_hash);
