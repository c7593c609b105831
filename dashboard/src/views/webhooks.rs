//! Webhook endpoints (`GET /v1/webhooks`): a form to add one (URL, format, events,
//! survey and categories; the server's 422 shown at each field), its secret shown once;
//! per endpoint, whether it is on, buttons to send a test event (and its outcome), to
//! switch it off or on, to rotate its secret (confirmed; the new secret shown once,
//! with when the old one stops signing) and to delete it (confirmed); its recent
//! deliveries with every attempt's status code and latency (`GET …/deliveries`, older
//! ones a page at a time with "Load more"), and a Replay button for a delivered or
//! failed delivery (`POST …/replay`).

use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;
use nps_shared::Category;
use nps_shared::api::{
    DeliveryStatus, DeliveryView, EventType, RotateSecret, WebhookFormat, WebhookPatch, WebhookView,
};
use nps_shared::staff::Scope;

use crate::clock;
use crate::state::{Session, Surveys};
use crate::survey_form::FieldErrors;
use crate::views::embed::copy_to_clipboard;
use crate::webhook_form::{FORM_FIELDS, WebhookForm, outcome};

#[component]
pub fn Webhooks() -> impl IntoView {
    let session = expect_context::<Session>();
    let reload = RwSignal::new(0u32);
    let created = RwSignal::new(None::<(String, String)>);
    let notice = RwSignal::new(None::<String>);
    let endpoints = LocalResource::new(move || {
        reload.track();
        async move {
            let api = session.api()?;
            session.check(api.webhooks().await)
        }
    });
    let list = move || {
        match endpoints.get() {
        None => view! { <p class="muted loading">"Loading webhooks…"</p> }.into_any(),
        Some(Err(e)) => view! { <p class="error" role="alert">{e.message()}</p> }.into_any(),
        Some(Ok(list)) if list.is_empty() => view! {
            <div class="card empty">
                <h2>"No webhook endpoints yet"</h2>
                <p class="muted">
                    "Send detractor alerts to a help desk, CRM or Slack: add an endpoint above, or with "
                    <code>"POST /v1/webhooks"</code>
                    " (see the README)."
                </p>
            </div>
        }
        .into_any(),
        Some(Ok(list)) => list
            .into_iter()
            .map(|endpoint| view! { <Endpoint endpoint reload notice /> })
            .collect_view()
            .into_any(),
    }
    };
    // Changing endpoints needs the admin scope; a `read` key sees them and their
    // deliveries only (the server enforces it either way).
    view! {
        {move || session.allows(Scope::Admin).then(|| view! { <CreateEndpoint reload created /> })}
        {move || created.get().map(|(url, secret)| view! {
            <SecretPanel
                key="new".to_owned()
                title=format!("Signing secret for {url}")
                secret
                note=None
                on_done=move || created.set(None)
            />
        })}
        <p class="muted small" role="status" data-testid="webhooks-notice">{move || notice.get()}</p>
        {list}
    }
}

/// A sleep that yields to the browser (`setTimeout`).
pub(crate) async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let scheduled = web_sys::window()
            .map(|w| w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms));
        if !matches!(scheduled, Some(Ok(_))) {
            let _ = resolve.call0(&wasm_bindgen::JsValue::NULL);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

/// The message for `field` under its input, if the server named it.
fn field_error(errors: RwSignal<FieldErrors>, field: &'static str) -> impl IntoView {
    move || {
        errors.with(|e| e.get(field)).map(|message| {
            view! { <p class="field-error" id=format!("err-wh-{field}") data-field=field>{message}</p> }
        })
    }
}

fn invalid(
    errors: RwSignal<FieldErrors>,
    field: &'static str,
) -> impl Fn() -> Option<&'static str> + Send + Sync + Copy {
    move || errors.with(|e| e.get(field).is_some()).then_some("true")
}

fn described(
    errors: RwSignal<FieldErrors>,
    field: &'static str,
) -> impl Fn() -> Option<String> + Send + Sync + Copy {
    move || {
        errors
            .with(|e| e.get(field).is_some())
            .then(|| format!("err-wh-{field}"))
    }
}

