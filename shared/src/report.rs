//! The survey report behind `GET /v1/surveys/{id}/report`: NPS with its margin of
//! error, the score distribution, a trend, groups by a property or by RFM segment,
//! NPS against revenue, and comment themes (from [`crate::themes`]).
//!
//! Everything here is arithmetic over answers the caller has already loaded: no
//! storage, no clock (recency is measured from each answer's own `created_at`), and no
//! `serde_json`, so it builds without the `server` feature and a dashboard compiled to
//! wasm can decode [`Report`] with the same types. Times are Unix milliseconds in and
//! RFC 3339 UTC out, as everywhere in this crate.
//!
//! # The margin of error
//!
//! Each answer is +1 (promoter), 0 (passive) or −1 (detractor); NPS is 100 × their mean.
//! With `p` and `d` the promoter and detractor shares of `n` answers, the variance of
//! one answer is `p + d − (p − d)²`, the standard error of the mean is
//! `sqrt(variance / n)`, and the 95% margin is `1.96 × SE × 100` NPS points. It is
//! `None` with fewer than two answers: one answer has no spread to measure, and
//! reporting ±0 would claim certainty. When every answer is the same category the
//! formula gives 0; that is what it says, but the normal approximation behind it is
//! poor for small or lopsided samples, so read small-sample margins as rough.
//!
//! # Time buckets
//!
//! The trend buckets by day, ISO week (Monday start) or calendar month *local to a fixed
//! UTC offset* in minutes (`60` for CET, `120` for CEST). Daylight saving time is not
//! modelled: the API takes an offset, not a zone, so a winter-to-summer report in
//! `+60` puts midnight-to-1am CEST answers on the previous day. Each bucket's `start`
//! is the UTC instant its local start corresponds to (`2025-03-01T00:00+01:00` is
//! `2025-02-28T23:00:00.000Z`); `label` is the local name (`2025-03-01`, `2025-W09`,
//! `2025-03`). Every bucket between the first and the last answer is present, empty
//! ones with zero counts and `null` NPS, so a chart's x axis is continuous. The first
//! and last bucket may be cut short by `from`/`to`.
//!
//! # Groups
//!
//! `group_by=<property>`: one group per distinct value of that answer property. Values
//! with fewer than `min_group_size` answers (default 5), and any beyond the
//! [`MAX_GROUPS`] largest, are merged into one `(other)` group rather than shown with a
//! meaningless margin (and because a store with two answers nearly names the two
//! customers). Answers without the property (or with a blank value) form `(none)`.
//! Value groups come by answer count, largest first (ties by value), then `(other)`,
//! then `(none)`, so a bar chart keeps its catch-alls at the end. `kind` tells the
//! catch-alls from a real value that happens to be spelt `(other)`.
//!
//! `group_by=rfm`: one group per RFM segment, see [`RfmSegment`], always all eleven in
//! best-to-worst order and then `unknown`, each with its revenue.
//!
//! # RFM
//!
//! Recency is days since the last order *at the time of the answer*: a numeric
//! `recency_days` property if present, else `created_at − last_order_at` (an RFC 3339
//! UTC timestamp) in whole days, never negative. Frequency is `order_count`, monetary
//! value `revenue` (plain decimal numbers with a `.`, not negative). The names are
//! configurable in [`RfmProperties`]. An answer lacking any of the three is `unknown`.
//! Among the answers that have all three, each is scored 1–5 by [`quintiles`] (recency
//! reversed: recent is 5); `FM` is the mean of F and M rounded up, and the segment is
//! read from (R, FM) in [`RfmSegment::from_scores`]. Each answer counts as a
//! respondent: the report sees answers, not customers.
//!
//! # JSON
//!
//! ```json
//! {
//!   "from": "2025-01-01T00:00:00.000Z", "to": null,
//!   "interval": "week", "utc_offset_minutes": 60, "time_zone": "Europe/Berlin",
//!   "group_by": "store", "min_group_size": 5,
//!   "include_flagged": false, "flagged_excluded": 2,
//!   "overall": {"responses": 4, "promoters": 2, "passives": 1, "detractors": 1,
//!               "nps": 25.0, "margin_of_error": 81.26},
//!   "distribution": [0, 0, 0, 1, 0, 0, 0, 1, 0, 1, 1],
//!   "trend": [{"start": "2024-12-29T23:00:00.000Z", "label": "2025-W01",
//!              "responses": 4, "promoters": 2, "passives": 1, "detractors": 1,
//!              "nps": 25.0, "margin_of_error": 81.26}],
//!   "groups": [{"value": "berlin", "kind": "value", "responses": 4, "promoters": 2,
//!               "passives": 1, "detractors": 1, "nps": 25.0, "margin_of_error": 81.26,
//!               "merged_values": 0, "revenue": null}],
//!   "revenue_bands": [{"band": 1, "min_revenue": 10.0, "max_revenue": 19.9,
//!                      "revenue": 59.7, "responses": 3, "promoters": 1, "passives": 1,
//!                      "detractors": 1, "nps": 0.0, "margin_of_error": 92.4}],
//!   "themes": {"detractor_comments": 1, "promoter_comments": 2,
//!              "detractor": [{"term": "late delivery", "stem": "lat delivery",
//!                             "detractors": 1, "promoters": 0, "score": 0.9,
//!                             "examples": ["Late delivery"]}],
//!              "promoter": []}
//! }
//! ```
//!
//! `distribution[i]` is the number of answers scoring `i`. NPS and margins are
//! unrounded; round for display. `groups` is empty without `group_by`;
//! `revenue_bands` is empty when no answer has a revenue.
//!
//! The worker builds this report from rollups ([`crate::rollup`],
//! [`Report::from_counts`]); [`Report::build`] here is the reference scan over every
//! answer. They agree exactly, except that past [`crate::rollup::SAMPLE_LIMIT`]
//! answers the RFM groups, revenue bands and themes of the rollup report see only the
//! most recent answers, and it then carries
//! `"sample": {"answers": 5000, "of": 1000000, "sections": ["revenue_bands", "themes"]}`.

use crate::api::ResponseView;
use crate::nps::Tally;
use crate::score::Score;
use crate::themes::{self, ThemeComment, ThemeOptions, Themes};
use crate::time::{civil_from_days, days_from_civil, parse_rfc3339, rfc3339};
pub use crate::zone::Zone;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// The normal quantile of a two-sided 95% interval.
pub const Z_95: f64 = 1.96;
/// Groups smaller than this are merged into `(other)` unless asked otherwise.
pub const DEFAULT_MIN_GROUP_SIZE: u64 = 5;
/// The most property values shown as groups of their own; the rest are `(other)`.
pub const MAX_GROUPS: usize = 50;
/// The most buckets a trend may have (27 years of days).
pub const MAX_TREND_BUCKETS: usize = 10_000;
/// Furthest a UTC offset may be from UTC, in minutes (±18:00, as RFC 3339 allows).
pub const MAX_UTC_OFFSET_MINUTES: i32 = 18 * 60;
/// Name of the group of small property values.
pub const OTHER: &str = "(other)";
/// Name of the group of answers without the property.
pub const NONE: &str = "(none)";
/// Name of the RFM group of answers without all three properties.
pub const UNKNOWN: &str = "unknown";

const MS_PER_DAY: i64 = 86_400_000;

