//! The embed snippet of the chosen survey, with a copy button, and the origins the
//! survey may be shown on (`allowed_origins`).

use leptos::prelude::*;
use leptos::task::spawn_local;
use nps_shared::api::SurveyView;
use wasm_bindgen::{JsCast, JsValue};

use crate::format;

/// `navigator.clipboard.writeText(text)`, through `Reflect` so no unstable web-sys API
/// is needed.
pub(crate) async fn copy_to_clipboard(text: &str) -> Result<(), JsValue> {
    let window = web_sys::window().ok_or_else(|| JsValue::from_str("no window"))?;
    let navigator = js_sys::Reflect::get(&window, &"navigator".into())?;
    let clipboard = js_sys::Reflect::get(&navigator, &"clipboard".into())?;
    let write: js_sys::Function =
        js_sys::Reflect::get(&clipboard, &"writeText".into())?.dyn_into()?;
    let promise: js_sys::Promise = write.call1(&clipboard, &text.into())?.dyn_into()?;
    wasm_bindgen_futures::JsFuture::from(promise).await?;
    Ok(())
}

#[component]
pub fn Embed(survey: SurveyView) -> impl IntoView {
    let origin = web_sys::window()
        .and_then(|w| w.location().origin().ok())
        .unwrap_or_default();
    let snippet = format::embed_snippet(&origin, &survey.id);
    let copied = RwSignal::new(None::<&'static str>);
    let to_copy = snippet.clone();
    let copy = move |_| {
        let text = to_copy.clone();
        spawn_local(async move {
            copied.set(Some(match copy_to_clipboard(&text).await {
                Ok(()) => "Copied to the clipboard.",
                Err(_) => "Copying was refused by the browser: select the text and copy it.",
            }));
        });
    };
    let origins = survey.definition.allowed_origins.clone();
    let origin_list = if origins.is_empty() {
        view! {
            <p class="notice">
                "No origins are allowed yet, so the widget shows nowhere. Add your site with "
                <code>{format!("PATCH /v1/surveys/{}", survey.id)}</code>
                " and "
                <code>"allowed_origins"</code>
                "."
            </p>
        }
        .into_any()
    } else {
        view! {
            <ul class="origins" data-testid="allowed-origins">
                {origins
                    .into_iter()
                    .map(|o| view! { <li><code>{o}</code></li> })
                    .collect_view()}
            </ul>
        }
        .into_any()
    };

    view! {
        <div class="grid">
            <section class="card full" aria-labelledby="snippet-title">
                <h2 id="snippet-title">"Put the survey on your site"</h2>
                <p class="muted">
                    "Paste this tag into every page that may ask (before "
                    <code>"</body>"</code>
                    "). It loads a 2 KB loader and downloads the survey only when it is shown."
                </p>
                <pre class="snippet" data-testid="embed-snippet"><code>{snippet}</code></pre>
                <div class="actions">
                    <button type="button" class="button primary" on:click=copy>
                        "Copy snippet"
                    </button>
                    <a class="button ghost" href="/demo" target="_blank" rel="noopener">
                        "See it on the demo shop"
                    </a>
                    <span class="muted small" role="status">{move || copied.get()}</span>
                </div>
                <p class="muted small">
                    "Add " <code>"data-prop-store=\"berlin\""</code>
                    " and other " <code>"data-prop-*"</code>
                    " attributes to segment answers; see the README for every attribute."
                </p>
            </section>
            <section class="card full" aria-labelledby="origins-title">
                <h2 id="origins-title">"Allowed origins"</h2>
                <p class="muted">{format!("Sites that may show “{}”:", survey.definition.name)}</p>
                {origin_list}
            </section>
        </div>
    }
}
