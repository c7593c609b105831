//! `POST /v1/invitations` (admin) and the hosted survey page `GET /s/{survey_id}`
//! that e-mail links, QR codes and link surveys open.

use crate::app::{App, now_ms};
use crate::error::ApiError;
use crate::http;
use crate::service::{invitations, surveys};
use nps_shared::api::CreateInvitation;
use nps_shared::email::escape;
use nps_shared::{Score, locale};
use worker::{Request, Response};

pub async fn create(req: &mut Request, app: &App) -> Result<Response, ApiError> {
    let secret = app.require_invitation_secret()?;
    let request: CreateInvitation = http::decode(http::read_json(req).await?)?;
    let base = http::base_url(req)?;
    http::json(
        201,
        &invitations::create(&app.surveys, &app.db, request, secret, &base, now_ms()).await?,
    )
}

/// The hosted page: the survey inline, prefilled from the query — `score` (an e-mail
/// click), `token` (an invitation), `locale`, and `p.<name>` properties. It embeds the
/// widget exactly as a shop page would; everything from the query is escaped.
pub async fn page(req: &Request, app: &App, survey_id: &str) -> Result<Response, ApiError> {
    let query = http::query(req)?;
    let survey = match surveys::get(&app.surveys, survey_id).await {
        Ok(survey) => survey,
        Err(crate::service::ServiceError::NotFound(_)) => {
            return html(
                404,
                "Survey not found",
                "<p>This survey does not exist (any more).</p>",
                "frame-ancestors 'none'",
            );
        }
        Err(e) => return Err(e.into()),
    };
    let mut attributes = vec![
        ("data-survey", survey.id.clone()),
        ("data-target", "#nps-survey".to_string()),
        ("data-position", "inline".to_string()),
        ("data-force", "true".to_string()),
    ];
    let token = query.get("token").filter(|t| !t.is_empty());
    attributes.push((
        "data-channel",
        if token.is_some() { "email" } else { "link" }.to_string(),
    ));
    if let Some(token) = token {
        attributes.push(("data-token", token.clone()));
    }
    if let Some(score) = query
        .get("score")
        .and_then(|s| s.parse::<i64>().ok())
        .filter(|s| Score::try_from(*s).is_ok())
    {
        attributes.push(("data-score", score.to_string()));
    }
    if let Some(tag) = query.get("locale").filter(|l| locale::is_valid_tag(l)) {
        attributes.push(("data-locale", tag.clone()));
    }
    let properties: Vec<(String, String)> = query
        .iter()
        .filter_map(|(k, v)| {
            k.strip_prefix("p.")
                .map(|name| (name.to_string(), v.clone()))
        })
        .filter(|(name, _)| {
            // HTML lower-cases attribute names, so only lower-case names survive the trip.
            !name.is_empty()
                && name.len() <= 40
                && name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        })
        .take(20)
        .collect();
    let mut tag = String::from(r#"<script async src="/widget/nps.js""#);
    for (name, value) in &attributes {
        tag.push_str(&format!(r#" {name}="{}""#, escape(value)));
    }
    for (name, value) in &properties {
        tag.push_str(&format!(r#" data-prop-{name}="{}""#, escape(value)));
    }
    tag.push_str("></script>");
    let body = format!(
        "<main><p class=\"brand\">{}</p><div id=\"nps-survey\"></div>\
         <noscript><p>This survey needs JavaScript.</p></noscript></main>{tag}",
        escape(&survey.definition.name)
    );
    // The page may be framed only by the sites that may show the survey.
    let frame_ancestors = nps_shared::origin::frame_ancestors(&survey.definition.allowed_origins);
    html(200, &survey.definition.name, &body, &frame_ancestors)
}

fn html(status: u16, title: &str, body: &str, frame_ancestors: &str) -> Result<Response, ApiError> {
    let page = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"robots\" content=\"noindex\"><title>{}</title><style>\
         body{{margin:0;min-height:100vh;display:grid;place-items:center;background:#f3f4f6;\
         font:16px/1.5 system-ui,sans-serif;color:#111827}}\
         main{{width:min(34rem,100% - 2rem);padding:2rem 0}}\
         .brand{{font-weight:600;color:#374151;margin:0 0 1rem}}</style></head>\
         <body>{body}</body></html>",
        escape(title)
    );
    let mut response = Response::ok(page)?.with_status(status);
    let headers = response.headers_mut();
    headers.set("Content-Type", "text/html; charset=utf-8")?;
    // The token is in the URL: never send it on as a referrer, never cache the page.
    headers.set("Referrer-Policy", "no-referrer")?;
    headers.set("Cache-Control", "no-store")?;
    headers.set(
        "Content-Security-Policy",
        &format!(
            "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self'; \
             style-src 'self' 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; \
             form-action 'none'; {frame_ancestors}"
        ),
    )?;
    headers.set("X-Content-Type-Options", "nosniff")?;
    Ok(response)
}
