//! The widget's Leptos components: the card, the 0–10 scale, the failure line, the
//! follow-up form and the last line (thanks or a refusal).
//!
//! They are pure functions of a few narrow signals ([`Signals`]) and know nothing of
//! the state machine or the network: `app.rs` sets the signals from the stage. The
//! visitor's acts reach the controller's [`Handlers`] through [`listen`], which takes
//! the card's events where they arrive, at the shadow root. No `Memo`, no `Effect`,
//! no per-element handlers, and branches as `Either` rather than `AnyView`: each
//! costs wasm that a widget has to pay for on every page that shows it.
//!
//! Accessibility (WCAG 2.2 AA): the scale is a radio group with one tab stop (roving
//! tabindex; arrows, Home and End move focus, mirrored right to left; Enter, Space or
//! a click choose); the radios at the ends carry the end labels in their names
//! ("0 – Not at all likely"); every target is at least 24 px; the last line is
//! written into a live region that exists from the start, so screen readers announce
//! it.

use crate::state::{Refusal, Screen};
use crate::{dom, texts};
use leptos::either::{Either, EitherOf3};
use leptos::prelude::*;
use nps_shared::Score;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use web_sys::{HtmlElement, HtmlTextAreaElement, KeyboardEvent};

/// The id of the question text, which labels the radio group.
pub const QUESTION_ID: &str = "nps-q";
const COMMENT_ID: &str = "nps-c";
/// The radios' text, without number formatting in the wasm.
pub const DIGITS: [&str; 11] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10"];

/// What is on screen, as the controller sets it. Each signal changes only when what it
/// shows changes, so a view is rebuilt only then (and focus stays where it was
/// otherwise).
#[derive(Clone, Copy)]
pub struct Signals {
    pub screen: RwSignal<Screen>,
    /// The score shown checked; the scale ignores choices while there is one.
    pub chosen: RwSignal<Option<Score>>,
    /// The radio that is the scale's one tab stop.
    /// (The type of `chosen`: each type of signal is code of its own in the wasm.)
    pub tab_stop: RwSignal<Option<Score>>,
    /// The failure line: `Some(queued)` while there is one.
    pub failure: RwSignal<Option<bool>>,
    /// Whether the comment is on its way (its send button disabled).
    pub saving: RwSignal<bool>,
}

impl Signals {
    pub fn new() -> Signals {
        Signals {
            screen: RwSignal::new(Screen::Nothing),
            chosen: RwSignal::new(None),
            tab_stop: RwSignal::new(Score::all().next()),
            failure: RwSignal::new(None),
            saving: RwSignal::new(false),
        }
    }
}

/// What the card says: a survey's texts for the page's life (a widget is not
/// unmounted), so that the views take `&'static str`s, without copies, and only one
/// kind of text node.
pub struct Texts {
    pub texts: texts::Texts,
    /// The accessible names of the radios at the ends: "0 – Not at all likely".
    pub low_name: String,
    pub high_name: String,
}

impl std::ops::Deref for Texts {
    type Target = texts::Texts;

    fn deref(&self) -> &texts::Texts {
        &self.texts
    }
}

impl Texts {
    pub fn new(texts: texts::Texts) -> &'static Texts {
        let low_name = ["0 – ", &texts.low].concat();
        let high_name = ["10 – ", &texts.high].concat();
        Box::leak(Box::new(Texts {
            texts,
            low_name,
            high_name,
        }))
    }
}

/// The card: a close button (floating cards only), the screen's body with its failure
/// line, and the `role=status` live region for the last line. `class` is the placement
/// (`card br`, `card bl`, `card inline`). Built once: what changes is inside it (the
/// controller removes the card itself when the survey closes, for good).
#[component]
pub fn Card(
    texts: &'static Texts,
    class: &'static str,
    floating: bool,
    signals: Signals,
) -> impl IntoView {
    let close = floating.then(|| {
        view! {
            <button class="x" type="button" aria-label=texts.close.as_str() data-testid="nps-dismiss">
                "×"
            </button>
        }
    });
    view! {
        <section
            class=class
            data-testid="nps-widget"
            lang=texts.language.as_str()
            dir=if texts.rtl { "rtl" } else { "ltr" }
        >
            {close}
            <div>
                <Body texts signals />
                <FailureLine texts failure=signals.failure />
            </div>
            <div role="status">
                <LastLine texts screen=signals.screen />
            </div>
        </section>
    }
}

