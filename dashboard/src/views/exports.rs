//! Exporting a survey's answers: starts an export job (`POST /v1/surveys/{id}/exports`),
//! follows its progress (`GET /v1/exports/{id}`, once a second, as a progress bar of
//! answers written out of the total) and, once it is done, offers the CSV. The CSV is
//! fetched with this page's credentials and handed to the browser as a file: a plain
//! link would not carry an API token.

use leptos::prelude::*;
use leptos::task::spawn_local;
use nps_shared::export::{ExportStatus, ExportView};
use wasm_bindgen::JsCast;

use crate::state::Session;

/// Between two looks at a running job.
const POLL_MS: i32 = 1_000;

#[component]
pub fn ExportPanel(survey_id: String) -> impl IntoView {
    let session = expect_context::<Session>();
    let job = RwSignal::new(None::<ExportView>);
    let error = RwSignal::new(None::<String>);
    let category = RwSignal::new(String::new());
    let running = RwSignal::new(false);

    let start = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let survey_id = survey_id.clone();
        running.set(true);
        error.set(None);
        job.set(None);
        spawn_local(async move {
            let chosen = Some(category.get_untracked()).filter(|c| !c.is_empty());
            let followed = async {
                let api = session.api()?;
                let mut current = session.check(api.start_export(&survey_id, chosen).await)?;
                job.set(Some(current.clone()));
                while !current.status.is_finished() {
                    crate::views::webhooks::sleep(POLL_MS).await;
                    current = session.check(api.export(&current.id).await)?;
                    job.set(Some(current.clone()));
                }
                Ok::<_, crate::api::ApiError>(())
            };
            if let Err(e) = followed.await {
                error.set(Some(e.message()));
            }
            running.set(false);
        });
    };

    let download = move |ev: leptos::ev::MouseEvent| {
        ev.prevent_default();
        let Some(view) = job.get_untracked() else {
            return;
        };
        let Some(url) = view.download_url.clone() else {
            return;
        };
        spawn_local(async move {
            let fetched = async {
                let api = session.api()?;
                session.check(api.download(&url).await)
            };
            match fetched.await {
                Ok(csv) => {
                    let name = format!("{}-{}.csv", view.survey_id, view.id);
                    if let Err(e) = save(&csv, &name) {
                        error.set(Some(e));
                    }
                }
                Err(e) => error.set(Some(e.message())),
            }
        });
    };

    view! {
        <section class="card wide" aria-labelledby="export-title" data-testid="export-panel">
            <h2 id="export-title">"Export answers"</h2>
            <form class="controls" aria-label="Export" on:submit=start>
                <label class="field inline">
                    <span>"Answers"</span>
                    <select
                        data-testid="export-category"
                        on:change=move |ev| category.set(event_target_value(&ev))
                    >
                        <option value="" selected>"All"</option>
                        <option value="detractor">"Detractors"</option>
                        <option value="passive">"Passives"</option>
                        <option value="promoter">"Promoters"</option>
                    </select>
                </label>
                <button type="submit" data-testid="export-start" disabled=move || running.get()>
                    "Export as CSV"
                </button>
            </form>
            {move || job.get().map(|j| progress_view(j, download))}
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        </section>
    }
}

fn progress_view(
    job: ExportView,
    download: impl Fn(leptos::ev::MouseEvent) + 'static,
) -> impl IntoView {
    let status = job.status.as_str();
    let line = match job.status {
        ExportStatus::Done => format!("{} answers exported", job.rows_written),
        ExportStatus::Failed => format!(
            "The export failed: {}",
            job.error.clone().unwrap_or_default()
        ),
        _ => format!("{} of {} answers written", job.rows_written, job.rows_total),
    };
    let link = job.download_url.clone().map(|url| {
        view! {
            <a href=url data-testid="export-download" on:click=download>
                "Download CSV"
            </a>
        }
    });
    view! {
        <div data-testid="export-progress" data-status=status>
            <progress
                max="100"
                value=job.percent().to_string()
                aria-label="Export progress"
                data-testid="export-bar"
            ></progress>
            <p class="muted" role="status" data-testid="export-status">{line}</p>
            {link}
        </div>
    }
}

/// Hands `csv` to the browser as a file named `name`.
fn save(csv: &str, name: &str) -> Result<(), String> {
    let failed = |e: wasm_bindgen::JsValue| format!("The file could not be saved ({e:?})");
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(csv));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("text/csv");
    let blob =
        web_sys::Blob::new_with_str_sequence_and_options(&parts, &options).map_err(failed)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(failed)?;
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("no document")?;
    let anchor: web_sys::HtmlAnchorElement = document
        .create_element("a")
        .map_err(failed)?
        .dyn_into()
        .map_err(|_| "not an anchor".to_string())?;
    anchor.set_href(&url);
    anchor.set_download(name);
    anchor.click();
    web_sys::Url::revoke_object_url(&url).map_err(failed)?;
    Ok(())
}
