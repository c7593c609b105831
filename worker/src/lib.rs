//! The NPS worker: the HTTP API of `shared/API.md`, the webhook queue consumer, and
//! (through Workers static assets, see `wrangler.toml`) the widget files and demo page.
//!
//! Where things are:
//! - a response is validated in `nps_shared::validate`, stored by
//!   `service::responses::submit` through `store::d1`, and turned into webhook
//!   deliveries by `service::webhooks::dispatch_response_event`;
//! - deliveries are sent and signed in `delivery`, logged, retried, dead-lettered and
//!   replayed by `service::deliveries`; a cron sweeper re-queues lost messages;
//! - `routes` parse requests and map results; `error` makes every failure problem+json.

mod app;
mod delivery;
mod error;
mod http;
mod intl;
mod routes;
mod service;
mod store;

use error::ApiError;
use nps_shared::problem::ProblemKind;
use store::DeliveryTask;
use worker::{
    Context, Env, MessageBatch, Method, Request, Response, ScheduleContext, ScheduledEvent, event,
};

#[event(fetch)]
async fn fetch(mut req: Request, env: Env, _ctx: Context) -> worker::Result<Response> {
    let path = req.path();
    let segments = segments(&path);
    let public = matches!(
        segments.as_slice(),
        ["v1", "responses", ..] | ["v1", "surveys", _, "config"]
    );
    let origin = http::origin(&req);
    let result = if public && req.method() == Method::Options {
        http::preflight(origin.as_deref())
    } else {
        match app::App::from_env(&env) {
            Ok(app) => admitted(&mut req, &app, &segments, public).await,
            Err(e) => Err(ApiError::unavailable(e)),
        }
    };
    let response = result.or_else(ApiError::into_response)?;
    if public {
        http::allow_origin(response, origin.as_deref())
    } else {
        Ok(response)
    }
}

/// The path's segments. A trailing slash leaves an empty last segment, so that
/// `/v1/surveys/` is the survey with the empty id (404), not the list of surveys.
fn segments(path: &str) -> Vec<&str> {
    path.strip_prefix('/').unwrap_or(path).split('/').collect()
}

/// Routes the request, except for a client locked out of the admin endpoints after
/// too many failed authentications; counts each failed one (token guessing).
async fn admitted(
    req: &mut Request,
    app: &app::App,
    segments: &[&str],
    public: bool,
) -> Result<Response, ApiError> {
    let admin = !public && segments.first() == Some(&"v1");
    if admin {
        routes::limits::admin_lockout(req, app).await?;
    }
    let result = route(req, app, segments).await;
    if let Err(e) = &result
        && e.is_auth_failure()
    {
        routes::limits::admin_failed(req, app).await;
    }
    result
}

async fn route(req: &mut Request, app: &app::App, segments: &[&str]) -> Result<Response, ApiError> {
    use Method::{Delete, Get, Patch, Post};
    use routes::{cases, invitations, respondents, responses, surveys, webhooks};
    let method = req.method();
    let admin = |req: &Request| http::require_admin(req, app.admin_token.as_deref());
    match (method, segments) {
        (Get, ["healthz"]) => http::json(200, &serde_json::json!({"status": "ok"})),
        // Public, called by the widget from shop pages.
        (Post, ["v1", "responses"]) => responses::create(req, app).await,
        (Patch, ["v1", "responses", id]) => responses::update(req, app, id).await,
        (Get, ["v1", "surveys", id, "config"]) => surveys::config(req, app, id).await,
        // Admin, behind the bearer token.
        (Get, ["v1", "surveys"]) => {
            admin(req)?;
            surveys::list(app).await
        }
        (Post, ["v1", "surveys"]) => {
            admin(req)?;
            surveys::create(req, app).await
        }
        (Get, ["v1", "surveys", id]) => {
            admin(req)?;
            surveys::get(app, id).await
        }
        (Patch, ["v1", "surveys", id]) => {
            admin(req)?;
            surveys::update(req, app, id).await
        }
        (Get, ["v1", "surveys", id, "report"]) => {
            admin(req)?;
            surveys::report(req, app, id).await
        }
        (Get, ["v1", "surveys", id, "export.csv"]) => {
            admin(req)?;
            responses::export_csv(req, app, id).await
        }
        (Get, ["v1", "surveys", id, "responses"]) => {
            admin(req)?;
            responses::list(req, app, id).await
        }
        (Get, ["s", id]) => invitations::page(req, app, id).await,
        (Post, ["v1", "invitations"]) => {
            admin(req)?;
            invitations::create(req, app).await
        }
        (Post, ["v1", "cases", id, "reask"]) => {
            admin(req)?;
            cases::reask(req, app, id).await
        }
        (Get, ["v1", "cases"]) => {
            admin(req)?;
            cases::list(req, app).await
        }
        (Get, ["v1", "cases", id]) => {
            admin(req)?;
            cases::get(app, id).await
        }
        (Patch, ["v1", "cases", id]) => {
            admin(req)?;
            cases::update(req, app, id).await
        }
        (Get, ["v1", "webhooks"]) => {
            admin(req)?;
            webhooks::list(app).await
        }
        (Post, ["v1", "webhooks"]) => {
            admin(req)?;
            webhooks::create(req, app).await
        }
        (Delete, ["v1", "webhooks", id]) => {
            admin(req)?;
            webhooks::delete(app, id).await
        }
        (Get, ["v1", "webhooks", id, "deliveries"]) => {
            admin(req)?;
            webhooks::deliveries(req, app, id).await
        }
        (Post, ["v1", "webhooks", id, "deliveries", delivery_id, "replay"]) => {
            admin(req)?;
            webhooks::replay(app, id, delivery_id).await
        }
        (Get, ["v1", "respondents", id]) => {
            admin(req)?;
            respondents::export(app, id).await
        }
        (Delete, ["v1", "respondents", id]) => {
            admin(req)?;
            respondents::erase(app, id).await
        }
        (
            _,
            ["v1", "responses"]
            | ["v1", "responses", _]
            | ["v1", "surveys", ..]
            | ["v1", "webhooks", ..]
            | ["v1", "cases", ..]
            | ["v1", "invitations"]
            | ["v1", "respondents", _],
        ) => Err(ApiError::new(
            ProblemKind::MethodNotAllowed,
            format!("{:?} is not supported here", req.method()),
        )),
        _ => Err(ApiError::new(
            ProblemKind::NotFound,
            format!("no such endpoint: {}", req.path()),
        )),
    }
}

