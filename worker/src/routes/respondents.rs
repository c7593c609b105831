//! Admin GDPR endpoints: export and erase one respondent's data.

use crate::app::{App, now_ms};
use crate::error::ApiError;
use crate::http;
use crate::service::{ServiceError, respondents};
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

pub async fn erase(app: &App, id: &str) -> Result<Response, ApiError> {
    let id = decoded(id)?;
    http::json(200, &respondents::erase(&app.store, &id).await?)
}
