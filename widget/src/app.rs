//! The controller: from `mount()` to the first paint, and from the visitor's acts to
//! requests. It reads the loader's options, wires `api.rs` (network) to `state.rs`
//! (transitions), and renders `view.rs` into the shadow root the loader made. Nothing
//! outside that shadow root is touched: whether to show the survey at all (throttle,
//! triggers) and what the page hears about it (DOM events, the throttle's
//! `localStorage` entry) are the loader's, told through the `on` callback. The only
//! other thing it does to the page is to give focus back to where it was when the
//! card closes.

use crate::api::{self, Api, Created, Submission};
use crate::dom::{self, get, string, text};
use crate::i18n::{self, SurveyTexts, Texts};
use crate::retry::{self, MAX_RETRIES};
use crate::state::{Event, Refusal, Screen, Stage};
use crate::style::{self, Theme};
use crate::view::{self, Handlers};
use crate::{embed, json};
use nps_shared::api::Position;
use nps_shared::{Category, Score};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{HtmlElement, HtmlTextAreaElement, ShadowRoot};

/// How long the last line (thanks, refusal) stays before a floating widget goes away.
/// (Short in the tests, which wait for it.)
const THANKS_FOR_MS: u32 = if cfg!(test) { 300 } else { 5000 };

/// The second argument of `mount`, as the loader builds it (see `lib.rs`).
struct Options {
    survey: String,
    api: Api,
    /// `data-locale`, the page's `lang`, then `navigator.languages`.
    locales: Vec<String>,
    config: JsValue,
    who: JsValue,
    on: JsValue,
    token: Option<String>,
    channel: String,
    score: Option<Score>,
    position: Option<Position>,
}

