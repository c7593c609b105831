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
//! The trend buckets by day, ISO week (Monday start) or calendar month *local to a
//! [`Zone`]*: a fixed UTC offset in minutes (`utc_offset_minutes`, `60` for CET) or an
//! IANA time zone (`time_zone`) with its daylight-saving changes ([`crate::zone`]). A
//! fixed offset does not model daylight saving: a winter-to-summer report in `+60`
//! puts midnight-to-1am CEST answers on the previous day. Each bucket's `start`
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
//!              "detractor_buckets": [1], "promoter_buckets": [2],
//!              "detractor": [{"term": "late delivery", "stem": "=delivery =late",
//!                             "detractors": 1, "promoters": 0, "score": 0.9,
//!                             "examples": ["Late delivery"], "group": "delivery",
//!                             "merged": ["late"], "detractor_share": 1.0,
//!                             "promoter_share": 0.0, "trend": [1],
//!                             "comments": [{"id": "r_…", "score": 3,
//!                                           "created_at": "2025-01-02T10:00:00.000Z",
//!                                           "comment": "Late delivery"}]}],
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
//!
//! # Parts
//!
//! Each part depends only on the parts listed before it (and on modules below the
//! report: [`crate::nps`], [`crate::score`], [`crate::time`], [`crate::zone`],
//! [`crate::themes`], [`crate::api`]); this module holds the report itself and
//! re-exports every part, so `report::X` names all of them. Nothing here depends on
//! [`crate::rollup`]: the rollups build on the report, not the other way round.
//!
//! - [`interval`] — day, week and month buckets on local days.
//! - [`error`] — [`ReportError`].
//! - [`summary`] — NPS with its margin, the score distribution.
//! - [`trend`](mod@trend) — the trend.
//! - [`answer`] — [`AnswerRecord`], one answer as the report reads it.
//! - [`groups`] — groups by a property's values.
//! - [`segments`] — RFM segments and revenue bands.
//! - [`impact`] — an action plan's NPS before and after it went live, and whether the
//!   difference is significant (the margins of [`summary`]).

pub mod answer;
pub mod error;
pub mod groups;
pub mod impact;
pub mod interval;
pub mod segments;
pub mod summary;
#[cfg(test)]
mod tests;
pub mod trend;

pub use crate::zone::{MAX_UTC_OFFSET_MINUTES, UtcOffset, Zone};
pub use answer::AnswerRecord;
pub use error::ReportError;
pub use groups::{
    DEFAULT_MIN_GROUP_SIZE, Group, GroupKind, MAX_GROUPS, NONE, OTHER, groups_by_property,
    groups_of_tallies,
};
pub use interval::Interval;
pub use segments::{
    RevenueBand, RfmProperties, RfmScore, RfmSegment, UNKNOWN, quintiles, revenue_bands,
    rfm_groups, rfm_scores,
};
pub use summary::{Distribution, NpsSummary, Z_95, margin_of_error};
pub use trend::{MAX_TREND_BUCKETS, TrendBucket, bucket_keys, bucket_of, trend, trend_of_tallies};

use crate::nps::Tally;
use crate::themes::{self, ThemeOptions, Themes};
use crate::time::rfc3339;
use serde::{Deserialize, Serialize};

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
    pub sample: Option<Sample>,
    /// Present when the range reaches into the survey's archived period (answers past
    /// its `retention_days`, deleted from the database after being archived): what
    /// of the report still includes them. Absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub archived: Option<Archived>,
}

/// How a report covers the answers that retention deleted (`crate::retention`).
/// Counts, NPS, the distribution, the trend and groups by a rolled-up property come
/// from the rollups, which keep counting deleted answers; whatever reads single
/// answers (comments and themes, revenue bands, RFM, groups by a property that is
/// not rolled up) cannot see them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Archived {
    /// Answers given before this instant (RFC 3339) are no longer in the database;
    /// they can be read back from the archive (`GET /v1/surveys/{id}/archive`).
    pub before: String,
    /// The report's sections that leave out the archived answers of the range.
    pub sections_without_archived: Vec<String>,
    /// Whether the range's bounds cut a quarter-hour (or, for groups, a UTC day) of
    /// the archived period: that stretch was counted in the whole quarter-hours (days)
    /// that lie inside the range, the answers of the cut one left out.
    pub rounded: bool,
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
        let keys = bucket_keys(
            counted.iter().map(|a| a.created_at),
            query.interval,
            &query.zone,
        );
        let comments = counted.iter().filter_map(|a| {
            a.theme_comment(bucket_of(&keys, a.created_at, query.interval, &query.zone))
        });
        Ok(Report {
            archived: None,
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
            themes: themes::themes(comments, &query.themes, keys.len()),
            sample: None,
        })
    }
}

/// Which sections saw only the most recent answers, and how many of how many: the
/// report's `sample` (see [`crate::rollup`], which fills it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sample {
    /// Answers the sampled sections read: the most recent of the range.
    pub answers: u64,
    /// Counted answers in the range.
    pub of: u64,
    /// The report's sections computed from those answers only.
    pub sections: Vec<String>,
}
