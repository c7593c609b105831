-- Coarser time counters (issue 17): a report in a zone whose offset is a whole number
-- of hours (UTC, CET, US zones without daylight saving: every fixed offset `…:00`) reads
-- one row per UTC day plus the hours that its local midnight moves from one UTC day to
-- the next, instead of 96 quarter-hours a day. rollup_time stays the one table the
-- writers change; the triggers below carry every change of it (insert, upsert, update,
-- delete) into both coarser tables in the same statement, so no writer can leave them
-- out of step. Days and hours are floored (also before 1970), as the worker's
-- `div_euclid` does.

-- Per UTC day (Unix ms / 86400000).
CREATE TABLE rollup_day (
    survey_id TEXT NOT NULL,
    day       INTEGER NOT NULL,
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
    PRIMARY KEY (survey_id, day, flagged)
) WITHOUT ROWID;

-- Per UTC hour, keyed by its hour of the day first: a zone `+h` reads only the last h
-- hours of each day (`-h`: the first h), a range of the key.
CREATE TABLE rollup_hour (
    survey_id   TEXT NOT NULL,
    hour_of_day INTEGER NOT NULL CHECK (hour_of_day BETWEEN 0 AND 23),
    day         INTEGER NOT NULL,
    flagged     INTEGER NOT NULL CHECK (flagged IN (0, 1)),
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
    PRIMARY KEY (survey_id, hour_of_day, day, flagged)
) WITHOUT ROWID;

-- Counters stored before this migration.
INSERT INTO rollup_day (survey_id, day, flagged, s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10)
SELECT survey_id, (quarter - (((quarter % 96) + 96) % 96)) / 96, flagged, SUM(s0), SUM(s1), SUM(s2), SUM(s3), SUM(s4), SUM(s5), SUM(s6), SUM(s7), SUM(s8), SUM(s9), SUM(s10)
  FROM rollup_time
 GROUP BY 1, 2, 3;
INSERT INTO rollup_hour (survey_id, hour_of_day, day, flagged, s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10)
SELECT survey_id, (((quarter % 96) + 96) % 96) / 4, (quarter - (((quarter % 96) + 96) % 96)) / 96, flagged, SUM(s0), SUM(s1), SUM(s2), SUM(s3), SUM(s4), SUM(s5), SUM(s6), SUM(s7), SUM(s8), SUM(s9), SUM(s10)
  FROM rollup_time
 GROUP BY 1, 2, 3, 4;

CREATE TRIGGER rollup_time_inserted AFTER INSERT ON rollup_time
BEGIN
    INSERT INTO rollup_day (survey_id, day, flagged, s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10)
    VALUES (NEW.survey_id, (NEW.quarter - (((NEW.quarter % 96) + 96) % 96)) / 96, NEW.flagged, NEW.s0, NEW.s1, NEW.s2, NEW.s3, NEW.s4, NEW.s5, NEW.s6, NEW.s7, NEW.s8, NEW.s9, NEW.s10)
    ON CONFLICT (survey_id, day, flagged) DO UPDATE SET s0 = s0 + excluded.s0, s1 = s1 + excluded.s1, s2 = s2 + excluded.s2, s3 = s3 + excluded.s3, s4 = s4 + excluded.s4, s5 = s5 + excluded.s5, s6 = s6 + excluded.s6, s7 = s7 + excluded.s7, s8 = s8 + excluded.s8, s9 = s9 + excluded.s9, s10 = s10 + excluded.s10;
    INSERT INTO rollup_hour (survey_id, hour_of_day, day, flagged, s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10)
    VALUES (NEW.survey_id, (((NEW.quarter % 96) + 96) % 96) / 4, (NEW.quarter - (((NEW.quarter % 96) + 96) % 96)) / 96, NEW.flagged, NEW.s0, NEW.s1, NEW.s2, NEW.s3, NEW.s4, NEW.s5, NEW.s6, NEW.s7, NEW.s8, NEW.s9, NEW.s10)
    ON CONFLICT (survey_id, hour_of_day, day, flagged) DO UPDATE SET s0 = s0 + excluded.s0, s1 = s1 + excluded.s1, s2 = s2 + excluded.s2, s3 = s3 + excluded.s3, s4 = s4 + excluded.s4, s5 = s5 + excluded.s5, s6 = s6 + excluded.s6, s7 = s7 + excluded.s7, s8 = s8 + excluded.s8, s9 = s9 + excluded.s9, s10 = s10 + excluded.s10;
END;

