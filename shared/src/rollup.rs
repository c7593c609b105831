//! Rollups: answer counts kept up to date on write, so that a report over a million
//! answers reads a bounded number of counters instead of the answers themselves.
//!
//! Pure like the rest of this crate: it says which counters ([`Cell`]s) an answer
//! counts in, how a report's range splits into what the counters cover and the
//! ragged edges that are read from the answers, and how a [`Report`] is made from
//! counts ([`Report::from_counts`]). The worker's store keeps the counters in D1, in
//! the same atomic `batch` as the write that changes them (the native tests run that
//! same SQL on SQLite), and the seeding tool writes them with this same code.
//!
//! # What is counted
//!
//! Every answer counts once per score and flagged state (flagged by the e-mail scanner
//! check, or still provisional; see [`AnswerRecord::flagged`]) in
//!
//! - its **UTC quarter-hour** ([`Cell::Time`]). Every UTC offset in use is a multiple
//!   of 15 minutes (`+05:45`, `+09:30`, `-03:30`), so a quarter-hour never straddles a
//!   local midnight for such an offset: the trend in any of them, by day, week or month,
//!   is exact. Hours would break India, Nepal and parts of Australia; days would break
//!   every offset but 0. Time zones change their offset on a whole quarter-hour, so the
//!   same holds across daylight saving ([`crate::zone`]). A report with an offset that
//!   is not a multiple of 15 minutes (which the API still accepts) is built from the
//!   answers themselves.
//!
//!   The store also keeps these counts per **UTC day and UTC hour**, derived from the
//!   quarter-hours by the database itself (migration 0019), so that a zone whose
//!   offset is fixed and whole hours (UTC, CET, …) reads a row per day plus the hours
//!   its local midnight moves ([`HourShift`]) instead of 96 quarter-hours a day.
//! - each **property value on its UTC day** ([`Cell::Property`]): every property
//!   except the four RFM inputs and `order_id` ([`NOT_ROLLED_UP`], near-unique values
//!   that would make a counter per answer), value trimmed, blank values left out. A survey's answers
//!   carry at most 20 properties of at most 200 characters (`validate`), so an answer
//!   touches at most 21 counters. `(none)` is the day's total minus its values. Grouping
//!   by a property that is not rolled up reads the sample (below).
//!
//! # Ranges
//!
//! Property counters are per UTC day, so `from`/`to` that are not UTC midnights leave
//! ragged edges: [`split`] gives the whole days the counters cover and the at most two
//! part-days whose answers are read and counted on the fly (at most two days of
//! answers, whatever the total).
//!
//! # What is sampled
//!
//! RFM segments and revenue bands need quintiles of every answer's recency, frequency
//! and revenue, and themes need the comments' words: no counter gives them exactly. They
//! are computed over the **most recent [`SAMPLE_LIMIT`] counted answers** of the range
//! (all of them when there are fewer), which bounds their cost; the report then carries
//! a `sample` object saying how many of how many answers those sections saw. Below the
//! limit the report is exactly the one [`Report::build`] makes from all answers.

use crate::Score;
use crate::nps::Tally;
/// The report's `sample`, here where it is filled.
pub use crate::report::Sample;
use crate::report::{
    AnswerRecord, Distribution, GroupBy, Report, ReportError, ReportQuery, Zone, bucket_keys,
    bucket_of, groups_by_property, groups_of_tallies, revenue_bands, rfm_groups, trend_of_tallies,
};
use crate::themes;
use std::collections::BTreeMap;

/// Length of a time counter.
pub const QUARTER_MS: i64 = 15 * 60 * 1000;
/// Length of a property counter.
pub const DAY_MS: i64 = 86_400_000;
/// Quarter-hours in a UTC day.
pub const QUARTERS_PER_DAY: i64 = DAY_MS / QUARTER_MS;
/// The most answers the sampled sections read.
pub const SAMPLE_LIMIT: usize = 5_000;
/// The properties the sampled sections read of an answer for `query`: the revenue
/// (revenue bands), the RFM inputs when grouping by RFM, the grouping property when
/// it has no counters; each once. A store may hand the sample over with only these,
/// and the report is the same (`Report::from_counts`).
pub fn sampled_properties(query: &ReportQuery) -> Vec<&str> {
    let rfm = &query.rfm;
    let mut keys = vec![rfm.revenue.as_str()];
    match &query.group_by {
        Some(GroupBy::Rfm) => keys.extend([
            rfm.recency_days.as_str(),
            rfm.last_order_at.as_str(),
            rfm.order_count.as_str(),
        ]),
        Some(GroupBy::Property(key)) if !is_rolled_up(key) => keys.push(key),
        _ => {}
    }
    let mut seen = Vec::with_capacity(keys.len());
    for key in keys {
        if !seen.contains(&key) {
            seen.push(key);
        }
    }
    seen
}

