-- Detractor cases (issue 3): opened by a low answer, owned, due by the survey's SLA,
-- worked open → contacted → resolved (and reopened), every change kept in the
-- timeline. One case per answer.

CREATE TABLE cases (
    id               TEXT PRIMARY KEY,             -- c_…
    survey_id        TEXT NOT NULL REFERENCES surveys(id),
    response_id      TEXT NOT NULL UNIQUE REFERENCES responses(id),
    score            INTEGER NOT NULL CHECK (score BETWEEN 0 AND 10),
    status           TEXT NOT NULL CHECK (status IN ('open', 'contacted', 'resolved')),
    owner            TEXT,
    due_at           TEXT NOT NULL,
    respondent_id    TEXT,                         -- to recognise the customer's next answer
    respondent_email TEXT,
    reasked_score    INTEGER CHECK (reasked_score BETWEEN 0 AND 10),
    timeline         TEXT NOT NULL DEFAULT '[]',   -- JSON array of case::TimelineEntry
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);
CREATE INDEX cases_by_status ON cases (status, id);
CREATE INDEX cases_by_owner ON cases (owner, status, id);
CREATE INDEX cases_by_respondent_id ON cases (survey_id, respondent_id);
CREATE INDEX cases_by_respondent_email ON cases (survey_id, respondent_email);