/// The screen: the question and its scale, or the follow-up form, or nothing.
#[component]
fn Body(texts: &'static Texts, signals: Signals) -> impl IntoView {
    move || match signals.screen.get() {
        Screen::Question => EitherOf3::A(view! { <Question texts signals /> }),
        Screen::FollowUp(category) => EitherOf3::B(view! {
            <FollowUp texts question=texts.follow_up.for_category(category) saving=signals.saving />
        }),
        Screen::Nothing | Screen::Thanks | Screen::Refused(_) => EitherOf3::C(()),
    }
}

/// The question, the scale and its labelled ends.
#[component]
fn Question(texts: &'static Texts, signals: Signals) -> impl IntoView {
    let Signals {
        chosen, tab_stop, ..
    } = signals;
    let radios = Score::all()
        .enumerate()
        .map(|(index, score)| {
            let name = match index {
                0 => Some(texts.low_name.as_str()),
                10 => Some(texts.high_name.as_str()),
                _ => None,
            };
            view! {
                <button
                    class="r"
                    type="button"
                    role="radio"
                    aria-checked=move || if chosen.get() == Some(score) { "true" } else { "false" }
                    aria-disabled=move || chosen.get().map(|_| "true")
                    tabindex=move || if tab_stop.get() == Some(score) { "0" } else { "-1" }
                    aria-label=name
                >
                    {DIGITS[index]}
                </button>
            }
        })
        .collect_view();
    view! {
        <p class="q" id=QUESTION_ID>
            {texts.question.as_str()}
        </p>
        <div class="scale" role="radiogroup" aria-labelledby=QUESTION_ID>
            {radios}
        </div>
        <div class="ends" aria-hidden="true">
            <span>{texts.low.as_str()}</span>
            <span>{texts.high.as_str()}</span>
        </div>
    }
}

/// The failure line under the screen, an alert: queued (sent by itself later) or not,
/// with a button to try again now.
#[component]
fn FailureLine(texts: &'static Texts, failure: RwSignal<Option<bool>>) -> impl IntoView {
    move || {
        failure.get().map(|queued| {
            let (class, text, test_id) = if queued {
                ("err queued", texts.queued.as_str(), "nps-queued")
            } else {
                ("err", texts.error.as_str(), "nps-error")
            };
            view! {
                <p class=class role="alert" data-testid=test_id>
                    {text}
                    <button class="retry" type="button">
                        {texts.retry.as_str()}
                    </button>
                </p>
            }
        })
    }
}

/// The follow-up question for the visitor's category and a comment box.
#[component]
fn FollowUp(
    texts: &'static Texts,
    question: &'static str,
    saving: RwSignal<bool>,
) -> impl IntoView {
    view! {
        <form>
            <label class="q" for=COMMENT_ID data-testid="nps-follow-up">
                {question}
            </label>
            <textarea
                id=COMMENT_ID
                placeholder=texts.placeholder.as_str()
                maxlength="2000"
                rows="3"
            ></textarea>
            <button class="send" type="submit" disabled=move || saving.get()>
                {texts.send.as_str()}
            </button>
        </form>
    }
}

/// The widget's last line (thanks, or why the answer was refused), in the live region.
#[component]
fn LastLine(texts: &'static Texts, screen: RwSignal<Screen>) -> impl IntoView {
    move || {
        let (line, test_id) = match screen.get() {
            Screen::Thanks => (texts.thanks.as_str(), "nps-thanks"),
            Screen::Refused(Refusal::AlreadyAnswered) => (texts.already.as_str(), "nps-already"),
            Screen::Refused(Refusal::LinkInvalid) => {
                (texts.invalid_link.as_str(), "nps-invalid-link")
            }
            Screen::Nothing | Screen::Question | Screen::FollowUp(_) => {
                return Either::Right(());
            }
        };
        Either::Left(view! {
            <p class="thanks" data-testid=test_id>
                {line}
            </p>
        })
    }
}

