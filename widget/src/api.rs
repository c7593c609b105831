//! All network I/O of the widget: the answer, the comment, the confirmation of an
//! e-mail answer, the outbox, and the survey config when a Leptos app uses the
//! component without one (the loader fetches the config itself: it needs it to decide
//! whether to show the survey at all).
//!
//! Never lose an answer: before its first POST an answer is written to the outbox
//! (`localStorage["nps:o:<Idempotency-Key>"]` = `<url>\n<body>`, see `outbox.rs`), and
//! it leaves the outbox only when the server has it (2xx) or will never take it
//! (another 4xx). Every POST of it — retries, the `online` event, a flush on the next
//! page load, another tab — carries the same Idempotency-Key, so the server stores it
//! once. The follow-up comment goes the same way as a PATCH entry (the server sets the
//! comment, so a second arrival stores nothing new). Requests are sent with
//! `keepalive`, so one in flight survives the page being closed.
//!
//! Request bodies are written by `json.rs`; responses are read with the browser's
//! `Response.json()`. Nothing here touches the DOM.

use crate::dom::{self, get, string};
use crate::json;
use crate::outbox::{self, PREFIX as OUTBOX};
use crate::retry::is_retryable;
use std::cell::Cell;
use wasm_bindgen::{JsCast, JsValue};

/// What the server said about a stored answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Created {
    pub id: String,
    pub edit_token: String,
}

/// One answer (or its comment), ready to be sent as many times as it takes: the
/// idempotency key is drawn once, here, so every retry of this answer carries the same
/// key. An invitation's answer has a key derived from its token and score instead,
/// which holds across reloads and tabs too.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Submission {
    pub key: String,
    pub url: String,
    pub body: String,
}

impl Submission {
    /// `body` for `url` (`outbox::method` tells how it is sent), kept in the outbox
    /// from now on.
    pub fn new(url: String, key: String, body: String) -> Submission {
        if let Some(storage) = storage() {
            let _ = storage.set_item(&[OUTBOX, &key].concat(), &outbox::entry(&url, &body));
        }
        Submission { key, url, body }
    }

    /// `POST /v1/responses` (with the Idempotency-Key) or the comment's `PATCH`, then
    /// `done` with the parsed reply; a 200 (idempotent replay) is as good as a 201. The
    /// error is the HTTP status, 0 without a response. The outbox entry goes when the
    /// outcome is final.
    pub fn send(&self, done: Reply) {
        let key = [OUTBOX, &self.key].concat();
        let method = outbox::method(&self.url);
        request(
            method,
            &self.url,
            Some(self.key.as_str()).filter(|_| method == "POST"),
            Some(&self.body),
            Box::new(move |result| {
                if !result.as_ref().is_err_and(|s| is_retryable(*s))
                    && let Some(storage) = storage()
                {
                    let _ = storage.remove_item(&key);
                }
                done(result);
            }),
        );
    }
}

/// What the server said about a stored answer (`POST /v1/responses`).
pub fn created(reply: &JsValue) -> Result<Created, u16> {
    match (string(reply, "id"), string(reply, "edit_token")) {
        (Some(id), Some(edit_token)) => Ok(Created { id, edit_token }),
        _ => Err(0),
    }
}

/// The widget's requests besides the answer, at one API origin.
#[derive(Clone, Debug)]
pub struct Api {
    pub origin: String,
}

impl Api {
    pub fn new(origin: &str) -> Api {
        Api {
            origin: origin.trim_end_matches('/').to_owned(),
        }
    }

    fn response_url(&self, created: &Created) -> String {
        let id: String = js_sys::encode_uri_component(&created.id).into();
        [self.origin.as_str(), "/v1/responses/", &id].concat()
    }

    /// `PATCH /v1/responses/{id}` `{"confirm": true}`: a person is on the page, so an
    /// e-mail answer is no mail scanner's visit.
    pub fn confirm(&self, created: &Created) {
        let body = json::Object::new()
            .string("edit_token", &created.edit_token)
            .boolean("confirm", true)
            .finish();
        request(
            "PATCH",
            &self.response_url(created),
            None,
            Some(&body),
            Box::new(drop),
        );
    }

    #[cfg(feature = "app")]
    /// `GET /v1/surveys/{survey}/config?locale=…`, then `done` with the config (the
    /// server picks the first of the survey's languages that `locale` asks for).
    pub fn config(&self, survey: &str, locale: &str, done: Reply) {
        let url = [
            self.origin.as_str(),
            "/v1/surveys/",
            &String::from(js_sys::encode_uri_component(survey)),
            "/config?locale=",
            &String::from(js_sys::encode_uri_component(locale)),
        ]
        .concat();
        request("GET", &url, None, None, done);
    }

