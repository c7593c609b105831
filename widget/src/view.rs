//! The widget's components: the card, the 0–10 scale, the failure line, the
//! follow-up form and the last line (thanks or a refusal).
//!
//! Each builds its elements from texts and handlers and knows nothing of the state or
//! the network: `app.rs` decides what is on screen and wires the handlers.
//!
//! Accessibility (WCAG 2.2 AA): the scale is a radio group with one tab stop (roving
//! tabindex; arrows, Home and End move focus, mirrored right to left; Enter, Space or
//! a click choose); the radios at the ends carry the end labels in their names
//! ("0 – Not at all likely"); every target is at least 24 px; the last line is
//! written into a live region that exists from the start, so screen readers announce
//! it.

use crate::dom::{Result, append, el, on};
use crate::i18n::Texts;
use nps_shared::Score;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlElement, HtmlTextAreaElement, KeyboardEvent};

/// The id of the question text, which labels the radio group.
pub const QUESTION_ID: &str = "nps-q";
const COMMENT_ID: &str = "nps-c";
/// The radios' text, without number formatting in the wasm.
pub const DIGITS: [&str; 11] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10"];

/// What the card does when the visitor acts; `app.rs` wires these to the state.
#[derive(Clone)]
pub struct Handlers {
    pub choose: Rc<dyn Fn(Score)>,
    pub retry: Rc<dyn Fn()>,
    pub comment: Rc<dyn Fn(String)>,
    pub dismiss: Rc<dyn Fn()>,
}

/// The card: a close button (floating cards only), the screen's `body`, and the
/// `live` region for the last line.
pub struct Card {
    pub card: HtmlElement,
    pub body: HtmlElement,
    pub live: HtmlElement,
    pub close: Option<HtmlElement>,
}

/// `class` is the placement (`card br`, `card bl`, `card inline`); the controller
/// wires the close button.
pub fn card(texts: &Texts, class: &str, floating: bool) -> Result<Card> {
    let dir = if texts.rtl { "rtl" } else { "ltr" };
    let card = el(
        "section",
        class,
        &[
            ("data-testid", "nps-widget"),
            ("lang", &texts.language),
            ("dir", dir),
        ],
        "",
    )?;
    let close = if floating {
        let close = el(
            "button",
            "x",
            &[
                ("type", "button"),
                ("aria-label", &texts.close),
                ("data-testid", "nps-dismiss"),
            ],
            "×",
        )?;
        card.append_child(&close)?;
        Some(close)
    } else {
        None
    };
    let body = el("div", "", &[], "")?;
    let live = el("div", "", &[("role", "status")], "")?;
    append(&card, &[&body, &live])?;
    Ok(Card {
        card,
        body,
        live,
        close,
    })
}

/// The question, the scale and its labelled ends, into `body`; returns the radios.
pub fn question(body: &Element, texts: &Texts, handlers: &Handlers) -> Result<Rc<[HtmlElement]>> {
    let question = el("p", "q", &[("id", QUESTION_ID)], &texts.question)?;
    let scale = el(
        "div",
        "scale",
        &[("role", "radiogroup"), ("aria-labelledby", QUESTION_ID)],
        "",
    )?;
    let low_name = ["0 – ", &texts.low].concat();
    let high_name = ["10 – ", &texts.high].concat();
    let mut radios = Vec::with_capacity(11);
    for (index, digits) in DIGITS.iter().enumerate() {
        let mut attributes = vec![
            ("type", "button"),
            ("role", "radio"),
            ("aria-checked", "false"),
            ("tabindex", if index == 0 { "0" } else { "-1" }),
        ];
        match index {
            0 => attributes.push(("aria-label", low_name.as_str())),
            10 => attributes.push(("aria-label", high_name.as_str())),
            _ => {}
        }
        let radio = el("button", "r", &attributes, digits)?;
        scale.append_child(&radio)?;
        radios.push(radio);
    }
    let radios: Rc<[HtmlElement]> = radios.into();
    for (index, score) in Score::all().enumerate() {
        let radio = &radios[index];
        let choose = Rc::clone(&handlers.choose);
        on(radio, "click", move |_| choose(score));
        let (all, choose, rtl) = (Rc::clone(&radios), Rc::clone(&handlers.choose), texts.rtl);
        on(radio, "keydown", move |event| {
            let Some(key) = event.dyn_ref::<KeyboardEvent>() else {
                return;
            };
            let (next, previous) = if rtl {
                ("ArrowLeft", "ArrowRight")
            } else {
                ("ArrowRight", "ArrowLeft")
            };
            let key = key.key();
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
                    choose(score);
                    return;
                }
                _ => return,
            };
            event.prevent_default();
            focus_radio(&all, target);
        });
        let all = Rc::clone(&radios);
        on(radio, "focus", move |_| set_tab_stop(&all, index));
    }
    let ends = el("div", "ends", &[("aria-hidden", "true")], "")?;
    let low = el("span", "", &[], &texts.low)?;
    let high = el("span", "", &[], &texts.high)?;
    append(&ends, &[&low, &high])?;
    append(body, &[&question, &scale, &ends])?;
    Ok(radios)
}

