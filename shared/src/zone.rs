//! Local time for the report's trend: a fixed UTC offset, or a time zone's offsets over
//! the report's range, daylight saving included.
//!
//! This crate has no time-zone database. The worker asks the runtime (`Intl`) for a
//! zone's offset at a few instants, and [`Zone::resolve`] turns those answers into the
//! list of changes within the range: it samples every [`SAMPLE_STEP_MS`] and narrows
//! every change it sees down to the minute. A report then only ever asks the `Zone`.
//!
//! ```text
//! Europe/Berlin over 2026:  +01:00 ─ 2026-03-29T01:00Z ─ +02:00 ─ 2026-10-25T01:00Z ─ +01:00
//! ```
//!
//! [`UtcOffset`] and [`ZoneError`] live here, below the report that uses them: this
//! module depends on nothing in the crate but [`crate::time`] (in its tests), and must
//! not depend on `report` or `rollup`.

use serde::{Deserialize, Serialize};

/// Furthest a UTC offset may be from UTC, in minutes (±18:00, as RFC 3339 allows).
pub const MAX_UTC_OFFSET_MINUTES: i32 = 18 * 60;

/// Why an offset or a time zone cannot be used. The report repeats these (with the
/// same messages) as variants of its own error, `crate::report::ReportError`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ZoneError {
    #[error("utc_offset_minutes must be between -1080 and 1080")]
    OffsetOutOfRange,
    #[error("time_zone must be an IANA time zone name such as Europe/Berlin")]
    UnknownTimeZone,
    #[error(
        "the time zone changes its offset more than {max} times in the range; choose a shorter range"
    )]
    TooManyZoneChanges { max: usize },
}

/// A fixed offset from UTC in minutes, within ±18:00. Not a time zone: no DST.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "i32", into = "i32")]
pub struct UtcOffset(i32);

impl UtcOffset {
    pub const UTC: UtcOffset = UtcOffset(0);

    pub fn minutes(self) -> i32 {
        self.0
    }
}

impl TryFrom<i32> for UtcOffset {
    type Error = ZoneError;
    fn try_from(minutes: i32) -> Result<Self, Self::Error> {
        if (-MAX_UTC_OFFSET_MINUTES..=MAX_UTC_OFFSET_MINUTES).contains(&minutes) {
            Ok(UtcOffset(minutes))
        } else {
            Err(ZoneError::OffsetOutOfRange)
        }
    }
}

impl From<UtcOffset> for i32 {
    fn from(offset: UtcOffset) -> i32 {
        offset.0
    }
}

const MINUTE_MS: i64 = 60_000;
const DAY_MS: i64 = 86_400_000;
/// How far apart the resolver samples a zone. Changes closer together than this (none
/// in today's zones: daylight saving lasts months, Ramadan suspensions weeks) would be
/// missed in pairs.
pub const SAMPLE_STEP_MS: i64 = 7 * DAY_MS;
/// The most changes a resolved zone keeps (two a year for fifty years).
pub const MAX_CHANGES: usize = 100;
/// The longest IANA zone name accepted (`America/Argentina/ComodRivadavia` is 32).
pub const MAX_NAME_LEN: usize = 64;

/// The offsets of local time over a span of instants.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Zone {
    /// The IANA name (`Europe/Berlin`) when the offsets come from a time zone.
    name: Option<String>,
    /// The offset before the first change.
    base: UtcOffset,
    /// `(instant in Unix ms from which it applies, offset)`, ascending by instant.
    changes: Vec<(i64, UtcOffset)>,
}

impl Default for Zone {
    fn default() -> Self {
        Zone::fixed(UtcOffset::UTC)
    }
}

impl Zone {
    /// The same offset at every instant.
    pub fn fixed(offset: UtcOffset) -> Zone {
        Zone {
            name: None,
            base: offset,
            changes: Vec::new(),
        }
    }

    /// A named zone from its offset before the first change and its changes
    /// (`(instant, offset)`; sorted here).
    pub fn with_changes(name: &str, base: UtcOffset, mut changes: Vec<(i64, UtcOffset)>) -> Zone {
        changes.sort_by_key(|(at, _)| *at);
        Zone {
            name: Some(name.to_owned()),
            base,
            changes,
        }
    }

