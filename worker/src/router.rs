//! The route table and the one place a request is matched against it. Every endpoint
//! is a row of data — method, path pattern, who may call it, handler — and everything
//! the edge decides before a handler runs follows from the rows: 404 when no route has
//! the path, 405 (with `Allow`) when routes have it with other methods, who the
//! caller is (`auth`) and whether their scopes reach the route's, the lockout of a
//! client guessing credentials, and CORS for the widget's endpoints.
//! `public/openapi.json` documents exactly this table; the test below holds the two
//! together.
//!
//! After workers-rs `worker/src/router.rs`, smaller: patterns are `/`-separated
//! literals and `:name` captures, nothing else. Handlers are the functions of
//! `routes`, called as they are; this module knows nothing of storage or services.
//! Worker futures are not `Send`, so nothing here asks for it.

use crate::app::App;
use crate::error::ApiError;
use crate::{auth, http, routes};
use nps_shared::problem::ProblemKind;
use nps_shared::staff::{Principal, Scope};
use worker::{Env, Method, Request, Response};

/// Who may call a route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Called by the widget from shop pages: no token, CORS preflights answered and the
    /// answer made readable to the calling page (the survey's own origin list decides).
    Public,
    /// For staff (the bootstrap token, an API key, a signed-in team member) holding
    /// this scope or one that implies it; failed authentications count towards a
    /// lockout, a scope that falls short is 403.
    Staff(Scope),
    /// No token and no CORS: probes and the pages this worker serves itself.
    Open,
}

/// One endpoint.
#[derive(Debug)]
pub struct Route {
    pub method: Method,
    /// `/v1/surveys/:id/config`: literal segments and `:name` captures.
    pub pattern: &'static str,
    pub access: Access,
    pub handler: Handler,
}

const fn route(method: Method, pattern: &'static str, access: Access, handler: Handler) -> Route {
    Route {
        method,
        pattern,
        access,
        handler,
    }
}

