//! The widget's components: the card, the 0–10 scale, the follow-up form, the thanks.
//!
//! Components get everything from their props (texts, a stage signal, handlers) and
//! never call the network themselves, so tests mount them with injected handlers.

use crate::state::{Refusal, Screen, Stage};
use leptos::html;
use leptos::prelude::*;
use nps_shared::Score;
use nps_shared::api::{Position, SurveyTexts};
use web_sys::KeyboardEvent;

/// The id of the question text, which labels the radio group.
const QUESTION_ID: &str = "nps-q";
const COMMENT_ID: &str = "nps-c";
/// The accessible names of the radios, without number formatting in the wasm.
const DIGITS: [&str; 11] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10"];

/// What the card does when the visitor acts; `app.rs` wires these to the network.
#[derive(Clone, Copy)]
pub struct Handlers {
    pub choose: UnsyncCallback<Score>,
    pub retry: UnsyncCallback<()>,
    pub comment: UnsyncCallback<String>,
    pub dismiss: UnsyncCallback<()>,
}

/// Texts the survey config has no field for: the failure, its retry, and the lines
/// for an already answered survey and an invalid invitation link.
type Wording = [&'static str; 4];

/// [`Wording`] by language; English otherwise.
fn wording(locale: &str) -> Wording {
    match locale.get(..2).unwrap_or("") {
        "de" => [
            "Die Antwort konnte nicht gesendet werden.",
            "Erneut versuchen",
            "Sie haben diese Umfrage bereits beantwortet – vielen Dank!",
            "Dieser Umfragelink ist nicht mehr gültig.",
        ],
        "fr" => [
            "La réponse n’a pas pu être envoyée.",
            "Réessayer",
            "Vous avez déjà répondu à cette enquête – merci\u{a0}!",
            "Ce lien d’enquête n’est plus valide.",
        ],
        "es" => [
            "No se pudo enviar la respuesta.",
            "Reintentar",
            "Ya ha respondido a esta encuesta. ¡Gracias!",
            "Este enlace de la encuesta ya no es válido.",
        ],
        "nl" => [
            "Het antwoord kon niet worden verzonden.",
            "Opnieuw proberen",
            "U hebt deze enquête al beantwoord – hartelijk dank!",
            "Deze enquêtelink is niet meer geldig.",
        ],
        _ => [
            "Your answer could not be sent.",
            "Try again",
            "You have already answered this survey — thank you!",
            "This survey link is no longer valid.",
        ],
    }
}

fn placement(position: Position) -> &'static str {
    match position {
        Position::BottomRight => "card br",
        Position::BottomLeft => "card bl",
        Position::Inline => "card inline",
    }
}

