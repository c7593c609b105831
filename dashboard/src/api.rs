//! All network I/O of the dashboard: the same-origin admin API, typed with the wire
//! types of `nps-shared`, every call carrying `Authorization: Bearer <token>` — or, for
//! a person Cloudflare Access signed in, nothing: Access's edge adds its
//! `Cf-Access-Jwt-Assertion` to every request that reaches the worker.
//!
//! Failures come back as an [`ApiError`] with the problem+json's title and detail (and
//! field errors), so views can show them inline; nothing here touches the DOM or the
//! session — a view decides what a 401 means.

use gloo_net::http::{Request, RequestBuilder, Response};
use nps_shared::action::{ActionPatch, ActionView, NewAction};
use nps_shared::api::{
    CreateSurvey, CreateWebhook, DeliveryView, Page, RotateSecret, SecretRotated, SurveyPatch,
    SurveyView, WebhookCreated, WebhookPatch, WebhookView,
};
use nps_shared::case::{CasePatch, CaseStatus, CaseView};
use nps_shared::cause::Playbook;
use nps_shared::coaching::Coaching;
use nps_shared::connector::{ConnectorEventView, ConnectorView, CreateConnector, CreatedConnector};
use nps_shared::export::{CreateExport, ExportView};
use nps_shared::report::Report;
use nps_shared::staff::{ApiKeyCreated, ApiKeyView, AuditEntry, CreateApiKey, Me};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::format::{ReportControls, encode_component, report_path};

/// The `X-Actor` this page writes into case timelines when signed in with the shared
/// bootstrap token (the server ignores it for an API key, whose name is the actor).
const ACTOR: &str = "dashboard";

/// How many cases or deliveries one page (one "Load more") brings.
pub const PAGE_SIZE: u32 = 20;

/// Why a call did not give what was expected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    /// The HTTP status, or 0 when there was no usable response.
    pub status: u16,
    /// The problem's title, or what went wrong locally.
    pub title: String,
    /// The problem's detail and field errors, if any.
    pub detail: Option<String>,
    /// The problem's `errors[]` as `(field, message)`, for showing at each field.
    pub fields: Vec<(String, String)>,
}

impl ApiError {
    fn local(title: impl Into<String>) -> ApiError {
        ApiError {
            status: 0,
            title: title.into(),
            detail: None,
            fields: Vec::new(),
        }
    }

    /// The token was missing, wrong or revoked (401). A 403 is a scope the token does
    /// not hold: the token stays good for everything else.
    pub fn is_auth(&self) -> bool {
        self.status == 401
    }

    /// One line for an inline error message.
    pub fn message(&self) -> String {
        match &self.detail {
            Some(detail) if !detail.is_empty() => format!("{}: {detail}", self.title),
            _ => self.title.clone(),
        }
    }
}

#[derive(Deserialize)]
struct FieldError {
    field: String,
    message: String,
}

/// The parts of an RFC 9457 body worth showing.
#[derive(Deserialize)]
struct Problem {
    title: String,
    #[serde(default)]
    detail: Option<String>,
    #[serde(default)]
    errors: Vec<FieldError>,
}

/// The admin API as one token sees it.
#[derive(Clone, Debug)]
pub struct Api {
    /// `None`: signed in by Cloudflare Access, which authenticates every request itself.
    token: Option<String>,
}

impl Api {
    pub fn new(token: &str) -> Api {
        Api {
            token: Some(token.to_owned()),
        }
    }

    /// The API as the person Cloudflare Access signed in for this page sees it.
    pub fn access() -> Api {
        Api { token: None }
    }

    fn authorized(&self, request: RequestBuilder) -> RequestBuilder {
        match &self.token {
            Some(token) => request.header("Authorization", &format!("Bearer {token}")),
            None => request,
        }
    }

    async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, ApiError> {
        let request = self
            .authorized(Request::get(path))
            .build()
            .map_err(|e| ApiError::local(e.to_string()))?;
        decode(request.send().await).await
    }

    /// Who the token is, and every scope it holds.
    pub async fn me(&self) -> Result<Me, ApiError> {
        self.get("/v1/me").await
    }

    pub async fn api_keys(&self) -> Result<Vec<ApiKeyView>, ApiError> {
        self.get("/v1/api-keys").await
    }

    pub async fn create_api_key(&self, body: &CreateApiKey) -> Result<ApiKeyCreated, ApiError> {
        self.send(Request::post("/v1/api-keys"), body).await
    }

