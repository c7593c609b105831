//! Detractor cases: a low score opens a case so that someone calls the customer back.
//!
//! This module holds the rules of a case's life — when one opens, who owns it, when it
//! is due, which status changes are allowed, what each change writes to the timeline,
//! and whether a later answer won the customer back — and the wire types of
//! `GET|PATCH /v1/cases/{id}`.
//!
//! It must stay pure and small: no clock (callers pass `now`), no storage, and no
//! `serde_json`, so it builds without the `server` feature and the dashboard can use
//! the same types. [`CaseSettings::check`] returns [`FieldError`]s (from
//! [`crate::field`], below this module and `validate`) with paths relative to the
//! settings (`owner_rules[2].owner`), which the survey check prefixes with `cases.`.
//! It must not depend on [`crate::api`], whose bodies carry case types: what both
//! need ([`Respondent`]) lives below both, in [`crate::respondent`].
//!
//! What comes in through `PATCH` is parsed into [`Owner`] and [`Note`], which cannot
//! hold a bad value. What was stored (settings, timeline) is plain text, so that a
//! tightened limit never makes an existing survey or case undecodable.

use crate::cause::{Cause, PlaybookEntry, Solution};
use crate::field::FieldError;
use crate::respondent::Respondent;
use crate::score::{Category, Score};
use serde::{Deserialize, Deserializer, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// Longest owner (usually an e-mail address, but any name the team uses).
pub const MAX_OWNER_CHARS: usize = 200;
/// Longest note on a case.
pub const MAX_NOTE_CHARS: usize = 2000;
/// Most owner rules per survey.
pub const MAX_OWNER_RULES: usize = 100;
/// Shortest and longest SLA.
pub const MIN_SLA_HOURS: u32 = 1;
pub const MAX_SLA_HOURS: u32 = 720;
// The same limits as response properties in `validate`, repeated here because that
// module only exists with the `server` feature.
const MAX_PROPERTY_NAME_CHARS: usize = 40;
const MAX_PROPERTY_VALUE_CHARS: usize = 200;

const MS_PER_HOUR: i64 = 3_600_000;

/// Where a case stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CaseStatus {
    /// Nobody has reached the customer yet.
    Open,
    /// Someone reached the customer; the problem is not solved yet.
    Contacted,
    /// Done. A resolved case can be reopened.
    Resolved,
}

impl CaseStatus {
    pub const ALL: [CaseStatus; 3] = [
        CaseStatus::Open,
        CaseStatus::Contacted,
        CaseStatus::Resolved,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CaseStatus::Open => "open",
            CaseStatus::Contacted => "contacted",
            CaseStatus::Resolved => "resolved",
        }
    }

    /// For `GET /v1/cases?status=open`; exact, lower-case names only.
    pub fn parse(text: &str) -> Option<CaseStatus> {
        CaseStatus::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// Open and contacted cases still need someone to act; resolved ones do not.
    pub fn is_active(self) -> bool {
        self != CaseStatus::Resolved
    }
}

impl fmt::Display for CaseStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What an allowed status change means.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransitionKind {
    /// open → contacted.
    Contacted,
    /// open → resolved or contacted → resolved.
    Resolved,
    /// resolved → open.
    Reopened,
}

impl TransitionKind {
    /// The status a case has after this change.
    pub fn target(self) -> CaseStatus {
        match self {
            TransitionKind::Contacted => CaseStatus::Contacted,
            TransitionKind::Resolved => CaseStatus::Resolved,
            TransitionKind::Reopened => CaseStatus::Open,
        }
    }
}

/// Why a case could not change.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CaseError {
    /// Asking for the status the case already has (409: the request is stale).
    #[error("the case is already {0}")]
    AlreadyInStatus(CaseStatus),
    /// A change the status table does not allow (409).
    #[error("a {from} case cannot become {to}{}", transition_hint(*.from, *.to))]
    TransitionNotAllowed { from: CaseStatus, to: CaseStatus },
    /// A patch with no status, owner, note, cause or solution (422).
    #[error("the patch is empty: send at least one of status, owner, note, cause or solution")]
    EmptyPatch,
    /// A cause that is not one of the survey's (422 on `cause`).
    #[error("must be one of the survey's causes: {0}")]
    UnknownCause(String),
    /// Resolving a case that has no cause and whose patch names none (422 on `cause`).
    #[error("a case is resolved with its cause: send one of the survey's causes")]
    CauseRequired,
    /// An owner that is empty, too long or has control characters (422 on `owner`).
    #[error("must be 1 to {MAX_OWNER_CHARS} characters without control characters")]
    InvalidOwner,
    /// A note that is empty, too long or has control characters (422 on `note`).
    #[error(
        "must be 1 to {MAX_NOTE_CHARS} characters without control characters other than line breaks and tabs"
    )]
    InvalidNote,
}

fn transition_hint(from: CaseStatus, to: CaseStatus) -> &'static str {
    match (from, to) {
        (CaseStatus::Contacted, CaseStatus::Open) => {
            "; a contacted case stays contacted until it is resolved"
        }
        (CaseStatus::Resolved, CaseStatus::Contacted) => "; reopen it first (status open)",
        _ => "",
    }
}

impl CaseError {
    /// The request field the error is about, for problem+json `errors[].field`
    /// (`""` for the body as a whole, as in `validate`).
    pub fn field(&self) -> &'static str {
        match self {
            CaseError::AlreadyInStatus(_) | CaseError::TransitionNotAllowed { .. } => "status",
            CaseError::EmptyPatch => "",
            CaseError::UnknownCause(_) | CaseError::CauseRequired => "cause",
            CaseError::InvalidOwner => "owner",
            CaseError::InvalidNote => "note",
        }
    }

    /// Whether the request was fine but the case's current state refuses it: 409
    /// rather than 422.
    pub fn is_conflict(&self) -> bool {
        matches!(
            self,
            CaseError::AlreadyInStatus(_) | CaseError::TransitionNotAllowed { .. }
        )
    }
}

/// The status table: open → contacted, open → resolved, contacted → resolved,
/// resolved → open (reopened). Nothing goes back to open but a resolved case, nothing
/// skips back from resolved to contacted, and asking for the current status is an
/// error rather than a silent no-op, so a stale dashboard learns that someone else
/// already acted.
pub fn transition(from: CaseStatus, to: CaseStatus) -> Result<TransitionKind, CaseError> {
    use CaseStatus::{Contacted, Open, Resolved};
    match (from, to) {
        _ if from == to => Err(CaseError::AlreadyInStatus(from)),
        (Open, Contacted) => Ok(TransitionKind::Contacted),
        (Open | Contacted, Resolved) => Ok(TransitionKind::Resolved),
        (Resolved, Open) => Ok(TransitionKind::Reopened),
        _ => Err(CaseError::TransitionNotAllowed { from, to }),
    }
}

