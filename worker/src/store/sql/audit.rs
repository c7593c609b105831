//! `audit_log`: who changed what, newest first by time-ordered id.

use super::{SqlStore, all_rows};
use crate::query;
use crate::store::db::{Database, Statement};
use crate::store::{AuditFilter, AuditStore, StoreError, StoreResult, SurveyCache};
use nps_shared::staff::{AuditAction, AuditEntry, PrincipalKind};
use serde::Deserialize;

#[derive(Deserialize)]
struct AuditRow {
    id: String,
    at: String,
    actor: String,
    principal_kind: String,
    principal_id: Option<String>,
    action: String,
    target_type: String,
    target_id: String,
    summary: String,
}

impl TryFrom<AuditRow> for AuditEntry {
    type Error = StoreError;
    fn try_from(row: AuditRow) -> StoreResult<Self> {
        let bad = |what: &str| StoreError(format!("audit entry {}: bad {what}", row.id));
        Ok(AuditEntry {
            principal_kind: PrincipalKind::parse(&row.principal_kind)
                .ok_or_else(|| bad("principal_kind"))?,
            action: AuditAction::parse(&row.action).ok_or_else(|| bad("action"))?,
            id: row.id,
            at: row.at,
            actor: row.actor,
            principal_id: row.principal_id,
            target_type: row.target_type,
            target_id: row.target_id,
            summary: row.summary,
        })
    }
}

const COLUMNS: &str =
    "id, at, actor, principal_kind, principal_id, action, target_type, target_id, summary";

/// The insert of `entry`, for a batch of the change it records.
pub(super) fn insert_statement(entry: &AuditEntry) -> Statement {
    query!(
        format!("INSERT INTO audit_log ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"),
        entry.id,
        entry.at,
        entry.actor,
        entry.principal_kind.as_str(),
        entry.principal_id,
        entry.action.as_str(),
        entry.target_type,
        entry.target_id,
        entry.summary,
    )
}

impl<D: Database, C: SurveyCache> AuditStore for SqlStore<D, C> {
    async fn insert_audit(&self, entry: &AuditEntry) -> StoreResult<()> {
        self.db.run(insert_statement(entry)).await
    }

    async fn list_audit(
        &self,
        filter: &AuditFilter,
        before: Option<&str>,
        limit: u32,
    ) -> StoreResult<Vec<AuditEntry>> {
        all_rows(
            &self.db,
            query!(
                format!(
                    "SELECT {COLUMNS} FROM audit_log \
                     WHERE (?1 IS NULL OR action = ?1) AND (?2 IS NULL OR actor = ?2) \
                     AND (?3 IS NULL OR id < ?3) ORDER BY id DESC LIMIT ?4"
                ),
                filter.action.map(AuditAction::as_str),
                filter.actor,
                before,
                limit
            ),
            |row: AuditRow| AuditEntry::try_from(row),
        )
        .await
    }

    async fn forget_audit_before(&self, before: &str, limit: u32) -> StoreResult<u32> {
        let deleted = self
            .db
            .batch(vec![query!(
                "DELETE FROM audit_log WHERE id IN \
                 (SELECT id FROM audit_log WHERE at < ?1 ORDER BY at LIMIT ?2) RETURNING 1",
                before,
                limit
            )])
            .await?;
        Ok(deleted.first().copied().unwrap_or(0) as u32)
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::super::testing::{run, store};
    use crate::store::{AuditFilter, AuditStore};
    use nps_shared::staff::{AuditAction, AuditEntry, PrincipalKind};

    pub fn entry(id: &str, at: &str, actor: &str, action: AuditAction) -> AuditEntry {
        AuditEntry {
            id: id.into(),
            at: at.into(),
            actor: actor.into(),
            principal_kind: PrincipalKind::ApiKey,
            principal_id: Some("key_1".into()),
            action,
            target_type: action.target_type().into(),
            target_id: "s_demo".into(),
            summary: "changed name".into(),
        }
    }

    #[test]
    fn entries_are_listed_newest_first_filtered_by_action_and_actor_and_paged_by_id() {
        let s = store();
        let a = entry(
            "au_1",
            "2026-11-01T00:00:00.000Z",
            "anna",
            AuditAction::SurveyUpdated,
        );
        let b = entry(
            "au_2",
            "2026-11-02T00:00:00.000Z",
            "ci",
            AuditAction::SurveyUpdated,
        );
        let c = entry(
            "au_3",
            "2026-11-03T00:00:00.000Z",
            "anna",
            AuditAction::CaseUpdated,
        );
        for e in [&a, &b, &c] {
            run(s.insert_audit(e)).unwrap();
        }
        let any = AuditFilter::default();
        assert_eq!(
            run(s.list_audit(&any, None, 10)).unwrap(),
            [c.clone(), b.clone(), a.clone()]
        );
        assert_eq!(
            run(s.list_audit(&any, None, 2)).unwrap(),
            [c.clone(), b.clone()]
        );
        assert_eq!(
            run(s.list_audit(&any, Some("au_2"), 2)).unwrap(),
            std::slice::from_ref(&a)
        );
        let surveys = AuditFilter {
            action: Some(AuditAction::SurveyUpdated),
            actor: None,
        };
        assert_eq!(
            run(s.list_audit(&surveys, None, 10)).unwrap(),
            [b.clone(), a.clone()]
        );
        let anna = AuditFilter {
            action: None,
            actor: Some("anna".into()),
        };
        assert_eq!(
            run(s.list_audit(&anna, None, 10)).unwrap(),
            [c.clone(), a.clone()]
        );
        let both = AuditFilter {
            action: Some(AuditAction::SurveyUpdated),
            actor: Some("anna".into()),
        };
        assert_eq!(run(s.list_audit(&both, None, 10)).unwrap(), [a]);
    }

    #[test]
    fn old_entries_are_forgotten_oldest_first_in_bounded_batches() {
        let s = store();
        for day in 1..=5 {
            let e = entry(
                &format!("au_{day}"),
                &format!("2026-11-0{day}T00:00:00.000Z"),
                "anna",
                AuditAction::CaseUpdated,
            );
            run(s.insert_audit(&e)).unwrap();
        }
        let cut = "2026-11-04T00:00:00.000Z";
        assert_eq!(run(s.forget_audit_before(cut, 2)).unwrap(), 2);
        let left: Vec<String> = run(s.list_audit(&AuditFilter::default(), None, 10))
            .unwrap()
            .into_iter()
            .map(|e| e.id)
            .collect();
        assert_eq!(left, ["au_5", "au_4", "au_3"]);
        assert_eq!(run(s.forget_audit_before(cut, 2)).unwrap(), 1);
        assert_eq!(run(s.forget_audit_before(cut, 2)).unwrap(), 0);
        assert_eq!(
            run(s.list_audit(&AuditFilter::default(), None, 10))
                .unwrap()
                .len(),
            2
        );
    }
}
