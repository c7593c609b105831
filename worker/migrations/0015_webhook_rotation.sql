-- Webhook endpoints that can be switched off, and secret rotation with an overlap
-- (issue 14): the replaced secret keeps signing, beside the new one, until
-- previous_secret_expires_at. Rotating again replaces both: the secret being
-- replaced becomes the previous one, and an older one stops signing at once.

ALTER TABLE webhook_endpoints ADD COLUMN enabled INTEGER NOT NULL DEFAULT 1
    CHECK (enabled IN (0, 1));
ALTER TABLE webhook_endpoints ADD COLUMN previous_secret TEXT;
ALTER TABLE webhook_endpoints ADD COLUMN previous_secret_expires_at TEXT;
