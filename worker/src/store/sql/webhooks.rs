//! `webhook_endpoints`: where events go, with their signing secrets.

use super::{SqlStore, all_rows, first_row};
use crate::query;
use crate::store::db::Database;
use crate::store::{Endpoint, StoreError, StoreResult, SurveyCache, WebhookStore};
use nps_shared::api::{WebhookFormat, WebhookView};
use serde::Deserialize;

#[derive(Deserialize)]
struct EndpointRow {
    id: String,
    url: String,
    format: String,
    secret: String,
    events: String,
    filter: String,
    description: Option<String>,
    created_at: String,
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
            },
            secret: row.secret,
        })
    }
}

const ENDPOINT_COLUMNS: &str = "id, url, secret, events, filter, description, created_at, format";

impl<D: Database, C: SurveyCache> WebhookStore for SqlStore<D, C> {
    async fn insert_endpoint(&self, endpoint: &Endpoint) -> StoreResult<()> {
        let v = &endpoint.view;
        self.db
            .run(query!(
                format!(
                    "INSERT INTO webhook_endpoints ({ENDPOINT_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
                ),
                v.id,
                v.url,
                endpoint.secret,
                serde_json::to_string(&v.events)?,
                serde_json::to_string(&v.filter)?,
                v.description,
                v.created_at,
                v.format.as_str(),
            ))
            .await?;
        Ok(())
    }

    async fn list_endpoints(&self) -> StoreResult<Vec<Endpoint>> {
        all_rows(
            &self.db,
            query!(format!(
                "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints ORDER BY id"
            )),
            |row: EndpointRow| Endpoint::try_from(row),
        )
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
}

#[cfg(test)]
mod tests {
    use super::super::testing::{run, store};
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
            },
            secret: "whsec_x".into(),
        };
        run(s.insert_endpoint(&endpoint)).unwrap();
        assert_eq!(run(s.get_endpoint("wh_1")).unwrap(), Some(endpoint.clone()));
        assert_eq!(run(s.list_endpoints()).unwrap(), vec![endpoint]);
        assert!(run(s.delete_endpoint("wh_1")).unwrap());
        assert!(!run(s.delete_endpoint("wh_1")).unwrap());
        assert!(run(s.list_endpoints()).unwrap().is_empty());
    }
}