impl Options {
    fn read(options: &JsValue) -> Option<Options> {
        let config = get(options, "config");
        if !config.is_object() {
            return None;
        }
        // The tag's data-* as the loader found them, and nps('show', {token?, score?}).
        let (data, preset) = (get(options, "data"), get(options, "preset"));
        let preset_score = get(&preset, "score");
        let score = match preset_score.as_f64() {
            Some(n) if (0.0..=10.0).contains(&n) && n.fract() == 0.0 => {
                Score::try_from(n as u8).ok()
            }
            _ => string(&preset, "score")
                .or_else(|| string(&data, "score"))
                .and_then(|s| embed::preset_score(&s)),
        };
        // data-locale, <html lang>, navigator.languages (read through Reflect: no glue).
        let mut locales: Vec<String> = string(&data, "locale").into_iter().collect();
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
        Some(Options {
            survey: string(&data, "survey")?,
            api: Api::new(&string(options, "api")?),
            locales,
            config,
            who: get(options, "who"),
            on: get(options, "on"),
            token: string(&preset, "token")
                .filter(|t| !t.is_empty())
                .or_else(|| string(&data, "token"))
                .filter(|t| !t.is_empty()),
            channel: text(&data, "channel"),
            score,
            position: string(&data, "position").and_then(|p| embed::position(&p)),
        })
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

    /// The answer's JSON. Who answers is asked now (`who()`), so an
    /// `nps('identify', …)` after the survey appeared still counts; a `who` whose
    /// answer is not `{ id?, email?, properties? }` of strings is nobody.
    fn answer(&self, score: Score, language: &str) -> String {
        let page_url = dom::window()
            .ok()
            .and_then(|w| w.location().href().ok())
            .filter(|href| href.starts_with("http"));
        let body = json::Object::new()
            .string("survey_id", &self.survey)
            .small("score", score.value())
            .string("channel", embed::channel(&self.channel).as_str())
            .string("locale", language)
            .optional("page_url", page_url.as_deref());
        let who = self
            .who
            .dyn_ref::<js_sys::Function>()
            .and_then(|f| f.call0(&JsValue::NULL).ok())
            .unwrap_or(JsValue::UNDEFINED);
        let body = match respondent(&who) {
            Some((id, email, properties)) => {
                let respondent = [("id", id.as_deref()), ("email", email.as_deref())];
                body.strings(
                    "respondent",
                    respondent.iter().filter_map(|(k, v)| Some((*k, (*v)?))),
                )
                .strings(
                    "properties",
                    properties.iter().map(|(k, v)| (k.as_str(), v.as_str())),
                )
            }
            None => {
                if !who.is_undefined() {
                    dom::warn("who() gave no respondent", &who);
                }
                body
            }
        };
        body.optional("token", self.token.as_deref()).finish()
    }
}

type Who = (Option<String>, Option<String>, Vec<(String, String)>);

/// `{ id?, email?, properties? }` with string values only.
fn respondent(who: &JsValue) -> Option<Who> {
    if !who.is_object() {
        return None;
    }
    let field = |name: &str| {
        let value = get(who, name);
        if value.is_undefined() || value.is_null() {
            Ok(None)
        } else {
            value.as_string().map(Some).ok_or(())
        }
    };
    let (id, email) = (field("id").ok()?, field("email").ok()?);
    let mut properties = Vec::new();
    let props = get(who, "properties");
    if props.is_object() {
        for entry in js_sys::Object::entries(props.unchecked_ref()).iter() {
            let pair = js_sys::Array::from(&entry);
            properties.push((pair.get(0).as_string()?, pair.get(1).as_string()?));
        }
    }
    Some((id, email, properties))
}

/// The config's texts (`GET /v1/surveys/{id}/config` `texts`) and its language.
fn survey_texts(config: &JsValue) -> (SurveyTexts, String) {
    let texts = get(config, "texts");
    let follow_up = get(&texts, "follow_up");
    let survey = SurveyTexts {
        question: text(&texts, "question"),
        low: text(&texts, "low_label"),
        high: text(&texts, "high_label"),
        detractor: text(&follow_up, "detractor"),
        passive: text(&follow_up, "passive"),
        promoter: text(&follow_up, "promoter"),
        placeholder: text(&texts, "comment_placeholder"),
        send: text(&texts, "submit"),
        close: text(&texts, "dismiss"),
        thanks: text(&texts, "thanks"),
    };
    let language = i18n::language(&text(config, "locale")).unwrap_or_default();
    (survey, language)
}

/// Renders the survey into `root` (an open shadow root) from the config in the
/// options. Bad options are a `console.warn` and an empty shadow root.
pub fn mount(root: ShadowRoot, options: JsValue) {
    let Some(options) = Options::read(&options) else {
        dom::warn("bad mount options", &options);
        return;
    };
    if let Err(e) = Widget::start(root, options) {
        dom::warn("cannot render", &e);
    }
}

/// One mounted survey: its elements, its stage and what it knows besides.
struct Widget {
    root: ShadowRoot,
    options: Options,
    texts: Texts,
    floating: bool,
    stage: Cell<Stage>,
    card: view::Card,
    handlers: RefCell<Option<Handlers>>,
    radios: RefCell<Option<Rc<[HtmlElement]>>>,
    error: RefCell<Option<HtmlElement>>,
    comment: RefCell<Option<(HtmlTextAreaElement, HtmlElement)>>,
    /// The answer (then its comment) being sent; kept so a retry re-sends it with the
    /// same key.
    pending: RefCell<Option<Submission>>,
    /// The stored answer, whose edit token lets the comment be added.
    created: RefCell<Option<Created>>,
    /// The score the visitor chose (or the tag preset), once chosen.
    score: Cell<Option<Score>>,
    /// Automatic retries so far of the pending answer (or comment).
    retries: Cell<u32>,
    queued_told: Cell<bool>,
    /// Where focus was when the card opened: it goes back there when the card closes.
    return_focus: Option<HtmlElement>,
}

impl Widget {
    fn start(root: ShadowRoot, options: Options) -> dom::Result<()> {
        let config = &options.config;
        let theme_config = get(config, "theme");
        let theme = Theme {
            brand: text(&theme_config, "accent"),
            radius: get(&theme_config, "radius")
                .as_f64()
                .filter(|r| (0.0..=255.0).contains(r))
                .map(|r| r as u8),
            font: text(&theme_config, "font"),
        };
        let position = options
            .position
            .or_else(|| embed::position(&text(&theme_config, "position")))
            .unwrap_or_default();
        let (survey, survey_language) = survey_texts(config);
        let language = i18n::resolve(options.locales.iter().map(String::as_str), &survey_language);
        let texts = Texts::new(language, &survey, &survey_language);
        style::install(&root, &theme)?;

        let floating = position != Position::Inline;
        let class = match position {
            Position::BottomRight => "card br",
            Position::BottomLeft => "card bl",
            Position::Inline => "card inline",
        };
        let document = dom::document()?;
        let return_focus = document
            .active_element()
            .filter(|e| Some(e) != document.body().as_ref().map(AsRef::as_ref))
            .and_then(|e| e.dyn_into::<HtmlElement>().ok());
        let card = view::card(&texts, class, floating)?;
        let widget = Rc::new(Widget {
            root,
            options,
            texts,
            floating,
            stage: Cell::new(Stage::Loading),
            card,
            handlers: RefCell::new(None),
            radios: RefCell::new(None),
            error: RefCell::new(None),
            comment: RefCell::new(None),
            pending: RefCell::new(None),
            created: RefCell::new(None),
            score: Cell::new(None),
            retries: Cell::new(0),
            queued_told: Cell::new(false),
            return_focus,
        });
        widget.wire()?;
        widget.root.append_child(&widget.card.card)?;
        widget.advance(Event::ConfigLoaded);
        // The scale takes input from here on (e2e/bench/widget-speed.mjs measures it).
        if let Ok(window) = dom::window() {
            let performance = get(&window, "performance");
            if let Ok(mark) = get(&performance, "mark").dyn_into::<js_sys::Function>() {
                let _ = mark.call1(&performance, &"nps:interactive".into());
            }
        }
        widget.options.notify("shown", None, None);
        // The score chosen in the e-mail is sent at once; the scale shows it, locked.
        if let Some(score) = widget.options.score {
            widget.choose(score);
        }
        let online = Rc::clone(&widget);
        let window: web_sys::EventTarget = dom::window()?.into();
        dom::on(&window, "online", move |_| {
            if online.stage.get().is_queued() {
                online.retry();
            }
        });
        Ok(())
    }

