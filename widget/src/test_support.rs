//! Helpers for the browser tests: a host element with an open shadow root (as the
//! loader makes it), DOM queries into it, key presses, and waiting.

use leptos::prelude::*;
use nps_shared::api::{SurveyConfig, SurveyTexts};
use std::any::Any;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{HtmlElement, ShadowRoot};

/// A survey config as the worker sends it (`GET /v1/surveys/{id}/config`).
pub const CONFIG_JSON: &str = r##"{"survey_id":"s_test","locale":"en","texts":{
    "question":"How likely are you to recommend us to a friend?",
    "follow_up":{"detractor":"What went wrong?","passive":"What would make it a 10?",
                 "promoter":"What do you like most?"},
    "thanks":"Thank you!","low_label":"Not likely","high_label":"Very likely",
    "comment_placeholder":"Your comment","submit":"Send","dismiss":"Close"},
    "theme":{"accent":"#16a34a","position":"bottom-right"},"throttle":{"days":90}}"##;

pub fn config() -> SurveyConfig {
    crate::api::from_json(CONFIG_JSON).expect("the test config decodes")
}

pub fn texts() -> SurveyTexts {
    config().texts
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

/// A view mounted in a shadow root with the widget's styles; removed on drop.
pub struct Fixture {
    pub host: HtmlElement,
    pub root: ShadowRoot,
    handle: Option<Box<dyn Any>>,
}

impl Drop for Fixture {
    fn drop(&mut self) {
        drop(self.handle.take());
        self.host.remove();
    }
}

pub fn mount<F, N>(f: F) -> Fixture
where
    F: FnOnce() -> N + 'static,
    N: IntoView + 'static,
{
    let (host, root) = host();
    crate::style::install(&root, "#16a34a");
    let container: HtmlElement = document()
        .create_element("div")
        .expect("div")
        .unchecked_into();
    root.append_child(&container).expect("append");
    let handle = leptos::mount::mount_to(container, f);
    Fixture {
        host,
        root,
        handle: Some(Box::new(handle)),
    }
}

impl Fixture {
    pub fn all(&self, selector: &str) -> Vec<HtmlElement> {
        all(&self.root, selector)
    }

    pub fn one(&self, selector: &str) -> HtmlElement {
        self.find(selector)
            .unwrap_or_else(|| panic!("no {selector} in the shadow root"))
    }

    pub fn find(&self, selector: &str) -> Option<HtmlElement> {
        self.root
            .query_selector(selector)
            .ok()
            .flatten()
            .map(JsCast::unchecked_into)
    }

    pub fn focused(&self) -> Option<HtmlElement> {
        self.root.active_element().map(JsCast::unchecked_into)
    }
}

pub fn all(root: &ShadowRoot, selector: &str) -> Vec<HtmlElement> {
    let list = root.query_selector_all(selector).expect("a valid selector");
    (0..list.length())
        .filter_map(|i| list.item(i))
        .map(JsCast::unchecked_into)
        .collect()
}

pub fn text(element: &HtmlElement) -> String {
    element.text_content().unwrap_or_default()
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

/// Lets timers, fetches and Leptos effects run for `ms` milliseconds.
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

/// Waits (up to two seconds) until `done` holds.
pub async fn until(what: &str, done: impl Fn() -> bool) {
    for _ in 0..200 {
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
