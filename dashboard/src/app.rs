//! The page's frame: the sign-in gate, the top bar with the survey picker and who is
//! signed in, and the section navigation (Overview · Cases · Playbook · Actions ·
//! Coaching · Webhooks · Connectors · Campaigns · Survey · Embed · API keys · Audit log),
//! showing only the sections the token's scopes allow (`GET /v1/me`). Sections live in
//! `views`; the state they share (`Session`, `Surveys`, `Drafts`), which this module
//! creates and provides, in `state`; network calls in `api`.

use std::collections::BTreeMap;

use leptos::prelude::*;
use nps_shared::api::SurveyView;
use nps_shared::staff::Scope;
use wasm_bindgen::JsCast;

use crate::state::{Drafts, Session, Surveys};
use crate::views::campaigns::Campaigns;
use crate::views::{
    actions::Actions, api_keys::ApiKeys, audit::Audit, cases::Cases, coaching::Coaching,
    connectors::Connectors, editor::Editor, embed::Embed, overview::Overview, playbook::Playbook,
    signin::SignIn, webhooks::Webhooks,
};

/// The sections of the dashboard.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Section {
    Overview,
    Cases,
    Playbook,
    Actions,
    Coaching,
    Webhooks,
    Connectors,
    Survey,
    Embed,
    ApiKeys,
    Audit,
    Campaigns,
}

impl Section {
    const ALL: [Section; 12] = [
        Section::Overview,
        Section::Cases,
        Section::Playbook,
        Section::Actions,
        Section::Coaching,
        Section::Webhooks,
        Section::Connectors,
        Section::Campaigns,
        Section::Survey,
        Section::Embed,
        Section::ApiKeys,
        Section::Audit,
    ];

    /// The scope a token needs to see the section (the server checks every call).
    fn needs(self) -> Scope {
        match self {
            Section::Survey | Section::ApiKeys | Section::Audit | Section::Campaigns => {
                Scope::Admin
            }
            _ => Scope::Read,
        }
    }

    /// Whether the section is about the chosen survey (the others are not).
    fn per_survey(self) -> bool {
        !matches!(self, Section::ApiKeys | Section::Audit)
    }

    fn title(self) -> &'static str {
        match self {
            Section::Overview => "Overview",
            Section::Cases => "Cases",
            Section::Playbook => "Playbook",
            Section::Actions => "Actions",
            Section::Coaching => "Coaching",
            Section::Webhooks => "Webhooks",
            Section::Connectors => "Connectors",
            Section::Survey => "Survey",
            Section::Embed => "Embed",
            Section::ApiKeys => "API keys",
            Section::Audit => "Audit log",
            Section::Campaigns => "Campaigns",
        }
    }
}

/// Whether the surveys are there yet, apart from what they hold, so that editing a
/// survey does not redraw the section showing it.
#[derive(Clone, Debug, PartialEq)]
enum ListState {
    Loading,
    Failed(String),
    Ready,
}

/// Mounts the app into `#app`, or the body when the page has no such element.
pub fn mount() {
    let host = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("app"))
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
    match host {
        Some(host) => {
            host.set_inner_html("");
            leptos::mount::mount_to(host, App).forget();
        }
        None => leptos::mount::mount_to_body(App),
    }
}

#[component]
fn App() -> impl IntoView {
    let session = Session::restore();
    provide_context(session);
    let drafts = Drafts(RwSignal::new(BTreeMap::new()));
    provide_context(drafts);
    // Closing or reloading the tab with unsaved survey edits: the browser asks first.
    // (The listener lives as long as the page, like the app.)
    let _ = leptos::leptos_dom::helpers::window_event_listener_untyped("beforeunload", move |ev| {
        if drafts.0.with_untracked(|d| !d.is_empty()) {
            ev.prevent_default();
            let _ = js_sys::Reflect::set(&ev, &"returnValue".into(), &"".into());
        }
    });
    move || match session.signed_in() {
        true => view! { <Shell /> }.into_any(),
        false => view! { <SignIn /> }.into_any(),
    }
}

