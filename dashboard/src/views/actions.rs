//! Action plans of the survey (`/v1/actions`): the list, a form to create one (title,
//! one of the survey's causes, owner, a segment of one answer property, due date),
//! and the selected plan with its status buttons (planned → in progress → done) and
//! its impact panel — the NPS before and after it went live, each with its margin of
//! error, and whether the difference is significant; and the same for the cause's
//! share among the detractors. Changing plans needs the `admin` scope; others see
//! them read-only. Titles and owners are set as text nodes only.

use std::collections::BTreeMap;

use leptos::prelude::*;
use leptos::task::spawn_local;
use nps_shared::action::{ActionPatch, ActionStatus, ActionView, NewAction};
use nps_shared::cause::Cause;
use nps_shared::report::impact::{CauseShare, Impact, WindowNps, WindowShare};
use nps_shared::staff::Scope;

use crate::format;
use crate::state::Session;

fn status_label(status: ActionStatus) -> &'static str {
    match status {
        ActionStatus::Planned => "Planned",
        ActionStatus::InProgress => "In progress",
        ActionStatus::Done => "Done",
    }
}

/// The status changes a plan in `from` offers, as (target, button label).
fn next_steps(from: ActionStatus) -> Vec<(ActionStatus, &'static str)> {
    match from {
        ActionStatus::Planned => vec![(ActionStatus::InProgress, "Start: it goes live now")],
        ActionStatus::InProgress => vec![
            (ActionStatus::Done, "Mark done"),
            (ActionStatus::Planned, "Back to planned"),
        ],
        ActionStatus::Done => vec![(ActionStatus::InProgress, "Reopen")],
    }
}

#[component]
pub fn Actions(survey_id: String, causes: Vec<Cause>) -> impl IntoView {
    let session = expect_context::<Session>();
    let selected = RwSignal::new(None::<String>);
    let reload = RwSignal::new(0u32);
    let list_survey = survey_id.clone();
    let list = LocalResource::new(move || {
        let id = list_survey.clone();
        reload.track();
        async move {
            let api = session.api()?;
            session.check(api.actions(&id).await)
        }
    });
    let rows = move || match list.get() {
        None => view! { <p class="muted loading">"Loading action plans…"</p> }.into_any(),
        Some(Err(e)) => view! { <p class="error" role="alert">{e.message()}</p> }.into_any(),
        Some(Ok(page)) if page.items.is_empty() => view! {
            <p class="muted empty" data-testid="actions-empty">"No action plans yet."</p>
        }
        .into_any(),
        Some(Ok(page)) => {
            let rows = page
                .items
                .into_iter()
                .map(|a| {
                    let id = a.id.clone();
                    let is_selected = {
                        let id = id.clone();
                        move || selected.get().as_deref() == Some(id.as_str())
                    };
                    view! {
                        <tr data-testid="action-row" data-action-id=a.id.clone()>
                            <td>
                                <button
                                    type="button"
                                    class="link"
                                    aria-pressed=move || is_selected().to_string()
                                    on:click=move |_| selected.set(Some(id.clone()))
                                >
                                    {a.fields.title.clone()}
                                </button>
                            </td>
                            <td><span class="pill">{a.fields.cause.clone()}</span></td>
                            <td>{a.fields.owner.clone().unwrap_or_else(|| "—".into())}</td>
                            <td data-testid="action-row-status">{status_label(a.fields.status)}</td>
                            <td>{a.fields.due_date.clone().unwrap_or_else(|| "—".into())}</td>
                        </tr>
                    }
                })
                .collect_view();
            view! {
                <div class="card table-wrap">
                    <table>
                        <caption class="visually-hidden">"Action plans, newest first"</caption>
                        <thead>
                            <tr>
                                <th scope="col">"Plan"</th>
                                <th scope="col">"Cause"</th>
                                <th scope="col">"Owner"</th>
                                <th scope="col">"Status"</th>
                                <th scope="col">"Due"</th>
                            </tr>
                        </thead>
                        <tbody>{rows}</tbody>
                    </table>
                </div>
            }
            .into_any()
        }
    };
    let detail = move || {
        selected
            .get()
            .map(|id| view! { <ActionDetail action_id=id reload /> })
    };
    view! {
        <Show when=move || session.allows(Scope::Admin)>
            <NewActionForm survey_id=survey_id.clone() causes=causes.clone() selected reload />
        </Show>
        {rows}
        {detail}
    }
}

