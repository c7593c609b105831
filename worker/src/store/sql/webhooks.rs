//! `webhook_endpoints`: where events go, whether they are switched on, and their
//! signing secrets (the current one, and the one a rotation replaced while it still
//! signs).

use super::{SqlStore, all_rows, first_row};
use crate::query;
use crate::store::db::{Database, Statement};
use crate::store::{Endpoint, StoreError, StoreResult, SurveyCache, WebhookStore};
use nps_shared::api::{WebhookFormat, WebhookView};
use serde::Deserialize;

#[derive(Deserialize)]
pub(super) struct EndpointRow {
    id: String,
    url: String,
    format: String,
    secret: String,
    events: String,
    filter: String,
    description: Option<String>,
    created_at: String,
    /// 0 or 1 (D1 gives no booleans).
    enabled: i32,
    previous_secret: Option<String>,
    previous_secret_expires_at: Option<String>,
}

/// Every endpoint, in id order (read as [`EndpointRow`]s).
pub(super) fn every_endpoint() -> Statement {
    query!(format!(
        "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints ORDER BY id"
    ))
}

impl TryFrom<EndpointRow> for Endpoint {
    type Error = StoreError;
    fn try_from(row: EndpointRow) -> StoreResult<Self> {
        let format = WebhookFormat::parse(&row.format)
            .ok_or_else(|| StoreError(format!("endpoint {}: bad format", row.id)))?;
        Ok(Endpoint {
            view: WebhookView {
                id: row.id,
                url: row.url,
                format,
                events: serde_json::from_str(&row.events)?,
                filter: serde_json::from_str(&row.filter)?,
                description: row.description,
                created_at: row.created_at,
                enabled: row.enabled != 0,
                previous_secret_expires_at: row.previous_secret_expires_at,
            },
            secret: row.secret,
            previous_secret: row.previous_secret,
        })
    }
}

const ENDPOINT_COLUMNS: &str = "id, url, secret, events, filter, description, created_at, format, \
     enabled, previous_secret, previous_secret_expires_at";

impl<D: Database, C: SurveyCache> WebhookStore for SqlStore<D, C> {
    async fn insert_endpoint(&self, endpoint: &Endpoint) -> StoreResult<()> {
        let v = &endpoint.view;
        self.db
            .run(query!(
                format!(
                    "INSERT INTO webhook_endpoints ({ENDPOINT_COLUMNS}) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
                ),
                v.id,
                v.url,
                endpoint.secret,
                serde_json::to_string(&v.events)?,
                serde_json::to_string(&v.filter)?,
                v.description,
                v.created_at,
                v.format.as_str(),
                i32::from(v.enabled),
                endpoint.previous_secret,
                v.previous_secret_expires_at,
            ))
            .await?;
        Ok(())
    }

    async fn list_endpoints(&self) -> StoreResult<Vec<Endpoint>> {
        all_rows(&self.db, every_endpoint(), |row: EndpointRow| {
            Endpoint::try_from(row)
        })
        .await
    }

    async fn get_endpoint(&self, id: &str) -> StoreResult<Option<Endpoint>> {
        first_row(
            &self.db,
            query!(
                format!("SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id = ?1"),
                id
            ),
            |row: EndpointRow| Endpoint::try_from(row),
        )
        .await
    }

    async fn delete_endpoint(&self, id: &str) -> StoreResult<bool> {
        self.db
            .exists(query!(
                "DELETE FROM webhook_endpoints WHERE id = ?1 RETURNING 1 AS done",
                id
            ))
            .await
    }

    async fn set_endpoint_enabled(&self, id: &str, enabled: bool) -> StoreResult<Option<Endpoint>> {
        first_row(
            &self.db,
            query!(
                format!(
                    "UPDATE webhook_endpoints SET enabled = ?2 WHERE id = ?1 RETURNING {ENDPOINT_COLUMNS}"
                ),
                id,
                i32::from(enabled),
            ),
            |row: EndpointRow| Endpoint::try_from(row),
        )
        .await
    }