/// Who gets a case when an answer's property has a value: `store` = `berlin` →
/// `anna@shop.example`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnerRule {
    pub property: String,
    pub equals: String,
    pub owner: String,
}

impl OwnerRule {
    /// Property names match exactly (they are identifiers); values match trimmed and
    /// ignoring case, because they are typed by hand in shops ("Berlin", "berlin ").
    pub fn matches(&self, properties: &BTreeMap<String, String>) -> bool {
        properties
            .get(&self.property)
            .is_some_and(|value| same_value(value, &self.equals))
    }
}

fn same_value(a: &str, b: &str) -> bool {
    a.trim().to_lowercase() == b.trim().to_lowercase()
}

fn default_threshold() -> Score {
    // 6 is a score; the fallback is never taken.
    Score::try_from(6u8).unwrap_or(Score::MIN)
}

fn default_sla_hours() -> u32 {
    24
}

/// How a survey opens and routes cases. Stored inside the survey definition; every
/// field has a default so older surveys decode.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseSettings {
    /// Answers with a score at or below this open a case; 6 means every detractor.
    #[serde(default = "default_threshold")]
    pub threshold: Score,
    /// Hours from opening until a case is overdue, [`MIN_SLA_HOURS`] to
    /// [`MAX_SLA_HOURS`].
    #[serde(default = "default_sla_hours")]
    pub sla_hours: u32,
    /// Who gets a case no rule matches; `None` leaves it unassigned.
    #[serde(default)]
    pub default_owner: Option<String>,
    /// Tried in order; the first match wins.
    #[serde(default)]
    pub owner_rules: Vec<OwnerRule>,
    /// The root causes a case is resolved with; empty: the defaults of the survey's
    /// language ([`crate::cause::default_causes`]), see [`CaseSettings::causes_for`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub causes: Vec<Cause>,
}

impl Default for CaseSettings {
    fn default() -> Self {
        CaseSettings {
            threshold: default_threshold(),
            sla_hours: default_sla_hours(),
            default_owner: None,
            owner_rules: Vec::new(),
            causes: Vec::new(),
        }
    }
}

impl CaseSettings {
    /// Names every wrong field at once, like the survey check it becomes part of;
    /// field paths are relative to the settings.
    pub fn check(&self) -> Result<(), Vec<FieldError>> {
        let mut problems = Vec::new();
        if !(MIN_SLA_HOURS..=MAX_SLA_HOURS).contains(&self.sla_hours) {
            problems.push(FieldError::new(
                "sla_hours",
                format!("must be from {MIN_SLA_HOURS} to {MAX_SLA_HOURS}"),
            ));
        }
        let owner_message = format!("must be 1 to {MAX_OWNER_CHARS} characters");
        if let Some(owner) = &self.default_owner
            && Owner::parse(owner).is_err()
        {
            problems.push(FieldError::new("default_owner", owner_message.clone()));
        }
        if self.owner_rules.len() > MAX_OWNER_RULES {
            problems.push(FieldError::new(
                "owner_rules",
                format!("must have at most {MAX_OWNER_RULES} entries"),
            ));
        }
        for (i, rule) in self.owner_rules.iter().enumerate() {
            let field = |name: &str| format!("owner_rules[{i}].{name}");
            if !is_property_name(&rule.property) {
                problems.push(FieldError::new(
                    field("property"),
                    format!("must be 1 to {MAX_PROPERTY_NAME_CHARS} letters, digits, _ - or ."),
                ));
            }
            if rule.equals.trim().is_empty()
                || rule.equals.chars().count() > MAX_PROPERTY_VALUE_CHARS
            {
                problems.push(FieldError::new(
                    field("equals"),
                    format!("must be 1 to {MAX_PROPERTY_VALUE_CHARS} characters"),
                ));
            }
            if Owner::parse(&rule.owner).is_err() {
                problems.push(FieldError::new(field("owner"), owner_message.clone()));
            }
        }
        problems.extend(crate::cause::check_causes(&self.causes));
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }

    /// The survey's causes, or the defaults in `locale`'s language when it names none.
    pub fn causes_for(&self, locale: &str) -> Vec<Cause> {
        if self.causes.is_empty() {
            crate::cause::default_causes(locale)
        } else {
            self.causes.clone()
        }
    }
}

/// Property names as responses carry them: 1–40 ASCII letters, digits, `_`, `-`, `.`.
fn is_property_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_PROPERTY_NAME_CHARS
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

/// Whether an answer with `score` opens a case.
pub fn opens_case(settings: &CaseSettings, score: Score) -> bool {
    score <= settings.threshold
}

/// The owner of a new case: the first rule that matches the answer's properties, else
/// the default owner, else nobody. Values compare trimmed and ignoring case (see
/// [`OwnerRule::matches`]); the owner is returned trimmed.
pub fn assign_owner(
    settings: &CaseSettings,
    properties: &BTreeMap<String, String>,
) -> Option<String> {
    settings
        .owner_rules
        .iter()
        .find(|rule| rule.matches(properties))
        .map(|rule| rule.owner.as_str())
        .or(settings.default_owner.as_deref())
        .map(|owner| owner.trim().to_string())
}

/// When a case opened at `created_unix_ms` must have been handled, in Unix
/// milliseconds. Saturates rather than overflowing on absurd inputs.
pub fn due_at(created_unix_ms: i64, settings: &CaseSettings) -> i64 {
    created_unix_ms.saturating_add(i64::from(settings.sla_hours).saturating_mul(MS_PER_HOUR))
}

/// Whether a case is past its due time. Resolved cases never are; a case is due *at*
/// `due_ms` and overdue only after it.
pub fn is_overdue(status: CaseStatus, due_ms: i64, now_ms: i64) -> bool {
    status.is_active() && now_ms > due_ms
}

/// The person responsible for a case, as a patch names them: trimmed, 1 to
/// [`MAX_OWNER_CHARS`] characters, no control characters.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Owner(String);

