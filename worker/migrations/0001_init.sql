-- Surveys, answers and webhook endpoints. Times are RFC 3339 UTC text, which sorts
-- like the instants it names; ids are time-ordered (see shared/src/ids.rs).

CREATE TABLE surveys (
    id          TEXT PRIMARY KEY,
    definition  TEXT NOT NULL,               -- JSON of api::SurveyDefinition
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

CREATE TABLE responses (
    id               TEXT PRIMARY KEY,
    survey_id        TEXT NOT NULL REFERENCES surveys(id),
    score            INTEGER NOT NULL CHECK (score BETWEEN 0 AND 10),
    category         TEXT NOT NULL CHECK (category IN ('detractor', 'passive', 'promoter')),
    comment          TEXT,
    channel          TEXT NOT NULL CHECK (channel IN ('web', 'email', 'link', 'api')),
    locale           TEXT,
    page_url         TEXT,
    respondent_id    TEXT,
    respondent_email TEXT,
    properties       TEXT NOT NULL DEFAULT '{}',   -- JSON object of strings
    edit_token       TEXT NOT NULL,
    idempotency_key  TEXT,
    fingerprint      TEXT,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);

-- An Idempotency-Key stores one answer per survey; NULL keys never collide.
CREATE UNIQUE INDEX responses_idempotency ON responses (survey_id, idempotency_key);
CREATE INDEX responses_by_survey ON responses (survey_id, id);
CREATE INDEX responses_by_survey_category ON responses (survey_id, category, id);

CREATE TABLE webhook_endpoints (
    id          TEXT PRIMARY KEY,
    url         TEXT NOT NULL,
    secret      TEXT NOT NULL,
    events      TEXT NOT NULL,               -- JSON array of event types
    filter      TEXT NOT NULL,               -- JSON of api::WebhookFilter
    description TEXT,
    created_at  TEXT NOT NULL
);
