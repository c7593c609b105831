//! The controller: from a survey's config to the first paint, and from the visitor's
//! acts to requests. It wires `api.rs` (network) to `state.rs` (transitions) and sets
//! the few signals that `view.rs` reads, in the shadow root the widget lives in (the
//! loader's, or the one `NpsSurvey` made). Nothing outside that shadow root is
//! touched: whether to show the survey at all (throttle, triggers) and what the page
//! hears about it (DOM events, the throttle's `localStorage` entry) are the loader's,
//! told through the `on` callback. The only other thing it does to the page is to give
//! focus back to where it was when the card closes.

use crate::api::{self, Api, Created, Submission};
use crate::dom::{self, get, text};
use crate::retry::{self, MAX_RETRIES};
use crate::state::{Event, Refusal, Screen, Stage};
use crate::style::{self, Theme};
use crate::texts::{self, Texts};
use crate::view::{self, Card, Handlers, Signals};
use crate::{embed, json};
use leptos::prelude::*;
use nps_shared::api::{Channel, FollowUp, Position};
use nps_shared::{Category, Score};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{HtmlElement, ShadowRoot};

/// How long the last line (thanks, refusal) stays before a floating widget goes away.
/// (Short in the tests, which wait for it.)
const THANKS_FOR_MS: u32 = if cfg!(test) { 300 } else { 5000 };

/// Who answers, as far as the page knows: sent with the answer as its `respondent`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Respondent {
    /// The page's own id of the person (`u_123`).
    pub id: Option<String>,
    pub email: Option<String>,
    /// The shop server's proof of `id` (hex HMAC-SHA256 with its `IDENTITY_SECRET`):
    /// without it the worker keeps `id` and `email` as unverified claims.
    pub user_hash: Option<String>,
}

/// What the widget tells its page: `kind` is `shown`, `submitted` (the score is
/// stored; `category` says what it means), `dismissed` (closed; what was answered, if
/// anything), `already` (answered before: a 409) or `queued` (kept in the outbox, to be
/// sent later).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Told {
    pub kind: &'static str,
    pub score: Option<Score>,
    pub category: Option<Category>,
}

/// What `NpsSurvey`'s `on` runs: `on=|told: Told| …` in `view!`.
#[derive(Clone)]
pub struct OnTold(Rc<dyn Fn(Told)>);

impl<F: Fn(Told) + 'static> From<F> for OnTold {
    fn from(f: F) -> OnTold {
        OnTold(Rc::new(f))
    }
}

/// Who answers and the answer's properties: given as they are, or asked for when the
/// answer is sent (the loader's `who()`: an `nps('identify', …)` after the survey
/// appeared still counts).
pub enum Who {
    Given(Respondent, Vec<(String, String)>),
    Asked(JsValue),
}

/// Everything a survey needs besides its config (from `NpsSurvey`'s props).
pub struct Setup {
    pub survey: String,
    pub api: Api,
    pub token: Option<String>,
    pub channel: Channel,
    pub score: Option<Score>,
    pub position: Option<Position>,
    pub who: Who,
    pub on: Option<OnTold>,
}

impl Setup {
    /// Tells the page what happened.
    fn notify(&self, kind: &'static str, score: Option<Score>, category: Option<Category>) {
        if let Some(OnTold(on)) = &self.on {
            on(Told {
                kind,
                score,
                category,
            });
        }
    }

