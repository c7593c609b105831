//! The widget's Leptos components: the card, the 0–10 scale, the failure line, the
//! follow-up form and the last line (thanks or a refusal).
//!
//! They read a few narrow signals ([`Signals`]) and call [`Handlers`]; they know
//! nothing of the state machine or the network: `app.rs` sets the signals from the
//! stage and wires the handlers. No `Memo`, no `Effect`, and branches as `Either`
//! rather than `AnyView`: each costs wasm that a widget has to pay for on every page
//! that shows it.
//!
//! Accessibility (WCAG 2.2 AA): the scale is a radio group with one tab stop (roving
//! tabindex; arrows, Home and End move focus, mirrored right to left; Enter, Space or
//! a click choose); the radios at the ends carry the end labels in their names
//! ("0 – Not at all likely"); every target is at least 24 px; the last line is
//! written into a live region that exists from the start, so screen readers announce
//! it.

use crate::i18n::Texts;
use crate::state::{Refusal, Screen};
use leptos::either::{Either, EitherOf3};
use leptos::prelude::*;
use nps_shared::Score;
use send_wrapper::SendWrapper;
use std::rc::Rc;
use std::sync::Arc;
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
    /// Whether the card is in the shadow root at all.
    pub shown: RwSignal<bool>,
    pub screen: RwSignal<Screen>,
    /// The score shown checked; the scale ignores choices while there is one.
    pub chosen: RwSignal<Option<Score>>,
    /// The radio that is the scale's one tab stop.
    pub tab_stop: RwSignal<usize>,
    /// The failure line: `Some(queued)` while there is one.
    pub failure: RwSignal<Option<bool>>,
    /// Whether the comment is on its way (its send button disabled).
    pub saving: RwSignal<bool>,
    /// The category of the stored answer, on the card as `data-category`.
    pub category: RwSignal<Option<&'static str>>,
}

impl Signals {
    pub fn new() -> Signals {
        Signals {
            shown: RwSignal::new(true),
            screen: RwSignal::new(Screen::Nothing),
            chosen: RwSignal::new(None),
            tab_stop: RwSignal::new(0),
            failure: RwSignal::new(None),
            saving: RwSignal::new(false),
            category: RwSignal::new(None),
        }
    }
}

/// What the card does when the visitor acts; `app.rs` wires these to the state.
#[derive(Clone)]
pub struct Handlers {
    pub choose: Rc<dyn Fn(Score)>,
    pub retry: Rc<dyn Fn()>,
    pub comment: Rc<dyn Fn(String)>,
    pub dismiss: Rc<dyn Fn()>,
}

/// A view closure must be `Send`; the handlers hold the controller, which lives on the
/// browser's one thread.
type Shared = SendWrapper<Handlers>;

/// The card: a close button (floating cards only), the screen's body with its failure
/// line, and the `role=status` live region for the last line. `class` is the placement
/// (`card br`, `card bl`, `card inline`).
#[component]
pub fn Card(
    texts: Arc<Texts>,
    class: &'static str,
    floating: bool,
    signals: Signals,
    handlers: Handlers,
) -> impl IntoView {
    let handlers: Shared = SendWrapper::new(handlers);
    move || {
        signals.shown.get().then(|| {
            let dismiss = Rc::clone(&handlers.dismiss);
            let escape = Rc::clone(&dismiss);
            let close = floating.then(|| {
                view! {
                    <button
                        class="x"
                        type="button"
                        aria-label=texts.close.clone()
                        data-testid="nps-dismiss"
                        on:click=move |_| dismiss()
                    >
                        "×"
                    </button>
                }
            });
            view! {
                <section
                    class=class
                    data-testid="nps-widget"
                    lang=texts.language.clone()
                    dir=if texts.rtl { "rtl" } else { "ltr" }
                    data-category=move || signals.category.get()
                    on:keydown=move |event: KeyboardEvent| {
                        if floating && event.key() == "Escape" {
                            escape();
                        }
                    }
                >
                    {close}
                    <div>
                        <Body texts=Arc::clone(&texts) signals handlers=handlers.clone() />
                        <FailureLine texts=Arc::clone(&texts) signals handlers=handlers.clone() />
                    </div>
                    <div role="status">
                        <LastLine texts=Arc::clone(&texts) screen=signals.screen />
                    </div>
                </section>
            }
        })
    }
}

/// The screen: the question and its scale, or the follow-up form, or nothing.
#[component]
fn Body(texts: Arc<Texts>, signals: Signals, handlers: Shared) -> impl IntoView {
    move || match signals.screen.get() {
        Screen::Question => EitherOf3::A(view! {
            <Question texts=Arc::clone(&texts) signals choose=Rc::clone(&handlers.choose) />
        }),
        Screen::FollowUp(category) => EitherOf3::B(view! {
            <FollowUp
                texts=Arc::clone(&texts)
                question=texts.follow_up(category).to_owned()
                saving=signals.saving
                comment=Rc::clone(&handlers.comment)
            />
        }),
        Screen::Nothing | Screen::Thanks | Screen::Refused(_) => EitherOf3::C(()),
    }
}