/// Signed in: top bar, navigation and the chosen section of the chosen survey.
#[component]
fn Shell() -> impl IntoView {
    let session = expect_context::<Session>();
    let surveys = Surveys {
        list: RwSignal::new(None),
        chosen: RwSignal::new(None),
    };
    provide_context(surveys);
    leptos::task::spawn_local(async move {
        let loaded = match session.api() {
            Ok(api) => session.check(api.surveys().await),
            Err(e) => Err(e),
        };
        surveys.list.set(Some(loaded));
    });
    leptos::task::spawn_local(async move {
        if let Ok(api) = session.api()
            && let Ok(me) = session.check(api.me().await)
        {
            session.me.set(Some(me));
        }
    });
    let chosen = surveys.chosen;
    let section = RwSignal::new(Section::Overview);
    let survey = Memo::new(move |_| -> Option<SurveyView> {
        surveys.list.with(|list| {
            let list = list.as_ref()?.as_ref().ok()?;
            let id = chosen.get();
            list.iter()
                .find(|s| Some(&s.id) == id.as_ref())
                .or(list.first())
                .cloned()
        })
    });
    let survey_id = Memo::new(move |_| survey.with(|s| s.as_ref().map(|s| s.id.clone())));
    let state = Memo::new(move |_| {
        surveys.list.with(|list| match list {
            None => ListState::Loading,
            Some(Err(e)) => ListState::Failed(e.message()),
            Some(Ok(_)) => ListState::Ready,
        })
    });

    let picker = move || match surveys.list.get() {
        Some(Ok(list)) => {
            let current = survey_id.get();
            let options = list
                .into_iter()
                .map(|s| {
                    let is_current = current.as_deref() == Some(s.id.as_str());
                    view! {
                        <option value=s.id.clone() selected=is_current>
                            {format!("{} ({})", s.definition.name, s.id)}
                        </option>
                    }
                })
                .collect_view();
            view! {
                <label class="picker">
                    <span>"Survey"</span>
                    <select on:change=move |ev| chosen.set(Some(event_target_value(&ev)))>
                        {options}
                    </select>
                </label>
            }
            .into_any()
        }
        _ => ().into_any(),
    };

    let drafts = expect_context::<Drafts>();
    let nav = Section::ALL
        .into_iter()
        .map(|s| {
            let shown = move || s.needs() == Scope::Read || session.allows(s.needs());
            let unsaved = move || {
                (s == Section::Survey && drafts.0.with(|d| !d.is_empty())).then(|| {
                    view! {
                        <span class="nav-dot" title="Unsaved changes" aria-hidden="true"></span>
                    }
                })
            };
            view! {
                <Show when=shown>
                    <button
                        type="button"
                        class="nav-item"
                        aria-current=move || (section.get() == s).then_some("page")
                        on:click=move |_| section.set(s)
                    >
                        {s.title()}
                        {unsaved}
                    </button>
                </Show>
            }
        })
        .collect_view();

    // The chosen survey's causes (its own, or the defaults of its language).
    let causes = move || {
        survey
            .get_untracked()
            .map(|s| s.definition.cases.causes_for(&s.definition.default_locale))
            .unwrap_or_default()
    };
    let body = move || {
        let current = section.get();
        if !current.per_survey() {
            return match current {
                Section::ApiKeys => view! { <ApiKeys /> }.into_any(),
                _ => view! { <Audit /> }.into_any(),
            };
        }
        match (state.get(), survey_id.get()) {
            (ListState::Loading, _) => {
                view! { <p class="muted loading">"Loading surveys…"</p> }.into_any()
            }
            (ListState::Failed(e), _) => view! { <p class="error" role="alert">{e}</p> }.into_any(),
            (ListState::Ready, None) if current == Section::Survey => {
                view! { <Editor survey=None /> }.into_any()
            }
            (ListState::Ready, None) => view! {
                <div class="card empty">
                    <h2>"No surveys yet"</h2>
                    <p>"Create your first survey: its questions, look and where it shows."</p>
                    <button type="button" class="button primary" on:click=move |_| section.set(Section::Survey)>
                        "Create a survey"
                    </button>
                </div>
            }
            .into_any(),
            (ListState::Ready, Some(id)) => match current {
                Section::Overview => view! { <Overview survey_id=id /> }.into_any(),
                Section::Cases => view! { <Cases survey_id=id causes=causes() /> }.into_any(),
                Section::Playbook => {
                    view! { <Playbook survey_id=id causes=causes() /> }.into_any()
                }
                Section::Actions => view! { <Actions survey_id=id causes=causes() /> }.into_any(),
                Section::Coaching => view! { <Coaching survey_id=id /> }.into_any(),
                Section::Webhooks => view! { <Webhooks /> }.into_any(),
                Section::Connectors => view! { <Connectors survey_id=id /> }.into_any(),
                Section::Survey => {
                    view! { <Editor survey=survey.get_untracked() /> }.into_any()
                }
                Section::Embed => match survey.get_untracked() {
                    Some(s) => view! { <Embed survey=s /> }.into_any(),
                    None => ().into_any(),
                },
                Section::Campaigns => view! { <Campaigns survey_id=id /> }.into_any(),
                Section::ApiKeys | Section::Audit => ().into_any(),
            },
        }
    };

    view! {
        <header class="topbar">
            <div class="brand">
                <span class="logo" aria-hidden="true">"N"</span>
                <span class="brand-name">"NPS Loop"</span>
            </div>
            {picker}
            {move || session.me.get().map(|me| {
                let scopes: Vec<&str> = me.scopes.iter().map(|s| s.as_str()).collect();
                view! {
                    <span class="whoami muted small" data-testid="whoami">
                        {me.actor.clone()}
                        {format!(" · {}", scopes.join(", "))}
                    </span>
                }
            })}
            <button type="button" class="button ghost" on:click=move |_| {
                drafts.0.set(BTreeMap::new());
                session.sign_out(None);
            }>
                "Sign out"
            </button>
        </header>
        <div class="layout">
            <nav class="sidenav" aria-label="Sections">
                {nav}
            </nav>
            <main class="content" id="main">
                <h1 class="section-title">{move || section.get().title()}</h1>
                {body}
            </main>
        </div>
    }
}