/// Why a report cannot be made as asked.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReportError {
    #[error("utc_offset_minutes must be between -1080 and 1080")]
    OffsetOutOfRange,
    #[error("from must be before to")]
    EmptyRange,
    #[error(
        "more than {max} {interval} buckets between the first and the last answer; choose a longer interval or a shorter range"
    )]
    TooManyBuckets { interval: Interval, max: usize },
    #[error("created_at is not an RFC 3339 UTC timestamp")]
    BadTimestamp,
    #[error("time_zone must be an IANA time zone name such as Europe/Berlin")]
    UnknownTimeZone,
    #[error(
        "the time zone changes its offset more than {max} times in the range; choose a shorter range"
    )]
    TooManyZoneChanges { max: usize },
}

// ---------------------------------------------------------------------------------------
// NPS with uncertainty

/// Counts, NPS and its 95% margin of error, for any set of answers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct NpsSummary {
    pub responses: u64,
    pub promoters: u64,
    pub passives: u64,
    pub detractors: u64,
    /// −100 to 100; `null` without answers.
    pub nps: Option<f64>,
    /// ± NPS points at 95%; `null` with fewer than two answers.
    pub margin_of_error: Option<f64>,
}

impl From<Tally> for NpsSummary {
    fn from(tally: Tally) -> Self {
        NpsSummary {
            responses: tally.total(),
            promoters: tally.promoters,
            passives: tally.passives,
            detractors: tally.detractors,
            nps: tally.nps(),
            margin_of_error: margin_of_error(&tally),
        }
    }
}

impl NpsSummary {
    pub fn tally(&self) -> Tally {
        Tally {
            promoters: self.promoters,
            passives: self.passives,
            detractors: self.detractors,
        }
    }
}

/// The 95% margin of error of `tally.nps()` in NPS points (see the module doc);
/// `None` for fewer than two answers.
pub fn margin_of_error(tally: &Tally) -> Option<f64> {
    let n = tally.total();
    if n < 2 {
        return None;
    }
    // n² × variance = (P + D)·n − (P − D)², exact in integers and never negative
    // because |P − D| ≤ P + D ≤ n; so no float can make the variance dip below 0.
    let n_wide = u128::from(n);
    let extremes = u128::from(tally.promoters) + u128::from(tally.detractors);
    let lead = u128::from(tally.promoters.abs_diff(tally.detractors));
    let spread = extremes * n_wide - lead * lead;
    let variance_over_n = spread as f64 / (n as f64).powi(3);
    Some(Z_95 * variance_over_n.sqrt() * 100.0)
}

// ---------------------------------------------------------------------------------------
// Score distribution

/// How many answers gave each score; index = score. JSON: an array of 11 counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Distribution(pub [u64; 11]);

impl Distribution {
    pub fn add(&mut self, score: Score) {
        self.0[usize::from(score.value())] += 1;
    }

    pub fn count(&self, score: Score) -> u64 {
        self.0[usize::from(score.value())]
    }

    pub fn tally(&self) -> Tally {
        let mut tally = Tally::default();
        for score in Score::all() {
            let n = self.count(score);
            match score.category() {
                crate::Category::Promoter => tally.promoters += n,
                crate::Category::Passive => tally.passives += n,
                crate::Category::Detractor => tally.detractors += n,
            }
        }
        tally
    }

    pub fn total(&self) -> u64 {
        self.0.iter().sum()
    }

    pub fn merge(&mut self, other: &Distribution) {
        for (mine, theirs) in self.0.iter_mut().zip(other.0) {
            *mine += theirs;
        }
    }
}

impl FromIterator<Score> for Distribution {
    fn from_iter<I: IntoIterator<Item = Score>>(iter: I) -> Self {
        let mut distribution = Distribution::default();
        for score in iter {
            distribution.add(score);
        }
        distribution
    }
}

// ---------------------------------------------------------------------------------------
// Trend

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
    type Error = ReportError;
    fn try_from(minutes: i32) -> Result<Self, Self::Error> {
        if (-MAX_UTC_OFFSET_MINUTES..=MAX_UTC_OFFSET_MINUTES).contains(&minutes) {
            Ok(UtcOffset(minutes))
        } else {
            Err(ReportError::OffsetOutOfRange)
        }
    }
}

impl From<UtcOffset> for i32 {
    fn from(offset: UtcOffset) -> i32 {
        offset.0
    }
}

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
    fn start_of(self, day: i64) -> i64 {
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
    fn next(self, start: i64) -> i64 {
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
    fn label(self, start: i64) -> String {
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

// ---------------------------------------------------------------------------------------
// Answers and groups

/// One answer as the report needs it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnswerRecord {
    pub score: Score,
    /// Unix milliseconds.
    pub created_at: i64,
    #[serde(default)]
    pub comment: Option<String>,
    #[serde(default)]
    pub properties: BTreeMap<String, String>,
    /// Suspected to come from an e-mail scanner following every link; left out of
    /// reports unless `include_flagged`.
    #[serde(default)]
    pub flagged: bool,
}

impl TryFrom<&ResponseView> for AnswerRecord {
    type Error = ReportError;
    /// A stored answer; flagged when the view carries a scanner reason.
    fn try_from(view: &ResponseView) -> Result<Self, Self::Error> {
        Ok(AnswerRecord {
            score: view.score,
            created_at: parse_rfc3339(&view.created_at).ok_or(ReportError::BadTimestamp)?,
            comment: view.comment.clone(),
            properties: view.properties.clone(),
            flagged: view.flagged.is_some() || view.provisional,
        })
    }
}

impl AnswerRecord {
    /// The comment as the themes read it, `None` without one.
    pub fn theme_comment(&self) -> Option<ThemeComment<'_>> {
        Some(ThemeComment {
            category: self.score.category(),
            text: self.comment.as_deref()?,
        })
    }

    /// The property's value, `None` when absent or blank.
    pub fn property(&self, key: &str) -> Option<&str> {
        self.properties
            .get(key)
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
    }
}

/// What a group stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupKind {
    /// One value of the property.
    Value,
    /// Values too small (or too many) to show alone.
    Other,
    /// Answers without the property.
    None,
    /// An RFM segment.
    Segment,
    /// Answers without all the RFM properties.
    Unknown,
}

/// One group of answers and its NPS.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Group {
    /// The property value, `(other)`, `(none)`, a segment name or `unknown`.
    pub value: String,
    pub kind: GroupKind,
    #[serde(flatten)]
    pub summary: NpsSummary,
    /// How many property values `(other)` holds; 0 for every other group.
    pub merged_values: u64,
    /// Sum of the revenue property; only for RFM segments.
    pub revenue: Option<f64>,
}

/// Groups by the value of `key` (see the module doc for merging and order).
pub fn groups_by_property(answers: &[&AnswerRecord], key: &str, min_group_size: u64) -> Vec<Group> {
    let mut by_value: BTreeMap<&str, Tally> = BTreeMap::new();
    let mut none = Tally::default();
    for answer in answers {
        match answer.property(key) {
            Some(value) => by_value.entry(value).or_default().add(answer.score),
            None => none.add(answer.score),
        }
    }
    groups_of_tallies(by_value, none, min_group_size)
}

