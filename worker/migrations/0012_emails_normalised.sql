-- E-mail addresses are stored normalised (trimmed, lower-cased in full Unicode by
-- nps_shared::validate::normalize_email) and matched with `=`: SQLite's lower() folds
-- ASCII only, so matching with it missed `Ö@Example.COM` when asked for `ö@example.com`.
-- Rows stored before: trimmed and ASCII-lower-cased here (the most SQLite can do);
-- an address with non-ASCII capitals stored before this migration is found by
-- asking for it exactly as it was stored.
UPDATE responses SET respondent_email = lower(trim(respondent_email)) WHERE respondent_email IS NOT NULL;
UPDATE cases SET respondent_email = lower(trim(respondent_email)) WHERE respondent_email IS NOT NULL;
UPDATE invitations SET respondent_email = lower(trim(respondent_email)) WHERE respondent_email IS NOT NULL;
DROP INDEX responses_by_respondent_email;
DROP INDEX cases_by_any_respondent_email;
DROP INDEX invitations_by_respondent_email;
CREATE INDEX responses_by_respondent_email ON responses (respondent_email);
CREATE INDEX cases_by_any_respondent_email ON cases (respondent_email);
CREATE INDEX invitations_by_respondent_email ON invitations (respondent_email);