    pub async fn revoke_api_key(&self, key_id: &str) -> Result<(), ApiError> {
        let request = self
            .authorized(Request::delete(&format!(
                "/v1/api-keys/{}",
                encode_component(key_id)
            )))
            .build()
            .map_err(|e| ApiError::local(e.to_string()))?;
        let response = request
            .send()
            .await
            .map_err(|e| ApiError::local(format!("The API did not answer ({e})")))?;
        if response.status() == 204 {
            Ok(())
        } else {
            decode::<serde_json::Value>(Ok(response)).await.map(|_| ())
        }
    }

    /// One page of the audit log, newest first, filtered by action and actor (empty:
    /// any).
    pub async fn audit(
        &self,
        action: &str,
        actor: &str,
        cursor: Option<&str>,
    ) -> Result<Page<AuditEntry>, ApiError> {
        let mut path = format!("/v1/audit?limit={PAGE_SIZE}{}", cursor_param(cursor));
        if !action.is_empty() {
            path.push_str(&format!("&action={}", encode_component(action)));
        }
        if !actor.trim().is_empty() {
            path.push_str(&format!("&actor={}", encode_component(actor.trim())));
        }
        self.get(&path).await
    }

    /// Starts an export job of the survey's answers (of `category`, all when `None`).
    pub async fn start_export(
        &self,
        survey_id: &str,
        category: Option<String>,
    ) -> Result<ExportView, ApiError> {
        let body = CreateExport {
            category,
            format: None,
        };
        let path = format!("/v1/surveys/{}/exports", encode_component(survey_id));
        self.send(Request::post(&path), &body).await
    }

    pub async fn export(&self, export_id: &str) -> Result<ExportView, ApiError> {
        self.get(&format!("/v1/exports/{}", encode_component(export_id)))
            .await
    }

    /// A finished export's CSV (`download_url`), as text: fetched with this page's
    /// credentials, which a plain link would not carry.
    pub async fn download(&self, download_url: &str) -> Result<String, ApiError> {
        let request = self
            .authorized(Request::get(download_url))
            .build()
            .map_err(|e| ApiError::local(e.to_string()))?;
        checked(request.send().await).await
    }

    pub async fn surveys(&self) -> Result<Vec<SurveyView>, ApiError> {
        self.get("/v1/surveys").await
    }

    pub async fn report(
        &self,
        survey_id: &str,
        controls: &ReportControls,
    ) -> Result<Report, ApiError> {
        let controls = ReportControls {
            from_utc_offset_minutes: crate::clock::offset_on(&controls.from),
            ..controls.clone()
        };
        match self.get(&report_path(survey_id, &controls)).await {
            // A zone the browser knows and the server's runtime does not (a brand-new
            // name): the trend at the browser's offset of today is the next best.
            Err(e)
                if controls.time_zone.is_some()
                    && e.status == 422
                    && e.fields.iter().any(|(field, _)| field == "time_zone") =>
            {
                let fixed = ReportControls {
                    time_zone: None,
                    ..controls
                };
                self.get(&report_path(survey_id, &fixed)).await
            }
            other => other,
        }
    }

    async fn send<B: Serialize, T: DeserializeOwned>(
        &self,
        request: RequestBuilder,
        body: &B,
    ) -> Result<T, ApiError> {
        let body = serde_json::to_string(body).map_err(|e| ApiError::local(e.to_string()))?;
        let request = self
            .authorized(request)
            .header("Content-Type", "application/json")
            .body(body)
            .map_err(|e| ApiError::local(e.to_string()))?;
        decode(request.send().await).await
    }

    pub async fn create_survey(&self, body: &CreateSurvey) -> Result<SurveyView, ApiError> {
        self.send(Request::post("/v1/surveys"), body).await
    }

    pub async fn patch_survey(
        &self,
        survey_id: &str,
        patch: &SurveyPatch,
    ) -> Result<SurveyView, ApiError> {
        self.send(
            Request::patch(&format!("/v1/surveys/{}", encode_component(survey_id))),
            patch,
        )
        .await
    }

    /// One page of the survey's cases in `status`, newest first; `cursor` is the
    /// previous page's `next_cursor`.
    pub async fn cases(
        &self,
        survey_id: &str,
        status: CaseStatus,
        cursor: Option<&str>,
    ) -> Result<Page<CaseView>, ApiError> {
        self.get(&format!(
            "/v1/cases?survey_id={}&status={}&limit={PAGE_SIZE}{}",
            encode_component(survey_id),
            status.as_str(),
            cursor_param(cursor),
        ))
        .await
    }