/// Every endpoint of the worker. A path must not mix public, staff and open access
/// across methods (a test checks it): a preflight or a 405 is answered by the path's
/// access alone. Staff routes of one path may need different scopes.
pub static ROUTES: &[Route] = {
    use Access::{Open, Public, Staff};
    use Handler::*;
    use Scope::{Admin, Cases, Read};
    const READ: Access = Staff(Read);
    const CASES: Access = Staff(Cases);
    const ADMIN: Access = Staff(Admin);
    use Method::{Delete, Get, Patch, Post};
    &[
        route(Get, "/healthz", Open, Health),
        route(Get, "/s/:id", Open, InvitationPage),
        route(Post, "/v1/responses", Public, SubmitResponse),
        route(Patch, "/v1/responses/:id", Public, UpdateResponse),
        route(Get, "/v1/surveys/:id/config", Public, SurveyConfig),
        route(Get, "/v1/me", READ, Me),
        route(Get, "/v1/surveys", READ, ListSurveys),
        route(Post, "/v1/surveys", ADMIN, CreateSurvey),
        route(Get, "/v1/surveys/:id", READ, GetSurvey),
        route(Patch, "/v1/surveys/:id", ADMIN, UpdateSurvey),
        route(Get, "/v1/surveys/:id/report", READ, SurveyReport),
        route(Get, "/v1/surveys/:id/export.csv", READ, ExportResponses),
        route(Get, "/v1/surveys/:id/archive", READ, ListArchive),
        route(
            Get,
            "/v1/surveys/:id/archive/:month/:part",
            READ,
            ReadArchivePart,
        ),
        route(Post, "/v1/surveys/:id/exports", READ, StartExport),
        route(Get, "/v1/exports/:id", READ, GetExport),
        route(Get, "/v1/exports/:id/download", READ, DownloadExport),
        route(Get, "/v1/surveys/:id/responses", READ, ListResponses),
        route(Post, "/v1/invitations", ADMIN, CreateInvitation),
        route(Get, "/v1/cases", READ, ListCases),
        route(Get, "/v1/cases/:id", READ, GetCase),
        route(Patch, "/v1/cases/:id", CASES, UpdateCase),
        route(Post, "/v1/cases/:id/reask", CASES, ReaskCase),
        route(Get, "/v1/actions", READ, ListActions),
        route(Post, "/v1/actions", ADMIN, CreateAction),
        route(Get, "/v1/actions/:id", READ, GetAction),
        route(Patch, "/v1/actions/:id", ADMIN, UpdateAction),
        route(Get, "/v1/coaching", READ, Coaching),
        route(Get, "/v1/playbook", READ, Playbook),
        route(Get, "/v1/webhooks", READ, ListWebhooks),
        route(Post, "/v1/webhooks", ADMIN, CreateWebhook),
        route(Patch, "/v1/webhooks/:id", ADMIN, UpdateWebhook),
        route(Delete, "/v1/webhooks/:id", ADMIN, DeleteWebhook),
        route(
            Post,
            "/v1/webhooks/:id/rotate-secret",
            ADMIN,
            RotateWebhookSecret,
        ),
        route(Post, "/v1/webhooks/:id/test", ADMIN, TestWebhook),
        route(Get, "/v1/webhooks/:id/deliveries", READ, ListDeliveries),
        route(
            Post,
            "/v1/webhooks/:id/deliveries/:delivery_id/replay",
            ADMIN,
            ReplayDelivery,
        ),
        route(Get, "/v1/respondents/:id", ADMIN, ExportRespondent),
        route(Delete, "/v1/respondents/:id", ADMIN, EraseRespondent),
        route(Get, "/v1/api-keys", ADMIN, ListApiKeys),
        route(Post, "/v1/api-keys", ADMIN, CreateApiKey),
        route(Delete, "/v1/api-keys/:id", ADMIN, RevokeApiKey),
        route(Get, "/v1/audit", ADMIN, ListAudit),
        route(Get, "/v1/connectors", READ, ListConnectors),
        route(Post, "/v1/connectors", ADMIN, CreateConnector),
        route(Delete, "/v1/connectors/:id", ADMIN, DeleteConnector),
        route(Get, "/v1/connectors/:id/events", READ, ListConnectorEvents),
        route(Post, "/hooks/connectors/:id", Open, ReceiveConnectorEvent),
        route(Get, "/v1/campaigns", READ, ListCampaigns),
        route(Post, "/v1/campaigns", ADMIN, CreateCampaign),
        route(Get, "/v1/campaigns/:id", READ, GetCampaign),
        route(Patch, "/v1/campaigns/:id", ADMIN, UpdateCampaign),
        route(Delete, "/v1/campaigns/:id", ADMIN, DeleteCampaign),
        route(
            Post,
            "/v1/campaigns/:id/recipients",
            ADMIN,
            AddCampaignRecipients,
        ),
        route(Get, "/u/:token", Open, UnsubscribePage),
        route(Post, "/u/:token", Open, Unsubscribe),
        route(Post, "/v1/mail/postmark/:token", Open, PostmarkEvent),
        route(Post, "/v1/mail/resend", Open, ResendEvent),
        route(Get, "/v1/mail-sends", ADMIN, ListMailSends),
        route(Get, "/v1/suppressions", ADMIN, ListSuppressions),
        route(Delete, "/v1/suppressions/:email", ADMIN, LiftSuppression),
    ]
};

/// The handler of a route: a name for one function of `routes`, so that the table
/// stays plain data (async fn pointers of different signatures do not).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Handler {
    Health,
    InvitationPage,
    SubmitResponse,
    UpdateResponse,
    SurveyConfig,
    ListSurveys,
    CreateSurvey,
    GetSurvey,
    UpdateSurvey,
    SurveyReport,
    ExportResponses,
    ListArchive,
    ReadArchivePart,
    StartExport,
    GetExport,
    DownloadExport,
    ListResponses,
    CreateInvitation,
    ListCases,
    GetCase,
    UpdateCase,
    ReaskCase,
    ListActions,
    CreateAction,
    GetAction,
    UpdateAction,
    Coaching,
    Playbook,
    ListWebhooks,
    CreateWebhook,
    UpdateWebhook,
    DeleteWebhook,
    RotateWebhookSecret,
    TestWebhook,
    ListDeliveries,
    ReplayDelivery,
    ExportRespondent,
    EraseRespondent,
    Me,
    ListApiKeys,
    CreateApiKey,
    RevokeApiKey,
    ListAudit,
    ListConnectors,
    CreateConnector,
    DeleteConnector,
    ListConnectorEvents,
    ReceiveConnectorEvent,
    ListCampaigns,
    CreateCampaign,
    GetCampaign,
    UpdateCampaign,
    DeleteCampaign,
    AddCampaignRecipients,
    UnsubscribePage,
    Unsubscribe,
    PostmarkEvent,
    ResendEvent,
    ListMailSends,
    ListSuppressions,
    LiftSuppression,
}

