//! Rate limits at the edge: which client and survey a request counts against, and the
//! limit that applies (the survey's `rate_limit_per_minute`, else the worker's
//! default). The counting is `service::limits`.

use crate::app::{App, now_ms};
use crate::error::ApiError;
use crate::http;
use crate::service::{ServiceError, limits, surveys};
use nps_shared::api::SurveyView;
use nps_shared::rate_limit::UNKNOWN_SURVEY;
use nps_shared::validate::is_survey_id;
use worker::Request;

/// Counts a public request for `survey_id`. Requests for surveys that do not exist
/// (made-up ids, old links) count together per client, at the worker's default limit,
/// so that asking for ever new ids is limited too; the handler then answers 404.
pub async fn public(req: &Request, app: &App, survey_id: &str) -> Result<(), ApiError> {
    if !is_survey_id(survey_id) {
        return Ok(unknown(req, app).await?);
    }
    match surveys::get(&app.store, survey_id).await {
        Ok(survey) => Ok(admit(req, app, &survey).await?),
        Err(ServiceError::NotFound(_)) => Ok(unknown(req, app).await?),
        Err(e) => Err(e.into()),
    }
}

/// Counts a public request that named no survey that exists (an unknown answer id).
pub async fn unknown(req: &Request, app: &App) -> Result<(), ServiceError> {
    count(req, app, UNKNOWN_SURVEY, app.rate_limit_per_minute).await
}

/// Counts a public request for `survey`, which the handler has already loaded (a
/// comment's survey is only known once its answer is read).
pub async fn admit(req: &Request, app: &App, survey: &SurveyView) -> Result<(), ServiceError> {
    let per_minute = survey
        .definition
        .rate_limit_per_minute
        .unwrap_or(app.rate_limit_per_minute);
    count(req, app, &survey.id, per_minute).await
}

async fn count(
    req: &Request,
    app: &App,
    subject: &str,
    per_minute: u32,
) -> Result<(), ServiceError> {
    let client = http::client(req);
    if let limits::Admission::Uncounted(e) =
        limits::admit_public(&app.store, &client, subject, per_minute, now_ms()).await?
    {
        worker::console_warn!("a request for survey {subject} was let through uncounted: {e}");
    }
    Ok(())
}

/// 429 for a client that failed admin authentication too often this minute.
pub async fn admin_lockout(req: &Request, app: &App) -> Result<(), ApiError> {
    limits::check_admin_failures(
        &app.store,
        &http::client(req),
        app.admin_auth_failures_per_minute,
        now_ms(),
    )
    .await?;
    Ok(())
}

/// Counts a failed admin authentication; a storage failure here only loses a count.
pub async fn admin_failed(req: &Request, app: &App) {
    if let Err(e) = limits::record_admin_failure(&app.store, &http::client(req), now_ms()).await {
        worker::console_warn!("a failed admin authentication was not counted: {e}");
    }
}