    pub async fn case(&self, case_id: &str) -> Result<CaseView, ApiError> {
        self.get(&format!("/v1/cases/{}", encode_component(case_id)))
            .await
    }

    /// `GET /v1/playbook`: what was offered for `cause` in the survey's resolved cases.
    pub async fn playbook(&self, cause: &str, survey_id: &str) -> Result<Playbook, ApiError> {
        self.get(&format!(
            "/v1/playbook?cause={}&survey_id={}",
            encode_component(cause),
            encode_component(survey_id),
        ))
        .await
    }

    pub async fn patch_case(&self, case_id: &str, patch: &CasePatch) -> Result<CaseView, ApiError> {
        let body = serde_json::to_string(patch).map_err(|e| ApiError::local(e.to_string()))?;
        let request = self
            .authorized(Request::patch(&format!(
                "/v1/cases/{}",
                encode_component(case_id)
            )))
            .header("X-Actor", ACTOR)
            .header("Content-Type", "application/json")
            .body(body)
            .map_err(|e| ApiError::local(e.to_string()))?;
        decode(request.send().await).await
    }

    /// The survey's action plans, newest first (the first page; without impact).
    pub async fn actions(&self, survey_id: &str) -> Result<Page<ActionView>, ApiError> {
        self.get(&format!(
            "/v1/actions?survey_id={}&limit=200",
            encode_component(survey_id)
        ))
        .await
    }

    /// One plan with its impact.
    pub async fn action(&self, action_id: &str) -> Result<ActionView, ApiError> {
        self.get(&format!("/v1/actions/{}", encode_component(action_id)))
            .await
    }

    pub async fn create_action(&self, body: &NewAction) -> Result<ActionView, ApiError> {
        self.send(Request::post("/v1/actions"), body).await
    }

    pub async fn patch_action(
        &self,
        action_id: &str,
        patch: &ActionPatch,
    ) -> Result<ActionView, ApiError> {
        self.send(
            Request::patch(&format!("/v1/actions/{}", encode_component(action_id))),
            patch,
        )
        .await
    }

    /// The coaching view of the survey over the days `from`–`to` (`YYYY-MM-DD`, both
    /// included).
    pub async fn coaching(
        &self,
        survey_id: &str,
        from: &str,
        to: &str,
    ) -> Result<Coaching, ApiError> {
        self.get(&format!(
            "/v1/coaching?survey_id={}&from={}&to={}",
            encode_component(survey_id),
            encode_component(from),
            encode_component(to)
        ))
        .await
    }

    /// The newest invitation e-mails of a survey (the send log's first page).
    pub async fn mail_sends(
        &self,
        survey_id: &str,
    ) -> Result<Page<nps_shared::mail_settings::MailSendView>, ApiError> {
        self.get(&format!(
            "/v1/mail-sends?survey_id={}&limit={PAGE_SIZE}",
            encode_component(survey_id)
        ))
        .await
    }

    pub async fn webhooks(&self) -> Result<Vec<WebhookView>, ApiError> {
        self.get("/v1/webhooks").await
    }

    /// One page of an endpoint's deliveries, newest first.
    pub async fn deliveries(
        &self,
        webhook_id: &str,
        cursor: Option<&str>,
    ) -> Result<Page<DeliveryView>, ApiError> {
        self.get(&format!(
            "/v1/webhooks/{}/deliveries?limit={PAGE_SIZE}{}",
            encode_component(webhook_id),
            cursor_param(cursor),
        ))
        .await
    }

    /// Creates an endpoint; the answer carries its secret, shown this once.
    pub async fn create_webhook(&self, body: &CreateWebhook) -> Result<WebhookCreated, ApiError> {
        self.send(Request::post("/v1/webhooks"), body).await
    }

    pub async fn patch_webhook(
        &self,
        webhook_id: &str,
        patch: &WebhookPatch,
    ) -> Result<WebhookView, ApiError> {
        self.send(
            Request::patch(&format!("/v1/webhooks/{}", encode_component(webhook_id))),
            patch,
        )
        .await
    }

    /// A new secret, shown this once; the old one keeps signing for the overlap.
    pub async fn rotate_secret(
        &self,
        webhook_id: &str,
        body: &RotateSecret,
    ) -> Result<SecretRotated, ApiError> {
        self.send(
            Request::post(&format!(
                "/v1/webhooks/{}/rotate-secret",
                encode_component(webhook_id)
            )),
            body,
        )
        .await
    }

