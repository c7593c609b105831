//! Shop connectors of the chosen survey (`GET|POST /v1/connectors`, `DELETE
//! /v1/connectors/{id}`, `GET /v1/connectors/{id}/events`): a form to connect
//! Shopify, WooCommerce or any other system, after which the URL to paste into the
//! shop's admin and the secret show once, with copy buttons; the list with a delete
//! that asks first; and each connector's received webhooks with their outcome.
//! Everything the shop sent (topics, ids, reasons) is rendered as text only.

use leptos::prelude::*;
use leptos::task::spawn_local;
use nps_shared::connector::{
    ConnectorEventView, ConnectorSettings, ConnectorView, CreateConnector, CreatedConnector,
    Platform,
};

use crate::clock;
use crate::state::Session;
use crate::views::embed::copy_to_clipboard;

const PLATFORMS: [Platform; 3] = [Platform::Shopify, Platform::Woocommerce, Platform::Generic];

fn platform_name(platform: Platform) -> &'static str {
    match platform {
        Platform::Shopify => "Shopify",
        Platform::Woocommerce => "WooCommerce",
        Platform::Generic => "Other (Standard Webhooks)",
    }
}

/// Where the shop owner pastes the URL, per platform.
fn where_to_paste(platform: Platform) -> &'static str {
    match platform {
        Platform::Shopify => {
            "Shopify admin → Settings → Notifications → Webhooks: add the URL for \
             “Order creation” and “Fulfillment event creation” (or “Order fulfillment” \
             without tracking), format JSON."
        }
        Platform::Woocommerce => {
            "WooCommerce → Settings → Advanced → Webhooks → Add webhook: topic “Order \
             updated”, the URL as delivery URL, the secret below as secret."
        }
        Platform::Generic => {
            "Send a Standard Webhooks request (webhook-id, webhook-timestamp, \
             webhook-signature) with the body {order_id, customer, delivered_at, \
             properties} when an order is delivered."
        }
    }
}

#[component]
pub fn Connectors(survey_id: String) -> impl IntoView {
    let session = expect_context::<Session>();
    let reload = RwSignal::new(0u32);
    let listed = LocalResource::new(move || {
        reload.track();
        async move {
            let api = session.api()?;
            session.check(api.connectors().await)
        }
    });
    let created = RwSignal::new(None::<CreatedConnector>);
    let for_survey = survey_id.clone();
    view! {
        <CreateForm survey_id=survey_id.clone() created reload />
        {move || created.get().map(|c| view! { <NewConnector created=c on_done=move || created.set(None) /> })}
        {move || match listed.get() {
            None => view! { <p class="muted loading">"Loading connectors…"</p> }.into_any(),
            Some(Err(e)) => view! { <p class="error" role="alert">{e.message()}</p> }.into_any(),
            Some(Ok(list)) => {
                let mine: Vec<ConnectorView> = list
                    .into_iter()
                    .filter(|c| c.survey_id == for_survey)
                    .collect();
                if mine.is_empty() {
                    view! {
                        <p class="muted" data-testid="connectors-empty">
                            "No shop is connected to this survey yet."
                        </p>
                    }
                    .into_any()
                } else {
                    mine.into_iter()
                        .map(|connector| view! { <ConnectorCard connector reload /> })
                        .collect_view()
                        .into_any()
                }
            }
        }}
    }
}