/// [`groups_by_property`] of counts already summed per value, and of those without it.
pub fn groups_of_tallies(
    by_value: BTreeMap<&str, Tally>,
    none: Tally,
    min_group_size: u64,
) -> Vec<Group> {
    let mut values: Vec<(&str, Tally)> = by_value.into_iter().collect();
    // Stable sort: equal counts stay in value order.
    values.sort_by_key(|v| std::cmp::Reverse(v.1.total()));

    let group = |value: &str, kind, tally: Tally, merged_values| Group {
        value: value.to_owned(),
        kind,
        summary: tally.into(),
        merged_values,
        revenue: None,
    };
    let mut groups = Vec::new();
    let (mut other, mut merged) = (Tally::default(), 0u64);
    for (value, tally) in values {
        if tally.total() >= min_group_size && groups.len() < MAX_GROUPS {
            groups.push(group(value, GroupKind::Value, tally, 0));
        } else {
            other.merge(&tally);
            merged += 1;
        }
    }
    if merged > 0 {
        groups.push(group(OTHER, GroupKind::Other, other, merged));
    }
    if none.total() > 0 {
        groups.push(group(NONE, GroupKind::None, none, 0));
    }
    groups
}

// ---------------------------------------------------------------------------------------
// RFM

/// Which answer properties carry recency, frequency and monetary value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RfmProperties {
    /// Days since the last order, a number. Preferred over `last_order_at`.
    pub recency_days: String,
    /// The last order's time, RFC 3339 UTC.
    pub last_order_at: String,
    /// Number of orders.
    pub order_count: String,
    /// Revenue of the customer, a decimal number.
    pub revenue: String,
}

impl Default for RfmProperties {
    fn default() -> Self {
        RfmProperties {
            recency_days: "recency_days".into(),
            last_order_at: "last_order_at".into(),
            order_count: "order_count".into(),
            revenue: "revenue".into(),
        }
    }
}

/// The RFM segments, best first. The segment of an answer is read from its recency
/// score R (rows) and FM, the mean of its frequency and monetary scores rounded up
/// (columns):
///
/// | R \ FM | 1              | 2                   | 3                   | 4              | 5              |
/// |--------|----------------|---------------------|---------------------|----------------|----------------|
/// | 5      | new customers  | potential loyalists | potential loyalists | champions      | champions      |
/// | 4      | promising      | potential loyalists | potential loyalists | loyal          | loyal          |
/// | 3      | about to sleep | about to sleep      | need attention      | loyal          | loyal          |
/// | 2      | hibernating    | hibernating         | at risk             | at risk        | can't lose them|
/// | 1      | lost           | hibernating         | at risk             | at risk        | can't lose them|
///
/// This is the common 11-segment scheme (the R×F grid popularised by Putler and many
/// RFM tutorials) read with FM, with `lost` split off `hibernating` at R = FM = 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RfmSegment {
    Champions,
    Loyal,
    PotentialLoyalists,
    NewCustomers,
    Promising,
    NeedAttention,
    AboutToSleep,
    AtRisk,
    CantLoseThem,
    Hibernating,
    Lost,
}

impl RfmSegment {
    pub const ALL: [RfmSegment; 11] = [
        RfmSegment::Champions,
        RfmSegment::Loyal,
        RfmSegment::PotentialLoyalists,
        RfmSegment::NewCustomers,
        RfmSegment::Promising,
        RfmSegment::NeedAttention,
        RfmSegment::AboutToSleep,
        RfmSegment::AtRisk,
        RfmSegment::CantLoseThem,
        RfmSegment::Hibernating,
        RfmSegment::Lost,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RfmSegment::Champions => "champions",
            RfmSegment::Loyal => "loyal",
            RfmSegment::PotentialLoyalists => "potential_loyalists",
            RfmSegment::NewCustomers => "new_customers",
            RfmSegment::Promising => "promising",
            RfmSegment::NeedAttention => "need_attention",
            RfmSegment::AboutToSleep => "about_to_sleep",
            RfmSegment::AtRisk => "at_risk",
            RfmSegment::CantLoseThem => "cant_lose_them",
            RfmSegment::Hibernating => "hibernating",
            RfmSegment::Lost => "lost",
        }
    }

    /// The segment of recency score `r` and frequency-monetary score `fm`, both 1–5
    /// (values outside are clamped).
    pub fn from_scores(r: u8, fm: u8) -> RfmSegment {
        use RfmSegment::*;
        const GRID: [[RfmSegment; 5]; 5] = [
            // R = 1
            [Lost, Hibernating, AtRisk, AtRisk, CantLoseThem],
            // R = 2
            [Hibernating, Hibernating, AtRisk, AtRisk, CantLoseThem],
            // R = 3
            [AboutToSleep, AboutToSleep, NeedAttention, Loyal, Loyal],
            // R = 4
            [
                Promising,
                PotentialLoyalists,
                PotentialLoyalists,
                Loyal,
                Loyal,
            ],
            // R = 5
            [
                NewCustomers,
                PotentialLoyalists,
                PotentialLoyalists,
                Champions,
                Champions,
            ],
        ];
        let at = |score: u8| usize::from(score.clamp(1, 5) - 1);
        GRID[at(r)][at(fm)]
    }
}

/// One answer's RFM scores, each 1–5, 5 best.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RfmScore {
    pub recency: u8,
    pub frequency: u8,
    pub monetary: u8,
}

impl RfmScore {
    /// The mean of frequency and monetary, rounded up.
    pub fn fm(self) -> u8 {
        (self.frequency + self.monetary).div_ceil(2)
    }

    pub fn segment(self) -> RfmSegment {
        RfmSegment::from_scores(self.recency, self.fm())
    }
}

/// The quintile score 1–5 of each value among all of them, larger values scoring
/// higher. Ties score alike: a value's position is its mid-rank, the share of values
/// below it plus half the share equal to it, `q = (below + equal / 2) / n`, and its
/// score is `1 + ⌊5q⌋`. So five distinct values score 1 to 5, and values that are all
/// the same score 3 (the middle) rather than all 1 or all 5.
pub fn quintiles(values: &[f64]) -> Vec<u8> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len() as u64;
    values
        .iter()
        .map(|v| {
            let below = sorted.partition_point(|x| x.total_cmp(v).is_lt()) as u64;
            let up_to = sorted.partition_point(|x| x.total_cmp(v).is_le()) as u64;
            // 5 × (2·below + equal) / 2n < 5, since below + equal ≤ n and equal ≥ 1.
            let score = 1 + 5 * (below + up_to) / (2 * n);
            score.min(5) as u8
        })
        .collect()
}

/// A non-negative finite decimal, `.` as the decimal point.
fn amount(text: &str) -> Option<f64> {
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v >= 0.0)
}

/// Days since the last order when the answer was given (see the module doc).
fn recency_days(answer: &AnswerRecord, names: &RfmProperties) -> Option<f64> {
    if let Some(days) = answer.property(&names.recency_days).and_then(amount) {
        return Some(days);
    }
    let last_order = parse_rfc3339(answer.property(&names.last_order_at)?)?;
    let days = answer
        .created_at
        .saturating_sub(last_order)
        .div_euclid(MS_PER_DAY);
    Some(days.max(0) as f64)
}

