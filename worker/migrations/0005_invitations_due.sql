-- Invitations (issue 4): kept so that those held back with send_after are announced
-- as `invitation.due` by the cron when their time comes (once: released_at).
CREATE TABLE invitations (
    id          TEXT PRIMARY KEY,               -- inv_…
    survey_id   TEXT NOT NULL REFERENCES surveys(id),
    order_id    TEXT,
    case_id     TEXT,
    invitation  TEXT NOT NULL,                  -- JSON of api::Invitation (url, token, e-mail HTML)
    send_after  TEXT,
    released_at TEXT,
    created_at  TEXT NOT NULL
);
CREATE INDEX invitations_due ON invitations (released_at, send_after);