    /// Builds the handlers over a weak-free `Rc` (the widget lives as long as the page)
    /// and the close button's and Escape's listeners.
    fn wire(self: &Rc<Self>) -> dom::Result<()> {
        let (a, b, c, d) = (
            Rc::clone(self),
            Rc::clone(self),
            Rc::clone(self),
            Rc::clone(self),
        );
        let handlers = Handlers {
            choose: Rc::new(move |score| a.choose(score)),
            retry: Rc::new(move || b.retry()),
            comment: Rc::new(move |text| c.comment(&text)),
            dismiss: Rc::new(move || d.dismiss()),
        };
        if let Some(close) = &self.card.close {
            let dismiss = Rc::clone(&handlers.dismiss);
            dom::on(close, "click", move |_| dismiss());
        }
        if self.floating {
            let dismiss = Rc::clone(&handlers.dismiss);
            dom::on(&self.card.card, "keydown", move |event| {
                if let Some(key) = event.dyn_ref::<web_sys::KeyboardEvent>()
                    && key.key() == "Escape"
                {
                    dismiss();
                }
            });
        }
        *self.handlers.borrow_mut() = Some(handlers);
        Ok(())
    }

    fn handlers(&self) -> Option<Handlers> {
        self.handlers.borrow().clone()
    }

    /// Moves the stage on and redraws; `false` when the event did not apply (and
    /// nothing should happen).
    fn advance(self: &Rc<Self>, event: Event) -> bool {
        let before = self.stage.get();
        let after = before.on(event);
        if after == before {
            return false;
        }
        self.stage.set(after);
        if let Err(e) = self.draw(before, after) {
            dom::warn("cannot draw", &e);
        }
        if after.is_last_line() && self.floating {
            let widget = Rc::clone(self);
            dom::after(THANKS_FOR_MS, move || {
                widget.advance(Event::ThanksElapsed);
            });
        }
        true
    }

    fn focus_inside(&self) -> bool {
        self.root.active_element().is_some()
    }

    fn draw(self: &Rc<Self>, before: Stage, after: Stage) -> dom::Result<()> {
        let Some(handlers) = self.handlers() else {
            return Ok(());
        };
        let (body, live) = (&self.card.body, &self.card.live);
        if before.screen() != after.screen() {
            let had_focus = self.focus_inside();
            body.set_text_content(None);
            *self.radios.borrow_mut() = None;
            *self.error.borrow_mut() = None;
            *self.comment.borrow_mut() = None;
            match after.screen() {
                Screen::Nothing => {
                    self.card.card.remove();
                    // Focus was in the card, now gone: back to where it came from.
                    let lost = had_focus
                        || dom::document()?.active_element().is_none_or(|e| {
                            dom::document()
                                .ok()
                                .and_then(|d| d.body())
                                .is_some_and(|b| AsRef::<web_sys::Element>::as_ref(&b) == &e)
                        });
                    if lost
                        && let Some(element) = &self.return_focus
                        && element.is_connected()
                    {
                        let _ = element.focus();
                    }
                }
                Screen::Question => {
                    let radios = view::question(body, &self.texts, &handlers)?;
                    *self.radios.borrow_mut() = Some(radios);
                }
                Screen::FollowUp(category) => {
                    let _ = self
                        .card
                        .card
                        .set_attribute("data-category", category.as_str());
                    let (area, send) = view::follow_up(
                        body,
                        &self.texts,
                        self.texts.follow_up(category),
                        &handlers,
                    )?;
                    // The radio that had focus is gone: keep keyboard users in the card.
                    let _ = area.focus();
                    *self.comment.borrow_mut() = Some((area, send));
                }
                Screen::Thanks | Screen::Refused(_) => {
                    let (line, test_id) = match after.screen() {
                        Screen::Refused(Refusal::AlreadyAnswered) => {
                            (self.texts.already, "nps-already")
                        }
                        Screen::Refused(Refusal::LinkInvalid) => {
                            (self.texts.invalid_link, "nps-invalid-link")
                        }
                        _ => (self.texts.thanks.as_str(), "nps-thanks"),
                    };
                    let line: web_sys::Node = view::last_line(line, test_id)?.into();
                    live.append_child(&line)?;
                    if had_focus && let Some(close) = &self.card.close {
                        let _ = close.focus();
                    }
                }
            }
        }
        // Within a screen: the scale's marks, the failure line, the send button.
        if let Some(radios) = self.radios.borrow().as_ref() {
            view::mark_scale(radios, after.chosen(), after.scale_locked());
        }
        if before.is_error() != after.is_error() || before.is_queued() != after.is_queued() {
            if let Some(old) = self.error.borrow_mut().take() {
                old.remove();
            }
            if after.is_error() {
                let line = view::error_line(&self.texts, after.is_queued(), &handlers)?;
                body.append_child(&line)?;
                *self.error.borrow_mut() = Some(line);
            }
        }
        if let Some((_, send)) = self.comment.borrow().as_ref() {
            let _ = if after.is_saving() {
                send.set_attribute("disabled", "")
            } else {
                send.remove_attribute("disabled")
            };
        }
        Ok(())
    }

