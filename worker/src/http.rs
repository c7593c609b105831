//! HTTP plumbing shared by the route handlers: reading JSON bodies within the limits
//! of the contract, writing JSON, CORS and query strings.

use crate::error::ApiError;
use nps_shared::problem::ProblemKind;
use nps_shared::validate::{FieldError, MAX_BODY_BYTES};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::collections::HashMap;
use worker::{Request, Response};

/// Reads a JSON body: 415 unless `application/json`, 413 beyond 16 KiB, 400 if it does
/// not parse or an object in it names a key twice (the detail names the key).
pub async fn read_json(req: &mut Request) -> Result<serde_json::Value, ApiError> {
    let (media_type, content_type) = media_type(req)?;
    if media_type != "application/json" {
        return Err(ApiError::new(
            ProblemKind::UnsupportedMediaType,
            format!(
                "send Content-Type: application/json (got {:?})",
                content_type
            ),
        ));
    }
    let bytes = read_bounded(req, MAX_BODY_BYTES, || {
        format!("the body must be at most {MAX_BODY_BYTES} bytes")
    })
    .await?;
    nps_shared::json::parse_strict_slice(&bytes)
        .map_err(|e| ApiError::new(ProblemKind::MalformedJson, e.to_string()))
}

/// The request's media type (lower case, without parameters) and its `Content-Type`
/// as sent.
pub fn media_type(req: &Request) -> Result<(String, String), ApiError> {
    let content_type = req.headers().get("Content-Type")?.unwrap_or_default();
    let media_type = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    Ok((media_type, content_type))
}

/// The raw body, at most `max` bytes: 413 with `detail()` when its `Content-Length`
/// says more (before reading it) or when more came.
pub async fn read_bounded(
    req: &mut Request,
    max: usize,
    detail: impl Fn() -> String,
) -> Result<Vec<u8>, ApiError> {
    let too_large = || ApiError::new(ProblemKind::PayloadTooLarge, detail());
    let declared = req
        .headers()
        .get("Content-Length")?
        .and_then(|l| l.parse::<usize>().ok());
    if declared.is_some_and(|len| len > max) {
        return Err(too_large());
    }
    let bytes = req.bytes().await?;
    if bytes.len() > max {
        return Err(too_large());
    }
    Ok(bytes)
}

/// Decodes an admin request into its wire type; a wrong shape is a 422 naming the
/// field, and so is a key the type does not know (`theme.colour`, `filter.survey_id`):
/// a misspelled setting must not be dropped in silence and leave the old behaviour on.
pub fn decode<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, ApiError> {
    let mut unknown = Vec::new();
    let decoded: Result<T, _> =
        serde_ignored::deserialize(value, |path| unknown.push(dotted(&path)));
    let decoded = decoded.map_err(|e| {
        let message = e.to_string();
        // serde names a field between backticks ("missing field `url`", "unknown field
        // `x`", and ours: "invalid `scopes`: …"); other messages quote values there
        // ("invalid type: integer `7`").
        let names_a_field = [
            "missing field",
            "unknown field",
            "duplicate field",
            "invalid `",
        ]
        .iter()
        .any(|start| message.starts_with(start));
        let field = if names_a_field {
            message.split('`').nth(1).unwrap_or_default().to_string()
        } else {
            String::new()
        };
        ApiError::validation(vec![FieldError::new(field, message)])
    })?;
    if unknown.is_empty() {
        Ok(decoded)
    } else {
        Err(ApiError::validation(
            unknown
                .into_iter()
                .map(|field| {
                    let message = format!("unknown field `{field}`: not part of this request");
                    FieldError::new(field, message)
                })
                .collect(),
        ))
    }
}

/// `triggers.url_rules.0.negate`: keys and indexes from the body's root, the way the
/// other field errors name a field (serde_ignored writes `?` for an `Option`).
fn dotted(path: &serde_ignored::Path) -> String {
    use serde_ignored::Path;
    let mut parts = Vec::new();
    let mut at = path;
    loop {
        match at {
            Path::Root => break,
            Path::Seq { parent, index } => {
                parts.push(index.to_string());
                at = parent;
            }
            Path::Map { parent, key } => {
                parts.push(key.clone());
                at = parent;
            }
            Path::Some { parent }
            | Path::NewtypeStruct { parent }
            | Path::NewtypeVariant { parent } => at = parent,
        }
    }
    parts.reverse();
    parts.join(".")
}

pub fn json<T: Serialize>(status: u16, body: &T) -> Result<Response, ApiError> {
    let mut response = Response::ok(serde_json::to_string(body).map_err(ApiError::unavailable)?)?
        .with_status(status);
    response
        .headers_mut()
        .set("Content-Type", "application/json")?;
    Ok(response)
}

