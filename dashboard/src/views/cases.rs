//! The cases inbox: detractor cases of the survey by status (`GET /v1/cases`), a page
//! at a time ("Load more" follows `next_cursor`), each with its score, owner, customer,
//! due time and the comment that opened it — all from the case itself, so a case on
//! any page shows them; a selected case shows its timeline and is worked with
//! `PATCH /v1/cases/{id}` (status, owner, note, root cause, solution) by tokens with
//! the `cases` scope (others see it read-only). The cause select starts at the case's
//! cause, else the one its comment suggests; resolving sends the cause and solution
//! with it; the playbook's three best solutions for the cause are offered, a click
//! copies one into the solution. Refusals (409, 422) are shown next to
//! the buttons that caused them. Comments and names are customers' text: they are
//! only ever set as text nodes, never as HTML.

use leptos::prelude::*;
use leptos::task::spawn_local;
use nps_shared::case::{CasePatch, CaseStatus, CaseView, Note, Owner};
use nps_shared::cause::{Cause, Solution};
use nps_shared::staff::Scope;

use crate::clock;
use crate::format;
use crate::state::Session;

#[component]
pub fn Cases(survey_id: String, causes: Vec<Cause>) -> impl IntoView {
    let session = expect_context::<Session>();
    let status = RwSignal::new(CaseStatus::Open);
    let selected = RwSignal::new(None::<String>);
    // Bumped after a change so the list shows where the case went.
    let reload = RwSignal::new(0u32);

    let list_survey = survey_id.clone();
    let list = LocalResource::new(move || {
        let id = list_survey.clone();
        let status = status.get();
        reload.track();
        async move {
            let api = session.api()?;
            session.check(api.cases(&id, status, None).await)
        }
    });
    // Pages after the first, fetched by "Load more"; a new first page starts over.
    let more = RwSignal::new(Vec::<CaseView>::new());
    let next = RwSignal::new(None::<String>);
    let more_busy = RwSignal::new(false);
    let more_error = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        if let Some(Ok(page)) = list.get() {
            more.set(Vec::new());
            more_error.set(None);
            next.set(page.next_cursor.clone());
        }
    });
    let more_survey = survey_id.clone();
    let load_more = move |_| {
        let Some(cursor) = next.get_untracked() else {
            return;
        };
        let id = more_survey.clone();
        let status = status.get_untracked();
        more_busy.set(true);
        more_error.set(None);
        spawn_local(async move {
            let result = match session.api() {
                Ok(api) => session.check(api.cases(&id, status, Some(&cursor)).await),
                Err(e) => Err(e),
            };
            match result {
                Ok(page) => {
                    more.update(|items| items.extend(page.items));
                    next.set(page.next_cursor);
                }
                Err(e) => more_error.set(Some(e.message())),
            }
            more_busy.set(false);
        });
    };
    let tabs = CaseStatus::ALL
        .into_iter()
        .map(|s| {
            let label = match s {
                CaseStatus::Open => "Open",
                CaseStatus::Contacted => "Contacted",
                CaseStatus::Resolved => "Resolved",
            };
            view! {
                <button
                    type="button"
                    role="tab"
                    class="tab"
                    aria-selected=move || (status.get() == s).to_string()
                    on:click=move |_| {
                        status.set(s);
                        selected.set(None);
                    }
                >
                    {label}
                </button>
            }
        })
        .collect_view();

    let rows = move || {
        match list.get() {
        None => view! { <p class="muted loading">"Loading cases…"</p> }.into_any(),
        Some(Err(e)) => view! { <p class="error" role="alert">{e.message()}</p> }.into_any(),
        Some(Ok(page)) if page.items.is_empty() => view! {
            <p class="muted empty">
                {format!("No {} cases. Nice.", status.get_untracked().as_str())}
            </p>
        }
        .into_any(),
        Some(Ok(page)) => page
            .items
            .into_iter()
            .chain(more.get())
            .map(|c| {
                let id = c.id.clone();
                let is_selected = {
                    let id = id.clone();
                    move || selected.get().as_deref() == Some(id.as_str())
                };
                let customer = format::customer(&c.respondent);
                let comment_class = if c.comment.is_some() { "case-comment" } else { "case-comment none" };
                let comment = c.comment.clone().unwrap_or_else(|| "No comment".into());
                view! {
                    <li>
                        <button
                            type="button"
                            class="case-row"
                            data-testid="case-row"
                            data-case-id=c.id.clone()
                            aria-pressed=move || is_selected().to_string()
                            on:click=move |_| selected.set(Some(id.clone()))
                        >
                            <span class="score-badge detractor">{c.score.value()}</span>
                            <span class="case-main">
                                <span class="case-owner">
                                    {c.owner.clone().unwrap_or_else(|| "Unassigned".into())}
                                </span>
                                <span class="case-customer" data-testid="case-customer">
                                    {customer}
                                </span>
                                <span class=comment_class data-testid="case-comment">
                                    {comment}
                                </span>
                            </span>
                            <span class="case-due">
                                {c.overdue.then(|| view! { <span class="badge overdue">"Overdue"</span> })}
                                <span class="muted small">
                                    {format!("due {}", clock::local_time(&c.due_at))}
                                </span>
                            </span>
                        </button>
                    </li>
                }
            })
            .collect_view()
            .into_any(),
    }
    };

    let detail = move || match selected.get() {
        None => view! {
            <div class="card empty">
                <p class="muted">"Select a case to see its timeline and work it."</p>
            </div>
        }
        .into_any(),
        Some(id) => view! { <CaseDetail case_id=id reload causes=causes.clone() /> }.into_any(),
    };

    view! {
        <div class="tabs" role="tablist" aria-label="Case status">
            {tabs}
        </div>
        <div class="split-view">
            <div class="case-column">
                <ul class="case-list" aria-label="Cases">
                    {rows}
                </ul>
                {move || next.get().map(|_| view! {
                    <button
                        type="button"
                        class="button ghost load-more"
                        data-testid="cases-load-more"
                        disabled=move || more_busy.get()
                        on:click=load_more.clone()
                    >
                        {move || if more_busy.get() { "Loading…" } else { "Load more" }}
                    </button>
                })}
                {move || more_error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            </div>
            <section class="case-detail" aria-label="Selected case">
                {detail}
            </section>
        </div>
    }
}