    /// The zone `name` over `[from, to]` (Unix ms), from `offset_at(instant)`: the
    /// zone's offset in minutes at that instant, `None` when there is no such zone.
    pub fn resolve(
        name: &str,
        from: i64,
        to: i64,
        mut offset_at: impl FnMut(i64) -> Option<i32>,
    ) -> Result<Zone, ZoneError> {
        if !is_zone_name(name) {
            return Err(ZoneError::UnknownTimeZone);
        }
        let mut offset = |at: i64| {
            offset_at(at)
                .ok_or(ZoneError::UnknownTimeZone)
                .and_then(|m| UtcOffset::try_from(m).map_err(|_| ZoneError::UnknownTimeZone))
        };
        let (from, to) = (from.min(to), from.max(to));
        let base = offset(from)?;
        let mut changes = Vec::new();
        let (mut at, mut current) = (from, base);
        while at < to {
            let next = at.saturating_add(SAMPLE_STEP_MS).min(to);
            if offset(next)? == current {
                at = next;
                continue;
            }
            // Narrow the first change after `at` down to the minute: offset(low) ==
            // current, offset(high) != current.
            let (mut low, mut high) = (at, next);
            while high - low > MINUTE_MS {
                let middle = low + (high - low) / 2;
                if offset(middle)? == current {
                    low = middle;
                } else {
                    high = middle;
                }
            }
            // Zones change on whole minutes; an instant in between is taken as it is.
            let mut change = high - high.rem_euclid(MINUTE_MS);
            let mut after = if change > low {
                offset(change)?
            } else {
                current
            };
            if after == current {
                change = high;
                after = offset(high)?;
            }
            changes.push((change, after));
            if changes.len() > MAX_CHANGES {
                return Err(ZoneError::TooManyZoneChanges { max: MAX_CHANGES });
            }
            current = after;
            // Look again from the change: another one may follow within the step.
            at = change;
        }
        Ok(Zone {
            name: Some(name.to_owned()),
            base,
            changes,
        })
    }

    /// The IANA name, `None` for a fixed offset.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// The offset before the first change.
    pub fn base(&self) -> UtcOffset {
        self.base
    }

    /// Every change: `(instant, offset from then on)`, ascending.
    pub fn changes(&self) -> &[(i64, UtcOffset)] {
        &self.changes
    }

    /// The offset after the last change: at the end of the resolved span.
    pub fn last_offset(&self) -> UtcOffset {
        self.changes.last().map_or(self.base, |(_, offset)| *offset)
    }

    /// The offset at `ms`.
    pub fn offset_at(&self, ms: i64) -> UtcOffset {
        match self.changes.partition_point(|(at, _)| *at <= ms) {
            0 => self.base,
            n => self.changes[n - 1].1,
        }
    }

    /// Whether every offset is a whole number of quarter-hours and every change falls
    /// on a UTC quarter-hour: then no quarter-hour straddles a local midnight, which
    /// is what the rollups, counted per UTC quarter-hour, need.
    pub fn quarter_hours_only(&self) -> bool {
        const QUARTER_MS: i64 = 15 * MINUTE_MS;
        std::iter::once(self.base)
            .chain(self.changes.iter().map(|(_, offset)| *offset))
            .all(|offset| offset.minutes() % 15 == 0)
            && self
                .changes
                .iter()
                .all(|(at, _)| at.rem_euclid(QUARTER_MS) == 0)
    }

    /// The local day (days since 1970-01-01 in local time) of the instant `ms`.
    pub fn local_day(&self, ms: i64) -> i64 {
        ms.saturating_add(i64::from(self.offset_at(ms).minutes()) * MINUTE_MS)
            .div_euclid(DAY_MS)
    }

    /// The first instant (Unix ms) of the local day `day`: its midnight, or the change
    /// that skipped over midnight, or the earlier of two midnights when the clocks went
    /// back over it.
    pub fn start_of_day(&self, day: i64) -> i64 {
        let wall = day.saturating_mul(DAY_MS);
        let mut offsets = vec![self.offset_at(wall - DAY_MS), self.offset_at(wall + DAY_MS)];
        offsets.extend(
            self.changes
                .iter()
                .filter(|(at, _)| (wall - 2 * DAY_MS..=wall + 2 * DAY_MS).contains(at))
                .map(|(_, offset)| *offset),
        );
        let midnight = offsets
            .iter()
            .map(|offset| wall - i64::from(offset.minutes()) * MINUTE_MS)
            .filter(|at| self.local_day(*at) == day && self.local_day(*at - 1) < day)
            .min();
        midnight.unwrap_or_else(|| {
            // Midnight did not happen: the day began with the change that skipped it.
            self.changes
                .iter()
                .map(|(at, _)| *at)
                .find(|at| self.local_day(*at) == day)
                .unwrap_or(wall - i64::from(self.offset_at(wall).minutes()) * MINUTE_MS)
        })
    }
}

