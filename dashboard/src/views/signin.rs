//! The sign-in form: the admin token or an API key, checked against `GET /v1/surveys`
//! before it is kept, so a wrong or revoked one is refused here rather than on the
//! first chart. Behind Cloudflare Access no form is needed: on opening, `GET /v1/me`
//! without a token tells whether Access signed this person in, and who.

use leptos::prelude::*;
use leptos::task::spawn_local;

use nps_shared::staff::PrincipalKind;

use crate::api::Api;
use crate::state::Session;

#[component]
pub fn SignIn() -> impl IntoView {
    let session = expect_context::<Session>();
    let token = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    // Behind Cloudflare Access the edge has already signed this person in. Not after a
    // sign-out or a refused token (the notice says why): that must stay visible.
    if session.notice.get_untracked().is_none() {
        spawn_local(async move {
            if let Ok(me) = Api::access().me().await
                && me.kind == PrincipalKind::Access
            {
                session.sign_in_with_access(me);
            }
        });
    }

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let candidate = token.get_untracked().trim().to_owned();
        if candidate.is_empty() {
            error.set(Some("Enter the admin token.".into()));
            return;
        }
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            match Api::new(&candidate).surveys().await {
                Ok(_) => session.sign_in(candidate),
                Err(e) if e.is_auth() => error.set(Some(
                    "That token was not accepted. Check it and try again.".into(),
                )),
                Err(e) => error.set(Some(e.message())),
            }
            busy.set(false);
        });
    };

    view! {
        <main class="signin">
            <form class="card signin-card" on:submit=submit>
                <div class="brand">
                    <span class="logo" aria-hidden="true">"N"</span>
                    <span class="brand-name">"NPS Loop"</span>
                </div>
                <h1>"Sign in to the dashboard"</h1>
                <p class="muted">
                    "Use the admin token of this installation ("
                    <code>"ADMIN_TOKEN"</code>
                    "; "
                    <code>"scripts/dev.sh"</code>
                    " prints the local one), or an API key ("
                    <code>"nps_…"</code>
                    "). It is kept in this tab only."
                </p>
                {move || {
                    session
                        .notice
                        .get()
                        .map(|n| view! { <p class="notice" role="status">{n}</p> })
                }}
                <label class="field">
                    <span>"Admin token or API key"</span>
                    <input
                        type="password"
                        name="token"
                        autocomplete="current-password"
                        required
                        prop:value=move || token.get()
                        on:input=move |ev| token.set(event_target_value(&ev))
                    />
                </label>
                {move || {
                    error
                        .get()
                        .map(|e| view! { <p class="error" role="alert" data-testid="signin-error">{e}</p> })
                }}
                <button type="submit" class="button primary" disabled=move || busy.get()>
                    {move || if busy.get() { "Checking…" } else { "Sign in" }}
                </button>
            </form>
        </main>
    }
}
