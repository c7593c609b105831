-- Opaque invitation tokens (issue 14): a link carries only a reference to its
-- invitation and a MAC (`v2.<id>.<mac>`), so what the invitation fixed is kept here.
-- Order, case and respondent already have columns; the properties join them (a JSON
-- object of strings). Invitations issued before keep NULL: their v1 tokens still
-- carry their properties, signed, and are read until they expire.
ALTER TABLE invitations ADD COLUMN properties TEXT;

-- Verified respondents (issue 14): an answer's respondent columns now hold only an
-- identity the server verified (a valid user_hash, or an invitation). What a page
-- claimed without proof is kept in the answer's properties (claimed_id,
-- claimed_email) and links to nobody; these columns let a GDPR export or erase of
-- that id or address still find such answers (the e-mail by its key, as
-- respondent_email_key). Answers stored before hold their claims in the respondent
-- columns, where an erase finds them as before.
ALTER TABLE responses ADD COLUMN claimed_id TEXT;
ALTER TABLE responses ADD COLUMN claimed_email_key TEXT;
CREATE INDEX responses_by_claimed_id ON responses (claimed_id);
CREATE INDEX responses_by_claimed_email_key ON responses (claimed_email_key);