    /// The answer's JSON. Who answers is asked now when it is asked at all; a `who()`
    /// whose answer is not `{ id?, email?, user_hash?, properties? }` of strings is
    /// nobody.
    fn answer(&self, score: Score, language: &str) -> String {
        let page_url = dom::window()
            .ok()
            .and_then(|w| w.location().href().ok())
            .filter(|href| href.starts_with("http"));
        let body = json::Object::new()
            .string("survey_id", &self.survey)
            .small("score", score.value())
            .string("channel", self.channel.as_str())
            .string("locale", language)
            .optional("page_url", page_url.as_deref());
        let who = match &self.who {
            Who::Given(respondent, properties) => Some((respondent.clone(), properties.clone())),
            Who::Asked(who) => {
                let who = who
                    .dyn_ref::<js_sys::Function>()
                    .and_then(|f| f.call0(&JsValue::NULL).ok())
                    .unwrap_or(JsValue::UNDEFINED);
                let read = respondent(&who);
                if read.is_none() && !who.is_undefined() {
                    dom::warn("who() gave no respondent", &who);
                }
                read
            }
        };
        let body = match who {
            Some((respondent, properties)) => {
                let respondent = [
                    ("id", respondent.id.as_deref()),
                    ("email", respondent.email.as_deref()),
                    ("user_hash", respondent.user_hash.as_deref()),
                ];
                body.strings(
                    "respondent",
                    respondent.iter().filter_map(|(k, v)| Some((*k, (*v)?))),
                )
                .strings(
                    "properties",
                    properties.iter().map(|(k, v)| (k.as_str(), v.as_str())),
                )
            }
            None => body,
        };
        body.optional("token", self.token.as_deref()).finish()
    }
}

/// `{ id?, email?, user_hash?, properties? }` with string values only.
fn respondent(who: &JsValue) -> Option<(Respondent, Vec<(String, String)>)> {
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
    let user_hash = field("user_hash").ok()?;
    let mut properties = Vec::new();
    let props = get(who, "properties");
    if props.is_object() {
        for entry in js_sys::Object::entries(props.unchecked_ref()).iter() {
            let pair = js_sys::Array::from(&entry);
            properties.push((pair.get(0).as_string()?, pair.get(1).as_string()?));
        }
    }
    Some((
        Respondent {
            id,
            email,
            user_hash,
        },
        properties,
    ))
}

/// Every word of the card, from the config (`GET /v1/surveys/{id}/config`): its
/// `texts`, `messages`, `locale` and `dir`, all in the one language the worker chose.
fn config_texts(config: &JsValue) -> Texts {
    let texts = get(config, "texts");
    let follow_up = get(&texts, "follow_up");
    let messages = get(config, "messages");
    Texts {
        language: texts::language(&text(config, "locale")),
        rtl: text(config, "dir") == "rtl",
        question: text(&texts, "question"),
        low: text(&texts, "low_label"),
        high: text(&texts, "high_label"),
        follow_up: FollowUp {
            detractor: text(&follow_up, "detractor"),
            passive: text(&follow_up, "passive"),
            promoter: text(&follow_up, "promoter"),
        },
        placeholder: text(&texts, "comment_placeholder"),
        send: text(&texts, "submit"),
        close: text(&texts, "dismiss"),
        thanks: text(&texts, "thanks"),
        error: text(&messages, "error"),
        retry: text(&messages, "retry"),
        queued: text(&messages, "queued"),
        already: text(&messages, "already_answered"),
        invalid_link: text(&messages, "invalid_link"),
    }
}

thread_local! {
    /// Widgets rendered by [`render`] and not yet started.
    static MOUNTING: RefCell<Vec<Rc<Widget>>> = const { RefCell::new(Vec::new()) };
}

/// The card for the survey in `root` (an open shadow root, where the caller mounts
/// it); [`start_mounted`] starts it once it is mounted. A config it cannot show is a
/// `console.warn` and nothing.
pub fn render(root: ShadowRoot, setup: Setup, config: &JsValue) -> Option<impl IntoView + use<>> {
    let widget = Widget::new(root, setup, config)?;
    MOUNTING.with(|mounting| mounting.borrow_mut().push(Rc::clone(&widget)));
    Some(widget.card())
}

/// Starts what [`render`] rendered, now that it is in the document (still within
/// `mount`, as the loader expects: `shown` is told before `mount` returns).
pub fn start_mounted() {
    for widget in MOUNTING.with(|mounting| mounting.take()) {
        widget.started();
    }
}

/// Shows the survey in `root` at once: mounts its card there and starts it.
#[cfg(feature = "app")]
pub fn show(root: ShadowRoot, setup: Setup, config: &JsValue) {
    let Some(widget) = Widget::new(root.clone(), setup, config) else {
        return;
    };
    let card = widget.card();
    leptos::mount::mount_to(shadow_parent(root), move || card).forget();
    widget.started();
}

