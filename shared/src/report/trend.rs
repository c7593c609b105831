//! The trend: answers (or counts already summed) in buckets of an [`Interval`] in the
//! local time of a [`Zone`], every bucket between the first and the last present.
//!
//! Depends on [`super::summary`], [`super::interval`], [`super::error`] and
//! [`crate::zone`]; not on the report that lists the trend.

use super::error::ReportError;
use super::interval::Interval;
use super::summary::NpsSummary;
use crate::nps::Tally;
use crate::score::Score;
use crate::time::rfc3339;
use crate::zone::Zone;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The most buckets a trend may have (27 years of days).
pub const MAX_TREND_BUCKETS: usize = 10_000;

/// One point of the trend.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrendBucket {
    /// The UTC instant the local bucket starts, RFC 3339.
    pub start: String,
    /// The local name of the bucket: `2025-03-01`, `2025-W09` or `2025-03`.
    pub label: String,
    #[serde(flatten)]
    pub summary: NpsSummary,
}

/// Answers (`created_at` in Unix ms, score) bucketed by `interval` in the local time
/// of `zone`, every bucket from the first answer's to the last answer's included.
pub fn trend(
    answers: impl IntoIterator<Item = (i64, Score)>,
    interval: Interval,
    zone: &Zone,
) -> Result<Vec<TrendBucket>, ReportError> {
    trend_of_tallies(
        answers.into_iter().map(|(created_at, score)| {
            let mut tally = Tally::default();
            tally.add(score);
            (created_at, tally)
        }),
        interval,
        zone,
    )
}

/// [`trend`] of counts already summed: each tally is put in the bucket of its instant
/// (Unix ms), so a rollup of a quarter-hour can stand for all its answers.
pub fn trend_of_tallies(
    counts: impl IntoIterator<Item = (i64, Tally)>,
    interval: Interval,
    zone: &Zone,
) -> Result<Vec<TrendBucket>, ReportError> {
    let mut tallies: BTreeMap<i64, Tally> = BTreeMap::new();
    for (created_at, tally) in counts {
        let local_day = zone.local_day(created_at);
        tallies
            .entry(interval.start_of(local_day))
            .or_default()
            .merge(&tally);
    }
    let (Some((&first, _)), Some((&last, _))) =
        (tallies.first_key_value(), tallies.last_key_value())
    else {
        return Ok(Vec::new());
    };
    let mut buckets = Vec::new();
    let mut start = first;
    while start <= last {
        if buckets.len() == MAX_TREND_BUCKETS {
            return Err(ReportError::TooManyBuckets {
                interval,
                max: MAX_TREND_BUCKETS,
            });
        }
        let tally = tallies.get(&start).copied().unwrap_or_default();
        buckets.push(TrendBucket {
            start: rfc3339(zone.start_of_day(start)),
            label: interval.label(start),
            summary: tally.into(),
        });
        start = interval.next(start);
    }
    Ok(buckets)
}

/// The keys (local start day) of the buckets [`trend_of_tallies`] makes for answers at
/// these instants (Unix ms), in order: the first answer's bucket to the last one's,
/// every bucket between included, at most [`MAX_TREND_BUCKETS`].
pub fn bucket_keys(
    instants: impl IntoIterator<Item = i64>,
    interval: Interval,
    zone: &Zone,
) -> Vec<i64> {
    let starts = instants
        .into_iter()
        .map(|at| interval.start_of(zone.local_day(at)));
    let Some((first, last)) = starts.fold(None, |range: Option<(i64, i64)>, s| {
        Some(range.map_or((s, s), |(a, b)| (a.min(s), b.max(s))))
    }) else {
        return Vec::new();
    };
    let mut keys = Vec::new();
    let mut start = first;
    while start <= last && keys.len() < MAX_TREND_BUCKETS {
        keys.push(start);
        start = interval.next(start);
    }
    keys
}

/// Which of those buckets (`keys` from [`bucket_keys`]) the instant `at` falls in.
pub fn bucket_of(keys: &[i64], at: i64, interval: Interval, zone: &Zone) -> Option<usize> {
    keys.binary_search(&interval.start_of(zone.local_day(at)))
        .ok()
}