/// Properties without counters: the RFM inputs and the order id, near-unique values
/// that would make a counter per answer.
pub const NOT_ROLLED_UP: [&str; 5] = [
    "recency_days",
    "last_order_at",
    "order_count",
    "revenue",
    "order_id",
];

/// Whether answers are counted per value of this property.
pub fn is_rolled_up(key: &str) -> bool {
    !NOT_ROLLED_UP.contains(&key)
}

/// The UTC quarter-hour (since 1970) of an instant in Unix ms.
pub fn quarter_of(ms: i64) -> i64 {
    ms.div_euclid(QUARTER_MS)
}

/// The UTC day (since 1970) of an instant in Unix ms.
pub fn day_of(ms: i64) -> i64 {
    ms.div_euclid(DAY_MS)
}

/// How a fixed whole-hour offset moves UTC hours between days: a zone `+h` (`h` > 0)
/// starts its local day `d` at UTC `d`'s 24−h'th hour, so the UTC hours `24−h ..= 23`
/// of each UTC day belong to the next local day; a zone `−h` moves the hours
/// `0 ..= h−1` to the local day before. The store reads whole UTC days, takes these
/// hours off their UTC day and adds them to their local one: 1 + 2h rows a day instead
/// of 96 quarter-hours (migration 0019).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HourShift {
    /// The offset in whole hours.
    pub hours: i64,
    /// The UTC hours of the day (inclusive) that belong to another local day; an
    /// empty range (`first > last`) for UTC.
    pub first: i64,
    pub last: i64,
    /// Days from a moved hour's UTC day to its local day: 1, −1 or 0.
    pub days: i64,
}

impl HourShift {
    /// The shift of a fixed zone whose offset is whole hours; `None` for zones that
    /// change their offset or whose offset has minutes (they read quarter-hours).
    pub fn of(zone: &Zone) -> Option<HourShift> {
        let minutes = i64::from(zone.base().minutes());
        if !zone.changes().is_empty() || minutes % 60 != 0 {
            return None;
        }
        let hours = minutes / 60;
        Some(match hours {
            0 => HourShift {
                hours,
                first: 1,
                last: 0,
                days: 0,
            },
            h if h > 0 => HourShift {
                hours,
                first: 24 - h,
                last: 23,
                days: 1,
            },
            h => HourShift {
                hours,
                first: 0,
                last: -h - 1,
                days: -1,
            },
        })
    }

    /// An instant (Unix ms) inside local day `day`: its local midnight.
    pub fn local_midnight(&self, day: i64) -> i64 {
        day * DAY_MS - self.hours * 3_600_000
    }
}

/// One counter an answer counts in (besides its score and flagged state).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Cell {
    /// Answers given in one UTC quarter-hour.
    Time { quarter: i64 },
    /// Answers with `key` = `value` given on one UTC day.
    Property {
        key: String,
        value: String,
        day: i64,
    },
}

/// The counters `answer` counts in: its quarter-hour, then one per rolled-up property.
pub fn cells(answer: &AnswerRecord) -> Vec<Cell> {
    let day = day_of(answer.created_at);
    let mut cells = vec![Cell::Time {
        quarter: quarter_of(answer.created_at),
    }];
    for key in answer.properties.keys() {
        if !is_rolled_up(key) {
            continue;
        }
        if let Some(value) = answer.property(key) {
            cells.push(Cell::Property {
                key: key.clone(),
                value: value.to_owned(),
                day,
            });
        }
    }
    cells
}

/// A change to one counter: `delta` answers of `score` in `cell` with `flagged`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    pub cell: Cell,
    pub flagged: bool,
    pub score: Score,
    pub delta: i64,
}

/// The counter changes of storing (`+1`) or erasing (`-1`) an answer.
pub fn changes(answer: &AnswerRecord, delta: i64) -> Vec<Change> {
    cells(answer)
        .into_iter()
        .map(|cell| Change {
            cell,
            flagged: answer.flagged,
            score: answer.score,
            delta,
        })
        .collect()
}

