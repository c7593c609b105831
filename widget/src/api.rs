//! All network I/O of the widget: the answer and the comment. (The survey config is
//! fetched by the loader, which needs it to decide whether to show the survey.)
//!
//! JSON goes through the browser's own `JSON.parse`/`JSON.stringify` and
//! serde-wasm-bindgen rather than serde_json, which would cost tens of KB of wasm.
//! Errors are logged by the caller with `console.warn`; nothing here touches the DOM.

use gloo_net::http::{Request, RequestBuilder};
use nps_shared::api::{ResponseCreated, SubmitResponse, UpdateResponse};
use serde::Serialize;
use serde::de::DeserializeOwned;
use wasm_bindgen::JsValue;

/// Why a request did not give what was expected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    /// The HTTP status, or 0 when there was no response (network, CORS, CSP) or its
    /// body was not what the contract says.
    pub status: u16,
    /// The response body (problem+json) or the browser's error message.
    pub detail: String,
}

impl ApiError {
    fn local(detail: impl Into<String>) -> ApiError {
        ApiError {
            status: 0,
            detail: detail.into(),
        }
    }

    fn from_js(value: JsValue) -> ApiError {
        ApiError::local(
            js_sys::JSON::stringify(&value)
                .map(String::from)
                .unwrap_or_default(),
        )
    }

    /// Logs the error with what was being done.
    pub fn warn(&self, doing: &str) {
        web_sys::console::warn_3(
            &JsValue::from_str(&["nps-widget: ", doing, " failed"].concat()),
            &JsValue::from(self.status),
            &JsValue::from_str(&self.detail),
        );
    }
}

/// One answer, ready to be POSTed as many times as it takes: the idempotency key is
/// drawn once, here, so every retry of this answer carries the same key and the
/// server stores it exactly once. An invitation's answer has a key derived from its
/// token and score instead, which holds across reloads and tabs too.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Submission {
    pub idempotency_key: String,
    pub body: String,
}

impl Submission {
    pub fn new(answer: &SubmitResponse) -> Result<Submission, ApiError> {
        Ok(Submission {
            idempotency_key: match &answer.token {
                Some(token) => crate::embed::token_key(token, answer.score),
                None => new_idempotency_key(),
            },
            body: to_json(answer)?,
        })
    }
}

/// The worker's public API at one origin.
#[derive(Clone, Debug)]
pub struct Api {
    origin: String,
}

impl Api {
    pub fn new(origin: &str) -> Api {
        Api {
            origin: origin.trim_end_matches('/').to_owned(),
        }
    }

    /// `POST /v1/responses`; a 200 (idempotent replay) is as good as a 201.
    pub async fn submit(&self, submission: &Submission) -> Result<ResponseCreated, ApiError> {
        let url = [&self.origin, "/v1/responses"].concat();
        let request = Request::post(&url)
            .header("Content-Type", "application/json")
            .header("Idempotency-Key", &submission.idempotency_key);
        from_json(&send(request, Some(&submission.body)).await?)
    }

    /// `PATCH /v1/responses/{id}` `{"confirm": true}`: a person is on the page, so an
    /// e-mail answer is no mail scanner's visit.
    pub async fn confirm(&self, created: &ResponseCreated) -> Result<(), ApiError> {
        #[derive(serde::Serialize)]
        struct Confirm<'a> {
            edit_token: &'a str,
            confirm: bool,
        }
        let url = [&self.origin, "/v1/responses/", &encode(&created.id)].concat();
        let body = to_json(&Confirm {
            edit_token: &created.edit_token,
            confirm: true,
        })?;
        let request = Request::patch(&url).header("Content-Type", "application/json");
        send(request, Some(&body)).await.map(drop)
    }

    /// `PATCH /v1/responses/{id}` with the follow-up comment.
    pub async fn add_comment(
        &self,
        created: &ResponseCreated,
        comment: String,
    ) -> Result<(), ApiError> {
        let url = [&self.origin, "/v1/responses/", &encode(&created.id)].concat();
        let body = to_json(&UpdateResponse {
            edit_token: created.edit_token.clone(),
            comment,
        })?;
        let request = Request::patch(&url).header("Content-Type", "application/json");
        send(request, Some(&body)).await.map(drop)
    }
}

/// Sends a request and returns the body of a 2xx response.
async fn send(request: RequestBuilder, body: Option<&str>) -> Result<String, ApiError> {
    let request = match body {
        Some(body) => request.body(body),
        None => request.build(),
    }
    .map_err(|e| ApiError::local(e.to_string()))?;
    let response = request
        .send()
        .await
        .map_err(|e| ApiError::local(e.to_string()))?;
    let text = response
        .text()
        .await
        .map_err(|e| ApiError::local(e.to_string()))?;
    if response.ok() {
        Ok(text)
    } else {
        Err(ApiError {
            status: response.status(),
            detail: text,
        })
    }
}

fn encode(component: &str) -> String {
    js_sys::encode_uri_component(component).into()
}

/// JSON text through the browser's `JSON.stringify`. Maps become plain objects (the
/// `properties` of an answer), not JS `Map`s, which would stringify as `{}`.
pub fn to_json<T: Serialize>(value: &T) -> Result<String, ApiError> {
    let value = value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| ApiError::local(e.to_string()))?;
    js_sys::JSON::stringify(&value)
        .map(String::from)
        .map_err(ApiError::from_js)
}

