//! `api_keys`: scoped keys, found by the hash of their secret; created and revoked
//! together with their audit entry.

use super::audit::insert_statement;
use super::{SqlStore, all_rows, first_row};
use crate::query;
use crate::store::db::Database;
use crate::store::{ApiKeyStore, StoreResult, StoredApiKey, SurveyCache};
use nps_shared::staff::{ApiKeyView, AuditEntry};
use serde::Deserialize;

#[derive(Deserialize)]
struct ApiKeyRow {
    id: String,
    name: String,
    scopes: String,
    secret_hash: String,
    created_at: String,
    last_used_at: Option<String>,
    revoked_at: Option<String>,
}

impl TryFrom<ApiKeyRow> for StoredApiKey {
    type Error = crate::store::StoreError;
    fn try_from(row: ApiKeyRow) -> StoreResult<Self> {
        Ok(StoredApiKey {
            view: ApiKeyView {
                id: row.id,
                name: row.name,
                scopes: serde_json::from_str(&row.scopes)?,
                created_at: row.created_at,
                last_used_at: row.last_used_at,
                revoked_at: row.revoked_at,
            },
            secret_hash: row.secret_hash,
        })
    }
}

const COLUMNS: &str = "id, name, scopes, secret_hash, created_at, last_used_at, revoked_at";

impl<D: Database, C: SurveyCache> ApiKeyStore for SqlStore<D, C> {
    async fn insert_api_key(&self, key: &StoredApiKey, audit: &AuditEntry) -> StoreResult<()> {
        let v = &key.view;
        self.db
            .batch(vec![
                query!(
                    format!("INSERT INTO api_keys ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"),
                    v.id,
                    v.name,
                    serde_json::to_string(&v.scopes)?,
                    key.secret_hash,
                    v.created_at,
                    v.last_used_at,
                    v.revoked_at,
                ),
                insert_statement(audit),
            ])
            .await?;
        Ok(())
    }

    async fn api_key_by_hash(&self, secret_hash: &str) -> StoreResult<Option<StoredApiKey>> {
        first_row(
            &self.db,
            query!(
                format!("SELECT {COLUMNS} FROM api_keys WHERE secret_hash = ?1"),
                secret_hash
            ),
            |row: ApiKeyRow| StoredApiKey::try_from(row),
        )
        .await
    }

    async fn list_api_keys(&self) -> StoreResult<Vec<ApiKeyView>> {
        all_rows(
            &self.db,
            query!(format!(
                "SELECT {COLUMNS} FROM api_keys ORDER BY created_at, id"
            )),
            |row: ApiKeyRow| StoredApiKey::try_from(row).map(|k| k.view),
        )
        .await
    }

    async fn revoke_api_key(&self, id: &str, at: &str, audit: &AuditEntry) -> StoreResult<bool> {
        let mut record = insert_statement(audit);
        // The entry only if this call's time is the key's revocation time: a second
        // revoke changes nothing and records nothing.
        record.sql = record.sql.replace(
            "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            "SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9 \
             WHERE EXISTS (SELECT 1 FROM api_keys WHERE id = ?10 AND revoked_at = ?11)",
        );
        record.params.extend(crate::params!(id, at));
        let returned = self
            .db
            .batch(vec![
                query!(
                    "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?2) WHERE id = ?1 \
                     RETURNING 1 AS done",
                    id,
                    at
                ),
                record,
            ])
            .await?;
        Ok(returned.first().is_some_and(|n| *n > 0))
    }