/// A shadow root as the parent Leptos mounts into: it only appends and inserts
/// children, which a shadow root (a `Node`) does like an element, and the card stays
/// its direct child (no wrapper element that the tests and styles would see).
pub fn shadow_parent(root: ShadowRoot) -> HtmlElement {
    root.unchecked_into()
}

/// One mounted survey: its signals, its stage and what it knows besides.
struct Widget {
    root: ShadowRoot,
    setup: Setup,
    texts: &'static view::Texts,
    floating: bool,
    /// The card's placement class.
    class: &'static str,
    signals: Signals,
    stage: Cell<Stage>,
    /// The answer (then its comment) being sent; kept so a retry re-sends it with the
    /// same key.
    pending: RefCell<Option<Submission>>,
    /// The stored answer, whose edit token lets the comment be added.
    created: RefCell<Option<Created>>,
    /// The score the visitor chose (or the preset one), once chosen.
    score: Cell<Option<Score>>,
    /// Automatic retries so far of the pending answer (or comment).
    retries: Cell<u32>,
    queued_told: Cell<bool>,
    /// Where focus was when the card opened: it goes back there when the card closes.
    return_focus: Option<HtmlElement>,
}

impl Widget {
    /// Reads the config, adopts the themed stylesheet into `root` and moves to the
    /// question.
    fn new(root: ShadowRoot, setup: Setup, config: &JsValue) -> Option<Rc<Widget>> {
        let theme_config = get(config, "theme");
        let theme = Theme {
            brand: text(&theme_config, "accent"),
            radius: get(&theme_config, "radius")
                .as_f64()
                .filter(|r| (0.0..=255.0).contains(r))
                .map(|r| r as u8),
            font: text(&theme_config, "font"),
        };
        let position = setup
            .position
            .or_else(|| embed::position(&text(&theme_config, "position")))
            .unwrap_or_default();
        let texts = config_texts(config);
        if let Err(e) = style::install(&root, &theme) {
            dom::warn("cannot render", &e);
            return None;
        }
        let document = dom::document().ok()?;
        let return_focus = document
            .active_element()
            .filter(|e| Some(e) != document.body().as_ref().map(AsRef::as_ref))
            .and_then(|e| e.dyn_into::<HtmlElement>().ok());
        let widget = Rc::new(Widget {
            root,
            setup,
            texts: view::Texts::new(texts),
            floating: position != Position::Inline,
            class: match position {
                Position::BottomRight => "card br",
                Position::BottomLeft => "card bl",
                Position::Inline => "card inline",
            },
            signals: Signals::new(),
            stage: Cell::new(Stage::Loading),
            pending: RefCell::new(None),
            created: RefCell::new(None),
            score: Cell::new(None),
            retries: Cell::new(0),
            queued_told: Cell::new(false),
            return_focus,
        });
        widget.advance(Event::ConfigLoaded);
        Some(widget)
    }

    /// The card's view. Its events are taken at the shadow root, by handlers over a
    /// weak-free `Rc` (the widget lives as long as the page).
    fn card(self: &Rc<Self>) -> impl IntoView + use<> {
        let (a, b, c, d) = (
            Rc::clone(self),
            Rc::clone(self),
            Rc::clone(self),
            Rc::clone(self),
        );
        let handlers = Handlers {
            choose: Box::new(move |score| a.choose(score)),
            retry: Box::new(move || b.retry()),
            comment: Box::new(move |text| c.comment(&text)),
            dismiss: Box::new(move || d.dismiss()),
        };
        view::listen(
            &self.root,
            self.texts.rtl,
            self.floating,
            self.signals.tab_stop,
            handlers,
        );
        view! { <Card texts=self.texts class=self.class floating=self.floating signals=self.signals /> }
    }