/// JSON text through the browser's `JSON.parse`.
pub fn from_json<T: DeserializeOwned>(text: &str) -> Result<T, ApiError> {
    let value = js_sys::JSON::parse(text).map_err(ApiError::from_js)?;
    serde_wasm_bindgen::from_value(value).map_err(|e| ApiError::local(e.to_string()))
}

/// A random UUID v4: `crypto.randomUUID()` where it exists (secure contexts only), else
/// built from `crypto.getRandomValues`, which plain-http pages have too.
fn new_idempotency_key() -> String {
    let Some(crypto) = web_sys::window().and_then(|w| w.crypto().ok()) else {
        return fallback_key(&mut [0; 16]);
    };
    if js_sys::Reflect::has(&crypto, &JsValue::from_str("randomUUID")).unwrap_or(false) {
        return crypto.random_uuid();
    }
    let mut bytes = [0u8; 16];
    let _ = crypto.get_random_values_with_u8_array(&mut bytes);
    fallback_key(&mut bytes)
}

fn fallback_key(bytes: &mut [u8; 16]) -> String {
    if bytes.iter().all(|b| *b == 0) {
        // No crypto at all (never seen in a browser that runs wasm): Math.random is
        // still far better than a constant key, which would merge different answers.
        for b in bytes.iter_mut() {
            *b = (js_sys::Math::random() * 256.0) as u8;
        }
    }
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut key = String::with_capacity(36);
    for (i, b) in bytes.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            key.push('-');
        }
        key.push(char::from(HEX[usize::from(b >> 4)]));
        key.push(char::from(HEX[usize::from(b & 0x0f)]));
    }
    key
}

#[cfg(test)]
mod tests {
    use super::*;
    use nps_shared::api::{Channel, Respondent, SurveyConfig};
    use nps_shared::{Category, Score};
    use std::collections::BTreeMap;
    use wasm_bindgen_test::wasm_bindgen_test;

    fn answer() -> SubmitResponse {
        SubmitResponse {
            survey_id: "s_demo".into(),
            score: Score::try_from(3u8).expect("a score"),
            comment: None,
            channel: Channel::Web,
            locale: Some("de".into()),
            page_url: Some("https://shop.example/a".into()),
            respondent: Respondent::default(),
            properties: BTreeMap::new(),
            token: None,
        }
    }

    #[wasm_bindgen_test]
    fn an_anonymous_answer_is_sent_without_respondent_or_properties() {
        let json = to_json(&answer()).expect("json");
        assert_eq!(
            json,
            r#"{"survey_id":"s_demo","score":3,"channel":"web","locale":"de","page_url":"https://shop.example/a"}"#
        );
    }

    #[wasm_bindgen_test]
    fn properties_are_sent_as_a_json_object() {
        let mut answer = answer();
        answer.properties.insert("store".into(), "berlin".into());
        answer.respondent.id = Some("u_1".into());
        let json = to_json(&answer).expect("json");
        assert!(
            json.ends_with(r#","respondent":{"id":"u_1"},"properties":{"store":"berlin"}}"#),
            "{json}"
        );
    }

    #[wasm_bindgen_test]
    fn a_created_response_is_read_from_the_browsers_json() {
        let created: ResponseCreated =
            from_json(r#"{"id":"r_1","category":"detractor","edit_token":"t"}"#).expect("decodes");
        assert_eq!(created.category, Category::Detractor);
        assert!(
            from_json::<ResponseCreated>(r#"{"id":"r_1","category":"angry","edit_token":"t"}"#)
                .is_err()
        );
        assert!(from_json::<ResponseCreated>("not json").is_err());
    }

    #[wasm_bindgen_test]
    fn a_survey_config_is_read_from_the_contracts_json() {
        let config: SurveyConfig = from_json(crate::test_support::CONFIG_JSON).expect("decodes");
        assert_eq!(config.texts.follow_up.promoter, "What do you like most?");
        assert_eq!(config.throttle.days, 90);
    }

    #[wasm_bindgen_test]
    fn an_invitations_key_follows_its_token_and_score_and_is_sent_with_the_token() {
        let mut invited = answer();
        invited.token = Some("inv.abc".into());
        invited.channel = Channel::Email;
        let first = Submission::new(&invited).expect("a submission");
        let again = Submission::new(&invited).expect("a submission");
        assert_eq!(first.idempotency_key, again.idempotency_key);
        assert_eq!(
            first.idempotency_key,
            crate::embed::token_key("inv.abc", invited.score)
        );
        assert!(first.idempotency_key.starts_with("tok-"));
        assert!(
            first
                .body
                .ends_with(r#""channel":"email","locale":"de","page_url":"https://shop.example/a","token":"inv.abc"}"#),
            "{}",
            first.body
        );

        invited.score = Score::try_from(4u8).expect("a score");
        let other = Submission::new(&invited).expect("a submission");
        assert_ne!(other.idempotency_key, first.idempotency_key);

        let plain = answer();
        let (a, b) = (
            Submission::new(&plain).expect("a submission"),
            Submission::new(&plain).expect("a submission"),
        );
        assert_ne!(a.idempotency_key, b.idempotency_key, "no token: random");
    }

    #[wasm_bindgen_test]
    fn idempotency_keys_are_random_v4_uuids() {
        let (a, b) = (new_idempotency_key(), new_idempotency_key());
        assert_ne!(a, b);
        let fallback = fallback_key(&mut [0xff; 16]);
        assert_eq!(fallback, "ffffffff-ffff-4fff-bfff-ffffffffffff");
        assert_eq!(a.len(), 36);
        assert_eq!(a.as_bytes()[14], b'4');
    }
}