/// The whole widget for one survey: what it shows follows `stage`.
#[component]
pub fn Card(
    texts: SurveyTexts,
    position: Position,
    locale: String,
    #[prop(into)] stage: Signal<Stage>,
    on: Handlers,
) -> impl IntoView {
    let screen = Memo::new(move |_| stage.get().screen());
    let chosen = Signal::derive(move || stage.get().chosen());
    let locked = Signal::derive(move || stage.get().scale_locked());
    let saving = Signal::derive(move || stage.get().is_saving());
    let [error_text, retry_text, already_text, invalid_text] = wording(&locale);
    let SurveyTexts {
        question,
        follow_up,
        thanks,
        low_label,
        high_label,
        comment_placeholder,
        submit,
        dismiss,
    } = texts;

    let body = move || match screen.get() {
        Screen::Nothing => ().into_any(),
        Screen::Question => view! {
            <p class="q" id=QUESTION_ID>{question.clone()}</p>
            <Scale
                labelled_by=QUESTION_ID
                low=low_label.clone()
                high=high_label.clone()
                chosen=chosen
                locked=locked
                on_choose=on.choose
            />
            <Show when=move || stage.get().is_error()>
                <p class="err" role="alert" data-testid="nps-error">
                    {error_text}
                    <button type="button" class="retry" on:click=move |_| on.retry.run(())>
                        {retry_text}
                    </button>
                </p>
            </Show>
        }
        .into_any(),
        Screen::FollowUp(category) => view! {
            <FollowUpForm
                question=follow_up.for_category(category).to_owned()
                placeholder=comment_placeholder.clone()
                submit=submit.clone()
                saving=saving
                on_submit=on.comment
            />
        }
        .into_any(),
        Screen::Thanks => {
            view! { <LastLine text=thanks.clone() test_id="nps-thanks" /> }.into_any()
        }
        Screen::Refused(why) => {
            let (text, test_id) = match why {
                Refusal::AlreadyAnswered => (already_text, "nps-already"),
                Refusal::LinkInvalid => (invalid_text, "nps-invalid-link"),
            };
            view! { <LastLine text=text.to_owned() test_id=test_id /> }.into_any()
        }
    };
    // Inline, the survey is part of the page (the hosted survey page is nothing else):
    // it is not closed, so its last line stays.
    let close = (position != Position::Inline).then(|| {
        view! {
            <button
                type="button"
                class="x"
                aria-label=dismiss
                data-testid="nps-dismiss"
                on:click=move |_| on.dismiss.run(())
            >
                "×"
            </button>
        }
    });

    view! {
        <Show when=move || screen.get() != Screen::Nothing>
            <section
                class=placement(position)
                data-testid="nps-widget"
                data-category=move || match screen.get() {
                    Screen::FollowUp(category) => Some(category.as_str()),
                    _ => None,
                }
            >
                {close.clone()}
                {body.clone()}
            </section>
        </Show>
    }
}

/// The 0–10 scale as a radio group (WAI-ARIA APG radio group pattern): one radio in
/// the tab order, arrows/Home/End move focus, Enter/Space/click choose.
///
/// Arrows only move focus here, they do not check: choosing sends the answer, so it
/// must be a deliberate act.
#[component]
pub fn Scale(
    labelled_by: &'static str,
    low: String,
    high: String,
    #[prop(into)] chosen: Signal<Option<Score>>,
    #[prop(into)] locked: Signal<bool>,
    on_choose: UnsyncCallback<Score>,
) -> impl IntoView {
    // The radio that is in the tab order.
    let focusable = RwSignal::new(0u8);
    let radios: [NodeRef<html::Button>; 11] = std::array::from_fn(|_| NodeRef::new());
    let focus = move |index: u8| {
        focusable.set(index);
        if let Some(radio) = radios[usize::from(index)].get_untracked() {
            let _ = radio.focus();
        }
    };
    let choose = move |score: Score| {
        if !locked.get_untracked() {
            on_choose.run(score);
        }
    };

    let buttons = Score::all()
        .map(|score| {
            let index = score.value();
            let on_key = move |ev: KeyboardEvent| {
                let target = match ev.key().as_str() {
                    "ArrowRight" | "ArrowDown" => (index + 1) % 11,
                    "ArrowLeft" | "ArrowUp" => (index + 10) % 11,
                    "Home" => 0,
                    "End" => 10,
                    "Enter" | " " => {
                        // Also stops the button's own click, which would choose twice.
                        ev.prevent_default();
                        choose(score);
                        return;
                    }
                    _ => return,
                };
                ev.prevent_default();
                focus(target);
            };
            view! {
                <button
                    type="button"
                    role="radio"
                    class="r"
                    node_ref=radios[usize::from(index)]
                    aria-checked=move || if chosen.get() == Some(score) { "true" } else { "false" }
                    aria-disabled=move || locked.get().then_some("true")
                    tabindex=move || if focusable.get() == index { "0" } else { "-1" }
                    on:click=move |_| choose(score)
                    on:keydown=on_key
                    on:focus=move |_| focusable.set(index)
                >
                    {DIGITS[usize::from(index)]}
                </button>
            }
        })
        .collect_view();

    view! {
        <div class="scale" role="radiogroup" aria-labelledby=labelled_by aria-describedby="nps-ends">
            {buttons}
        </div>
        <div class="ends" id="nps-ends">
            <span>{low}</span>
            <span>{high}</span>
        </div>
    }
}

