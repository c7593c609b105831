-- Action plans (issue 15): what headquarters does about a cause, for which customers
-- (segment: a JSON object of answer properties), by whom and by when, worked
-- planned → in_progress → done; live_at is when it went live, what its impact (NPS
-- before and after) is measured around.

CREATE TABLE action_plans (
    id          TEXT PRIMARY KEY,                   -- act_…
    survey_id   TEXT NOT NULL REFERENCES surveys(id),
    title       TEXT NOT NULL,
    cause       TEXT NOT NULL,
    owner       TEXT,
    segment     TEXT NOT NULL DEFAULT '{}',         -- JSON object property → value
    due_date    TEXT,                               -- YYYY-MM-DD
    status      TEXT NOT NULL CHECK (status IN ('planned', 'in_progress', 'done')),
    live_at     TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX action_plans_by_status ON action_plans (status, id);
CREATE INDEX action_plans_by_survey ON action_plans (survey_id, status, id);

-- The coaching view reads the cases opened in a period.
CREATE INDEX cases_by_created ON cases (created_at);
