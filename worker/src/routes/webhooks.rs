//! Admin webhook endpoints: create (secret shown once), list, switch off and on,
//! rotate the secret (the new one shown once), send a test event, delete; their
//! deliveries with every attempt, and replay.

use crate::app::{App, now_ms};
use crate::error::ApiError;
use crate::http;
use crate::service::audit::Change;
use crate::service::{deliveries, webhooks};
use nps_shared::api::{CreateWebhook, RotateSecret, WebhookPatch};
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

pub async fn update(
    req: &mut Request,
    app: &App,
    id: &str,
    who: &Principal,
) -> Result<Response, ApiError> {
    let patch: WebhookPatch = http::decode(http::read_json(req).await?)?;
    let updated = webhooks::update(&app.store, id, patch).await?;
    let summary = if updated.enabled {
        "enabled"
    } else {
        "disabled"
    };
    let change = Change::new(AuditAction::WebhookUpdated, id, summary);
    super::audit(app, who, change).await;
    http::json(200, &updated)
}

/// The body is optional: without one (no `Content-Type`), the default overlap.
pub async fn rotate_secret(
    req: &mut Request,
    app: &App,
    id: &str,
    who: &Principal,
) -> Result<Response, ApiError> {
    let request: RotateSecret = if req.headers().get("Content-Type")?.is_some() {
        http::decode(http::read_json(req).await?)?
    } else {
        RotateSecret::default()
    };
    let rotated = webhooks::rotate_secret(&app.store, id, request, now_ms()).await?;
    // Never the secrets: only how long the old one still signs.
    let summary = match &rotated.endpoint.previous_secret_expires_at {
        Some(until) => format!("rotated; the old secret signs until {until}"),
        None => "rotated; the old secret no longer signs".to_owned(),
    };
    let change = Change::new(AuditAction::WebhookSecretRotated, id, summary);
    super::audit(app, who, change).await;
    http::json(200, &rotated)
}

pub async fn test(app: &App, id: &str) -> Result<Response, ApiError> {
    let done = webhooks::send_test(&app.store, &app.queue, id, now_ms()).await?;
    super::log_follow_ups(&done, &format!("test event to {id}"));
    http::json(202, &done.value)
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
