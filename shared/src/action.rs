//! Action plans: what headquarters decides to do about a cause (price → pricing, late
//! parcels → logistics), for which customers (a segment of answer properties), by
//! whom and by when; worked planned → in progress → done. When it went live
//! (`live_at`) is what its measured impact ([`crate::report::impact`]) is read around.
//!
//! This module holds the rules — the status table, what a create or a patch may
//! carry, what going live sets — and the wire types of `/v1/actions`. Like
//! [`crate::case`] it is pure and has no `serde_json`: callers pass `now`, and the
//! dashboard decodes the same types. It depends on [`crate::field`] (errors),
//! [`crate::time`] and the report's impact (carried by the view), nothing above them.
//!
//! A cause is checked for its shape only (a key such as `delivery`); which causes a
//! survey has is the survey's business, checked by the caller where it knows them.

use crate::field::FieldError;
use crate::report::impact::Impact;
use crate::time::{civil_from_days, days_from_civil, parse_rfc3339, rfc3339};
use serde::{Deserialize, Deserializer, Serialize};
use std::collections::BTreeMap;
use std::fmt;

pub const MAX_TITLE_CHARS: usize = 200;
pub const MAX_CAUSE_CHARS: usize = 40;
pub const MAX_OWNER_CHARS: usize = 200;
/// Most properties a segment filter names.
pub const MAX_SEGMENT_PROPERTIES: usize = 5;
// As answer properties (`validate`, which only exists with the `server` feature).
const MAX_PROPERTY_KEY_CHARS: usize = 40;
const MAX_PROPERTY_VALUE_CHARS: usize = 200;

/// Where a plan stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionStatus {
    Planned,
    /// Live since `live_at`: its impact is measured from then.
    InProgress,
    Done,
}

impl ActionStatus {
    pub const ALL: [ActionStatus; 3] = [
        ActionStatus::Planned,
        ActionStatus::InProgress,
        ActionStatus::Done,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ActionStatus::Planned => "planned",
            ActionStatus::InProgress => "in_progress",
            ActionStatus::Done => "done",
        }
    }

    /// For `GET /v1/actions?status=in_progress`; exact names only.
    pub fn parse(text: &str) -> Option<ActionStatus> {
        ActionStatus::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// In progress and done plans have gone live.
    pub fn is_live(self) -> bool {
        self != ActionStatus::Planned
    }
}

impl fmt::Display for ActionStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a plan could not change.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ActionError {
    /// Asking for the status the plan already has (409: the request is stale).
    #[error("the plan is already {0}")]
    AlreadyInStatus(ActionStatus),
    /// A change the status table does not allow (409).
    #[error("a {from} plan cannot become {to}")]
    TransitionNotAllowed {
        from: ActionStatus,
        to: ActionStatus,
    },
    /// Fields that are not of their shape (422).
    #[error("{} invalid field(s)", .0.len())]
    Invalid(Vec<FieldError>),
}

/// The status table: planned → in progress (it goes live), in progress → done,
/// in progress → planned (it did not start after all; no longer live), done → in
/// progress (reopened, live since the same instant). Nothing skips from planned to
/// done: a plan that never went live has no impact to measure.
pub fn transition(from: ActionStatus, to: ActionStatus) -> Result<(), ActionError> {
    use ActionStatus::{Done, InProgress, Planned};
    match (from, to) {
        _ if from == to => Err(ActionError::AlreadyInStatus(from)),
        (Planned, InProgress) | (InProgress, Done | Planned) | (Done, InProgress) => Ok(()),
        _ => Err(ActionError::TransitionNotAllowed { from, to }),
    }
}

/// Everything of a plan but its id and times: what a create sets and a patch changes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionFields {
    pub title: String,
    pub survey_id: String,
    /// A cause key (`delivery`, `price`, …).
    pub cause: String,
    /// The department or person who carries it out.
    pub owner: Option<String>,
    /// Which answers it aims at: property → value (compared trimmed, ignoring case, as
    /// owner rules compare), all of them must match; empty = every answer of the survey.
    pub segment: BTreeMap<String, String>,
    /// `YYYY-MM-DD`.
    pub due_date: Option<String>,
    pub status: ActionStatus,
    /// RFC 3339 UTC: when it went live; set while in progress or done.
    pub live_at: Option<String>,
}

