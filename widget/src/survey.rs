//! [`NpsSurvey`], the component: what a Leptos app puts into its view, and what
//! [`mount`](crate::mount) mounts into the loader's shadow root.
//!
//! In an app it renders an `<nps-widget>` element with an open shadow root (the
//! widget's styles stay inside it, the page's stay outside), fetches the survey's
//! config, and shows the card in there. From the loader it gets the shadow root and the
//! config the loader already has (it needed it to decide whether to show the survey)
//! and renders the card straight into that root.

use crate::api::Api;
use crate::app::{self, OnTold, Respondent, Setup, Told, Who};
use crate::dom::{self, get, string, text};
use crate::embed;
use leptos::either::Either;
use leptos::prelude::*;
use nps_shared::Score;
use nps_shared::api::{Channel, Position};
use wasm_bindgen::JsValue;
use web_sys::ShadowRoot;

/// What the script tag's loader hands over: the shadow root it made, the config it
/// fetched, and its `who()`. Not for apps (they leave the `loader` prop out).
#[doc(hidden)]
pub struct Loader {
    root: ShadowRoot,
    config: JsValue,
    who: JsValue,
}

/// The NPS question (0–10, then a follow-up question for the visitor's category and
/// a comment, then thanks) for one survey.
///
/// ```ignore
/// use leptos::prelude::*;
/// use nps_widget::{NpsSurvey, Position, Respondent};
///
/// view! {
///     <NpsSurvey
///         survey="s_demo"
///         api="https://nps.example.com"
///         locale="de"
///         respondent=Respondent { id: Some("u_42".into()), email: None, user_hash: None }
///         properties=vec![("plan".into(), "pro".into())]
///         position=Position::Inline
///     />
/// }
/// ```
///
/// Answers are sent with `keepalive` and kept in `localStorage` until the server has
/// them (an answer made offline is sent when the connection is back, or by
/// [`flush`](crate::flush) on a later page). The component does not throttle: an app
/// shows it when it wants to ask. An app needs the crate's `app` feature (without it,
/// only [`mount`](crate::mount) can show a survey, and the component says so in the
/// console).
#[component]
pub fn NpsSurvey(
    /// The survey's id (`s_…`).
    #[prop(into)]
    survey: String,
    /// The origin of the nps-loop API (`https://nps.example.com`); `/v1/…` is there.
    #[prop(into)]
    api: String,
    /// The visitor's language (`de`, `pt-BR`, `ar`), asked for first; then the page's
    /// `<html lang>` and `navigator.languages`. The worker answers in the first that the
    /// survey or its built-in words speak, else in the survey's default language.
    #[prop(optional, into)]
    locale: Option<String>,
    /// Who answers, if the app knows: the answer's `respondent`.
    #[prop(optional)]
    respondent: Respondent,
    /// String properties stored with the answer (`("plan", "pro")`).
    #[prop(optional)]
    properties: Vec<(String, String)>,
    /// `Position::Inline`: in the page flow, without a close button, and the thanks
    /// stays; `BottomRight`, `BottomLeft`: floating in that corner (a bottom sheet on
    /// small screens). Default: the survey theme's.
    #[prop(optional)]
    position: Option<Position>,
    /// An invitation token (e-mail links), sent as the answer's `token`.
    #[prop(optional, into)]
    token: Option<String>,
    /// A score chosen before the page loaded (a click in an e-mail): sent at once, the
    /// scale shows it locked, then the follow-up question.
    #[prop(optional)]
    score: Option<Score>,
    /// The answer's channel; default `Channel::Web`.
    #[prop(optional)]
    channel: Channel,
    /// Told what happens ([`Told`]): shown, submitted, dismissed, already, queued.
    #[prop(optional, into)]
    on: Option<OnTold>,
    /// Set by [`mount`](crate::mount) only.
    #[prop(optional)]
    loader: Option<Loader>,
) -> impl IntoView {
    let mut setup = Setup {
        survey,
        api: Api::new(&api),
        token: token.filter(|t| !t.is_empty()),
        channel,
        score,
        position,
        who: Who::Given(respondent, properties),
        on,
    };
    if let Some(Loader { root, config, who }) = loader {
        setup.who = Who::Asked(who);
        return Either::Left(app::render(root, setup, &config));
    }
    Either::Right(host(setup, locale))
}