impl Handler {
    /// Calls the handler; `who` is the principal of a staff route (`None` elsewhere).
    async fn call(
        self,
        req: &mut Request,
        app: &App,
        params: &Params<'_>,
        who: Option<&Principal>,
    ) -> Result<Response, ApiError> {
        use routes::{
            actions, archive, cases, coaching, exports, invitations, respondents, responses, staff,
            surveys, webhooks,
        };
        // A staff handler without its principal is a bug of this module.
        let who = || who.ok_or_else(|| ApiError::internal("a staff route without its principal"));
        match self {
            Handler::Health => http::json(200, &serde_json::json!({"status": "ok"})),
            Handler::InvitationPage => invitations::page(req, app, params.get("id")?).await,
            Handler::SubmitResponse => responses::create(req, app).await,
            Handler::UpdateResponse => responses::update(req, app, params.get("id")?).await,
            Handler::SurveyConfig => surveys::config(req, app, params.get("id")?).await,
            Handler::ListSurveys => surveys::list(app).await,
            Handler::CreateSurvey => surveys::create(req, app, who()?).await,
            Handler::GetSurvey => surveys::get(app, params.get("id")?).await,
            Handler::UpdateSurvey => surveys::update(req, app, params.get("id")?, who()?).await,
            Handler::SurveyReport => surveys::report(req, app, params.get("id")?).await,
            Handler::ExportResponses => responses::export_csv(req, app, params.get("id")?).await,
            Handler::ListArchive => archive::list(app, params.get("id")?).await,
            Handler::ReadArchivePart => {
                let (id, month) = (params.get("id")?, params.get("month")?);
                archive::part(app, id, month, params.get("part")?).await
            }
            Handler::StartExport => exports::create(req, app, params.get("id")?).await,
            Handler::GetExport => exports::get(app, params.get("id")?).await,
            Handler::DownloadExport => exports::download(app, params.get("id")?).await,
            Handler::ListResponses => responses::list(req, app, params.get("id")?).await,
            Handler::CreateInvitation => invitations::create(req, app).await,
            Handler::ListCases => cases::list(req, app).await,
            Handler::GetCase => cases::get(app, params.get("id")?).await,
            Handler::UpdateCase => cases::update(req, app, params.get("id")?, who()?).await,
            Handler::ReaskCase => cases::reask(req, app, params.get("id")?, who()?).await,
            Handler::ListActions => actions::list(req, app).await,
            Handler::CreateAction => actions::create(req, app, who()?).await,
            Handler::GetAction => actions::get(app, params.get("id")?).await,
            Handler::UpdateAction => actions::update(req, app, params.get("id")?, who()?).await,
            Handler::Coaching => coaching::get(req, app).await,
            Handler::Playbook => cases::playbook(req, app).await,
            Handler::ListWebhooks => webhooks::list(app).await,
            Handler::CreateWebhook => webhooks::create(req, app, who()?).await,
            Handler::UpdateWebhook => webhooks::update(req, app, params.get("id")?, who()?).await,
            Handler::DeleteWebhook => webhooks::delete(app, params.get("id")?, who()?).await,
            Handler::RotateWebhookSecret => {
                webhooks::rotate_secret(req, app, params.get("id")?, who()?).await
            }
            Handler::TestWebhook => webhooks::test(app, params.get("id")?).await,
            Handler::ListDeliveries => webhooks::deliveries(req, app, params.get("id")?).await,
            Handler::ReplayDelivery => {
                webhooks::replay(app, params.get("id")?, params.get("delivery_id")?).await
            }
            Handler::ExportRespondent => respondents::export(app, params.get("id")?).await,
            Handler::EraseRespondent => respondents::erase(app, params.get("id")?, who()?).await,
            Handler::Me => staff::me(who()?),
            Handler::ListApiKeys => staff::list_keys(app).await,
            Handler::CreateApiKey => staff::create_key(req, app, who()?).await,
            Handler::RevokeApiKey => staff::revoke_key(app, params.get("id")?, who()?).await,
            Handler::ListAudit => staff::audit(req, app).await,
            Handler::ListConnectors => routes::connectors::list(req, app).await,
            Handler::CreateConnector => routes::connectors::create(req, app, who()?).await,
            Handler::DeleteConnector => {
                routes::connectors::delete(app, params.get("id")?, who()?).await
            }
            Handler::ListConnectorEvents => {
                routes::connectors::events(req, app, params.get("id")?).await
            }
            Handler::ReceiveConnectorEvent => {
                routes::connectors::receive(req, app, params.get("id")?).await
            }
            Handler::ListCampaigns => routes::campaigns::list(app).await,
            Handler::CreateCampaign => routes::campaigns::create(req, app, who()?).await,
            Handler::GetCampaign => routes::campaigns::get(app, params.get("id")?).await,
            Handler::UpdateCampaign => {
                routes::campaigns::update(req, app, params.get("id")?, who()?).await
            }
            Handler::DeleteCampaign => {
                routes::campaigns::delete(app, params.get("id")?, who()?).await
            }
            Handler::AddCampaignRecipients => {
                routes::campaigns::add_recipients(req, app, params.get("id")?).await
            }
            Handler::UnsubscribePage => routes::mail::page(app, params.get("token")?).await,
            Handler::Unsubscribe => routes::mail::unsubscribe(app, params.get("token")?).await,
            Handler::PostmarkEvent => routes::mail::postmark(req, app, params.get("token")?).await,
            Handler::ResendEvent => routes::mail::resend(req, app).await,
            Handler::ListMailSends => routes::mail::sends(req, app).await,
            Handler::ListSuppressions => routes::mail::suppressions(req, app).await,
            Handler::LiftSuppression => routes::mail::lift(app, params.get("email")?, who()?).await,
        }
    }
}