/// A plan as `GET|POST /v1/actions` and `GET|PATCH /v1/actions/{id}` show it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ActionView {
    /// `act_…`.
    pub id: String,
    #[serde(flatten)]
    pub fields: ActionFields,
    pub created_at: String,
    pub updated_at: String,
    /// Before/after NPS around `live_at`, on a single plan's read; `null` in lists and
    /// for a plan not live yet.
    pub impact: Option<Impact>,
}

/// `POST /v1/actions`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewAction {
    pub title: String,
    pub survey_id: String,
    pub cause: String,
    #[serde(default)]
    pub owner: Option<String>,
    #[serde(default)]
    pub segment: BTreeMap<String, String>,
    #[serde(default)]
    pub due_date: Option<String>,
    /// `planned` unless given; a plan created live goes live at `live_at` or now.
    #[serde(default)]
    pub status: Option<ActionStatus>,
    #[serde(default)]
    pub live_at: Option<String>,
}

/// `PATCH /v1/actions/{id}`: absent fields stay; `null` clears `owner` or `due_date`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionPatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub owner: Option<Option<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub segment: Option<BTreeMap<String, String>>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub due_date: Option<Option<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<ActionStatus>,
    /// Corrects when it went live (a plan in progress or done, or one going live now).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub live_at: Option<String>,
}

/// Tells `"owner": null` (present, `Some(None)`) from no `owner` at all.
fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

impl ActionPatch {
    pub fn is_empty(&self) -> bool {
        *self == ActionPatch::default()
    }

    /// Which fields it changes, for the audit log.
    pub fn summary(&self) -> String {
        let mut parts = Vec::new();
        if let Some(status) = self.status {
            parts.push(format!("status {status}"));
        }
        for (name, present) in [
            ("title", self.title.is_some()),
            ("cause", self.cause.is_some()),
            ("owner", self.owner.is_some()),
            ("segment", self.segment.is_some()),
            ("due_date", self.due_date.is_some()),
            ("live_at", self.live_at.is_some()),
        ] {
            if present {
                parts.push(name.to_string());
            }
        }
        parts.join(", ")
    }
}

impl NewAction {
    /// The plan it creates at `now_ms`, or every field that is wrong.
    pub fn fields(self, now_ms: i64) -> Result<ActionFields, ActionError> {
        let status = self.status.unwrap_or(ActionStatus::Planned);
        let mut errors = Vec::new();
        let live_at = live_at(self.live_at.as_deref(), status, None, now_ms, &mut errors);
        let fields = ActionFields {
            title: self.title.trim().to_string(),
            survey_id: self.survey_id,
            cause: self.cause,
            owner: self.owner.map(|o| o.trim().to_string()),
            segment: trimmed(self.segment),
            due_date: self.due_date,
            status,
            live_at,
        };
        errors.extend(check(&fields));
        if fields.survey_id.trim().is_empty() {
            errors.push(FieldError::new("survey_id", "must name a survey"));
        }
        if errors.is_empty() {
            Ok(fields)
        } else {
            Err(ActionError::Invalid(errors))
        }
    }
}

