//! Helpers for the browser tests: a host element with an open shadow root (as the
//! loader makes it), mount options as the loader builds them, a fake `fetch` that
//! records requests, DOM queries into the shadow root, key presses, and waiting.

use wasm_bindgen::{JsCast, JsValue};
use web_sys::{HtmlElement, ShadowRoot};

/// A survey config as the worker sends it (`GET /v1/surveys/{id}/config`), in English.
pub const CONFIG_JSON: &str = r##"{"survey_id":"s_test","locale":"en","texts":{
    "question":"How likely are you to recommend us to a friend?",
    "follow_up":{"detractor":"What went wrong?","passive":"What would make it a 10?",
                 "promoter":"What do you like most?"},
    "thanks":"Thank you!","low_label":"Not likely","high_label":"Very likely",
    "comment_placeholder":"Your comment","submit":"Send","dismiss":"Close"},
    "theme":{"accent":"#16a34a","position":"bottom-right"},"throttle":{"days":90},
    "messages":{"error":"Your answer could not be sent.","retry":"Try again",
    "queued":"No connection right now. Your answer is saved and will be sent automatically.",
    "already_answered":"You have already answered this survey — thank you!",
    "invalid_link":"This survey link is no longer valid."},"dir":"ltr"}"##;

/// The config the worker sends for `locale` when the survey has no texts in it: the
/// built-in words of that language (`nps_shared::words`).
pub fn built_in_config_json(locale: &str) -> String {
    let w = nps_shared::words::built_in(locale).expect("built-in words");
    let texts = w.texts(None);
    let q = |s: &str| ["\"", &s.replace('\\', "\\\\").replace('"', "\\\""), "\""].concat();
    [
        r#"{"survey_id":"s_test","locale":"#,
        &q(locale),
        r#","texts":{"question":"#,
        &q(&texts.question),
        r#","follow_up":{"detractor":"#,
        &q(w.detractor),
        r#","passive":"#,
        &q(w.passive),
        r#","promoter":"#,
        &q(w.promoter),
        r#"},"thanks":"#,
        &q(w.thanks),
        r#","low_label":"#,
        &q(w.low),
        r#","high_label":"#,
        &q(w.high),
        r#","comment_placeholder":"#,
        &q(w.placeholder),
        r#","submit":"#,
        &q(w.send),
        r#","dismiss":"#,
        &q(w.close),
        r##"},"theme":{"accent":"#16a34a","position":"bottom-right"},"throttle":{"days":90}"##,
        r#","messages":{"error":"#,
        &q(w.error),
        r#","retry":"#,
        &q(w.retry),
        r#","queued":"#,
        &q(w.queued),
        r#","already_answered":"#,
        &q(w.already),
        r#","invalid_link":"#,
        &q(w.invalid_link),
        r#"},"dir":"#,
        &q(if nps_shared::locale::is_rtl(locale) {
            "rtl"
        } else {
            "ltr"
        }),
        "}",
    ]
    .concat()
}

pub fn document() -> web_sys::Document {
    web_sys::window()
        .and_then(|w| w.document())
        .expect("a document")
}

/// A `<nps-widget>` host in the test page's body, with its shadow root.
pub fn host() -> (HtmlElement, ShadowRoot) {
    let document = document();
    let host: HtmlElement = document
        .create_element("nps-widget")
        .expect("element")
        .unchecked_into();
    document
        .body()
        .expect("body")
        .append_child(&host)
        .expect("append");
    let root = host
        .attach_shadow(&web_sys::ShadowRootInit::new(web_sys::ShadowRootMode::Open))
        .expect("shadow root");
    (host, root)
}

/// Mount options as the loader builds them: `data` (the tag's dataset) from `data`
/// (JSON members added to `{"survey":"s_test"}`), the test config, `who` answering
/// from `globalThis.npsWho`, and `on` logging into `globalThis.npsTold` (both reset).
pub fn options(data: &str) -> JsValue {
    options_with(data, CONFIG_JSON)
}

/// [`options`] with another config.
pub fn options_with(data: &str, config: &str) -> JsValue {
    let json = [
        r#"{"api":"https://api.example/","data":{"survey":"s_test""#,
        data,
        r#"},"config":"#,
        config,
        "}",
    ]
    .concat();
    let build = js_sys::Function::new_with_args(
        "json",
        r#"
        // Each widget tells its own list: a widget of an earlier test that is still
        // retrying must not write into this one's.
        const told = globalThis.npsTold = [];
        globalThis.npsWho = { id: 'u_7', user_hash: '0a'.repeat(32), properties: { store: 'berlin' } };
        const options = JSON.parse(json);
        options.who = () => globalThis.npsWho;
        options.on = (kind, detail) => told.push(
            [kind, detail.score ?? '-', detail.category ?? '-'].join(' '));
        return options;"#,
    );
    build
        .call1(&JsValue::NULL, &JsValue::from_str(&json))
        .expect("the options")
}