/// Makes radio `index` the group's one tab stop.
fn set_tab_stop(radios: &[HtmlElement], index: usize) {
    for (i, radio) in radios.iter().enumerate() {
        let _ = radio.set_attribute("tabindex", if i == index { "0" } else { "-1" });
    }
}

fn focus_radio(radios: &[HtmlElement], index: usize) {
    set_tab_stop(radios, index);
    if let Some(radio) = radios.get(index) {
        let _ = radio.focus();
    }
}

/// Marks `chosen` checked (and the tab stop), and the scale locked or not.
pub fn mark_scale(radios: &[HtmlElement], chosen: Option<Score>, locked: bool) {
    for (score, radio) in Score::all().zip(radios) {
        let checked = chosen == Some(score);
        let _ = radio.set_attribute("aria-checked", if checked { "true" } else { "false" });
        let _ = if locked {
            radio.set_attribute("aria-disabled", "true")
        } else {
            radio.remove_attribute("aria-disabled")
        };
    }
    if let Some(score) = chosen {
        set_tab_stop(radios, usize::from(score.value()));
    }
}

/// The failure line under the scale, an alert: queued (sent by itself later) or not,
/// with a button to try again now.
pub fn error_line(texts: &Texts, queued: bool, handlers: &Handlers) -> Result<HtmlElement> {
    let (class, text, test_id) = if queued {
        ("err queued", texts.queued, "nps-queued")
    } else {
        ("err", texts.error, "nps-error")
    };
    let line = el(
        "p",
        class,
        &[("role", "alert"), ("data-testid", test_id)],
        text,
    )?;
    let retry = el("button", "retry", &[("type", "button")], texts.retry)?;
    let again = Rc::clone(&handlers.retry);
    on(&retry, "click", move |_| again());
    line.append_child(&retry)?;
    Ok(line)
}

/// The follow-up question for the visitor's category and a comment box, into `body`;
/// returns the text area and the send button.
pub fn follow_up(
    body: &Element,
    texts: &Texts,
    question: &str,
    handlers: &Handlers,
) -> Result<(HtmlTextAreaElement, HtmlElement)> {
    let form = el("form", "", &[], "")?;
    let label = el(
        "label",
        "q",
        &[("for", COMMENT_ID), ("data-testid", "nps-follow-up")],
        question,
    )?;
    let area: HtmlTextAreaElement = el(
        "textarea",
        "",
        &[
            ("id", COMMENT_ID),
            ("placeholder", &texts.placeholder),
            ("maxlength", "2000"),
            ("rows", "3"),
        ],
        "",
    )?
    .unchecked_into();
    let send = el("button", "send", &[("type", "submit")], &texts.send)?;
    append(&form, &[&label, &area, &send])?;
    let (comment, text) = (Rc::clone(&handlers.comment), area.clone());
    on(&form, "submit", move |event| {
        event.prevent_default();
        comment(text.value());
    });
    body.append_child(&form)?;
    Ok((area, send))
}

/// The widget's last line (thanks, or why the answer was refused), for the live region.
pub fn last_line(text: &str, test_id: &str) -> Result<HtmlElement> {
    el("p", "thanks", &[("data-testid", test_id)], text)
}