/// The follow-up question for the visitor's category, and a comment box.
#[component]
pub fn FollowUpForm(
    question: String,
    placeholder: String,
    submit: String,
    #[prop(into)] saving: Signal<bool>,
    on_submit: UnsyncCallback<String>,
) -> impl IntoView {
    let comment = NodeRef::<html::Textarea>::new();
    // The radio that had focus is gone: keep keyboard users in the widget.
    Effect::new(move |_| {
        if let Some(area) = comment.get() {
            let _ = area.focus();
        }
    });
    let on_send = move |ev: web_sys::SubmitEvent| {
        ev.prevent_default();
        if let Some(area) = comment.get_untracked() {
            on_submit.run(area.value());
        }
    };
    view! {
        <form on:submit=on_send>
            <label class="q" for=COMMENT_ID data-testid="nps-follow-up">{question}</label>
            <textarea
                id=COMMENT_ID
                node_ref=comment
                placeholder=placeholder
                maxlength="2000"
                rows="3"
            ></textarea>
            <button type="submit" class="send" disabled=move || saving.get()>{submit}</button>
        </form>
    }
}

/// The widget's last line: the thanks, or why the answer was refused.
#[component]
pub fn LastLine(text: String, test_id: &'static str) -> impl IntoView {
    view! { <p class="thanks" role="status" data-testid=test_id>{text}</p> }
}

