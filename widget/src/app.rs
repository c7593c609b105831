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
            Some(n) if (0.0..=10.0).contains(&n) && n.fract() == 0.0 => Score::try_from(n as u8).ok(),
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
                locales.extend(js_sys::Array::from(&languages).iter().filter_map(|l| l.as_string()));
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
    /// The answer being sent; kept so a retry re-sends it with the same key.
    pending: RefCell<Option<Submission>>,
    /// The stored answer, whose edit token lets the comment be added.
    created: RefCell<Option<Created>>,
    /// The score the visitor chose (or the tag preset), once chosen.
    score: Cell<Option<Score>>,
    /// Automatic retries so far of the pending answer.
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
                    let _ = self.card.card.set_attribute("data-category", category.as_str());
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
        *self.pending.borrow_mut() = Some(Submission::new(&self.options.api.origin, key, body));
        self.send();
    }

    fn send(self: &Rc<Self>) {
        let Some(submission) = self.pending.borrow().clone() else {
            return;
        };
        let widget = Rc::clone(self);
        submission.send(Box::new(move |result| widget.sent(result)));
    }

    fn sent(self: &Rc<Self>, result: Result<Created, u16>) {
        let score = self.score.get();
        match result {
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
        let created = self.created.borrow().clone();
        let widget = Rc::clone(self);
        let done = Box::new(move || _ = widget.advance(Event::CommentDone));
        match created {
            // The score is stored; a lost comment is not worth an error screen.
            Some(created) => self.options.api.add_comment(&created, &text, done),
            None => done(),
        }
    }

    fn dismiss(self: &Rc<Self>) {
        if self.advance(Event::Dismissed) {
            let category = self.created.borrow().as_ref().and(self.score.get()).map(Category::from);
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