/// Whether `name` looks like an IANA zone name (`Europe/Berlin`, `UTC`,
/// `America/Argentina/Buenos_Aires`, `Etc/GMT+5`): what is passed to the runtime.
pub fn is_zone_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_NAME_LEN
        && name.split('/').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"_+-".contains(&b))
        })
        && name.as_bytes()[0].is_ascii_alphabetic()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::parse_rfc3339;

    fn at(text: &str) -> i64 {
        parse_rfc3339(text).unwrap()
    }

    fn minutes(m: i32) -> UtcOffset {
        UtcOffset::try_from(m).unwrap()
    }

    /// Central European time as the EU has it: +02:00 from the last Sunday of March to
    /// the last Sunday of October, 01:00 UTC both times.
    fn berlin(ms: i64) -> Option<i32> {
        let (year, _, _) = crate::time::civil_from_days(ms.div_euclid(DAY_MS));
        let last_sunday = |month: u32| {
            let last = crate::time::days_from_civil(year, month, 31);
            // 1970-01-01 was a Thursday (day 0); Sunday is (day + 4) % 7 == 0.
            let day = last - (last + 4).rem_euclid(7);
            day * DAY_MS + 3_600_000
        };
        Some(if (last_sunday(3)..last_sunday(10)).contains(&ms) {
            120
        } else {
            60
        })
    }

    #[test]
    fn a_year_of_berlin_has_two_changes_to_the_minute() {
        let zone = Zone::resolve(
            "Europe/Berlin",
            at("2026-01-01T00:00:00Z"),
            at("2026-12-31T00:00:00Z"),
            berlin,
        )
        .unwrap();
        assert_eq!(zone.name(), Some("Europe/Berlin"));
        assert_eq!(zone.base(), minutes(60));
        assert_eq!(
            zone.changes(),
            [
                (at("2026-03-29T01:00:00Z"), minutes(120)),
                (at("2026-10-25T01:00:00Z"), minutes(60))
            ]
        );
        assert_eq!(zone.offset_at(at("2026-03-29T00:59:59Z")), minutes(60));
        assert_eq!(zone.offset_at(at("2026-03-29T01:00:00Z")), minutes(120));
        assert_eq!(zone.last_offset(), minutes(60));
        assert!(zone.quarter_hours_only());
    }

    #[test]
    fn local_days_follow_the_offset_of_their_instant() {
        let zone = Zone::resolve(
            "Europe/Berlin",
            at("2026-10-01T00:00:00Z"),
            at("2026-11-01T00:00:00Z"),
            berlin,
        )
        .unwrap();
        let day = |text: &str| crate::time::civil_from_days(zone.local_day(at(text)));
        // 22:30 UTC is 00:30 the next day in summer time, 23:30 the same day in winter.
        assert_eq!(day("2026-10-24T22:30:00Z"), (2026, 10, 25));
        assert_eq!(day("2026-10-26T22:30:00Z"), (2026, 10, 26));
        assert_eq!(day("2026-10-26T23:30:00Z"), (2026, 10, 27));
        // The 25th starts at 22:00 UTC (summer) and lasts 25 hours, to 23:00 UTC.
        let oct_25 = crate::time::days_from_civil(2026, 10, 25);
        assert_eq!(zone.start_of_day(oct_25), at("2026-10-24T22:00:00Z"));
        assert_eq!(zone.start_of_day(oct_25 + 1), at("2026-10-25T23:00:00Z"));
    }

    #[test]
    fn a_fixed_offset_never_changes() {
        let zone = Zone::fixed(minutes(-300));
        assert_eq!(zone.name(), None);
        assert_eq!(zone.offset_at(i64::MIN / 2), minutes(-300));
        assert_eq!(zone.last_offset(), minutes(-300));
        let day = crate::time::days_from_civil(2024, 2, 29);
        assert_eq!(zone.start_of_day(day), at("2024-02-29T05:00:00Z"));
        assert!(!Zone::fixed(minutes(20)).quarter_hours_only());
        let off_the_quarter = at("2026-03-29T01:05:00Z");
        assert!(
            !Zone::with_changes(
                "Test/Odd",
                minutes(60),
                vec![(off_the_quarter, minutes(120))]
            )
            .quarter_hours_only()
        );
    }

    #[test]
    fn a_change_that_skips_midnight_starts_the_day() {
        // Clocks jump from 23:30 on the 5th to 00:30 on the 6th (at 02:30 UTC, offset
        // −3 → −2): there is no midnight; the 6th begins with the change.
        let change = at("2026-09-06T02:30:00Z");
        let zone = Zone::with_changes(
            "America/Somewhere",
            minutes(-180),
            vec![(change, minutes(-120))],
        );
        let sept_6 = crate::time::days_from_civil(2026, 9, 6);
        assert_eq!(zone.start_of_day(sept_6), change);
        assert_eq!(zone.local_day(change - 1), sept_6 - 1);
        assert_eq!(zone.local_day(change), sept_6);
    }

    #[test]
    fn a_midnight_that_happens_twice_starts_the_day_at_the_first() {
        // Clocks go back from 01:00 to 00:00 on the 2nd (at 04:00 UTC, −3 → −4).
        let change = at("2026-11-02T04:00:00Z");
        let zone = Zone::with_changes(
            "America/Elsewhere",
            minutes(-180),
            vec![(change, minutes(-240))],
        );
        let nov_2 = crate::time::days_from_civil(2026, 11, 2);
        assert_eq!(zone.start_of_day(nov_2), at("2026-11-02T03:00:00Z"));
        assert_eq!(zone.start_of_day(nov_2 + 1), at("2026-11-03T04:00:00Z"));
    }

    #[test]
    fn names_and_offsets_the_runtime_does_not_know_are_refused() {
        assert!(matches!(
            Zone::resolve("Mars/Olympus", 0, DAY_MS, |_| None),
            Err(ZoneError::UnknownTimeZone)
        ));
        for bad in [
            "",
            "/Berlin",
            "Europe//Berlin",
            "Europe/Berlin;DROP",
            "../etc",
            "1/2",
        ] {
            assert!(!is_zone_name(bad), "{bad}");
            assert!(matches!(
                Zone::resolve(bad, 0, DAY_MS, |_| Some(0)),
                Err(ZoneError::UnknownTimeZone)
            ));
        }
        for good in [
            "UTC",
            "Europe/Berlin",
            "America/Argentina/Buenos_Aires",
            "Etc/GMT+5",
            "America/Port-au-Prince",
        ] {
            assert!(is_zone_name(good), "{good}");
        }
        assert!(matches!(
            Zone::resolve("UTC", 0, DAY_MS, |_| Some(5000)),
            Err(ZoneError::UnknownTimeZone)
        ));
    }

    #[test]
    fn a_zone_that_changes_all_the_time_is_refused() {
        let flapping = |ms: i64| {
            Some(if (ms / SAMPLE_STEP_MS) % 2 == 0 {
                0
            } else {
                60
            })
        };
        assert!(matches!(
            Zone::resolve("Etc/Flapping", 0, 200 * SAMPLE_STEP_MS, flapping),
            Err(ZoneError::TooManyZoneChanges { .. })
        ));
    }

    proptest::proptest! {
        #[test]
        fn resolved_offsets_agree_with_the_zone_at_every_instant(
            start_day in 0i64..30_000,
            span_days in 1i64..800,
            probes in proptest::collection::vec(0i64..800 * DAY_MS, 1..40),
        ) {
            let from = start_day * DAY_MS;
            let to = from + span_days * DAY_MS;
            let zone = Zone::resolve("Europe/Berlin", from, to, berlin).unwrap();
            for probe in probes {
                let instant = from + probe % (span_days * DAY_MS);
                proptest::prop_assert_eq!(zone.offset_at(instant).minutes(), berlin(instant).unwrap());
                let day = zone.local_day(instant);
                let start = zone.start_of_day(day);
                proptest::prop_assert!(start <= instant);
                proptest::prop_assert_eq!(zone.local_day(start), day);
                proptest::prop_assert!(zone.local_day(start - 1) < day, "the first instant of its day");
            }
        }
    }
}
