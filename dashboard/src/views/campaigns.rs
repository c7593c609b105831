//! Relationship surveys of the chosen survey: create one from a CSV file (read in the
//! browser, sent as the body of `POST /v1/campaigns`), the list of its campaigns, and
//! the chosen campaign's progress — a progress bar of the list's chunks queued,
//! followed once a second while the run is queuing — with what came of it: sent,
//! bounced, suppressed, throttled, answered and the response rate. Pause and resume.

use leptos::prelude::*;
use leptos::task::spawn_local;
use nps_shared::campaign::{CampaignStatus, CampaignView};
use wasm_bindgen::JsCast;

use crate::api::campaigns::NewCampaign;
use crate::format::{percent, response_rate};
use crate::state::Session;

/// Between two looks at a run that is queuing.
const POLL_MS: i32 = 1_000;

#[component]
pub fn Campaigns(survey_id: String) -> impl IntoView {
    let session = expect_context::<Session>();
    let campaigns = RwSignal::new(Vec::<CampaignView>::new());
    let chosen = RwSignal::new(None::<CampaignView>);
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let name = RwSignal::new(String::new());
    let schedule = RwSignal::new("once".to_string());
    let file_input = NodeRef::<leptos::html::Input>::new();
    // Bumped to stop following a campaign when another is chosen.
    let following = RwSignal::new(0u32);

    let of_survey = survey_id.clone();
    let reload = move || {
        let of_survey = of_survey.clone();
        spawn_local(async move {
            let loaded = async {
                let api = session.api()?;
                session.check(api.campaigns().await)
            };
            match loaded.await {
                Ok(list) => campaigns.set(
                    list.campaigns
                        .into_iter()
                        .filter(|c| c.survey_id == of_survey)
                        .collect(),
                ),
                Err(e) => error.set(Some(e.message())),
            }
        });
    };
    reload();

    // Shows `view` and, while it is queuing, looks again every second.
    let follow = move |view: CampaignView| {
        let ticket = following.get_untracked() + 1;
        following.set(ticket);
        chosen.set(Some(view.clone()));
        let reload = reload.clone();
        spawn_local(async move {
            let mut current = view;
            let followed = async {
                let api = session.api()?;
                while current.status == CampaignStatus::Queuing {
                    crate::views::webhooks::sleep(POLL_MS).await;
                    if following.get_untracked() != ticket {
                        return Ok(());
                    }
                    current = session.check(api.campaign(&current.id).await)?;
                    chosen.set(Some(current.clone()));
                }
                Ok::<_, crate::api::ApiError>(())
            };
            if let Err(e) = followed.await {
                error.set(Some(e.message()));
            }
            reload();
        });
    };

    let create = {
        let survey_id = survey_id.clone();
        let follow = follow.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let Some(file) = file_input
                .get_untracked()
                .and_then(|input| input.files())
                .and_then(|files| files.get(0))
            else {
                error.set(Some("Choose a CSV file of your customers".into()));
                return;
            };
            let settings = NewCampaign {
                survey_id: survey_id.clone(),
                name: name.get_untracked(),
                schedule: schedule.get_untracked(),
            };
            busy.set(true);
            error.set(None);
            let follow = follow.clone();
            spawn_local(async move {
                let created = async {
                    let csv = read_text(&file).await?;
                    let api = session.api()?;
                    session.check(api.create_campaign(&settings, csv).await)
                };
                match created.await {
                    Ok(view) => follow(view),
                    Err(e) => error.set(Some(e.message())),
                }
                busy.set(false);
            });
        }
    };

    let toggle = {
        let follow = follow.clone();
        move |view: CampaignView| {
            let status = if view.status == CampaignStatus::Paused {
                "active"
            } else {
                "paused"
            };
            let follow = follow.clone();
            spawn_local(async move {
                let changed = async {
                    let api = session.api()?;
                    session.check(api.set_campaign_status(&view.id, status).await)
                };
                match changed.await {
                    Ok(view) => follow(view),
                    Err(e) => error.set(Some(e.message())),
                }
            });
        }
    };

    let rows = {
        let follow = follow.clone();
        move || {
            let follow = follow.clone();
            campaigns
                .get()
                .into_iter()
                .map(move |c| {
                    let follow = follow.clone();
                    let shown = c.clone();
                    view! {
                        <tr data-testid="campaign-row">
                            <td>
                                <button type="button" class="link" on:click=move |_| follow(shown.clone())>
                                    {c.name.clone()}
                                </button>
                            </td>
                            <td>{c.status_label()}</td>
                            <td>{c.recipients}</td>
                            <td>{c.sent}</td>
                            <td>{c.answered}</td>
                            <td>{response_rate(c.response_rate)}</td>
                        </tr>
                    }
                })
                .collect_view()
        }
    };

    view! {
        <section class="card wide" aria-labelledby="campaign-new-title">
            <h2 id="campaign-new-title">"New relationship survey"</h2>
            <p class="muted small">
                "A CSV file with a header row: email (required), id, name, locale; any other column becomes a property of the answer. "
                "Anyone invited by a survey in the last 90 days, unsubscribed or bounced is skipped."
            </p>
            <form class="controls" aria-label="New campaign" data-testid="campaign-form" on:submit=create>
                <label class="field inline">
                    <span>"Name"</span>
                    <input
                        type="text"
                        required
                        maxlength="120"
                        data-testid="campaign-name"
                        prop:value=move || name.get()
                        on:input=move |ev| name.set(event_target_value(&ev))
                    />
                </label>
                <label class="field inline">
                    <span>"Schedule"</span>
                    <select data-testid="campaign-schedule" on:change=move |ev| schedule.set(event_target_value(&ev))>
                        <option value="once" selected>"Once"</option>
                        <option value="quarterly">"Every quarter"</option>
                        <option value="half_yearly">"Every half-year"</option>
                    </select>
                </label>
                <label class="field inline">
                    <span>"Customers (CSV)"</span>
                    <input type="file" accept=".csv,text/csv" data-testid="campaign-file" node_ref=file_input />
                </label>
                <button type="submit" data-testid="campaign-create" disabled=move || busy.get()>
                    "Create and send"
                </button>
            </form>
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        </section>
        {move || chosen.get().map(|c| detail(c, toggle.clone()))}
        <section class="card wide" aria-labelledby="campaign-list-title">
            <h2 id="campaign-list-title">"Campaigns"</h2>
            <table class="table" data-testid="campaign-list">
                <thead>
                    <tr>
                        <th scope="col">"Name"</th>
                        <th scope="col">"Status"</th>
                        <th scope="col">"People"</th>
                        <th scope="col">"Sent"</th>
                        <th scope="col">"Answered"</th>
                        <th scope="col">"Response rate"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </section>
    }
}

