//! The controller: from `mount()` to the first paint, and from the visitor's acts to
//! requests. It wires `api.rs` (network) to `state.rs` (transitions) and renders
//! `view.rs` into the shadow root the loader made. Nothing outside that shadow root
//! is touched, except the throttle's `localStorage` entry.

use crate::api::{Api, Submission};
use crate::state::{Event, Refusal, Stage};
use crate::view::{Card, Handlers};
use crate::{embed, style, throttle};
use leptos::prelude::*;
use leptos::task::spawn_local;
use nps_shared::Score;
use nps_shared::api::{Position, Respondent, ResponseCreated, SubmitResponse, SurveyConfig};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::rc::Rc;
use std::time::Duration;
use wasm_bindgen::{JsCast, JsValue};

/// How long the last line (thanks, refusal) stays before a floating widget goes away.
/// (Short in the tests, which wait for it.)
const THANKS_FOR: Duration = Duration::from_millis(if cfg!(test) { 300 } else { 5000 });

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
    /// `data-token`: the invitation token of the hosted survey page.
    #[serde(default)]
    pub token: Option<String>,
    /// `data-channel`: `web`, `email` or `link`.
    #[serde(default)]
    pub channel: Option<String>,
    /// `data-score`: the score chosen before the page loaded, as the tag says it.
    #[serde(default)]
    pub score: Option<String>,
    /// `data-position`: overrides the theme's.
    #[serde(default)]
    pub position: Option<String>,
}

impl Options {
    fn token(&self) -> Option<&str> {
        self.token.as_deref().filter(|t| !t.is_empty())
    }

    /// The preset score, if the tag has a valid one.
    fn preset_score(&self) -> Option<Score> {
        self.score.as_deref().and_then(embed::preset_score)
    }

    /// An invitation or a preset score is shown however recently this browser answered
    /// the survey: the person asked for it by clicking the link.
    fn ignores_throttle(&self) -> bool {
        self.force || self.token().is_some() || self.preset_score().is_some()
    }
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
            options.ignores_throttle(),
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
    let position = placement(&options, &config);
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
                        let with_token = survey.options.token().is_some();
                        match Refusal::of_status(e.status, with_token) {
                            Some(why) => {
                                if why == Refusal::AlreadyAnswered {
                                    // Answered before: not to be asked again either.
                                    throttle::record(&survey.options.survey, js_sys::Date::now());
                                }
                                advance(stage, Event::Refused(why));
                            }
                            None => _ = advance(stage, Event::SendFailed),
                        }
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

    // The score chosen in the e-mail is sent at once; the scale shows it, locked.
    if let Some(score) = survey.options.preset_score() {
        choose.run(score);
    }

