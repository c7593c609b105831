//! Rate limits at the edge: which client and survey a request counts against, and
//! which limiter counts it (`service::limits`):
//! - answers (`POST /v1/responses`): exact, at the survey's `rate_limit_per_minute`
//!   (else [`App::rate_limit_per_minute`]) — in the ingest gate's memory (`gate`), or
//!   here in D1 when no gate is bound;
//! - public reads (a survey's config, its hosted page), comments and ids that name no
//!   survey: the Workers Rate Limiting binding `PUBLIC_LIMITER`, approximate, its limit
//!   in wrangler.toml — no D1 write, and for a known survey no D1 query at all;
//! - failed admin authentications: exact, in D1, written only on a failure.

use crate::app::{App, now_ms};
use crate::error::ApiError;
use crate::http;
use crate::service::{ServiceError, limits, surveys};
use nps_shared::api::SurveyView;
use nps_shared::rate_limit::UNKNOWN_SURVEY;
use worker::Request;

/// Counts a public read of `survey_id` (its config, its hosted page) with the flood
/// limiter. Surveys the cache does not know count together per client, so that asking
/// for ever new ids is limited too, before the handler reads D1 for one.
pub async fn read(req: &Request, app: &App, survey_id: &str) -> Result<(), ApiError> {
    let client = http::client(req);
    let admitted = limits::admit_read(&app.store, &app.limiter, &client, survey_id, now_ms());
    uncounted_is_logged(admitted.await?, survey_id);
    Ok(())
}

/// Counts a comment with the flood limiter, before its answer is read.
pub async fn comment(req: &Request, app: &App) -> Result<(), ApiError> {
    let admitted = limits::admit_comment(&app.limiter, &http::client(req), now_ms()).await?;
    uncounted_is_logged(admitted, "(a comment)");
    Ok(())
}

/// Counts an answer for `survey_id`, exactly. Answers for surveys that do not exist
/// (made-up ids, old links) count together per client, at the worker's default limit;
/// the handler then answers 404.
pub async fn answer(req: &Request, app: &App, survey_id: &str) -> Result<(), ApiError> {
    match surveys::get(&app.store, survey_id).await {
        Ok(survey) => Ok(admit(req, app, &survey).await?),
        Err(ServiceError::NotFound(_)) => Ok(unknown(req, app).await?),
        Err(e) => Err(e.into()),
    }
}

/// Counts an answer that named no survey that exists, exactly.
async fn unknown(req: &Request, app: &App) -> Result<(), ServiceError> {
    count(req, app, UNKNOWN_SURVEY, app.rate_limit_per_minute).await
}

/// Counts an answer for `survey`, which the handler has already loaded, exactly, at
/// the survey's `rate_limit_per_minute`.
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
    let admitted = limits::admit_public(&app.store, &client, subject, per_minute, now_ms()).await?;
    uncounted_is_logged(admitted, subject);
    Ok(())
}

fn uncounted_is_logged(admitted: limits::Admission, subject: &str) {
    if let limits::Admission::Uncounted(e) = admitted {
        worker::console_warn!("a request for survey {subject} was let through uncounted: {e}");
    }
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