trait StatusLabel {
    fn status_label(&self) -> &'static str;
}

impl StatusLabel for CampaignView {
    fn status_label(&self) -> &'static str {
        match self.status {
            CampaignStatus::Scheduled => "Scheduled",
            CampaignStatus::Queuing => "Queuing",
            CampaignStatus::Paused => "Paused",
            CampaignStatus::Done => "Done",
        }
    }
}

fn detail(c: CampaignView, toggle: impl Fn(CampaignView) + Clone + 'static) -> impl IntoView {
    let queued = format!(
        "{} of {} chunks queued ({})",
        c.chunks_done,
        c.chunks_total,
        percent(u64::from(c.chunks_done), u64::from(c.chunks_total))
    );
    let value = if c.chunks_total == 0 {
        0
    } else {
        u64::from(c.chunks_done) * 100 / u64::from(c.chunks_total)
    };
    let can_toggle = c.status != CampaignStatus::Done;
    let label = if c.status == CampaignStatus::Paused {
        "Resume"
    } else {
        "Pause"
    };
    let next = c
        .next_run_at
        .clone()
        .map(|at| view! { <p class="muted small">"Next run: " {at}</p> });
    let number = |label: &'static str, test_id: &'static str, value: String| {
        view! {
            <div class="stat">
                <dt>{label}</dt>
                <dd data-testid=test_id>{value}</dd>
            </div>
        }
    };
    let shown = c.clone();
    let button = can_toggle.then(move || {
        view! {
            <button
                type="button"
                class="button"
                data-testid="campaign-toggle"
                on:click=move |_| toggle(shown.clone())
            >
                {label}
            </button>
        }
    });
    view! {
        <section class="card wide" aria-labelledby="campaign-detail-title" data-testid="campaign-detail" data-status=c.status.as_str()>
            <h2 id="campaign-detail-title">{c.name.clone()}</h2>
            <progress max="100" value=value.to_string() aria-label="Campaign queued" data-testid="campaign-bar"></progress>
            <p class="muted" role="status" data-testid="campaign-queued">{queued}</p>
            {next}
            <dl class="stats">
                {number("People", "campaign-recipients", c.recipients.to_string())}
                {number("Invited", "campaign-invited", c.invited.to_string())}
                {number("Sent", "campaign-sent", c.sent.to_string())}
                {number("Bounced", "campaign-bounced", c.bounced.to_string())}
                {number("Suppressed", "campaign-suppressed", c.suppressed.to_string())}
                {number("Throttled", "campaign-throttled", c.throttled.to_string())}
                {number("Answered", "campaign-answered", c.answered.to_string())}
                {number("Response rate", "campaign-rate", response_rate(c.response_rate))}
            </dl>
            {button}
        </section>
    }
}

/// The chosen file's text, as the browser reads it.
async fn read_text(file: &web_sys::File) -> Result<String, crate::api::ApiError> {
    let failed = |e: wasm_bindgen::JsValue| crate::api::ApiError {
        status: 0,
        title: "The file could not be read".into(),
        detail: Some(format!("{e:?}")),
        fields: Vec::new(),
    };
    let text = wasm_bindgen_futures::JsFuture::from(file.text())
        .await
        .map_err(failed)?;
    text.dyn_into::<js_sys::JsString>()
        .map(String::from)
        .map_err(failed)
}
