//! The controller: from `mount()` to the first paint, and from the visitor's acts to
//! requests. It wires `api.rs` (network) to `state.rs` (transitions) and renders
//! `view.rs` into the shadow root the loader made. Nothing outside that shadow root
//! is touched, except the throttle's `localStorage` entry.

use crate::api::{Api, Submission};
use crate::state::{Event, Stage};
use crate::view::{Card, Handlers};
use crate::{style, throttle};
use leptos::prelude::*;
use leptos::task::spawn_local;
use nps_shared::api::{
    Channel, Position, Respondent, ResponseCreated, SubmitResponse, SurveyConfig,
};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::rc::Rc;
use std::time::Duration;
use wasm_bindgen::{JsCast, JsValue};

/// How long the thank-you line stays before a floating widget goes away.
const THANKS_FOR: Duration = Duration::from_secs(5);

/// The second argument of `mount`, as the loader builds it from the script tag.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Options {
    pub survey: String,
    pub api: String,
    pub locale: String,
    #[serde(default)]
    pub respondent_id: Option<String>,
    #[serde(default)]
    pub respondent_email: Option<String>,
    #[serde(default)]
    pub properties: BTreeMap<String, String>,
    #[serde(default)]
    pub force: bool,
}

/// Fetches the config, checks the throttle and, if the survey is to be shown, renders
/// it into `root`. Every failure is a `console.warn` and an empty shadow root.
pub fn mount(root: web_sys::ShadowRoot, options: JsValue) {
    let options: Options = match serde_wasm_bindgen::from_value(options) {
        Ok(options) => options,
        Err(e) => {
            web_sys::console::warn_2(&"nps-widget: bad mount options".into(), &e.into());
            return;
        }
    };
    // Not Leptos's `spawn_local`: its executor is only set up by `mount_to`, below.
    wasm_bindgen_futures::spawn_local(async move {
        let api = Api::new(&options.api);
        let config = match api.config(&options.survey, &options.locale).await {
            Ok(config) => config,
            Err(e) => return e.warn("loading the survey config"),
        };
        let last = throttle::last_answered(&options.survey);
        if !throttle::should_ask(
            last,
            js_sys::Date::now(),
            config.throttle.days,
            options.force,
        ) {
            return;
        }
        if let Err(e) = render(&root, config, options, api) {
            web_sys::console::warn_2(&"nps-widget: cannot render".into(), &e);
        }
    });
}

fn render(
    root: &web_sys::ShadowRoot,
    config: SurveyConfig,
    options: Options,
    api: Api,
) -> Result<(), JsValue> {
    style::install(root, &config.theme.accent);
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("no document")?;
    let container: web_sys::HtmlElement = document.create_element("div")?.unchecked_into();
    root.append_child(&container)?;
    leptos::mount::mount_to(container, move || survey(config, options, api)).forget();
    Ok(())
}

/// What one mounted survey knows besides its stage.
struct Survey {
    api: Api,
    options: Options,
    /// The answer being sent; kept so a retry re-sends it with the same key.
    pending: RefCell<Option<Submission>>,
    /// The stored answer, whose edit token lets the comment be added.
    created: RefCell<Option<ResponseCreated>>,
}

use std::cell::RefCell;

/// Moves the stage on; `false` when the event did not apply (and nothing should happen).
fn advance(stage: RwSignal<Stage>, event: Event) -> bool {
    let before = stage.get_untracked();
    let after = before.on(event);
    if after != before {
        stage.set(after);
    }
    after != before
}