#[component]
fn CreateForm(
    survey_id: String,
    created: RwSignal<Option<CreatedConnector>>,
    reload: RwSignal<u32>,
) -> impl IntoView {
    let session = expect_context::<Session>();
    let platform = RwSignal::new(Platform::Shopify);
    let secret = RwSignal::new(String::new());
    let days = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let days_text = days.get_untracked();
        let days_after_fulfilled = match days_text.trim() {
            "" => None,
            text => match text.parse::<u32>() {
                Ok(n) => Some(n),
                Err(_) => {
                    error.set(Some("Days after fulfilment must be a whole number.".into()));
                    return;
                }
            },
        };
        let secret_text = secret.get_untracked().trim().to_owned();
        let body = CreateConnector {
            platform: platform.get_untracked(),
            survey_id: survey_id.clone(),
            secret: (!secret_text.is_empty()).then_some(secret_text),
            settings: ConnectorSettings {
                days_after_fulfilled,
            },
        };
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            let result = match session.api() {
                Ok(api) => session.check(api.create_connector(&body).await),
                Err(e) => Err(e),
            };
            match result {
                Ok(connector) => {
                    created.set(Some(connector));
                    secret.set(String::new());
                    days.set(String::new());
                    reload.update(|n| *n += 1);
                }
                Err(e) => error.set(Some(e.message())),
            }
            busy.set(false);
        });
    };
    let options = PLATFORMS
        .into_iter()
        .map(|p| view! { <option value=p.as_str()>{platform_name(p)}</option> })
        .collect_view();
    view! {
        <form class="card stacked" aria-label="Connect a shop" on:submit=submit>
            <h2>"Connect a shop"</h2>
            <p class="muted small">
                "The shop's own webhooks invite each customer once their order is delivered, \
                 after the survey's delay (72 hours unless the survey says otherwise)."
            </p>
            <label class="field">
                <span>"Platform"</span>
                <select on:change=move |ev| {
                    if let Some(p) = Platform::parse(&event_target_value(&ev)) {
                        platform.set(p);
                    }
                }>{options}</select>
            </label>
            <label class="field">
                <span>"Signing secret (optional)"</span>
                <input
                    type="text"
                    maxlength="200"
                    autocomplete="off"
                    placeholder="Shopify: the key shown under Settings → Notifications → Webhooks"
                    prop:value=move || secret.get()
                    on:input=move |ev| secret.set(event_target_value(&ev))
                />
            </label>
            <Show when=move || platform.get() == Platform::Shopify>
                <label class="field">
                    <span>"Days from “Order fulfillment” to delivery (shops without tracking)"</span>
                    <input
                        type="number"
                        min="0"
                        max="60"
                        placeholder="5"
                        prop:value=move || days.get()
                        on:input=move |ev| days.set(event_target_value(&ev))
                    />
                </label>
            </Show>
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            <div class="actions">
                <button type="submit" class="button primary" disabled=move || busy.get()>
                    {move || if busy.get() { "Connecting…" } else { "Create connector" }}
                </button>
            </div>
        </form>
    }
}

