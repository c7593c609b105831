-- Retention and archive (issue 17): a survey's answers older than its retention_days
-- are written to R2 (NDJSON, gzip, per survey, month and part; shared/src/retention.rs)
-- and then deleted from D1. The rollups keep counting them, so reports stay exact.

-- One row per archive object, written in the same D1 batch that deletes its answers:
-- a part is recorded if and only if its answers are gone. Its answers are those of the
-- survey from (first_created_at, first_id) to (last_created_at, last_id) inclusive, in
-- the order (created_at, id).
CREATE TABLE archive_parts (
    survey_id        TEXT NOT NULL REFERENCES surveys(id),
    month            TEXT NOT NULL,           -- YYYY-MM (UTC) of its answers
    part             INTEGER NOT NULL,        -- 1, 2, … within the month
    key              TEXT NOT NULL UNIQUE,    -- the R2 object
    first_created_at TEXT NOT NULL,
    first_id         TEXT NOT NULL,
    last_created_at  TEXT NOT NULL,
    last_id          TEXT NOT NULL,
    count            INTEGER NOT NULL,        -- answers (lines) in it
    bytes            INTEGER NOT NULL,        -- size of the gzip object
    etag             TEXT NOT NULL,           -- R2's etag of the object as written
    written_at       TEXT NOT NULL,
    PRIMARY KEY (survey_id, month, part)
) WITHOUT ROWID;

-- A case outlives the answer that opened it (it is the team's work): `cases` loses its
-- foreign key to `responses`, and keeps the answer's comment (`archived_comment`) when
-- that answer is archived. SQLite cannot drop a constraint, so the table is rebuilt
-- (nothing references `cases`), with its indexes and trigger.
CREATE TABLE cases_rebuilt (
    id                   TEXT PRIMARY KEY,             -- c_…
    survey_id            TEXT NOT NULL REFERENCES surveys(id),
    response_id          TEXT NOT NULL UNIQUE,         -- the answer, while it is kept
    score                INTEGER NOT NULL CHECK (score BETWEEN 0 AND 10),
    status               TEXT NOT NULL CHECK (status IN ('open', 'contacted', 'resolved')),
    owner                TEXT,
    due_at               TEXT NOT NULL,
    respondent_id        TEXT,
    respondent_email     TEXT,
    reasked_score        INTEGER CHECK (reasked_score BETWEEN 0 AND 10),
    timeline             TEXT NOT NULL DEFAULT '[]',
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL,
    respondent_email_key TEXT,
    archived_comment     TEXT                          -- the answer's comment, once archived
);
INSERT INTO cases_rebuilt (id, survey_id, response_id, score, status, owner, due_at, respondent_id,
    respondent_email, reasked_score, timeline, created_at, updated_at, respondent_email_key)
SELECT id, survey_id, response_id, score, status, owner, due_at, respondent_id,
    respondent_email, reasked_score, timeline, created_at, updated_at, respondent_email_key
  FROM cases;
DROP TABLE cases;
ALTER TABLE cases_rebuilt RENAME TO cases;
CREATE INDEX cases_by_status ON cases (status, id);
CREATE INDEX cases_by_owner ON cases (owner, status, id);
CREATE INDEX cases_by_respondent_id ON cases (survey_id, respondent_id);
CREATE INDEX cases_by_respondent_email ON cases (survey_id, respondent_email);
CREATE INDEX cases_by_any_respondent_id ON cases (respondent_id);
CREATE INDEX cases_by_respondent_email_key ON cases (respondent_email_key);
CREATE TRIGGER cases_email_key AFTER INSERT ON cases
WHEN NEW.respondent_email IS NOT NULL AND NEW.respondent_email_key IS NULL
BEGIN
  UPDATE cases SET respondent_email_key = lower(trim(NEW.respondent_email)) WHERE id = NEW.id;
END;