    fn choose(self: &Rc<Self>, score: Score) {
        if !self.advance(Event::Chose(score)) {
            return;
        }
        self.score.set(Some(score));
        let key = match &self.options.token {
            Some(token) => embed::token_key(token, score),
            None => api::new_idempotency_key(),
        };
        let body = self.options.answer(score, &self.texts.language);
        let url = [self.options.api.origin.as_str(), "/v1/responses"].concat();
        *self.pending.borrow_mut() = Some(Submission::new(url, key, body));
        self.send();
    }

    fn send(self: &Rc<Self>) {
        let Some(submission) = self.pending.borrow().clone() else {
            return;
        };
        let widget = Rc::clone(self);
        submission.send(Box::new(move |result| widget.sent(result)));
    }

    /// The answer's outcome, or, once the answer is stored, the comment's.
    fn sent(self: &Rc<Self>, result: Result<JsValue, u16>) {
        if self.created.borrow().is_some() {
            return match result {
                Err(status) if retry::is_retryable(status) => {
                    self.advance(Event::SendFailed { queued: true });
                    self.schedule_retry();
                }
                // Stored, or refused for good (the score is stored either way).
                _ => _ = self.advance(Event::CommentDone),
            };
        }
        let score = self.score.get();
        match result.and_then(|reply| api::created(&reply)) {
            Ok(created) => {
                let category = score.map_or(Category::Passive, Category::from);
                *self.created.borrow_mut() = Some(created);
                if self.options.token.is_some() {
                    confirm_on_first_touch(Rc::clone(self));
                }
                // Stored even if the visitor closed the card meanwhile: the loader must
                // know it was answered.
                self.options.notify("submitted", score, Some(category));
                self.advance(Event::Stored(category));
            }
            Err(status) => {
                if let Some(why) = Refusal::of_status(status, self.options.token.is_some()) {
                    if why == Refusal::AlreadyAnswered {
                        // Answered before: not to be asked again either.
                        self.options.notify("already", score, None);
                    }
                    self.advance(Event::Refused(why));
                    return;
                }
                let queued = retry::is_retryable(status);
                self.advance(Event::SendFailed { queued });
                if queued {
                    if !self.queued_told.replace(true) {
                        // Kept in the outbox: as good as answered for the throttle.
                        self.options.notify("queued", score, None);
                    }
                    self.schedule_retry();
                }
            }
        }
    }

    fn schedule_retry(self: &Rc<Self>) {
        let attempt = self.retries.get();
        if attempt >= MAX_RETRIES {
            return;
        }
        self.retries.set(attempt + 1);
        let widget = Rc::clone(self);
        dom::after(
            retry::backoff_ms(attempt, js_sys::Math::random()),
            move || {
                if widget.stage.get().is_queued() {
                    widget.retry();
                }
            },
        );
    }

    fn retry(self: &Rc<Self>) {
        if self.advance(Event::Retried) {
            self.send();
        }
    }

    fn comment(self: &Rc<Self>, text: &str) {
        let text = text.trim().to_owned();
        if !self.advance(Event::CommentSubmitted {
            empty: text.is_empty(),
        }) || text.is_empty()
        {
            return;
        }
        // The follow-up shows only once the score is stored, so `created` is there.
        let (Some(created), Some(answer)) =
            (self.created.borrow().clone(), self.pending.borrow().clone())
        else {
            self.advance(Event::CommentDone);
            return;
        };
        // Queued, retried and flushed like the answer: the comment is what it sends now.
        let comment = self.options.api.comment(&answer.key, &created, &text);
        *self.pending.borrow_mut() = Some(comment);
        self.retries.set(0);
        self.send();
    }

