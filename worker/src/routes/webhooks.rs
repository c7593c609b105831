//! Admin webhook endpoints: create (secret shown once), list, delete; their
//! deliveries with every attempt, and replay.

use crate::app::{App, now_ms};
use crate::error::ApiError;
use crate::http;
use crate::service::audit::Change;
use crate::service::{deliveries, webhooks};
use nps_shared::api::CreateWebhook;
use nps_shared::staff::{AuditAction, Principal};
use worker::{Request, Response};

pub async fn create(req: &mut Request, app: &App, who: &Principal) -> Result<Response, ApiError> {
    let request: CreateWebhook = http::decode(http::read_json(req).await?)?;
    let created =
        webhooks::create(&app.store, request, app.allow_private_targets, now_ms()).await?;
    // The host only: a Slack URL's path is its secret.
    let host = worker::Url::parse(&created.endpoint.url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_default();
    let summary = format!("{} endpoint at {host}", created.endpoint.format.as_str());
    let change = Change::new(AuditAction::WebhookCreated, &created.endpoint.id, summary);
    super::audit(app, who, change).await;
    http::json(201, &created)
}

pub async fn list(app: &App) -> Result<Response, ApiError> {
    http::json(200, &webhooks::list(&app.store).await?)
}

pub async fn delete(app: &App, id: &str, who: &Principal) -> Result<Response, ApiError> {
    webhooks::delete(&app.store, id).await?;
    super::audit(
        app,
        who,
        Change::new(AuditAction::WebhookDeleted, id, "deleted"),
    )
    .await;
    http::no_content()
}

pub async fn deliveries(req: &Request, app: &App, id: &str) -> Result<Response, ApiError> {
    let query = http::query(req)?;
    let get = |name: &str| http::param(&query, name);
    http::json(
        200,
        &deliveries::list(&app.store, id, get("cursor"), get("limit")).await?,
    )
}

pub async fn replay(app: &App, id: &str, delivery_id: &str) -> Result<Response, ApiError> {
    let done = deliveries::replay(&app.store, &app.queue, id, delivery_id, now_ms()).await?;
    super::log_follow_ups(&done, &format!("replay of {delivery_id}"));
    http::json(202, &done.value)
}