/// The form that adds an endpoint; on success the secret goes to `created`.
#[component]
fn CreateEndpoint(
    reload: RwSignal<u32>,
    created: RwSignal<Option<(String, String)>>,
) -> impl IntoView {
    let session = expect_context::<Session>();
    let surveys = expect_context::<Surveys>();
    let form = RwSignal::new(WebhookForm::default());
    let errors = RwSignal::new(FieldErrors::default());
    let alert = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = form.with_untracked(WebhookForm::to_request);
        busy.set(true);
        alert.set(None);
        errors.set(FieldErrors::default());
        spawn_local(async move {
            let result = match session.api() {
                Ok(api) => session.check(api.create_webhook(&body).await),
                Err(e) => Err(e),
            };
            match result {
                Ok(hook) => {
                    created.set(Some((hook.endpoint.url.clone(), hook.secret)));
                    form.set(WebhookForm::default());
                    reload.update(|n| *n += 1);
                }
                Err(e) => {
                    let shown: Vec<(String, String)> = e
                        .fields
                        .iter()
                        .filter(|(f, _)| FORM_FIELDS.contains(&f.as_str()))
                        .cloned()
                        .collect();
                    let all_shown = !e.fields.is_empty() && shown.len() == e.fields.len();
                    errors.set(FieldErrors::from_pairs(shown));
                    alert.set(Some(if all_shown {
                        format!("{}: see the fields marked below.", e.title)
                    } else {
                        e.message()
                    }));
                }
            }
            busy.set(false);
        });
    };
    let event_boxes = EventType::SUBSCRIBABLE
        .into_iter()
        .map(|event| {
            view! {
                <label class="check">
                    <input type="checkbox" name="events"
                        prop:checked=move || form.with(|f| f.events.contains(&event))
                        on:change=move |ev| {
                            let on = event_target_checked(&ev);
                            form.update(|f| WebhookForm::toggle(&mut f.events, event, on));
                        } />
                    {event.as_str()}
                </label>
            }
        })
        .collect_view();
    let category_boxes = Category::ALL
        .into_iter()
        .map(|category| {
            view! {
                <label class="check">
                    <input type="checkbox" name="categories"
                        prop:checked=move || form.with(|f| f.categories.contains(&category))
                        on:change=move |ev| {
                            let on = event_target_checked(&ev);
                            form.update(|f| WebhookForm::toggle(&mut f.categories, category, on));
                        } />
                    {category.as_str()}
                </label>
            }
        })
        .collect_view();
    let survey_options = move || {
        surveys
            .list
            .get()
            .and_then(Result::ok)
            .unwrap_or_default()
            .into_iter()
            .map(|s| {
                let id = s.id.clone();
                view! {
                    <option value=s.id.clone() selected=move || form.with(|f| f.survey_id == id)>
                        {s.definition.name.clone()}
                    </option>
                }
            })
            .collect_view()
    };
    view! {
        <form class="card editor webhook-form" aria-labelledby="new-webhook-title" novalidate on:submit=submit>
            <h2 id="new-webhook-title">"Add an endpoint"</h2>
            <div class="field-row">
                <div class="field grow">
                    <label for="wh-url">"URL"</label>
                    <input id="wh-url" type="text" inputmode="url" autocomplete="off"
                        placeholder="https://hooks.slack.com/services/…"
                        prop:value=move || form.with(|f| f.url.clone())
                        on:input=move |ev| { let v = event_target_value(&ev); form.update(|f| f.url = v); }
                        aria-invalid=invalid(errors, "url")
                        aria-describedby=described(errors, "url") />
                    {field_error(errors, "url")}
                </div>
                <div class="field narrow">
                    <label for="wh-format">"Format"</label>
                    <select id="wh-format"
                        aria-invalid=invalid(errors, "format")
                        aria-describedby=described(errors, "format")
                        on:change=move |ev| {
                            let v = event_target_value(&ev);
                            if let Some(format) = WebhookFormat::parse(&v) {
                                form.update(|f| f.format = format);
                            }
                        }>
                        <option value="standard" selected=move || form.with(|f| f.format == WebhookFormat::Standard)>
                            "Standard (JSON)"
                        </option>
                        <option value="slack" selected=move || form.with(|f| f.format == WebhookFormat::Slack)>
                            "Slack message"
                        </option>
                    </select>
                    {field_error(errors, "format")}
                </div>
            </div>
            <div class="field">
                <label for="wh-description">"Description (optional)"</label>
                <input id="wh-description" type="text"
                    prop:value=move || form.with(|f| f.description.clone())
                    on:input=move |ev| { let v = event_target_value(&ev); form.update(|f| f.description = v); }
                    aria-invalid=invalid(errors, "description")
                    aria-describedby=described(errors, "description") />
                {field_error(errors, "description")}
            </div>
            <fieldset class="follow-ups" aria-describedby=described(errors, "events")>
                <legend>"Events"</legend>
                <div class="checks">{event_boxes}</div>
                {field_error(errors, "events")}
            </fieldset>
            <fieldset class="follow-ups">
                <legend>"Only these answers (none ticked: all)"</legend>
                <div class="field">
                    <label for="wh-survey">"Survey"</label>
                    <select id="wh-survey"
                        aria-invalid=invalid(errors, "filter.survey_ids")
                        aria-describedby=described(errors, "filter.survey_ids")
                        on:change=move |ev| { let v = event_target_value(&ev); form.update(|f| f.survey_id = v); }>
                        <option value="" selected=move || form.with(|f| f.survey_id.is_empty())>"Every survey"</option>
                        {survey_options}
                    </select>
                    {field_error(errors, "filter.survey_ids")}
                </div>
                <div class="checks" role="group" aria-label="Categories">{category_boxes}</div>
                {field_error(errors, "filter.categories")}
            </fieldset>
            {move || alert.get().map(|a| view! { <p class="error" role="alert" data-testid="webhook-form-error">{a}</p> })}
            <button type="submit" class="button primary" disabled=move || busy.get()>
                {move || if busy.get() { "Creating…" } else { "Create endpoint" }}
            </button>
        </form>
    }
}

