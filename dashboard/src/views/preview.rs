//! The live preview beside the survey editor: the widget's card as a visitor will see
//! it — the question, the 0–10 scale with its labelled ends, the follow-up for a chosen
//! score, the thank-you — in the language being edited, in the brand colour, mirrored
//! for right-to-left languages, placed where the theme puts it on a sketched page.
//!
//! It is drawn by the dashboard, not by the widget's code (which evolves on its own),
//! and mimics `widget/src/style.rs`: same sizes, radii and greys; the colours come in
//! through one CSS variable that only a hex colour can reach (`nps_shared::theme`).
//! Every text is a text node: what is typed is shown, never interpreted as HTML.

use leptos::prelude::*;
use nps_shared::Score;
use nps_shared::api::Position;

use crate::survey_form::{self, PreviewStep, SurveyForm};

#[component]
pub fn Preview(
    form: RwSignal<SurveyForm>,
    locale: RwSignal<String>,
    step: RwSignal<PreviewStep>,
) -> impl IntoView {
    let shown =
        Memo::new(move |_| form.with(|f| survey_form::preview(f, &locale.get(), step.get())));
    let position = Memo::new(move |_| form.with(|f| f.position));

    let steps = [
        ("Question", PreviewStep::Question),
        (
            "Follow-up",
            PreviewStep::FollowUp(Score::all().nth(3).unwrap_or(Score::MIN)),
        ),
        ("Thanks", PreviewStep::Thanks),
    ]
    .into_iter()
    .map(|(label, target)| {
        let active = move || match (step.get(), target) {
            (PreviewStep::FollowUp(_), PreviewStep::FollowUp(_)) => true,
            (now, target) => now == target,
        };
        view! {
            <button
                type="button"
                role="tab"
                class="tab"
                aria-selected=move || active().to_string()
                on:click=move |_| {
                    // Keep a score already chosen when going back to the follow-up.
                    if !(matches!(target, PreviewStep::FollowUp(_)) && active()) {
                        step.set(target);
                    }
                }
            >
                {label}
            </button>
        }
    })
    .collect_view();

    let card = move || {
        let Some(p) = shown.get() else {
            return view! { <p class="muted">"Add a language to see the survey."</p> }.into_any();
        };
        let selected = p.selected;
        let scale = (0u8..=10)
            .map(|n| {
                let checked = selected.is_some_and(|s| s.value() == n);
                view! {
                    <button
                        type="button"
                        class="pv-r"
                        role="radio"
                        aria-checked=checked.to_string()
                        on:click=move |_| {
                            if let Ok(score) = Score::try_from(n) {
                                step.set(PreviewStep::FollowUp(score));
                            }
                        }
                    >
                        {n.to_string()}
                    </button>
                }
            })
            .collect_view();
        let body = if p.thanks {
            view! { <p class="pv-thanks" data-testid="preview-thanks">{p.texts.thanks.clone()}</p> }
                .into_any()
        } else {
            view! {
                <p class="pv-q" data-testid="preview-question">{p.texts.question.clone()}</p>
                <div class="pv-scale" role="radiogroup" aria-label="Scores 0 to 10">{scale}</div>
                <div class="pv-ends">
                    <span data-testid="preview-low">{p.texts.low_label.clone()}</span>
                    <span data-testid="preview-high">{p.texts.high_label.clone()}</span>
                </div>
                {p.follow_up.clone().map(|question| view! {
                    <div class="pv-follow">
                        <p class="pv-q pv-follow-q" data-testid="preview-follow-up">{question}</p>
                        <div class="pv-textarea">{p.texts.comment_placeholder.clone()}</div>
                        <span class="pv-send" role="presentation">{p.texts.submit.clone()}</span>
                    </div>
                })}
            }
            .into_any()
        };
        view! {
            <div
                class="pv-card"
                data-testid="preview-card"
                lang=p.locale.clone()
                dir=if p.rtl { "rtl" } else { "ltr" }
                style=preview_style(&p)
            >
                <span class="pv-x" role="presentation" title=p.texts.dismiss.clone()>"×"</span>
                {body}
            </div>
        }
        .into_any()
    };

    view! {
        <section class="card preview" aria-labelledby="preview-title" data-testid="preview">
            <div class="preview-head">
                <h3 id="preview-title">"Preview"</h3>
                <span class="muted small">
                    {move || {
                        let tag = locale.get();
                        let dir = if nps_shared::locale::is_rtl(&tag) { " · right to left" } else { "" };
                        format!("{}{dir}", survey_form::language_name(&tag))
                    }}
                </span>
            </div>
            <div class="tabs small-tabs" role="tablist" aria-label="Preview step">{steps}</div>
            <div class=move || format!("pv-stage {}", match position.get() {
                Position::BottomRight => "pv-br",
                Position::BottomLeft => "pv-bl",
                Position::Inline => "pv-inline",
            })>
                <div class="pv-page" aria-hidden="true">
                    <span class="pv-line wide"></span>
                    <span class="pv-line"></span>
                    <span class="pv-line short"></span>
                </div>
                {card}
            </div>
            <p class="muted small">"Click a score in the preview to see its follow-up question."</p>
        </section>
    }
}

/// The card's custom properties: only values `survey_form::preview` has already checked.
fn preview_style(p: &survey_form::Preview) -> String {
    let mut style = format!("--nps-accent:{}", p.accent);
    if let Some(radius) = p.radius {
        style.push_str(&format!(";--nps-radius:{radius}px"));
    }
    if let Some(font) = &p.font {
        style.push_str(&format!(";--nps-font:{font}"));
    }
    style
}