    fn dismiss(self: &Rc<Self>) {
        if self.advance(Event::Dismissed) {
            let category = self
                .created
                .borrow()
                .as_ref()
                .and(self.score.get())
                .map(Category::from);
            self.options.notify("dismissed", self.score.get(), category);
        }
    }
}

/// An answer from an e-mail link stays provisional on the server (a mail scanner may
/// have opened the link) until a person acts on the page: the first tap, click or key
/// press confirms it, once.
fn confirm_on_first_touch(widget: Rc<Widget>) {
    let Ok(document) = dom::document() else {
        return;
    };
    let fired = Rc::new(Cell::new(false));
    for kind in ["pointerdown", "keydown"] {
        let (widget, fired) = (Rc::clone(&widget), Rc::clone(&fired));
        dom::on(&document, kind, move |_| {
            let created = widget.created.borrow().clone();
            let Some(created) = created.filter(|_| !fired.replace(true)) else {
                return;
            };
            widget.options.api.confirm(&created);
        });
    }
}

/// Browser tests: the whole widget in a real shadow root, in headless Chromium, with a
/// fake `fetch`. How to run them: see the top of `build.sh`.
#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{self as t, all, field, one, posts, shows, told, until};
    use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

    wasm_bindgen_test_configure!(run_in_browser);

    fn radios(root: &ShadowRoot) -> Vec<HtmlElement> {
        all(root, "[role=radio]")
    }

    async fn shown(data: &str) -> (HtmlElement, ShadowRoot) {
        let (host, root) = t::host();
        mount(root.clone(), t::options(data));
        until("the scale shows", || shows(&root, "[role=radio]")).await;
        (host, root)
    }

