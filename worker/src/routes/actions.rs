//! Action plan endpoints: `GET|POST /v1/actions`, `GET|PATCH /v1/actions/{id}`; every
//! change is written to the audit log under the request's principal.

use crate::app::{App, now_ms};
use crate::error::ApiError;
use crate::http;
use crate::service::actions;
use crate::service::audit::Change;
use nps_shared::action::{ActionPatch, NewAction};
use nps_shared::staff::{AuditAction, Principal};
use worker::{Request, Response};

pub async fn list(req: &Request, app: &App) -> Result<Response, ApiError> {
    let query = http::query(req)?;
    let get = |name: &str| http::param(&query, name);
    let page = actions::list(
        &app.store,
        get("status"),
        get("survey_id"),
        get("cursor"),
        get("limit"),
    )
    .await?;
    http::json(200, &page)
}

pub async fn get(app: &App, id: &str) -> Result<Response, ApiError> {
    http::json(200, &actions::get(&app.store, id, now_ms()).await?)
}

pub async fn create(req: &mut Request, app: &App, who: &Principal) -> Result<Response, ApiError> {
    let request: NewAction = http::decode(http::read_json(req).await?)?;
    let plan = actions::create(&app.store, request, now_ms()).await?;
    let change = Change::new(
        AuditAction::ActionCreated,
        &plan.id,
        plan.fields.title.clone(),
    );
    super::audit(app, who, change).await;
    http::json(201, &plan)
}

pub async fn update(
    req: &mut Request,
    app: &App,
    id: &str,
    who: &Principal,
) -> Result<Response, ApiError> {
    let patch: ActionPatch = http::decode(http::read_json(req).await?)?;
    let summary = patch.summary();
    let plan = actions::update(&app.store, id, patch, now_ms()).await?;
    super::audit(
        app,
        who,
        Change::new(AuditAction::ActionUpdated, id, summary),
    )
    .await;
    http::json(200, &plan)
}
