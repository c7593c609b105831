//! nps-widget: the NPS question a marketer embeds with one `<script>` tag.
//!
//! `loader/nps.js` reads the tag's `data-*`, fetches the survey config, decides whether
//! and when to show it (throttle, triggers: `loader/triggers.js`), and only then makes a
//! `<nps-widget>` host element with an open shadow root and calls [`mount`]; everything
//! else happens in that shadow root. `embed` and `state` are pure and build natively;
//! the rest needs a browser.

pub mod embed;
pub mod state;
pub mod style;

#[cfg(target_arch = "wasm32")]
mod api;
#[cfg(target_arch = "wasm32")]
mod app;
#[cfg(all(test, target_arch = "wasm32"))]
mod test_support;
#[cfg(target_arch = "wasm32")]
mod view;

/// Shows survey `options.survey` in `root` (an open shadow root), at once: the loader
/// has decided that it is to be shown. `options`: `{ survey, api, locale, config,
/// who?, on?, token?, channel?, score?, position? }` — `config` as
/// `GET /v1/surveys/{id}/config` returned it, `who()` giving `{ id?, email?,
/// properties? }` when the answer is sent, `on(kind, detail)` told
/// `shown`, `submitted`, `dismissed` and `already`; `score` and `position` as the tag's
/// strings. See `app::Options`.
#[cfg(target_arch = "wasm32")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn mount(root: web_sys::ShadowRoot, options: wasm_bindgen::JsValue) {
    app::mount(root, options);
}
