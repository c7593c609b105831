//! Admin case endpoints: `GET /v1/cases`, `GET|PATCH /v1/cases/{id}`.

use crate::app::{App, now_ms};
use crate::error::ApiError;
use crate::http;
use crate::service::cases;
use nps_shared::case::CasePatch;
use worker::{Request, Response};

/// Who makes a change, for the timeline: the e-mail of a person signed in through
/// Cloudflare Access (never overridden), else the `X-Actor` header (a name or e-mail the
/// help desk or dashboard sends), since the admin token itself names nobody.
async fn actor(req: &Request, app: &App) -> Result<Option<String>, ApiError> {
    if let Some(user) = crate::access::signed_in(req, app).await? {
        return Ok(Some(user.email));
    }
    Ok(req
        .headers()
        .get("X-Actor")?
        .map(|a| a.trim().chars().take(200).collect::<String>())
        .filter(|a| !a.is_empty()))
}

pub async fn list(req: &Request, app: &App) -> Result<Response, ApiError> {
    let query = http::query(req)?;
    let get = |name: &str| http::param(&query, name);
    let page = cases::list(
        &app.store,
        get("status"),
        get("owner"),
        get("survey_id"),
        get("cursor"),
        get("limit"),
        now_ms(),
    )
    .await?;
    http::json(200, &page)
}

pub async fn get(app: &App, id: &str) -> Result<Response, ApiError> {
    http::json(200, &cases::get(&app.store, id, now_ms()).await?)
}

pub async fn reask(req: &Request, app: &App, id: &str) -> Result<Response, ApiError> {
    let secret = app.require_invitation_secret()?;
    let actor = actor(req, app).await?;
    let base = http::base_url(req)?;
    let done = cases::reask(
        &app.store,
        &app.queue,
        id,
        actor.as_deref(),
        secret,
        &base,
        now_ms(),
    )
    .await?;
    super::log_follow_ups(&done, &format!("case {id} re-asked"));
    http::json(201, &done.value)
}

pub async fn update(req: &mut Request, app: &App, id: &str) -> Result<Response, ApiError> {
    let actor = actor(req, app).await?;
    let patch: CasePatch = http::decode(http::read_json(req).await?)?;
    let done = cases::update(
        &app.store,
        &app.queue,
        id,
        patch,
        actor.as_deref(),
        now_ms(),
    )
    .await?;
    super::log_follow_ups(&done, &format!("case {id} saved"));
    http::json(200, &done.value)
}