/// The counter changes of an answer moving between flagged and counted.
pub fn reflag(answer: &AnswerRecord, flagged_now: bool) -> Vec<Change> {
    if answer.flagged == flagged_now {
        return Vec::new();
    }
    let mut moved = answer.clone();
    let mut out = changes(answer, -1);
    moved.flagged = flagged_now;
    out.extend(changes(&moved, 1));
    out
}

/// The counters as a table of distributions, for the seeding tool and tests (which
/// compare the stored counters with a fresh count of the answers).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counters(pub BTreeMap<(Cell, bool), Distribution>);

impl Counters {
    pub fn apply(&mut self, change: &Change) {
        let entry = self
            .0
            .entry((change.cell.clone(), change.flagged))
            .or_default();
        let slot = &mut entry.0[usize::from(change.score.value())];
        *slot = slot.saturating_add_signed(change.delta);
        if entry.total() == 0 {
            self.0.remove(&(change.cell.clone(), change.flagged));
        }
    }

    pub fn add(&mut self, answer: &AnswerRecord) {
        for change in changes(answer, 1) {
            self.apply(&change);
        }
    }

    /// What a report reads over the whole UTC days `[first_day, end_day)` (open ends
    /// unbounded): the time counters merged per local day in `zone`, and the values
    /// of `group_key`. This is what D1 computes in SQL.
    pub fn range(
        &self,
        first_day: Option<i64>,
        end_day: Option<i64>,
        zone: &Zone,
        group_key: Option<&str>,
    ) -> RangeCounts {
        let in_days = |day: i64| {
            first_day.is_none_or(|first| day >= first) && end_day.is_none_or(|end| day < end)
        };
        let mut out = RangeCounts::default();
        // Keyed by local day, standing at the day's first quarter with answers.
        let mut days: BTreeMap<(i64, bool), (i64, Distribution)> = BTreeMap::new();
        for ((cell, flagged), distribution) in &self.0 {
            match cell {
                Cell::Time { quarter } if in_days(quarter.div_euclid(QUARTERS_PER_DAY)) => {
                    let local_day = zone.local_day(quarter * QUARTER_MS);
                    let entry = days
                        .entry((local_day, *flagged))
                        .or_insert((quarter * QUARTER_MS, Distribution::default()));
                    entry.1.merge(distribution);
                }
                Cell::Property { key, value, day }
                    if Some(key.as_str()) == group_key && in_days(*day) =>
                {
                    out.values
                        .entry((value.clone(), *flagged))
                        .or_default()
                        .merge(distribution);
                }
                _ => {}
            }
        }
        for ((_, flagged), (at, distribution)) in days {
            out.times
                .entry((at, flagged))
                .or_default()
                .merge(&distribution);
        }
        out
    }
}

/// Counts of a range as a report reads them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RangeCounts {
    /// Per instant (Unix ms) and flagged state; the instant only has to lie in the
    /// right local day (a quarter-hour start, or an answer's own time at the edges).
    pub times: BTreeMap<(i64, bool), Distribution>,
    /// Per value of the grouped property and flagged state.
    pub values: BTreeMap<(String, bool), Distribution>,
}

impl RangeCounts {
    /// Counts one answer read from an edge of the range.
    pub fn add_answer(&mut self, answer: &AnswerRecord, group_key: Option<&str>) {
        self.times
            .entry((answer.created_at, answer.flagged))
            .or_default()
            .add(answer.score);
        if let Some(key) = group_key.filter(|k| is_rolled_up(k))
            && let Some(value) = answer.property(key)
        {
            self.values
                .entry((value.to_owned(), answer.flagged))
                .or_default()
                .add(answer.score);
        }
    }
}

/// A range split at UTC midnights: whole days for the counters, part-days to scan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Split {
    /// `[first_day, end_day)` in UTC days (`None` = unbounded); `None` when the range
    /// holds no whole day.
    pub days: Option<(Option<i64>, Option<i64>)>,
    /// `[from, to)` in Unix ms, at most two, to read from the answers.
    pub edges: Vec<(Option<i64>, Option<i64>)>,
}