/// Applies a patch at `now_ms`: the plan as it is after it, all or nothing. Going
/// live sets `live_at` to the patch's or now; going back to planned clears it.
pub fn apply_patch(
    current: &ActionFields,
    patch: ActionPatch,
    now_ms: i64,
) -> Result<ActionFields, ActionError> {
    if patch.is_empty() {
        return Err(ActionError::Invalid(vec![FieldError::new(
            "",
            "the patch is empty: send at least one field",
        )]));
    }
    if let Some(to) = patch.status {
        transition(current.status, to)?;
    }
    let status = patch.status.unwrap_or(current.status);
    let mut errors = Vec::new();
    let kept = current.live_at.as_deref().filter(|_| status.is_live());
    let live_at = live_at(patch.live_at.as_deref(), status, kept, now_ms, &mut errors);
    let next = ActionFields {
        title: patch
            .title
            .map_or_else(|| current.title.clone(), |t| t.trim().to_string()),
        survey_id: current.survey_id.clone(),
        cause: patch.cause.unwrap_or_else(|| current.cause.clone()),
        owner: patch.owner.map_or_else(
            || current.owner.clone(),
            |o| o.map(|o| o.trim().to_string()),
        ),
        segment: patch
            .segment
            .map_or_else(|| current.segment.clone(), trimmed),
        due_date: patch.due_date.unwrap_or_else(|| current.due_date.clone()),
        status,
        live_at,
    };
    errors.extend(check(&next));
    if errors.is_empty() {
        Ok(next)
    } else {
        Err(ActionError::Invalid(errors))
    }
}

/// `live_at` after a create or patch: the one given (normalised, not in the future,
/// only for a live plan), else the one kept, else now for a live plan.
fn live_at(
    given: Option<&str>,
    status: ActionStatus,
    kept: Option<&str>,
    now_ms: i64,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    if !status.is_live() {
        if given.is_some() {
            errors.push(FieldError::new(
                "live_at",
                "only a plan in progress or done has gone live",
            ));
        }
        return None;
    }
    match given.map(parse_rfc3339) {
        Some(Some(ms)) if ms <= now_ms => Some(rfc3339(ms)),
        Some(Some(_)) => {
            errors.push(FieldError::new("live_at", "must not be in the future"));
            None
        }
        Some(None) => {
            errors.push(FieldError::new("live_at", "must be an RFC 3339 time"));
            None
        }
        None => Some(kept.map_or_else(|| rfc3339(now_ms), str::to_string)),
    }
}

fn trimmed(segment: BTreeMap<String, String>) -> BTreeMap<String, String> {
    segment
        .into_iter()
        .map(|(k, v)| (k, v.trim().to_string()))
        .collect()
}

fn text_ok(text: &str, max: usize) -> bool {
    !text.is_empty() && text.chars().count() <= max && !text.chars().any(char::is_control)
}

/// A cause key: a lower-case letter, then lower-case letters, digits, `_` or `-`.
pub fn is_cause_key(text: &str) -> bool {
    text.len() <= MAX_CAUSE_CHARS
        && text.starts_with(|c: char| c.is_ascii_lowercase())
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'_' | b'-'))
}

/// Whether `text` is a calendar date `YYYY-MM-DD`.
pub fn is_date(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    let [y, m, d] = parts.as_slice() else {
        return false;
    };
    if y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return false;
    }
    let (Ok(y), Ok(m), Ok(d)) = (y.parse::<i64>(), m.parse::<u32>(), d.parse::<u32>()) else {
        return false;
    };
    (1..=12).contains(&m) && civil_from_days(days_from_civil(y, m, d)) == (y, m, d)
}

/// A segment property name: as answer properties have them.
fn is_property_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= MAX_PROPERTY_KEY_CHARS
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

