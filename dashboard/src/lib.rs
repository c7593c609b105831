//! nps-dashboard: the marketer's page at `/dashboard` — the survey's NPS with its
//! margin of error, trend, distribution, segments and comment themes; the detractor
//! cases to work; the webhook endpoints and their deliveries; the embed snippet.
//!
//! `charts`, `format`, `survey_form` (the survey editor's model) and `webhook_form`
//! (the webhook page's) are pure and build
//! natively; the rest needs a browser and talks to the same-origin admin API only
//! through `api`. `app` (the frame) and `views` (the sections) both build on `state`,
//! never on each other's state: no module imports one that imports it back.

pub mod charts;
pub mod format;
pub mod survey_form;
pub mod webhook_form;

#[cfg(target_arch = "wasm32")]
mod api;
#[cfg(target_arch = "wasm32")]
mod app;
#[cfg(target_arch = "wasm32")]
mod clock;
#[cfg(target_arch = "wasm32")]
mod state;
#[cfg(target_arch = "wasm32")]
mod views;

/// Mounts the dashboard into `#app` (or the body) as soon as the module is loaded.
#[cfg(target_arch = "wasm32")]
#[wasm_bindgen::prelude::wasm_bindgen(start)]
pub fn start() {
    app::mount();
}
