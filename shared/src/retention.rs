//! Per-survey retention: how long answers stay in the database, where the cut falls,
//! and how the archive written before the delete is named.
//!
//! A survey with `retention_days` keeps its answers for that many days; older ones
//! are written to the archive (NDJSON, gzip, one object per survey, month and part)
//! and deleted, while the rollups (`crate::rollup`) keep counting them. The cut is a
//! UTC midnight so that whole days leave together and the counters of those days stay
//! the report's exact source. Pure arithmetic: no clock, no storage.

use crate::rollup::DAY_MS;
use crate::time::{civil_from_days, days_from_civil};

/// The fewest days a survey may keep its answers (a month: the report of the
/// running month still reads comments and themes).
pub const MIN_DAYS: u32 = 30;
/// The most: ten years.
pub const MAX_DAYS: u32 = 3650;
/// Answers in one archive part: one part is read, compressed, written and deleted
/// in one go, so this bounds the memory (about 1 KB of JSON an answer) and the D1
/// statements of a cron run.
pub const PART_ANSWERS: u32 = 1_000;

/// Whether `days` is an allowed `retention_days`.
pub fn is_valid_days(days: u32) -> bool {
    (MIN_DAYS..=MAX_DAYS).contains(&days)
}

/// Answers given before this instant (Unix ms, a UTC midnight) are past a retention
/// of `days` at `now_ms`: the start of the UTC day `days` days before today.
pub fn cutoff(now_ms: i64, days: u32) -> i64 {
    (now_ms.div_euclid(DAY_MS) - i64::from(days)) * DAY_MS
}

/// The UTC month of an instant, as `YYYY-MM`.
pub fn month_of(ms: i64) -> String {
    let (year, month, _) = civil_from_days(ms.div_euclid(DAY_MS));
    format!("{year:04}-{month:02}")
}

/// The first instant (Unix ms) of the UTC month after the one `ms` lies in.
pub fn next_month_start(ms: i64) -> i64 {
    let (year, month, _) = civil_from_days(ms.div_euclid(DAY_MS));
    let (year, month) = if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    };
    days_from_civil(year, month, 1) * DAY_MS
}

/// Whether `text` is a month as [`month_of`] writes it (`2026-01` … `9999-12`).
pub fn is_month(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 7
        && b[4] == b'-'
        && b[..4].iter().chain(&b[5..]).all(u8::is_ascii_digit)
        && matches!(text[5..].parse::<u32>(), Ok(1..=12))
}

/// The archive object of a part: `archive/{survey_id}/{YYYY-MM}/part-{NNNN}.ndjson.gz`.
pub fn part_key(survey_id: &str, month: &str, part: u32) -> String {
    format!("archive/{survey_id}/{month}/part-{part:04}.ndjson.gz")
}

/// The object of a part rewritten by the GDPR erase `erasure` (its `er_…` id):
/// `archive/{survey_id}/{YYYY-MM}/part-{NNNN}.{erasure}.ndjson.gz` — the same for a
/// repeated try of that erase, new for each erase.
pub fn rewritten_part_key(survey_id: &str, month: &str, part: u32, erasure: &str) -> String {
    format!("archive/{survey_id}/{month}/part-{part:04}.{erasure}.ndjson.gz")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::parse_rfc3339;

    fn at(text: &str) -> i64 {
        parse_rfc3339(text).unwrap()
    }

    #[test]
    fn the_cut_is_the_utc_midnight_that_many_days_before_today() {
        let now = at("2026-12-03T09:45:00.000Z");
        assert_eq!(cutoff(now, 30), at("2026-11-03T00:00:00.000Z"));
        // Just after midnight the cut moves a whole day.
        assert_eq!(
            cutoff(at("2026-12-04T00:00:00.001Z"), 30),
            at("2026-11-04T00:00:00.000Z")
        );
    }

    #[test]
    fn retention_takes_a_month_to_ten_years() {
        assert!(!is_valid_days(29));
        assert!(is_valid_days(30));
        assert!(is_valid_days(3650));
        assert!(!is_valid_days(3651));
    }

    #[test]
    fn months_are_utc_and_roll_over_the_year() {
        assert_eq!(month_of(at("2026-12-31T23:59:59.999Z")), "2026-12");
        assert_eq!(month_of(at("2027-01-01T00:00:00.000Z")), "2027-01");
        assert_eq!(
            next_month_start(at("2026-12-15T10:00:00.000Z")),
            at("2027-01-01T00:00:00.000Z")
        );
        assert_eq!(
            next_month_start(at("2026-02-01T00:00:00.000Z")),
            at("2026-03-01T00:00:00.000Z")
        );
    }

    #[test]
    fn a_month_is_four_digits_a_dash_and_one_to_twelve() {
        assert!(is_month("2026-01"));
        assert!(is_month("2026-12"));
        for bad in [
            "2026-13",
            "2026-00",
            "2026-1",
            "26-01",
            "2026/01",
            "2026-0a",
            "２０２６-01",
        ] {
            assert!(!is_month(bad), "{bad}");
        }
    }

    #[test]
    fn part_keys_name_survey_month_and_a_zero_padded_part() {
        assert_eq!(
            part_key("s_demo", "2026-11", 7),
            "archive/s_demo/2026-11/part-0007.ndjson.gz"
        );
        assert_eq!(
            rewritten_part_key("s_demo", "2026-11", 7, "er_1"),
            "archive/s_demo/2026-11/part-0007.er_1.ndjson.gz"
        );
    }
}
