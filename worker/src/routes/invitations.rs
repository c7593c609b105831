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
        &invitations::create(&app.store, request, secret, &base, now_ms()).await?,
    )
}

/// The hosted page: the survey inline, prefilled from the query — `score` (an e-mail
/// click), `token` (an invitation), `locale`, and `p.<name>` properties. It embeds the
/// widget as a shop page would, with one round trip less: the page will show the
/// survey for sure, so it carries the survey's config in the tag's `data-config` (what
/// `GET /v1/surveys/{id}/config` would answer the loader) and preloads the glue and the
/// wasm beside the loader. Everything from the query and the survey is escaped.
pub async fn page(req: &Request, app: &App, survey_id: &str) -> Result<Response, ApiError> {
    // Counted like the config read it stands in for (unknown ids included).
    super::limits::read(req, app, survey_id).await?;
    let query = http::query(req)?;
    let survey = match surveys::get(&app.store, survey_id).await {
        Ok(survey) => survey,
        Err(crate::service::ServiceError::NotFound(_)) => {
            return html(
                404,
                "Survey not found",
                "",
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
    let chosen_locale = query.get("locale").filter(|l| locale::is_valid_tag(l));
    if let Some(tag) = chosen_locale {
        attributes.push(("data-locale", tag.clone()));
    }
    // The languages the loader would ask for here: data-locale, then the browser's
    // (navigator.languages, which is what Accept-Language sends; the page has no lang).
    let requested = chosen_locale
        .cloned()
        .into_iter()
        .chain(req.headers().get("Accept-Language").ok().flatten())
        .collect::<Vec<_>>()
        .join(",");
    // Same-origin, as the loader's request from this page would be. On failure the
    // loader asks for the config itself.
    let config = surveys::config(&app.store, &survey.id, Some(&requested), None)
        .await
        .map_err(|e| e.to_string())
        .and_then(|config| serde_json::to_string(&config).map_err(|e| e.to_string()));
    match config {
        Ok(config) => attributes.push(("data-config", config)),
        Err(e) => worker::console_warn!("no inline config for {}: {e}", survey.id),
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
    // The page may be framed only by the sites that may show the survey.
    let frame_ancestors = nps_shared::origin::frame_ancestors(&survey.definition.allowed_origins);
    html(
        200,
        &survey.definition.name,
        PRELOAD,
        &survey_body(&survey.definition.name, &attributes, &properties),
        &frame_ancestors,
    )
}

/// The glue (a module: modulepreload puts it in the page's module map, where the
/// loader's `import()` finds it) and the wasm (the loader's `fetch()` is CORS mode with
/// same-origin credentials, as `crossorigin` asks, so it takes the preloaded response),
/// both requested while the loader is still on its way.
const PRELOAD: &str = "<link rel=\"modulepreload\" href=\"/widget/nps-app.js\">\
    <link rel=\"preload\" as=\"fetch\" type=\"application/wasm\" crossorigin \
    href=\"/widget/nps_widget_bg.wasm\">";

/// The page's body: the brand line, the survey's place, and the widget's script tag
/// with `attributes` and `data-prop-<name>` `properties`, every value escaped for an
/// attribute (so a JSON config in one cannot end the tag, let alone the script).
fn survey_body(
    name: &str,
    attributes: &[(&str, String)],
    properties: &[(String, String)],
) -> String {
    let mut tag = String::from(r#"<script async src="/widget/nps.js""#);
    for (name, value) in attributes {
        tag.push_str(&format!(r#" {name}="{}""#, escape(value)));
    }
    for (name, value) in properties {
        tag.push_str(&format!(r#" data-prop-{name}="{}""#, escape(value)));
    }
    tag.push_str("></script>");
    format!(
        "<main><p class=\"brand\">{}</p><div id=\"nps-survey\"></div>\
         <noscript><p>This survey needs JavaScript.</p></noscript></main>{tag}",
        escape(name)
    )
}

fn document(title: &str, head: &str, body: &str) -> String {
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"robots\" content=\"noindex\"><title>{}</title><style>\
         body{{margin:0;min-height:100vh;display:grid;place-items:center;background:#f3f4f6;\
         font:16px/1.5 system-ui,sans-serif;color:#111827}}\
         main{{width:min(34rem,100% - 2rem);padding:2rem 0}}\
         .brand{{font-weight:600;color:#374151;margin:0 0 1rem}}</style>{head}</head>\
         <body>{body}</body></html>",
        escape(title)
    )
}

fn html(
    status: u16,
    title: &str,
    head: &str,
    body: &str,
    frame_ancestors: &str,
) -> Result<Response, ApiError> {
    let page = document(title, head, body);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::fixtures::demo_survey;
    use crate::store::testing::TestStore;
    use pollster::block_on;

    /// What the HTML parser makes of an attribute value `escape` wrote.
    fn unescape(value: &str) -> String {
        value
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&#39;", "'")
            .replace("&amp;", "&")
    }

    #[test]
    fn a_survey_text_in_the_inline_config_cannot_end_the_script_tag() {
        let hostile = "</script><script>alert(1)</script>\" onload=\"alert(2)";
        let m = TestStore::default();
        let mut survey = demo_survey();
        survey.definition.texts.get_mut("en").unwrap().question = hostile.into();
        m.add_survey(survey);
        let config = block_on(surveys::config(&m, "s_demo", Some("en-US,en;q=0.9"), None)).unwrap();
        let json = serde_json::to_string(&config).unwrap();
        assert!(json.contains("</script><script>alert(1)</script>"));

        let body = survey_body(
            "Acme",
            &[
                ("data-survey", "s_demo".into()),
                ("data-config", json.clone()),
            ],
            &[("campaign".into(), "\"><script>alert(3)</script>".into())],
        );
        let page = document("Acme", PRELOAD, &body);
        // One script element: the loader's own tag, ended only by its own end tag.
        assert_eq!(page.matches("<script").count(), 1, "{page}");
        assert_eq!(page.matches("</script>").count(), 1, "{page}");
        assert!(page.ends_with("></script></body></html>"));
        assert!(!page.contains("onload=\""));
        // The attribute gives the loader exactly the config's JSON back.
        let value = body
            .split(r#"data-config=""#)
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap();
        assert_eq!(unescape(value), json);
    }

    #[test]
    fn the_page_preloads_the_glue_and_the_wasm_the_loader_asks_for() {
        let page = document("Acme", PRELOAD, "");
        assert!(page.contains(r#"<link rel="modulepreload" href="/widget/nps-app.js">"#));
        assert!(page.contains(
            r#"<link rel="preload" as="fetch" type="application/wasm" crossorigin href="/widget/nps_widget_bg.wasm">"#
        ));
    }
}