/// A secret shown once, with a copy button; it takes the focus when it appears.
#[component]
fn SecretPanel(
    /// Makes the panel's ids unique on the page.
    key: String,
    title: String,
    secret: String,
    note: Option<String>,
    on_done: impl Fn() + 'static,
) -> impl IntoView {
    let heading = NodeRef::<html::H3>::new();
    Effect::new(move |_| {
        if let Some(h) = heading.get() {
            let _ = h.focus();
        }
    });
    let copied = RwSignal::new(None::<&'static str>);
    let text = secret.clone();
    let copy = move |_| {
        let text = text.clone();
        spawn_local(async move {
            copied.set(Some(match copy_to_clipboard(&text).await {
                Ok(()) => "Copied to the clipboard.",
                Err(_) => "Copying failed: select the secret and copy it by hand.",
            }));
        });
    };
    view! {
        <section class="card secret-panel" data-testid="secret-panel" aria-labelledby=format!("secret-title-{key}")>
            <h3 id=format!("secret-title-{key}") tabindex="-1" node_ref=heading>{title}</h3>
            <p class="notice">
                <strong>"Shown only now."</strong>
                " Put it into the receiver (it verifies the webhook-signature header with it); it cannot be shown again."
            </p>
            <p class="secret-row">
                <code data-testid="secret" class="secret">{secret}</code>
                <button type="button" class="button ghost small" on:click=copy>"Copy secret"</button>
            </p>
            <p class="muted small" role="status">{move || copied.get()}</p>
            {note.map(|n| view! { <p data-testid="secret-note">{n}</p> })}
            <button type="button" class="button ghost" on:click=move |_| on_done()>"Done, I have copied it"</button>
        </section>
    }
}

/// A string fit for an element id (labels point at inputs by id).
fn id_for_label(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}

/// What an endpoint card asks before acting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Confirm {
    Rotate,
    Delete,
}

