-- Rollups (issue 5): answer counts kept up to date on write, in the same D1 batch as
-- the write that changes them, so a report reads counters, not answers. What is
-- counted and why is in shared/src/rollup.rs. Scores are columns (s0 = answers
-- scoring 0 …) so a day of a report is one row, not eleven.

-- Per UTC quarter-hour: every UTC offset in use is a multiple of 15 minutes, so the
-- trend can be cut at any of their midnights.
CREATE TABLE rollup_time (
    survey_id TEXT NOT NULL,
    quarter   INTEGER NOT NULL,              -- Unix ms / 900000
    flagged   INTEGER NOT NULL CHECK (flagged IN (0, 1)),  -- scanner-flagged or provisional
    s0 INTEGER NOT NULL DEFAULT 0,
    s1 INTEGER NOT NULL DEFAULT 0,
    s2 INTEGER NOT NULL DEFAULT 0,
    s3 INTEGER NOT NULL DEFAULT 0,
    s4 INTEGER NOT NULL DEFAULT 0,
    s5 INTEGER NOT NULL DEFAULT 0,
    s6 INTEGER NOT NULL DEFAULT 0,
    s7 INTEGER NOT NULL DEFAULT 0,
    s8 INTEGER NOT NULL DEFAULT 0,
    s9 INTEGER NOT NULL DEFAULT 0,
    s10 INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (survey_id, quarter, flagged)
) WITHOUT ROWID;

-- Per property value and UTC day, for group_by (RFM inputs and order_id are not).
CREATE TABLE rollup_property (
    survey_id TEXT NOT NULL,
    key       TEXT NOT NULL,
    day       INTEGER NOT NULL,              -- Unix ms / 86400000
    value     TEXT NOT NULL,                 -- trimmed, never blank
    flagged   INTEGER NOT NULL CHECK (flagged IN (0, 1)),
    s0 INTEGER NOT NULL DEFAULT 0,
    s1 INTEGER NOT NULL DEFAULT 0,
    s2 INTEGER NOT NULL DEFAULT 0,
    s3 INTEGER NOT NULL DEFAULT 0,
    s4 INTEGER NOT NULL DEFAULT 0,
    s5 INTEGER NOT NULL DEFAULT 0,
    s6 INTEGER NOT NULL DEFAULT 0,
    s7 INTEGER NOT NULL DEFAULT 0,
    s8 INTEGER NOT NULL DEFAULT 0,
    s9 INTEGER NOT NULL DEFAULT 0,
    s10 INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (survey_id, key, day, value, flagged)
) WITHOUT ROWID;

-- The sampled sections read the most recent answers of a range.
CREATE INDEX responses_by_time ON responses (survey_id, created_at, id);

-- Answers stored before this migration.
INSERT INTO rollup_time (survey_id, quarter, flagged, s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10)
SELECT survey_id, CAST(strftime('%s', created_at) AS INTEGER) / 900,
       (flagged IS NOT NULL OR provisional = 1), SUM(score = 0), SUM(score = 1), SUM(score = 2), SUM(score = 3), SUM(score = 4), SUM(score = 5), SUM(score = 6), SUM(score = 7), SUM(score = 8), SUM(score = 9), SUM(score = 10)
  FROM responses
 GROUP BY 1, 2, 3;
INSERT INTO rollup_property (survey_id, key, day, value, flagged, s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10)
SELECT r.survey_id, j.key, CAST(strftime('%s', r.created_at) AS INTEGER) / 86400,
       trim(j.value, char(32, 9, 10, 11, 12, 13)),
       (r.flagged IS NOT NULL OR r.provisional = 1), SUM(r.score = 0), SUM(r.score = 1), SUM(r.score = 2), SUM(r.score = 3), SUM(r.score = 4), SUM(r.score = 5), SUM(r.score = 6), SUM(r.score = 7), SUM(r.score = 8), SUM(r.score = 9), SUM(r.score = 10)
  FROM responses r, json_each(r.properties) j
 WHERE j.key NOT IN ('recency_days', 'last_order_at', 'order_count', 'revenue', 'order_id')
   AND trim(j.value, char(32, 9, 10, 11, 12, 13)) <> ''
 GROUP BY 1, 2, 3, 4, 5;