fn survey(config: SurveyConfig, options: Options, api: Api) -> impl IntoView {
    let stage = RwSignal::new(Stage::Loading);
    advance(stage, Event::ConfigLoaded);
    let position = config.theme.position;
    let locale = config.locale.clone();
    let survey = Rc::new(Survey {
        api,
        options,
        pending: RefCell::new(None),
        created: RefCell::new(None),
    });

    let send = {
        let survey = Rc::clone(&survey);
        move || {
            let Some(submission) = survey.pending.borrow().clone() else {
                return;
            };
            let survey = Rc::clone(&survey);
            spawn_local(async move {
                match survey.api.submit(&submission).await {
                    Ok(created) => {
                        throttle::record(&survey.options.survey, js_sys::Date::now());
                        let category = created.category;
                        *survey.created.borrow_mut() = Some(created);
                        advance(stage, Event::Stored(category));
                    }
                    Err(e) => {
                        e.warn("sending the answer");
                        advance(stage, Event::SendFailed);
                    }
                }
            });
        }
    };

    let choose = {
        let (survey, send) = (Rc::clone(&survey), send.clone());
        UnsyncCallback::new(move |score| {
            if !advance(stage, Event::Chose(score)) {
                return;
            }
            match Submission::new(&answer(&survey.options, score)) {
                Ok(submission) => {
                    *survey.pending.borrow_mut() = Some(submission);
                    send();
                }
                Err(e) => {
                    e.warn("preparing the answer");
                    advance(stage, Event::SendFailed);
                }
            }
        })
    };

    let retry = UnsyncCallback::new(move |()| {
        if advance(stage, Event::Retried) {
            send();
        }
    });

    let comment = {
        let survey = Rc::clone(&survey);
        UnsyncCallback::new(move |text: String| {
            let text = text.trim();
            if !advance(
                stage,
                Event::CommentSubmitted {
                    empty: text.is_empty(),
                },
            ) || text.is_empty()
            {
                return;
            }
            let (survey, text) = (Rc::clone(&survey), text.to_owned());
            spawn_local(async move {
                let created = survey.created.borrow().clone();
                if let Some(created) = created
                    && let Err(e) = survey.api.add_comment(&created, text).await
                {
                    // The score is stored; a lost comment is not worth an error screen.
                    e.warn("sending the comment");
                }
                advance(stage, Event::CommentDone);
            });
        })
    };

    let dismiss = {
        let survey = Rc::clone(&survey);
        UnsyncCallback::new(move |()| {
            if advance(stage, Event::Dismissed) {
                throttle::record(&survey.options.survey, js_sys::Date::now());
            }
        })
    };

    if position != Position::Inline {
        Effect::new(move |_| {
            if stage.get() == Stage::Thanks {
                set_timeout(move || _ = advance(stage, Event::ThanksElapsed), THANKS_FOR);
            }
        });
    }

    view! {
        <Card
            texts=config.texts
            position=position
            locale=locale
            stage=stage
            on=Handlers { choose, retry, comment, dismiss }
        />
    }
}

/// The POST body for `score`.
fn answer(options: &Options, score: nps_shared::Score) -> SubmitResponse {
    SubmitResponse {
        survey_id: options.survey.clone(),
        score,
        comment: None,
        channel: Channel::Web,
        locale: Some(options.locale.clone()).filter(|l| !l.is_empty()),
        page_url: web_sys::window().and_then(|w| w.location().href().ok()),
        respondent: Respondent {
            id: options.respondent_id.clone().filter(|s| !s.is_empty()),
            email: options.respondent_email.clone().filter(|s| !s.is_empty()),
        },
        properties: options.properties.clone(),
        token: None,
    }
}