    /// Once the card is in the document: the scale takes input, the page is told, a
    /// preset score is sent, and a queued answer is retried when the connection is back.
    fn started(self: &Rc<Self>) {
        // e2e/bench/widget-speed.mjs measures the start up to here.
        if let Ok(window) = dom::window() {
            let performance = get(&window, "performance");
            if let Ok(mark) = get(&performance, "mark").dyn_into::<js_sys::Function>() {
                let _ = mark.call1(&performance, &"nps:interactive".into());
            }
        }
        self.setup.notify("shown", None, None);
        // The score chosen in the e-mail is sent at once; the scale shows it, locked.
        if let Some(score) = self.setup.score {
            self.choose(score);
        }
        let online = Rc::clone(self);
        if let Ok(window) = dom::window() {
            dom::on(&window, "online", move |_| {
                if online.stage.get().is_queued() {
                    online.retry();
                }
            });
        }
    }

    /// Moves the stage on and sets the signals; `false` when the event did not apply
    /// (and nothing should happen).
    fn advance(self: &Rc<Self>, event: Event) -> bool {
        let before = self.stage.get();
        let after = before.on(event);
        if after == before {
            return false;
        }
        self.stage.set(after);
        self.draw(before, after);
        if after.is_last_line() && self.floating {
            let widget = Rc::clone(self);
            dom::after(THANKS_FOR_MS, move || {
                widget.advance(Event::ThanksElapsed);
            });
        }
        true
    }

    fn card_element(&self) -> Option<web_sys::Element> {
        self.root.query_selector("section").ok().flatten()
    }

    fn focus_inside(&self) -> bool {
        self.root.active_element().is_some()
    }

    /// Sets each signal whose value changed. The view follows in a microtask; what is
    /// done to focus in a new view waits for it (a timer comes after every microtask).
    /// The card's end is done at once, as the card is removed at once.
    fn draw(self: &Rc<Self>, before: Stage, after: Stage) {
        let signals = self.signals;
        if before.screen() != after.screen() {
            let had_focus = self.focus_inside();
            match after.screen() {
                Screen::Nothing => {
                    // For good: removed as it is rather than through a signal, which
                    // would make Leptos carry code to rebuild the whole card.
                    if let Some(card) = self.card_element() {
                        card.remove();
                    }
                    self.give_focus_back(had_focus);
                }
                Screen::FollowUp(category) => {
                    // Set once and kept (a hook for the page's styles), like the class.
                    if let Some(card) = self.card_element() {
                        let _ = card.set_attribute("data-category", category.as_str());
                    }
                    // The radio that had focus is gone: keep keyboard users in the card.
                    let root = self.root.clone();
                    dom::after(0, move || focus(&root, "textarea"));
                }
                Screen::Thanks | Screen::Refused(_) => {
                    if had_focus && self.floating {
                        let root = self.root.clone();
                        dom::after(0, move || focus(&root, ".x"));
                    }
                }
                Screen::Question => {}
            }
            signals.screen.set(after.screen());
        }
        if before.chosen() != after.chosen() {
            signals.chosen.set(after.chosen());
            if let Some(score) = after.chosen() {
                signals.tab_stop.set(Some(score));
            }
        }
        let failure = |stage: Stage| stage.is_error().then_some(stage.is_queued());
        if failure(before) != failure(after) {
            signals.failure.set(failure(after));
        }
        if before.is_saving() != after.is_saving() {
            signals.saving.set(after.is_saving());
        }
    }

    /// The card is gone: if focus was in it (or is nowhere now), back to where it came
    /// from.
    fn give_focus_back(&self, had_focus: bool) {
        let Ok(document) = dom::document() else {
            return;
        };
        let lost = had_focus
            || document.active_element().is_none_or(|e| {
                document
                    .body()
                    .is_some_and(|b| AsRef::<web_sys::Element>::as_ref(&b) == &e)
            });
        if lost
            && let Some(element) = &self.return_focus
            && element.is_connected()
        {
            let _ = element.focus();
        }
    }

