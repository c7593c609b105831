//! RFM segments (recency, frequency, monetary value scored in quintiles, read from
//! the segment grid) and NPS against revenue: the report's parts that rank answers
//! against each other rather than count them.
//!
//! Depends on [`super::answer`], [`super::groups`] (a segment is a [`Group`]) and
//! [`super::summary`]; not on the report.

use super::answer::AnswerRecord;
use super::groups::{Group, GroupKind};
use super::summary::NpsSummary;
use crate::nps::Tally;
use crate::score::Score;
use crate::time::parse_rfc3339;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Name of the RFM group of answers without all three properties.
pub const UNKNOWN: &str = "unknown";

const MS_PER_DAY: i64 = 86_400_000;

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
pub(super) fn recency_days(answer: &AnswerRecord, names: &RfmProperties) -> Option<f64> {
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
