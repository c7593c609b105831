//! Shop connectors: create (secret shown once), list, delete, their events (admin);
//! and the receiver `POST /hooks/connectors/{id}` the shop's webhooks are sent to —
//! no token, no CORS: the platform's signature over the raw body is the credential.

use crate::app::{App, now_ms};
use crate::error::ApiError;
use crate::http;
use crate::service::audit::Change;
use crate::service::connectors::{self, Delivery, Receipt};
use nps_shared::connector::{CreateConnector, MAX_BODY_BYTES};
use nps_shared::problem::ProblemKind;
use nps_shared::staff::{AuditAction, Principal};
use worker::{Request, Response};

pub async fn create(req: &mut Request, app: &App, who: &Principal) -> Result<Response, ApiError> {
    let request: CreateConnector = http::decode(http::read_json(req).await?)?;
    let base = http::base_url(req)?;
    let created = connectors::create(&app.store, request, &base, now_ms()).await?;
    let c = &created.connector;
    let summary = format!(
        "{} connector for survey {}",
        c.platform.as_str(),
        c.survey_id
    );
    let change = Change::new(AuditAction::ConnectorCreated, &c.id, summary);
    super::audit(app, who, change).await;
    http::json(201, &created)
}

pub async fn list(req: &Request, app: &App) -> Result<Response, ApiError> {
    let base = http::base_url(req)?;
    http::json(200, &connectors::list(&app.store, &base).await?)
}

pub async fn delete(app: &App, id: &str, who: &Principal) -> Result<Response, ApiError> {
    connectors::delete(&app.store, id, now_ms()).await?;
    let change = Change::new(AuditAction::ConnectorDeleted, id, "deleted");
    super::audit(app, who, change).await;
    http::no_content()
}

pub async fn events(req: &Request, app: &App, id: &str) -> Result<Response, ApiError> {
    let query = http::query(req)?;
    let get = |name: &str| http::param(&query, name);
    http::json(
        200,
        &connectors::events(&app.store, id, get("cursor"), get("limit")).await?,
    )
}

/// The receiver: 200 with the outcome (accepted, duplicate, ignored), 401 when the
/// signature is missing or wrong, 404 for a connector that does not exist (any more),
/// 413 beyond [`MAX_BODY_BYTES`]. The body is read as bytes, as it was signed.
pub async fn receive(req: &mut Request, app: &App, id: &str) -> Result<Response, ApiError> {
    let body = http::read_bounded(req, MAX_BODY_BYTES, || {
        format!("the body must be at most {MAX_BODY_BYTES} bytes")
    })
    .await?;
    let secret = app.require_invitation_secret()?;
    let base = http::base_url(req)?;
    let client = http::client(req);
    let headers = req.headers().clone();
    let header = move |name: &str| headers.get(name).ok().flatten();
    let delivery = Delivery {
        header: &header,
        body: &body,
    };
    match connectors::receive(
        &app.store,
        (&app.limiter, &client),
        id,
        delivery,
        secret,
        &base,
        now_ms(),
    )
    .await?
    {
        Receipt::Received(received) => http::json(200, &received),
        Receipt::BadSignature(reason) => Err(ApiError::new(ProblemKind::Unauthorized, reason)),
    }
}
