//! The audit log (`GET /v1/audit`): who changed surveys, webhooks, API keys, cases and
//! erased respondents, newest first, filtered by action and actor, older entries a
//! page at a time with "Load more". Only for tokens with the `admin` scope.

use leptos::prelude::*;
use leptos::task::spawn_local;
use nps_shared::staff::{AuditAction, AuditEntry};

use crate::clock;
use crate::state::Session;

#[component]
pub fn Audit() -> impl IntoView {
    let session = expect_context::<Session>();
    // The filters as applied (the form's fields apply on submit).
    let action = RwSignal::new(String::new());
    let actor = RwSignal::new(String::new());
    let actor_field = RwSignal::new(String::new());
    let first = LocalResource::new(move || {
        let (action, actor) = (action.get(), actor.get());
        async move {
            let api = session.api()?;
            session.check(api.audit(&action, &actor, None).await)
        }
    });
    let more = RwSignal::new(Vec::<AuditEntry>::new());
    let next = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        if let Some(Ok(page)) = first.get() {
            more.set(Vec::new());
            next.set(page.next_cursor.clone());
        }
    });
    let load_more = move |_| {
        let Some(cursor) = next.get_untracked() else {
            return;
        };
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            let result = match session.api() {
                Ok(api) => {
                    let page = api
                        .audit(
                            &action.get_untracked(),
                            &actor.get_untracked(),
                            Some(&cursor),
                        )
                        .await;
                    session.check(page)
                }
                Err(e) => Err(e),
            };
            match result {
                Ok(page) => {
                    more.update(|items| items.extend(page.items));
                    next.set(page.next_cursor);
                }
                Err(e) => error.set(Some(e.message())),
            }
            busy.set(false);
        });
    };
    let options = AuditAction::ALL
        .into_iter()
        .map(|a| view! { <option value=a.as_str()>{a.as_str()}</option> })
        .collect_view();
    let apply = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        actor.set(actor_field.get_untracked().trim().to_owned());
    };
    view! {
        <form class="card filters" aria-label="Audit filters" on:submit=apply>
            <label class="field inline">
                <span>"Action"</span>
                <select on:change=move |ev| action.set(event_target_value(&ev))>
                    <option value="">"Any action"</option>
                    {options}
                </select>
            </label>
            <label class="field inline grow">
                <span>"Actor"</span>
                <input
                    type="text"
                    placeholder="Anyone (exact name or e-mail)"
                    prop:value=move || actor_field.get()
                    on:input=move |ev| actor_field.set(event_target_value(&ev))
                />
            </label>
            <button type="submit" class="button ghost">"Filter"</button>
        </form>
        {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        {move || match first.get() {
            None => view! { <p class="muted loading">"Loading the audit log…"</p> }.into_any(),
            Some(Err(e)) => view! { <p class="error" role="alert">{e.message()}</p> }.into_any(),
            Some(Ok(page)) if page.items.is_empty() => {
                view! { <p class="muted" data-testid="audit-empty">"No entries."</p> }.into_any()
            }
            Some(Ok(page)) => entries_table(page.items.into_iter().chain(more.get()).collect())
                .into_any(),
        }}
        {move || next.get().map(|_| view! {
            <button
                type="button"
                class="button ghost load-more"
                data-testid="audit-load-more"
                disabled=move || busy.get()
                on:click=load_more
            >
                {move || if busy.get() { "Loading…" } else { "Load more entries" }}
            </button>
        })}
    }
}

fn entries_table(entries: Vec<AuditEntry>) -> impl IntoView {
    let rows = entries
        .into_iter()
        .map(|e| {
            view! {
                <tr data-testid="audit-entry" data-action=e.action.as_str()>
                    <td class="muted small">{clock::time_view(&e.at)}</td>
                    <td data-testid="audit-actor">
                        {e.actor.clone()}
                        <span class="muted small">{format!(" ({})", e.principal_kind.as_str())}</span>
                    </td>
                    <td><span class="pill">{e.action.as_str()}</span></td>
                    <td><code>{e.target_id.clone()}</code></td>
                    <td>{e.summary.clone()}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="card table-wrap">
            <table>
                <caption class="visually-hidden">"Audit log, newest first"</caption>
                <thead>
                    <tr>
                        <th scope="col">"When"</th>
                        <th scope="col">"Who"</th>
                        <th scope="col">"Action"</th>
                        <th scope="col">"Target"</th>
                        <th scope="col">"What"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}