#[component]
fn NewActionForm(
    survey_id: String,
    causes: Vec<Cause>,
    selected: RwSignal<Option<String>>,
    reload: RwSignal<u32>,
) -> impl IntoView {
    let session = expect_context::<Session>();
    let title = RwSignal::new(String::new());
    let cause = RwSignal::new(causes.first().map(|c| c.key.clone()).unwrap_or_default());
    let owner = RwSignal::new(String::new());
    let property = RwSignal::new("store".to_string());
    let value = RwSignal::new(String::new());
    let due = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let optional = |s: String| Some(s.trim().to_string()).filter(|s| !s.is_empty());
        let segment: BTreeMap<String, String> = optional(property.get_untracked())
            .zip(optional(value.get_untracked()))
            .into_iter()
            .collect();
        let body = NewAction {
            title: title.get_untracked(),
            survey_id: survey_id.clone(),
            cause: cause.get_untracked().trim().to_string(),
            owner: optional(owner.get_untracked()),
            segment,
            due_date: optional(due.get_untracked()),
            status: None,
            live_at: None,
        };
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            let result = match session.api() {
                Ok(api) => session.check(api.create_action(&body).await),
                Err(e) => Err(e),
            };
            match result {
                Ok(created) => {
                    title.set(String::new());
                    selected.set(Some(created.id));
                    reload.update(|n| *n += 1);
                }
                Err(e) => {
                    let fields: Vec<String> =
                        e.fields.iter().map(|(f, m)| format!("{f}: {m}")).collect();
                    let message = if fields.is_empty() {
                        e.message()
                    } else {
                        fields.join("; ")
                    };
                    error.set(Some(message));
                }
            }
            busy.set(false);
        });
    };
    // The survey's causes (the API refuses any other): key as value, label to read.
    let causes = causes
        .into_iter()
        .map(|c| {
            view! { <option value=c.key.clone()>{format!("{} ({})", c.label, c.department)}</option> }
        })
        .collect_view();
    let text = |label: &'static str, signal: RwSignal<String>, placeholder: &'static str| {
        view! {
            <label class="field">
                <span>{label}</span>
                <input
                    type="text"
                    placeholder=placeholder
                    prop:value=move || signal.get()
                    on:input=move |ev| signal.set(event_target_value(&ev))
                />
            </label>
        }
    };
    view! {
        <form class="card stacked" aria-label="New action plan" data-testid="action-form" on:submit=submit>
            <h2>"New action plan"</h2>
            <label class="field">
                <span>"Title"</span>
                <input
                    type="text"
                    required
                    maxlength="200"
                    placeholder="Next-day delivery in Berlin"
                    prop:value=move || title.get()
                    on:input=move |ev| title.set(event_target_value(&ev))
                />
            </label>
            <label class="field">
                <span>"Cause"</span>
                <select on:change=move |ev| cause.set(event_target_value(&ev))>{causes}</select>
            </label>
            {text("Owner (department or person)", owner, "logistics")}
            {text("Segment property", property, "store")}
            {text("Segment value (empty: every answer)", value, "Berlin")}
            <label class="field">
                <span>"Due date"</span>
                <input
                    type="date"
                    prop:value=move || due.get()
                    on:input=move |ev| due.set(event_target_value(&ev))
                />
            </label>
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            <div class="actions">
                <button type="submit" class="button primary" disabled=move || busy.get()>
                    {move || if busy.get() { "Creating…" } else { "Create plan" }}
                </button>
            </div>
        </form>
    }
}