/// Each answer's RFM scores, `None` for answers lacking one of the properties;
/// quintiles are taken over the answers that have all three.
pub fn rfm_scores(answers: &[&AnswerRecord], names: &RfmProperties) -> Vec<Option<RfmScore>> {
    let values: Vec<Option<(f64, f64, f64)>> = answers
        .iter()
        .map(|a| {
            Some((
                recency_days(a, names)?,
                a.property(&names.order_count).and_then(amount)?,
                a.property(&names.revenue).and_then(amount)?,
            ))
        })
        .collect();
    let complete: Vec<(f64, f64, f64)> = values.iter().flatten().copied().collect();
    // Fewer days since the last order is better: score the negated days.
    let recency = quintiles(&complete.iter().map(|v| -v.0).collect::<Vec<_>>());
    let frequency = quintiles(&complete.iter().map(|v| v.1).collect::<Vec<_>>());
    let monetary = quintiles(&complete.iter().map(|v| v.2).collect::<Vec<_>>());
    let mut next = 0;
    values
        .iter()
        .map(|v| {
            v.map(|_| {
                let score = RfmScore {
                    recency: recency[next],
                    frequency: frequency[next],
                    monetary: monetary[next],
                };
                next += 1;
                score
            })
        })
        .collect()
}

/// All eleven segments best first, then `unknown`, each with its tally and the sum of
/// its revenue (0 where nobody is).
pub fn rfm_groups(answers: &[&AnswerRecord], names: &RfmProperties) -> Vec<Group> {
    let mut segments: BTreeMap<RfmSegment, (Tally, f64)> = BTreeMap::new();
    let (mut unknown, mut unknown_revenue) = (Tally::default(), 0.0);
    for (answer, score) in answers.iter().zip(rfm_scores(answers, names)) {
        let revenue = answer
            .property(&names.revenue)
            .and_then(amount)
            .unwrap_or(0.0);
        match score {
            Some(score) => {
                let (tally, sum) = segments.entry(score.segment()).or_default();
                tally.add(answer.score);
                *sum += revenue;
            }
            None => {
                unknown.add(answer.score);
                unknown_revenue += revenue;
            }
        }
    }
    RfmSegment::ALL
        .into_iter()
        .map(|segment| {
            let (tally, revenue) = segments.get(&segment).copied().unwrap_or_default();
            Group {
                value: segment.as_str().to_owned(),
                kind: GroupKind::Segment,
                summary: tally.into(),
                merged_values: 0,
                revenue: Some(revenue),
            }
        })
        .chain([Group {
            value: UNKNOWN.to_owned(),
            kind: GroupKind::Unknown,
            summary: unknown.into(),
            merged_values: 0,
            revenue: Some(unknown_revenue),
        }])
        .collect()
}

// ---------------------------------------------------------------------------------------
// NPS against revenue

/// The answers in one revenue quintile.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RevenueBand {
    /// 1 (lowest revenue) to 5 (highest).
    pub band: u8,
    pub min_revenue: f64,
    pub max_revenue: f64,
    /// Sum of the revenue in the band.
    pub revenue: f64,
    #[serde(flatten)]
    pub summary: NpsSummary,
}

/// NPS per revenue quintile (by [`quintiles`]), over the answers with a revenue
/// property; bands that ties leave empty are left out.
pub fn revenue_bands(answers: &[&AnswerRecord], revenue_key: &str) -> Vec<RevenueBand> {
    let with_revenue: Vec<(Score, f64)> = answers
        .iter()
        .filter_map(|a| Some((a.score, a.property(revenue_key).and_then(amount)?)))
        .collect();
    let bands = quintiles(&with_revenue.iter().map(|a| a.1).collect::<Vec<_>>());
    let mut by_band: BTreeMap<u8, (Tally, f64, f64, f64)> = BTreeMap::new();
    for (&(score, revenue), band) in with_revenue.iter().zip(bands) {
        let entry = by_band.entry(band).or_insert((
            Tally::default(),
            f64::INFINITY,
            f64::NEG_INFINITY,
            0.0,
        ));
        entry.0.add(score);
        entry.1 = entry.1.min(revenue);
        entry.2 = entry.2.max(revenue);
        entry.3 += revenue;
    }
    by_band
        .into_iter()
        .map(|(band, (tally, min, max, sum))| RevenueBand {
            band,
            min_revenue: min,
            max_revenue: max,
            revenue: sum,
            summary: tally.into(),
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// The report

/// What to group by.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "String", from = "String")]
pub enum GroupBy {
    /// The values of an answer property (`store`).
    Property(String),
    /// RFM segments.
    Rfm,
}

impl GroupBy {
    /// `rfm` or a property name; `None` for a blank name.
    pub fn parse(text: &str) -> Option<GroupBy> {
        match text.trim() {
            "" => None,
            "rfm" => Some(GroupBy::Rfm),
            name => Some(GroupBy::Property(name.to_owned())),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            GroupBy::Property(name) => name,
            GroupBy::Rfm => "rfm",
        }
    }
}

impl From<GroupBy> for String {
    fn from(group_by: GroupBy) -> String {
        group_by.as_str().to_owned()
    }
}

impl From<String> for GroupBy {
    fn from(text: String) -> GroupBy {
        if text == "rfm" {
            GroupBy::Rfm
        } else {
            GroupBy::Property(text)
        }
    }
}

/// What the report covers and how it slices it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportQuery {
    /// First instant included, Unix ms.
    pub from: Option<i64>,
    /// First instant no longer included, Unix ms.
    pub to: Option<i64>,
    pub interval: Interval,
    /// Local time for the trend: `utc_offset_minutes` or `time_zone`.
    pub zone: Zone,
    pub group_by: Option<GroupBy>,
    pub min_group_size: u64,
    /// Count answers flagged as e-mail-scanner clicks too.
    pub include_flagged: bool,
    pub rfm: RfmProperties,
    pub themes: ThemeOptions,
}

impl ReportQuery {
    /// The zone's offset at the end of the range: just before `to`, or at the end of
    /// what the zone was resolved over (about now).
    pub fn offset_at_end(&self) -> UtcOffset {
        self.to
            .map_or(self.zone.last_offset(), |to| self.zone.offset_at(to - 1))
    }
}

impl Default for ReportQuery {
    fn default() -> Self {
        ReportQuery {
            from: None,
            to: None,
            interval: Interval::default(),
            zone: Zone::default(),
            group_by: None,
            min_group_size: DEFAULT_MIN_GROUP_SIZE,
            include_flagged: false,
            rfm: RfmProperties::default(),
            themes: ThemeOptions::default(),
        }
    }
}

/// What a report was asked for, as it says it back: the first fields of its JSON.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReportScope {
    pub from: Option<String>,
    pub to: Option<String>,
    pub interval: Interval,
    /// The fixed offset asked for; with `time_zone`, the zone's offset at the end of
    /// the range.
    pub utc_offset_minutes: UtcOffset,
    /// The IANA time zone the trend is in, daylight saving included; `null` for a
    /// fixed `utc_offset_minutes`.
    #[serde(default)]
    pub time_zone: Option<String>,
    pub group_by: Option<GroupBy>,
    pub min_group_size: u64,
    pub include_flagged: bool,
}

impl From<&ReportQuery> for ReportScope {
    fn from(query: &ReportQuery) -> ReportScope {
        ReportScope {
            from: query.from.map(rfc3339),
            to: query.to.map(rfc3339),
            interval: query.interval,
            utc_offset_minutes: query.offset_at_end(),
            time_zone: query.zone.name().map(str::to_owned),
            group_by: query.group_by.clone(),
            min_group_size: query.min_group_size,
            include_flagged: query.include_flagged,
        }
    }
}

/// `GET /v1/surveys/{id}/report`; the JSON shape is in the module doc.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    #[serde(flatten)]
    pub scope: ReportScope,
    /// Flagged answers in the range that were left out (0 with `include_flagged`).
    pub flagged_excluded: u64,
    pub overall: NpsSummary,
    pub distribution: Distribution,
    pub trend: Vec<TrendBucket>,
    pub groups: Vec<Group>,
    pub revenue_bands: Vec<RevenueBand>,
    pub themes: Themes,
    /// Present when the parts that read answers (RFM groups, revenue bands, themes, and
    /// groups by a property that is not rolled up) saw only the most recent answers of
    /// the range: see [`crate::rollup`]. Absent when they saw all of them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sample: Option<crate::rollup::Sample>,
}