-- An upsert's DO UPDATE (every counted answer after the first of its quarter-hour).
CREATE TRIGGER rollup_time_counted AFTER UPDATE ON rollup_time
WHEN OLD.survey_id = NEW.survey_id AND OLD.quarter = NEW.quarter AND OLD.flagged = NEW.flagged
BEGIN
    INSERT INTO rollup_day (survey_id, day, flagged, s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10)
    VALUES (NEW.survey_id, (NEW.quarter - (((NEW.quarter % 96) + 96) % 96)) / 96, NEW.flagged, NEW.s0 - OLD.s0, NEW.s1 - OLD.s1, NEW.s2 - OLD.s2, NEW.s3 - OLD.s3, NEW.s4 - OLD.s4, NEW.s5 - OLD.s5, NEW.s6 - OLD.s6, NEW.s7 - OLD.s7, NEW.s8 - OLD.s8, NEW.s9 - OLD.s9, NEW.s10 - OLD.s10)
    ON CONFLICT (survey_id, day, flagged) DO UPDATE SET s0 = s0 + excluded.s0, s1 = s1 + excluded.s1, s2 = s2 + excluded.s2, s3 = s3 + excluded.s3, s4 = s4 + excluded.s4, s5 = s5 + excluded.s5, s6 = s6 + excluded.s6, s7 = s7 + excluded.s7, s8 = s8 + excluded.s8, s9 = s9 + excluded.s9, s10 = s10 + excluded.s10;
    INSERT INTO rollup_hour (survey_id, hour_of_day, day, flagged, s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10)
    VALUES (NEW.survey_id, (((NEW.quarter % 96) + 96) % 96) / 4, (NEW.quarter - (((NEW.quarter % 96) + 96) % 96)) / 96, NEW.flagged, NEW.s0 - OLD.s0, NEW.s1 - OLD.s1, NEW.s2 - OLD.s2, NEW.s3 - OLD.s3, NEW.s4 - OLD.s4, NEW.s5 - OLD.s5, NEW.s6 - OLD.s6, NEW.s7 - OLD.s7, NEW.s8 - OLD.s8, NEW.s9 - OLD.s9, NEW.s10 - OLD.s10)
    ON CONFLICT (survey_id, hour_of_day, day, flagged) DO UPDATE SET s0 = s0 + excluded.s0, s1 = s1 + excluded.s1, s2 = s2 + excluded.s2, s3 = s3 + excluded.s3, s4 = s4 + excluded.s4, s5 = s5 + excluded.s5, s6 = s6 + excluded.s6, s7 = s7 + excluded.s7, s8 = s8 + excluded.s8, s9 = s9 + excluded.s9, s10 = s10 + excluded.s10;
END;