    #[wasm_bindgen_test]
    async fn an_answer_is_kept_in_the_outbox_retried_with_the_same_key_then_commented() {
        let _fetch = t::fake_fetch(&[503, 0, 201]);
        let (host, root) = shown("").await;
        assert!(t::calls().is_empty(), "the config came with the options");
        assert_eq!(told(), ["shown - -"]);

        radios(&root)[3].click();
        until("the queued line shows", || {
            shows(&root, "[data-testid=nps-queued]")
        })
        .await;
        assert_eq!(
            t::text(&one(&root, "[data-testid=nps-queued]")),
            [crate::i18n::built_in("en").expect("en").queued, "Try again"].concat()
        );
        assert_eq!(t::outbox_keys().len(), 1, "kept while unsent");
        // A second click while the answer waits does not send another one.
        radios(&root)[9].click();
        let retry = || one(&root, "[data-testid=nps-queued] button").click();
        retry();
        until("the second failure", || {
            posts().len() == 2 && shows(&root, "[data-testid=nps-queued]")
        })
        .await;
        retry();
        until("the follow-up shows", || shows(&root, "textarea")).await;

        let posts = posts();
        assert_eq!(posts.len(), 3, "one POST and two retries");
        let key = field(&posts[0], "key");
        assert_eq!(key.len(), 36);
        assert_eq!(t::outbox_keys(), Vec::<String>::new(), "gone once stored");
        for post in &posts {
            assert_eq!(field(post, "url"), "https://api.example/v1/responses");
            assert_eq!(field(post, "type"), "application/json");
            assert_eq!(field(post, "keepalive"), "true");
            assert_eq!(field(post, "key"), key, "every retry reuses the key");
            assert_eq!(field(post, "body"), field(&posts[0], "body"));
        }
        let body = field(&posts[0], "body");
        assert!(
            body.starts_with(
                r#"{"survey_id":"s_test","score":3,"channel":"web","locale":"en","page_url":"http"#
            ),
            "{body}"
        );
        assert!(
            body.ends_with(r#","respondent":{"id":"u_7"},"properties":{"store":"berlin"}}"#),
            "{body}"
        );
        assert_eq!(told(), ["shown - -", "queued 3 -", "submitted 3 detractor"]);
        assert_eq!(
            t::text(&one(&root, "[data-testid=nps-follow-up]")),
            "What went wrong?"
        );
        let area: HtmlTextAreaElement = one(&root, "textarea").unchecked_into();
        area.set_value("  Too \"slow\"  ");
        one(&root, "button[type=submit]").click();
        until("thanks shows", || shows(&root, "[data-testid=nps-thanks]")).await;
        let patch = t::calls().into_iter().last().expect("a call");
        assert_eq!(field(&patch, "method"), "PATCH");
        assert_eq!(field(&patch, "url"), "https://api.example/v1/responses/r_1");
        assert_eq!(
            field(&patch, "body"),
            r#"{"edit_token":"tok_1","comment":"Too \"slow\""}"#
        );
        // Announced: the thanks is written into a live region that was there before.
        let thanks = one(&root, "[data-testid=nps-thanks]");
        let live = thanks.parent_element().expect("the live region");
        assert_eq!(live.get_attribute("role").as_deref(), Some("status"));
        assert_eq!(t::document().adopted_style_sheets().length(), 0);
        host.remove();
    }

    #[wasm_bindgen_test]
    async fn a_comment_without_a_connection_is_kept_in_the_outbox_and_sent_when_back() {
        // The answer goes through; its comment meets no connection, then a 503.
        let _fetch = t::fake_fetch(&[201, 0, 503]);
        let (host, root) = shown("").await;
        radios(&root)[6].click();
        until("the follow-up shows", || shows(&root, "textarea")).await;
        let answer_key = field(&posts()[0], "key");
        assert!(t::outbox_keys().is_empty(), "the answer is stored");
        let area: HtmlTextAreaElement = one(&root, "textarea").unchecked_into();
        area.set_value("Slow\ncheckout ");
        one(&root, "button[type=submit]").click();
        until("the queued line shows", || {
            shows(&root, "[data-testid=nps-queued]")
        })
        .await;
        assert_eq!(
            t::text(&one(&root, "[data-testid=nps-queued]")),
            [crate::i18n::built_in("en").expect("en").queued, "Try again"].concat()
        );
        assert!(shows(&root, "textarea"), "the follow-up stays");
        assert!(
            one(&root, "button[type=submit]").has_attribute("disabled"),
            "no second comment while this one waits"
        );
        let comment_key = [answer_key.as_str(), crate::outbox::COMMENT].concat();
        assert_eq!(t::outbox_keys(), [comment_key.clone()]);
        let body = r#"{"edit_token":"tok_1","comment":"Slow\ncheckout"}"#;
        assert_eq!(
            t::outbox_entry(&comment_key),
            ["https://api.example/v1/responses/r_1\n", body].concat()
        );
        one(&root, "[data-testid=nps-queued] button").click();
        until("the second failure", || {
            t::calls().len() == 3 && shows(&root, "[data-testid=nps-queued]")
        })
        .await;
        assert_eq!(t::outbox_keys(), [comment_key], "a 503 keeps it");
        // The connection is back.
        let window: web_sys::EventTarget = dom::window().expect("window").into();
        window
            .dispatch_event(&web_sys::Event::new("online").expect("event"))
            .expect("dispatch");
        until("thanks shows", || shows(&root, "[data-testid=nps-thanks]")).await;
        assert!(t::outbox_keys().is_empty(), "gone once stored");
        let patches: Vec<JsValue> = t::calls()
            .into_iter()
            .filter(|c| field(c, "method") == "PATCH")
            .collect();
        // One PATCH, the retry, and the one on `online` (a flush of an earlier test,
        // waiting for `online` too, may send it once more: harmless, it sets the same).
        assert!(patches.len() >= 3, "{}", patches.len());
        for patch in &patches {
            assert_eq!(field(patch, "url"), "https://api.example/v1/responses/r_1");
            assert_eq!(field(patch, "body"), body);
            assert_eq!(field(patch, "keepalive"), "true");
            assert_eq!(field(patch, "key"), "", "a PATCH needs no Idempotency-Key");
        }
        assert_eq!(told(), ["shown - -", "submitted 6 detractor"]);
        host.remove();
    }

    #[wasm_bindgen_test]
    async fn a_comment_refused_for_good_is_not_kept() {
        let _fetch = t::fake_fetch(&[201, 409]);
        let (host, root) = shown("").await;
        radios(&root)[9].click();
        until("the follow-up shows", || shows(&root, "textarea")).await;
        let area: HtmlTextAreaElement = one(&root, "textarea").unchecked_into();
        area.set_value("Late");
        one(&root, "button[type=submit]").click();
        until("thanks shows", || shows(&root, "[data-testid=nps-thanks]")).await;
        assert!(t::outbox_keys().is_empty());
        assert_eq!(t::calls().len(), 2, "not retried");
        host.remove();
    }

    #[wasm_bindgen_test]
    async fn a_comment_left_in_the_outbox_is_patched_by_the_flush() {
        let _fetch = t::fake_fetch(&[]);
        let body = r#"{"edit_token":"tok_9","comment":"Later"}"#;
        Submission::new(
            "https://api.example/v1/responses/r_9".into(),
            "k-9.c".into(),
            body.into(),
        );
        crate::flush();
        until("the outbox is empty", || t::outbox_keys().is_empty()).await;
        let calls = t::calls();
        assert_eq!(calls.len(), 1);
        assert_eq!(field(&calls[0], "method"), "PATCH");
        assert_eq!(
            field(&calls[0], "url"),
            "https://api.example/v1/responses/r_9"
        );
        assert_eq!(field(&calls[0], "body"), body);
        assert_eq!(field(&calls[0], "key"), "");
    }

    #[wasm_bindgen_test]
    async fn an_answer_the_server_refuses_is_not_kept() {
        let _fetch = t::fake_fetch(&[422]);
        let (host, root) = shown("").await;
        radios(&root)[10].click();
        until("the error shows", || {
            shows(&root, "[data-testid=nps-error]")
        })
        .await;
        assert!(!shows(&root, "[data-testid=nps-queued]"));
        assert!(t::outbox_keys().is_empty());
        assert_eq!(told(), ["shown - -"]);
        host.remove();
    }

    #[wasm_bindgen_test]
    async fn the_outbox_is_flushed_with_each_answers_own_key() {
        let _fetch = t::fake_fetch(&[503, 201]);
        for key in ["k-1", "k-2"] {
            Submission::new(
                "https://api.example/v1/responses".into(),
                key.into(),
                ["{\"k\":\"", key, "\"}"].concat(),
            );
        }
        crate::flush();
        until("both were tried", || posts().len() == 2).await;
        t::sleep(50).await;
        assert_eq!(t::outbox_keys().len(), 1, "the 503 stays for later");
        let mut keys: Vec<String> = posts().iter().map(|p| field(p, "key")).collect();
        keys.sort();
        assert_eq!(keys, ["k-1", "k-2"]);
        for post in posts() {
            assert_eq!(
                field(&post, "body"),
                ["{\"k\":\"", &field(&post, "key"), "\"}"].concat()
            );
        }
    }

    #[wasm_bindgen_test]
    async fn the_scale_is_a_radio_group_with_one_tab_stop_and_labelled_ends() {
        let _fetch = t::fake_fetch(&[]);
        let (host, root) = shown("").await;
        let group = one(&root, "[role=radiogroup]");
        assert_eq!(
            group.get_attribute("aria-labelledby").as_deref(),
            Some("nps-q")
        );
        let radios = radios(&root);
        assert_eq!(radios.len(), 11);
        assert_eq!(
            radios[0].get_attribute("aria-label").as_deref(),
            Some("0 – Not likely")
        );
        assert_eq!(
            radios[10].get_attribute("aria-label").as_deref(),
            Some("10 – Very likely")
        );
        assert_eq!(radios[5].get_attribute("aria-label"), None, "5 is named 5");
        radios[0].focus().expect("focus");
        for (key, expected) in [
            ("ArrowRight", "1"),
            ("ArrowDown", "2"),
            ("ArrowLeft", "1"),
            ("End", "10"),
            ("ArrowRight", "0"),
            ("ArrowUp", "10"),
            ("Home", "0"),
        ] {
            let from: HtmlElement = root
                .active_element()
                .expect("focus in the widget")
                .unchecked_into();
            t::press(&from, key);
            assert_eq!(t::focused(&root), expected, "after {key}");
            let stops: Vec<String> = all(&root, "[role=radio][tabindex='0']")
                .iter()
                .map(t::text)
                .collect();
            assert_eq!(stops, [expected]);
        }
        assert!(posts().is_empty(), "moving focus does not choose");
        t::press(&radios[0], "Enter");
        until("the answer is sent", || posts().len() == 1).await;
        host.remove();
    }

    #[wasm_bindgen_test]
    async fn arabic_is_built_in_right_to_left_and_its_arrows_mirror() {
        let _fetch = t::fake_fetch(&[]);
        let (host, root) = shown(r#","locale":"ar""#).await;
        let card = one(&root, "[data-testid=nps-widget]");
        assert_eq!(card.get_attribute("dir").as_deref(), Some("rtl"));
        assert_eq!(card.get_attribute("lang").as_deref(), Some("ar"));
        let arabic = crate::i18n::built_in("ar").expect("ar");
        assert_eq!(t::text(&one(&root, "#nps-q")), arabic.question);
        assert_eq!(
            one(&root, "[data-testid=nps-dismiss]")
                .get_attribute("aria-label")
                .as_deref(),
            Some(arabic.close)
        );
        // 0 is at the right.
        let radios = radios(&root);
        let (zero, ten) = (
            radios[0].get_bounding_client_rect(),
            radios[10].get_bounding_client_rect(),
        );
        assert!(zero.left() > ten.left(), "{} {}", zero.left(), ten.left());
        radios[0].focus().expect("focus");
        t::press(&radios[0], "ArrowLeft");
        assert_eq!(t::focused(&root), "1", "left is onwards");
        host.remove();
    }

    #[wasm_bindgen_test]
    async fn the_surveys_own_texts_win_in_its_language_and_built_ins_fill_the_rest() {
        let _fetch = t::fake_fetch(&[]);
        let (host, root) = shown(r#","locale":"en-GB""#).await;
        assert_eq!(
            t::text(&one(&root, "#nps-q")),
            "How likely are you to recommend us to a friend?"
        );
        host.remove();
        let (host, root) = shown(r#","locale":"de""#).await;
        assert_eq!(
            t::text(&one(&root, "#nps-q")),
            crate::i18n::built_in("de").expect("de").question,
            "an English survey is not shown to a German visitor in English"
        );
        host.remove();
    }

    #[wasm_bindgen_test]
    async fn a_preset_score_is_posted_at_once_with_its_token_and_key() {
        let _fetch = t::fake_fetch(&[201]);
        js_sys::Reflect::set(
            &dom::window().expect("window"),
            &"npsPostDelay".into(),
            &JsValue::from(150),
        )
        .expect("set the delay");
        let (host, root) = t::host();
        mount(
            root.clone(),
            t::options(r#","token":"inv.abc","channel":"email","score":"3","position":"inline""#),
        );
        until("the preset score is sent", || posts().len() == 1).await;
        let checked: Vec<String> = all(&root, "[aria-checked=true]")
            .iter()
            .map(t::text)
            .collect();
        assert_eq!(checked, ["3"]);
        assert_eq!(
            radios(&root)[7].get_attribute("aria-disabled").as_deref(),
            Some("true")
        );
        until("the follow-up shows", || shows(&root, "textarea")).await;
        let post = &posts()[0];
        let score = Score::try_from(3u8).expect("a score");
        assert_eq!(field(post, "key"), embed::token_key("inv.abc", score));
        let body = field(post, "body");
        assert!(body.contains(r#""channel":"email""#), "{body}");
        assert!(body.ends_with(r#","token":"inv.abc"}"#), "{body}");
        // Inline: in the page flow, no close button, and the thanks stays.
        assert_eq!(
            one(&root, "[data-testid=nps-widget]").class_name(),
            "card inline"
        );
        assert!(!shows(&root, "[data-testid=nps-dismiss]"));
        one(&root, "button[type=submit]").click();
        until("thanks shows", || shows(&root, "[data-testid=nps-thanks]")).await;
        t::sleep(i32::try_from(THANKS_FOR_MS).expect("ms") + 200).await;
        assert!(
            shows(&root, "[data-testid=nps-thanks]"),
            "inline thanks stays"
        );
        host.remove();
    }

    #[wasm_bindgen_test]
    async fn a_409_says_already_answered_and_a_403_to_a_token_says_the_link_expired() {
        let _fetch = t::fake_fetch(&[409]);
        let (host, root) = shown("").await;
        radios(&root)[8].click();
        until("the line shows", || {
            shows(&root, "[data-testid=nps-already]")
        })
        .await;
        assert_eq!(
            t::text(&one(&root, "[data-testid=nps-already]")),
            "You have already answered this survey — thank you!"
        );
        assert_eq!(told(), ["shown - -", "already 8 -"]);
        until("the card is gone", || {
            !shows(&root, "[data-testid=nps-widget]")
        })
        .await;
        host.remove();

        let _fetch = t::fake_fetch(&[403]);
        let (host, root) = t::host();
        mount(
            root.clone(),
            t::options(r#","token":"inv.old","score":"9","position":"inline""#),
        );
        until("the line shows", || {
            shows(&root, "[data-testid=nps-invalid-link]")
        })
        .await;
        assert!(all(&root, "button").is_empty(), "no retry, no close");
        host.remove();
    }

    #[wasm_bindgen_test]
    async fn closing_tells_the_loader_and_gives_focus_back() {
        let _fetch = t::fake_fetch(&[201]);
        let document = t::document();
        let button: HtmlElement = document
            .create_element("button")
            .expect("button")
            .unchecked_into();
        document
            .body()
            .expect("body")
            .append_child(&button)
            .expect("append");
        button.focus().expect("focus");
        let (host, root) = shown("").await;
        radios(&root)[2].click();
        until("the follow-up shows", || shows(&root, "textarea")).await;
        t::press(&one(&root, "textarea"), "Escape");
        until("the card is gone", || {
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
        assert_eq!(
            document.active_element().as_ref(),
            Some(button.as_ref()),
            "focus is back where it was"
        );
        button.remove();
        host.remove();
    }

    #[wasm_bindgen_test]
    async fn a_page_custom_property_themes_the_widget() {
        // A 422 keeps the score checked, and unlike a 503 leaves no retries running.
        let _fetch = t::fake_fetch(&[422]);
        let (host, root) = shown("").await;
        let window = dom::window().expect("window");
        let background = |e: &HtmlElement| {
            window
                .get_computed_style(e)
                .expect("style")
                .expect("style")
                .get_property_value("background-color")
                .expect("colour")
        };
        radios(&root)[4].click();
        until("the error shows", || {
            shows(&root, "[data-testid=nps-error]")
        })
        .await;
        let checked = radios(&root)[4].clone();
        assert_eq!(
            background(&checked),
            "rgb(22, 163, 74)",
            "the survey's accent"
        );
        host.style()
            .set_property("--nps-brand", "#7c3aed")
            .expect("set");
        t::sleep(300).await; // the radios' colour transition
        assert_eq!(
            background(&checked),
            "rgb(124, 58, 237)",
            "the page's brand"
        );
        host.remove();
    }

    #[wasm_bindgen_test]
    async fn options_without_a_config_show_nothing() {
        let _fetch = t::fake_fetch(&[]);
        let (host, root) = t::host();
        let options =
            js_sys::JSON::parse(r#"{"api":"https://api.example","data":{"survey":"s_x"}}"#)
                .expect("json");
        mount(root.clone(), options);
        t::sleep(50).await;
        assert_eq!(root.child_element_count(), 0);
        host.remove();
    }
}