/// Browser tests: the components in a real shadow root, in headless Chromium.
/// How to run them: see the top of `build.sh` (`webdriver.json` beside `Cargo.toml`).
#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{self as t, Fixture};
    use leptos::task::tick;
    use nps_shared::Category;
    use std::cell::RefCell;
    use std::rc::Rc;
    use wasm_bindgen::JsCast;
    use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
    use web_sys::HtmlElement;

    wasm_bindgen_test_configure!(run_in_browser);

    type Log<T> = Rc<RefCell<Vec<T>>>;

    fn score(n: u8) -> Score {
        Score::try_from(n).expect("a score")
    }

    /// A bare scale whose choices are logged.
    fn scale(locked: bool) -> (Fixture, Log<u8>) {
        let log: Log<u8> = Rc::default();
        let sink = Rc::clone(&log);
        let fixture = t::mount(move || {
            view! {
                <p id="question">"How likely?"</p>
                <Scale
                    labelled_by="question"
                    low="Not likely".to_owned()
                    high="Very likely".to_owned()
                    chosen=Signal::derive(|| None)
                    locked=Signal::derive(move || locked)
                    on_choose=UnsyncCallback::new(move |s: Score| sink.borrow_mut().push(s.value()))
                />
            }
        });
        (fixture, log)
    }

    fn tab_stops(fixture: &Fixture) -> Vec<String> {
        fixture
            .all("[role=radio][tabindex='0']")
            .iter()
            .map(t::text)
            .collect()
    }

    /// A whole card driven by a stage signal the test controls; acts are logged.
    struct CardFixture {
        fixture: Fixture,
        stage: RwSignal<Stage>,
        acts: Log<String>,
    }

    fn card(initial: Stage) -> CardFixture {
        let acts: Log<String> = Rc::default();
        let stage = RwSignal::new(initial);
        let log = Rc::clone(&acts);
        let fixture = t::mount(move || {
            let (a, b, c, d) = (Rc::clone(&log), Rc::clone(&log), Rc::clone(&log), log);
            let on = Handlers {
                choose: UnsyncCallback::new(move |s: Score| {
                    a.borrow_mut()
                        .push(["choose ", DIGITS[usize::from(s.value())]].concat())
                }),
                retry: UnsyncCallback::new(move |()| b.borrow_mut().push("retry".into())),
                comment: UnsyncCallback::new(move |text: String| {
                    c.borrow_mut().push(["comment ", &text].concat())
                }),
                dismiss: UnsyncCallback::new(move |()| d.borrow_mut().push("dismiss".into())),
            };
            view! { <Card texts=t::texts() position=Position::BottomRight locale="de".to_owned() stage=stage on=on /> }
        });
        CardFixture {
            fixture,
            stage,
            acts,
        }
    }

    #[wasm_bindgen_test]
    fn the_scale_is_a_radio_group_of_eleven_radios_named_0_to_10() {
        let (fixture, _) = scale(false);
        let group = fixture.one("[role=radiogroup]");
        assert_eq!(
            group.get_attribute("aria-labelledby").as_deref(),
            Some("question")
        );
        let radios = fixture.all("[role=radio]");
        let names: Vec<String> = radios.iter().map(t::text).collect();
        assert_eq!(
            names,
            DIGITS.iter().map(|d| d.to_string()).collect::<Vec<_>>()
        );
        for radio in &radios {
            assert!(group.contains(Some(radio)));
            assert_eq!(
                radio.get_attribute("aria-label"),
                None,
                "the name is the digit itself"
            );
            assert_eq!(
                radio.get_attribute("aria-checked").as_deref(),
                Some("false")
            );
        }
        assert_eq!(tab_stops(&fixture), ["0"]);
        assert_eq!(t::text(&fixture.one(".ends")), "Not likelyVery likely");
    }

    #[wasm_bindgen_test]
    async fn arrows_home_and_end_move_focus_and_the_single_tab_stop() {
        let (fixture, log) = scale(false);
        let radios = fixture.all("[role=radio]");
        radios[0].focus().expect("focus");
        let focused = || fixture.focused().map(|e| t::text(&e)).unwrap_or_default();
        let steps = [
            ("ArrowRight", "1"),
            ("ArrowDown", "2"),
            ("ArrowLeft", "1"),
            ("End", "10"),
            ("ArrowRight", "0"),
            ("ArrowUp", "10"),
            ("Home", "0"),
            ("ArrowLeft", "10"),
        ];
        for (key, expected) in steps {
            let from = fixture.focused().expect("a focused radio");
            t::press(&from, key);
            tick().await;
            assert_eq!(focused(), expected, "after {key}");
            assert_eq!(tab_stops(&fixture), [expected], "tab stop after {key}");
        }
        assert!(log.borrow().is_empty(), "moving focus must not choose");
    }

    #[wasm_bindgen_test]
    async fn a_click_enter_or_space_chooses_that_score() {
        let (fixture, log) = scale(false);
        let radios = fixture.all("[role=radio]");
        radios[7].click();
        t::press(&radios[3], "Enter");
        t::press(&radios[10], " ");
        t::press(&radios[5], "a");
        tick().await;
        assert_eq!(*log.borrow(), [7, 3, 10]);
    }

    #[wasm_bindgen_test]
    async fn a_locked_scale_ignores_choices() {
        let (fixture, log) = scale(true);
        let radios = fixture.all("[role=radio]");
        radios[7].click();
        t::press(&radios[3], "Enter");
        tick().await;
        assert!(log.borrow().is_empty());
        assert_eq!(
            radios[0].get_attribute("aria-disabled").as_deref(),
            Some("true")
        );
    }

    #[wasm_bindgen_test]
    async fn choosing_in_the_card_reports_the_score_and_marks_it_checked() {
        let c = card(Stage::Asking { sending: None });
        let question = c.fixture.one("#nps-q");
        assert_eq!(
            t::text(&question),
            "How likely are you to recommend us to a friend?"
        );
        assert_eq!(
            c.fixture
                .one("[role=radiogroup]")
                .get_attribute("aria-labelledby")
                .as_deref(),
            Some("nps-q")
        );
        c.fixture.all("[role=radio]")[9].click();
        tick().await;
        assert_eq!(*c.acts.borrow(), ["choose 9"]);
        c.stage.set(Stage::Asking {
            sending: Some(score(9)),
        });
        tick().await;
        let checked: Vec<String> = c
            .fixture
            .all("[aria-checked=true]")
            .iter()
            .map(t::text)
            .collect();
        assert_eq!(checked, ["9"]);
    }

    #[wasm_bindgen_test]
    async fn the_follow_up_question_matches_the_category() {
        let texts = t::texts();
        for category in Category::ALL {
            let c = card(Stage::FollowUp {
                category,
                saving: false,
            });
            tick().await;
            let label = c.fixture.one("[data-testid=nps-follow-up]");
            assert_eq!(
                t::text(&label),
                texts.follow_up.for_category(category),
                "{category}"
            );
            let area: web_sys::HtmlTextAreaElement = c.fixture.one("textarea").unchecked_into();
            assert_eq!(
                label.get_attribute("for"),
                Some(area.id()),
                "the question names the textarea"
            );
            assert_eq!(area.placeholder(), "Your comment");
            assert_eq!(area.max_length(), 2000);
            assert_eq!(t::text(&c.fixture.one("button[type=submit]")), "Send");
            assert!(c.fixture.find("[role=radio]").is_none());
        }
    }

    #[wasm_bindgen_test]
    async fn sending_the_form_reports_the_comment() {
        let c = card(Stage::FollowUp {
            category: Category::Passive,
            saving: false,
        });
        tick().await;
        let area: web_sys::HtmlTextAreaElement = c.fixture.one("textarea").unchecked_into();
        area.set_value("Faster delivery");
        c.fixture.one("button[type=submit]").click();
        tick().await;
        assert_eq!(*c.acts.borrow(), ["comment Faster delivery"]);
    }

    #[wasm_bindgen_test]
    async fn a_failed_answer_shows_an_error_with_a_retry() {
        let c = card(Stage::Error { score: score(4) });
        tick().await;
        let error = c.fixture.one("[data-testid=nps-error]");
        assert_eq!(error.get_attribute("role").as_deref(), Some("alert"));
        assert!(
            t::text(&error).contains("nicht gesendet"),
            "worded for the locale"
        );
        c.fixture.one("[data-testid=nps-error] button").click();
        tick().await;
        assert_eq!(*c.acts.borrow(), ["retry"]);
        c.stage.set(Stage::Asking {
            sending: Some(score(4)),
        });
        tick().await;
        assert!(c.fixture.find("[data-testid=nps-error]").is_none());
    }

    #[wasm_bindgen_test]
    async fn thanks_is_a_status_and_dismiss_is_named() {
        let c = card(Stage::Thanks);
        tick().await;
        let thanks = c.fixture.one("[data-testid=nps-thanks]");
        assert_eq!(t::text(&thanks), "Thank you!");
        assert_eq!(thanks.get_attribute("role").as_deref(), Some("status"));
        let dismiss = c.fixture.one("[data-testid=nps-dismiss]");
        assert_eq!(
            dismiss.get_attribute("aria-label").as_deref(),
            Some("Close")
        );
        dismiss.click();
        tick().await;
        assert_eq!(*c.acts.borrow(), ["dismiss"]);
        c.stage.set(Stage::Hidden);
        tick().await;
        assert!(c.fixture.find("[data-testid=nps-widget]").is_none());
    }

    #[wasm_bindgen_test]
    async fn a_refusal_is_a_last_line_in_the_locale_without_a_retry() {
        for (why, test_id, text) in [
            (
                Refusal::AlreadyAnswered,
                "nps-already",
                "Sie haben diese Umfrage bereits beantwortet – vielen Dank!",
            ),
            (
                Refusal::LinkInvalid,
                "nps-invalid-link",
                "Dieser Umfragelink ist nicht mehr gültig.",
            ),
        ] {
            let c = card(Stage::Refused(why));
            tick().await;
            let line = c.fixture.one(&["[data-testid=", test_id, "]"].concat());
            assert_eq!(t::text(&line), text);
            assert_eq!(line.get_attribute("role").as_deref(), Some("status"));
            assert!(c.fixture.find(".retry").is_none());
            assert!(c.fixture.find("[role=radio]").is_none());
        }
        for locale in ["en", "fr", "es", "nl"] {
            let [error, _, already, invalid] = wording(locale);
            assert!(!already.is_empty() && !invalid.is_empty() && already != error);
        }
        assert_eq!(wording("en-GB"), wording("xx"));
    }

    #[wasm_bindgen_test]
    async fn an_inline_card_stays_in_the_flow_and_has_no_close_button() {
        let acts: Log<String> = Rc::default();
        let log = Rc::clone(&acts);
        let fixture = t::mount(move || {
            let noop = UnsyncCallback::new(|()| {});
            let on = Handlers {
                choose: UnsyncCallback::new(|_: Score| {}),
                retry: noop,
                comment: UnsyncCallback::new(|_: String| {}),
                dismiss: UnsyncCallback::new(move |()| log.borrow_mut().push("dismiss".into())),
            };
            view! { <Card texts=t::texts() position=Position::Inline locale="en".to_owned() stage=Stage::Thanks on=on /> }
        });
        tick().await;
        let card = fixture.one("[data-testid=nps-widget]");
        assert_eq!(card.class_name(), "card inline");
        let window = web_sys::window().expect("window");
        let style = window
            .get_computed_style(&card)
            .expect("style")
            .expect("style");
        assert_eq!(
            style.get_property_value("position").expect("position"),
            "relative"
        );
        assert!(fixture.find("[data-testid=nps-dismiss]").is_none());
        assert_eq!(
            t::text(&fixture.one("[data-testid=nps-thanks]")),
            "Thank you!"
        );
    }

    #[wasm_bindgen_test]
    async fn host_page_styles_do_not_reach_the_widget_and_its_styles_do_not_leave() {
        let document = t::document();
        let hostile = document.create_element("style").expect("style");
        hostile.set_text_content(Some(
            "* { color: red !important; font-size: 40px !important; font-family: monospace !important } \
             html { font-size: 40px }",
        ));
        document
            .head()
            .expect("head")
            .append_child(&hostile)
            .expect("append");
        let page_q: HtmlElement = document.create_element("p").expect("p").unchecked_into();
        page_q.set_class_name("q");
        document
            .body()
            .expect("body")
            .append_child(&page_q)
            .expect("append");

        let c = card(Stage::Asking { sending: None });
        tick().await;
        let window = web_sys::window().expect("window");
        let style_of =
            |e: &HtmlElement| window.get_computed_style(e).expect("style").expect("style");
        for selector in ["#nps-q", "[role=radio]", ".ends span"] {
            let style = style_of(&c.fixture.one(selector));
            let color = style.get_property_value("color").expect("color");
            assert_ne!(color, "rgb(255, 0, 0)", "{selector}");
            let size = style.get_property_value("font-size").expect("size");
            assert!(
                ["16px", "14px", "12px"].contains(&size.as_str()),
                "{selector}: {size}"
            );
            assert!(
                !style
                    .get_property_value("font-family")
                    .expect("family")
                    .contains("monospace")
            );
        }
        // The widget's `.q { font-weight: 600 }` stays in its shadow root.
        assert_eq!(
            style_of(&page_q)
                .get_property_value("font-weight")
                .expect("weight"),
            "400"
        );

        page_q.remove();
        hostile.remove();
        drop(c);
    }
}
