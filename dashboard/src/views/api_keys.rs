//! API keys (`GET|POST /v1/api-keys`, `DELETE /v1/api-keys/{id}`): the list with
//! scopes, last use and revocation; a form to create one with a name and scope
//! checkboxes, after which its secret shows once, with a copy button and a warning;
//! revoking asks for a confirmation first. Only for tokens with the `admin` scope.

use leptos::prelude::*;
use leptos::task::spawn_local;
use nps_shared::staff::{ApiKeyCreated, ApiKeyView, CreateApiKey, Scope};

use crate::clock;
use crate::state::Session;
use crate::views::embed::copy_to_clipboard;

/// What each scope lets a key do, for the checkboxes.
fn scope_hint(scope: Scope) -> &'static str {
    match scope {
        Scope::Read => "reports, exports and lists",
        Scope::Cases => "work cases (includes read)",
        Scope::Admin => "everything (includes cases and read)",
    }
}

#[component]
pub fn ApiKeys() -> impl IntoView {
    let session = expect_context::<Session>();
    let reload = RwSignal::new(0u32);
    let keys = LocalResource::new(move || {
        reload.track();
        async move {
            let api = session.api()?;
            session.check(api.api_keys().await)
        }
    });
    let created = RwSignal::new(None::<ApiKeyCreated>);
    view! {
        <CreateKey created reload />
        {move || created.get().map(|c| view! { <NewSecret created=c on_done=move || created.set(None) /> })}
        {move || match keys.get() {
            None => view! { <p class="muted loading">"Loading API keys…"</p> }.into_any(),
            Some(Err(e)) => view! { <p class="error" role="alert">{e.message()}</p> }.into_any(),
            Some(Ok(list)) if list.is_empty() => view! {
                <p class="muted" data-testid="api-keys-empty">"No API keys yet."</p>
            }
            .into_any(),
            Some(Ok(list)) => keys_table(list, reload).into_any(),
        }}
    }
}

#[component]
fn CreateKey(created: RwSignal<Option<ApiKeyCreated>>, reload: RwSignal<u32>) -> impl IntoView {
    let session = expect_context::<Session>();
    let name = RwSignal::new(String::new());
    let chosen = RwSignal::new(vec![Scope::Read]);
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let field_errors = RwSignal::new(Vec::<(String, String)>::new());
    let field_error = move |field: &'static str| {
        move || {
            field_errors.with(|errors| {
                errors
                    .iter()
                    .find(|(f, _)| f == field)
                    .map(|(_, message)| {
                        view! { <p class="field-error" data-field=field role="alert">{message.clone()}</p> }
                    })
            })
        }
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = CreateApiKey {
            name: name.get_untracked(),
            scopes: chosen.get_untracked(),
        };
        busy.set(true);
        error.set(None);
        field_errors.set(Vec::new());
        spawn_local(async move {
            let result = match session.api() {
                Ok(api) => session.check(api.create_api_key(&body).await),
                Err(e) => Err(e),
            };
            match result {
                Ok(key) => {
                    created.set(Some(key));
                    name.set(String::new());
                    chosen.set(vec![Scope::Read]);
                    reload.update(|n| *n += 1);
                }
                Err(e) if !e.fields.is_empty() => field_errors.set(e.fields),
                Err(e) => error.set(Some(e.message())),
            }
            busy.set(false);
        });
    };
    let checkboxes = Scope::ALL
        .into_iter()
        .map(|scope| {
            let id = format!("scope-{}", scope.as_str());
            view! {
                <div class="checkbox">
                    <input
                        type="checkbox"
                        id=id.clone()
                        name="scopes"
                        value=scope.as_str()
                        prop:checked=move || chosen.with(|c| c.contains(&scope))
                        on:change=move |ev| {
                            let on = event_target_checked(&ev);
                            chosen.update(|c| {
                                c.retain(|s| *s != scope);
                                if on {
                                    c.push(scope);
                                    c.sort();
                                }
                            });
                        }
                    />
                    <label for=id>
                        <strong>{scope.as_str()}</strong>
                        <span class="muted">{format!(" — {}", scope_hint(scope))}</span>
                    </label>
                </div>
            }
        })
        .collect_view();
    view! {
        <form class="card stacked" aria-label="New API key" on:submit=submit>
            <h2>"New API key"</h2>
            <p class="muted small">
                "A key is sent as " <code>"Authorization: Bearer nps_…"</code>
                ". Its name is what timelines and the audit log show for its changes."
            </p>
            <label class="field">
                <span>"Name"</span>
                <input
                    type="text"
                    maxlength="80"
                    required
                    placeholder="Help desk sync"
                    prop:value=move || name.get()
                    on:input=move |ev| name.set(event_target_value(&ev))
                />
            </label>
            {field_error("name")}
            <fieldset class="scopes">
                <legend>"Scopes"</legend>
                {checkboxes}
            </fieldset>
            {field_error("scopes")}
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            <div class="actions">
                <button type="submit" class="button primary" disabled=move || busy.get()>
                    {move || if busy.get() { "Creating…" } else { "Create key" }}
                </button>
            </div>
        </form>
    }
}