#[component]
fn ActionDetail(action_id: String, reload: RwSignal<u32>) -> impl IntoView {
    let session = expect_context::<Session>();
    let changed = RwSignal::new(0u32);
    let id = action_id.clone();
    let plan = LocalResource::new(move || {
        let id = id.clone();
        changed.track();
        async move {
            let api = session.api()?;
            session.check(api.action(&id).await)
        }
    });
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let live_date = RwSignal::new(String::new());
    let save = move |patch: ActionPatch| {
        let id = action_id.clone();
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            let result = match session.api() {
                Ok(api) => session.check(api.patch_action(&id, &patch).await),
                Err(e) => Err(e),
            };
            match result {
                Ok(_) => {
                    changed.update(|n| *n += 1);
                    reload.update(|n| *n += 1);
                }
                Err(e) => error.set(Some(e.message())),
            }
            busy.set(false);
        });
    };
    let set_status = {
        let save = save.clone();
        move |to: ActionStatus| {
            save(ActionPatch {
                status: Some(to),
                ..Default::default()
            })
        }
    };
    // Corrects when the plan went live: the day it did, from its midnight (UTC).
    let set_live = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let date = live_date.get_untracked();
        if date.is_empty() {
            return;
        }
        save(ActionPatch {
            live_at: Some(format!("{date}T00:00:00Z")),
            ..Default::default()
        });
    };
    move || match plan.get() {
        None => view! { <p class="muted loading">"Loading the plan…"</p> }.into_any(),
        Some(Err(e)) => view! { <p class="error" role="alert">{e.message()}</p> }.into_any(),
        Some(Ok(plan)) => {
            let live = plan.fields.status.is_live();
            let set_live = set_live.clone();
            let buttons = next_steps(plan.fields.status)
                .into_iter()
                .map(|(to, label)| {
                    let set_status = set_status.clone();
                    view! {
                        <button
                            type="button"
                            class="button"
                            data-testid="action-status-button"
                            disabled=move || busy.get()
                            on:click=move |_| set_status(to)
                        >
                            {label}
                        </button>
                    }
                })
                .collect_view();
            view! {
                <section class="card" data-testid="action-detail" aria-label="Action plan">
                    {summary(&plan)}
                    <Show when=move || session.allows(Scope::Admin)>
                        <div class="actions">{buttons.clone()}</div>
                    </Show>
                    <Show when=move || live && session.allows(Scope::Admin)>
                        <form class="filters" aria-label="Went live on" on:submit=set_live.clone()>
                            <label class="field inline">
                                <span>"Went live on"</span>
                                <input
                                    type="date"
                                    data-testid="action-live-date"
                                    prop:value=move || live_date.get()
                                    on:input=move |ev| live_date.set(event_target_value(&ev))
                                />
                            </label>
                            <button type="submit" class="button ghost" disabled=move || busy.get()>
                                "Save date"
                            </button>
                        </form>
                    </Show>
                    {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
                    {impact_panel(plan.impact.clone(), plan.fields.cause.clone())}
                </section>
            }
            .into_any()
        }
    }
}

