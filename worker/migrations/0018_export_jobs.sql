-- Export jobs (issue 17): an export of any size written to R2 in chunks, one queue
-- message per chunk, each within one invocation's D1 query budget. The row is the
-- job's progress and the truth a redelivered message is checked against: a chunk is
-- written only while `parts` equals its number, so none is counted twice.
--
-- The export holds the answers stored when it was started: those up to `newest_id`
-- (ids grow with time), newest first like export.csv; `cursor` is the last answer
-- written (NULL before the first chunk).

CREATE TABLE export_jobs (
    id TEXT PRIMARY KEY,
    survey_id TEXT NOT NULL REFERENCES surveys (id),
    format TEXT NOT NULL DEFAULT 'csv' CHECK (format IN ('csv')),
    category TEXT CHECK (category IN ('detractor', 'passive', 'promoter')),
    status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed')),
    newest_id TEXT,
    cursor TEXT,
    parts INTEGER NOT NULL DEFAULT 0,
    rows_written INTEGER NOT NULL DEFAULT 0,
    rows_total INTEGER NOT NULL DEFAULT 0,
    bytes INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    finished_at TEXT,
    error TEXT
);

CREATE INDEX export_jobs_by_survey ON export_jobs (survey_id, id);