    fn choose(self: &Rc<Self>, score: Score) {
        if !self.advance(Event::Chose(score)) {
            return;
        }
        self.score.set(Some(score));
        let key = match &self.setup.token {
            Some(token) => embed::token_key(token, score),
            None => api::new_idempotency_key(),
        };
        let body = self.setup.answer(score, &self.texts.language);
        let url = [self.setup.api.origin.as_str(), "/v1/responses"].concat();
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
                if self.setup.token.is_some() {
                    confirm_on_first_touch(Rc::clone(self));
                }
                // Stored even if the visitor closed the card meanwhile: the loader must
                // know it was answered.
                self.setup.notify("submitted", score, Some(category));
                self.advance(Event::Stored(category));
            }
            Err(status) => {
                if let Some(why) = Refusal::of_status(status, self.setup.token.is_some()) {
                    if why == Refusal::AlreadyAnswered {
                        // Answered before: not to be asked again either.
                        self.setup.notify("already", score, None);
                    }
                    self.advance(Event::Refused(why));
                    return;
                }
                let queued = retry::is_retryable(status);
                self.advance(Event::SendFailed { queued });
                if queued {
                    if !self.queued_told.replace(true) {
                        // Kept in the outbox: as good as answered for the throttle.
                        self.setup.notify("queued", score, None);
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
        let comment = self.setup.api.comment(&answer.key, &created, &text);
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
            self.setup.notify("dismissed", self.score.get(), category);
        }
    }
}

/// Focuses the first element matching `selector` in `root`, if any.
fn focus(root: &ShadowRoot, selector: &str) {
    if let Ok(Some(element)) = root.query_selector(selector)
        && let Ok(element) = element.dyn_into::<HtmlElement>()
    {
        let _ = element.focus();
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
            widget.setup.api.confirm(&created);
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mount;
    use crate::test_support::{self as t, all, field, one, posts, shows, told, until};
    use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
    use web_sys::HtmlTextAreaElement;

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
            [
                "No connection right now. Your answer is saved and will be sent automatically.",
                "Try again"
            ]
            .concat()
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
            body.ends_with(&format!(
                r#","respondent":{{"id":"u_7","user_hash":"{}"}},"properties":{{"store":"berlin"}}}}"#,
                "0a".repeat(32)
            )),
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
            [
                "No connection right now. Your answer is saved and will be sent automatically.",
                "Try again"
            ]
            .concat()
        );
        assert!(shows(&root, "textarea"), "the follow-up stays");
        assert!(
            one(&root, "button[type=submit]").has_attribute("disabled"),
            "no second comment while this one waits"
        );
        let comment_key = [answer_key.as_str(), crate::outbox::COMMENT].concat();
        assert_eq!(t::outbox_keys(), std::slice::from_ref(&comment_key));
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
            leptos::task::tick().await;
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
    async fn arabic_from_the_config_is_right_to_left_and_its_arrows_mirror() {
        let _fetch = t::fake_fetch(&[]);
        let (host, root) = t::host();
        mount(
            root.clone(),
            t::options_with("", &t::built_in_config_json("ar")),
        );
        until("the scale shows", || shows(&root, "[role=radio]")).await;
        let card = one(&root, "[data-testid=nps-widget]");
        assert_eq!(card.get_attribute("dir").as_deref(), Some("rtl"));
        assert_eq!(card.get_attribute("lang").as_deref(), Some("ar"));
        let arabic = nps_shared::words::built_in("ar").expect("ar");
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
    async fn the_card_says_what_the_config_says_in_its_language() {
        let _fetch = t::fake_fetch(&[]);
        // data-locale asks; the config (the worker's choice) decides.
        let (host, root) = shown(r#","locale":"de""#).await;
        assert_eq!(
            t::text(&one(&root, "#nps-q")),
            "How likely are you to recommend us to a friend?"
        );
        let card = one(&root, "[data-testid=nps-widget]");
        assert_eq!(card.get_attribute("lang").as_deref(), Some("en"));
        assert_eq!(card.get_attribute("dir").as_deref(), Some("ltr"));
        host.remove();
        let (host, root) = t::host();
        mount(
            root.clone(),
            t::options_with("", &t::built_in_config_json("de-CH")),
        );
        until("the scale shows", || shows(&root, "[role=radio]")).await;
        let german = nps_shared::words::built_in("de").expect("de");
        assert_eq!(t::text(&one(&root, "#nps-q")), german.question);
        let card = one(&root, "[data-testid=nps-widget]");
        assert_eq!(card.get_attribute("lang").as_deref(), Some("de"));
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
        leptos::task::tick().await;
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
