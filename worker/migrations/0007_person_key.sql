-- The server-side throttle (issue 4): one person is asked at most once per survey in
-- throttle.days, across the widget, e-mail and links. person_key is
-- validate::person_key (a SHA-256, not the address).
ALTER TABLE responses ADD COLUMN person_key TEXT;
CREATE INDEX responses_by_person ON responses (survey_id, person_key, created_at);
