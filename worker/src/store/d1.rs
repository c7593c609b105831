//! The D1 (SQLite) implementation of the storage traits. SQL lives here and nowhere
//! else; rows are decoded into the shared wire types. D1 hands integers over as JS
//! numbers, so only small integers (scores, limits) are bound.

use super::{
    Endpoint, Inserted, ResponseStore, StoreError, StoreResult, StoredResponse, SurveyStore,
    WebhookStore,
};
use nps_shared::api::{Channel, Respondent, ResponseView, SurveyView, WebhookView};
use nps_shared::{Category, Score};
use serde::Deserialize;
use std::collections::BTreeMap;
use wasm_bindgen::JsValue;
use worker::D1Database;

pub struct D1Store {
    db: D1Database,
}

impl D1Store {
    pub fn new(db: D1Database) -> Self {
        D1Store { db }
    }
}

fn text(value: &str) -> JsValue {
    JsValue::from_str(value)
}

fn nullable(value: Option<&str>) -> JsValue {
    value.map_or(JsValue::NULL, JsValue::from_str)
}

#[derive(Deserialize)]
struct SurveyRow {
    id: String,
    definition: String,
    created_at: String,
    updated_at: String,
}

impl TryFrom<SurveyRow> for SurveyView {
    type Error = StoreError;
    fn try_from(row: SurveyRow) -> StoreResult<Self> {
        Ok(SurveyView {
            id: row.id,
            definition: serde_json::from_str(&row.definition)?,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

#[derive(Deserialize)]
struct ResponseRow {
    id: String,
    survey_id: String,
    score: u8,
    comment: Option<String>,
    channel: String,
    locale: Option<String>,
    page_url: Option<String>,
    respondent_id: Option<String>,
    respondent_email: Option<String>,
    properties: String,
    edit_token: String,
    idempotency_key: Option<String>,
    fingerprint: Option<String>,
    created_at: String,
    updated_at: String,
}

impl TryFrom<ResponseRow> for StoredResponse {
    type Error = StoreError;
    fn try_from(row: ResponseRow) -> StoreResult<Self> {
        let score =
            Score::try_from(row.score).map_err(|e| StoreError(format!("row {}: {e}", row.id)))?;
        let channel = Channel::parse(&row.channel)
            .ok_or_else(|| StoreError(format!("row {}: bad channel", row.id)))?;
        let properties: BTreeMap<String, String> = serde_json::from_str(&row.properties)?;
        Ok(StoredResponse {
            view: ResponseView {
                id: row.id,
                survey_id: row.survey_id,
                score,
                category: score.category(),
                comment: row.comment,
                channel,
                locale: row.locale,
                page_url: row.page_url,
                respondent: Respondent {
                    id: row.respondent_id,
                    email: row.respondent_email,
                },
                properties,
                created_at: row.created_at,
                updated_at: row.updated_at,
            },
            edit_token: row.edit_token,
            idempotency_key: row.idempotency_key,
            fingerprint: row.fingerprint,
        })
    }
}

#[derive(Deserialize)]
struct EndpointRow {
    id: String,
    url: String,
    secret: String,
    events: String,
    filter: String,
    description: Option<String>,
    created_at: String,
}

impl TryFrom<EndpointRow> for Endpoint {
    type Error = StoreError;
    fn try_from(row: EndpointRow) -> StoreResult<Self> {
        Ok(Endpoint {
            view: WebhookView {
                id: row.id,
                url: row.url,
                events: serde_json::from_str(&row.events)?,
                filter: serde_json::from_str(&row.filter)?,
                description: row.description,
                created_at: row.created_at,
            },
            secret: row.secret,
        })
    }
}

const RESPONSE_COLUMNS: &str = "id, survey_id, score, comment, channel, locale, page_url, respondent_id, \
     respondent_email, properties, edit_token, idempotency_key, fingerprint, created_at, updated_at";

impl SurveyStore for D1Store {
    async fn get_survey(&self, id: &str) -> StoreResult<Option<SurveyView>> {
        let row: Option<SurveyRow> = self
            .db
            .prepare("SELECT id, definition, created_at, updated_at FROM surveys WHERE id = ?1")
            .bind(&[text(id)])?
            .first(None)
            .await?;
        row.map(SurveyView::try_from).transpose()
    }

    async fn list_surveys(&self) -> StoreResult<Vec<SurveyView>> {
        let rows: Vec<SurveyRow> = self
            .db
            .prepare("SELECT id, definition, created_at, updated_at FROM surveys ORDER BY created_at, id")
            .all()
            .await?
            .results()?;
        rows.into_iter().map(SurveyView::try_from).collect()
    }

    async fn insert_survey(&self, survey: &SurveyView) -> StoreResult<bool> {
        let result = self
            .db
            .prepare(
                "INSERT INTO surveys (id, definition, created_at, updated_at) VALUES (?1, ?2, ?3, ?4) \
                 ON CONFLICT (id) DO NOTHING",
            )
            .bind(&[
                text(&survey.id),
                text(&serde_json::to_string(&survey.definition)?),
                text(&survey.created_at),
                text(&survey.updated_at),
            ])?
            .run()
            .await?;
        Ok(changes(&result)? == 1)
    }

    async fn update_survey(&self, survey: &SurveyView) -> StoreResult<()> {
        self.db
            .prepare("UPDATE surveys SET definition = ?2, updated_at = ?3 WHERE id = ?1")
            .bind(&[
                text(&survey.id),
                text(&serde_json::to_string(&survey.definition)?),
                text(&survey.updated_at),
            ])?
            .run()
            .await?;
        Ok(())
    }
}

fn changes(result: &worker::D1Result) -> StoreResult<usize> {
    if let Some(error) = result.error() {
        return Err(StoreError(error));
    }
    Ok(result.meta()?.and_then(|m| m.changes).unwrap_or(0))
}

impl ResponseStore for D1Store {
    async fn insert_response(&self, response: &StoredResponse) -> StoreResult<Inserted> {
        let v = &response.view;
        let result = self
            .db
            .prepare(format!(
                "INSERT INTO responses ({RESPONSE_COLUMNS}, category) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16) \
                 ON CONFLICT (survey_id, idempotency_key) DO NOTHING"
            ))
            .bind(&[
                text(&v.id),
                text(&v.survey_id),
                JsValue::from(v.score.value()),
                nullable(v.comment.as_deref()),
                text(v.channel.as_str()),
                nullable(v.locale.as_deref()),
                nullable(v.page_url.as_deref()),
                nullable(v.respondent.id.as_deref()),
                nullable(v.respondent.email.as_deref()),
                text(&serde_json::to_string(&v.properties)?),
                text(&response.edit_token),
                nullable(response.idempotency_key.as_deref()),
                nullable(response.fingerprint.as_deref()),
                text(&v.created_at),
                text(&v.updated_at),
                text(v.category.as_str()),
            ])?
            .run()
            .await?;
        if changes(&result)? == 1 {
            return Ok(Inserted::New);
        }
        let key = response
            .idempotency_key
            .as_deref()
            .ok_or_else(|| StoreError(format!("insert of {} changed nothing", v.id)))?;
        let existing: Option<ResponseRow> = self
            .db
            .prepare(format!(
                "SELECT {RESPONSE_COLUMNS} FROM responses WHERE survey_id = ?1 AND idempotency_key = ?2"
            ))
            .bind(&[text(&v.survey_id), text(key)])?
            .first(None)
            .await?;
        let existing = existing
            .ok_or_else(|| StoreError(format!("insert of {} conflicted with nothing", v.id)))?;
        Ok(Inserted::Existing(Box::new(existing.try_into()?)))
    }

    async fn get_response(&self, id: &str) -> StoreResult<Option<StoredResponse>> {
        let row: Option<ResponseRow> = self
            .db
            .prepare(format!(
                "SELECT {RESPONSE_COLUMNS} FROM responses WHERE id = ?1"
            ))
            .bind(&[text(id)])?
            .first(None)
            .await?;
        row.map(StoredResponse::try_from).transpose()
    }

    async fn set_comment(
        &self,
        id: &str,
        comment: Option<&str>,
        updated_at: &str,
    ) -> StoreResult<()> {
        self.db
            .prepare("UPDATE responses SET comment = ?2, updated_at = ?3 WHERE id = ?1")
            .bind(&[text(id), nullable(comment), text(updated_at)])?
            .run()
            .await?;
        Ok(())
    }

    async fn list_responses(
        &self,
        survey_id: &str,
        category: Option<Category>,
        before: Option<&str>,
        limit: u32,
    ) -> StoreResult<Vec<ResponseView>> {
        let rows: Vec<ResponseRow> = self
            .db
            .prepare(format!(
                "SELECT {RESPONSE_COLUMNS} FROM responses WHERE survey_id = ?1 \
                 AND (?2 IS NULL OR category = ?2) AND (?3 IS NULL OR id < ?3) \
                 ORDER BY id DESC LIMIT ?4"
            ))
            .bind(&[
                text(survey_id),
                nullable(category.map(Category::as_str)),
                nullable(before),
                JsValue::from(limit),
            ])?
            .all()
            .await?
            .results()?;
        rows.into_iter()
            .map(|row| StoredResponse::try_from(row).map(|r| r.view))
            .collect()
    }
}

const ENDPOINT_COLUMNS: &str = "id, url, secret, events, filter, description, created_at";

impl WebhookStore for D1Store {
    async fn insert_endpoint(&self, endpoint: &Endpoint) -> StoreResult<()> {
        let v = &endpoint.view;
        self.db
            .prepare(format!("INSERT INTO webhook_endpoints ({ENDPOINT_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"))
            .bind(&[
                text(&v.id),
                text(&v.url),
                text(&endpoint.secret),
                text(&serde_json::to_string(&v.events)?),
                text(&serde_json::to_string(&v.filter)?),
                nullable(v.description.as_deref()),
                text(&v.created_at),
            ])?
            .run()
            .await?;
        Ok(())
    }

    async fn list_endpoints(&self) -> StoreResult<Vec<Endpoint>> {
        let rows: Vec<EndpointRow> = self
            .db
            .prepare(format!(
                "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints ORDER BY id"
            ))
            .all()
            .await?
            .results()?;
        rows.into_iter().map(Endpoint::try_from).collect()
    }

    async fn get_endpoint(&self, id: &str) -> StoreResult<Option<Endpoint>> {
        let row: Option<EndpointRow> = self
            .db
            .prepare(format!(
                "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id = ?1"
            ))
            .bind(&[text(id)])?
            .first(None)
            .await?;
        row.map(Endpoint::try_from).transpose()
    }

    async fn delete_endpoint(&self, id: &str) -> StoreResult<bool> {
        let result = self
            .db
            .prepare("DELETE FROM webhook_endpoints WHERE id = ?1")
            .bind(&[text(id)])?
            .run()
            .await?;
        Ok(changes(&result)? == 1)
    }
}
