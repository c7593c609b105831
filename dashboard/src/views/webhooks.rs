//! Webhook endpoints (`GET /v1/webhooks`), each with its recent deliveries and every
//! attempt's status code and latency (`GET /v1/webhooks/{id}/deliveries`, older ones
//! a page at a time with "Load more"), and a Replay button for a delivered or failed
//! delivery (`POST …/replay`).

use leptos::prelude::*;
use leptos::task::spawn_local;
use nps_shared::api::{DeliveryStatus, DeliveryView, WebhookView};

use crate::clock;
use crate::state::Session;

#[component]
pub fn Webhooks() -> impl IntoView {
    let session = expect_context::<Session>();
    let endpoints = LocalResource::new(move || async move {
        let api = session.api()?;
        session.check(api.webhooks().await)
    });
    move || match endpoints.get() {
        None => view! { <p class="muted loading">"Loading webhooks…"</p> }.into_any(),
        Some(Err(e)) => view! { <p class="error" role="alert">{e.message()}</p> }.into_any(),
        Some(Ok(list)) if list.is_empty() => view! {
            <div class="card empty">
                <h2>"No webhook endpoints yet"</h2>
                <p class="muted">
                    "Send detractor alerts to a help desk, CRM or Slack: create an endpoint with "
                    <code>"POST /v1/webhooks"</code>
                    " (see the README)."
                </p>
            </div>
        }
        .into_any(),
        Some(Ok(list)) => list
            .into_iter()
            .map(|endpoint| view! { <Endpoint endpoint /> })
            .collect_view()
            .into_any(),
    }
}

#[component]
fn Endpoint(endpoint: WebhookView) -> impl IntoView {
    let session = expect_context::<Session>();
    let reload = RwSignal::new(0u32);
    let error = RwSignal::new(None::<String>);
    let webhook_id = endpoint.id.clone();
    let deliveries = LocalResource::new(move || {
        let id = webhook_id.clone();
        reload.track();
        async move {
            let api = session.api()?;
            session.check(api.deliveries(&id, None).await)
        }
    });
    // Older pages, fetched by "Load more"; a refresh starts over from the newest.
    let more = RwSignal::new(Vec::<DeliveryView>::new());
    let next = RwSignal::new(None::<String>);
    let more_busy = RwSignal::new(false);
    Effect::new(move |_| {
        if let Some(Ok(page)) = deliveries.get() {
            more.set(Vec::new());
            next.set(page.next_cursor.clone());
        }
    });
    let more_id = endpoint.id.clone();
    let load_more = move |_| {
        let Some(cursor) = next.get_untracked() else {
            return;
        };
        let id = more_id.clone();
        more_busy.set(true);
        error.set(None);
        spawn_local(async move {
            let result = match session.api() {
                Ok(api) => session.check(api.deliveries(&id, Some(&cursor)).await),
                Err(e) => Err(e),
            };
            match result {
                Ok(page) => {
                    more.update(|items| items.extend(page.items));
                    next.set(page.next_cursor);
                }
                Err(e) => error.set(Some(e.message())),
            }
            more_busy.set(false);
        });
    };
    let events = endpoint
        .events
        .iter()
        .map(|e| view! { <span class="pill">{e.as_str()}</span> })
        .collect_view();
    let filter = {
        let f = &endpoint.filter;
        let mut parts = Vec::new();
        if !f.categories.is_empty() {
            let names: Vec<&str> = f.categories.iter().map(|c| c.as_str()).collect();
            parts.push(names.join(", "));
        }
        if f.score_min.is_some() || f.score_max.is_some() {
            parts.push(format!(
                "scores {}–{}",
                f.score_min.map_or(0, |s| s.value()),
                f.score_max.map_or(10, |s| s.value())
            ));
        }
        if !f.survey_ids.is_empty() {
            parts.push(f.survey_ids.join(", "));
        }
        if parts.is_empty() {
            "every answer".to_owned()
        } else {
            parts.join(" · ")
        }
    };
    let webhook_id = endpoint.id.clone();
    let replay = move |delivery_id: String| {
        let webhook_id = webhook_id.clone();
        error.set(None);
        spawn_local(async move {
            let result = match session.api() {
                Ok(api) => session.check(api.replay(&webhook_id, &delivery_id).await),
                Err(e) => Err(e),
            };
            match result {
                Ok(_) => reload.update(|n| *n += 1),
                Err(e) => error.set(Some(e.message())),
            }
        });
    };

    view! {
        <article class="card webhook" data-testid="webhook" data-webhook-id=endpoint.id.clone()>
            <header class="webhook-head">
                <div>
                    <h2 class="url">{endpoint.url.clone()}</h2>
                    <p class="muted small">
                        {endpoint.description.clone().unwrap_or_default()}
                        {format!(
                            " {} · filter: {} · since {}",
                            endpoint.format.as_str(),
                            filter,
                            clock::local_time(&endpoint.created_at),
                        )}
                    </p>
                </div>
                <button type="button" class="button ghost" on:click=move |_| reload.update(|n| *n += 1)>
                    "Refresh"
                </button>
            </header>
            <div class="pills">{events}</div>
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            {move || match deliveries.get() {
                None => view! { <p class="muted loading">"Loading deliveries…"</p> }.into_any(),
                Some(Err(e)) => view! { <p class="error" role="alert">{e.message()}</p> }.into_any(),
                Some(Ok(page)) if page.items.is_empty() => {
                    view! { <p class="muted">"No deliveries yet."</p> }.into_any()
                }
                Some(Ok(page)) => {
                    let items = page.items.into_iter().chain(more.get()).collect();
                    deliveries_table(items, replay.clone()).into_any()
                }
            }}
            {move || next.get().map(|_| view! {
                <button
                    type="button"
                    class="button ghost load-more"
                    data-testid="deliveries-load-more"
                    disabled=move || more_busy.get()
                    on:click=load_more.clone()
                >
                    {move || if more_busy.get() { "Loading…" } else { "Load more deliveries" }}
                </button>
            })}
        </article>
    }
}