/// An app's page: a host element of its own, its shadow root made as it is built, and
/// the card mounted there once the config has arrived.
#[cfg(feature = "app")]
fn host(setup: Setup, locale: Option<String>) -> impl IntoView {
    use std::cell::RefCell;
    use std::rc::Rc;
    let setup = Rc::new(RefCell::new(Some(setup)));
    let locale = visitor_locales(locale);
    let attach = move |host: web_sys::Element| {
        let Some(setup) = setup.borrow_mut().take() else {
            return;
        };
        let init = web_sys::ShadowRootInit::new(web_sys::ShadowRootMode::Open);
        let root = match host.attach_shadow(&init) {
            Ok(root) => root,
            Err(e) => return dom::warn("cannot render", &e),
        };
        let (api, survey) = (setup.api.clone(), setup.survey.clone());
        api.config(
            &survey,
            &locale,
            Box::new(move |config| match config {
                Ok(config) => app::show(root, setup, &config),
                Err(status) => dom::warn("no survey config", &JsValue::from(status)),
            }),
        );
    };
    view! { <nps-widget use:attach></nps-widget> }
}

/// The visitor's languages for the config's `locale` query, best first: the `locale`
/// prop, the page's `<html lang>`, then `navigator.languages` (read through Reflect:
/// no glue). The worker answers in the first it or the survey speaks.
#[cfg(feature = "app")]
fn visitor_locales(locale: Option<String>) -> String {
    let mut locales: Vec<String> = locale.into_iter().collect();
    if let Ok(window) = dom::window() {
        let document = get(&window, "document");
        locales.extend(string(&get(&document, "documentElement"), "lang"));
        let languages = get(&get(&window, "navigator"), "languages");
        if js_sys::Array::is_array(&languages) {
            locales.extend(
                js_sys::Array::from(&languages)
                    .iter()
                    .filter_map(|l| l.as_string()),
            );
        }
    }
    crate::texts::locale_query(locales.iter().map(String::as_str))
}

#[cfg(not(feature = "app"))]
fn host(setup: Setup, _locale: Option<String>) -> impl IntoView {
    dom::warn("NpsSurvey needs the `app` feature", &setup.survey.into());
}

/// `mount`'s options (see `lib.rs`) as the component's props; `None` without a
/// config, a survey id or an API origin.
pub fn loader_props(root: ShadowRoot, options: &JsValue) -> Option<NpsSurveyProps> {
    let config = get(options, "config");
    if !config.is_object() {
        return None;
    }
    // The tag's data-* as the loader found them, and nps('show', {token?, score?}).
    let (data, preset) = (get(options, "data"), get(options, "preset"));
    let score = match get(&preset, "score").as_f64() {
        Some(n) if (0.0..=10.0).contains(&n) && n.fract() == 0.0 => Score::try_from(n as u8).ok(),
        _ => string(&preset, "score")
            .or_else(|| string(&data, "score"))
            .and_then(|s| embed::preset_score(&s)),
    };
    Some(NpsSurveyProps {
        survey: string(&data, "survey")?,
        api: string(options, "api")?,
        locale: string(&data, "locale"),
        respondent: Respondent::default(),
        properties: Vec::new(),
        position: string(&data, "position").and_then(|p| embed::position(&p)),
        token: string(&preset, "token")
            .filter(|t| !t.is_empty())
            .or_else(|| string(&data, "token")),
        score,
        channel: embed::channel(&text(&data, "channel")),
        on: Some(OnTold::from(notifier(get(options, "on")))),
        loader: Some(Loader {
            root,
            config,
            who: get(options, "who"),
        }),
    })
}