/// The values of a route's `:name` captures, taken from the path as it came.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Params<'p>(Vec<(&'static str, &'p str)>);

impl<'p> Params<'p> {
    /// The value of `:name`. Its absence is a handler asking for a capture its pattern
    /// does not have — a bug of this module, not of the request.
    pub fn get(&self, name: &str) -> Result<&'p str, ApiError> {
        self.0
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, value)| *value)
            .ok_or_else(|| ApiError::internal(format!("no route capture named :{name}")))
    }
}

/// What the table says about a method and path.
#[derive(Debug)]
pub enum Lookup<'p> {
    Found(&'static Route, Params<'p>),
    /// Routes have the path, with these other methods.
    MethodNotAllowed {
        access: Access,
        allow: Vec<Method>,
    },
    NotFound {
        access: Access,
    },
}

impl Access {
    /// Whether the route is for staff, whatever scope it needs.
    pub fn is_staff(self) -> bool {
        matches!(self, Access::Staff(_))
    }
}

impl Lookup<'_> {
    /// Who may call the path: the route's access, or that of the routes the path
    /// matches with other methods (a preflight is one of those, OPTIONS is no route).
    pub fn access(&self) -> Access {
        match self {
            Lookup::Found(route, _) => route.access,
            Lookup::MethodNotAllowed { access, .. } | Lookup::NotFound { access } => *access,
        }
    }
}

/// Finds the route for `method` and `path`.
pub fn lookup<'p>(method: &Method, path: &'p str) -> Lookup<'p> {
    let segments = segments(path);
    let mut access = None;
    let mut allow = Vec::new();
    for route in ROUTES {
        let Some(params) = capture(route.pattern, &segments) else {
            continue;
        };
        if route.method == *method {
            return Lookup::Found(route, params);
        }
        access.get_or_insert(route.access);
        allow.push(route.method.clone());
    }
    match access {
        Some(access) => Lookup::MethodNotAllowed { access, allow },
        // An unknown path under /v1 counts as an admin one, so that a client locked out
        // for guessing the token stays locked out of the API however it spells a path.
        None if segments.first() == Some(&"v1") => Lookup::NotFound {
            access: Access::Staff(Scope::Admin),
        },
        None => Lookup::NotFound {
            access: Access::Open,
        },
    }
}

