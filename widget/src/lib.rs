//! nps-widget: the NPS question a marketer embeds with one `<script>` tag.
//!
//! `loader/nps.js` reads the tag's `data-*`, makes a `<nps-widget>` host element with an
//! open shadow root and calls [`mount`]; everything else happens in that shadow root.
//! `embed`, `state` and `throttle` are pure and build natively; the rest needs a browser.

pub mod embed;
pub mod state;
pub mod style;
pub mod throttle;

#[cfg(target_arch = "wasm32")]
mod api;
#[cfg(target_arch = "wasm32")]
mod app;
#[cfg(all(test, target_arch = "wasm32"))]
mod test_support;
#[cfg(target_arch = "wasm32")]
mod view;

/// Shows survey `options.survey` in `root` (an open shadow root) unless this browser
/// answered it recently. `options`: `{ survey, api, locale, respondentId?,
/// respondentEmail?, properties?: { name: "value" }, force?, token?, channel?, score?,
/// position? }` (`score` and `position` as the tag's strings).
#[cfg(target_arch = "wasm32")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn mount(root: web_sys::ShadowRoot, options: wasm_bindgen::JsValue) {
    app::mount(root, options);
}
