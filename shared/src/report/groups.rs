//! Groups by the value of an answer property: one per value, the small ones merged
//! into `(other)`, the answers without it in `(none)` (see the [`crate::report`] doc).
//!
//! Depends on [`super::answer`] and [`super::summary`]; not on the report.

use super::answer::AnswerRecord;
use super::summary::NpsSummary;
use crate::nps::Tally;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Groups smaller than this are merged into `(other)` unless asked otherwise.
pub const DEFAULT_MIN_GROUP_SIZE: u64 = 5;
/// The most property values shown as groups of their own; the rest are `(other)`.
pub const MAX_GROUPS: usize = 50;
/// Name of the group of small property values.
pub const OTHER: &str = "(other)";
/// Name of the group of answers without the property.
pub const NONE: &str = "(none)";

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