-- A counter moved to another quarter-hour or state: no writer does this today.
CREATE TRIGGER rollup_time_moved AFTER UPDATE ON rollup_time
WHEN NOT (OLD.survey_id = NEW.survey_id AND OLD.quarter = NEW.quarter AND OLD.flagged = NEW.flagged)
BEGIN
    INSERT INTO rollup_day (survey_id, day, flagged, s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10)
    VALUES (OLD.survey_id, (OLD.quarter - (((OLD.quarter % 96) + 96) % 96)) / 96, OLD.flagged, -OLD.s0, -OLD.s1, -OLD.s2, -OLD.s3, -OLD.s4, -OLD.s5, -OLD.s6, -OLD.s7, -OLD.s8, -OLD.s9, -OLD.s10)
    ON CONFLICT (survey_id, day, flagged) DO UPDATE SET s0 = s0 + excluded.s0, s1 = s1 + excluded.s1, s2 = s2 + excluded.s2, s3 = s3 + excluded.s3, s4 = s4 + excluded.s4, s5 = s5 + excluded.s5, s6 = s6 + excluded.s6, s7 = s7 + excluded.s7, s8 = s8 + excluded.s8, s9 = s9 + excluded.s9, s10 = s10 + excluded.s10;
    INSERT INTO rollup_hour (survey_id, hour_of_day, day, flagged, s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10)
    VALUES (OLD.survey_id, (((OLD.quarter % 96) + 96) % 96) / 4, (OLD.quarter - (((OLD.quarter % 96) + 96) % 96)) / 96, OLD.flagged, -OLD.s0, -OLD.s1, -OLD.s2, -OLD.s3, -OLD.s4, -OLD.s5, -OLD.s6, -OLD.s7, -OLD.s8, -OLD.s9, -OLD.s10)
    ON CONFLICT (survey_id, hour_of_day, day, flagged) DO UPDATE SET s0 = s0 + excluded.s0, s1 = s1 + excluded.s1, s2 = s2 + excluded.s2, s3 = s3 + excluded.s3, s4 = s4 + excluded.s4, s5 = s5 + excluded.s5, s6 = s6 + excluded.s6, s7 = s7 + excluded.s7, s8 = s8 + excluded.s8, s9 = s9 + excluded.s9, s10 = s10 + excluded.s10;
    INSERT INTO rollup_day (survey_id, day, flagged, s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10)
    VALUES (NEW.survey_id, (NEW.quarter - (((NEW.quarter % 96) + 96) % 96)) / 96, NEW.flagged, NEW.s0, NEW.s1, NEW.s2, NEW.s3, NEW.s4, NEW.s5, NEW.s6, NEW.s7, NEW.s8, NEW.s9, NEW.s10)
    ON CONFLICT (survey_id, day, flagged) DO UPDATE SET s0 = s0 + excluded.s0, s1 = s1 + excluded.s1, s2 = s2 + excluded.s2, s3 = s3 + excluded.s3, s4 = s4 + excluded.s4, s5 = s5 + excluded.s5, s6 = s6 + excluded.s6, s7 = s7 + excluded.s7, s8 = s8 + excluded.s8, s9 = s9 + excluded.s9, s10 = s10 + excluded.s10;
    INSERT INTO rollup_hour (survey_id, hour_of_day, day, flagged, s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10)
    VALUES (NEW.survey_id, (((NEW.quarter % 96) + 96) % 96) / 4, (NEW.quarter - (((NEW.quarter % 96) + 96) % 96)) / 96, NEW.flagged, NEW.s0, NEW.s1, NEW.s2, NEW.s3, NEW.s4, NEW.s5, NEW.s6, NEW.s7, NEW.s8, NEW.s9, NEW.s10)
    ON CONFLICT (survey_id, hour_of_day, day, flagged) DO UPDATE SET s0 = s0 + excluded.s0, s1 = s1 + excluded.s1, s2 = s2 + excluded.s2, s3 = s3 + excluded.s3, s4 = s4 + excluded.s4, s5 = s5 + excluded.s5, s6 = s6 + excluded.s6, s7 = s7 + excluded.s7, s8 = s8 + excluded.s8, s9 = s9 + excluded.s9, s10 = s10 + excluded.s10;
END;

CREATE TRIGGER rollup_time_deleted AFTER DELETE ON rollup_time
BEGIN
    INSERT INTO rollup_day (survey_id, day, flagged, s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10)
    VALUES (OLD.survey_id, (OLD.quarter - (((OLD.quarter % 96) + 96) % 96)) / 96, OLD.flagged, -OLD.s0, -OLD.s1, -OLD.s2, -OLD.s3, -OLD.s4, -OLD.s5, -OLD.s6, -OLD.s7, -OLD.s8, -OLD.s9, -OLD.s10)
    ON CONFLICT (survey_id, day, flagged) DO UPDATE SET s0 = s0 + excluded.s0, s1 = s1 + excluded.s1, s2 = s2 + excluded.s2, s3 = s3 + excluded.s3, s4 = s4 + excluded.s4, s5 = s5 + excluded.s5, s6 = s6 + excluded.s6, s7 = s7 + excluded.s7, s8 = s8 + excluded.s8, s9 = s9 + excluded.s9, s10 = s10 + excluded.s10;
    INSERT INTO rollup_hour (survey_id, hour_of_day, day, flagged, s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10)
    VALUES (OLD.survey_id, (((OLD.quarter % 96) + 96) % 96) / 4, (OLD.quarter - (((OLD.quarter % 96) + 96) % 96)) / 96, OLD.flagged, -OLD.s0, -OLD.s1, -OLD.s2, -OLD.s3, -OLD.s4, -OLD.s5, -OLD.s6, -OLD.s7, -OLD.s8, -OLD.s9, -OLD.s10)
    ON CONFLICT (survey_id, hour_of_day, day, flagged) DO UPDATE SET s0 = s0 + excluded.s0, s1 = s1 + excluded.s1, s2 = s2 + excluded.s2, s3 = s3 + excluded.s3, s4 = s4 + excluded.s4, s5 = s5 + excluded.s5, s6 = s6 + excluded.s6, s7 = s7 + excluded.s7, s8 = s8 + excluded.s8, s9 = s9 + excluded.s9, s10 = s10 + excluded.s10;
END;
