//! Team sign-in with Cloudflare Access, the worker's half. With `ACCESS_TEAM_DOMAIN`
//! and `ACCESS_AUD` both set, a request carrying Access's `Cf-Access-Jwt-Assertion`
//! header is signed in as the person it names: the assertion is read and its claims
//! checked by `nps_shared::access`, and its RS256 signature verified here with
//! WebCrypto against the team's key set, fetched from `<team>/cdn-cgi/access/certs`.
//!
//! The key set is kept in the isolate's memory for [`KEYS_TTL_MS`]; an assertion
//! naming a key the kept set lacks (Cloudflare rotated its keys) fetches it again, at
//! most once per request and once per [`REFETCH_FLOOR_MS`] per isolate, so made-up
//! `kid`s cannot turn requests into subrequests. When a refresh fails, a kept key
//! that the assertion names is still used.
//!
//! What a caller gets: no one when Access is off or the header is absent; a 401
//! problem+json for an assertion that is present but not genuine, current and for
//! this application; a 503 when the keys cannot be fetched (nothing is admitted
//! unverified); a 403 when a signed-in browser session is used from another site's
//! page (Access's cookie would otherwise carry it there). A service token is no
//! person: its request goes on as if not signed in, to need a key of its own.
//!
//! Depends on `app`, `error` and `http` only; `router` and `routes` call it.

use crate::app::{App, now_ms, setting};
use crate::error::ApiError;
use crate::http;
use nps_shared::access::{Assertion, AssertionError, Identity, Jwks, RsaKey, Team};
use nps_shared::problem::ProblemKind;
use std::cell::RefCell;
use worker::wasm_bindgen::{JsCast, JsValue};
use worker::wasm_bindgen_futures::JsFuture;
use worker::{Fetch, Method, Request, RequestInit};

/// The header in which Access forwards the signed-in person's assertion.
pub const ASSERTION_HEADER: &str = "Cf-Access-Jwt-Assertion";
/// How long a fetched key set is used before it is fetched again.
pub const KEYS_TTL_MS: i64 = 10 * 60 * 1000;
/// The least time between two fetches for a key the kept set lacks.
pub const REFETCH_FLOOR_MS: i64 = 1000;
const FETCH_TIMEOUT_MS: u32 = 5000;

/// A person signed in through Cloudflare Access.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessUser {
    /// Verified by the team's identity provider: the actor of what they change.
    pub email: String,
}

/// The Access application this worker sits behind, if Access is on. One of the two
/// settings without the other, or a value that cannot be right, is a 503: an
/// assertion is never silently ignored because of a typo.
pub fn team(app: &App) -> Result<Option<Team>, ApiError> {
    match (
        setting(&app.env, "ACCESS_TEAM_DOMAIN"),
        setting(&app.env, "ACCESS_AUD"),
    ) {
        (None, None) => Ok(None),
        (Some(domain), Some(aud)) => Team::new(&domain, &aud)
            .map(Some)
            .map_err(ApiError::unavailable),
        _ => Err(ApiError::unavailable(
            "set both ACCESS_TEAM_DOMAIN and ACCESS_AUD, or neither",
        )),
    }
}

/// The person Access signed in for this request, if any (see the module's doc).
pub async fn signed_in(req: &Request, app: &App) -> Result<Option<AccessUser>, ApiError> {
    let Some(token) = req.headers().get(ASSERTION_HEADER)? else {
        return Ok(None);
    };
    let Some(team) = team(app)? else {
        return Ok(None);
    };
    let now = now_ms();
    let assertion = Assertion::parse(&token).map_err(refused)?;
    assertion.check(&team, now / 1000).map_err(refused)?;
    let key = key(&team, assertion.key_id(), now).await?;
    let genuine = verify_rs256(
        &key,
        assertion.signing_input().as_bytes(),
        assertion.signature(),
    )
    .await?;
    if !genuine {
        return Err(refused(AssertionError::BadSignature));
    }
    match assertion.identity().map_err(refused)? {
        Identity::Service { .. } => Ok(None),
        Identity::User { email } => {
            if http::origin(req).is_some() {
                return Err(ApiError::new(
                    ProblemKind::Forbidden,
                    "a signed-in session is not accepted from another site's page",
                ));
            }
            Ok(Some(AccessUser { email }))
        }
    }
}

/// 401, counted against the client like a wrong token.
fn refused(error: AssertionError) -> ApiError {
    ApiError::auth_failure(ProblemKind::Unauthorized, error.to_string())
}

/// The team's key set as last fetched by this isolate.
struct KeptKeys {
    certs_url: String,
    fetched_at_ms: i64,
    jwks: Jwks,
}

thread_local! {
    static KEPT: RefCell<Option<KeptKeys>> = const { RefCell::new(None) };
}

/// What to do for a key, given what is kept: `(fetched at, the key if the kept set
/// has it)`.
#[derive(Debug, PartialEq, Eq)]
enum Plan {
    Use(RsaKey),
    Fetch,
    /// Not in a set fetched less than [`REFETCH_FLOOR_MS`] ago.
    Unknown,
}

fn plan(kept: Option<(i64, Option<RsaKey>)>, now_ms: i64) -> Plan {
    match kept {
        None => Plan::Fetch,
        Some((at, Some(key))) if now_ms - at < KEYS_TTL_MS => Plan::Use(key),
        Some((_, Some(_))) => Plan::Fetch,
        Some((at, None)) if now_ms - at >= REFETCH_FLOOR_MS => Plan::Fetch,
        Some((_, None)) => Plan::Unknown,
    }
}