impl Report {
    /// The report on those `answers` that the query's range and flag setting admit.
    pub fn build(answers: &[AnswerRecord], query: &ReportQuery) -> Result<Report, ReportError> {
        if let (Some(from), Some(to)) = (query.from, query.to)
            && from >= to
        {
            return Err(ReportError::EmptyRange);
        }
        let in_range: Vec<&AnswerRecord> = answers
            .iter()
            .filter(|a| query.from.is_none_or(|from| a.created_at >= from))
            .filter(|a| query.to.is_none_or(|to| a.created_at < to))
            .collect();
        let (counted, flagged): (Vec<&AnswerRecord>, Vec<&AnswerRecord>) = in_range
            .into_iter()
            .partition(|a| query.include_flagged || !a.flagged);

        let overall: Tally = counted.iter().map(|a| a.score).collect();
        let groups = match &query.group_by {
            None => Vec::new(),
            Some(GroupBy::Rfm) => rfm_groups(&counted, &query.rfm),
            Some(GroupBy::Property(key)) => groups_by_property(&counted, key, query.min_group_size),
        };
        let comments = counted.iter().filter_map(|a| a.theme_comment());
        Ok(Report {
            scope: query.into(),
            flagged_excluded: flagged.len() as u64,
            overall: overall.into(),
            distribution: counted.iter().map(|a| a.score).collect(),
            trend: trend(
                counted.iter().map(|a| (a.created_at, a.score)),
                query.interval,
                &query.zone,
            )?,
            groups,
            revenue_bands: revenue_bands(&counted, &query.rfm.revenue),
            themes: themes::themes(comments, &query.themes),
            sample: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn score(n: u8) -> Score {
        Score::try_from(n).unwrap()
    }

    fn tally(promoters: u64, passives: u64, detractors: u64) -> Tally {
        Tally {
            promoters,
            passives,
            detractors,
        }
    }

    fn answer(n: u8, created_at: i64, properties: &[(&str, &str)]) -> AnswerRecord {
        AnswerRecord {
            score: score(n),
            created_at,
            comment: None,
            properties: properties
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            flagged: false,
        }
    }

    fn close(actual: Option<f64>, expected: f64) -> bool {
        actual.is_some_and(|a| (a - expected).abs() < 1e-9)
    }

    // --- NPS and margin -----------------------------------------------------------

    #[test]
    fn the_margin_of_two_promoters_a_passive_and_a_detractor_is_81_points() {
        // p = 2/4 = 0.5, d = 1/4 = 0.25; variance = 0.5 + 0.25 − 0.25² = 0.6875;
        // SE = sqrt(0.6875 / 4) = sqrt(0.171875) = 0.4145781;
        // margin = 1.96 × 0.4145781 × 100 = 81.2573074.
        let summary = NpsSummary::from(tally(2, 1, 1));
        assert_eq!(summary.nps, Some(25.0));
        assert!(close(summary.margin_of_error, 81.257_307_363_707_3));
        assert_eq!(summary.responses, 4);
    }

    #[test]
    fn the_margin_of_a_hundred_answers_is_15_points() {
        // 50 promoters, 30 passives, 20 detractors: NPS 30; variance = 0.5 + 0.2 − 0.3²
        // = 0.61; SE = sqrt(0.61 / 100) = 0.0781025; margin = 196 × 0.0781025 = 15.3081.
        let summary = NpsSummary::from(tally(50, 30, 20));
        assert_eq!(summary.nps, Some(30.0));
        assert!(close(summary.margin_of_error, 15.308_089_364_777_04));
    }

    #[test]
    fn one_promoter_and_one_detractor_are_as_uncertain_as_can_be() {
        // p = d = 0.5: variance = 1 − 0 = 1; SE = sqrt(1/2) = 0.7071068; margin =
        // 138.59: wider than the whole scale's half, which is honest for two answers.
        assert!(close(
            margin_of_error(&tally(1, 0, 1)),
            138.592_929_112_563_33
        ));
    }

    #[test]
    fn nobody_answering_has_neither_nps_nor_margin() {
        let summary = NpsSummary::from(Tally::default());
        assert_eq!((summary.nps, summary.margin_of_error), (None, None));
    }

    #[test]
    fn one_answer_has_an_nps_but_no_margin() {
        // One answer has no spread to measure; the formula would say ±0.
        for t in [tally(1, 0, 0), tally(0, 1, 0), tally(0, 0, 1)] {
            let summary = NpsSummary::from(t);
            assert!(summary.nps.is_some());
            assert_eq!(summary.margin_of_error, None);
        }
    }

    #[test]
    fn identical_answers_have_a_zero_margin() {
        // Three promoters: variance = 1 + 0 − 1² = 0.
        assert_eq!(margin_of_error(&tally(3, 0, 0)), Some(0.0));
        assert_eq!(margin_of_error(&tally(0, 7, 0)), Some(0.0));
        assert_eq!(margin_of_error(&tally(0, 0, 2)), Some(0.0));
    }

    #[test]
    fn the_distribution_counts_each_score() {
        let d: Distribution = [0, 10, 10, 7, 3].map(score).into_iter().collect();
        assert_eq!(d.0, [1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 2]);
        assert_eq!(d.tally(), tally(2, 1, 2));
    }

    // --- Trend ------------------------------------------------------------------------

    const FEB_29_2330_UTC: i64 = 1_709_249_400_000; // 2024-02-29T23:30:00Z
    const FEB_29_2259_UTC: i64 = 1_709_247_540_000; // 2024-02-29T22:59:00Z
    const DEC_29_2330_UTC: i64 = 1_735_515_000_000; // 2024-12-29T23:30:00Z, a Sunday
    const DEC_29_2200_UTC: i64 = 1_735_509_600_000; // 2024-12-29T22:00:00Z
    const JAN_20_1200_UTC: i64 = 1_737_374_400_000; // 2025-01-20T12:00:00Z, a Monday

    fn labels(buckets: &[TrendBucket]) -> Vec<&str> {
        buckets.iter().map(|b| b.label.as_str()).collect()
    }

    #[test]
    fn half_past_eleven_utc_on_leap_day_is_march_in_cet() {
        let cet = UtcOffset::try_from(60).unwrap();
        let answers = [(FEB_29_2259_UTC, score(10)), (FEB_29_2330_UTC, score(0))];
        let months = trend(answers, Interval::Month, &Zone::fixed(cet)).unwrap();
        assert_eq!(labels(&months), ["2024-02", "2024-03"]);
        assert_eq!(months[0].start, "2024-01-31T23:00:00.000Z");
        assert_eq!(months[1].start, "2024-02-29T23:00:00.000Z");
        assert_eq!(months[0].summary.nps, Some(100.0));
        assert_eq!(months[1].summary.nps, Some(-100.0));
        // In UTC both are in February.
        let utc = trend(answers, Interval::Month, &Zone::fixed(UtcOffset::UTC)).unwrap();
        assert_eq!(labels(&utc), ["2024-02"]);
        assert_eq!(utc[0].summary.responses, 2);
    }

    #[test]
    fn days_start_at_local_midnight() {
        let cet = UtcOffset::try_from(60).unwrap();
        let days = trend(
            [(FEB_29_2330_UTC, score(9))],
            Interval::Day,
            &Zone::fixed(cet),
        )
        .unwrap();
        assert_eq!(labels(&days), ["2024-03-01"]);
        assert_eq!(days[0].start, "2024-02-29T23:00:00.000Z");
        // West of Greenwich the same instant is still the 29th.
        let new_york = UtcOffset::try_from(-300).unwrap();
        let days = trend(
            [(FEB_29_2330_UTC, score(9))],
            Interval::Day,
            &Zone::fixed(new_york),
        )
        .unwrap();
        assert_eq!(labels(&days), ["2024-02-29"]);
        assert_eq!(days[0].start, "2024-02-29T05:00:00.000Z");
    }

    #[test]
    fn weeks_start_on_monday_and_take_the_iso_year_of_their_thursday() {
        // Sunday 2024-12-29 23:30 UTC is Monday 2024-12-30 00:30 in CET: ISO week
        // 2025-W01, which starts on 2024-12-30. 22:00 UTC is 23:00 Sunday CET: 2024-W52.
        let cet = UtcOffset::try_from(60).unwrap();
        let weeks = trend(
            [
                (DEC_29_2200_UTC, score(3)),
                (DEC_29_2330_UTC, score(9)),
                (JAN_20_1200_UTC, score(8)),
            ],
            Interval::Week,
            &Zone::fixed(cet),
        )
        .unwrap();
        // Then the empty W02 and W03, and Monday 20 January opens W04.
        assert_eq!(
            labels(&weeks),
            ["2024-W52", "2025-W01", "2025-W02", "2025-W03", "2025-W04"]
        );
        assert_eq!(weeks[0].start, "2024-12-22T23:00:00.000Z");
        assert_eq!(weeks[1].start, "2024-12-29T23:00:00.000Z");
        assert_eq!(weeks[4].start, "2025-01-19T23:00:00.000Z");
        assert_eq!(weeks[0].summary.detractors, 1);
        assert_eq!(weeks[1].summary.promoters, 1);
        assert_eq!(weeks[4].summary.passives, 1);
    }

    #[test]
    fn empty_buckets_fill_the_gaps_with_zero_counts() {
        let weeks = trend(
            [(DEC_29_2330_UTC, score(9)), (JAN_20_1200_UTC, score(8))],
            Interval::Week,
            &Zone::fixed(UtcOffset::UTC),
        )
        .unwrap();
        assert_eq!(
            labels(&weeks),
            ["2024-W52", "2025-W01", "2025-W02", "2025-W03", "2025-W04"]
        );
        let gap = &weeks[2].summary;
        assert_eq!(
            (gap.responses, gap.nps, gap.margin_of_error),
            (0, None, None)
        );
    }

    #[test]
    fn months_roll_over_the_year() {
        let months = trend(
            [
                (DEC_29_2330_UTC, score(9)),
                (JAN_20_1200_UTC + 45 * MS_PER_DAY, score(8)),
            ],
            Interval::Month,
            &Zone::fixed(UtcOffset::UTC),
        )
        .unwrap();
        assert_eq!(
            labels(&months),
            ["2024-12", "2025-01", "2025-02", "2025-03"]
        );
        assert_eq!(months[3].start, "2025-03-01T00:00:00.000Z");
    }

    #[test]
    fn iso_weeks_at_year_ends_are_numbered_right() {
        // 2020-12-31 is a Thursday of 2020-W53; 2026-01-01 is a Thursday of 2026-W01.
        let week_of =
            |y, m, d| Interval::Week.label(Interval::Week.start_of(days_from_civil(y, m, d)));
        assert_eq!(week_of(2020, 12, 31), "2020-W53");
        assert_eq!(week_of(2021, 1, 3), "2020-W53");
        assert_eq!(week_of(2026, 1, 1), "2026-W01");
        assert_eq!(week_of(2025, 12, 29), "2026-W01");
    }

    #[test]
    fn a_daily_trend_over_decades_is_refused() {
        let result = trend(
            [(0, score(9)), (40 * 365 * MS_PER_DAY, score(9))],
            Interval::Day,
            &Zone::fixed(UtcOffset::UTC),
        );
        assert_eq!(
            result,
            Err(ReportError::TooManyBuckets {
                interval: Interval::Day,
                max: MAX_TREND_BUCKETS
            })
        );
    }

    #[test]
    fn offsets_beyond_eighteen_hours_are_refused() {
        assert_eq!(
            UtcOffset::try_from(1081),
            Err(ReportError::OffsetOutOfRange)
        );
        assert_eq!(
            UtcOffset::try_from(-1081),
            Err(ReportError::OffsetOutOfRange)
        );
        assert_eq!(UtcOffset::try_from(-1080).unwrap().minutes(), -1080);
        assert!(serde_json::from_str::<UtcOffset>("2000").is_err());
    }

    // --- Groups -----------------------------------------------------------------------

    fn stores(spec: &[(&str, u8)]) -> Vec<AnswerRecord> {
        spec.iter()
            .map(|&(store, n)| {
                if store.is_empty() {
                    answer(n, 0, &[])
                } else {
                    answer(n, 0, &[("store", store)])
                }
            })
            .collect()
    }

    #[test]
    fn small_groups_are_merged_into_other_and_missing_values_into_none() {
        let mut spec = vec![("berlin", 10); 6];
        spec.extend([("hamburg", 0); 5]);
        spec.extend([("köln", 9), ("köln", 9), ("bonn", 3), ("", 8), ("  ", 7)]);
        let answers = stores(&spec);
        let refs: Vec<&AnswerRecord> = answers.iter().collect();
        let groups = groups_by_property(&refs, "store", DEFAULT_MIN_GROUP_SIZE);
        let shown: Vec<(&str, GroupKind, u64, u64)> = groups
            .iter()
            .map(|g| {
                (
                    g.value.as_str(),
                    g.kind,
                    g.summary.responses,
                    g.merged_values,
                )
            })
            .collect();
        assert_eq!(
            shown,
            [
                ("berlin", GroupKind::Value, 6, 0),
                ("hamburg", GroupKind::Value, 5, 0),
                (OTHER, GroupKind::Other, 3, 2),
                (NONE, GroupKind::None, 2, 0),
            ]
        );
        // köln 9, 9 and bonn 3: 2 promoters, 1 detractor → NPS 33.3.
        assert_eq!(groups[2].summary.tally(), tally(2, 0, 1));
    }

    #[test]
    fn equal_groups_are_ordered_by_value_and_size_one_keeps_everything() {
        let answers = stores(&[("b", 9), ("a", 9), ("c", 9), ("c", 0)]);
        let refs: Vec<&AnswerRecord> = answers.iter().collect();
        let groups = groups_by_property(&refs, "store", 1);
        let values: Vec<&str> = groups.iter().map(|g| g.value.as_str()).collect();
        assert_eq!(values, ["c", "a", "b"]);
    }

    // --- RFM --------------------------------------------------------------------------

    #[test]
    fn quintiles_of_distinct_values_use_mid_ranks() {
        // Ten values: mid-rank shares 0.05, 0.15, …, 0.95 → 1,1,2,2,3,3,4,4,5,5.
        let values: Vec<f64> = (1..=10).map(f64::from).rev().collect();
        assert_eq!(quintiles(&values), [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]);
        assert_eq!(quintiles(&[3.0, 1.0, 2.0, 5.0, 4.0]), [3, 1, 2, 5, 4]);
        assert!(quintiles(&[]).is_empty());
    }

    #[test]
    fn tied_values_share_a_quintile() {
        // All equal: q = (0 + 4/2)/4 = 0.5 → 3.
        assert_eq!(quintiles(&[7.0; 4]), [3, 3, 3, 3]);
        // 1, 1, 1, 9: the ones have q = (0 + 1.5)/4 = 0.375 → 2; the nine
        // q = (3 + 0.5)/4 = 0.875 → 5.
        assert_eq!(quintiles(&[1.0, 9.0, 1.0, 1.0]), [2, 5, 2, 2]);
    }

    #[test]
    fn the_segment_grid_has_all_eleven_segments() {
        let mut seen: Vec<RfmSegment> = (1..=5)
            .flat_map(|r| (1..=5).map(move |fm| RfmSegment::from_scores(r, fm)))
            .collect();
        seen.sort();
        seen.dedup();
        assert_eq!(seen, RfmSegment::ALL);
        assert_eq!(RfmSegment::from_scores(5, 5), RfmSegment::Champions);
        assert_eq!(RfmSegment::from_scores(5, 1), RfmSegment::NewCustomers);
        assert_eq!(RfmSegment::from_scores(1, 5), RfmSegment::CantLoseThem);
        assert_eq!(RfmSegment::from_scores(1, 1), RfmSegment::Lost);
        assert_eq!(
            serde_json::to_string(&RfmSegment::CantLoseThem).unwrap(),
            "\"cant_lose_them\""
        );
    }

    fn customers() -> Vec<AnswerRecord> {
        let day = MS_PER_DAY;
        let at = 100 * day;
        vec![
            // Recent, many orders, high revenue.
            answer(
                10,
                at,
                &[
                    ("recency_days", "1"),
                    ("order_count", "20"),
                    ("revenue", "2000"),
                ],
            ),
            // Recent, one order, little revenue: last order given as a timestamp
            // (3 days before the answer).
            answer(
                9,
                at,
                &[
                    ("last_order_at", &rfc3339(at - 3 * day)),
                    ("order_count", "1"),
                    ("revenue", "10"),
                ],
            ),
            // Middling.
            answer(
                7,
                at,
                &[
                    ("recency_days", "30"),
                    ("order_count", "5"),
                    ("revenue", "300"),
                ],
            ),
            // Long ago, many orders, high revenue.
            answer(
                3,
                at,
                &[
                    ("recency_days", "300"),
                    ("order_count", "15"),
                    ("revenue", "1500"),
                ],
            ),
            // Long ago, one order, little revenue.
            answer(
                0,
                at,
                &[
                    ("recency_days", "400"),
                    ("order_count", "1"),
                    ("revenue", "5"),
                ],
            ),
            // No revenue: unknown.
            answer(8, at, &[("recency_days", "2"), ("order_count", "3")]),
            // Nothing at all: unknown.
            answer(6, at, &[]),
        ]
    }

    #[test]
    fn rfm_scores_rank_five_customers_into_quintiles() {
        let answers = customers();
        let refs: Vec<&AnswerRecord> = answers.iter().collect();
        let scores = rfm_scores(&refs, &RfmProperties::default());
        let rfm = |r, f, m| {
            Some(RfmScore {
                recency: r,
                frequency: f,
                monetary: m,
            })
        };
        // Recency days 1, 3, 30, 300, 400 → R 5, 4, 3, 2, 1.
        // Orders 20, 1, 5, 15, 1: the two ones tie, q = (0 + 1)/5 = 0.2 → 2;
        // 5 → q = (2 + 0.5)/5 = 0.5 → 3; 15 → 0.7 → 4; 20 → 0.9 → 5.
        // Revenue 2000, 10, 300, 1500, 5 → 5, 2, 3, 4, 1.
        assert_eq!(
            scores,
            [
                rfm(5, 5, 5),
                rfm(4, 2, 2),
                rfm(3, 3, 3),
                rfm(2, 4, 4),
                rfm(1, 2, 1),
                None,
                None
            ]
        );
        // FM: 5, 2, 3, 4, ⌈1.5⌉ = 2.
        let segments: Vec<Option<RfmSegment>> =
            scores.iter().map(|s| s.map(RfmScore::segment)).collect();
        use RfmSegment::*;
        assert_eq!(
            segments,
            [
                Some(Champions),
                Some(PotentialLoyalists),
                Some(NeedAttention),
                Some(AtRisk),
                Some(Hibernating),
                None,
                None
            ]
        );
    }

    #[test]
    fn rfm_groups_list_every_segment_with_revenue_and_unknowns_last() {
        let answers = customers();
        let refs: Vec<&AnswerRecord> = answers.iter().collect();
        let groups = rfm_groups(&refs, &RfmProperties::default());
        assert_eq!(groups.len(), 12);
        assert_eq!(groups[0].value, "champions");
        assert_eq!(groups[0].revenue, Some(2000.0));
        assert_eq!(groups[0].summary.promoters, 1);
        let unknown = &groups[11];
        assert_eq!(
            (unknown.value.as_str(), unknown.kind),
            (UNKNOWN, GroupKind::Unknown)
        );
        assert_eq!(unknown.summary.responses, 2);
        let lost = groups.iter().find(|g| g.value == "lost").unwrap();
        assert_eq!((lost.summary.responses, lost.revenue), (0, Some(0.0)));
    }

    #[test]
    fn a_last_order_after_the_answer_counts_as_today() {
        let a = answer(9, 0, &[("last_order_at", "1970-01-05T00:00:00Z")]);
        assert_eq!(recency_days(&a, &RfmProperties::default()), Some(0.0));
        let b = answer(9, 0, &[("recency_days", "-3")]);
        assert_eq!(recency_days(&b, &RfmProperties::default()), None);
    }

    #[test]
    fn revenue_bands_give_nps_per_revenue_quintile() {
        let answers = customers();
        let refs: Vec<&AnswerRecord> = answers.iter().collect();
        let bands = revenue_bands(&refs, "revenue");
        // Revenues 5, 10, 300, 1500, 2000 fall one per band.
        let shown: Vec<(u8, f64, Option<f64>)> = bands
            .iter()
            .map(|b| (b.band, b.revenue, b.summary.nps))
            .collect();
        assert_eq!(
            shown,
            [
                (1, 5.0, Some(-100.0)),
                (2, 10.0, Some(100.0)),
                (3, 300.0, Some(0.0)),
                (4, 1500.0, Some(-100.0)),
                (5, 2000.0, Some(100.0)),
            ]
        );
    }

    // --- The whole report ---------------------------------------------------------

    #[test]
    fn the_report_filters_by_range_and_leaves_flagged_answers_out() {
        let mut answers = vec![
            answer(10, 1_000, &[("store", "berlin")]),
            answer(9, 2_000, &[("store", "berlin")]),
            answer(3, 3_000, &[]),
            answer(0, 9_000, &[]),
        ];
        answers[0].comment = Some("Great support".into());
        answers[2].comment = Some("Late delivery".into());
        let mut scanner = answer(10, 2_500, &[]);
        scanner.flagged = true;
        answers.push(scanner);
        let query = ReportQuery {
            from: Some(1_000),
            to: Some(9_000),
            group_by: GroupBy::parse("store"),
            min_group_size: 1,
            ..ReportQuery::default()
        };
        let report = Report::build(&answers, &query).unwrap();
        assert_eq!(report.overall.tally(), tally(2, 0, 1));
        assert_eq!(report.flagged_excluded, 1);
        assert_eq!(report.distribution.0[10], 1);
        assert_eq!(report.groups.len(), 2);
        assert_eq!(report.themes.detractor_comments, 1);
        assert_eq!(
            report.scope.from.as_deref(),
            Some("1970-01-01T00:00:01.000Z")
        );

        let with_flagged = Report::build(
            &answers,
            &ReportQuery {
                include_flagged: true,
                ..query.clone()
            },
        )
        .unwrap();
        assert_eq!(with_flagged.overall.responses, 4);
        assert_eq!(with_flagged.flagged_excluded, 0);
    }

    #[test]
    fn an_empty_range_is_refused() {
        let query = ReportQuery {
            from: Some(5),
            to: Some(5),
            ..ReportQuery::default()
        };
        assert_eq!(Report::build(&[], &query), Err(ReportError::EmptyRange));
    }

    #[test]
    fn the_report_serialises_flat_for_a_dashboard() {
        let answers = [answer(10, 0, &[("store", "berlin")]), answer(3, 0, &[])];
        let query = ReportQuery {
            group_by: Some(GroupBy::Property("store".into())),
            min_group_size: 1,
            zone: Zone::fixed(UtcOffset::try_from(60).unwrap()),
            ..ReportQuery::default()
        };
        let report = Report::build(&answers, &query).unwrap();
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["interval"], "week");
        assert_eq!(json["utc_offset_minutes"], 60);
        assert_eq!(json["group_by"], "store");
        assert_eq!(json["overall"]["responses"], 2);
        assert_eq!(json["overall"]["nps"], 0.0);
        assert_eq!(json["distribution"].as_array().unwrap().len(), 11);
        assert_eq!(json["trend"][0]["label"], "1970-W01");
        assert_eq!(json["trend"][0]["start"], "1969-12-28T23:00:00.000Z");
        assert_eq!(json["trend"][0]["promoters"], 1);
        assert_eq!(json["groups"][0]["kind"], "value");
        assert_eq!(json["groups"][1]["value"], "(none)");
        assert!(json["groups"][0]["revenue"].is_null());
        assert_eq!(json["revenue_bands"], serde_json::json!([]));
        assert!(json["themes"]["detractor"].is_array());
        let back: Report = serde_json::from_value(json).unwrap();
        assert_eq!(back, report);
    }

    #[test]
    fn a_stored_answer_becomes_a_record() {
        let view: ResponseView = serde_json::from_value(serde_json::json!({
            "id": "r_1", "survey_id": "s_1", "score": 4, "category": "detractor",
            "comment": "zu teuer", "channel": "web", "locale": "de", "page_url": null,
            "respondent": {}, "properties": {"store": "berlin"},
            "created_at": "2022-04-07T21:39:13.000Z", "updated_at": "2022-04-07T21:39:13.000Z"
        }))
        .unwrap();
        let record = AnswerRecord::try_from(&view).unwrap();
        assert_eq!(record.created_at, 1_649_367_553_000);
        assert_eq!(record.property("store"), Some("berlin"));
        let bad = ResponseView {
            created_at: "yesterday".into(),
            ..view
        };
        assert_eq!(AnswerRecord::try_from(&bad), Err(ReportError::BadTimestamp));
    }

    // --- Properties ---------------------------------------------------------------

    fn arb_answers() -> impl Strategy<Value = Vec<AnswerRecord>> {
        prop::collection::vec(
            (
                0u8..=10,
                // 2020-09 to 2027-01: a daily trend stays under the bucket limit.
                1_600_000_000_000i64..1_800_000_000_000,
                prop::option::of(prop::sample::select(vec!["a", "b", "c", "d", "e", "f"])),
                prop::option::of(0u32..500),
                prop::option::of(0u32..30),
                prop::option::of(0u32..5000),
            ),
            0..80,
        )
        .prop_map(|rows| {
            rows.into_iter()
                .map(|(n, at, store, days, orders, revenue)| {
                    let mut properties = BTreeMap::new();
                    let mut put = |k: &str, v: Option<String>| {
                        if let Some(v) = v {
                            properties.insert(k.to_owned(), v);
                        }
                    };
                    put("store", store.map(str::to_owned));
                    put("recency_days", days.map(|d| d.to_string()));
                    put("order_count", orders.map(|o| o.to_string()));
                    put("revenue", revenue.map(|r| format!("{r}.50")));
                    AnswerRecord {
                        score: score(n),
                        created_at: at,
                        comment: None,
                        properties,
                        flagged: false,
                    }
                })
                .collect()
        })
    }

    fn sum(summaries: impl IntoIterator<Item = NpsSummary>) -> Tally {
        let mut total = Tally::default();
        for s in summaries {
            total.merge(&s.tally());
        }
        total
    }

    proptest! {
        #[test]
        fn nps_is_within_bounds_and_the_margin_never_negative(
            p in 0u64..1000, pa in 0u64..1000, d in 0u64..1000
        ) {
            let summary = NpsSummary::from(tally(p, pa, d));
            if let Some(nps) = summary.nps {
                prop_assert!((-100.0..=100.0).contains(&nps));
            }
            if let Some(margin) = summary.margin_of_error {
                prop_assert!(margin >= 0.0 && margin.is_finite());
            }
            prop_assert_eq!(summary.margin_of_error.is_some(), p + pa + d >= 2);
        }

        #[test]
        fn trend_buckets_add_up_to_the_whole(
            answers in arb_answers(),
            interval in prop::sample::select(Interval::ALL.to_vec()),
            offset in -MAX_UTC_OFFSET_MINUTES..=MAX_UTC_OFFSET_MINUTES,
        ) {
            let offset = UtcOffset::try_from(offset).unwrap();
            let whole: Tally = answers.iter().map(|a| a.score).collect();
            let buckets = trend(answers.iter().map(|a| (a.created_at, a.score)), interval, &Zone::fixed(offset)).unwrap();
            prop_assert_eq!(sum(buckets.iter().map(|b| b.summary)), whole);
            for pair in buckets.windows(2) {
                prop_assert!(pair[0].start < pair[1].start);
            }
        }

        #[test]
        fn groups_add_up_to_the_whole(answers in arb_answers(), min in 0u64..8) {
            let refs: Vec<&AnswerRecord> = answers.iter().collect();
            let whole: Tally = answers.iter().map(|a| a.score).collect();
            let groups = groups_by_property(&refs, "store", min);
            prop_assert_eq!(sum(groups.iter().map(|g| g.summary)), whole);
            for g in groups.iter().filter(|g| g.kind == GroupKind::Value) {
                prop_assert!(g.summary.responses >= min);
            }
            let segments = rfm_groups(&refs, &RfmProperties::default());
            prop_assert_eq!(sum(segments.iter().map(|g| g.summary)), whole);
        }

        #[test]
        fn quintile_scores_are_one_to_five_and_monotonic(
            values in prop::collection::vec(0u32..50, 1..60)
        ) {
            let values: Vec<f64> = values.into_iter().map(f64::from).collect();
            let scores = quintiles(&values);
            for (i, &a) in scores.iter().enumerate() {
                prop_assert!((1..=5).contains(&a));
                for (j, &b) in scores.iter().enumerate() {
                    if values[i] <= values[j] {
                        prop_assert!(a <= b);
                    }
                }
            }
        }
    }
}