    // An inline survey (the hosted page) keeps its last line: the page would be empty.
    if position != Position::Inline {
        Effect::new(move |_| {
            if stage.get().is_last_line() {
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

/// The theme's position unless the tag says otherwise.
fn placement(options: &Options, config: &SurveyConfig) -> Position {
    options
        .position
        .as_deref()
        .and_then(embed::position)
        .unwrap_or(config.theme.position)
}

/// The POST body for `score`.
fn answer(options: &Options, score: Score) -> SubmitResponse {
    SubmitResponse {
        survey_id: options.survey.clone(),
        score,
        comment: None,
        channel: embed::channel(options.channel.as_deref().unwrap_or("")),
        locale: Some(options.locale.clone()).filter(|l| !l.is_empty()),
        page_url: web_sys::window().and_then(|w| w.location().href().ok()),
        respondent: Respondent {
            id: options.respondent_id.clone().filter(|s| !s.is_empty()),
            email: options.respondent_email.clone().filter(|s| !s.is_empty()),
        },
        properties: options.properties.clone(),
        token: options.token().map(str::to_owned),
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
    /// statuses of successive POSTs, answered after `globalThis.npsPostDelay` ms;
    /// GET answers with the test config.
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
                    await new Promise((done) => setTimeout(done, globalThis.npsPostDelay ?? 0));
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
            let _ = js_sys::Reflect::delete_property(&window, &"npsPostDelay".into());
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
        options_with(
            survey,
            if force {
                r#""force":true"#
            } else {
                r#""force":false"#
            },
        )
    }

    /// Mount options for `survey` with `more` (JSON members) added.
    fn options_with(survey: &str, more: &str) -> JsValue {
        js_sys::JSON::parse(
            &[
                r#"{"survey":""#,
                survey,
                r#"","api":"https://api.example/","locale":"de","#,
                r#""respondentId":"u_7","properties":{"store":"berlin"},"#,
                more,
                "}",
            ]
            .concat(),
        )
        .expect("json")
    }

    fn posts() -> Vec<JsValue> {
        calls()
            .into_iter()
            .filter(|c| field(c, "method") == "POST")
            .collect()
    }

    fn shows(root: &web_sys::ShadowRoot, selector: &str) -> bool {
        !t::all(root, selector).is_empty()
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
    async fn a_preset_score_is_posted_at_once_with_its_token_and_the_follow_up_shows() {
        let _fetch = fake_fetch(&[201], 200);
        js_sys::Reflect::set(
            &web_sys::window().expect("window"),
            &"npsPostDelay".into(),
            &JsValue::from(150),
        )
        .expect("set the delay");
        // Answered yesterday: the invitation is shown all the same.
        throttle::record("s_invite", js_sys::Date::now() - 86_400_000.0);
        let (host, root) = t::host();
        mount(
            root.clone(),
            options_with(
                "s_invite",
                r#""token":"inv.abc","channel":"email","score":"3","position":"inline""#,
            ),
        );
        t::until("the preset score is sent", || posts().len() == 1).await;
        // While it is on its way, the scale shows it checked and locked.
        let checked: Vec<String> = t::all(&root, "[aria-checked=true]")
            .iter()
            .map(t::text)
            .collect();
        assert_eq!(checked, ["3"]);
        assert_eq!(
            t::all(&root, "[role=radio]")[7]
                .get_attribute("aria-disabled")
                .as_deref(),
            Some("true")
        );
        t::until("the follow-up shows", || shows(&root, "textarea")).await;
        assert_eq!(
            t::text(&t::all(&root, "[data-testid=nps-follow-up]")[0]),
            "What went wrong?"
        );

        let post = &posts()[0];
        let score = Score::try_from(3u8).expect("a score");
        assert_eq!(field(post, "key"), embed::token_key("inv.abc", score));
        let body = field(post, "body");
        assert!(
            body.starts_with(r#"{"survey_id":"s_invite","score":3,"channel":"email","#),
            "{body}"
        );
        assert!(body.ends_with(r#","token":"inv.abc"}"#), "{body}");
        let stored = storage().get_item("nps:s_invite").ok().flatten();
        let stored = js_sys::Number::parse_float(&stored.expect("remembered"));
        assert!(
            js_sys::Date::now() - stored < 60_000.0,
            "answering is remembered"
        );

        // `data-position="inline"` beats the theme's bottom-right: in the page flow, no
        // close button, and the thanks stays.
        let card = &t::all(&root, "[data-testid=nps-widget]")[0];
        assert_eq!(card.class_name(), "card inline");
        assert!(!shows(&root, "[data-testid=nps-dismiss]"));
        t::all(&root, "button[type=submit]")[0].click();
        t::until("thanks shows", || shows(&root, "[data-testid=nps-thanks]")).await;
        t::sleep(i32::try_from(THANKS_FOR.as_millis()).expect("ms") + 200).await;
        assert!(
            shows(&root, "[data-testid=nps-thanks]"),
            "inline thanks stays"
        );
        host.remove();
    }

    #[wasm_bindgen_test]
    async fn an_invalid_preset_score_asks_as_usual() {
        let _fetch = fake_fetch(&[], 200);
        let (host, root) = t::host();
        mount(
            root.clone(),
            options_with("s_bad_score", r#""force":true,"score":"11""#),
        );
        t::until("the scale shows", || shows(&root, "[role=radio]")).await;
        t::sleep(50).await;
        assert!(posts().is_empty());
        assert!(t::all(&root, "[aria-checked=true]").is_empty());
        // The theme's position, with its close button.
        assert_eq!(
            t::all(&root, "[data-testid=nps-widget]")[0].class_name(),
            "card br"
        );
        assert!(shows(&root, "[data-testid=nps-dismiss]"));
        host.remove();
    }

    #[wasm_bindgen_test]
    async fn a_409_says_the_survey_was_already_answered_without_a_retry() {
        let _ = storage().remove_item("nps:s_twice");
        let _fetch = fake_fetch(&[409], 200);
        let (host, root) = t::host();
        mount(root.clone(), options("s_twice", false));
        t::until("the scale shows", || shows(&root, "[role=radio]")).await;
        t::all(&root, "[role=radio]")[8].click();
        t::until("the line shows", || {
            shows(&root, "[data-testid=nps-already]")
        })
        .await;
        let line = &t::all(&root, "[data-testid=nps-already]")[0];
        // In the config's language (the test config is English).
        assert_eq!(
            t::text(line),
            "You have already answered this survey — thank you!"
        );
        assert_eq!(line.get_attribute("role").as_deref(), Some("status"));
        assert!(!shows(&root, "[data-testid=nps-error]"));
        assert!(!shows(&root, "[role=radio]"));
        assert!(
            t::all(&root, "button")
                .iter()
                .all(|b| b.class_name() == "x")
        );
        assert!(storage().get_item("nps:s_twice").ok().flatten().is_some());
        // A floating widget goes away after its last line, as after thanks.
        t::until("the card is gone", || {
            !shows(&root, "[data-testid=nps-widget]")
        })
        .await;
        assert_eq!(posts().len(), 1);
        host.remove();
    }

    #[wasm_bindgen_test]
    async fn a_403_to_an_invitation_says_the_link_is_no_longer_valid() {
        let _fetch = fake_fetch(&[403], 200);
        let (host, root) = t::host();
        mount(
            root.clone(),
            options_with(
                "s_expired",
                r#""token":"inv.old","score":"9","position":"inline""#,
            ),
        );
        t::until("the line shows", || {
            shows(&root, "[data-testid=nps-invalid-link]")
        })
        .await;
        let line = &t::all(&root, "[data-testid=nps-invalid-link]")[0];
        assert_eq!(t::text(line), "This survey link is no longer valid.");
        assert_eq!(line.get_attribute("role").as_deref(), Some("status"));
        assert!(t::all(&root, "button").is_empty(), "no retry, no close");
        host.remove();

        // Without a token a 403 is the page's origin: a plain failure with a retry.
        let _fetch = fake_fetch(&[403], 200);
        let (host, root) = t::host();
        mount(root.clone(), options("s_origin", true));
        t::until("the scale shows", || shows(&root, "[role=radio]")).await;
        t::all(&root, "[role=radio]")[9].click();
        t::until("the error shows", || {
            shows(&root, "[data-testid=nps-error] button")
        })
        .await;
        assert!(!shows(&root, "[data-testid=nps-invalid-link]"));
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
