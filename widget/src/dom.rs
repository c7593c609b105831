//! The few browser calls the controller and `api.rs` make outside the view: the
//! window, event listeners on the page, timers, promise callbacks, and reading the
//! loader's plain JS objects through `Reflect` (no glue for their shapes). The view
//! itself is Leptos (`view.rs`).
//!
//! Failures of these calls travel up as `JsValue` or are logged; nothing panics.

use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Document, EventTarget};

pub type Result<T> = core::result::Result<T, JsValue>;

pub fn window() -> Result<web_sys::Window> {
    web_sys::window().ok_or_else(|| JsValue::from_str("no window"))
}

pub fn document() -> Result<Document> {
    window()?
        .document()
        .ok_or_else(|| JsValue::from_str("no document"))
}

/// Calls `handler` on every `kind` event of `target` (the window or the document), for
/// the life of the page (a widget lives as long as it does; a few forgotten closures are
/// cheaper than the bookkeeping to drop them).
pub fn on(target: &EventTarget, kind: &str, handler: impl FnMut(web_sys::Event) + 'static) {
    let closure = Closure::<dyn FnMut(web_sys::Event)>::new(handler);
    let _ = target.add_event_listener_with_callback(kind, closure.as_ref().unchecked_ref());
    closure.forget();
}

/// Runs `f` once after `ms` milliseconds.
pub fn after(ms: u32, f: impl FnOnce() + 'static) {
    let callback = Closure::once_into_js(f);
    if let Ok(window) = window() {
        let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(
            callback.unchecked_ref(),
            i32::try_from(ms).unwrap_or(i32::MAX),
        );
    }
}

/// What a promise settled with: its value, or the reason it was rejected.
pub type Settled = core::result::Result<JsValue, JsValue>;

/// `promise.then(ok, err)` with one Rust callback that runs once, with either. (Plain
/// callbacks rather than async fns: a futures executor costs several KB of wasm.)
pub fn settle(promise: &JsValue, done: Box<dyn FnOnce(Settled)>) {
    let first = std::rc::Rc::new(std::cell::Cell::new(Some(done)));
    let second = std::rc::Rc::clone(&first);
    let ok = Closure::once_into_js(move |value: JsValue| {
        if let Some(done) = first.take() {
            done(Ok(value));
        }
    });
    let err = Closure::once_into_js(move |reason: JsValue| {
        if let Some(done) = second.take() {
            done(Err(reason));
        }
    });
    if let Ok(then) = get(promise, "then").dyn_into::<js_sys::Function>() {
        let _ = then.call2(promise, &ok, &err);
    }
}

/// `console.warn("nps-widget: …", detail)`.
pub fn warn(what: &str, detail: &JsValue) {
    web_sys::console::warn_2(&["nps-widget: ", what].concat().into(), detail);
}

/// `target[key]`, `undefined` when it is missing or `target` is no object.
pub fn get(target: &JsValue, key: &str) -> JsValue {
    if target.is_object() || target.is_function() {
        js_sys::Reflect::get(target, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
    } else {
        JsValue::UNDEFINED
    }
}

/// `target[key]` if it is a string.
pub fn string(target: &JsValue, key: &str) -> Option<String> {
    get(target, key).as_string()
}

/// `target[key]` if it is a non-empty string, else an empty one.
pub fn text(target: &JsValue, key: &str) -> String {
    string(target, key).unwrap_or_default()
}
