-- GDPR erase of archived answers (issue 17): who each archive part names, written in
-- the same batch that records the part (a part is recorded with its names or not at
-- all), so that an erase finds the parts holding a person without reading the
-- archive. `who` is 'id:' || a respondent id, given or claimed (`claimed_id`), or
-- 'email:' || an address key (`validate::normalize_email`), given or claimed. A row
-- goes when an erase has rewritten the part without that person's lines
-- (`service::archive::erase_step`). Parts archived before this migration have no rows
-- yet: `named` = 0 says so, and an erase names them (reading each once) before it looks.
ALTER TABLE archive_parts ADD COLUMN named INTEGER NOT NULL DEFAULT 0;
-- Each erase step asks for unnamed parts: through this, not a scan of every part.
CREATE INDEX archive_parts_unnamed ON archive_parts (survey_id, month, part) WHERE named = 0;

CREATE TABLE archive_people (
    who       TEXT NOT NULL,
    survey_id TEXT NOT NULL,
    month     TEXT NOT NULL,
    part      INTEGER NOT NULL,
    PRIMARY KEY (who, survey_id, month, part)
) WITHOUT ROWID;

-- Archive objects nothing may keep: one a rewrite replaced (the old part, still holding
-- the erased lines), recorded in the batch that points the part at its new object, and
-- one the retention cron wrote but could not record because an erase changed its answers
-- meanwhile (it may hold the erased lines). Its part number is not used again
-- (`next_part` counts these rows), so nothing writes the key again. Deleted from the
-- bucket by the step that rewrote it or, an hour on, by the cron or an erase step.
CREATE TABLE archive_garbage (
    key       TEXT PRIMARY KEY,
    since     TEXT NOT NULL,
    survey_id TEXT NOT NULL,
    month     TEXT NOT NULL,
    part      INTEGER NOT NULL
) WITHOUT ROWID;
