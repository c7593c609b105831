//! The audit log: an entry for every change to surveys, webhooks, API keys, cases and
//! for every erasure, made by the [`Principal`] of the request; listing it; and
//! forgetting entries older than the retention (`AUDIT_RETENTION_DAYS`).
//!
//! Entries carry no personal data beyond the actor: summaries name fields and states,
//! never a note's text, and an erasure names a hash of the respondent, not them.
//! Depends on `store` and `nps_shared` only.

use super::{ServiceError, new_id};
use crate::store::{AuditFilter, AuditStore, StoreError};
use nps_shared::api::{Page, SurveyPatch};
use nps_shared::case::CasePatch;
use nps_shared::staff::{AuditAction, AuditEntry, Principal};
use nps_shared::time::rfc3339;

/// Kept this long unless `AUDIT_RETENTION_DAYS` says otherwise.
pub const DEFAULT_RETENTION_DAYS: u32 = 365;
/// Entries deleted per cron run at most: one bounded statement a minute.
pub const FORGET_BATCH: u32 = 500;

/// What changed, for an entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    pub action: AuditAction,
    pub target_id: String,
    pub summary: String,
}

impl Change {
    pub fn new(action: AuditAction, target_id: &str, summary: impl Into<String>) -> Change {
        Change {
            action,
            target_id: target_id.to_owned(),
            summary: summary.into(),
        }
    }
}

/// The entry `principal` making `change` at `now_ms` leaves.
pub fn entry(principal: &Principal, change: Change, now_ms: i64) -> Result<AuditEntry, StoreError> {
    Ok(AuditEntry {
        id: new_id("au_", now_ms)?,
        at: rfc3339(now_ms),
        actor: principal.actor.clone(),
        principal_kind: principal.kind(),
        principal_id: principal.key_id().map(str::to_owned),
        action: change.action,
        target_type: change.action.target_type().to_owned(),
        target_id: change.target_id,
        summary: change.summary,
    })
}

/// Records a change made apart from its entry (the change stands if this fails: the
/// caller keeps the error as a follow-up of its `Done`).
pub async fn record(
    store: &impl AuditStore,
    principal: &Principal,
    change: Change,
    now_ms: i64,
) -> Result<(), StoreError> {
    store.insert_audit(&entry(principal, change, now_ms)?).await
}

/// `GET /v1/audit?action=&actor=&cursor=&limit=`: newest first.
pub async fn list(
    store: &impl AuditStore,
    action: Option<&str>,
    actor: Option<&str>,
    cursor: Option<&str>,
    limit: Option<&str>,
) -> Result<Page<AuditEntry>, ServiceError> {
    let limit = super::page::parse_limit(limit)?;
    let action = action
        .map(|a| {
            AuditAction::parse(a).ok_or_else(|| {
                let known: Vec<&str> = AuditAction::ALL.iter().map(|a| a.as_str()).collect();
                ServiceError::invalid("action", &format!("must be one of {}", known.join(", ")))
            })
        })
        .transpose()?;
    let filter = AuditFilter {
        action,
        actor: actor.map(str::to_owned),
    };
    let mut items = store.list_audit(&filter, cursor, limit + 1).await?;
    let next_cursor = super::page::cut(&mut items, limit, |e| e.id.clone());
    Ok(Page { items, next_cursor })
}

/// Deletes a bounded batch of the entries older than `retention_days`; how many.
pub async fn forget_old(
    store: &impl AuditStore,
    now_ms: i64,
    retention_days: u32,
) -> Result<u32, StoreError> {
    let cut = now_ms - i64::from(retention_days) * 86_400_000;
    store.forget_audit_before(&rfc3339(cut), FORGET_BATCH).await
}

/// `AUDIT_RETENTION_DAYS`: whole days from 1 up.
pub fn parse_retention(text: &str) -> Option<u32> {
    text.trim().parse().ok().filter(|d| *d >= 1)
}

/// "changed name, theme": the fields a survey edit set.
pub fn survey_summary(patch: &SurveyPatch) -> String {
    let fields: Vec<String> = match serde_json::to_value(patch) {
        Ok(serde_json::Value::Object(map)) => map.keys().cloned().collect(),
        _ => Vec::new(),
    };
    if fields.is_empty() {
        "saved without changes".to_owned()
    } else {
        format!("changed {}", fields.join(", "))
    }
}

/// "status contacted, owner changed, note added": what a case change did (a note's
/// text and an owner's name stay on the case).
pub fn case_summary(patch: &CasePatch) -> String {
    let mut parts = Vec::new();
    if let Some(status) = patch.status {
        parts.push(format!("status {}", status.as_str()));
    }
    match &patch.owner {
        Some(Some(_)) => parts.push("owner changed".to_owned()),
        Some(None) => parts.push("owner removed".to_owned()),
        None => {}
    }
    if patch.note.is_some() {
        parts.push("note added".to_owned());
    }
    if let Some(cause) = &patch.cause {
        parts.push(format!("cause {cause}"));
    }
    if patch.solution.is_some() {
        parts.push("solution written".to_owned());
    }
    if parts.is_empty() {
        "saved without changes".to_owned()
    } else {
        parts.join(", ")
    }
}

