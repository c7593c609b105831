-- E-mail that sends itself (issue 16): the tables the mail path, the unsubscribe
-- endpoint, the providers' bounce/complaint webhooks and campaigns share.

-- People who get no survey e-mail from any survey: they unsubscribed (the link or
-- RFC 8058 one-click), the provider reported a hard bounce, or they complained.
-- Kept when a respondent is erased: it is what keeps them from being mailed again.
CREATE TABLE suppressions (
    email_key   TEXT PRIMARY KEY,                   -- lower(trim(e-mail))
    reason      TEXT NOT NULL CHECK (reason IN ('unsubscribed', 'bounced', 'complained')),
    source      TEXT NOT NULL,                      -- 'link', 'one-click', 'postmark', 'resend', …
    created_at  TEXT NOT NULL
);

-- One row per invitation e-mail: the send log, and the job the queue works
-- (same retry schedule and dead-letter rules as webhook deliveries).
CREATE TABLE mail_sends (
    id                  TEXT PRIMARY KEY,           -- ml_…
    invitation_id       TEXT NOT NULL,
    survey_id           TEXT NOT NULL,
    campaign_id         TEXT,
    email_key           TEXT NOT NULL,              -- lower(trim(e-mail)) of the recipient
    provider            TEXT NOT NULL,              -- postmark | resend | ses | sendgrid
    status              TEXT NOT NULL CHECK (status IN
                          ('pending', 'sent', 'failed', 'suppressed', 'bounced', 'complained')),
    attempts            INTEGER NOT NULL DEFAULT 0,
    next_attempt_at     TEXT,
    provider_message_id TEXT,
    last_error          TEXT,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL
);
CREATE UNIQUE INDEX mail_sends_one_per_invitation ON mail_sends (invitation_id);
CREATE INDEX mail_sends_by_campaign ON mail_sends (campaign_id, status);
CREATE INDEX mail_sends_by_email_key ON mail_sends (email_key, created_at);
CREATE INDEX mail_sends_waiting ON mail_sends (status, next_attempt_at);
CREATE INDEX mail_sends_by_provider_message ON mail_sends (provider, provider_message_id);

-- The campaign (relationship survey run) an invitation was issued for, if any.
ALTER TABLE invitations ADD COLUMN campaign_id TEXT;
CREATE INDEX invitations_by_campaign ON invitations (campaign_id);