/// What the card does when the visitor acts; `app.rs` wires these to the state.
pub struct Handlers {
    pub choose: Box<dyn Fn(Score)>,
    pub retry: Box<dyn Fn()>,
    pub comment: Box<dyn Fn(String)>,
    pub dismiss: Box<dyn Fn()>,
}

/// The card's events, taken where they arrive at the shadow `root` (they all bubble
/// there) rather than by a listener per element: the views stay pure functions of the
/// signals, and the wasm carries one listener per kind of event instead of one per
/// handler (with Leptos' thread check on each).
///
/// Clicks: a radio chooses, the close button dismisses, the failure line's button
/// retries. Keys on a radio: arrows, Home and End move focus (mirrored right to left),
/// Enter and Space choose; Escape closes a floating card. Focus on a radio makes it the
/// tab stop. Sending the form sends the comment.
pub fn listen(
    root: &web_sys::ShadowRoot,
    rtl: bool,
    floating: bool,
    tab_stop: RwSignal<Option<Score>>,
    handlers: Handlers,
) {
    let handlers = Rc::new(handlers);
    let on = Rc::clone(&handlers);
    dom::on(root, "click", move |event| {
        let Some(target) = target(&event) else {
            return;
        };
        if let Some(score) = radio_score(&target) {
            (on.choose)(score);
        } else if target.class_name() == "x" {
            (on.dismiss)();
        } else if target.class_name() == "retry" {
            (on.retry)();
        }
    });
    let on = Rc::clone(&handlers);
    dom::on(root, "keydown", move |event| {
        let (Some(target), Some(key)) = (target(&event), event.dyn_ref::<KeyboardEvent>()) else {
            return;
        };
        let key = key.key();
        if floating && key == "Escape" {
            return (on.dismiss)();
        }
        if let Some(score) = radio_score(&target) {
            let index = usize::from(score.value());
            if let Some(to) = arrow(&key, index, rtl) {
                event.prevent_default();
                let radio = target
                    .parent_element()
                    .and_then(|scale| scale.children().item(to as u32))
                    .and_then(|radio| radio.dyn_into::<HtmlElement>().ok());
                if let Some(radio) = radio {
                    let _ = radio.focus();
                }
            } else if key == "Enter" || key == " " {
                // Also stops the button's own click, which would choose twice.
                event.prevent_default();
                (on.choose)(score);
            }
        }
    });
    dom::on(root, "focusin", move |event| {
        if let Some(score) = target(&event).as_ref().and_then(radio_score) {
            tab_stop.set(Some(score));
        }
    });
    dom::on(root, "submit", move |event| {
        event.prevent_default();
        let area = target(&event)
            .and_then(|form| form.query_selector("textarea").ok().flatten())
            .and_then(|area| area.dyn_into::<HtmlTextAreaElement>().ok());
        if let Some(area) = area {
            (handlers.comment)(area.value());
        }
    });
}

fn target(event: &web_sys::Event) -> Option<web_sys::Element> {
    event.target()?.dyn_into().ok()
}

/// The score of a radio of the scale (its text is the number).
fn radio_score(element: &web_sys::Element) -> Option<Score> {
    if element.get_attribute("role").as_deref() != Some("radio") {
        return None;
    }
    let digits = element.text_content()?;
    let index = DIGITS.iter().position(|d| *d == digits)?;
    Score::try_from(index as u8).ok()
}

/// Where an arrow, Home or End key moves focus from radio `index`.
fn arrow(key: &str, index: usize, rtl: bool) -> Option<usize> {
    let (next, previous) = if rtl {
        ("ArrowLeft", "ArrowRight")
    } else {
        ("ArrowRight", "ArrowLeft")
    };
    Some(match key {
        "ArrowDown" => (index + 1) % 11,
        "ArrowUp" => (index + 10) % 11,
        k if k == next => (index + 1) % 11,
        k if k == previous => (index + 10) % 11,
        "Home" => 0,
        "End" => 10,
        _ => return None,
    })
}
