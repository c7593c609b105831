//! The staff's own endpoints: `GET /v1/me` (who is signed in, with which scopes),
//! API keys (`GET|POST /v1/api-keys`, `DELETE /v1/api-keys/{id}`) and the audit log
//! (`GET /v1/audit`).

use crate::app::{App, now_ms};
use crate::error::ApiError;
use crate::http;
use crate::service::{api_keys, audit};
use nps_shared::staff::{CreateApiKey, Principal};
use worker::{Request, Response};

pub fn me(who: &Principal) -> Result<Response, ApiError> {
    http::json(200, &who.me())
}

pub async fn list_keys(app: &App) -> Result<Response, ApiError> {
    http::json(200, &api_keys::list(&app.store).await?)
}

/// 201 with the secret: the only time it is shown.
pub async fn create_key(
    req: &mut Request,
    app: &App,
    who: &Principal,
) -> Result<Response, ApiError> {
    let request: CreateApiKey = http::decode(http::read_json(req).await?)?;
    let created = api_keys::create(&app.store, who, request, now_ms()).await?;
    let mut response = http::json(201, &created)?;
    response.headers_mut().set("Cache-Control", "no-store")?;
    Ok(response)
}

pub async fn revoke_key(app: &App, id: &str, who: &Principal) -> Result<Response, ApiError> {
    api_keys::revoke(&app.store, who, id, now_ms()).await?;
    http::no_content()
}

pub async fn audit(req: &Request, app: &App) -> Result<Response, ApiError> {
    let query = http::query(req)?;
    let get = |name: &str| http::param(&query, name);
    let page = audit::list(
        &app.store,
        get("action"),
        get("actor"),
        get("cursor"),
        get("limit"),
    )
    .await?;
    http::json(200, &page)
}
