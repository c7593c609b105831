//! Case endpoints: `GET /v1/cases`, `GET|PATCH /v1/cases/{id}`, `POST
//! /v1/cases/{id}/reask`, and the playbook of what was offered per cause, `GET
//! /v1/playbook`. Who makes a change is the request's principal (a key's
//! name, a signed-in person's e-mail, or what the bootstrap token's holder sent as
//! `X-Actor`), never a header an API key or a person could set.

use crate::app::{App, now_ms};
use crate::error::ApiError;
use crate::http;
use crate::service::audit::{self, Change};
use crate::service::cases;
use nps_shared::case::CasePatch;
use nps_shared::staff::{AuditAction, Principal};
use worker::{Request, Response};

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

pub async fn playbook(req: &Request, app: &App) -> Result<Response, ApiError> {
    let query = http::query(req)?;
    let get = |name: &str| http::param(&query, name);
    http::json(
        200,
        &cases::playbook(&app.store, get("cause"), get("survey_id")).await?,
    )
}

pub async fn reask(
    req: &Request,
    app: &App,
    id: &str,
    who: &Principal,
) -> Result<Response, ApiError> {
    let secret = app.require_invitation_secret()?;
    let base = http::base_url(req)?;
    let done = cases::reask(
        &app.store,
        &app.queue,
        id,
        Some(&who.actor),
        secret,
        &base,
        now_ms(),
    )
    .await?;
    super::log_follow_ups(&done, &format!("case {id} re-asked"));
    let change = Change::new(AuditAction::CaseReasked, id, "the customer was asked again");
    super::audit(app, who, change).await;
    http::json(201, &done.value)
}

pub async fn update(
    req: &mut Request,
    app: &App,
    id: &str,
    who: &Principal,
) -> Result<Response, ApiError> {
    let patch: CasePatch = http::decode(http::read_json(req).await?)?;
    let summary = audit::case_summary(&patch);
    let done = cases::update(
        &app.store,
        &app.queue,
        id,
        patch,
        Some(&who.actor),
        now_ms(),
    )
    .await?;
    super::log_follow_ups(&done, &format!("case {id} saved"));
    super::audit(app, who, Change::new(AuditAction::CaseUpdated, id, summary)).await;
    http::json(200, &done.value)
}
