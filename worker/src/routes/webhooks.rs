//! Admin webhook endpoints: create (secret shown once), list, delete.

use crate::app::{App, now_ms};
use crate::error::ApiError;
use crate::http;
use crate::service::webhooks;
use nps_shared::api::CreateWebhook;
use worker::{Request, Response};

pub async fn create(req: &mut Request, app: &App) -> Result<Response, ApiError> {
    let request: CreateWebhook = http::decode(http::read_json(req).await?)?;
    http::json(201, &webhooks::create(&app.db, request, now_ms()).await?)
}

pub async fn list(app: &App) -> Result<Response, ApiError> {
    http::json(200, &webhooks::list(&app.db).await?)
}

pub async fn delete(app: &App, id: &str) -> Result<Response, ApiError> {
    webhooks::delete(&app.db, id).await?;
    http::no_content()
}
