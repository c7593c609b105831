//! Relationship surveys (`service::campaigns`): `POST /v1/campaigns` takes the customer
//! list as its body — `text/csv` or `application/x-ndjson`, at most
//! `nps_shared::campaign::MAX_LIST_BYTES` — and the settings in the query string
//! (`survey_id`, `name`, `schedule`, `starts_at`, `throttle_days`);
//! `POST /v1/campaigns/{id}/recipients` adds a part the same way. `GET` lists and
//! shows progress, `PATCH` pauses or resumes, `DELETE` removes a campaign and its list.

use crate::app::{App, now_ms};
use crate::error::ApiError;
use crate::http;
use crate::service::audit::Change;
use crate::service::campaigns::{self, ListFormat, NewCampaign};
use nps_shared::campaign::{MAX_LIST_BYTES, Recipient, UpdateCampaign};
use nps_shared::problem::ProblemKind;
use nps_shared::staff::{AuditAction, Principal};
use worker::{Request, Response};

/// The list in the body: 415 for another media type, 413 past the size bound, 400 if
/// it is not UTF-8, 422 naming the bad lines.
async fn read_list(req: &mut Request) -> Result<Vec<Recipient>, ApiError> {
    let (media_type, content_type) = http::media_type(req)?;
    let format = ListFormat::from_media_type(&media_type).ok_or_else(|| {
        ApiError::new(
            ProblemKind::UnsupportedMediaType,
            format!("send the list as text/csv or application/x-ndjson (got {content_type:?})"),
        )
    })?;
    let bytes = http::read_bounded(req, MAX_LIST_BYTES, || {
        format!(
            "a list upload must be at most {MAX_LIST_BYTES} bytes: send a longer one in \
             parts to POST /v1/campaigns/{{id}}/recipients"
        )
    })
    .await?;
    let text = String::from_utf8(bytes)
        .map_err(|_| ApiError::new(ProblemKind::MalformedJson, "the list must be UTF-8 text"))?;
    Ok(campaigns::read_list(format, &text)?)
}

pub async fn create(req: &mut Request, app: &App, who: &Principal) -> Result<Response, ApiError> {
    app.require_invitation_secret()?;
    let query = http::query(req)?;
    let settings = NewCampaign::parse(|name| query.get(name).cloned())?;
    let recipients = read_list(req).await?;
    let base = http::base_url(req)?;
    let view = campaigns::create(
        &app.store,
        &app.objects,
        &app.jobs,
        settings,
        &recipients,
        &base,
        now_ms(),
    )
    .await?;
    let summary = format!(
        "{} for survey {}: {} people, {}",
        view.name,
        view.survey_id,
        view.recipients,
        view.schedule.as_str()
    );
    let change = Change::new(AuditAction::CampaignCreated, &view.id, summary);
    super::audit(app, who, change).await;
    let mut response = http::json(201, &view)?;
    response
        .headers_mut()
        .set("Location", &format!("/v1/campaigns/{}", view.id))?;
    Ok(response)
}

pub async fn add_recipients(req: &mut Request, app: &App, id: &str) -> Result<Response, ApiError> {
    let recipients = read_list(req).await?;
    let view =
        campaigns::add_recipients(&app.store, &app.objects, id, &recipients, now_ms()).await?;
    http::json(200, &view)
}

pub async fn list(app: &App) -> Result<Response, ApiError> {
    http::json(200, &campaigns::list(&app.store).await?)
}

pub async fn get(app: &App, id: &str) -> Result<Response, ApiError> {
    http::json(200, &campaigns::get(&app.store, id).await?)
}

pub async fn update(
    req: &mut Request,
    app: &App,
    id: &str,
    who: &Principal,
) -> Result<Response, ApiError> {
    let request: UpdateCampaign = http::decode(http::read_json(req).await?)?;
    let view = campaigns::update(&app.store, &app.jobs, id, &request, now_ms()).await?;
    let change = Change::new(AuditAction::CampaignUpdated, id, request.status.clone());
    super::audit(app, who, change).await;
    http::json(200, &view)
}

pub async fn delete(app: &App, id: &str, who: &Principal) -> Result<Response, ApiError> {
    campaigns::delete(&app.store, &app.objects, id).await?;
    let change = Change::new(AuditAction::CampaignDeleted, id, "deleted with its list");
    super::audit(app, who, change).await;
    http::no_content()
}