    async fn touch_api_key(&self, id: &str, at: &str, stale_before: &str) -> StoreResult<()> {
        self.db
            .run(query!(
                "UPDATE api_keys SET last_used_at = ?2 WHERE id = ?1 \
                 AND (last_used_at IS NULL OR last_used_at < ?3)",
                id,
                at,
                stale_before
            ))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::super::audit::tests::entry;
    use super::super::testing::{run, store};
    use crate::store::{ApiKeyStore, AuditFilter, AuditStore, StoredApiKey};
    use nps_shared::staff::{ApiKeyView, AuditAction, Scope, secret};

    fn key(id: &str, secret: &str) -> StoredApiKey {
        StoredApiKey {
            view: ApiKeyView {
                id: id.into(),
                name: "helpdesk".into(),
                scopes: vec![Scope::Read, Scope::Cases],
                created_at: "2026-11-01T00:00:00.000Z".into(),
                last_used_at: None,
                revoked_at: None,
            },
            secret_hash: secret::hash(secret),
        }
    }

    fn audit_actions(s: &super::super::SqlStore<crate::store::sqlite::Sqlite>) -> Vec<AuditAction> {
        run(s.list_audit(&AuditFilter::default(), None, 50))
            .unwrap()
            .into_iter()
            .map(|e| e.action)
            .collect()
    }

    #[test]
    fn a_key_is_found_by_the_hash_of_its_secret_only_and_created_with_its_audit_entry() {
        let s = store();
        let k = key("key_1", "nps_one");
        let created = entry(
            "au_1",
            "2026-11-01T00:00:00.000Z",
            "admin",
            AuditAction::ApiKeyCreated,
        );
        run(s.insert_api_key(&k, &created)).unwrap();
        assert_eq!(
            run(s.api_key_by_hash(&secret::hash("nps_one"))).unwrap(),
            Some(k.clone())
        );
        assert_eq!(
            run(s.api_key_by_hash(&secret::hash("nps_two"))).unwrap(),
            None
        );
        assert_eq!(run(s.api_key_by_hash("nps_one")).unwrap(), None);
        assert_eq!(run(s.list_api_keys()).unwrap(), [k.view]);
        assert_eq!(audit_actions(&s), [AuditAction::ApiKeyCreated]);
    }

    #[test]
    fn a_key_with_a_taken_id_is_not_created_and_neither_is_its_audit_entry() {
        let s = store();
        let created = entry(
            "au_1",
            "2026-11-01T00:00:00.000Z",
            "admin",
            AuditAction::ApiKeyCreated,
        );
        run(s.insert_api_key(&key("key_1", "nps_one"), &created)).unwrap();
        let again = entry(
            "au_2",
            "2026-11-01T00:00:00.000Z",
            "admin",
            AuditAction::ApiKeyCreated,
        );
        assert!(run(s.insert_api_key(&key("key_1", "nps_two"), &again)).is_err());
        assert_eq!(audit_actions(&s), [AuditAction::ApiKeyCreated]);
    }

    #[test]
    fn revoking_keeps_the_first_time_and_records_once_and_an_unknown_key_is_false() {
        let s = store();
        let created = entry(
            "au_1",
            "2026-11-01T00:00:00.000Z",
            "admin",
            AuditAction::ApiKeyCreated,
        );
        run(s.insert_api_key(&key("key_1", "nps_one"), &created)).unwrap();
        let first = "2026-11-02T00:00:00.000Z";
        let revoked = entry("au_2", first, "admin", AuditAction::ApiKeyRevoked);
        assert!(run(s.revoke_api_key("key_1", first, &revoked)).unwrap());
        let again = entry(
            "au_3",
            "2026-11-03T00:00:00.000Z",
            "admin",
            AuditAction::ApiKeyRevoked,
        );
        assert!(run(s.revoke_api_key("key_1", "2026-11-03T00:00:00.000Z", &again)).unwrap());
        let stored = run(s.api_key_by_hash(&secret::hash("nps_one")))
            .unwrap()
            .unwrap();
        assert_eq!(stored.view.revoked_at.as_deref(), Some(first));
        assert_eq!(
            audit_actions(&s),
            [AuditAction::ApiKeyRevoked, AuditAction::ApiKeyCreated]
        );
        let nobody = entry("au_4", first, "admin", AuditAction::ApiKeyRevoked);
        assert!(!run(s.revoke_api_key("key_9", first, &nobody)).unwrap());
        assert_eq!(audit_actions(&s).len(), 2);
    }

    #[test]
    fn last_use_is_written_only_when_the_stored_one_is_stale() {
        let s = store();
        let created = entry(
            "au_1",
            "2026-11-01T00:00:00.000Z",
            "admin",
            AuditAction::ApiKeyCreated,
        );
        run(s.insert_api_key(&key("key_1", "nps_one"), &created)).unwrap();
        let last_used = || {
            run(s.api_key_by_hash(&secret::hash("nps_one")))
                .unwrap()
                .unwrap()
                .view
                .last_used_at
        };
        run(s.touch_api_key(
            "key_1",
            "2026-11-02T00:00:00.000Z",
            "2026-11-01T23:59:00.000Z",
        ))
        .unwrap();
        assert_eq!(last_used().as_deref(), Some("2026-11-02T00:00:00.000Z"));
        // Thirty seconds later: not stale yet, not written.
        run(s.touch_api_key(
            "key_1",
            "2026-11-02T00:00:30.000Z",
            "2026-11-01T23:59:30.000Z",
        ))
        .unwrap();
        assert_eq!(last_used().as_deref(), Some("2026-11-02T00:00:00.000Z"));
        run(s.touch_api_key(
            "key_1",
            "2026-11-02T00:01:30.000Z",
            "2026-11-02T00:00:30.000Z",
        ))
        .unwrap();
        assert_eq!(last_used().as_deref(), Some("2026-11-02T00:01:30.000Z"));
    }
}
