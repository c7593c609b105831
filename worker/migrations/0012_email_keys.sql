-- GDPR export/erase and a customer's cases match an e-mail address without regard to
-- case. SQLite's lower() folds ASCII only, so comparing lower(respondent_email) missed
-- `Ö@Example.COM` when asked for `ö@example.com`. Each row now keeps the address as
-- sent (shown to people) and its key (nps_shared::validate::normalize_email: trimmed,
-- lower-cased in full Unicode), written by the worker and compared with `=`.
-- Rows stored before: keyed here with trim + lower(), the most SQLite can do; an
-- address with capitals beyond ASCII stored before this migration is found by the
-- respondent's id only. Rows an older worker writes between this migration and the
-- deploy of the new one get their key from the triggers below.
ALTER TABLE responses ADD COLUMN respondent_email_key TEXT;
ALTER TABLE cases ADD COLUMN respondent_email_key TEXT;
ALTER TABLE invitations ADD COLUMN respondent_email_key TEXT;
UPDATE responses SET respondent_email_key = lower(trim(respondent_email)) WHERE respondent_email IS NOT NULL;
UPDATE cases SET respondent_email_key = lower(trim(respondent_email)) WHERE respondent_email IS NOT NULL;
UPDATE invitations SET respondent_email_key = lower(trim(respondent_email)) WHERE respondent_email IS NOT NULL;
DROP INDEX responses_by_respondent_email;
DROP INDEX cases_by_any_respondent_email;
DROP INDEX invitations_by_respondent_email;
CREATE INDEX responses_by_respondent_email_key ON responses (respondent_email_key);
CREATE INDEX cases_by_respondent_email_key ON cases (respondent_email_key);
CREATE INDEX invitations_by_respondent_email_key ON invitations (respondent_email_key);
CREATE TRIGGER responses_email_key AFTER INSERT ON responses
WHEN NEW.respondent_email IS NOT NULL AND NEW.respondent_email_key IS NULL
BEGIN
  UPDATE responses SET respondent_email_key = lower(trim(NEW.respondent_email)) WHERE id = NEW.id;
END;
CREATE TRIGGER cases_email_key AFTER INSERT ON cases
WHEN NEW.respondent_email IS NOT NULL AND NEW.respondent_email_key IS NULL
BEGIN
  UPDATE cases SET respondent_email_key = lower(trim(NEW.respondent_email)) WHERE id = NEW.id;
END;
CREATE TRIGGER invitations_email_key AFTER INSERT ON invitations
WHEN NEW.respondent_email IS NOT NULL AND NEW.respondent_email_key IS NULL
BEGIN
  UPDATE invitations SET respondent_email_key = lower(trim(NEW.respondent_email)) WHERE id = NEW.id;
END;