/// The question, the scale and its labelled ends.
#[component]
fn Question(texts: Arc<Texts>, signals: Signals, choose: Rc<dyn Fn(Score)>) -> impl IntoView {
    let Signals {
        chosen, tab_stop, ..
    } = signals;
    let rtl = texts.rtl;
    let radios = Score::all()
        .enumerate()
        .map(|(index, score)| {
            let name = match index {
                0 => Some(["0 – ", &texts.low].concat()),
                10 => Some(["10 – ", &texts.high].concat()),
                _ => None,
            };
            let (click, key) = (Rc::clone(&choose), Rc::clone(&choose));
            view! {
                <button
                    class="r"
                    type="button"
                    role="radio"
                    aria-checked=move || if chosen.get() == Some(score) { "true" } else { "false" }
                    aria-disabled=move || chosen.get().map(|_| "true")
                    tabindex=move || if tab_stop.get() == index { "0" } else { "-1" }
                    aria-label=name
                    on:click=move |_| click(score)
                    on:keydown=move |event: KeyboardEvent| keydown(&event, index, rtl, || key(score))
                    on:focus=move |_| tab_stop.set(index)
                >
                    {DIGITS[index]}
                </button>
            }
        })
        .collect_view();
    view! {
        <p class="q" id=QUESTION_ID>
            {texts.question.clone()}
        </p>
        <div class="scale" role="radiogroup" aria-labelledby=QUESTION_ID>
            {radios}
        </div>
        <div class="ends" aria-hidden="true">
            <span>{texts.low.clone()}</span>
            <span>{texts.high.clone()}</span>
        </div>
    }
}

/// A key on radio `index`: arrows, Home and End move focus (whose radio then becomes
/// the tab stop), Enter and Space choose.
fn keydown(event: &KeyboardEvent, index: usize, rtl: bool, choose: impl FnOnce()) {
    let (next, previous) = if rtl {
        ("ArrowLeft", "ArrowRight")
    } else {
        ("ArrowRight", "ArrowLeft")
    };
    let key = event.key();
    let target = match key.as_str() {
        "ArrowDown" => (index + 1) % 11,
        "ArrowUp" => (index + 10) % 11,
        k if k == next => (index + 1) % 11,
        k if k == previous => (index + 10) % 11,
        "Home" => 0,
        "End" => 10,
        "Enter" | " " => {
            // Also stops the button's own click, which would choose twice.
            event.prevent_default();
            choose();
            return;
        }
        _ => return,
    };
    event.prevent_default();
    let radio = event
        .current_target()
        .and_then(|radio| radio.dyn_into::<HtmlElement>().ok())
        .and_then(|radio| radio.parent_element())
        .and_then(|scale| scale.children().item(target as u32))
        .and_then(|radio| radio.dyn_into::<HtmlElement>().ok());
    if let Some(radio) = radio {
        let _ = radio.focus();
    }
}

/// The failure line under the screen, an alert: queued (sent by itself later) or not,
/// with a button to try again now.
#[component]
fn FailureLine(texts: Arc<Texts>, signals: Signals, handlers: Shared) -> impl IntoView {
    move || {
        signals.failure.get().map(|queued| {
            let retry = Rc::clone(&handlers.retry);
            let (class, text, test_id) = if queued {
                ("err queued", texts.queued, "nps-queued")
            } else {
                ("err", texts.error, "nps-error")
            };
            view! {
                <p class=class role="alert" data-testid=test_id>
                    {text}
                    <button class="retry" type="button" on:click=move |_| retry()>
                        {texts.retry}
                    </button>
                </p>
            }
        })
    }
}

/// The follow-up question for the visitor's category and a comment box.
#[component]
fn FollowUp(
    texts: Arc<Texts>,
    question: String,
    saving: RwSignal<bool>,
    comment: Rc<dyn Fn(String)>,
) -> impl IntoView {
    let submit = move |event: web_sys::SubmitEvent| {
        event.prevent_default();
        let area = event
            .current_target()
            .and_then(|form| form.dyn_into::<web_sys::Element>().ok())
            .and_then(|form| form.query_selector("textarea").ok().flatten())
            .and_then(|area| area.dyn_into::<HtmlTextAreaElement>().ok());
        if let Some(area) = area {
            comment(area.value());
        }
    };
    view! {
        <form on:submit=submit>
            <label class="q" for=COMMENT_ID data-testid="nps-follow-up">
                {question}
            </label>
            <textarea
                id=COMMENT_ID
                placeholder=texts.placeholder.clone()
                maxlength="2000"
                rows="3"
            ></textarea>
            <button class="send" type="submit" disabled=move || saving.get()>
                {texts.send.clone()}
            </button>
        </form>
    }
}

/// The widget's last line (thanks, or why the answer was refused), in the live region.
#[component]
fn LastLine(texts: Arc<Texts>, screen: RwSignal<Screen>) -> impl IntoView {
    move || {
        let (line, test_id) = match screen.get() {
            Screen::Thanks => (texts.thanks.clone(), "nps-thanks"),
            Screen::Refused(Refusal::AlreadyAnswered) => (texts.already.to_owned(), "nps-already"),
            Screen::Refused(Refusal::LinkInvalid) => {
                (texts.invalid_link.to_owned(), "nps-invalid-link")
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