pub fn no_content() -> Result<Response, ApiError> {
    Ok(Response::empty()?.with_status(204))
}

/// The calling page's origin when it is another site's. A page of this worker (the
/// demo, the hosted survey page) calls same-origin, which CORS does not govern.
pub fn origin(req: &Request) -> Option<String> {
    let origin = req.headers().get("Origin").ok().flatten()?;
    let own = req.url().ok().map(|u| u.origin().ascii_serialization());
    (own.as_deref() != Some(origin.as_str())).then_some(origin)
}

/// `https://host[:port]` of this worker as the request reached it, for links.
pub fn base_url(req: &Request) -> Result<String, ApiError> {
    Ok(req.url()?.origin().ascii_serialization())
}

/// Answers a CORS preflight of a public endpoint. It admits any origin: which origins
/// may use a survey is only known from the survey, so the real request enforces it
/// (with a 403 that carries no CORS headers and so stays unreadable to the page).
pub fn preflight(origin: Option<&str>) -> Result<Response, ApiError> {
    let mut response = Response::empty()?.with_status(204);
    let headers = response.headers_mut();
    if let Some(origin) = origin {
        headers.set("Access-Control-Allow-Origin", origin)?;
        headers.set("Access-Control-Allow-Methods", "GET, POST, PATCH, OPTIONS")?;
        headers.set(
            "Access-Control-Allow-Headers",
            "Content-Type, Idempotency-Key",
        )?;
        headers.set("Access-Control-Max-Age", "86400")?;
    }
    headers.set("Vary", "Origin")?;
    Ok(response)
}

/// Lets the calling page read a public endpoint's answer, unless the answer is the
/// 403 that refused its origin.
pub fn allow_origin(mut response: Response, origin: Option<&str>) -> worker::Result<Response> {
    if let Some(origin) = origin
        && response.status_code() != 403
    {
        response
            .headers_mut()
            .set("Access-Control-Allow-Origin", origin)?;
        // So that the widget can read how long to wait after a 429 or 503.
        response.headers_mut().set(
            "Access-Control-Expose-Headers",
            &format!("Retry-After, {D1_QUERIES_HEADER}"),
        )?;
    }
    response.headers_mut().set("Vary", "Origin")?;
    Ok(response)
}

pub fn query(req: &Request) -> Result<HashMap<String, String>, ApiError> {
    Ok(req.url()?.query_pairs().into_owned().collect())
}

/// A query parameter; an empty one counts as absent (`?category=` means "any").
pub fn param<'a>(query: &'a HashMap<String, String>, name: &str) -> Option<&'a str> {
    query
        .get(name)
        .map(String::as_str)
        .filter(|v| !v.is_empty())
}

/// The response header that says how many D1 queries (statements) the request ran
/// before its response was handed over: `store::metered` counts them.
pub const D1_QUERIES_HEADER: &str = "X-D1-Queries";

/// The client a request counts against for rate limits: `CF-Connecting-IP`.
pub fn client(req: &Request) -> String {
    nps_shared::rate_limit::client(
        req.headers()
            .get("CF-Connecting-IP")
            .ok()
            .flatten()
            .as_deref(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_admin_body_with_a_key_its_type_does_not_read_is_a_422_naming_the_path() {
        use nps_shared::api::SurveyPatch;
        let patch = serde_json::json!({
            "name": "Shop",
            "triggers": {"url_rules": [{"match": "contains", "value": "/", "negate": true}]},
            "throttle": {"days": 30, "weeks": 2},
        });
        let error = decode::<SurveyPatch>(patch).unwrap_err();
        assert_eq!(error.status(), 422);
        assert_eq!(
            error.fields(),
            ["throttle.weeks", "triggers.url_rules.0.negate"]
        );
    }

    #[test]
    fn an_admin_body_of_known_keys_decodes_as_before() {
        use nps_shared::api::SurveyPatch;
        let patch: SurveyPatch =
            decode(serde_json::json!({"name": "Shop", "rate_limit_per_minute": 60})).unwrap();
        assert_eq!(patch.name.as_deref(), Some("Shop"));
        assert_eq!(patch.rate_limit_per_minute, Some(60));
        let error = decode::<SurveyPatch>(serde_json::json!({"name": 7})).unwrap_err();
        assert_eq!(
            error.fields(),
            [""],
            "a wrong type is still a 422 (serde names no field)"
        );
    }

    #[test]
    fn a_field_our_own_deserializers_name_is_the_field_of_the_422() {
        use nps_shared::staff::CreateApiKey;
        let error = decode::<CreateApiKey>(serde_json::json!({"name": "x", "scopes": ["write"]}))
            .unwrap_err();
        assert_eq!(error.fields(), ["scopes"]);
    }
}
