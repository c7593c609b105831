//! `GET /v1/surveys/{id}/config` (public, CORS) and the admin survey endpoints.

use crate::app::{App, now_ms};
use crate::error::ApiError;
use crate::http;
use crate::service::audit::{self, Change};
use crate::service::surveys;
use nps_shared::api::{CreateSurvey, SurveyPatch};
use nps_shared::staff::{AuditAction, Principal};
use worker::{Request, Response};

pub async fn config(req: &Request, app: &App, id: &str) -> Result<Response, ApiError> {
    super::limits::public(req, app, id).await?;
    let query = http::query(req)?;
    let origin = http::origin(req);
    let config = surveys::config(
        &app.store,
        id,
        query.get("locale").map(String::as_str),
        origin.as_deref(),
    )
    .await?;
    let mut response = http::json(200, &config)?;
    // Browsers may reuse it briefly; edits show within a minute.
    response
        .headers_mut()
        .set("Cache-Control", "public, max-age=60")?;
    Ok(response)
}

pub async fn create(req: &mut Request, app: &App, who: &Principal) -> Result<Response, ApiError> {
    let request: CreateSurvey = http::decode(http::read_json(req).await?)?;
    let survey = surveys::create(&app.store, request, now_ms()).await?;
    let summary = format!("created {:?}", survey.definition.name);
    super::audit(
        app,
        who,
        Change::new(AuditAction::SurveyCreated, &survey.id, summary),
    )
    .await;
    let mut response = http::json(201, &survey)?;
    response
        .headers_mut()
        .set("Location", &format!("/v1/surveys/{}", survey.id))?;
    Ok(response)
}

pub async fn list(app: &App) -> Result<Response, ApiError> {
    http::json(200, &surveys::list(&app.store).await?)
}

pub async fn get(app: &App, id: &str) -> Result<Response, ApiError> {
    http::json(200, &surveys::get(&app.store, id).await?)
}

pub async fn update(
    req: &mut Request,
    app: &App,
    id: &str,
    who: &Principal,
) -> Result<Response, ApiError> {
    let patch: SurveyPatch = http::decode(http::read_json(req).await?)?;
    let summary = audit::survey_summary(&patch);
    let survey = surveys::update(&app.store, id, patch, now_ms()).await?;
    super::audit(
        app,
        who,
        Change::new(AuditAction::SurveyUpdated, id, summary),
    )
    .await;
    http::json(200, &survey)
}

pub async fn report(req: &Request, app: &App, id: &str) -> Result<Response, ApiError> {
    use crate::service::reports;
    let params = http::query(req)?;
    let mut query = reports::parse_query(&params)?;
    let source = reports::parse_source(&params)?;
    if let Some(name) = http::param(&params, "time_zone") {
        let zones = crate::intl::IntlZones;
        reports::resolve_zone(&app.store, id, &mut query, name, &zones, now_ms()).await?;
    }
    http::json(200, &reports::report(&app.store, id, &query, source).await?)
}
