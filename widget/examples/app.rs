//! A Leptos CSR app that asks the NPS question with the `NpsSurvey` component: an
//! order confirmation page with the survey inline under it.
//!
//!   cargo build --examples -p nps-widget --target wasm32-unknown-unknown
//!
//! An app depends on `nps-widget` with the `app` feature (the crate's own examples and
//! tests have it through its dev-dependency on itself). The survey's config comes from
//! `api`; answers go there too, so the API must allow the app's origin (CORS).

#[cfg(target_arch = "wasm32")]
fn main() {
    use leptos::prelude::*;
    use nps_widget::{Channel, NpsSurvey, Position, Respondent, Told};

    leptos::mount::mount_to_body(|| {
        let (answered, set_answered) = signal(false);
        view! {
            <main>
                <h1>"Thank you for your order"</h1>
                <p>"Order 10023 is on its way."</p>
                <NpsSurvey
                    survey="s_demo"
                    api="http://localhost:8787"
                    locale="en"
                    respondent=Respondent { id: Some("u_42".into()), email: None, user_hash: None }
                    properties=vec![("plan".into(), "pro".into())]
                    position=Position::Inline
                    channel=Channel::Web
                    on=move |told: Told| {
                        if told.kind == "submitted" {
                            set_answered.set(true);
                        }
                    }
                />
                <p>{move || if answered.get() { "Your answer is in: thank you!" } else { "" }}</p>
            </main>
        }
    });
}

/// Natively there is no page to show it on (`cargo test` builds the examples).
#[cfg(not(target_arch = "wasm32"))]
fn main() {}