/// Replaces `fetch`: every call is recorded in `globalThis.npsCalls` as `{ method,
/// url, key, keepalive, body }`; a GET (the config) answers with [`CONFIG_JSON`];
/// other requests (POSTs and PATCHes alike, in the order they are made) answer with
/// `statuses` in turn (0: a network failure), then POSTs with 201 and PATCHes with 200.
/// Restored on drop.
pub fn fake_fetch(statuses: &[u16]) -> FetchGuard {
    let window = web_sys::window().expect("window");
    let original = get(&window, "fetch");
    let queue = js_sys::Array::new();
    for status in statuses {
        queue.push(&JsValue::from(*status));
    }
    let install = js_sys::Function::new_with_args(
        "statuses, config",
        r#"
        globalThis.npsCalls = [];
        globalThis.fetch = async (url, init) => {
            const headers = init.headers || {};
            const call = { method: init.method, url, key: headers['Idempotency-Key'] ?? null,
                           type: headers['Content-Type'], keepalive: init.keepalive === true,
                           body: init.body };
            globalThis.npsCalls.push(call);
            const json = (status, body) => new Response(JSON.stringify(body),
                { status, headers: { 'Content-Type': 'application/json' } });
            if (call.method === 'GET') return json(200, JSON.parse(config));
            const post = call.method === 'POST';
            if (post) await new Promise((done) => setTimeout(done, globalThis.npsPostDelay ?? 0));
            const status = statuses.shift() ?? (post ? 201 : 200);
            if (status === 0) throw new TypeError('Failed to fetch');
            return status >= 300 ? json(status, { title: 'No', status })
                : post ? json(status, { id: 'r_1', category: 'detractor', edit_token: 'tok_1' })
                : json(status, { id: 'r_1', category: 'detractor', comment: 'c' });
        };"#,
    );
    install
        .call2(&JsValue::NULL, &queue, &JsValue::from_str(CONFIG_JSON))
        .expect("install the fake fetch");
    FetchGuard { original }
}

pub struct FetchGuard {
    original: JsValue,
}

impl Drop for FetchGuard {
    fn drop(&mut self) {
        let window = web_sys::window().expect("window");
        let _ = js_sys::Reflect::set(&window, &"fetch".into(), &self.original);
        let _ = js_sys::Reflect::delete_property(&window, &"npsPostDelay".into());
        clear_outbox();
    }
}

/// Removes every outbox entry (`nps:o:…`) of the test page.
pub fn clear_outbox() {
    let storage = web_sys::window()
        .and_then(|w| w.local_storage().ok().flatten())
        .expect("localStorage");
    for key in outbox_keys() {
        let _ = storage.remove_item(&["nps:o:", &key].concat());
    }
}

/// The idempotency keys in the outbox.
pub fn outbox_keys() -> Vec<String> {
    let storage = web_sys::window()
        .and_then(|w| w.local_storage().ok().flatten())
        .expect("localStorage");
    (0..storage.length().expect("length"))
        .filter_map(|i| storage.key(i).ok().flatten())
        .filter_map(|k| k.strip_prefix("nps:o:").map(String::from))
        .collect()
}

/// The text of the outbox entry of `key`, empty when there is none.
pub fn outbox_entry(key: &str) -> String {
    web_sys::window()
        .and_then(|w| w.local_storage().ok().flatten())
        .and_then(|s| s.get_item(&["nps:o:", key].concat()).ok().flatten())
        .unwrap_or_default()
}

pub fn calls() -> Vec<JsValue> {
    let window = web_sys::window().expect("window");
    js_sys::Array::from(&get(&window, "npsCalls")).to_vec()
}

pub fn posts() -> Vec<JsValue> {
    calls()
        .into_iter()
        .filter(|c| field(c, "method") == "POST")
        .collect()
}

pub fn field(call: &JsValue, name: &str) -> String {
    let value = get(call, name);
    value
        .as_string()
        .or_else(|| value.as_bool().map(|b| b.to_string()))
        .unwrap_or_default()
}

/// What `on` was told so far, as `kind score category` lines.
pub fn told() -> Vec<String> {
    let window = web_sys::window().expect("window");
    js_sys::Array::from(&get(&window, "npsTold"))
        .iter()
        .filter_map(|v| v.as_string())
        .collect()
}

pub fn all(root: &ShadowRoot, selector: &str) -> Vec<HtmlElement> {
    let list = root.query_selector_all(selector).expect("a valid selector");
    (0..list.length())
        .filter_map(|i| list.item(i))
        .map(JsCast::unchecked_into)
        .collect()
}

pub fn one(root: &ShadowRoot, selector: &str) -> HtmlElement {
    all(root, selector)
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("no {selector} in the shadow root"))
}

pub fn shows(root: &ShadowRoot, selector: &str) -> bool {
    !all(root, selector).is_empty()
}

pub fn text(element: &HtmlElement) -> String {
    element.text_content().unwrap_or_default()
}

/// The text of the element that has focus inside `root`.
pub fn focused(root: &ShadowRoot) -> String {
    root.active_element()
        .and_then(|e| e.text_content())
        .unwrap_or_default()
}

/// Dispatches a bubbling, cancelable keydown of `key` on `target`.
pub fn press(target: &HtmlElement, key: &str) {
    let init = web_sys::KeyboardEventInit::new();
    init.set_key(key);
    init.set_bubbles(true);
    init.set_cancelable(true);
    let event =
        web_sys::KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).expect("event");
    target.dispatch_event(&event).expect("dispatch");
}

/// Lets timers and fetches run for `ms` milliseconds.
pub async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let window = web_sys::window().expect("window");
        window
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms)
            .expect("setTimeout");
    });
    wasm_bindgen_futures::JsFuture::from(promise)
        .await
        .expect("timer");
}

/// Waits (up to three seconds) until `done` holds.
pub async fn until(what: &str, done: impl Fn() -> bool) {
    for _ in 0..300 {
        if done() {
            return;
        }
        sleep(10).await;
    }
    panic!("timed out waiting until {what}");
}

pub fn get(target: &JsValue, key: &str) -> JsValue {
    js_sys::Reflect::get(target, &JsValue::from_str(key)).expect("Reflect.get")
}
