-- Answers through invitations (e-mail links, order pages, case re-asks): the order
-- and invitation they came through. One answer per order and survey.
ALTER TABLE responses ADD COLUMN order_id TEXT;
ALTER TABLE responses ADD COLUMN invitation_id TEXT;
CREATE UNIQUE INDEX responses_one_per_order ON responses (survey_id, order_id);