/// What an erasure names instead of the respondent: the first 16 hex digits of the
/// SHA-256 of the id as sent, so that someone who knows the id can find the entry and
/// nobody reads the id off it.
pub fn respondent_ref(raw_id: &str) -> String {
    let hash = nps_shared::staff::secret::hash(raw_id.trim());
    format!("sha256:{}", &hash[..16])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testing::TestStore;
    use nps_shared::case::CaseStatus;
    use nps_shared::staff::{Credential, PrincipalKind, Scope};
    use pollster::block_on;

    const NOW: i64 = 1_764_000_000_000;
    const DAY: i64 = 86_400_000;

    #[test]
    fn listing_and_forgetting_the_log_cost_one_query_each_with_a_thousand_or_ten_thousand_entries()
    {
        use crate::store::metered::FREE_PLAN_QUERIES;
        let measure = |n: usize| {
            let m = TestStore::default();
            for i in 0..n {
                let change = Change::new(AuditAction::SurveyUpdated, "s_demo", "name");
                let at = NOW - 400 * DAY + i as i64 * 1000;
                block_on(m.insert_audit(&entry(&key(), change, at).unwrap())).unwrap();
                m.reset_queries();
            }
            let page = block_on(list(&m, None, Some("helpdesk"), None, Some("200"))).unwrap();
            assert_eq!(page.items.len(), 200);
            let listed = m.queries();
            m.reset_queries();
            let forgotten = block_on(forget_old(&m, NOW, DEFAULT_RETENTION_DAYS)).unwrap();
            assert_eq!(forgotten, FORGET_BATCH);
            (listed, m.queries())
        };
        let small = measure(1_000);
        assert_eq!(small, (1, 1));
        assert_eq!(measure(10_000), small);
        assert!(small.0 <= FREE_PLAN_QUERIES);
    }

    fn key() -> Principal {
        Principal {
            actor: "helpdesk".into(),
            scopes: vec![Scope::Cases],
            credential: Credential::ApiKey { id: "key_1".into() },
        }
    }

    #[test]
    fn an_entry_names_the_actor_their_credential_and_the_target() {
        let e = entry(
            &key(),
            Change::new(AuditAction::CaseUpdated, "c_1", "note added"),
            NOW,
        )
        .unwrap();
        assert!(e.id.starts_with("au_"));
        assert_eq!(e.at, rfc3339(NOW));
        assert_eq!(
            (e.actor.as_str(), e.principal_kind),
            ("helpdesk", PrincipalKind::ApiKey)
        );
        assert_eq!(e.principal_id.as_deref(), Some("key_1"));
        assert_eq!(
            (e.target_type.as_str(), e.target_id.as_str()),
            ("case", "c_1")
        );
        let admin = entry(
            &Principal::bootstrap(None),
            Change::new(AuditAction::SurveyCreated, "s_1", ""),
            NOW,
        )
        .unwrap();
        assert_eq!(admin.principal_id, None);
        assert_eq!(admin.principal_kind, PrincipalKind::Bootstrap);
    }

    #[test]
    fn the_list_pages_newest_first_and_refuses_an_unknown_action_naming_it() {
        let m = TestStore::default();
        for i in 0..3 {
            let change = Change::new(AuditAction::SurveyUpdated, "s_demo", "changed name");
            block_on(record(&m, &key(), change, NOW + i)).unwrap();
        }
        let first = block_on(list(&m, None, None, None, Some("2"))).unwrap();
        assert_eq!(first.items.len(), 2);
        assert!(first.items[0].id > first.items[1].id);
        let rest = block_on(list(
            &m,
            None,
            None,
            first.next_cursor.as_deref(),
            Some("2"),
        ))
        .unwrap();
        assert_eq!(rest.items.len(), 1);
        assert_eq!(rest.next_cursor, None);
        let by_action = block_on(list(
            &m,
            Some("survey.updated"),
            Some("helpdesk"),
            None,
            None,
        ));
        assert_eq!(by_action.unwrap().items.len(), 3);
        assert!(
            block_on(list(&m, Some("case.updated"), None, None, None))
                .unwrap()
                .items
                .is_empty()
        );
        match block_on(list(&m, Some("survey.deleted"), None, None, None)) {
            Err(ServiceError::Invalid(errors)) => assert_eq!(errors[0].field, "action"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn entries_older_than_the_retention_are_forgotten_and_newer_ones_kept() {
        let m = TestStore::default();
        let old = Change::new(AuditAction::SurveyUpdated, "s_demo", "old");
        block_on(record(&m, &key(), old, NOW - 40 * DAY)).unwrap();
        let recent = Change::new(AuditAction::SurveyUpdated, "s_demo", "recent");
        block_on(record(&m, &key(), recent, NOW - 10 * DAY)).unwrap();
        assert_eq!(block_on(forget_old(&m, NOW, 30)).unwrap(), 1);
        let left = block_on(list(&m, None, None, None, None)).unwrap().items;
        assert_eq!(left.len(), 1);
        assert_eq!(left[0].summary, "recent");
        assert_eq!(parse_retention("90"), Some(90));
        assert_eq!(parse_retention("0"), None);
        assert_eq!(parse_retention("a year"), None);
    }

    #[test]
    fn summaries_name_fields_and_states_but_no_note_or_respondent() {
        let patch: SurveyPatch =
            serde_json::from_value(serde_json::json!({"name": "New", "throttle": {"days": 30}}))
                .unwrap();
        assert_eq!(survey_summary(&patch), "changed name, throttle");
        assert_eq!(
            survey_summary(&SurveyPatch::default()),
            "saved without changes"
        );
        let patch: CasePatch = serde_json::from_value(
            serde_json::json!({"status": "contacted", "owner": "kim@shop", "note": "Called Mrs Jones"}),
        )
        .unwrap();
        let summary = case_summary(&patch);
        assert_eq!(summary, "status contacted, owner changed, note added");
        assert_eq!(patch.status, Some(CaseStatus::Contacted));
        let reference = respondent_ref("kim@example.com");
        assert!(reference.starts_with("sha256:") && reference.len() == 23);
        assert!(!reference.contains("kim"));
        assert_eq!(reference, respondent_ref(" kim@example.com "));
    }
}