/// The loader's `on(kind, detail)` as the component's `on`; a failing callback is the
/// loader's business.
fn notifier(on: JsValue) -> impl Fn(Told) + 'static {
    move |told: Told| {
        let Some(on) = wasm_bindgen::JsCast::dyn_ref::<js_sys::Function>(&on) else {
            return;
        };
        let detail = js_sys::Object::new();
        if let Some(score) = told.score {
            let _ = js_sys::Reflect::set(&detail, &"score".into(), &score.value().into());
        }
        if let Some(category) = told.category {
            let _ = js_sys::Reflect::set(&detail, &"category".into(), &category.as_str().into());
        }
        let _ = on.call2(&JsValue::NULL, &told.kind.into(), &detail);
    }
}

/// Browser tests of the component in a Leptos app (the loader's way is tested through
/// `mount` in `app.rs`).
#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{self as t, field, one, posts, shows, until};
    use std::cell::RefCell;
    use std::rc::Rc;
    use wasm_bindgen::JsCast;
    use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
    use web_sys::HtmlElement;

    wasm_bindgen_test_configure!(run_in_browser);

    #[wasm_bindgen_test]
    async fn a_leptos_app_shows_the_survey_in_a_shadow_root_of_its_own() {
        let _fetch = t::fake_fetch(&[]);
        let document = t::document();
        let parent: HtmlElement = document
            .create_element("div")
            .expect("div")
            .unchecked_into();
        document
            .body()
            .expect("body")
            .append_child(&parent)
            .expect("append");
        let told = Rc::new(RefCell::new(Vec::new()));
        let log = Rc::clone(&told);
        let app = leptos::mount::mount_to(parent.clone(), move || {
            view! {
                <NpsSurvey
                    survey="s_test"
                    api="https://api.example/"
                    locale="en"
                    respondent=Respondent { id: Some("u_1".into()), email: None, user_hash: None }
                    properties=vec![("plan".into(), "pro".into())]
                    position=Position::Inline
                    on=move |told: Told| log.borrow_mut().push(told.kind)
                />
            }
        });
        let root = || {
            parent
                .query_selector("nps-widget")
                .ok()
                .flatten()
                .and_then(|host| host.shadow_root())
        };
        until("the scale shows", || {
            root().is_some_and(|root| shows(&root, "[role=radio]"))
        })
        .await;
        let root = root().expect("a shadow root");
        let config = &t::calls()[0];
        assert_eq!(field(config, "method"), "GET");
        // The locale prop first, then the page's and the browser's languages.
        let url = field(config, "url");
        let asked = url
            .strip_prefix("https://api.example/v1/surveys/s_test/config?locale=")
            .map(|q| String::from(js_sys::decode_uri_component(q).expect("encoded")));
        assert_eq!(
            asked.as_deref().and_then(|q| q.split(',').next()),
            Some("en"),
            "{url}"
        );
        assert_eq!(
            t::text(&one(&root, "#nps-q")),
            "How likely are you to recommend us to a friend?"
        );
        assert_eq!(
            one(&root, "[data-testid=nps-widget]").class_name(),
            "card inline"
        );
        assert!(!shows(&root, "[data-testid=nps-dismiss]"));
        t::all(&root, "[role=radio]")[9].click();
        until("the follow-up shows", || shows(&root, "textarea")).await;
        let body = field(&posts()[0], "body");
        assert!(body.contains(r#""channel":"web""#), "{body}");
        assert!(
            body.ends_with(r#","respondent":{"id":"u_1"},"properties":{"plan":"pro"}}"#),
            "{body}"
        );
        assert_eq!(*told.borrow(), ["shown", "submitted"]);
        drop(app);
        parent.remove();
    }
}
