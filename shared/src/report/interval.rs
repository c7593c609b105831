//! The trend's bucket lengths — day, ISO week, calendar month — and their arithmetic
//! on local days (days since 1970-01-01 in the report's local time).
//!
//! Depends only on [`crate::time`]'s calendar; nothing else of the report.

use crate::time::{civil_from_days, days_from_civil};
use serde::{Deserialize, Serialize};
use std::fmt;

/// How long one trend bucket is. Weekly by default: a daily NPS from a handful of
/// answers is mostly noise.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Interval {
    Day,
    #[default]
    Week,
    Month,
}

impl Interval {
    pub const ALL: [Interval; 3] = [Interval::Day, Interval::Week, Interval::Month];

    pub fn as_str(self) -> &'static str {
        match self {
            Interval::Day => "day",
            Interval::Week => "week",
            Interval::Month => "month",
        }
    }

    pub fn parse(text: &str) -> Option<Interval> {
        Interval::ALL.into_iter().find(|i| i.as_str() == text)
    }

    /// The local day (days since 1970-01-01) on which the bucket holding `day` starts.
    pub(super) fn start_of(self, day: i64) -> i64 {
        match self {
            Interval::Day => day,
            // 1970-01-01 was a Thursday, three days after a Monday.
            Interval::Week => day - (day + 3).rem_euclid(7),
            Interval::Month => {
                let (year, month, _) = civil_from_days(day);
                days_from_civil(year, month, 1)
            }
        }
    }

    /// The local day the bucket after the one starting on `start` starts.
    pub(super) fn next(self, start: i64) -> i64 {
        match self {
            Interval::Day => start + 1,
            Interval::Week => start + 7,
            Interval::Month => {
                let (year, month, _) = civil_from_days(start);
                if month == 12 {
                    days_from_civil(year + 1, 1, 1)
                } else {
                    days_from_civil(year, month + 1, 1)
                }
            }
        }
    }

    /// `2025-03-01`, `2025-W09` (ISO 8601 week-numbering year and week), `2025-03`.
    pub(super) fn label(self, start: i64) -> String {
        let (year, month, day) = civil_from_days(start);
        match self {
            Interval::Day => format!("{year:04}-{month:02}-{day:02}"),
            Interval::Month => format!("{year:04}-{month:02}"),
            Interval::Week => {
                // An ISO week belongs to the year its Thursday falls in.
                let thursday = start + 3;
                let (iso_year, _, _) = civil_from_days(thursday);
                let week = (thursday - days_from_civil(iso_year, 1, 1)) / 7 + 1;
                format!("{iso_year:04}-W{week:02}")
            }
        }
    }
}

impl fmt::Display for Interval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