    async fn rotate_secret(
        &self,
        id: &str,
        secret: &str,
        previous_expires_at: &str,
    ) -> StoreResult<Option<Endpoint>> {
        // One statement: the right-hand sides read the row as it was, so the secret
        // being replaced moves to `previous_secret` and an older one is gone.
        first_row(
            &self.db,
            query!(
                format!(
                    "UPDATE webhook_endpoints SET previous_secret = secret, \
                     previous_secret_expires_at = ?3, secret = ?2 WHERE id = ?1 \
                     RETURNING {ENDPOINT_COLUMNS}"
                ),
                id,
                secret,
                previous_expires_at,
            ),
            |row: EndpointRow| Endpoint::try_from(row),
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{endpoint, run, store};
    use crate::store::{Endpoint, WebhookStore};
    use nps_shared::api::{EventType, WebhookFormat, WebhookView};

    #[test]
    fn an_endpoint_is_stored_with_its_secret_listed_and_deleted_once() {
        let s = store();
        let endpoint = Endpoint {
            view: WebhookView {
                id: "wh_1".into(),
                url: "https://hooks.example/nps".into(),
                format: WebhookFormat::Slack,
                events: vec![EventType::CaseOpened],
                filter: Default::default(),
                description: Some("Support channel".into()),
                created_at: "2026-11-01T00:00:00.000Z".into(),
                enabled: true,
                previous_secret_expires_at: None,
            },
            secret: "whsec_x".into(),
            previous_secret: None,
        };
        run(s.insert_endpoint(&endpoint)).unwrap();
        assert_eq!(run(s.get_endpoint("wh_1")).unwrap(), Some(endpoint.clone()));
        assert_eq!(run(s.list_endpoints()).unwrap(), vec![endpoint]);
        assert!(run(s.delete_endpoint("wh_1")).unwrap());
        assert!(!run(s.delete_endpoint("wh_1")).unwrap());
        assert!(run(s.list_endpoints()).unwrap().is_empty());
    }

    #[test]
    fn an_endpoint_is_switched_off_and_on_and_the_list_says_so() {
        let s = store();
        run(s.insert_endpoint(&endpoint("wh_1"))).unwrap();
        run(s.insert_endpoint(&endpoint("wh_2"))).unwrap();
        let off = run(s.set_endpoint_enabled("wh_1", false)).unwrap().unwrap();
        assert!(!off.view.enabled);
        let listed: Vec<(String, bool)> = run(s.list_endpoints())
            .unwrap()
            .into_iter()
            .map(|e| (e.view.id, e.view.enabled))
            .collect();
        assert_eq!(listed, [("wh_1".into(), false), ("wh_2".into(), true)]);
        let on = run(s.set_endpoint_enabled("wh_1", true)).unwrap().unwrap();
        assert!(on.view.enabled);
        assert_eq!(run(s.set_endpoint_enabled("wh_9", true)).unwrap(), None);
    }

    #[test]
    fn a_rotation_keeps_the_replaced_secret_and_a_second_one_drops_the_oldest() {
        let s = store();
        run(s.insert_endpoint(&endpoint("wh_1"))).unwrap();
        let once = run(s.rotate_secret("wh_1", "whsec_second", "2026-11-02T00:00:00.000Z"))
            .unwrap()
            .unwrap();
        assert_eq!(once.secret, "whsec_second");
        assert_eq!(once.previous_secret.as_deref(), Some("whsec_first"));
        assert_eq!(
            once.view.previous_secret_expires_at.as_deref(),
            Some("2026-11-02T00:00:00.000Z")
        );
        let twice = run(s.rotate_secret("wh_1", "whsec_third", "2026-11-03T00:00:00.000Z"))
            .unwrap()
            .unwrap();
        assert_eq!(twice.secret, "whsec_third");
        assert_eq!(twice.previous_secret.as_deref(), Some("whsec_second"));
        assert_eq!(run(s.get_endpoint("wh_1")).unwrap(), Some(twice));
        assert_eq!(
            run(s.rotate_secret("wh_9", "whsec_x", "2026-11-03T00:00:00.000Z")).unwrap(),
            None
        );
    }
}
