//! The controller: from `mount()` to the first paint, and from the visitor's acts to
//! requests. It wires `api.rs` (network) to `state.rs` (transitions) and renders
//! `view.rs` into the shadow root the loader made. Nothing outside that shadow root
//! is touched: whether to show the survey at all (throttle, triggers) and what the
//! page hears about it (DOM events, the throttle's `localStorage` entry) are the
//! loader's, told through the `on` callback.

use crate::api::{Api, Submission};
use crate::state::{Event, Refusal, Stage};
use crate::view::{Card, Handlers};
use crate::{embed, style};
use leptos::prelude::*;
use leptos::task::spawn_local;
use nps_shared::api::{Position, Respondent, ResponseCreated, SubmitResponse, SurveyConfig};
use nps_shared::{Category, Score};
use serde::Deserialize;
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::rc::Rc;
use std::time::Duration;
use wasm_bindgen::{JsCast, JsValue};

/// How long the last line (thanks, refusal) stays before a floating widget goes away.
/// (Short in the tests, which wait for it.)
const THANKS_FOR: Duration = Duration::from_millis(if cfg!(test) { 300 } else { 5000 });

/// The second argument of `mount`, as the loader builds it.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Options {
    pub survey: String,
    pub api: String,
    pub locale: String,
    /// The survey config the loader fetched (`GET /v1/surveys/{id}/config`) to decide
    /// whether to show the survey; the wasm does not fetch it again.
    pub config: SurveyConfig,
    /// `() => ({ id?, email?, properties? })`: who is answering (the respondent),
    /// asked when the answer is sent, so an `nps('identify', …)` after the survey
    /// appeared still counts. Without it: nobody, no properties.
    #[serde(default, with = "serde_wasm_bindgen::preserve")]
    pub who: JsValue,
    /// `(kind, detail) => void`, told `shown`, `submitted` `{score, category}`,
    /// `dismissed` `{score?, category?}` and `already` `{score}` (a 409).
    #[serde(default, with = "serde_wasm_bindgen::preserve")]
    pub on: JsValue,
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

/// What `options.who()` returns: the shape of `nps('identify', …)`.
#[derive(Clone, Debug, Default, Deserialize)]
struct Who {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    properties: BTreeMap<String, String>,
}

impl Options {
    fn token(&self) -> Option<&str> {
        self.token.as_deref().filter(|t| !t.is_empty())
    }

    /// The preset score, if the tag has a valid one.
    fn preset_score(&self) -> Option<Score> {
        self.score.as_deref().and_then(embed::preset_score)
    }

    /// Who answers, as the page says it now; a bad answer of `who` is nobody.
    fn who(&self) -> Who {
        let Some(who) = self.who.dyn_ref::<js_sys::Function>() else {
            return Who::default();
        };
        match who
            .call0(&JsValue::NULL)
            .map(serde_wasm_bindgen::from_value)
        {
            Ok(Ok(who)) => who,
            _ => {
                web_sys::console::warn_1(&"nps-widget: who() gave no respondent".into());
                Who::default()
            }
        }
    }

    /// Tells the loader what happened; a failing callback is the loader's business.
    fn notify(&self, kind: &str, score: Option<Score>, category: Option<Category>) {
        let Some(on) = self.on.dyn_ref::<js_sys::Function>() else {
            return;
        };
        let detail = js_sys::Object::new();
        if let Some(score) = score {
            let _ = js_sys::Reflect::set(&detail, &"score".into(), &score.value().into());
        }
        if let Some(category) = category {
            let _ = js_sys::Reflect::set(&detail, &"category".into(), &category.as_str().into());
        }
        let _ = on.call2(&JsValue::NULL, &kind.into(), &detail);
    }
}

/// Renders the survey into `root` (an open shadow root) from the config in the
/// options. Bad options are a `console.warn` and an empty shadow root.
pub fn mount(root: web_sys::ShadowRoot, options: JsValue) {
    let options: Options = match serde_wasm_bindgen::from_value(options) {
        Ok(options) => options,
        Err(e) => {
            web_sys::console::warn_2(&"nps-widget: bad mount options".into(), &e.into());
            return;
        }
    };
    let api = Api::new(&options.api);
    if let Err(e) = render(&root, options, api) {
        web_sys::console::warn_2(&"nps-widget: cannot render".into(), &e);
    }
}