    /// Queues a `webhook.test` delivery to the endpoint; the answer is that delivery.
    pub async fn test_webhook(&self, webhook_id: &str) -> Result<DeliveryView, ApiError> {
        let request = self
            .authorized(Request::post(&format!(
                "/v1/webhooks/{}/test",
                encode_component(webhook_id)
            )))
            .build()
            .map_err(|e| ApiError::local(e.to_string()))?;
        decode(request.send().await).await
    }

    pub async fn delete_webhook(&self, webhook_id: &str) -> Result<(), ApiError> {
        let request = self
            .authorized(Request::delete(&format!(
                "/v1/webhooks/{}",
                encode_component(webhook_id)
            )))
            .build()
            .map_err(|e| ApiError::local(e.to_string()))?;
        checked(request.send().await).await.map(|_| ())
    }

    pub async fn replay(
        &self,
        webhook_id: &str,
        delivery_id: &str,
    ) -> Result<DeliveryView, ApiError> {
        let request = self
            .authorized(Request::post(&format!(
                "/v1/webhooks/{}/deliveries/{}/replay",
                encode_component(webhook_id),
                encode_component(delivery_id)
            )))
            .build()
            .map_err(|e| ApiError::local(e.to_string()))?;
        decode(request.send().await).await
    }

    /// Shop connectors, without their secrets.
    pub async fn connectors(&self) -> Result<Vec<ConnectorView>, ApiError> {
        self.get("/v1/connectors").await
    }

    /// Creates a connector; the answer carries its secret, shown this once.
    pub async fn create_connector(
        &self,
        body: &CreateConnector,
    ) -> Result<CreatedConnector, ApiError> {
        self.send(Request::post("/v1/connectors"), body).await
    }

    pub async fn delete_connector(&self, connector_id: &str) -> Result<(), ApiError> {
        let request = self
            .authorized(Request::delete(&format!(
                "/v1/connectors/{}",
                encode_component(connector_id)
            )))
            .build()
            .map_err(|e| ApiError::local(e.to_string()))?;
        checked(request.send().await).await.map(|_| ())
    }

    /// One page of the webhooks a connector received, newest first.
    pub async fn connector_events(
        &self,
        connector_id: &str,
        cursor: Option<&str>,
    ) -> Result<Page<ConnectorEventView>, ApiError> {
        self.get(&format!(
            "/v1/connectors/{}/events?limit={PAGE_SIZE}{}",
            encode_component(connector_id),
            cursor_param(cursor),
        ))
        .await
    }
}

fn cursor_param(cursor: Option<&str>) -> String {
    cursor
        .map(|c| format!("&cursor={}", encode_component(c)))
        .unwrap_or_default()
}

/// A 2xx body as `T`, anything else as the problem it describes.
async fn decode<T: DeserializeOwned>(
    sent: Result<Response, gloo_net::Error>,
) -> Result<T, ApiError> {
    let text = checked(sent).await?;
    serde_json::from_str(&text).map_err(|e| ApiError {
        status: 0,
        title: "The API's answer was not understood".into(),
        detail: Some(e.to_string()),
        fields: Vec::new(),
    })
}

/// A 2xx body as text (empty for a 204), anything else as the problem it describes.
async fn checked(sent: Result<Response, gloo_net::Error>) -> Result<String, ApiError> {
    let response = sent.map_err(|e| ApiError::local(format!("The API did not answer ({e})")))?;
    let status = response.status();
    let text = response
        .text()
        .await
        .map_err(|e| ApiError::local(e.to_string()))?;
    if response.ok() {
        return Ok(text);
    }
    Err(match serde_json::from_str::<Problem>(&text) {
        Ok(problem) => {
            let fields: Vec<String> = problem
                .errors
                .iter()
                .map(|e| format!("{}: {}", e.field, e.message))
                .collect();
            let detail = match (problem.detail, fields.is_empty()) {
                (Some(detail), true) => Some(detail),
                (Some(detail), false) => Some(format!("{detail} ({})", fields.join("; "))),
                (None, false) => Some(fields.join("; ")),
                (None, true) => None,
            };
            ApiError {
                status,
                title: problem.title,
                detail,
                fields: problem
                    .errors
                    .into_iter()
                    .map(|e| (e.field, e.message))
                    .collect(),
            }
        }
        Err(_) => ApiError {
            status,
            title: format!("HTTP {status}"),
            detail: None,
            fields: Vec::new(),
        },
    })
}

/// Campaign calls (relationship surveys).
pub mod campaigns;