fn summary(plan: &ActionView) -> impl IntoView + use<> {
    let f = &plan.fields;
    let segment = if f.segment.is_empty() {
        "every answer".to_string()
    } else {
        f.segment
            .iter()
            .map(|(k, v)| format!("{k} = {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    view! {
        <h2>{f.title.clone()}</h2>
        <p>
            <span class="pill" data-testid="action-status">{status_label(f.status)}</span>
            {format!(" · cause {} · owner {} · segment: {segment}", f.cause,
                f.owner.clone().unwrap_or_else(|| "—".into()))}
            {f.due_date.clone().map(|d| format!(" · due {d}"))}
        </p>
        {f.live_at.clone().map(|at| view! {
            <p class="muted small" data-testid="action-live-at">{format!("Live since {at}")}</p>
        })}
    }
}

fn window_figure(
    label: &'static str,
    testid: &'static str,
    w: &WindowNps,
) -> impl IntoView + use<> {
    let answers = format!(
        "{} answers, {} – {}",
        format::count(w.responses),
        &w.from[..10],
        &w.to[..10]
    );
    view! {
        <div class="figure" data-testid=testid>
            <span class="muted small">{label}</span>
            <strong data-testid="impact-nps">{format::nps_headline(w.nps, w.margin_of_error)}</strong>
            <span class="muted small">{answers}</span>
        </div>
    }
}

/// One window's share of the cause among detractors, as the panel says it.
fn share_text(w: &WindowShare) -> String {
    let of = match w.detractors {
        1 => "1 detractor".to_string(),
        n => format!("{} detractors", format::count(n)),
    };
    match (w.percent, w.margin_of_error) {
        (Some(p), Some(m)) => format!("{}% ± {} of {of}", p.round() as i64, m.round() as i64),
        (Some(p), None) => format!("{}% of {of}", p.round() as i64),
        (None, _) => "no detractors".to_string(),
    }
}

fn cause_share_figure(share: &CauseShare, cause: &str) -> impl IntoView + use<> {
    let verdict = if share.significant {
        "significant"
    } else {
        "not significant"
    };
    let difference = share
        .difference
        .map(|d| format!(" · {:+} points", d.round() as i64));
    view! {
        <p data-testid="impact-cause-share">
            {format!("Cause “{cause}” among detractors: ")}
            <span data-testid="cause-share-before">{format!("before {}", share_text(&share.before))}</span>
            " → "
            <span data-testid="cause-share-after">{format!("after {}", share_text(&share.after))}</span>
            {difference}
            " · "
            <strong data-testid="cause-share-significance">{verdict}</strong>
            <span class="muted small">" (95%, two-proportion)"</span>
        </p>
    }
}

fn impact_panel(impact: Option<Impact>, cause: String) -> impl IntoView {
    let Some(impact) = impact else {
        return view! {
            <p class="muted" data-testid="impact-none">
                "Not live yet: the impact shows once the plan is in progress."
            </p>
        }
        .into_any();
    };
    let verdict = if impact.significant {
        "significant"
    } else {
        "not significant"
    };
    let difference = match (impact.difference, impact.margin_of_error) {
        (Some(d), Some(m)) => format!("{:+} ± {} points", format::round_nps(d), m.round() as i64),
        (Some(d), None) => format!("{:+} points", format::round_nps(d)),
        (None, _) => "no difference to measure yet".to_string(),
    };
    view! {
        <div class="impact" data-testid="impact-panel">
            <h3>"Impact on NPS"</h3>
            <div class="figures">
                {window_figure("Before", "impact-before", &impact.before)}
                {window_figure("After", "impact-after", &impact.after)}
            </div>
            <p>
                <span data-testid="impact-difference">{difference}</span>
                " · "
                <strong data-testid="impact-significance">{verdict}</strong>
                <span class="muted small">" (95%, two-sample)"</span>
            </p>
            {cause_share_figure(&impact.cause_share, &cause)}
        </div>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_s_cause_share_reads_with_its_margin_and_what_it_is_of() {
        let share =
            |detractors, with_cause| CauseShare::measure((detractors, with_cause), (0, 0)).before;
        // 10 of 20: 50% ± 1.96 × sqrt(.25 / 20) × 100 = 21.9.
        assert_eq!(share_text(&share(20, 10)), "50% ± 22 of 20 detractors");
        assert_eq!(share_text(&share(1, 1)), "100% of 1 detractor");
        assert_eq!(share_text(&share(0, 0)), "no detractors");
    }

    #[test]
    fn every_status_offers_the_steps_the_status_table_allows() {
        for from in ActionStatus::ALL {
            for to in ActionStatus::ALL {
                let offered = next_steps(from).iter().any(|(t, _)| *t == to);
                let allowed = nps_shared::action::transition(from, to).is_ok();
                assert_eq!(offered, allowed, "{from} → {to}");
            }
        }
    }
}
