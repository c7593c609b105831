//! nps-widget: the NPS survey as a Leptos component, compiled to wasm.
//!
//! One component, [`NpsSurvey`], used two ways:
//!
//! - **A Leptos app** puts it in its view (it renders an `<nps-widget>` element with an
//!   open shadow root and fetches the survey's config itself):
//!
//!   ```ignore
//!   use leptos::prelude::*;
//!   use nps_widget::{NpsSurvey, Position};
//!
//!   view! { <NpsSurvey survey="s_demo" api="https://nps.example.com" position=Position::Inline /> }
//!   ```
//!
//!   Its props: `survey`, `api`, and optionally `locale`, `respondent`, `properties`,
//!   `position` (inline or floating), `token`, `score`, `channel` and `on` (see
//!   [`NpsSurvey`]); `widget/examples/app.rs` is such an app.
//! - **The script tag** (`loader/nps.js`) reads the tag's `data-*`, fetches the survey
//!   config, decides whether and when to show it (throttle, triggers:
//!   `loader/triggers.js`), and only then makes a `<nps-widget>` host element with an
//!   open shadow root and calls [`mount`], which mounts the same component there. The
//!   loader calls [`flush`] on a page load that finds unsent answers in the outbox.
//!
//! The view is `#[component]`s over a few signals (`view.rs`); `app.rs` is the
//! controller that sets them, `api.rs` all network I/O (web-sys `fetch` with
//! `keepalive`, the browser's JSON: no serde in the wasm). `embed`, `json`, `outbox`,
//! `retry`, `state`, `style` and `texts` are pure and tested natively; the rest needs
//! a browser and exists on wasm32 only. The widget has no language tables: the config
//! brings every word it shows in the one language the worker chose (`texts`).

// std's dlmalloc is about 7 KB of wasm; a free-list allocator does for a widget that
// allocates little (and frees what it drops, unlike a leaking one). Not in the crate's
// own tests, which link the library once more (as their dev-dependency with the `app`
// feature), allocator and all.
#[cfg(all(target_arch = "wasm32", not(test)))]
#[global_allocator]
static ALLOCATOR: lol_alloc::LockedAllocator<lol_alloc::FreeListAllocator> =
    lol_alloc::LockedAllocator::new(lol_alloc::FreeListAllocator::new());

pub mod embed;
pub mod json;
pub mod outbox;
pub mod retry;
pub mod state;
pub mod style;
pub mod texts;

#[cfg(target_arch = "wasm32")]
mod api;
#[cfg(target_arch = "wasm32")]
mod app;
#[cfg(target_arch = "wasm32")]
mod dom;
#[cfg(target_arch = "wasm32")]
mod survey;
#[cfg(all(test, target_arch = "wasm32"))]
mod test_support;
#[cfg(target_arch = "wasm32")]
mod view;

#[cfg(target_arch = "wasm32")]
pub use app::{OnTold, Respondent, Told};
pub use nps_shared::Score;
pub use nps_shared::api::{Channel, Position};
#[cfg(target_arch = "wasm32")]
pub use survey::{NpsSurvey, NpsSurveyProps};

/// Shows survey `options.data.survey` in `root` (an open shadow root), at once: the
/// loader has decided that it is to be shown. `options`: `{ data, preset?, api, config,
/// who?, on? }` — `data` the script tag's `dataset` (`survey`, `locale`, `position`,
/// `channel`, `token`, `score`), `preset` the `{token?, score?}` of `nps('show', …)`,
/// `config` as `GET /v1/surveys/{id}/config` returned it, `who()` giving `{ id?,
/// email?, properties? }` when the answer is sent, `on(kind, detail)` told `shown`,
/// `submitted`, `dismissed`, `already` (a 409) and `queued` (kept in the outbox to be
/// sent later). Marks `nps:interactive` (Performance API) when the scale takes input.
/// Mounts [`NpsSurvey`] with those as its props. Bad options are a `console.warn` and
/// an empty shadow root.
#[cfg(target_arch = "wasm32")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn mount(root: web_sys::ShadowRoot, options: wasm_bindgen::JsValue) {
    let Some(props) = survey::loader_props(root.clone(), &options) else {
        dom::warn("bad mount options", &options);
        return;
    };
    leptos::mount::mount_to(app::shadow_parent(root), move || NpsSurvey(props)).forget();
    app::start_mounted();
}

/// Sends the answers and comments left in the outbox by earlier pages (offline, closed
/// too soon), each answer with its own Idempotency-Key, so none is stored twice.
#[cfg(target_arch = "wasm32")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn flush() {
    api::flush();
}