fn deliveries_table(
    deliveries: Vec<DeliveryView>,
    replay: impl Fn(String) + Clone + 'static,
) -> impl IntoView {
    let rows = deliveries
        .into_iter()
        .map(|d| {
            let attempts = d
                .attempts
                .iter()
                .map(|a| {
                    let code = a
                        .status_code
                        .map(|c| c.to_string())
                        .or_else(|| a.error.clone())
                        .unwrap_or_else(|| "no answer".into());
                    let ok = a.status_code.is_some_and(|c| (200..300).contains(&c));
                    view! {
                        <li class:ok=ok class:failed=!ok>
                            {format!("#{} · {} · {} ms", a.attempt, code, a.latency_ms)}
                        </li>
                    }
                })
                .collect_view();
            let can_replay = matches!(d.status, DeliveryStatus::Delivered | DeliveryStatus::Failed);
            let replay = replay.clone();
            let id = d.id.clone();
            view! {
                <tr data-testid="delivery">
                    <td>{d.event_type.as_str()}</td>
                    <td>
                        <span class=format!("pill {}", d.status.as_str())>{d.status.as_str()}</span>
                    </td>
                    <td class="muted small">{clock::time_view(&d.created_at)}</td>
                    <td>
                        <ul class="attempts">{attempts}</ul>
                    </td>
                    <td>
                        {can_replay.then(|| view! {
                            <button
                                type="button"
                                class="button ghost small"
                                on:click=move |_| replay(id.clone())
                            >
                                "Replay"
                            </button>
                        })}
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="table-wrap">
            <table>
                <thead>
                    <tr>
                        <th scope="col">"Event"</th>
                        <th scope="col">"Status"</th>
                        <th scope="col">"Created"</th>
                        <th scope="col">"Attempts"</th>
                        <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}
