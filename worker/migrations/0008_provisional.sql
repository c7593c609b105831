-- E-mail answers start provisional: a mail scanner may have opened the link. Any
-- human action on the page (a tap, a key, a comment) confirms them; reports leave
-- provisional answers out unless asked to include flagged ones.
ALTER TABLE responses ADD COLUMN provisional INTEGER NOT NULL DEFAULT 0 CHECK (provisional IN (0, 1));