fn render(root: &web_sys::ShadowRoot, options: Options, api: Api) -> Result<(), JsValue> {
    let config = options.config.clone();
    style::install(root, &config.theme.accent);
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("no document")?;
    let container: web_sys::HtmlElement = document.create_element("div")?.unchecked_into();
    root.append_child(&container)?;
    let on = options.clone();
    leptos::mount::mount_to(container, move || survey(config, options, api)).forget();
    on.notify("shown", None, None);
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
    /// The score the visitor chose (or the tag preset), once chosen.
    score: Cell<Option<Score>>,
}

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
        score: Cell::new(None),
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
                        let category = created.category;
                        *survey.created.borrow_mut() = Some(created);
                        if survey.options.token().is_some() {
                            confirm_on_first_touch(Rc::clone(&survey));
                        }
                        // Stored even if the visitor closed the card meanwhile: the
                        // loader must know it was answered.
                        let score = survey.score.get();
                        survey.options.notify("submitted", score, Some(category));
                        advance(stage, Event::Stored(category));
                    }
                    Err(e) => {
                        e.warn("sending the answer");
                        let with_token = survey.options.token().is_some();
                        match Refusal::of_status(e.status, with_token) {
                            Some(why) => {
                                if why == Refusal::AlreadyAnswered {
                                    // Answered before: not to be asked again either.
                                    let score = survey.score.get();
                                    survey.options.notify("already", score, None);
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
            survey.score.set(Some(score));
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
                let category = survey.created.borrow().as_ref().map(|c| c.category);
                survey
                    .options
                    .notify("dismissed", survey.score.get(), category);
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

/// An answer from an e-mail link stays provisional on the server (a mail scanner may
/// have opened the link) until a person acts on the page: the first tap, click or key
/// press confirms it, once.
fn confirm_on_first_touch(survey: Rc<Survey>) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let fired = Rc::new(Cell::new(false));
    for kind in ["pointerdown", "keydown"] {
        let (survey, fired) = (Rc::clone(&survey), Rc::clone(&fired));
        let handler = wasm_bindgen::closure::Closure::<dyn FnMut()>::new(move || {
            let created = survey.created.borrow().clone();
            let Some(created) = created.filter(|_| !fired.replace(true)) else {
                return;
            };
            let survey = Rc::clone(&survey);
            spawn_local(async move {
                if let Err(e) = survey.api.confirm(&created).await {
                    e.warn("confirming the answer");
                }
            });
        });
        let options = web_sys::AddEventListenerOptions::new();
        options.set_once(true);
        options.set_capture(true);
        let listener = handler.as_ref().unchecked_ref();
        _ = document.add_event_listener_with_callback_and_add_event_listener_options(
            kind, listener, &options,
        );
        // Lives as long as the page: it runs at most once.
        handler.forget();
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
    let who = options.who();
    SubmitResponse {
        survey_id: options.survey.clone(),
        score,
        comment: None,
        channel: embed::channel(options.channel.as_deref().unwrap_or("")),
        locale: Some(options.locale.clone()).filter(|l| !l.is_empty()),
        page_url: web_sys::window().and_then(|w| w.location().href().ok()),
        respondent: Respondent {
            id: who.id.filter(|s| !s.is_empty()),
            email: who.email.filter(|s| !s.is_empty()),
        },
        properties: who.properties,
        token: options.token().map(str::to_owned),
    }
}

/// Browser tests of the whole widget against a fake `fetch` (no network): what is
/// sent, when, with which idempotency key, and what the loader is told. How to run
/// them: see `build.sh`.
#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{self as t};
    use wasm_bindgen_test::wasm_bindgen_test;
    use web_sys::HtmlElement;

    /// Replaces `window.fetch` with a scripted server that logs every request into
    /// `globalThis.npsCalls` as `{method, url, key, body}`. `post_statuses` are the
    /// statuses of successive POSTs, answered after `globalThis.npsPostDelay` ms.
    fn fake_fetch(post_statuses: &[u16]) -> FetchGuard {
        let statuses = js_sys::Array::new();
        for s in post_statuses {
            statuses.push(&JsValue::from(*s));
        }
        let window = web_sys::window().expect("window");
        let original = t::get(&window, "fetch");
        let install = js_sys::Function::new_with_args(
            "statuses",
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
            .call1(&JsValue::NULL, &statuses)
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

    /// What `on` was told so far, as `kind score category` lines.
    fn told() -> Vec<String> {
        let window = web_sys::window().expect("window");
        js_sys::Array::from(&t::get(&window, "npsTold"))
            .iter()
            .filter_map(|v| v.as_string())
            .collect()
    }

    fn options() -> JsValue {
        options_with("")
    }

    /// Mount options as the loader builds them, with `more` (JSON members) added:
    /// the test config, `who` answering from `globalThis.npsWho`, and `on` logging into
    /// `globalThis.npsTold` (both reset here).
    fn options_with(more: &str) -> JsValue {
        let json = [
            r#"{"survey":"s_test","api":"https://api.example/","locale":"de","config":"#,
            t::CONFIG_JSON,
            more,
            "}",
        ]
        .concat();
        let build = js_sys::Function::new_with_args(
            "json",
            r#"
            globalThis.npsTold = [];
            globalThis.npsWho = { id: 'u_7', properties: { store: 'berlin' } };
            const options = JSON.parse(json);
            options.who = () => globalThis.npsWho;
            options.on = (kind, detail) => globalThis.npsTold.push(
                [kind, detail.score ?? '-', detail.category ?? '-'].join(' '));
            return options;"#,
        );
        build
            .call1(&JsValue::NULL, &JsValue::from_str(&json))
            .expect("the options")
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
        let _fetch = fake_fetch(&[503, 0, 201]);
        let head_before = t::document().head().expect("head").inner_html();
        let body_before = body_children();

        let (host, root) = t::host();
        mount(root.clone(), options());
        t::until("the scale shows", || {
            !t::all(&root, "[role=radio]").is_empty()
        })
        .await;
        assert!(calls().is_empty(), "the config came with the options");
        assert_eq!(told(), ["shown - -"]);

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
            posts().len() == 2 && !t::all(&root, "[data-testid=nps-error]").is_empty()
        })
        .await;
        retry();
        t::until("the follow-up shows", || {
            !t::all(&root, "textarea").is_empty()
        })
        .await;

        let posts = posts();
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
                r#"{"survey_id":"s_test","score":3,"channel":"web","locale":"de","page_url":"http"#
            ),
            "{body}"
        );
        assert!(
            body.ends_with(r#","respondent":{"id":"u_7"},"properties":{"store":"berlin"}}"#),
            "{body}"
        );
        assert_eq!(told(), ["shown - -", "submitted 3 detractor"]);

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

        // Only the host element was added to the page, and nothing was stored: the
        // throttle is the loader's.
        assert_eq!(
            t::document().head().expect("head").inner_html(),
            head_before
        );
        assert_eq!(body_children(), body_before + 1);
        assert_eq!(t::document().adopted_style_sheets().length(), 0);
        let storage = web_sys::window()
            .and_then(|w| w.local_storage().ok().flatten())
            .expect("localStorage");
        assert_eq!(storage.get_item("nps:s_test").ok().flatten(), None);
        host.remove();
    }

    #[wasm_bindgen_test]
    async fn who_answers_is_asked_when_the_answer_is_sent() {
        let _fetch = fake_fetch(&[201]);
        let (host, root) = t::host();
        mount(root.clone(), options());
        t::until("the scale shows", || shows(&root, "[role=radio]")).await;
        // The page identifies the visitor after the survey appeared.
        js_sys::eval(
            "globalThis.npsWho = { id: 'u_9', email: 'kim@example.com', \
             properties: { plan: 'pro' } }",
        )
        .expect("identify");
        t::all(&root, "[role=radio]")[10].click();
        t::until("the answer is sent", || posts().len() == 1).await;
        let body = field(&posts()[0], "body");
        assert!(
            body.ends_with(
                r#","respondent":{"id":"u_9","email":"kim@example.com"},"properties":{"plan":"pro"}}"#
            ),
            "{body}"
        );
        host.remove();

        // A `who` that gives nonsense is nobody, not a lost answer.
        let _fetch = fake_fetch(&[201]);
        let (host, root) = t::host();
        mount(root.clone(), options());
        js_sys::eval("globalThis.npsWho = { properties: { plan: 7 } }").expect("identify");
        t::until("the scale shows", || shows(&root, "[role=radio]")).await;
        t::all(&root, "[role=radio]")[10].click();
        t::until("the answer is sent", || posts().len() == 1).await;
        let body = field(&posts()[0], "body");
        assert!(!body.contains("respondent"), "{body}");
        assert!(!body.contains("properties"), "{body}");
        host.remove();
    }

    #[wasm_bindgen_test]
    async fn an_empty_comment_is_not_sent() {
        let _fetch = fake_fetch(&[201]);
        let (host, root) = t::host();
        mount(root.clone(), options());
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
    async fn options_without_a_config_show_nothing() {
        let _fetch = fake_fetch(&[]);
        let (host, root) = t::host();
        let options =
            js_sys::JSON::parse(r#"{"survey":"s_x","api":"https://api.example","locale":"en"}"#)
                .expect("json");
        mount(root.clone(), options);
        t::sleep(50).await;
        assert_eq!(root.child_element_count(), 0, "no config: nothing rendered");
        assert!(calls().is_empty());
        host.remove();
    }

    #[wasm_bindgen_test]
    async fn a_preset_score_is_posted_at_once_with_its_token_and_the_follow_up_shows() {
        let _fetch = fake_fetch(&[201]);
        js_sys::Reflect::set(
            &web_sys::window().expect("window"),
            &"npsPostDelay".into(),
            &JsValue::from(150),
        )
        .expect("set the delay");
        let (host, root) = t::host();
        mount(
            root.clone(),
            options_with(r#","token":"inv.abc","channel":"email","score":"3","position":"inline""#),
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
            body.starts_with(r#"{"survey_id":"s_test","score":3,"channel":"email","#),
            "{body}"
        );
        assert!(body.ends_with(r#","token":"inv.abc"}"#), "{body}");
        assert_eq!(told(), ["shown - -", "submitted 3 detractor"]);

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
        let _fetch = fake_fetch(&[]);
        let (host, root) = t::host();
        mount(root.clone(), options_with(r#","score":"11""#));
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
        let _fetch = fake_fetch(&[409]);
        let (host, root) = t::host();
        mount(root.clone(), options());
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
        // The loader is told, so that this browser is not asked again either.
        assert_eq!(told(), ["shown - -", "already 8 -"]);
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
        let _fetch = fake_fetch(&[403]);
        let (host, root) = t::host();
        mount(
            root.clone(),
            options_with(r#","token":"inv.old","score":"9","position":"inline""#),
        );
        t::until("the line shows", || {
            shows(&root, "[data-testid=nps-invalid-link]")
        })
        .await;
        let line = &t::all(&root, "[data-testid=nps-invalid-link]")[0];
        assert_eq!(t::text(line), "This survey link is no longer valid.");
        assert_eq!(line.get_attribute("role").as_deref(), Some("status"));
        assert!(t::all(&root, "button").is_empty(), "no retry, no close");
        assert_eq!(told(), ["shown - -"]);
        host.remove();

        // Without a token a 403 is the page's origin: a plain failure with a retry.
        let _fetch = fake_fetch(&[403]);
        let (host, root) = t::host();
        mount(root.clone(), options());
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
    async fn dismissing_hides_the_widget_and_tells_the_loader() {
        let _fetch = fake_fetch(&[]);
        let (host, root) = t::host();
        mount(root.clone(), options());
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
        assert_eq!(told(), ["shown - -", "dismissed - -"]);
        assert!(calls().is_empty(), "a dismissal sends nothing");
        host.remove();
    }

    #[wasm_bindgen_test]
    async fn closing_after_answering_says_what_was_answered() {
        let _fetch = fake_fetch(&[201]);
        let (host, root) = t::host();
        mount(root.clone(), options());
        t::until("the scale shows", || shows(&root, "[role=radio]")).await;
        t::all(&root, "[role=radio]")[2].click();
        t::until("the follow-up shows", || shows(&root, "textarea")).await;
        t::all(&root, "[data-testid=nps-dismiss]")[0].click();
        t::until("the card is gone", || {
            !shows(&root, "[data-testid=nps-widget]")
        })
        .await;
        assert_eq!(
            told(),
            [
                "shown - -",
                "submitted 2 detractor",
                "dismissed 2 detractor"
            ]
        );
        host.remove();
    }
}