/// Browser tests of the whole widget against a fake `fetch` (no network): what is
/// sent, when, and with which idempotency key. How to run them: see `build.sh`.
#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{self as t};
    use wasm_bindgen_test::wasm_bindgen_test;
    use web_sys::HtmlElement;

    /// Replaces `window.fetch` with a scripted server that logs every request into
    /// `globalThis.npsCalls` as `{method, url, key, body}`. `post_statuses` are the
    /// statuses of successive POSTs; GET answers with the test config.
    fn fake_fetch(post_statuses: &[u16], config_status: u16) -> FetchGuard {
        let statuses = js_sys::Array::new();
        for s in post_statuses {
            statuses.push(&JsValue::from(*s));
        }
        let window = web_sys::window().expect("window");
        let original = t::get(&window, "fetch");
        let install = js_sys::Function::new_with_args(
            "statuses, configStatus, config",
            r#"
            globalThis.npsCalls = [];
            globalThis.fetch = async (request) => {
                const call = { method: request.method, url: request.url,
                               key: request.headers.get('Idempotency-Key'),
                               type: request.headers.get('Content-Type'),
                               body: request.method === 'GET' ? null : await request.text() };
                globalThis.npsCalls.push(call);
                const json = (status, body) => new Response(JSON.stringify(body),
                    { status, headers: { 'Content-Type': 'application/json' } });
                if (call.method === 'GET') {
                    return configStatus === 200 ? new Response(config, { status: 200 })
                        : json(configStatus, { type: 'about:blank', title: 'Not Found', status: configStatus });
                }
                if (call.method === 'POST') {
                    const status = statuses.shift() ?? 201;
                    if (status === 0) throw new TypeError('Failed to fetch');
                    return status >= 300 ? json(status, { title: 'Unavailable', status })
                        : json(status, { id: 'r_1', category: 'detractor', edit_token: 'tok_1' });
                }
                return json(200, { id: 'r_1' });
            };"#,
        );
        install
            .call3(
                &JsValue::NULL,
                &statuses,
                &JsValue::from(config_status),
                &JsValue::from_str(t::CONFIG_JSON),
            )
            .expect("install the fake fetch");
        FetchGuard { original }
    }

    struct FetchGuard {
        original: JsValue,
    }

    impl Drop for FetchGuard {
        fn drop(&mut self) {
            let window = web_sys::window().expect("window");
            let _ = js_sys::Reflect::set(&window, &"fetch".into(), &self.original);
        }
    }

    fn calls() -> Vec<JsValue> {
        let window = web_sys::window().expect("window");
        js_sys::Array::from(&t::get(&window, "npsCalls")).to_vec()
    }

    fn field(call: &JsValue, name: &str) -> String {
        t::get(call, name).as_string().unwrap_or_default()
    }

    fn storage() -> web_sys::Storage {
        web_sys::window()
            .and_then(|w| w.local_storage().ok().flatten())
            .expect("localStorage")
    }

    fn options(survey: &str, force: bool) -> JsValue {
        js_sys::JSON::parse(
            &[
                r#"{"survey":""#,
                survey,
                r#"","api":"https://api.example/","locale":"de","#,
                r#""respondentId":"u_7","properties":{"store":"berlin"},"force":"#,
                if force { "true" } else { "false" },
                "}",
            ]
            .concat(),
        )
        .expect("json")
    }

    fn body_children() -> u32 {
        t::document().body().expect("body").child_element_count()
    }

    #[wasm_bindgen_test]
    async fn an_answer_is_posted_once_retried_with_the_same_key_then_commented() {
        let _ = storage().remove_item("nps:s_flow");
        let _fetch = fake_fetch(&[503, 0, 201], 200);
        let head_before = t::document().head().expect("head").inner_html();
        let body_before = body_children();

        let (host, root) = t::host();
        mount(root.clone(), options("s_flow", false));
        t::until("the scale shows", || {
            !t::all(&root, "[role=radio]").is_empty()
        })
        .await;
        let config_call = &calls()[0];
        assert_eq!(
            field(config_call, "url"),
            "https://api.example/v1/surveys/s_flow/config?locale=de"
        );

        t::all(&root, "[role=radio]")[3].click();
        t::until("the error shows", || {
            !t::all(&root, "[data-testid=nps-error]").is_empty()
        })
        .await;
        // A second click while the answer failed does not send another one.
        t::all(&root, "[role=radio]")[9].click();
        let retry = || t::all(&root, "[data-testid=nps-error] button")[0].click();
        retry();
        t::until("the second error shows", || {
            calls().len() == 3 && !t::all(&root, "[data-testid=nps-error]").is_empty()
        })
        .await;
        retry();
        t::until("the follow-up shows", || {
            !t::all(&root, "textarea").is_empty()
        })
        .await;

        let posts: Vec<JsValue> = calls()
            .into_iter()
            .filter(|c| field(c, "method") == "POST")
            .collect();
        assert_eq!(posts.len(), 3, "one POST and two retries");
        let key = field(&posts[0], "key");
        assert_eq!(key.len(), 36);
        for post in &posts {
            assert_eq!(field(post, "url"), "https://api.example/v1/responses");
            assert_eq!(field(post, "type"), "application/json");
            assert_eq!(
                field(post, "key"),
                key,
                "every retry reuses the idempotency key"
            );
            assert_eq!(field(post, "body"), field(&posts[0], "body"));
        }
        let body = field(&posts[0], "body");
        assert!(
            body.starts_with(
                r#"{"survey_id":"s_flow","score":3,"channel":"web","locale":"de","page_url":"http"#
            ),
            "{body}"
        );
        assert!(
            body.ends_with(r#","respondent":{"id":"u_7"},"properties":{"store":"berlin"}}"#),
            "{body}"
        );
        let stored = storage()
            .get_item("nps:s_flow")
            .ok()
            .flatten()
            .expect("the answer is remembered");
        assert!((js_sys::Number::parse_float(&stored) - js_sys::Date::now()).abs() < 60_000.0);

        assert_eq!(
            t::text(&t::all(&root, "[data-testid=nps-follow-up]")[0]),
            "What went wrong?"
        );
        let area: web_sys::HtmlTextAreaElement =
            t::all(&root, "textarea")[0].clone().unchecked_into();
        area.set_value("  Too slow  ");
        t::all(&root, "button[type=submit]")[0].click();
        t::until("thanks shows", || {
            !t::all(&root, "[data-testid=nps-thanks]").is_empty()
        })
        .await;
        let patch = calls().into_iter().last().expect("a call");
        assert_eq!(field(&patch, "method"), "PATCH");
        assert_eq!(field(&patch, "url"), "https://api.example/v1/responses/r_1");
        assert_eq!(
            field(&patch, "body"),
            r#"{"edit_token":"tok_1","comment":"Too slow"}"#
        );

        // Only the host element was added to the page.
        assert_eq!(
            t::document().head().expect("head").inner_html(),
            head_before
        );
        assert_eq!(body_children(), body_before + 1);
        assert_eq!(t::document().adopted_style_sheets().length(), 0);
        host.remove();
    }

    #[wasm_bindgen_test]
    async fn an_empty_comment_is_not_sent() {
        let _fetch = fake_fetch(&[201], 200);
        let (host, root) = t::host();
        mount(root.clone(), options("s_empty", true));
        t::until("the scale shows", || {
            !t::all(&root, "[role=radio]").is_empty()
        })
        .await;
        t::all(&root, "[role=radio]")[10].click();
        t::until("the follow-up shows", || {
            !t::all(&root, "textarea").is_empty()
        })
        .await;
        t::all(&root, "button[type=submit]")[0].click();
        t::until("thanks shows", || {
            !t::all(&root, "[data-testid=nps-thanks]").is_empty()
        })
        .await;
        assert!(calls().iter().all(|c| field(c, "method") != "PATCH"));
        host.remove();
    }

    #[wasm_bindgen_test]
    async fn a_recent_answer_or_a_failed_config_shows_nothing() {
        let _fetch = fake_fetch(&[], 200);
        throttle::record("s_recent", js_sys::Date::now() - 86_400_000.0);
        let (host, root) = t::host();
        mount(root.clone(), options("s_recent", false));
        t::until("the config was asked for", || !calls().is_empty()).await;
        t::sleep(50).await;
        assert_eq!(root.child_element_count(), 0, "throttled: nothing rendered");
        host.remove();

        // The same survey with data-force="true" shows.
        let (host, root) = t::host();
        mount(root.clone(), options("s_recent", true));
        t::until("the forced survey shows", || {
            !t::all(&root, "[data-testid=nps-widget]").is_empty()
        })
        .await;
        host.remove();
        drop(_fetch);

        let _fetch = fake_fetch(&[], 404);
        let (host, root) = t::host();
        mount(root.clone(), options("s_missing", true));
        t::until("the config was asked for", || !calls().is_empty()).await;
        t::sleep(50).await;
        assert_eq!(root.child_element_count(), 0, "no config: nothing rendered");
        host.remove();
    }

    #[wasm_bindgen_test]
    async fn dismissing_hides_the_widget_and_is_remembered() {
        let _ = storage().remove_item("nps:s_dismiss");
        let _fetch = fake_fetch(&[], 200);
        let (host, root) = t::host();
        mount(root.clone(), options("s_dismiss", false));
        t::until("the card shows", || {
            !t::all(&root, "[data-testid=nps-dismiss]").is_empty()
        })
        .await;
        let dismiss: HtmlElement = t::all(&root, "[data-testid=nps-dismiss]")[0].clone();
        dismiss.click();
        t::until("the card is gone", || {
            t::all(&root, "[data-testid=nps-widget]").is_empty()
        })
        .await;
        assert!(storage().get_item("nps:s_dismiss").ok().flatten().is_some());
        assert!(
            calls().iter().all(|c| field(c, "method") == "GET"),
            "a dismissal sends nothing"
        );
        host.remove();
    }
}
