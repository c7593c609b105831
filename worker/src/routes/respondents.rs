//! Admin GDPR endpoints: export and erase one respondent's data.

use crate::app::{App, now_ms};
use crate::error::ApiError;
use crate::http;
use crate::service::audit::{self, Change};
use crate::service::{ServiceError, respondents};
use nps_shared::staff::{AuditAction, Principal};
use worker::Response;

/// The `{id}` segment as sent: percent-encoded (`kim%40example.com`).
fn decoded(segment: &str) -> Result<String, ApiError> {
    js_sys::decode_uri_component(segment)
        .map(String::from)
        .map_err(|_| ServiceError::invalid("id", "is not valid percent-encoded UTF-8").into())
}

pub async fn export(app: &App, id: &str) -> Result<Response, ApiError> {
    let id = decoded(id)?;
    http::json(200, &respondents::export(&app.store, &id, now_ms()).await?)
}

pub async fn erase(app: &App, id: &str, who: &Principal) -> Result<Response, ApiError> {
    let id = decoded(id)?;
    let erased = respondents::erase(
        &app.store,
        &app.jobs,
        &id,
        app.invitation_secret(),
        now_ms(),
    )
    .await?;
    // Not the respondent: a hash of the id, and how much went.
    let summary = format!(
        "erased {} answers, {} cases, {} invitations, {} deliveries",
        erased.answers, erased.cases, erased.invitations, erased.deliveries
    );
    let change = Change::new(
        AuditAction::RespondentErased,
        &audit::respondent_ref(&id),
        summary,
    );
    super::audit(app, who, change).await;
    http::json(200, &erased)
}
