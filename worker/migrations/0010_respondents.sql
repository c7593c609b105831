-- GDPR export and erase (GET/DELETE /v1/respondents/{id}): find everything stored
-- about one respondent by the shop's id or by e-mail address (case-insensitive).
-- Invitations now keep who they were for (before, only inside the signed token).
ALTER TABLE invitations ADD COLUMN respondent_id TEXT;
ALTER TABLE invitations ADD COLUMN respondent_email TEXT;
CREATE INDEX invitations_by_respondent_id ON invitations (respondent_id);
CREATE INDEX invitations_by_respondent_email ON invitations (lower(respondent_email));
CREATE INDEX responses_by_respondent_id ON responses (respondent_id);
CREATE INDEX responses_by_respondent_email ON responses (lower(respondent_email));
CREATE INDEX cases_by_any_respondent_id ON cases (respondent_id);
CREATE INDEX cases_by_any_respondent_email ON cases (lower(respondent_email));