/// The path's segments. A trailing slash leaves an empty last segment, so that
/// `/v1/surveys/` is the survey with the empty id (404), not the list of surveys.
fn segments(path: &str) -> Vec<&str> {
    path.strip_prefix('/').unwrap_or(path).split('/').collect()
}

/// The captures of `pattern` if `segments` match it.
fn capture<'p>(pattern: &'static str, segments: &[&'p str]) -> Option<Params<'p>> {
    let expected = self::segments(pattern);
    if expected.len() != segments.len() {
        return None;
    }
    let mut params = Params::default();
    for (expected, &actual) in expected.into_iter().zip(segments) {
        match expected.strip_prefix(':') {
            Some(name) => params.0.push((name, actual)),
            None if expected == actual => {}
            None => return None,
        }
    }
    Some(params)
}

/// Answers a request: a preflight of a public path here; otherwise the route, after the
/// lockout (any admin path) and the bearer token (admin routes), as problem+json if it
/// fails, readable cross-origin if the path is public. Every answer says how many D1
/// queries it took (`X-D1-Queries`).
pub async fn respond(req: &mut Request, env: &Env) -> worker::Result<Response> {
    let path = req.path();
    let method = req.method();
    let found = lookup(&method, &path);
    let public = found.access() == Access::Public;
    let origin = http::origin(req);
    let app = if public && method == Method::Options {
        None
    } else {
        Some(App::from_env(env))
    };
    let result = match &app {
        None => http::preflight(origin.as_deref()),
        Some(Ok(app)) => admitted(req, app, &found).await,
        Some(Err(e)) => Err(ApiError::unavailable(e)),
    };
    let mut response = result.or_else(ApiError::into_response)?;
    // What this request cost the database, for benchmarks and for tests that hold a
    // path to no D1 at all. A streamed body's later pages are not in it.
    // An answer through the ingest gate adds its share of its group's write: a
    // fraction, which the burst benchmark sums to statements per answer.
    let queries = match &app {
        Some(Ok(app)) => f64::from(app.store.queries()) + app.d1_elsewhere.get(),
        _ => 0.0,
    };
    let queries = if queries.fract() == 0.0 {
        format!("{queries:.0}")
    } else {
        format!("{queries:.3}")
    };
    response
        .headers_mut()
        .set(http::D1_QUERIES_HEADER, &queries)?;
    // Only on the 405 itself: an answered preflight is a MethodNotAllowed lookup too.
    if let Lookup::MethodNotAllowed { allow, .. } = &found
        && response.status_code() == 405
    {
        let allow: Vec<&str> = allow.iter().map(Method::as_ref).collect();
        response.headers_mut().set("Allow", &allow.join(", "))?;
    }
    // Every answer is what its Content-Type says: no browser may sniff a JSON body or
    // a CSV export into HTML.
    response
        .headers_mut()
        .set("X-Content-Type-Options", "nosniff")?;
    if public {
        http::allow_origin(response, origin.as_deref())
    } else {
        Ok(response)
    }
}

/// Routes the request, except for a client locked out of the staff endpoints after
/// too many failed authentications; counts each failed one (credential guessing). A
/// right credential always gets in: a lock-out only slows a guesser down, it must not
/// let anyone behind the admin's address (a shared NAT) lock the admin out.
async fn admitted(req: &mut Request, app: &App, found: &Lookup<'_>) -> Result<Response, ApiError> {
    let caller = if found.access().is_staff() {
        Some(auth::resolve(req, app).await)
    } else {
        None
    };
    if let Some(Err(e)) = &caller
        && e.is_auth_failure()
    {
        routes::limits::admin_lockout(req, app).await?;
    }
    let result = dispatch(req, app, found, caller).await;
    if let Err(e) = &result
        && e.is_auth_failure()
    {
        routes::limits::admin_failed(req, app).await;
    }
    result
}

async fn dispatch(
    req: &mut Request,
    app: &App,
    found: &Lookup<'_>,
    caller: Option<Result<Principal, ApiError>>,
) -> Result<Response, ApiError> {
    match found {
        Lookup::Found(route, params) => {
            let who = match (route.access, caller) {
                (Access::Staff(needed), Some(caller)) => {
                    let who = caller?;
                    auth::require(&who, needed)?;
                    Some(who)
                }
                (Access::Staff(_), None) => {
                    return Err(ApiError::internal("a staff route was not authenticated"));
                }
                _ => None,
            };
            route.handler.call(req, app, params, who.as_ref()).await
        }
        Lookup::MethodNotAllowed { .. } => Err(ApiError::new(
            ProblemKind::MethodNotAllowed,
            format!("{:?} is not supported here", req.method()),
        )),
        Lookup::NotFound { .. } => Err(ApiError::new(
            ProblemKind::NotFound,
            format!("no such endpoint: {}", req.path()),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// `(GET, /v1/surveys/*/config)`: a method and a pattern with its captures blanked.
    type Operation = (String, String);

    fn wildcard(pattern: &str, is_capture: impl Fn(&str) -> bool) -> String {
        pattern
            .split('/')
            .map(|s| if is_capture(s) { "*" } else { s })
            .collect::<Vec<_>>()
            .join("/")
    }

    /// Every operation of `public/openapi.json`.
    fn documented() -> BTreeSet<Operation> {
        let doc: serde_json::Value = serde_json::from_str(include_str!("../public/openapi.json"))
            .expect("openapi.json parses");
        let mut operations = BTreeSet::new();
        for (path, item) in doc["paths"].as_object().expect("paths") {
            for method in item.as_object().expect("path item").keys() {
                let pattern = wildcard(path, |s| s.starts_with('{') && s.ends_with('}'));
                operations.insert((method.to_uppercase(), pattern));
            }
        }
        operations
    }

    /// Every route of the table but the health probe, which is no part of the API.
    fn routed() -> BTreeSet<Operation> {
        ROUTES
            .iter()
            .filter(|r| r.pattern != "/healthz")
            .map(|r| {
                let pattern = wildcard(r.pattern, |s| s.starts_with(':'));
                (r.method.as_ref().to_string(), pattern)
            })
            .collect()
    }

    fn found(method: Method, path: &str) -> (Handler, Vec<(&'static str, &str)>) {
        match lookup(&method, path) {
            Lookup::Found(route, params) => (route.handler, params.0),
            other => panic!("{method:?} {path} was not routed: {other:?}"),
        }
    }

    #[test]
    fn the_router_serves_exactly_what_the_openapi_document_describes() {
        let routed = routed();
        assert_eq!(routed.len(), ROUTES.len() - 1, "a route is declared twice");
        assert_eq!(routed, documented());
    }

    #[test]
    fn every_staff_operation_documents_the_scope_the_route_table_asks_for() {
        let doc: serde_json::Value = serde_json::from_str(include_str!("../public/openapi.json"))
            .expect("openapi.json parses");
        let mut documented = BTreeSet::new();
        for (path, item) in doc["paths"].as_object().expect("paths") {
            for (method, operation) in item.as_object().expect("path item") {
                if let Some(scope) = operation["x-scope"].as_str() {
                    let pattern = wildcard(path, |s| s.starts_with('{') && s.ends_with('}'));
                    documented.insert((method.to_uppercase(), pattern, scope.to_string()));
                    for status in ["401", "403"] {
                        assert!(
                            operation["responses"][status].is_object(),
                            "{method} {path} documents no {status}"
                        );
                    }
                }
            }
        }
        let routed: BTreeSet<(String, String, String)> = ROUTES
            .iter()
            .filter_map(|r| match r.access {
                Access::Staff(scope) => Some((
                    r.method.as_ref().to_string(),
                    wildcard(r.pattern, |s| s.starts_with(':')),
                    scope.as_str().to_string(),
                )),
                _ => None,
            })
            .collect();
        assert_eq!(routed, documented);
    }

    #[test]
    fn reading_needs_read_working_cases_needs_cases_and_every_change_admin() {
        let needs = |method: Method, path: &str| match lookup(&method, path) {
            Lookup::Found(route, _) => route.access,
            other => panic!("{method:?} {path}: {other:?}"),
        };
        for (method, path) in [
            (Method::Get, "/v1/me"),
            (Method::Get, "/v1/surveys"),
            (Method::Get, "/v1/surveys/s_1"),
            (Method::Get, "/v1/surveys/s_1/report"),
            (Method::Get, "/v1/surveys/s_1/export.csv"),
            (Method::Get, "/v1/surveys/s_1/archive"),
            (Method::Get, "/v1/surveys/s_1/archive/2026-09/1"),
            (Method::Get, "/v1/surveys/s_1/responses"),
            (Method::Get, "/v1/cases"),
            (Method::Get, "/v1/cases/c_1"),
            (Method::Get, "/v1/playbook"),
            (Method::Get, "/v1/webhooks"),
            (Method::Get, "/v1/webhooks/wh_1/deliveries"),
            (Method::Get, "/v1/actions"),
            (Method::Get, "/v1/actions/act_1"),
            (Method::Get, "/v1/coaching"),
            (Method::Get, "/v1/connectors"),
            (Method::Get, "/v1/connectors/con_1/events"),
            (Method::Get, "/v1/campaigns"),
            (Method::Get, "/v1/campaigns/cmp_1"),
        ] {
            assert_eq!(
                needs(method.clone(), path),
                Access::Staff(Scope::Read),
                "{method:?} {path}"
            );
        }
        for (method, path) in [
            (Method::Patch, "/v1/cases/c_1"),
            (Method::Post, "/v1/cases/c_1/reask"),
        ] {
            assert_eq!(
                needs(method.clone(), path),
                Access::Staff(Scope::Cases),
                "{method:?} {path}"
            );
        }
        for (method, path) in [
            (Method::Post, "/v1/surveys"),
            (Method::Patch, "/v1/surveys/s_1"),
            (Method::Post, "/v1/invitations"),
            (Method::Post, "/v1/webhooks"),
            (Method::Delete, "/v1/webhooks/wh_1"),
            (Method::Post, "/v1/webhooks/wh_1/deliveries/dl_1/replay"),
            (Method::Post, "/v1/campaigns"),
            (Method::Patch, "/v1/campaigns/cmp_1"),
            (Method::Delete, "/v1/campaigns/cmp_1"),
            (Method::Post, "/v1/campaigns/cmp_1/recipients"),
            (Method::Get, "/v1/respondents/kim"),
            (Method::Delete, "/v1/respondents/kim"),
            (Method::Get, "/v1/api-keys"),
            (Method::Post, "/v1/api-keys"),
            (Method::Delete, "/v1/api-keys/key_1"),
            (Method::Get, "/v1/audit"),
            (Method::Post, "/v1/actions"),
            (Method::Patch, "/v1/actions/act_1"),
            (Method::Post, "/v1/connectors"),
            (Method::Delete, "/v1/connectors/con_1"),
        ] {
            assert_eq!(
                needs(method.clone(), path),
                Access::Staff(Scope::Admin),
                "{method:?} {path}"
            );
        }
    }

    #[test]
    fn captures_are_taken_by_name_from_the_path() {
        assert_eq!(
            found(Method::Get, "/v1/surveys/s_demo/config"),
            (Handler::SurveyConfig, vec![("id", "s_demo")])
        );
        assert_eq!(
            found(Method::Post, "/v1/webhooks/wh_1/deliveries/dl_2/replay"),
            (
                Handler::ReplayDelivery,
                vec![("id", "wh_1"), ("delivery_id", "dl_2")]
            )
        );
        assert_eq!(
            found(Method::Get, "/v1/surveys"),
            (Handler::ListSurveys, vec![])
        );
        assert_eq!(found(Method::Get, "/healthz"), (Handler::Health, vec![]));
    }

    #[test]
    fn a_missing_capture_is_an_internal_error_not_a_panic() {
        let params = Params(vec![("id", "s_demo")]);
        assert_eq!(params.get("id").ok(), Some("s_demo"));
        assert_eq!(params.get("delivery_id").map_err(|e| e.status()), Err(500));
    }

    #[test]
    fn a_trailing_slash_is_an_empty_segment_not_another_route() {
        // Regression (schemathesis): GET /v1/surveys/ answered the list of surveys.
        assert_eq!(segments("/v1/surveys/"), ["v1", "surveys", ""]);
        assert_eq!(segments("/s/"), ["s", ""]);
        assert_eq!(segments("/v1/surveys"), ["v1", "surveys"]);
        assert_eq!(segments("/"), [""]);
        assert_eq!(
            found(Method::Get, "/v1/surveys/"),
            (Handler::GetSurvey, vec![("id", "")])
        );
        assert_eq!(
            found(Method::Get, "/s/"),
            (Handler::InvitationPage, vec![("id", "")])
        );
    }

    #[test]
    fn a_path_served_with_other_methods_is_405_and_says_which() {
        for (method, path, allowed) in [
            (Method::Put, "/v1/responses", vec![Method::Post]),
            (Method::Get, "/v1/responses", vec![Method::Post]),
            (
                Method::Delete,
                "/v1/surveys/s_demo",
                vec![Method::Get, Method::Patch],
            ),
            (Method::Get, "/v1/invitations", vec![Method::Post]),
            (
                Method::Patch,
                "/v1/webhooks",
                vec![Method::Get, Method::Post],
            ),
            (Method::Post, "/v1/surveys/s_demo/config", vec![Method::Get]),
            (
                Method::Patch,
                "/v1/respondents/cust-1",
                vec![Method::Get, Method::Delete],
            ),
            (Method::Post, "/s/s_demo", vec![Method::Get]),
        ] {
            match lookup(&method, path) {
                Lookup::MethodNotAllowed { allow, .. } => assert_eq!(allow, allowed, "{path}"),
                other => panic!("{method:?} {path}: {other:?}"),
            }
        }
    }

    #[test]
    fn a_path_no_route_has_is_404_whatever_the_method() {
        for (method, path) in [
            (Method::Get, "/v2/anything"),
            (Method::Get, "/"),
            (Method::Get, "/v1"),
            (Method::Get, "/v1/surveys/s_demo/config/more"),
            (Method::Delete, "/v1/webhooks/wh_1/deliveries/dl_2"),
            (Method::Get, "/v1/responses/r_1/comment"),
            (Method::Get, "/healthz/"),
        ] {
            assert!(
                matches!(lookup(&method, path), Lookup::NotFound { .. }),
                "{method:?} {path}"
            );
        }
    }

    #[test]
    fn a_preflight_of_a_widget_endpoint_is_public() {
        for path in [
            "/v1/responses",
            "/v1/responses/r_1",
            "/v1/surveys/s_demo/config",
        ] {
            assert_eq!(lookup(&Method::Options, path).access(), Access::Public);
        }
        assert!(lookup(&Method::Options, "/v1/surveys").access().is_staff());
    }

    #[test]
    fn every_path_under_v1_but_the_widgets_counts_towards_the_admin_lockout() {
        for (method, path, access) in [
            (Method::Get, "/v1/surveys", Access::Staff(Scope::Read)),
            (
                Method::Put,
                "/v1/surveys/s_demo",
                Access::Staff(Scope::Read),
            ),
            (Method::Get, "/v1/unknown", Access::Staff(Scope::Admin)),
            (Method::Post, "/v1/responses", Access::Public),
            (Method::Get, "/v1/surveys/s_demo/config", Access::Public),
            (Method::Get, "/healthz", Access::Open),
            (Method::Get, "/s/s_demo", Access::Open),
            (Method::Post, "/hooks/connectors/con_1", Access::Open),
            (Method::Get, "/v2/anything", Access::Open),
        ] {
            assert_eq!(lookup(&method, path).access(), access, "{method:?} {path}");
        }
    }

    #[test]
    fn only_the_widgets_endpoints_are_public_and_no_path_mixes_access() {
        let public: BTreeSet<&str> = ROUTES
            .iter()
            .filter(|r| r.access == Access::Public)
            .map(|r| r.pattern)
            .collect();
        assert_eq!(
            public,
            BTreeSet::from([
                "/v1/responses",
                "/v1/responses/:id",
                "/v1/surveys/:id/config"
            ])
        );
        for a in ROUTES {
            for b in ROUTES {
                let same_path = wildcard(a.pattern, |s| s.starts_with(':'))
                    == wildcard(b.pattern, |s| s.starts_with(':'));
                let class = |r: &Route| match r.access {
                    Access::Staff(_) => Access::Staff(Scope::Admin),
                    other => other,
                };
                assert!(!same_path || class(a) == class(b), "{a:?} and {b:?}");
            }
        }
    }
}