#[component]
fn Endpoint(
    endpoint: WebhookView,
    /// Bumped to re-read the list (after a delete).
    reload: RwSignal<u32>,
    /// The page's status line.
    notice: RwSignal<Option<String>>,
) -> impl IntoView {
    let list_reload = reload;
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

    let enabled = RwSignal::new(endpoint.enabled);
    let overlap_ends = RwSignal::new(endpoint.previous_secret_expires_at.clone());
    let confirm = RwSignal::new(None::<Confirm>);
    let busy = RwSignal::new(false);
    let test_status = RwSignal::new(None::<String>);
    let new_secret = RwSignal::new(None::<(String, String)>);
    let overlap_hours = RwSignal::new("24".to_owned());
    let rotate_errors = RwSignal::new(FieldErrors::default());
    let id = endpoint.id.clone();
    let url = endpoint.url.clone();

    let send_test = {
        let id = id.clone();
        move |_| {
            let id = id.clone();
            busy.set(true);
            error.set(None);
            test_status.set(Some("Sending a test event…".into()));
            spawn_local(async move {
                let result = match session.api() {
                    Ok(api) => session.check(api.test_webhook(&id).await),
                    Err(e) => Err(e),
                };
                busy.set(false);
                let delivery_id = match result {
                    Ok(delivery) => delivery.id,
                    Err(e) => {
                        test_status.set(None);
                        error.set(Some(e.message()));
                        return;
                    }
                };
                test_status.set(Some(format!(
                    "Test event {delivery_id} queued; waiting for the receiver…"
                )));
                reload.update(|n| *n += 1);
                // Follow it until it is settled (retries included), for a minute at most.
                for _ in 0..60 {
                    sleep(1000).await;
                    let Ok(api) = session.api() else { return };
                    let Ok(page) = api.deliveries(&id, None).await else {
                        continue;
                    };
                    let Some(d) = page.items.iter().find(|d| d.id == delivery_id) else {
                        continue;
                    };
                    if let Some(said) = outcome(d) {
                        test_status.set(Some(format!("Test event {delivery_id}: {said}")));
                    }
                    if d.status != DeliveryStatus::Pending {
                        reload.update(|n| *n += 1);
                        return;
                    }
                }
            });
        }
    };
    let toggle = {
        let id = id.clone();
        move |_| {
            let id = id.clone();
            let patch = WebhookPatch {
                enabled: Some(!enabled.get_untracked()),
            };
            busy.set(true);
            error.set(None);
            spawn_local(async move {
                let result = match session.api() {
                    Ok(api) => session.check(api.patch_webhook(&id, &patch).await),
                    Err(e) => Err(e),
                };
                match result {
                    Ok(view) => enabled.set(view.enabled),
                    Err(e) => error.set(Some(e.message())),
                }
                busy.set(false);
            });
        }
    };
    let rotate = {
        let id = id.clone();
        move |_: leptos::ev::MouseEvent| {
            let id = id.clone();
            let typed = overlap_hours.get_untracked();
            let body = match typed.trim().parse::<u32>() {
                Ok(hours) => RotateSecret {
                    overlap_hours: Some(hours),
                },
                Err(_) => {
                    rotate_errors.set(FieldErrors::from_pairs([(
                        "overlap_hours".to_owned(),
                        "must be a whole number of hours".to_owned(),
                    )]));
                    return;
                }
            };
            busy.set(true);
            error.set(None);
            rotate_errors.set(FieldErrors::default());
            spawn_local(async move {
                let result = match session.api() {
                    Ok(api) => session.check(api.rotate_secret(&id, &body).await),
                    Err(e) => Err(e),
                };
                match result {
                    Ok(rotated) => {
                        let ends = rotated.endpoint.previous_secret_expires_at.clone();
                        let note = match &ends {
                            Some(at) => format!(
                                "The previous secret keeps signing beside this one until {}; after that only this one signs.",
                                clock::local_time(at)
                            ),
                            None => "Only this secret signs.".to_owned(),
                        };
                        overlap_ends.set(ends);
                        confirm.set(None);
                        new_secret.set(Some((rotated.secret, note)));
                    }
                    Err(e) if !e.fields.is_empty() => {
                        rotate_errors.set(FieldErrors::from_pairs(e.fields))
                    }
                    Err(e) => error.set(Some(e.message())),
                }
                busy.set(false);
            });
        }
    };
    let delete = {
        let id = id.clone();
        let url = url.clone();
        move |_: leptos::ev::MouseEvent| {
            let id = id.clone();
            let url = url.clone();
            busy.set(true);
            error.set(None);
            spawn_local(async move {
                let result = match session.api() {
                    Ok(api) => session.check(api.delete_webhook(&id).await),
                    Err(e) => Err(e),
                };
                match result {
                    Ok(()) => {
                        notice.set(Some(format!("Endpoint {url} deleted.")));
                        list_reload.update(|n| *n += 1);
                    }
                    Err(e) => {
                        error.set(Some(e.message()));
                        busy.set(false);
                    }
                }
            });
        }
    };
    let confirm_button = NodeRef::<html::Button>::new();
    Effect::new(move |_| {
        if let Some(b) = confirm_button.get() {
            let _ = b.focus();
        }
    });
    let card_id = id.clone();
    let confirm_panel = {
        let url = url.clone();
        let id = id.clone();
        move || {
            confirm.get().map(|what| {
                let (question, action, class) = match what {
                    Confirm::Rotate => (
                        "Rotate the signing secret? A new secret is made and shown once; the current one keeps signing beside it for the hours below, so the receiver can switch without missing an event.".to_owned(),
                        "Rotate secret now",
                        "button primary",
                    ),
                    Confirm::Delete => (
                        format!("Delete the endpoint {url}? It receives nothing more, and its pending deliveries fail."),
                        "Delete endpoint",
                        "button ghost danger",
                    ),
                };
                let (rotate, delete) = (rotate.clone(), delete.clone());
                let act = move |ev: leptos::ev::MouseEvent| match what {
                    Confirm::Rotate => rotate(ev),
                    Confirm::Delete => delete(ev),
                };
                view! {
                    <div class="confirm" role="group" aria-label="Confirm" data-testid="confirm">
                        <p>{question}</p>
                        {(what == Confirm::Rotate).then(|| view! {
                            <div class="field narrow">
                                <label for=format!("overlap-{}", id_for_label(&id))>"Old secret keeps signing for (hours, 0–168)"</label>
                                <input id=format!("overlap-{}", id_for_label(&id)) type="text" inputmode="numeric"
                                    prop:value=move || overlap_hours.get()
                                    on:input=move |ev| overlap_hours.set(event_target_value(&ev))
                                    aria-invalid=invalid(rotate_errors, "overlap_hours")
                                    aria-describedby=described(rotate_errors, "overlap_hours") />
                                {field_error(rotate_errors, "overlap_hours")}
                            </div>
                        })}
                        <div class="actions">
                            <button type="button" class=class node_ref=confirm_button
                                disabled=move || busy.get() on:click=act>{action}</button>
                            <button type="button" class="button ghost" on:click=move |_| confirm.set(None)>"Cancel"</button>
                        </div>
                    </div>
                }
            })
        }
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
            <div class="pills">
                <span class="pill state" data-testid="webhook-state">
                    {move || if enabled.get() { "enabled" } else { "disabled" }}
                </span>
                {events}
            </div>
            {move || overlap_ends.get().filter(|at| at.as_str() > nps_shared::time::rfc3339(js_sys::Date::now() as i64).as_str()).map(|at| view! {
                <p class="muted small" data-testid="overlap">
                    {format!("The previous secret also signs until {}.", clock::local_time(&at))}
                </p>
            })}
            <div class="actions webhook-actions" role="group" aria-label=format!("Actions for {}", endpoint.url)
                hidden=move || !session.allows(Scope::Admin)>
                <button type="button" class="button ghost small" disabled=move || busy.get() || !enabled.get()
                    on:click=send_test>"Send test event"</button>
                <button type="button" class="button ghost small" disabled=move || busy.get() on:click=toggle>
                    {move || if enabled.get() { "Disable" } else { "Enable" }}
                </button>
                <button type="button" class="button ghost small" disabled=move || busy.get()
                    on:click=move |_| { rotate_errors.set(FieldErrors::default()); confirm.set(Some(Confirm::Rotate)) }>"Rotate secret"</button>
                <button type="button" class="button ghost small danger" disabled=move || busy.get()
                    on:click=move |_| confirm.set(Some(Confirm::Delete))>"Delete"</button>
            </div>
            {confirm_panel}
            {move || new_secret.get().map(|(secret, note)| view! {
                <SecretPanel
                    key=card_id.clone()
                    title="New signing secret".to_owned()
                    secret
                    note=Some(note)
                    on_done=move || new_secret.set(None)
                />
            })}
            <p class="muted small" role="status" data-testid="test-status">{move || test_status.get()}</p>
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
    // Replaying needs the admin scope.
    let may_replay = expect_context::<Session>().allows(Scope::Admin);
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
            let can_replay = matches!(d.status, DeliveryStatus::Delivered | DeliveryStatus::Failed)
                && may_replay;
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