/// Splits `[from, to)` (Unix ms, open ends unbounded) for the counters.
pub fn split(from: Option<i64>, to: Option<i64>) -> Split {
    let first = from.map(|f| f.div_euclid(DAY_MS) + i64::from(f.rem_euclid(DAY_MS) != 0));
    let end = to.map(day_of);
    if let (Some(first), Some(end)) = (first, end)
        && first >= end
    {
        return Split {
            days: None,
            edges: vec![(from, to)],
        };
    }
    let mut edges = Vec::new();
    if let (Some(from), Some(first)) = (from, first)
        && from < first * DAY_MS
    {
        edges.push((Some(from), Some(first * DAY_MS)));
    }
    if let (Some(to), Some(end)) = (to, end)
        && end * DAY_MS < to
    {
        edges.push((Some(end * DAY_MS), Some(to)));
    }
    Split {
        days: Some((first, end)),
        edges,
    }
}

impl Report {
    /// The report from counters (`counts`, the range's whole days plus its edges) and
    /// the most recent counted answers of the range (`sample`, oldest first, at most
    /// `sample_limit`). Equal to [`Report::build`] over the same answers when the range
    /// holds no more than `sample_limit` counted answers.
    pub fn from_counts(
        counts: &RangeCounts,
        sample: &[AnswerRecord],
        query: &ReportQuery,
    ) -> Result<Report, ReportError> {
        if let (Some(from), Some(to)) = (query.from, query.to)
            && from >= to
        {
            return Err(ReportError::EmptyRange);
        }
        let counted = |flagged: bool| query.include_flagged || !flagged;
        let mut distribution = Distribution::default();
        let mut flagged_excluded = 0;
        let mut times: Vec<(i64, Tally)> = Vec::new();
        for ((at, flagged), d) in &counts.times {
            if counted(*flagged) {
                distribution.merge(d);
                times.push((*at, d.tally()));
            } else {
                flagged_excluded += d.total();
            }
        }
        let overall = distribution.tally();
        let sample_refs: Vec<&AnswerRecord> = sample.iter().collect();
        let mut sections = vec!["revenue_bands".to_owned(), "themes".to_owned()];
        let groups = match &query.group_by {
            None => Vec::new(),
            Some(GroupBy::Rfm) => {
                sections.insert(0, "groups".to_owned());
                rfm_groups(&sample_refs, &query.rfm)
            }
            Some(GroupBy::Property(key)) if is_rolled_up(key) => {
                let mut by_value: BTreeMap<&str, Tally> = BTreeMap::new();
                let mut with_value = Tally::default();
                for ((value, flagged), d) in &counts.values {
                    if counted(*flagged) {
                        let tally = d.tally();
                        by_value.entry(value.as_str()).or_default().merge(&tally);
                        with_value.merge(&tally);
                    }
                }
                let none = Tally {
                    promoters: overall.promoters.saturating_sub(with_value.promoters),
                    passives: overall.passives.saturating_sub(with_value.passives),
                    detractors: overall.detractors.saturating_sub(with_value.detractors),
                };
                groups_of_tallies(by_value, none, query.min_group_size)
            }
            Some(GroupBy::Property(key)) => {
                sections.insert(0, "groups".to_owned());
                groups_by_property(&sample_refs, key, query.min_group_size)
            }
        };
        let keys = bucket_keys(times.iter().map(|(at, _)| *at), query.interval, &query.zone);
        let comments = sample.iter().filter_map(|a| {
            a.theme_comment(bucket_of(&keys, a.created_at, query.interval, &query.zone))
        });
        let sampled = (sample.len() as u64) < overall.total();
        Ok(Report {
            archived: None,
            scope: query.into(),
            flagged_excluded,
            overall: overall.into(),
            distribution,
            trend: trend_of_tallies(times, query.interval, &query.zone)?,
            groups,
            revenue_bands: revenue_bands(&sample_refs, &query.rfm.revenue),
            themes: themes::themes(comments, &query.themes, keys.len()),
            sample: sampled.then(|| Sample {
                answers: sample.len() as u64,
                of: overall.total(),
                sections,
            }),
        })
    }
}