/// One case: what happened so far, and the actions it allows.
#[component]
fn CaseDetail(case_id: String, reload: RwSignal<u32>, causes: Vec<Cause>) -> impl IntoView {
    let session = expect_context::<Session>();
    let case = RwSignal::new(None::<Result<CaseView, String>>);
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let owner = RwSignal::new(String::new());
    let note = RwSignal::new(String::new());
    let cause = RwSignal::new(String::new());
    let solution = RwSignal::new(String::new());
    let causes = StoredValue::new(causes);

    {
        let case_id = case_id.clone();
        spawn_local(async move {
            let loaded = match session.api() {
                Ok(api) => session.check(api.case(&case_id).await),
                Err(e) => Err(e),
            };
            if let Ok(c) = &loaded {
                owner.set(c.owner.clone().unwrap_or_default());
                cause.set(
                    c.cause
                        .clone()
                        .or_else(|| c.suggested_cause.clone())
                        .unwrap_or_default(),
                );
                solution.set(c.solution.clone().unwrap_or_default());
            }
            case.set(Some(loaded.map_err(|e| e.message())));
        });
    }

    let send = move |patch: CasePatch| {
        let Some(Ok(current)) = case.get_untracked() else {
            return;
        };
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            let result = match session.api() {
                Ok(api) => session.check(api.patch_case(&current.id, &patch).await),
                Err(e) => Err(e),
            };
            match result {
                Ok(mut updated) => {
                    if patch.note.is_some() {
                        note.set(String::new());
                    }
                    owner.set(updated.owner.clone().unwrap_or_default());
                    // A PATCH answer carries no playbook: keep the suggestions shown.
                    if updated.suggestions.is_empty() {
                        updated.suggestions = current.suggestions.clone();
                    }
                    case.set(Some(Ok(updated)));
                    reload.update(|n| *n += 1);
                }
                Err(e) => error.set(Some(e.message())),
            }
            busy.set(false);
        });
    };
    // A typed note goes with a status change, so "called her, refund sent" lands in the
    // timeline next to the change it explains.
    let pending_note = move || -> Result<Option<Note>, String> {
        let text = note.get_untracked();
        if text.trim().is_empty() {
            Ok(None)
        } else {
            Note::parse(&text)
                .map(Some)
                .map_err(|e| format!("The note {e}."))
        }
    };

    // The chosen cause and the written solution, as a patch carries them.
    let pending_cause = move || -> Result<(Option<String>, Option<Solution>), String> {
        let key = cause.get_untracked();
        let text = solution.get_untracked();
        let solution = if text.trim().is_empty() {
            None
        } else {
            Some(Solution::parse(&text).map_err(|e| format!("The solution {e}."))?)
        };
        Ok(((!key.is_empty()).then_some(key), solution))
    };
    // Resolving sends the cause and solution along: the server refuses to resolve
    // without a cause and names the field.
    let change_status = move |to: CaseStatus| {
        let with_cause = if to == CaseStatus::Resolved {
            pending_cause()
        } else {
            Ok((None, None))
        };
        match (pending_note(), with_cause) {
            (Ok(note), Ok((cause, solution))) => send(CasePatch {
                status: Some(to),
                note,
                cause,
                solution,
                ..CasePatch::default()
            }),
            (Err(e), _) | (_, Err(e)) => error.set(Some(e)),
        }
    };
    let save_cause = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        match pending_cause() {
            Ok((None, None)) => error.set(Some("Choose a cause or write a solution first.".into())),
            Ok((cause, solution)) => send(CasePatch {
                cause,
                solution,
                ..CasePatch::default()
            }),
            Err(e) => error.set(Some(e)),
        }
    };
    let add_note = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        match pending_note() {
            Ok(Some(note)) => send(CasePatch {
                note: Some(note),
                ..CasePatch::default()
            }),
            Ok(None) => error.set(Some("Write a note first.".into())),
            Err(e) => error.set(Some(e)),
        }
    };
    let set_owner = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let text = owner.get_untracked();
        let parsed = if text.trim().is_empty() {
            Ok(None)
        } else {
            Owner::parse(text.trim()).map(Some)
        };
        match parsed {
            Ok(o) => send(CasePatch {
                owner: Some(o),
                ..CasePatch::default()
            }),
            Err(e) => error.set(Some(format!("The owner {e}."))),
        }
    };

    move || match case.get() {
        None => view! { <div class="card"><p class="muted loading">"Loading the case…"</p></div> }
            .into_any(),
        Some(Err(e)) => {
            view! { <div class="card"><p class="error" role="alert">{e}</p></div> }.into_any()
        }
        Some(Ok(c)) => {
            let customer = format::customer(&c.respondent);
            let buttons = format::next_statuses(c.status)
                .into_iter()
                .map(|to| {
                    view! {
                        <button
                            type="button"
                            class=if to == CaseStatus::Open { "button ghost" } else { "button primary" }
                            disabled=move || busy.get()
                            on:click=move |_| change_status(to)
                        >
                            {format::status_action(to)}
                        </button>
                    }
                })
                .collect_view();
            let cause_options = causes.with_value(|all| {
                all.iter()
                    .map(|k| {
                        let key = k.key.clone();
                        let selected = move || cause.get() == key;
                        view! {
                            <option value=k.key.clone() selected=selected>
                                {format!("{} ({})", k.label, k.department)}
                            </option>
                        }
                    })
                    .collect_view()
            });
            let suggested_label = c.suggested_cause.as_ref().and_then(|key| {
                causes.with_value(|all| all.iter().find(|k| &k.key == key).map(|k| k.label.clone()))
            });
            let suggestions = c
                .suggestions
                .iter()
                .map(|e| {
                    let text = e.solution.clone();
                    view! {
                        <li>
                            <button
                                type="button"
                                class="button ghost suggestion"
                                data-testid="case-suggestion"
                                title="Copy into the solution"
                                on:click=move |_| solution.set(text.clone())
                            >
                                {e.solution.clone()}
                            </button>
                            <span class="muted small">
                                {format!(
                                    " won back {} of {} ({})",
                                    e.won_back,
                                    e.used,
                                    format::rate(e.win_back_rate)
                                )}
                            </span>
                        </li>
                    }
                })
                .collect_view();
            let has_suggestions = !c.suggestions.is_empty();
            let timeline = c
                .timeline
                .iter()
                .map(|entry| {
                    view! {
                        <li>
                            <span class="when muted small">{clock::local_time(&entry.at)}</span>
                            <span class="what">{format::timeline_text(&entry.event)}</span>
                            <span class="who muted small">
                                {entry.actor.clone().unwrap_or_else(|| "system".into())}
                            </span>
                        </li>
                    }
                })
                .collect_view();
            view! {
                <div class="card" data-testid="case-detail">
                    <div class="case-head">
                        <span class="score-badge detractor large">{c.score.value()}</span>
                        <div>
                            <h2>{format!("Case {}", c.id)}</h2>
                            <p class="muted small">
                                <span class=format!("pill {}", c.status.as_str()) data-testid="case-status">
                                    {c.status.as_str()}
                                </span>
                                {c.overdue.then(|| view! { " " <span class="badge overdue">"Overdue"</span> })}
                                {format!(
                                    " · opened {} · due {}",
                                    clock::local_time(&c.created_at),
                                    clock::local_time(&c.due_at),
                                )}
                            </p>
                        </div>
                    </div>
                    <p class="customer" data-testid="case-customer">
                        <span class="muted small">"Customer "</span>
                        {customer}
                    </p>
                    {match c.comment.clone() {
                        Some(text) => view! {
                            <blockquote class="opening" data-testid="case-comment">{text}</blockquote>
                        }
                        .into_any(),
                        None => view! {
                            <p class="muted small" data-testid="case-comment">"No comment"</p>
                        }
                        .into_any(),
                    }}
                    {c.win_back.map(|w| view! { <p class="muted small">{format!("Win-back: {}", win_back_label(w))}</p> })}
                    {c.cause.clone().map(|key| view! {
                        <p class="muted small" data-testid="case-cause-set">
                            {format!("Cause: {key}")}
                            {c.solution.clone().map(|s| format!(" · Solution: {s}"))}
                        </p>
                    })}
                    <h3>"Timeline"</h3>
                    <ol class="timeline" data-testid="timeline">{timeline}</ol>
                    <p class="muted small" data-testid="case-read-only" hidden=move || session.allows(Scope::Cases)>
                        "This token may read cases; working them needs the cases scope."
                    </p>
                    <div class="case-work" hidden=move || !session.allows(Scope::Cases)>
                    <form class="stacked" on:submit=add_note>
                        <label class="field">
                            <span>"Note"</span>
                            <textarea
                                rows="3"
                                placeholder="What was done, what was promised"
                                prop:value=move || note.get()
                                on:input=move |ev| note.set(event_target_value(&ev))
                            ></textarea>
                        </label>
                        <p class="muted small">"A note is sent with a status change, or on its own."</p>
                        <div class="actions">
                            {buttons}
                            <button type="submit" class="button ghost" disabled=move || busy.get()>
                                "Add note"
                            </button>
                        </div>
                    </form>
                    <form class="stacked cause-form" on:submit=save_cause data-testid="cause-form">
                        <label class="field">
                            <span>"Root cause"</span>
                            <select
                                data-testid="case-cause"
                                on:change=move |ev| cause.set(event_target_value(&ev))
                            >
                                <option value="" selected=move || cause.get().is_empty()>"Choose a cause"</option>
                                {cause_options}
                            </select>
                        </label>
                        {suggested_label.map(|label| view! {
                            <p class="muted small" data-testid="case-suggested-cause">
                                {format!("Suggested from the comment: {label}")}
                            </p>
                        })}
                        <label class="field">
                            <span>"Solution offered"</span>
                            <textarea
                                rows="2"
                                data-testid="case-solution"
                                placeholder="What the customer was offered"
                                prop:value=move || solution.get()
                                on:input=move |ev| solution.set(event_target_value(&ev))
                            ></textarea>
                        </label>
                        {has_suggestions.then(|| view! {
                            <div class="suggestions">
                                <p class="muted small">"What worked before for this cause (click to use):"</p>
                                <ul data-testid="case-suggestions">{suggestions}</ul>
                            </div>
                        })}
                        <div class="actions">
                            <button type="submit" class="button ghost" disabled=move || busy.get()>
                                "Save cause and solution"
                            </button>
                        </div>
                    </form>
                    <form class="owner-form" on:submit=set_owner>
                        <label class="field inline grow">
                            <span>"Owner"</span>
                            <input
                                type="text"
                                placeholder="Unassigned"
                                prop:value=move || owner.get()
                                on:input=move |ev| owner.set(event_target_value(&ev))
                            />
                        </label>
                        <button type="submit" class="button ghost" disabled=move || busy.get()>
                            "Set owner"
                        </button>
                    </form>
                    </div>
                    {move || error.get().map(|e| view! { <p class="error" role="alert" data-testid="case-error">{e}</p> })}
                </div>
            }
            .into_any()
        }
    }
}

/// What the later answer of the customer says, in words.
fn win_back_label(w: nps_shared::case::WinBack) -> &'static str {
    use nps_shared::case::WinBack;
    match w {
        WinBack::WonBack => "won back (answered 9 or 10)",
        WinBack::Improved => "improved, not yet a promoter",
        WinBack::Unchanged => "unchanged",
        WinBack::Worse => "worse",
    }
}