    /// The follow-up comment of the answer sent with `key`, as a `PATCH
    /// /v1/responses/{id}` kept in the outbox (under its own key) until it is stored.
    pub fn comment(&self, key: &str, created: &Created, comment: &str) -> Submission {
        let body = json::Object::new()
            .string("edit_token", &created.edit_token)
            .string("comment", comment)
            .finish();
        Submission::new(
            self.response_url(created),
            [key, outbox::COMMENT].concat(),
            body,
        )
    }
}

pub type Reply = Box<dyn FnOnce(Result<JsValue, u16>)>;

/// Sends a request (a JSON `body` with `keepalive`), then `done` with the parsed body of
/// a 2xx response (`undefined` if it had none) or the status (0 for no response).
fn request(method: &str, url: &str, key: Option<&str>, body: Option<&str>, done: Reply) {
    let Ok(window) = dom::window() else {
        return done(Err(0));
    };
    let init = web_sys::RequestInit::new();
    init.set_method(method);
    if let Some(body) = body {
        let headers = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&headers, &"Content-Type".into(), &"application/json".into());
        if let Some(key) = key {
            let _ = js_sys::Reflect::set(&headers, &"Idempotency-Key".into(), &key.into());
        }
        init.set_headers(&headers);
        init.set_body(&JsValue::from_str(body));
        // (web-sys has keepalive only behind its unstable APIs.)
        let _ = js_sys::Reflect::set(&init, &"keepalive".into(), &JsValue::TRUE);
    }
    let fetched = window.fetch_with_str_and_init(url, &init);
    dom::settle(
        &fetched,
        Box::new(move |settled| {
            let response: web_sys::Response = match settled {
                Ok(response) => response.unchecked_into(),
                Err(e) => {
                    dom::warn("no response", &e);
                    return done(Err(0));
                }
            };
            let status = response.status();
            if !response.ok() {
                dom::warn("refused", &JsValue::from(status));
                return done(Err(status));
            }
            match response.json() {
                Ok(parsed) => dom::settle(
                    &parsed,
                    Box::new(move |parsed| done(Ok(parsed.unwrap_or(JsValue::UNDEFINED)))),
                ),
                Err(_) => done(Ok(JsValue::UNDEFINED)),
            }
        }),
    );
}

fn storage() -> Option<web_sys::Storage> {
    dom::window().ok()?.local_storage().ok().flatten()
}

/// The outbox's answers and comments, in no particular order.
pub fn outbox() -> Vec<Submission> {
    let Some(storage) = storage() else {
        return Vec::new();
    };
    let count = storage.length().unwrap_or(0);
    (0..count)
        .filter_map(|i| storage.key(i).ok().flatten())
        .filter_map(|name| {
            let key = name.strip_prefix(OUTBOX)?.to_owned();
            let entry = storage.get_item(&name).ok().flatten()?;
            let (url, body) = outbox::read(&entry)?;
            Some(Submission {
                key,
                url: url.to_owned(),
                body: body.to_owned(),
            })
        })
        .collect()
}

thread_local! {
    static FLUSHING: Cell<bool> = const { Cell::new(false) };
}

/// Sends every answer and comment in the outbox once (one at a time); what cannot be sent yet is
/// tried again on the next `online` event or page load. One flush at a time per page.
pub fn flush() {
    if !FLUSHING.with(|f| f.replace(true)) {
        flush_next(outbox(), false);
    }
}

fn flush_next(mut rest: Vec<Submission>, waiting: bool) {
    let Some(submission) = rest.pop() else {
        FLUSHING.with(|f| f.set(false));
        if waiting && let Ok(window) = dom::window() {
            let window: web_sys::EventTarget = window.into();
            let once = std::rc::Rc::new(Cell::new(false));
            dom::on(&window, "online", move |_| {
                if !once.replace(true) {
                    flush();
                }
            });
        }
        return;
    };
    submission.send(Box::new(move |result| {
        let waiting = waiting || matches!(result, Err(status) if is_retryable(status));
        flush_next(rest, waiting);
    }));
}

/// A random UUID v4: `crypto.randomUUID()` where it exists (secure contexts only), else
/// built from `Math.random` (plain-http pages).
pub fn new_idempotency_key() -> String {
    if let Some(crypto) = dom::window().ok().and_then(|w| w.crypto().ok())
        && get(&crypto, "randomUUID").is_function()
    {
        return crypto.random_uuid();
    }
    let mut bytes = [0u8; 16];
    for b in bytes.iter_mut() {
        *b = (js_sys::Math::random() * 256.0) as u8;
    }
    crate::embed::uuid_v4(bytes)
}
