//! `POST /v1/responses`, `PATCH /v1/responses/{id}` (public, CORS) and
//! `GET /v1/surveys/{id}/responses` (admin).

use crate::app::{App, now_ms};
use crate::error::ApiError;
use crate::http;
use crate::service::responses;
use worker::{Request, Response, console_warn};

pub async fn create(req: &mut Request, app: &App) -> Result<Response, ApiError> {
    let body = http::read_json(req).await?;
    let key = req.headers().get("Idempotency-Key")?;
    let origin = http::origin(req);
    let submitted = responses::submit(
        &app.stores(),
        &body,
        key.as_deref(),
        origin.as_deref(),
        app.invitation_secret(),
        now_ms(),
    )
    .await?;
    for e in &submitted.side_effect_errors {
        console_warn!(
            "response {} stored; a follow-up failed: {e}",
            submitted.created.id
        );
    }
    http::json(
        if submitted.replayed { 200 } else { 201 },
        &submitted.created,
    )
}

pub async fn update(req: &mut Request, app: &App, id: &str) -> Result<Response, ApiError> {
    let body = http::read_json(req).await?;
    let origin = http::origin(req);
    let added =
        responses::add_comment(&app.stores(), id, &body, origin.as_deref(), now_ms()).await?;
    if let Some(e) = &added.dispatch_error {
        console_warn!("comment on {id} stored, webhooks not queued: {e}");
    }
    http::json(200, &added)
}

pub async fn list(req: &Request, app: &App, survey_id: &str) -> Result<Response, ApiError> {
    let query = http::query(req)?;
    let get = |name: &str| {
        query
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    };
    let page = responses::list(
        &app.surveys,
        &app.db,
        survey_id,
        get("category"),
        get("cursor"),
        get("limit"),
    )
    .await?;
    http::json(200, &page)
}