/// The report from counters over all of `answers`, reading them the way a store
/// does: whole days from `counters`, edges and the sample from the answers. For tests
/// and the seeding tool's self-check.
pub fn report_from_counters(
    counters: &Counters,
    answers: &[AnswerRecord],
    query: &ReportQuery,
    sample_limit: usize,
) -> Result<Report, ReportError> {
    let group_key = match &query.group_by {
        Some(GroupBy::Property(key)) => Some(key.as_str()),
        _ => None,
    };
    let in_range = |a: &&AnswerRecord, from: Option<i64>, to: Option<i64>| {
        from.is_none_or(|f| a.created_at >= f) && to.is_none_or(|t| a.created_at < t)
    };
    let split = split(query.from, query.to);
    let mut counts = match split.days {
        Some((first, end)) => counters.range(first, end, &query.zone, group_key),
        None => RangeCounts::default(),
    };
    for (from, to) in &split.edges {
        for answer in answers.iter().filter(|a| in_range(a, *from, *to)) {
            counts.add_answer(answer, group_key);
        }
    }
    let mut sample: Vec<AnswerRecord> = answers
        .iter()
        .filter(|a| in_range(a, query.from, query.to))
        .filter(|a| query.include_flagged || !a.flagged)
        .cloned()
        .collect();
    let cut = sample.len().saturating_sub(sample_limit);
    sample.drain(..cut);
    Report::from_counts(&counts, &sample, query)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Interval;
    use proptest::prelude::*;

    const DAY: i64 = DAY_MS;
    const HOUR: i64 = 3_600_000;

    #[test]
    fn every_utc_hour_lands_in_its_local_day_after_the_shift_of_a_whole_hour_zone() {
        for minutes in (-1080..=1080).step_by(60) {
            let zone = Zone::fixed(crate::report::UtcOffset::try_from(minutes).unwrap());
            let shift = HourShift::of(&zone).unwrap();
            for utc_day in [-3_i64, 0, 20_000] {
                for hour in 0..24 {
                    let at = utc_day * DAY + hour * HOUR;
                    let moved = (shift.first..=shift.last).contains(&hour);
                    let local_day = utc_day + if moved { shift.days } else { 0 };
                    assert_eq!(zone.local_day(at), local_day, "{minutes} min, hour {hour}");
                    let midnight = shift.local_midnight(local_day);
                    assert_eq!(zone.local_day(midnight), local_day);
                    assert_eq!(zone.local_day(midnight - 1), local_day - 1);
                }
            }
        }
    }

    #[test]
    fn zones_with_minutes_or_changes_have_no_hour_shift() {
        use crate::report::UtcOffset;
        assert_eq!(
            HourShift::of(&Zone::fixed(UtcOffset::try_from(330).unwrap())),
            None
        );
        assert_eq!(
            HourShift::of(&Zone::fixed(UtcOffset::try_from(-45).unwrap())),
            None
        );
        assert!(HourShift::of(&Zone::fixed(UtcOffset::UTC)).is_some());
    }

    fn offset(minutes: i32) -> crate::zone::UtcOffset {
        crate::zone::UtcOffset::try_from(minutes).unwrap()
    }
    const T0: i64 = 1_760_000_000_000;

    fn answer(score: u8, created_at: i64, store: Option<&str>, flagged: bool) -> AnswerRecord {
        AnswerRecord {
            id: format!("r_{created_at}"),
            score: Score::try_from(score).unwrap(),
            created_at,
            comment: Some(
                if score < 7 {
                    "late delivery"
                } else {
                    "friendly staff"
                }
                .into(),
            ),
            properties: store
                .map(|s| {
                    [
                        ("store".to_owned(), s.to_owned()),
                        ("revenue".to_owned(), "12.5".to_owned()),
                    ]
                })
                .into_iter()
                .flatten()
                .collect(),
            flagged,
        }
    }

    #[test]
    fn an_answer_counts_in_its_quarter_hour_and_per_rolled_up_property_but_not_rfm() {
        let a = answer(9, 1_000 * QUARTER_MS + 5, Some(" berlin "), false);
        assert_eq!(
            cells(&a),
            vec![
                Cell::Time { quarter: 1_000 },
                Cell::Property {
                    key: "store".into(),
                    value: "berlin".into(),
                    day: 1_000 / QUARTERS_PER_DAY
                }
            ]
        );
    }

    #[test]
    fn a_range_splits_into_whole_days_and_its_ragged_edges() {
        assert_eq!(
            split(None, None),
            Split {
                days: Some((None, None)),
                edges: vec![]
            }
        );
        assert_eq!(
            split(Some(10 * DAY + 5), Some(20 * DAY)),
            Split {
                days: Some((Some(11), Some(20))),
                edges: vec![(Some(10 * DAY + 5), Some(11 * DAY))]
            }
        );
        assert_eq!(
            split(Some(10 * DAY), Some(20 * DAY + 7)),
            Split {
                days: Some((Some(10), Some(20))),
                edges: vec![(Some(20 * DAY), Some(20 * DAY + 7))]
            }
        );
        assert_eq!(
            split(Some(10 * DAY + 1), Some(11 * DAY - 1)),
            Split {
                days: None,
                edges: vec![(Some(10 * DAY + 1), Some(11 * DAY - 1))]
            }
        );
    }

    #[test]
    fn flagging_moves_an_answer_between_counters_and_erasing_empties_them() {
        let a = answer(3, T0, Some("berlin"), true);
        let mut counters = Counters::default();
        counters.add(&a);
        for change in reflag(&a, false) {
            counters.apply(&change);
        }
        let mut confirmed = a.clone();
        confirmed.flagged = false;
        let mut expected = Counters::default();
        expected.add(&confirmed);
        assert_eq!(counters, expected);
        for change in changes(&confirmed, -1) {
            counters.apply(&change);
        }
        assert_eq!(counters, Counters::default());
    }

    #[test]
    fn past_the_sample_limit_the_report_says_which_sections_saw_how_many_answers() {
        let answers: Vec<AnswerRecord> = (0..10)
            .map(|i| answer(10, T0 + i * DAY, Some("berlin"), false))
            .collect();
        let mut counters = Counters::default();
        answers.iter().for_each(|a| counters.add(a));
        let query = ReportQuery {
            group_by: Some(GroupBy::Rfm),
            ..ReportQuery::default()
        };
        let report = report_from_counters(&counters, &answers, &query, 4).unwrap();
        assert_eq!(report.overall.responses, 10);
        assert_eq!(
            report.sample,
            Some(Sample {
                answers: 4,
                of: 10,
                sections: vec!["groups".into(), "revenue_bands".into(), "themes".into()]
            })
        );
        let all = report_from_counters(&counters, &answers, &query, 10).unwrap();
        assert_eq!(all.sample, None);
        assert_eq!(all, Report::build(&answers, &query).unwrap());
    }

    fn arb_answer() -> impl Strategy<Value = AnswerRecord> {
        (
            0u8..=10,
            0i64..40 * QUARTERS_PER_DAY * 4,
            proptest::option::of(prop_oneof![
                Just("berlin"),
                Just("hamburg"),
                Just(" "),
                Just("köln")
            ]),
            any::<bool>(),
        )
            .prop_map(|(score, minutes15, store, flagged)| {
                // Answers over 40 days at any minute, not only on quarter-hours.
                answer(
                    score,
                    T0 + minutes15 * QUARTER_MS / 4 + minutes15 % 7,
                    store,
                    flagged,
                )
            })
    }

    fn arb_query() -> impl Strategy<Value = ReportQuery> {
        (
            proptest::option::of(0i64..45 * DAY),
            proptest::option::of(0i64..45 * DAY),
            prop_oneof![
                Just(Interval::Day),
                Just(Interval::Week),
                Just(Interval::Month)
            ],
            prop_oneof![
                Just(Zone::fixed(offset(0))),
                Just(Zone::fixed(offset(60))),
                Just(Zone::fixed(offset(-210))),
                Just(Zone::fixed(offset(345))),
                Just(Zone::fixed(offset(-720))),
                Just(Zone::fixed(offset(840))),
                // Daylight saving within the answers' 40 days, on whole hours.
                Just(Zone::with_changes(
                    "Test/Summer",
                    offset(60),
                    vec![
                        (T0 / HOUR * HOUR + 10 * DAY, offset(120)),
                        (T0 / HOUR * HOUR + 25 * DAY, offset(60))
                    ]
                )),
                Just(Zone::with_changes(
                    "Test/South",
                    offset(-180),
                    vec![(T0 / HOUR * HOUR + 7 * DAY + 3 * HOUR, offset(-120))]
                )),
            ],
            prop_oneof![
                Just(None),
                Just(Some(GroupBy::Property("store".into()))),
                Just(Some(GroupBy::Property("revenue".into()))),
                Just(Some(GroupBy::Rfm))
            ],
            1u64..4,
            any::<bool>(),
        )
            .prop_map(
                |(from, to, interval, zone, group_by, min_group_size, include_flagged)| {
                    let (from, to) = match (from, to) {
                        (Some(f), Some(t)) if f >= t => (Some(T0 + t), Some(T0 + f + 1)),
                        (f, t) => (f.map(|f| T0 + f), t.map(|t| T0 + t)),
                    };
                    ReportQuery {
                        from,
                        to,
                        interval,
                        zone,
                        group_by,
                        min_group_size,
                        include_flagged,
                        ..ReportQuery::default()
                    }
                },
            )
    }

    #[test]
    fn the_sampled_properties_are_the_revenue_and_what_the_grouping_reads_from_answers() {
        let of = |group_by: Option<GroupBy>| {
            let query = ReportQuery {
                group_by,
                ..ReportQuery::default()
            };
            sampled_properties(&query)
                .into_iter()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        };
        assert_eq!(of(None), ["revenue"]);
        assert_eq!(of(Some(GroupBy::Property("store".into()))), ["revenue"]);
        assert_eq!(
            of(Some(GroupBy::Property("order_id".into()))),
            ["revenue", "order_id"]
        );
        assert_eq!(of(Some(GroupBy::Property("revenue".into()))), ["revenue"]);
        assert_eq!(
            of(Some(GroupBy::Rfm)),
            ["revenue", "recency_days", "last_order_at", "order_count"]
        );
    }

    /// [`arb_answer`] with RFM inputs, an order id and a plan beside its store.
    fn arb_customer_answer() -> impl Strategy<Value = AnswerRecord> {
        (
            arb_answer(),
            proptest::option::of(0u32..400),
            proptest::option::of(0u32..2_000),
            proptest::option::of(1u32..12),
            proptest::option::of(0i64..40),
            proptest::option::of(prop_oneof![Just("free"), Just("pro")]),
        )
            .prop_map(|(mut a, recency, revenue, orders, last_order, plan)| {
                let mut put = |key: &str, value: Option<String>| {
                    if let Some(value) = value {
                        a.properties.insert(key.to_owned(), value);
                    } else {
                        a.properties.remove(key);
                    }
                };
                put("recency_days", recency.map(|d| d.to_string()));
                put("revenue", revenue.map(|r| format!("{}.{:02}", r, r % 100)));
                put("order_count", orders.map(|n| n.to_string()));
                put(
                    "last_order_at",
                    last_order.map(|d| crate::time::rfc3339(T0 - d * DAY)),
                );
                put("order_id", orders.map(|n| format!("o-{n}")));
                put("plan", plan.map(str::to_owned));
                a
            })
    }

    proptest! {
        #[test]
        fn a_sample_with_only_the_sampled_properties_makes_the_same_report(
            answers in proptest::collection::vec(arb_customer_answer(), 0..60),
            query in arb_query(),
            limit in 1usize..80,
            by_order in any::<bool>(),
        ) {
            let query = ReportQuery {
                from: None,
                to: None,
                group_by: if by_order {
                    Some(GroupBy::Property("order_id".into()))
                } else {
                    query.group_by.clone()
                },
                ..query
            };
            let group_key = match &query.group_by {
                Some(GroupBy::Property(key)) => Some(key.as_str()),
                _ => None,
            };
            let mut sorted = answers.clone();
            sorted.sort_by_key(|a| a.created_at);
            let mut counts = RangeCounts::default();
            sorted.iter().for_each(|a| counts.add_answer(a, group_key));
            let mut sample: Vec<AnswerRecord> = sorted
                .into_iter()
                .filter(|a| query.include_flagged || !a.flagged)
                .collect();
            sample.drain(..sample.len().saturating_sub(limit));
            let keys = sampled_properties(&query);
            let narrowed: Vec<AnswerRecord> = sample
                .iter()
                .cloned()
                .map(|mut a| {
                    a.properties.retain(|k, _| keys.contains(&k.as_str()));
                    a
                })
                .collect();
            prop_assert_eq!(
                Report::from_counts(&counts, &narrowed, &query).unwrap(),
                Report::from_counts(&counts, &sample, &query).unwrap()
            );
        }

        #[test]
        fn the_report_from_counters_equals_the_report_from_all_answers(
            answers in proptest::collection::vec(arb_answer(), 0..60),
            query in arb_query(),
        ) {
            let mut sorted = answers.clone();
            sorted.sort_by_key(|a| a.created_at);
            let mut counters = Counters::default();
            sorted.iter().for_each(|a| counters.add(a));
            let from_counts = report_from_counters(&counters, &sorted, &query, SAMPLE_LIMIT).unwrap();
            prop_assert_eq!(from_counts, Report::build(&sorted, &query).unwrap());
        }
    }
}