impl Owner {
    pub fn parse(text: &str) -> Result<Owner, CaseError> {
        let trimmed = text.trim();
        let count = trimmed.chars().count();
        if count == 0 || count > MAX_OWNER_CHARS || trimmed.chars().any(char::is_control) {
            return Err(CaseError::InvalidOwner);
        }
        Ok(Owner(trimmed.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Owner {
    type Error = CaseError;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        Owner::parse(&text)
    }
}

impl From<Owner> for String {
    fn from(owner: Owner) -> String {
        owner.0
    }
}

/// A note on a case: trimmed, 1 to [`MAX_NOTE_CHARS`] characters, no control
/// characters but line breaks and tabs.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Note(String);

impl Note {
    pub fn parse(text: &str) -> Result<Note, CaseError> {
        let trimmed = text.trim();
        let count = trimmed.chars().count();
        if count == 0
            || count > MAX_NOTE_CHARS
            || trimmed
                .chars()
                .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
        {
            return Err(CaseError::InvalidNote);
        }
        Ok(Note(trimmed.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Note {
    type Error = CaseError;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        Note::parse(&text)
    }
}

impl From<Note> for String {
    fn from(note: Note) -> String {
        note.0
    }
}

/// `PATCH /v1/cases/{id}`: `{"status": "contacted", "owner": "…", "note": "…"}`.
/// Absent fields stay as they are; `"owner": null` unassigns the case.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CasePatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<CaseStatus>,
    /// `None`: keep the owner; `Some(None)`: unassign; `Some(Some(o))`: assign to `o`.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub owner: Option<Option<Owner>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<Note>,
    /// One of the survey's cause keys; required to resolve, changeable afterwards.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
    /// What was offered to the customer; it goes into the playbook once resolved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub solution: Option<Solution>,
}

/// Tells `"owner": null` (present, `Some(None)`) from no `owner` at all (`None`, via
/// `default`).
fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

impl CasePatch {
    pub fn is_empty(&self) -> bool {
        self.status.is_none()
            && self.owner.is_none()
            && self.note.is_none()
            && self.cause.is_none()
            && self.solution.is_none()
    }
}

/// The part of a case a patch can change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseState {
    pub status: CaseStatus,
    pub owner: Option<String>,
    pub cause: Option<String>,
    pub solution: Option<String>,
}

/// What happened to a case, one line of its timeline.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineEntry {
    /// RFC 3339 UTC.
    pub at: String,
    /// Who did it; `None` for what the system did (opening, a new answer).
    pub actor: Option<String>,
    #[serde(flatten)]
    pub event: TimelineEvent,
}

/// The kinds of timeline entries, tagged on the wire by `kind`:
/// `{"at": "…", "actor": "anna@shop.example", "kind": "status_changed", "from": "open", "to": "contacted"}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TimelineEvent {
    /// A low answer opened the case.
    Opened {
        score: Score,
    },
    StatusChanged {
        from: CaseStatus,
        to: CaseStatus,
    },
    /// `None` on either side means unassigned.
    OwnerChanged {
        from: Option<String>,
        to: Option<String>,
    },
    Note {
        note: String,
    },
    /// The customer was asked again, to see whether the follow-up helped.
    Reasked,
    /// The customer answered again; compare with [`win_back`].
    AnsweredAgain {
        score: Score,
    },
    /// The root cause was set or changed (`from` is `None` the first time).
    CauseSet {
        from: Option<String>,
        to: String,
    },
    /// What was offered to the customer was written down (or rewritten).
    SolutionSet {
        solution: String,
    },
}

impl TimelineEntry {
    pub fn new(at: impl Into<String>, actor: Option<&str>, event: TimelineEvent) -> Self {
        TimelineEntry {
            at: at.into(),
            actor: actor.map(str::to_string),
            event,
        }
    }
}

/// Applies a `PATCH` to a case: the new state and one timeline entry per actual
/// change, in the order status, owner, cause, solution, note. All or nothing: any
/// error leaves the case as it was. Setting the owner, cause or solution it already
/// has writes no entry; asking for the status it already has is an error (see
/// [`transition`]). The cause must be one of `causes` (the survey's), and a case is
/// only resolved with a cause: the one it has or the one the patch sets.
pub fn apply_patch(
    state: &CaseState,
    patch: &CasePatch,
    causes: &[Cause],
    actor: Option<&str>,
    now_rfc3339: &str,
) -> Result<(CaseState, Vec<TimelineEntry>), CaseError> {
    if patch.is_empty() {
        return Err(CaseError::EmptyPatch);
    }
    let mut next = state.clone();
    let mut entries = Vec::new();
    let entry = |event| TimelineEntry::new(now_rfc3339, actor, event);

    if let Some(cause) = &patch.cause
        && !causes.iter().any(|c| &c.key == cause)
    {
        let keys: Vec<&str> = causes.iter().map(|c| c.key.as_str()).collect();
        return Err(CaseError::UnknownCause(keys.join(", ")));
    }
    if let Some(to) = patch.status {
        transition(state.status, to)?;
        if to == CaseStatus::Resolved && patch.cause.is_none() && state.cause.is_none() {
            return Err(CaseError::CauseRequired);
        }
        next.status = to;
        entries.push(entry(TimelineEvent::StatusChanged {
            from: state.status,
            to,
        }));
    }
    if let Some(owner) = &patch.owner {
        let to = owner.as_ref().map(|o| o.as_str().to_string());
        if to != state.owner {
            entries.push(entry(TimelineEvent::OwnerChanged {
                from: state.owner.clone(),
                to: to.clone(),
            }));
            next.owner = to;
        }
    }
    if let Some(cause) = &patch.cause
        && state.cause.as_ref() != Some(cause)
    {
        entries.push(entry(TimelineEvent::CauseSet {
            from: state.cause.clone(),
            to: cause.clone(),
        }));
        next.cause = Some(cause.clone());
    }
    if let Some(solution) = &patch.solution
        && state.solution.as_deref() != Some(solution.as_str())
    {
        entries.push(entry(TimelineEvent::SolutionSet {
            solution: solution.as_str().to_string(),
        }));
        next.solution = Some(solution.as_str().to_string());
    }
    if let Some(note) = &patch.note {
        entries.push(entry(TimelineEvent::Note {
            note: note.as_str().to_string(),
        }));
    }
    Ok((next, entries))
}

/// Did following up win the customer back? Compares the answer that opened the case
/// with a later one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WinBack {
    /// The later answer is a promoter's (9 or 10).
    WonBack,
    /// Higher, but not a promoter.
    Improved,
    Unchanged,
    Worse,
}

/// A promoter's answer counts as won back whatever came before; otherwise the two
/// scores are compared.
pub fn win_back(before: Score, after: Score) -> WinBack {
    if after.category() == Category::Promoter {
        WinBack::WonBack
    } else if after > before {
        WinBack::Improved
    } else if after == before {
        WinBack::Unchanged
    } else {
        WinBack::Worse
    }
}

/// A case as `GET /v1/cases` and `GET|PATCH /v1/cases/{id}` show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseView {
    /// `c_…`.
    pub id: String,
    pub survey_id: String,
    /// The answer that opened the case.
    pub response_id: String,
    pub score: Score,
    pub status: CaseStatus,
    pub owner: Option<String>,
    /// RFC 3339; see [`due_at`].
    pub due_at: String,
    /// See [`is_overdue`], as of when the view was made.
    pub overdue: bool,
    pub created_at: String,
    pub updated_at: String,
    /// Oldest first.
    pub timeline: Vec<TimelineEntry>,
    /// The customer's latest answer after the case opened, if any.
    pub reasked_score: Option<Score>,
    /// `win_back(score, reasked_score)` when there is a later answer.
    pub win_back: Option<WinBack>,
    /// The comment of the answer that opened the case, as that answer has it now: also
    /// one added after the case opened (`PATCH /v1/responses/{id}`). Absent when the
    /// answer has none, so older readers see the contract they knew.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Who gave the answer that opened the case (the shop's id and/or e-mail address),
    /// so support knows whom to call; absent when the answer was anonymous.
    #[serde(default, skip_serializing_if = "Respondent::is_empty")]
    pub respondent: Respondent,
    /// The root cause's key (one of the survey's causes), `null` until set.
    #[serde(default)]
    pub cause: Option<String>,
    /// What was offered to the customer, `null` until written down.
    #[serde(default)]
    pub solution: Option<String>,
    /// The cause the comment suggests ([`crate::cause::suggest`]); absent when none
    /// does or where it is not worked out (lists, webhooks).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suggested_cause: Option<String>,
    /// `GET /v1/cases/{id}`: the most successful solutions of the playbook for the
    /// case's cause, or its suggested cause while it has none; absent elsewhere.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub suggestions: Vec<PlaybookEntry>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn score(n: u8) -> Score {
        Score::try_from(n).unwrap()
    }

    fn state(status: CaseStatus, owner: Option<&str>) -> CaseState {
        CaseState {
            status,
            owner: owner.map(str::to_string),
            cause: None,
            solution: None,
        }
    }

    fn patch(
        status: Option<CaseStatus>,
        owner: Option<Option<&str>>,
        note: Option<&str>,
    ) -> CasePatch {
        CasePatch {
            status,
            owner: owner.map(|o| o.map(|o| Owner::parse(o).unwrap())),
            note: note.map(|n| Note::parse(n).unwrap()),
            ..CasePatch::default()
        }
    }

    const NOW: &str = "2026-03-01T10:00:00.000Z";

    fn apply_patch_with_defaults(
        state: &CaseState,
        patch: &CasePatch,
        actor: Option<&str>,
        now: &str,
    ) -> Result<(CaseState, Vec<TimelineEntry>), CaseError> {
        apply_patch(
            state,
            patch,
            &crate::cause::default_causes("en"),
            actor,
            now,
        )
    }

    fn props(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    // --- status ---

    #[test]
    fn statuses_round_trip_through_their_lower_case_names() {
        for s in CaseStatus::ALL {
            assert_eq!(CaseStatus::parse(s.as_str()), Some(s));
            assert_eq!(serde_json::to_string(&s).unwrap(), format!("\"{s}\""));
        }
        assert_eq!(CaseStatus::parse("Open"), None);
        assert!(serde_json::from_str::<CaseStatus>("\"closed\"").is_err());
    }

    #[test]
    fn the_allowed_transitions_are_exactly_the_table() {
        use CaseStatus::{Contacted, Open, Resolved};
        assert_eq!(transition(Open, Contacted), Ok(TransitionKind::Contacted));
        assert_eq!(transition(Open, Resolved), Ok(TransitionKind::Resolved));
        assert_eq!(
            transition(Contacted, Resolved),
            Ok(TransitionKind::Resolved)
        );
        assert_eq!(transition(Resolved, Open), Ok(TransitionKind::Reopened));
        assert_eq!(
            transition(Contacted, Open),
            Err(CaseError::TransitionNotAllowed {
                from: Contacted,
                to: Open
            })
        );
        assert_eq!(
            transition(Resolved, Contacted),
            Err(CaseError::TransitionNotAllowed {
                from: Resolved,
                to: Contacted
            })
        );
    }

    #[test]
    fn asking_for_the_current_status_is_an_error_not_a_silent_no_op() {
        for s in CaseStatus::ALL {
            assert_eq!(transition(s, s), Err(CaseError::AlreadyInStatus(s)));
        }
    }

    #[test]
    fn every_allowed_transition_lands_on_the_status_asked_for() {
        for from in CaseStatus::ALL {
            for to in CaseStatus::ALL {
                if let Ok(kind) = transition(from, to) {
                    assert_eq!(kind.target(), to);
                }
            }
        }
    }

    #[test]
    fn refused_transitions_explain_themselves_and_are_conflicts() {
        let e = transition(CaseStatus::Resolved, CaseStatus::Contacted).unwrap_err();
        assert_eq!(
            e.to_string(),
            "a resolved case cannot become contacted; reopen it first (status open)"
        );
        assert!(e.is_conflict());
        assert_eq!(e.field(), "status");
        let e = transition(CaseStatus::Contacted, CaseStatus::Open).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("a contacted case cannot become open")
        );
        let e = transition(CaseStatus::Open, CaseStatus::Open).unwrap_err();
        assert_eq!(e.to_string(), "the case is already open");
        assert!(e.is_conflict());
        assert!(!CaseError::EmptyPatch.is_conflict());
        assert!(!CaseError::InvalidNote.is_conflict());
    }

    // --- settings ---

    #[test]
    fn empty_settings_decode_to_every_detractor_within_a_day() {
        let s: CaseSettings = serde_json::from_str("{}").unwrap();
        assert_eq!(s, CaseSettings::default());
        assert_eq!(s.threshold, score(6));
        assert_eq!(s.sla_hours, 24);
        assert_eq!(s.default_owner, None);
        assert!(s.owner_rules.is_empty());
        assert_eq!(s.check(), Ok(()));
    }

    #[test]
    fn a_threshold_above_ten_does_not_decode() {
        assert!(serde_json::from_str::<CaseSettings>(r#"{"threshold": 11}"#).is_err());
    }

    #[test]
    fn settings_round_trip_through_json() {
        let s = CaseSettings {
            threshold: score(4),
            sla_hours: 48,
            default_owner: Some("support@shop.example".into()),
            owner_rules: vec![OwnerRule {
                property: "store".into(),
                equals: "berlin".into(),
                owner: "anna@shop.example".into(),
            }],
            causes: crate::cause::default_causes("de"),
        };
        let text = serde_json::to_string(&s).unwrap();
        assert_eq!(serde_json::from_str::<CaseSettings>(&text).unwrap(), s);
    }

    #[test]
    fn the_sla_must_be_from_one_hour_to_thirty_days() {
        let with = |h| CaseSettings {
            sla_hours: h,
            ..CaseSettings::default()
        };
        assert!(with(1).check().is_ok());
        assert!(with(720).check().is_ok());
        assert_eq!(with(0).check().unwrap_err()[0].field, "sla_hours");
        assert_eq!(with(721).check().unwrap_err()[0].field, "sla_hours");
    }

    #[test]
    fn a_settings_check_names_every_bad_field_at_once() {
        let s = CaseSettings {
            threshold: score(6),
            sla_hours: 0,
            default_owner: Some("   ".into()),
            owner_rules: vec![
                OwnerRule {
                    property: "store".into(),
                    equals: "berlin".into(),
                    owner: "anna@shop.example".into(),
                },
                OwnerRule {
                    property: "the store!".into(),
                    equals: "".into(),
                    owner: "x".repeat(MAX_OWNER_CHARS + 1),
                },
            ],
            causes: Vec::new(),
        };
        let fields: Vec<String> = s
            .check()
            .unwrap_err()
            .into_iter()
            .map(|p| p.field)
            .collect();
        assert_eq!(
            fields,
            vec![
                "sla_hours",
                "default_owner",
                "owner_rules[1].property",
                "owner_rules[1].equals",
                "owner_rules[1].owner",
            ]
        );
    }

    #[test]
    fn property_names_follow_the_response_property_rules() {
        assert!(is_property_name("store"));
        assert!(is_property_name("shop.region-2_b"));
        assert!(is_property_name(&"a".repeat(40)));
        assert!(!is_property_name(&"a".repeat(41)));
        assert!(!is_property_name(""));
        assert!(!is_property_name("stör"));
        assert!(!is_property_name("a b"));
    }

    #[test]
    fn at_most_a_hundred_owner_rules_are_allowed() {
        let rule = OwnerRule {
            property: "store".into(),
            equals: "berlin".into(),
            owner: "anna@shop.example".into(),
        };
        let with = |n| CaseSettings {
            owner_rules: vec![rule.clone(); n],
            ..CaseSettings::default()
        };
        assert!(with(MAX_OWNER_RULES).check().is_ok());
        assert_eq!(
            with(MAX_OWNER_RULES + 1).check().unwrap_err()[0].field,
            "owner_rules"
        );
    }

    // --- opening, owners, due dates ---

    #[test]
    fn by_default_every_detractor_opens_a_case_and_nobody_else() {
        let s = CaseSettings::default();
        assert!(opens_case(&s, score(0)));
        assert!(opens_case(&s, score(6)));
        assert!(!opens_case(&s, score(7)));
        assert!(!opens_case(&s, score(10)));
    }

    #[test]
    fn a_lower_threshold_opens_cases_only_for_the_angriest() {
        let s = CaseSettings {
            threshold: score(3),
            ..CaseSettings::default()
        };
        assert!(opens_case(&s, score(3)));
        assert!(!opens_case(&s, score(4)));
    }

    fn routing() -> CaseSettings {
        CaseSettings {
            default_owner: Some("support@shop.example".into()),
            owner_rules: vec![
                OwnerRule {
                    property: "store".into(),
                    equals: "berlin".into(),
                    owner: "anna@shop.example".into(),
                },
                OwnerRule {
                    property: "tier".into(),
                    equals: "vip".into(),
                    owner: "vip@shop.example".into(),
                },
                OwnerRule {
                    property: "store".into(),
                    equals: "münchen".into(),
                    owner: " max@shop.example ".into(),
                },
            ],
            ..CaseSettings::default()
        }
    }

    #[test]
    fn the_first_matching_rule_picks_the_owner() {
        let s = routing();
        assert_eq!(
            assign_owner(&s, &props(&[("store", "berlin"), ("tier", "vip")])).as_deref(),
            Some("anna@shop.example")
        );
        assert_eq!(
            assign_owner(&s, &props(&[("store", "hamburg"), ("tier", "vip")])).as_deref(),
            Some("vip@shop.example")
        );
    }

    #[test]
    fn rule_values_match_trimmed_and_ignoring_case() {
        let s = routing();
        assert_eq!(
            assign_owner(&s, &props(&[("store", " Berlin ")])).as_deref(),
            Some("anna@shop.example")
        );
        assert_eq!(
            assign_owner(&s, &props(&[("store", "MÜNCHEN")])).as_deref(),
            Some("max@shop.example")
        );
    }

    #[test]
    fn rule_property_names_match_exactly() {
        assert_eq!(
            assign_owner(&routing(), &props(&[("Store", "berlin")])).as_deref(),
            Some("support@shop.example")
        );
    }

    #[test]
    fn without_a_matching_rule_the_default_owner_or_nobody_gets_the_case() {
        assert_eq!(
            assign_owner(&routing(), &props(&[("store", "hamburg")])).as_deref(),
            Some("support@shop.example")
        );
        assert_eq!(
            assign_owner(&CaseSettings::default(), &props(&[("store", "berlin")])),
            None
        );
    }

    #[test]
    fn a_case_is_due_sla_hours_after_it_opened() {
        let s = CaseSettings::default();
        assert_eq!(due_at(1_000, &s), 1_000 + 24 * 3_600_000);
        let s = CaseSettings {
            sla_hours: 720,
            ..s
        };
        assert_eq!(due_at(0, &s), 720 * 3_600_000);
        assert_eq!(due_at(i64::MAX - 1, &s), i64::MAX);
    }

    #[test]
    fn only_active_cases_past_their_due_time_are_overdue() {
        assert!(!is_overdue(CaseStatus::Open, 100, 100));
        assert!(is_overdue(CaseStatus::Open, 100, 101));
        assert!(is_overdue(CaseStatus::Contacted, 100, 101));
        assert!(!is_overdue(CaseStatus::Resolved, 100, 101));
        assert!(!is_overdue(CaseStatus::Open, 100, 99));
    }

    // --- owners and notes ---

    #[test]
    fn owners_are_trimmed_and_bounded() {
        assert_eq!(
            Owner::parse("  anna@shop.example ").unwrap().as_str(),
            "anna@shop.example"
        );
        assert!(Owner::parse(&"ä".repeat(MAX_OWNER_CHARS)).is_ok());
        assert_eq!(
            Owner::parse(&"ä".repeat(MAX_OWNER_CHARS + 1)),
            Err(CaseError::InvalidOwner)
        );
        assert_eq!(Owner::parse("  "), Err(CaseError::InvalidOwner));
        assert_eq!(Owner::parse("anna\n"), Ok(Owner("anna".into())));
        assert_eq!(Owner::parse("an\nna"), Err(CaseError::InvalidOwner));
    }

    #[test]
    fn notes_are_trimmed_bounded_and_may_span_lines() {
        assert_eq!(
            Note::parse(" called,\nwill refund ").unwrap().as_str(),
            "called,\nwill refund"
        );
        assert!(Note::parse(&"a".repeat(MAX_NOTE_CHARS)).is_ok());
        assert_eq!(
            Note::parse(&"a".repeat(MAX_NOTE_CHARS + 1)),
            Err(CaseError::InvalidNote)
        );
        assert_eq!(Note::parse(" \n "), Err(CaseError::InvalidNote));
        assert_eq!(Note::parse("bad\u{0}byte"), Err(CaseError::InvalidNote));
        assert_eq!(CaseError::InvalidNote.field(), "note");
        assert_eq!(CaseError::InvalidOwner.field(), "owner");
    }

    // --- patches ---

    #[test]
    fn the_documented_patch_decodes() {
        let p: CasePatch = serde_json::from_str(
            r#"{"status": "contacted", "owner": "anna@shop.example", "note": "called"}"#,
        )
        .unwrap();
        assert_eq!(
            p,
            patch(
                Some(CaseStatus::Contacted),
                Some(Some("anna@shop.example")),
                Some("called")
            )
        );
    }

    #[test]
    fn a_null_owner_unassigns_and_an_absent_one_keeps() {
        let p: CasePatch = serde_json::from_str(r#"{"owner": null}"#).unwrap();
        assert_eq!(p.owner, Some(None));
        let p: CasePatch = serde_json::from_str(r#"{"note": "x"}"#).unwrap();
        assert_eq!(p.owner, None);
        assert_eq!(
            serde_json::to_string(&patch(None, Some(None), None)).unwrap(),
            r#"{"owner":null}"#
        );
        assert_eq!(
            serde_json::to_string(&patch(Some(CaseStatus::Resolved), None, None)).unwrap(),
            r#"{"status":"resolved"}"#
        );
    }

    #[test]
    fn decoding_a_patch_is_validating() {
        for body in [
            r#"{"note": "   "}"#,
            r#"{"owner": ""}"#,
            r#"{"status": "closed"}"#,
            r#"{"colour": "red"}"#,
            r#"{"note": 3}"#,
        ] {
            assert!(serde_json::from_str::<CasePatch>(body).is_err(), "{body}");
        }
    }

    #[test]
    fn an_empty_patch_is_refused() {
        let p: CasePatch = serde_json::from_str("{}").unwrap();
        let e = apply_patch_with_defaults(&state(CaseStatus::Open, None), &p, Some("anna"), NOW)
            .unwrap_err();
        assert_eq!(e, CaseError::EmptyPatch);
        assert_eq!(e.field(), "");
    }

    #[test]
    fn a_full_patch_writes_one_entry_per_change_in_order() {
        let (next, entries) = apply_patch_with_defaults(
            &state(CaseStatus::Open, None),
            &patch(
                Some(CaseStatus::Contacted),
                Some(Some("anna@shop.example")),
                Some("called, will refund"),
            ),
            Some("anna@shop.example"),
            NOW,
        )
        .unwrap();
        assert_eq!(
            next,
            state(CaseStatus::Contacted, Some("anna@shop.example"))
        );
        let events: Vec<TimelineEvent> = entries.iter().map(|e| e.event.clone()).collect();
        assert_eq!(
            events,
            vec![
                TimelineEvent::StatusChanged {
                    from: CaseStatus::Open,
                    to: CaseStatus::Contacted
                },
                TimelineEvent::OwnerChanged {
                    from: None,
                    to: Some("anna@shop.example".into())
                },
                TimelineEvent::Note {
                    note: "called, will refund".into()
                },
            ]
        );
        assert!(
            entries
                .iter()
                .all(|e| e.at == NOW && e.actor.as_deref() == Some("anna@shop.example"))
        );
    }

    #[test]
    fn setting_the_same_owner_writes_nothing() {
        let s = state(CaseStatus::Open, Some("anna@shop.example"));
        let (next, entries) = apply_patch_with_defaults(
            &s,
            &patch(None, Some(Some(" anna@shop.example ")), None),
            None,
            NOW,
        )
        .unwrap();
        assert_eq!(next, s);
        assert!(entries.is_empty());
    }

    #[test]
    fn unassigning_records_the_previous_owner() {
        let (next, entries) = apply_patch_with_defaults(
            &state(CaseStatus::Contacted, Some("anna@shop.example")),
            &patch(None, Some(None), None),
            Some("lead"),
            NOW,
        )
        .unwrap();
        assert_eq!(next.owner, None);
        assert_eq!(
            entries[0].event,
            TimelineEvent::OwnerChanged {
                from: Some("anna@shop.example".into()),
                to: None
            }
        );
    }

    #[test]
    fn a_refused_status_change_refuses_the_whole_patch() {
        let e = apply_patch_with_defaults(
            &state(CaseStatus::Resolved, None),
            &patch(
                Some(CaseStatus::Contacted),
                Some(Some("anna")),
                Some("note"),
            ),
            None,
            NOW,
        )
        .unwrap_err();
        assert!(matches!(e, CaseError::TransitionNotAllowed { .. }));
    }

    #[test]
    fn reopening_a_resolved_case_is_recorded() {
        let (next, entries) = apply_patch_with_defaults(
            &state(CaseStatus::Resolved, None),
            &patch(Some(CaseStatus::Open), None, Some("customer wrote again")),
            Some("anna"),
            NOW,
        )
        .unwrap();
        assert_eq!(next.status, CaseStatus::Open);
        assert_eq!(entries.len(), 2);
    }

    #[test]
    fn resolving_needs_a_cause_from_the_patch_or_the_case() {
        let open = state(CaseStatus::Open, None);
        let e = apply_patch_with_defaults(
            &open,
            &patch(Some(CaseStatus::Resolved), None, None),
            None,
            NOW,
        )
        .unwrap_err();
        assert_eq!(e, CaseError::CauseRequired);
        assert_eq!(e.field(), "cause");
        assert!(!e.is_conflict());
        let with_cause: CasePatch = serde_json::from_str(
            r#"{"status": "resolved", "cause": "delivery", "solution": " Refunded the shipping "}"#,
        )
        .unwrap();
        let (next, entries) =
            apply_patch_with_defaults(&open, &with_cause, Some("anna"), NOW).unwrap();
        assert_eq!(next.status, CaseStatus::Resolved);
        assert_eq!(next.cause.as_deref(), Some("delivery"));
        assert_eq!(next.solution.as_deref(), Some("Refunded the shipping"));
        let events: Vec<TimelineEvent> = entries.into_iter().map(|e| e.event).collect();
        assert_eq!(
            events,
            vec![
                TimelineEvent::StatusChanged {
                    from: CaseStatus::Open,
                    to: CaseStatus::Resolved
                },
                TimelineEvent::CauseSet {
                    from: None,
                    to: "delivery".into()
                },
                TimelineEvent::SolutionSet {
                    solution: "Refunded the shipping".into()
                },
            ]
        );
        // Reopened and resolved again: the cause it has is enough.
        let reopened = CaseState {
            status: CaseStatus::Open,
            ..next
        };
        assert!(
            apply_patch_with_defaults(
                &reopened,
                &patch(Some(CaseStatus::Resolved), None, None),
                None,
                NOW
            )
            .is_ok()
        );
    }

    #[test]
    fn a_cause_stays_changeable_after_resolving_and_must_be_the_survey_s() {
        let mut resolved = state(CaseStatus::Resolved, None);
        resolved.cause = Some("delivery".into());
        let to_price: CasePatch = serde_json::from_str(r#"{"cause": "price"}"#).unwrap();
        let (next, entries) = apply_patch_with_defaults(&resolved, &to_price, None, NOW).unwrap();
        assert_eq!(next.cause.as_deref(), Some("price"));
        assert_eq!(
            entries[0].event,
            TimelineEvent::CauseSet {
                from: Some("delivery".into()),
                to: "price".into()
            }
        );
        let same: CasePatch = serde_json::from_str(r#"{"cause": "delivery"}"#).unwrap();
        assert!(
            apply_patch_with_defaults(&resolved, &same, None, NOW)
                .unwrap()
                .1
                .is_empty()
        );
        let unknown: CasePatch = serde_json::from_str(r#"{"cause": "weather"}"#).unwrap();
        let e = apply_patch_with_defaults(&resolved, &unknown, None, NOW).unwrap_err();
        assert_eq!(e.field(), "cause");
        assert!(e.to_string().contains("delivery, product, price"), "{e}");
        assert!(serde_json::from_str::<CasePatch>(r#"{"solution": "  "}"#).is_err());
    }

    #[test]
    fn a_survey_s_causes_are_checked_with_its_case_settings_and_default_by_language() {
        let settings: CaseSettings = serde_json::from_value(serde_json::json!({
            "causes": [{"key": "late", "label": "Late", "department": "Logistics"},
                       {"key": "late", "label": "Again", "department": "Logistics"}]
        }))
        .unwrap();
        let fields: Vec<String> = settings
            .check()
            .unwrap_err()
            .into_iter()
            .map(|p| p.field)
            .collect();
        assert_eq!(fields, ["causes[1].key"]);
        let none = CaseSettings::default();
        assert_eq!(none.causes_for("de")[0].label, "Lieferung");
        assert_eq!(none.causes_for("en")[0].label, "Delivery");
        assert!(
            !serde_json::to_string(&none).unwrap().contains("causes"),
            "the defaults are not written into older surveys"
        );
        assert_eq!(settings.causes_for("de")[0].label, "Late");
    }

    // --- timeline ---

    #[test]
    fn timeline_entries_are_flat_json_tagged_by_kind() {
        let entry = TimelineEntry::new(
            NOW,
            Some("anna"),
            TimelineEvent::StatusChanged {
                from: CaseStatus::Open,
                to: CaseStatus::Contacted,
            },
        );
        assert_eq!(
            serde_json::to_value(&entry).unwrap(),
            serde_json::json!({
                "at": NOW, "actor": "anna", "kind": "status_changed",
                "from": "open", "to": "contacted"
            })
        );
        let opened = TimelineEntry::new(NOW, None, TimelineEvent::Opened { score: score(3) });
        assert_eq!(
            serde_json::to_value(&opened).unwrap(),
            serde_json::json!({"at": NOW, "actor": null, "kind": "opened", "score": 3})
        );
    }

    #[test]
    fn every_kind_of_timeline_entry_round_trips() {
        let events = [
            TimelineEvent::Opened { score: score(0) },
            TimelineEvent::StatusChanged {
                from: CaseStatus::Resolved,
                to: CaseStatus::Open,
            },
            TimelineEvent::OwnerChanged {
                from: None,
                to: Some("anna".into()),
            },
            TimelineEvent::Note {
                note: "called".into(),
            },
            TimelineEvent::Reasked,
            TimelineEvent::AnsweredAgain { score: score(10) },
            TimelineEvent::CauseSet {
                from: None,
                to: "delivery".into(),
            },
            TimelineEvent::SolutionSet {
                solution: "refund".into(),
            },
        ];
        for event in events {
            let entry = TimelineEntry::new(NOW, Some("anna"), event);
            let text = serde_json::to_string(&entry).unwrap();
            assert_eq!(
                serde_json::from_str::<TimelineEntry>(&text).unwrap(),
                entry,
                "{text}"
            );
        }
        assert!(
            serde_json::from_str::<TimelineEntry>(
                r#"{"at": "x", "actor": null, "kind": "answered_again", "score": 11}"#
            )
            .is_err()
        );
        assert!(
            serde_json::from_str::<TimelineEntry>(
                r#"{"at": "x", "actor": null, "kind": "deleted"}"#
            )
            .is_err()
        );
    }

    // --- win back ---

    #[test]
    fn a_later_promoter_answer_is_a_win_back() {
        assert_eq!(win_back(score(2), score(9)), WinBack::WonBack);
        assert_eq!(win_back(score(6), score(10)), WinBack::WonBack);
    }

    #[test]
    fn higher_but_not_promoter_is_improved() {
        assert_eq!(win_back(score(2), score(8)), WinBack::Improved);
        assert_eq!(win_back(score(5), score(6)), WinBack::Improved);
    }

    #[test]
    fn the_same_or_a_lower_score_is_unchanged_or_worse() {
        assert_eq!(win_back(score(4), score(4)), WinBack::Unchanged);
        assert_eq!(win_back(score(4), score(3)), WinBack::Worse);
        assert_eq!(
            serde_json::to_string(&WinBack::WonBack).unwrap(),
            "\"won_back\""
        );
    }

    // --- wire view ---

    #[test]
    fn a_case_view_round_trips() {
        let view = CaseView {
            id: "c_1".into(),
            survey_id: "s_demo".into(),
            response_id: "r_1".into(),
            score: score(3),
            status: CaseStatus::Open,
            owner: None,
            due_at: "2026-03-02T10:00:00.000Z".into(),
            overdue: false,
            created_at: NOW.into(),
            updated_at: NOW.into(),
            timeline: vec![TimelineEntry::new(
                NOW,
                None,
                TimelineEvent::Opened { score: score(3) },
            )],
            reasked_score: Some(score(9)),
            win_back: Some(WinBack::WonBack),
            comment: Some("Box arrived <b>broken</b>".into()),
            respondent: Respondent {
                id: Some("cust-42".into()),
                email: Some("kim@example.com".into()),
            },
            cause: Some("product".into()),
            solution: Some("Sent a new box".into()),
            suggested_cause: Some("product".into()),
            suggestions: vec![PlaybookEntry::new("Sent a new box".into(), 4, 3)],
        };
        let value = serde_json::to_value(&view).unwrap();
        assert_eq!(value["status"], "open");
        assert_eq!(value["win_back"], "won_back");
        assert_eq!(value["comment"], "Box arrived <b>broken</b>");
        assert_eq!(
            value["respondent"],
            serde_json::json!({"id": "cust-42", "email": "kim@example.com"})
        );
        assert_eq!(serde_json::from_value::<CaseView>(value).unwrap(), view);
    }

    #[test]
    fn a_case_without_comment_or_respondent_leaves_them_out_and_older_json_decodes() {
        let older = serde_json::json!({
            "id": "c_1", "survey_id": "s_demo", "response_id": "r_1", "score": 2,
            "status": "open", "owner": null, "due_at": NOW, "overdue": false,
            "created_at": NOW, "updated_at": NOW, "timeline": [],
            "reasked_score": null, "win_back": null
        });
        let view: CaseView = serde_json::from_value(older.clone()).unwrap();
        assert_eq!(view.comment, None);
        assert!(view.respondent.is_empty());
        let mut now = older;
        now["cause"] = serde_json::Value::Null;
        now["solution"] = serde_json::Value::Null;
        assert_eq!(
            serde_json::to_value(&view).unwrap(),
            now,
            "cause and solution are always named, null until set"
        );
    }

    // --- properties ---

    fn any_status() -> impl Strategy<Value = CaseStatus> {
        prop::sample::select(CaseStatus::ALL.to_vec())
    }

    fn any_patch() -> impl Strategy<Value = CasePatch> {
        let owner = prop::option::of(prop::option::of(prop::sample::select(vec![
            "anna", "max", " anna ",
        ])));
        let note = prop::option::of(prop::sample::select(vec!["called", "left a message"]));
        let cause = prop::option::of(prop::sample::select(vec!["delivery", "price", "nope"]));
        let solution = prop::option::of(prop::sample::select(vec!["voucher", "refund"]));
        (prop::option::of(any_status()), owner, note, cause, solution).prop_map(
            |(status, owner, note, cause, solution)| CasePatch {
                status,
                owner: owner.map(|o| o.map(|o| Owner::parse(o).unwrap())),
                note: note.map(|n| Note::parse(n).unwrap()),
                cause: cause.map(str::to_string),
                solution: solution.map(|s| Solution::parse(s).unwrap()),
            },
        )
    }

    proptest! {
        #[test]
        fn a_case_opens_exactly_at_or_below_the_threshold(s in 0u8..=10, t in 0u8..=10) {
            let settings = CaseSettings { threshold: score(t), ..CaseSettings::default() };
            prop_assert_eq!(opens_case(&settings, score(s)), s <= t);
        }

        #[test]
        fn patches_only_reach_states_the_table_allows_with_one_entry_per_change(
            start in any_status(),
            patches in prop::collection::vec(any_patch(), 0..20),
        ) {
            let mut current = state(start, None);
            for p in &patches {
                match apply_patch_with_defaults(&current, p, Some("anna"), NOW) {
                    Err(_) => {}
                    Ok((next, entries)) => {
                        let status_changed = next.status != current.status;
                        if status_changed {
                            prop_assert!(transition(current.status, next.status).is_ok());
                        }
                        prop_assert_eq!(p.status.is_some(), status_changed);
                        let owner_changed = next.owner != current.owner;
                        let cause_changed = next.cause != current.cause;
                        let solution_changed = next.solution != current.solution;
                        let expected = usize::from(status_changed)
                            + usize::from(owner_changed)
                            + usize::from(cause_changed)
                            + usize::from(solution_changed)
                            + usize::from(p.note.is_some());
                        prop_assert_eq!(entries.len(), expected);
                        if status_changed && next.status == CaseStatus::Resolved {
                            prop_assert!(next.cause.is_some(), "resolved without a cause");
                        }
                        if let Some(cause) = &next.cause {
                            prop_assert!(cause == "delivery" || cause == "price");
                        }
                        current = next;
                    }
                }
            }
        }

        #[test]
        fn a_failed_patch_is_a_refused_transition_an_unknown_or_missing_cause_or_empty(
            start in any_status(),
            p in any_patch(),
        ) {
            if let Err(e) = apply_patch_with_defaults(&state(start, None), &p, None, NOW) {
                match (&e, p.status) {
                    (CaseError::UnknownCause(_), _) => {
                        prop_assert_eq!(p.cause.as_deref(), Some("nope"));
                    }
                    (CaseError::CauseRequired, Some(CaseStatus::Resolved)) => {
                        prop_assert!(p.cause.is_none());
                    }
                    (_, None) => prop_assert_eq!(e, CaseError::EmptyPatch),
                    (_, Some(to)) => prop_assert!(transition(start, to).is_err()),
                }
            }
        }

        #[test]
        fn due_at_never_moves_earlier_with_a_later_start_or_a_longer_sla(
            a in any::<i64>(), b in any::<i64>(), h1 in 0u32..=10_000, h2 in 0u32..=10_000,
        ) {
            let with = |h| CaseSettings { sla_hours: h, ..CaseSettings::default() };
            let (early, late) = (a.min(b), a.max(b));
            let (short, long) = (h1.min(h2), h1.max(h2));
            prop_assert!(due_at(early, &with(short)) <= due_at(late, &with(short)));
            prop_assert!(due_at(early, &with(short)) <= due_at(early, &with(long)));
        }

        #[test]
        fn win_back_agrees_with_the_order_of_scores(before in 0u8..=10, after in 0u8..=10) {
            let outcome = win_back(score(before), score(after));
            let expected = if after >= 9 {
                WinBack::WonBack
            } else {
                match after.cmp(&before) {
                    std::cmp::Ordering::Greater => WinBack::Improved,
                    std::cmp::Ordering::Equal => WinBack::Unchanged,
                    std::cmp::Ordering::Less => WinBack::Worse,
                }
            };
            prop_assert_eq!(outcome, expected);
        }
    }
}