/// Every field of `fields` that is not of its shape.
fn check(fields: &ActionFields) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if !text_ok(&fields.title, MAX_TITLE_CHARS) {
        errors.push(FieldError::new(
            "title",
            format!("must be 1 to {MAX_TITLE_CHARS} characters without control characters"),
        ));
    }
    if !is_cause_key(&fields.cause) {
        errors.push(FieldError::new(
            "cause",
            format!(
                "must be a cause key: a lower-case letter, then lower-case letters, digits, _ or -, at most {MAX_CAUSE_CHARS}"
            ),
        ));
    }
    if let Some(owner) = &fields.owner
        && !text_ok(owner, MAX_OWNER_CHARS)
    {
        errors.push(FieldError::new(
            "owner",
            format!("must be 1 to {MAX_OWNER_CHARS} characters without control characters"),
        ));
    }
    if fields.segment.len() > MAX_SEGMENT_PROPERTIES {
        errors.push(FieldError::new(
            "segment",
            format!("must name at most {MAX_SEGMENT_PROPERTIES} properties"),
        ));
    }
    for (key, value) in &fields.segment {
        if !is_property_key(key) {
            errors.push(FieldError::new(
                format!("segment.{key}"),
                format!("names must be 1 to {MAX_PROPERTY_KEY_CHARS} letters, digits, _ - or ."),
            ));
        } else if !text_ok(value, MAX_PROPERTY_VALUE_CHARS) {
            errors.push(FieldError::new(
                format!("segment.{key}"),
                format!(
                    "must be 1 to {MAX_PROPERTY_VALUE_CHARS} characters without control characters"
                ),
            ));
        }
    }
    if let Some(date) = &fields.due_date
        && !is_date(date)
    {
        errors.push(FieldError::new("due_date", "must be a date YYYY-MM-DD"));
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;
    use ActionStatus::{Done, InProgress, Planned};

    /// 2026-11-01T00:00:00Z.
    const NOW: i64 = 1_793_491_200_000;

    fn new_action() -> NewAction {
        NewAction {
            title: " Faster parcels ".into(),
            survey_id: "s_demo".into(),
            cause: "delivery".into(),
            owner: Some("logistics".into()),
            segment: BTreeMap::from([("store".to_string(), " Berlin ".to_string())]),
            due_date: Some("2026-12-31".into()),
            status: None,
            live_at: None,
        }
    }

    fn invalid_fields(error: ActionError) -> Vec<String> {
        match error {
            ActionError::Invalid(errors) => errors.into_iter().map(|e| e.field).collect(),
            other => panic!("not invalid: {other:?}"),
        }
    }

    #[test]
    fn the_status_table_goes_planned_in_progress_done_and_back_one_step() {
        assert_eq!(transition(Planned, InProgress), Ok(()));
        assert_eq!(transition(InProgress, Done), Ok(()));
        assert_eq!(transition(InProgress, Planned), Ok(()));
        assert_eq!(transition(Done, InProgress), Ok(()));
        assert_eq!(
            transition(Planned, Done),
            Err(ActionError::TransitionNotAllowed {
                from: Planned,
                to: Done
            })
        );
        assert!(matches!(
            transition(Done, Planned),
            Err(ActionError::TransitionNotAllowed { .. })
        ));
        assert_eq!(
            transition(Done, Done),
            Err(ActionError::AlreadyInStatus(Done))
        );
    }

    #[test]
    fn a_new_plan_is_planned_trimmed_and_not_live() {
        let fields = new_action().fields(NOW).unwrap();
        assert_eq!(fields.status, Planned);
        assert_eq!(fields.title, "Faster parcels");
        assert_eq!(fields.segment["store"], "Berlin");
        assert_eq!(fields.live_at, None);
    }

    #[test]
    fn a_plan_created_live_goes_live_now_unless_it_says_when() {
        let live = NewAction {
            status: Some(InProgress),
            ..new_action()
        };
        assert_eq!(
            live.clone().fields(NOW).unwrap().live_at.as_deref(),
            Some("2026-11-01T00:00:00.000Z")
        );
        let earlier = NewAction {
            live_at: Some("2026-10-01T10:00:00Z".into()),
            ..live
        };
        assert_eq!(
            earlier.fields(NOW).unwrap().live_at.as_deref(),
            Some("2026-10-01T10:00:00.000Z")
        );
    }

    #[test]
    fn every_bad_field_is_named() {
        let bad = NewAction {
            title: "  ".into(),
            survey_id: "".into(),
            cause: "Delivery!".into(),
            owner: Some("".into()),
            segment: BTreeMap::from([
                ("bad key".to_string(), "x".to_string()),
                ("store".to_string(), "".to_string()),
            ]),
            due_date: Some("2026-02-30".into()),
            status: None,
            live_at: Some("2026-10-01T00:00:00Z".into()),
        };
        let mut fields = invalid_fields(bad.fields(NOW).unwrap_err());
        fields.sort();
        assert_eq!(
            fields,
            [
                "cause",
                "due_date",
                "live_at",
                "owner",
                "segment.bad key",
                "segment.store",
                "survey_id",
                "title"
            ]
        );
    }

    #[test]
    fn going_live_sets_live_at_and_going_back_to_planned_clears_it() {
        let planned = new_action().fields(NOW).unwrap();
        let start = ActionPatch {
            status: Some(InProgress),
            ..Default::default()
        };
        let live = apply_patch(&planned, start, NOW).unwrap();
        assert_eq!(live.live_at.as_deref(), Some("2026-11-01T00:00:00.000Z"));
        let done = ActionPatch {
            status: Some(Done),
            ..Default::default()
        };
        let done = apply_patch(&live, done, NOW + 1000).unwrap();
        assert_eq!(done.live_at, live.live_at, "done keeps when it went live");
        let back = ActionPatch {
            status: Some(Planned),
            ..Default::default()
        };
        assert_eq!(apply_patch(&live, back, NOW).unwrap().live_at, None);
    }

    #[test]
    fn live_at_can_be_corrected_but_not_into_the_future_nor_on_a_planned_plan() {
        let planned = new_action().fields(NOW).unwrap();
        let early = ActionPatch {
            live_at: Some("2026-10-20T00:00:00Z".into()),
            ..Default::default()
        };
        assert_eq!(
            invalid_fields(apply_patch(&planned, early.clone(), NOW).unwrap_err()),
            ["live_at"]
        );
        let live = apply_patch(
            &planned,
            ActionPatch {
                status: Some(InProgress),
                ..early.clone()
            },
            NOW,
        )
        .unwrap();
        assert_eq!(live.live_at.as_deref(), Some("2026-10-20T00:00:00.000Z"));
        let future = ActionPatch {
            live_at: Some("2026-11-02T00:00:00Z".into()),
            ..Default::default()
        };
        assert_eq!(
            invalid_fields(apply_patch(&live, future, NOW).unwrap_err()),
            ["live_at"]
        );
    }

    #[test]
    fn a_patch_changes_only_what_it_names_and_null_clears() {
        let planned = new_action().fields(NOW).unwrap();
        let patch = ActionPatch {
            owner: Some(None),
            due_date: Some(None),
            cause: Some("price".into()),
            ..Default::default()
        };
        let next = apply_patch(&planned, patch, NOW).unwrap();
        assert_eq!(next.owner, None);
        assert_eq!(next.due_date, None);
        assert_eq!(next.cause, "price");
        assert_eq!(next.title, planned.title);
        assert_eq!(next.segment, planned.segment);
        assert!(matches!(
            apply_patch(&planned, ActionPatch::default(), NOW),
            Err(ActionError::Invalid(_))
        ));
    }

    #[test]
    fn a_patch_decodes_null_apart_from_absent() {
        let absent: ActionPatch = serde_json::from_str(r#"{"title": "x"}"#).unwrap();
        assert_eq!(absent.owner, None);
        let null: ActionPatch = serde_json::from_str(r#"{"owner": null}"#).unwrap();
        assert_eq!(null.owner, Some(None));
        assert!(serde_json::from_str::<ActionPatch>(r#"{"colour": 1}"#).is_err());
        assert_eq!(null.summary(), "owner");
    }

    #[test]
    fn cause_keys_and_dates_are_checked_for_their_shape() {
        for key in ["delivery", "price", "late-parcel", "x1"] {
            assert!(is_cause_key(key), "{key}");
        }
        for key in ["", "Delivery", "1st", "a b", &"a".repeat(41)] {
            assert!(!is_cause_key(key), "{key}");
        }
        assert!(is_date("2028-02-29"));
        for date in [
            "2027-02-29",
            "2026-13-01",
            "2026-1-01",
            "26-01-01",
            "2026-01-01T",
        ] {
            assert!(!is_date(date), "{date}");
        }
    }
}