#[event(queue)]
async fn queue(batch: MessageBatch<DeliveryTask>, env: Env, _ctx: Context) -> worker::Result<()> {
    let app = app::App::from_env(&env)?;
    delivery::consume(batch, &app).await
}

/// Every minute (`[triggers]` in wrangler.toml): re-queue deliveries whose queue
/// message was lost, so an alert stored is an alert sent; and announce invitations
/// whose `send_after` has come.
#[event(scheduled)]
async fn scheduled(_event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    let app = match app::App::from_env(&env) {
        Ok(app) => app,
        Err(e) => return worker::console_error!("cron: no bindings: {e}"),
    };
    let now = app::now_ms();
    match service::deliveries::requeue_overdue(&app.store, &app.queue, now).await {
        Ok(0) => {}
        Ok(n) => worker::console_warn!("sweeper: re-queued {n} overdue deliveries"),
        Err(e) => worker::console_error!("sweeper failed: {e}"),
    }
    match service::limits::forget_old(&app.store, now).await {
        Ok(_) => {}
        Err(e) => worker::console_error!("cron: forgetting old rate limit counters failed: {e}"),
    }
    match service::invitations::release_due(&app.store, &app.queue, now).await {
        Ok(0) => {}
        Ok(n) => worker::console_log!("cron: {n} invitations due"),
        Err(e) => worker::console_error!("cron: releasing due invitations failed: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    /// `(GET, /v1/surveys/*/config)` for every operation of `public/openapi.json`.
    fn documented() -> BTreeSet<(String, String)> {
        let doc: serde_json::Value = serde_json::from_str(include_str!("../public/openapi.json"))
            .expect("openapi.json parses");
        let mut operations = BTreeSet::new();
        for (path, item) in doc["paths"].as_object().expect("paths") {
            let pattern: Vec<&str> = path
                .split('/')
                .map(|s| if s.starts_with('{') { "*" } else { s })
                .collect();
            for method in item.as_object().expect("path item").keys() {
                operations.insert((method.to_uppercase(), pattern.join("/")));
            }
        }
        operations
    }

    /// The same, read from the match arms of `route` above.
    fn routed() -> BTreeSet<(String, String)> {
        let mut operations = BTreeSet::new();
        for line in include_str!("lib.rs").lines().map(str::trim) {
            let Some((method, rest)) = line.strip_prefix('(').and_then(|l| l.split_once(", ["))
            else {
                continue;
            };
            let Some((segments, _)) = rest.split_once("])") else {
                continue;
            };
            if !matches!(method, "Get" | "Post" | "Patch" | "Delete") || segments.contains("..") {
                continue;
            }
            let path: Vec<&str> = segments
                .split(", ")
                .map(|s| {
                    s.strip_prefix('"')
                        .and_then(|s| s.strip_suffix('"'))
                        .unwrap_or("*")
                })
                .collect();
            operations.insert((method.to_uppercase(), format!("/{}", path.join("/"))));
        }
        operations.remove(&("GET".to_string(), "/healthz".to_string()));
        operations
    }

    #[test]
    fn a_trailing_slash_is_an_empty_segment_not_another_route() {
        // Regression (schemathesis): GET /v1/surveys/ answered the list of surveys.
        assert_eq!(super::segments("/v1/surveys/"), ["v1", "surveys", ""]);
        assert_eq!(super::segments("/s/"), ["s", ""]);
        assert_eq!(super::segments("/v1/surveys"), ["v1", "surveys"]);
        assert_eq!(super::segments("/"), [""]);
    }

    #[test]
    fn the_router_serves_exactly_what_the_openapi_document_describes() {
        let routed = routed();
        assert!(
            routed.len() >= 10,
            "the route table was not read: {routed:?}"
        );
        assert_eq!(routed, documented());
    }
}