/// The team's key `kid`: kept, or fetched (one subrequest at most).
async fn key(team: &Team, kid: &str, now: i64) -> Result<RsaKey, ApiError> {
    let kept = KEPT.with_borrow(|kept| {
        kept.as_ref()
            .filter(|k| k.certs_url == team.certs_url)
            .map(|k| (k.fetched_at_ms, k.jwks.key(kid).cloned()))
    });
    let stale = match plan(kept.clone(), now) {
        Plan::Use(key) => return Ok(key),
        Plan::Unknown => return Err(refused(AssertionError::UnknownKey)),
        Plan::Fetch => kept.and_then(|(_, key)| key),
    };
    match fetch_keys(&team.certs_url).await {
        Ok(jwks) => {
            let key = jwks.key(kid).cloned();
            KEPT.set(Some(KeptKeys {
                certs_url: team.certs_url.clone(),
                fetched_at_ms: now,
                jwks,
            }));
            key.ok_or_else(|| refused(AssertionError::UnknownKey))
        }
        Err(e) => match stale {
            Some(key) => {
                worker::console_warn!("Access keys not refreshed, the kept ones used: {e}");
                Ok(key)
            }
            None => Err(ApiError::unavailable(format!(
                "the Access keys could not be fetched from {}: {e}",
                team.certs_url
            ))),
        },
    }
}

async fn fetch_keys(url: &str) -> Result<Jwks, String> {
    let mut init = RequestInit::new();
    init.with_method(Method::Get);
    let request = Request::new_with_init(url, &init).map_err(|e| e.to_string())?;
    let signal =
        worker::AbortSignal::from(web_sys::AbortSignal::timeout_with_u32(FETCH_TIMEOUT_MS));
    let mut response = Fetch::Request(request)
        .send_with_signal(&signal)
        .await
        .map_err(|e| e.to_string())?;
    if response.status_code() != 200 {
        return Err(format!("status {}", response.status_code()));
    }
    let body = response.bytes().await.map_err(|e| e.to_string())?;
    Jwks::parse(&body).map_err(|e| e.to_string())
}

/// RSASSA-PKCS1-v1_5 with SHA-256 through WebCrypto. An error importing the team's
/// key is a 503 (the published set is wrong); a signature WebCrypto will not check
/// is not genuine.
async fn verify_rs256(key: &RsaKey, data: &[u8], signature: &[u8]) -> Result<bool, ApiError> {
    let failed = |what: &str, e: JsValue| ApiError::unavailable(format!("{what}: {e:?}"));
    let crypto = js_sys::Reflect::get(&js_sys::global(), &JsValue::from_str("crypto"))
        .map_err(|e| failed("no WebCrypto", e))?;
    let subtle = crypto.unchecked_into::<web_sys::Crypto>().subtle();
    let algorithm = object(&[
        ("name", JsValue::from_str("RSASSA-PKCS1-v1_5")),
        ("hash", JsValue::from_str("SHA-256")),
    ])
    .map_err(|e| failed("building the algorithm", e))?;
    let jwk = object(&[
        ("kty", JsValue::from_str("RSA")),
        ("n", JsValue::from_str(&key.n)),
        ("e", JsValue::from_str(&key.e)),
        ("alg", JsValue::from_str("RS256")),
        ("ext", JsValue::TRUE),
    ])
    .map_err(|e| failed("building the key", e))?;
    let usages = js_sys::Array::of1(&JsValue::from_str("verify"));
    let imported = async {
        JsFuture::from(subtle.import_key_with_object("jwk", &jwk, &algorithm, false, &usages)?)
            .await
    }
    .await
    .map_err(|e| failed(&format!("importing Access key {}", key.kid), e))?;
    let imported = imported.unchecked_into::<web_sys::CryptoKey>();
    let verified =
        async {
            JsFuture::from(subtle.verify_with_object_and_u8_array_and_u8_array(
                &algorithm, &imported, signature, data,
            )?)
            .await
        }
        .await;
    Ok(verified.is_ok_and(|ok| ok.as_bool() == Some(true)))
}

fn object(fields: &[(&str, JsValue)]) -> Result<js_sys::Object, JsValue> {
    let object = js_sys::Object::new();
    for (name, value) in fields {
        js_sys::Reflect::set(&object, &JsValue::from_str(name), value)?;
    }
    Ok(object)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(kid: &str) -> RsaKey {
        RsaKey {
            kid: kid.into(),
            n: "n".into(),
            e: "AQAB".into(),
        }
    }

    #[test]
    fn the_first_assertion_of_an_isolate_fetches_the_keys() {
        assert_eq!(plan(None, 5_000), Plan::Fetch);
    }

    #[test]
    fn a_kept_key_is_used_until_the_set_is_old() {
        let at = 1_000_000;
        assert_eq!(plan(Some((at, Some(key("k")))), at), Plan::Use(key("k")));
        assert_eq!(
            plan(Some((at, Some(key("k")))), at + KEYS_TTL_MS - 1),
            Plan::Use(key("k"))
        );
        assert_eq!(
            plan(Some((at, Some(key("k")))), at + KEYS_TTL_MS),
            Plan::Fetch
        );
    }

    #[test]
    fn an_unknown_key_is_fetched_again_at_most_once_per_floor() {
        let at = 1_000_000;
        assert_eq!(plan(Some((at, None)), at), Plan::Unknown);
        assert_eq!(
            plan(Some((at, None)), at + REFETCH_FLOOR_MS - 1),
            Plan::Unknown
        );
        assert_eq!(plan(Some((at, None)), at + REFETCH_FLOOR_MS), Plan::Fetch);
    }

    #[test]
    fn an_invalid_assertion_is_a_counted_401() {
        let error = refused(AssertionError::Expired);
        assert_eq!(error.status(), 401);
        assert!(error.is_auth_failure());
    }
}