/// A button that copies `text` and says whether it worked.
#[component]
fn CopyButton(text: String, label: &'static str) -> impl IntoView {
    let said = RwSignal::new(None::<&'static str>);
    let copy = move |_| {
        let text = text.clone();
        spawn_local(async move {
            said.set(Some(match copy_to_clipboard(&text).await {
                Ok(()) => "Copied.",
                Err(_) => "Copying failed: select it and copy it by hand.",
            }));
        });
    };
    view! {
        <button type="button" class="button ghost small" on:click=copy>{label}</button>
        {move || said.get().map(|m| view! { <span class="muted small" role="status">{m}</span> })}
    }
}

/// The URL and secret of a connector just created: the secret shows this once.
#[component]
fn NewConnector(created: CreatedConnector, on_done: impl Fn() + Clone + 'static) -> impl IntoView {
    let c = &created.connector;
    view! {
        <section class="card secret-card" aria-labelledby="new-connector-title" data-testid="new-connector">
            <h2 id="new-connector-title">{format!("{} connected", platform_name(c.platform))}</h2>
            <p class="notice" role="status">
                "Copy the secret now: it is shown only this once. " {where_to_paste(c.platform)}
            </p>
            <label class="field">
                <span>"Webhook URL"</span>
                <input type="text" readonly value=c.url.clone() data-testid="new-connector-url" />
            </label>
            <CopyButton text=c.url.clone() label="Copy URL" />
            <label class="field">
                <span>"Secret"</span>
                <input type="text" readonly value=created.secret.clone() data-testid="new-connector-secret" />
            </label>
            <CopyButton text=created.secret.clone() label="Copy secret" />
            <div class="actions">
                <button type="button" class="button ghost" on:click=move |_| on_done()>
                    "Done, I saved it"
                </button>
            </div>
        </section>
    }
}

#[component]
fn ConnectorCard(connector: ConnectorView, reload: RwSignal<u32>) -> impl IntoView {
    let session = expect_context::<Session>();
    let confirming = RwSignal::new(false);
    let showing = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let id = connector.id.clone();
    let delete = move |_| {
        let id = id.clone();
        error.set(None);
        spawn_local(async move {
            let result = match session.api() {
                Ok(api) => session.check(api.delete_connector(&id).await),
                Err(e) => Err(e),
            };
            match result {
                Ok(()) => reload.update(|n| *n += 1),
                Err(e) => error.set(Some(e.message())),
            }
            confirming.set(false);
        });
    };
    let events_id = connector.id.clone();
    view! {
        <section class="card" data-testid="connector" data-connector-id=connector.id.clone()>
            <h2>{platform_name(connector.platform)}</h2>
            <p class="small">
                <code data-testid="connector-url">{connector.url.clone()}</code> " "
                <CopyButton text=connector.url.clone() label="Copy URL" />
            </p>
            <p class="muted small">"Created " {clock::time_view(&connector.created_at)}</p>
            <div class="actions">
                <button type="button" class="button ghost small" on:click=move |_| showing.update(|s| *s = !*s)>
                    {move || if showing.get() { "Hide events" } else { "Show events" }}
                </button>
                <Show
                    when=move || confirming.get()
                    fallback=move || view! {
                        <button type="button" class="button ghost small" on:click=move |_| confirming.set(true)>
                            "Delete"
                        </button>
                    }
                >
                    <div role="group" aria-label="Confirm deleting the connector" class="confirm">
                        <span class="small">"The shop's webhooks stop creating invitations. "</span>
                        <button type="button" class="button danger small" on:click=delete.clone()>
                            "Delete connector"
                        </button>
                        <button type="button" class="button ghost small" on:click=move |_| confirming.set(false)>
                            "Cancel"
                        </button>
                    </div>
                </Show>
            </div>
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            {move || showing.get().then(|| view! { <Events connector_id=events_id.clone() /> })}
        </section>
    }
}

#[component]
fn Events(connector_id: String) -> impl IntoView {
    let session = expect_context::<Session>();
    let id = connector_id.clone();
    let page = LocalResource::new(move || {
        let id = id.clone();
        async move {
            let api = session.api()?;
            session.check(api.connector_events(&id, None).await)
        }
    });
    move || match page.get() {
        None => view! { <p class="muted loading">"Loading events…"</p> }.into_any(),
        Some(Err(e)) => view! { <p class="error" role="alert">{e.message()}</p> }.into_any(),
        Some(Ok(page)) if page.items.is_empty() => view! {
            <p class="muted small" data-testid="connector-events-empty">"Nothing received yet."</p>
        }
        .into_any(),
        Some(Ok(page)) => events_table(page.items).into_any(),
    }
}

fn events_table(events: Vec<ConnectorEventView>) -> impl IntoView {
    let rows = events
        .into_iter()
        .map(|e| {
            let outcome = e.outcome.as_str();
            view! {
                <tr data-testid="connector-event">
                    <td><span class=format!("pill {outcome}") data-testid="event-outcome">{outcome}</span></td>
                    <td>{e.topic.unwrap_or_default()}</td>
                    <td>{e.order_id.unwrap_or_default()}</td>
                    <td class="small">{e.reason.unwrap_or_default()}</td>
                    <td class="small">
                        {e.invitation_url.map(|url| view! {
                            <a href=url target="_blank" rel="noopener noreferrer">"Invitation"</a>
                        })}
                        {e.send_after.map(|at| view! {
                            <span class="muted">{format!(" sent {}", clock::local_time(&at))}</span>
                        })}
                    </td>
                    <td class="muted small">{clock::time_view(&e.received_at)}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="table-wrap">
            <table>
                <thead>
                    <tr>
                        <th scope="col">"Outcome"</th>
                        <th scope="col">"Topic"</th>
                        <th scope="col">"Order"</th>
                        <th scope="col">"Reason"</th>
                        <th scope="col">"Invitation"</th>
                        <th scope="col">"Received"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}