/// The secret of a key just created: shown this once.
#[component]
fn NewSecret(created: ApiKeyCreated, on_done: impl Fn() + Clone + 'static) -> impl IntoView {
    let copied = RwSignal::new(None::<&'static str>);
    let secret = created.secret.clone();
    let copy = move |_| {
        let text = secret.clone();
        spawn_local(async move {
            copied.set(Some(match copy_to_clipboard(&text).await {
                Ok(()) => "Copied to the clipboard.",
                Err(_) => "Copying failed: select the secret and copy it by hand.",
            }));
        });
    };
    view! {
        <section class="card secret-card" aria-labelledby="new-secret-title" data-testid="new-secret">
            <h2 id="new-secret-title">{format!("Key “{}” created", created.key.name)}</h2>
            <p class="notice" role="status">
                "Copy the secret now: it is shown only this once and cannot be read again. "
                "Anyone holding it can use the API with this key's scopes."
            </p>
            <label class="field">
                <span>"Secret"</span>
                <input type="text" readonly value=created.secret.clone() data-testid="new-secret-value" />
            </label>
            <div class="actions">
                <button type="button" class="button primary" on:click=copy>"Copy secret"</button>
                <button type="button" class="button ghost" on:click=move |_| on_done()>
                    "Done, I saved it"
                </button>
            </div>
            {move || copied.get().map(|m| view! { <p class="muted small" role="status">{m}</p> })}
        </section>
    }
}

fn keys_table(keys: Vec<ApiKeyView>, reload: RwSignal<u32>) -> impl IntoView {
    let rows = keys
        .into_iter()
        .map(|key| view! { <KeyRow key reload /> })
        .collect_view();
    view! {
        <div class="card">
            <h2>"Keys"</h2>
            <div class="table-wrap">
                <table>
                    <thead>
                        <tr>
                            <th scope="col">"Name"</th>
                            <th scope="col">"Scopes"</th>
                            <th scope="col">"Created"</th>
                            <th scope="col">"Last used"</th>
                            <th scope="col">"Status"</th>
                            <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                        </tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
        </div>
    }
}

#[component]
fn KeyRow(key: ApiKeyView, reload: RwSignal<u32>) -> impl IntoView {
    let session = expect_context::<Session>();
    let confirming = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let scopes: Vec<&str> = key.scopes.iter().map(|s| s.as_str()).collect();
    let revoked = key.revoked_at.is_some();
    let id = key.id.clone();
    let revoke = move |_| {
        let id = id.clone();
        error.set(None);
        spawn_local(async move {
            let result = match session.api() {
                Ok(api) => session.check(api.revoke_api_key(&id).await),
                Err(e) => Err(e),
            };
            match result {
                Ok(()) => reload.update(|n| *n += 1),
                Err(e) => error.set(Some(e.message())),
            }
            confirming.set(false);
        });
    };
    let name = key.name.clone();
    view! {
        <tr data-testid="api-key" data-key-id=key.id.clone()>
            <td>{key.name.clone()}</td>
            <td>{scopes.join(", ")}</td>
            <td class="muted small">{clock::time_view(&key.created_at)}</td>
            <td class="muted small">
                {match &key.last_used_at {
                    Some(at) => clock::time_view(at).into_any(),
                    None => "never".into_any(),
                }}
            </td>
            <td>
                {match &key.revoked_at {
                    Some(at) => view! {
                        <span class="pill failed" data-testid="key-status">"revoked"</span>
                        " " <span class="muted small">{clock::local_time(at)}</span>
                    }
                    .into_any(),
                    None => view! { <span class="pill resolved" data-testid="key-status">"active"</span> }.into_any(),
                }}
            </td>
            <td>
                {(!revoked).then(|| view! {
                    <Show
                        when=move || confirming.get()
                        fallback=move || view! {
                            <button type="button" class="button ghost small" on:click=move |_| confirming.set(true)>
                                "Revoke"
                            </button>
                        }
                    >
                        <div role="group" aria-label=format!("Confirm revoking {name}") class="confirm">
                            <span class="small">"It stops working at once. "</span>
                            <button type="button" class="button danger small" on:click=revoke.clone()>
                                "Revoke key"
                            </button>
                            <button type="button" class="button ghost small" on:click=move |_| confirming.set(false)>
                                "Cancel"
                            </button>
                        </div>
                    </Show>
                })}
                {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            </td>
        </tr>
    }
}
