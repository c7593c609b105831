//! nps-widget: the NPS question a marketer embeds with one `<script>` tag.
//!
//! `loader/nps.js` reads the tag's `data-*`, fetches the survey config, decides whether
//! and when to show it (throttle, triggers: `loader/triggers.js`), and only then makes a
//! `<nps-widget>` host element with an open shadow root and calls [`mount`]; everything
//! else happens in that shadow root. The loader calls [`flush`] on a page load that
//! finds unsent answers in the outbox.
//!
//! No framework and no serde in the wasm (the budget is 40 KB gzip for glue + wasm):
//! `dom.rs` builds elements with web-sys, `view.rs` are the components, `app.rs` the
//! controller, `api.rs` all network I/O. `embed`, `i18n`, `json`, `outbox`, `retry`,
//! `state` and `style` are pure and tested natively; the rest needs a browser.

// std's dlmalloc is about 7 KB of wasm; a free-list allocator does for a widget that
// allocates little (and frees what it drops, unlike a leaking one).
#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: lol_alloc::LockedAllocator<lol_alloc::FreeListAllocator> =
    lol_alloc::LockedAllocator::new(lol_alloc::FreeListAllocator::new());

pub mod embed;
pub mod i18n;
pub mod json;
pub mod outbox;
pub mod retry;
pub mod state;
pub mod style;

#[cfg(target_arch = "wasm32")]
mod api;
#[cfg(target_arch = "wasm32")]
mod app;
#[cfg(target_arch = "wasm32")]
mod dom;
#[cfg(all(test, target_arch = "wasm32"))]
mod test_support;
#[cfg(target_arch = "wasm32")]
mod view;

/// Shows survey `options.data.survey` in `root` (an open shadow root), at once: the
/// loader has decided that it is to be shown. `options`: `{ data, preset?, api, config,
/// who?, on? }` — `data` the script tag's `dataset` (`survey`, `locale`, `position`,
/// `channel`, `token`, `score`), `preset` the `{token?, score?}` of `nps('show', …)`,
/// `config` as `GET /v1/surveys/{id}/config` returned it, `who()` giving `{ id?,
/// email?, properties? }` when the answer is sent, `on(kind, detail)` told `shown`,
/// `submitted`, `dismissed`, `already` (a 409) and `queued` (kept in the outbox to be
/// sent later). Marks `nps:interactive` (Performance API) when the scale takes input.
#[cfg(target_arch = "wasm32")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn mount(root: web_sys::ShadowRoot, options: wasm_bindgen::JsValue) {
    app::mount(root, options);
}

/// Sends the answers and comments left in the outbox by earlier pages (offline, closed
/// too soon), each answer with its own Idempotency-Key, so none is stored twice.
#[cfg(target_arch = "wasm32")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn flush() {
    api::flush();
}
