//! `POST /v1/responses`, `PATCH /v1/responses/{id}` (public, CORS) and
//! `GET /v1/surveys/{id}/responses` (admin).

use crate::app::{App, now_ms};
use crate::error::ApiError;
use crate::gate;
use crate::http;
use crate::service::ServiceError;
use crate::service::responses;
use crate::store::sql::SqlStore;
use crate::store::{ExportRow, ExportStore, StoreError};
use nps_shared::csv;
use worker::{Request, Response};

/// `POST /v1/responses`: prepared here, stored through the ingest gate (`gate`) when
/// it is bound, else directly (counted against the D1 rate limit as before).
pub async fn create(req: &mut Request, app: &App) -> Result<Response, ApiError> {
    let body = http::read_json(req).await?;
    let key = req.headers().get("Idempotency-Key")?;
    let origin = http::origin(req);
    let user_agent = req.headers().get("User-Agent")?;
    let submission = responses::Submission {
        body: &body,
        idempotency_key: key
            .as_deref()
            .map(responses::IdempotencyKey::parse)
            .transpose()?,
        origin: origin.as_deref(),
        user_agent: user_agent.as_deref(),
        invitation_secret: app.invitation_secret(),
        identity_secret: app.identity_secret(),
    };
    let Some(gate) = &app.gate else {
        if let Some(survey_id) = body.get("survey_id").and_then(|v| v.as_str()) {
            super::limits::answer(req, app, survey_id).await?;
        }
        let done = responses::submit(&app.store, &app.queue, &submission, now_ms()).await?;
        super::log_follow_ups(&done, &format!("response {}", done.value.created.id));
        return reply(done.value);
    };
    let prepared = match responses::prepare(&app.store, &submission, now_ms()).await {
        Ok(prepared) => prepared,
        Err(e @ ServiceError::NotFound(_)) => {
            // Made-up survey ids are counted by the flood limiter (per client,
            // together), so that trying ids costs the caller its limit and D1 nothing;
            // known surveys are counted in the gate.
            if let Some(survey_id) = body.get("survey_id").and_then(|v| v.as_str()) {
                super::limits::read(req, app, survey_id).await?;
            }
            return Err(e.into());
        }
        Err(e) => return Err(e.into()),
    };
    let client = http::client(req);
    let who = prepared.stored.person_key.as_deref().unwrap_or(&client);
    let name = gate::object_name(&prepared.survey.id, who, app.gate_shards);
    let ticket = gate::Ticket {
        per_minute: prepared
            .survey
            .definition
            .rate_limit_per_minute
            .unwrap_or(app.rate_limit_per_minute),
        client: client.clone(),
        prepared,
    };
    // The gate unreachable or gone mid-write: a 503, and the client retries with its
    // Idempotency-Key (a group that committed replays, one that did not stores).
    let sent = gate::send(gate, &name, ticket)
        .await
        .map_err(|e| ServiceError::Store(StoreError(format!("the ingest gate: {e}"))))?;
    // What the gate's D1 statements cost this answer, for `X-D1-Queries`.
    app.d1_elsewhere.set(sent.d1_queries());
    reply(sent.into_result()?)
}

/// 201 with the new answer, 200 with the first reply to its Idempotency-Key.
fn reply(submitted: responses::Submitted) -> Result<Response, ApiError> {
    http::json(
        if submitted.replayed { 200 } else { 201 },
        &submitted.created,
    )
}

pub async fn update(req: &mut Request, app: &App, id: &str) -> Result<Response, ApiError> {
    // Counted before the answer is read: trying made-up answer ids costs the caller
    // its limit, and past it costs us no read.
    super::limits::comment(req, app).await?;
    let body = http::read_json(req).await?;
    let origin = http::origin(req);
    let added = responses::add_comment(
        &app.store,
        &app.queue,
        id,
        &body,
        origin.as_deref(),
        now_ms(),
    )
    .await?;
    super::log_follow_ups(&added, &format!("comment on {id}"));
    http::json(200, &added.value)
}

pub async fn list(req: &Request, app: &App, survey_id: &str) -> Result<Response, ApiError> {
    let query = http::query(req)?;
    let get = |name: &str| http::param(&query, name);
    let page = responses::list(
        &app.store,
        survey_id,
        get("category"),
        get("cursor"),
        get("limit"),
    )
    .await?;
    http::json(200, &page)
}

/// `GET /v1/surveys/{id}/export.csv?category=`: every answer, newest first, streamed
/// page by page so that it stays within the worker's memory — for a survey whose
/// answers one invocation can read within its D1 queries; a larger one is refused
/// (422) before the first byte, pointing at the export jobs (`routes::exports`).
pub async fn export_csv(req: &Request, app: &App, survey_id: &str) -> Result<Response, ApiError> {
    let query = http::query(req)?;
    let category = http::param(&query, "category");
    // Checks the survey, the category and the size before the first byte is sent.
    crate::service::exports::csv_streamable(&app.store, survey_id, category, app.d1_budget).await?;
    let category = category.and_then(nps_shared::Category::parse);
    let store = SqlStore::new(crate::app::database(&app.env)?);
    let survey_id = survey_id.to_string();
    // State: (store, cursor, header sent?, finished?)
    let pages = futures_util::stream::unfold(
        (store, None::<String>, false, false),
        move |(store, cursor, header_sent, done)| {
            let survey_id = survey_id.clone();
            async move {
                if done {
                    return None;
                }
                if !header_sent {
                    return Some((Ok(csv::header().into_bytes()), (store, cursor, true, false)));
                }
                let page = store
                    .export_page(&survey_id, category, None, cursor.as_deref(), EXPORT_PAGE)
                    .await
                    .map_err(|e| worker::Error::RustError(e.to_string()));
                match page {
                    Err(e) => Some((Err(e), (store, cursor, true, true))),
                    Ok(rows) => {
                        let last = (rows.len() < EXPORT_PAGE as usize).then_some(());
                        let next = rows.last().map(|r| r.response.id.clone());
                        let chunk: String = rows.iter().map(ExportRow::csv_record).collect();
                        Some((Ok(chunk.into_bytes()), (store, next, true, last.is_some())))
                    }
                }
            }
        },
    );
    let mut response = Response::from_stream(pages)?;
    let headers = response.headers_mut();
    headers.set("Content-Type", "text/csv; charset=utf-8; header=present")?;
    headers.set(
        "Content-Disposition",
        &format!(
            "attachment; filename=\"{}-responses.csv\"",
            survey_id_for_file(req)
        ),
    )?;
    Ok(response)
}

/// Rows fetched per D1 query of an export.
const EXPORT_PAGE: u32 = 500;

fn survey_id_for_file(req: &Request) -> String {
    // The id is s_ and [a-z0-9_-] only once it reached here, safe in a header.
    req.path().split('/').nth(3).unwrap_or("survey").to_string()
}
