//! The survey editor: every part of a survey definition as a form (name, questions and
//! follow-ups per language, look, when and where it shows, detractor cases), saved with
//! `PATCH /v1/surveys/{id}` (only what changed) or created with `POST /v1/surveys`.
//! The server's field errors are shown at their fields and summed up at the top; an
//! "Unsaved changes" badge shows while the form differs from what is stored. Beside
//! the form, `preview::Preview` shows the widget as it will look, and the embed
//! snippet follows the survey being edited.
//!
//! The form model and all its rules are in `crate::survey_form` (tested natively); this
//! module only binds them to inputs.

use leptos::prelude::*;
use leptos::task::spawn_local;
use nps_shared::Score;
use nps_shared::api::{SurveyTexts, SurveyView, UrlRule};
use nps_shared::case::OwnerRule;
use wasm_bindgen::JsCast;

use crate::state::{Drafts, Session, Surveys};
use crate::survey_form::{self, FieldErrors, PreviewStep, SurveyForm};
use crate::views::embed::copy_to_clipboard;
use crate::views::preview::Preview;

/// The page's own origin: where the widget script is served from.
fn page_origin() -> String {
    web_sys::window()
        .and_then(|w| w.location().origin().ok())
        .unwrap_or_default()
}

/// Focuses the element `id` once the view has caught up (a language tab may have
/// just been switched to show it).
fn focus_later(id: String) {
    spawn_local(async move {
        leptos::task::tick().await;
        let element = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.get_element_by_id(&id))
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
        if let Some(element) = element {
            let _ = element.focus();
        }
    });
}

/// What the banner over the form says after a save.
#[derive(Clone, Debug, PartialEq)]
enum Outcome {
    Saved(String),
    Refused(String),
}

/// The editor of `survey`, or of a new survey when `None`.
#[component]
pub fn Editor(survey: Option<SurveyView>) -> impl IntoView {
    let session = expect_context::<Session>();
    let surveys = expect_context::<Surveys>();
    let origin = page_origin();

    let saved = RwSignal::new(survey);
    let new_form = {
        let origin = origin.clone();
        move || SurveyForm::new_survey(&origin)
    };
    let baseline = {
        let new_form = new_form.clone();
        Memo::new(move |_| match saved.get() {
            Some(s) => SurveyForm::from_definition(&s.id, &s.definition),
            None => new_form(),
        })
    };
    // Unsaved work left here earlier comes back.
    let drafts = expect_context::<Drafts>();
    let key =
        Memo::new(move |_| saved.with(|s| s.as_ref().map(|s| s.id.clone()).unwrap_or_default()));
    let form = RwSignal::new(
        drafts
            .0
            .with_untracked(|d| d.get(&key.get_untracked()).cloned())
            .unwrap_or_else(|| baseline.get_untracked()),
    );
    let errors = RwSignal::new(FieldErrors::default());
    let outcome = RwSignal::new(None::<Outcome>);
    let busy = RwSignal::new(false);
    let dirty = Memo::new(move |_| form.with(|f| baseline.with(|b| f != b)));
    let creating = Memo::new(move |_| saved.with(Option::is_none));
    Effect::new(move |_| {
        let key = key.get();
        if dirty.get() {
            let edited = form.get();
            drafts.0.update(|d| {
                d.insert(key, edited);
            });
        } else if drafts.0.with_untracked(|d| d.contains_key(&key)) {
            drafts.0.update(|d| {
                d.remove(&key);
            });
        }
    });

    // The language whose texts the fields show; the preview shows the same.
    let locale = RwSignal::new(form.with_untracked(|f| f.default_locale.clone()));
    let step = RwSignal::new(PreviewStep::Question);

    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        outcome.set(None);
        let current = form.get_untracked();
        let stored = saved.get_untracked();
        let request = match &stored {
            Some(s) => current.to_definition().map(|edited| {
                (
                    Some(s.id.clone()),
                    None,
                    Some(survey_form::survey_patch(&s.definition, &edited)),
                )
            }),
            None => current.create_body().map(|body| (None, Some(body), None)),
        };
        let (id, create, patch) = match request {
            Ok(parts) => parts,
            Err(problems) => {
                outcome.set(Some(Outcome::Refused(
                    "Some fields cannot be read; see the messages below.".into(),
                )));
                errors.set(problems);
                return;
            }
        };
        if let Some(patch) = &patch
            && survey_form::is_empty_patch(patch)
        {
            // Only spacing or list separators differ: show the stored spelling.
            form.set(baseline.get_untracked());
            errors.set(FieldErrors::default());
            outcome.set(Some(Outcome::Saved("Nothing changed.".into())));
            return;
        }
        busy.set(true);
        spawn_local(async move {
            let result = match session.api() {
                Ok(api) => match (id, create, patch) {
                    (Some(id), _, Some(patch)) => api.patch_survey(&id, &patch).await,
                    (_, Some(body), _) => api.create_survey(&body).await,
                    _ => Err(crate::api::ApiError {
                        status: 0,
                        title: "Nothing to send".into(),
                        detail: None,
                        fields: Vec::new(),
                    }),
                },
                Err(e) => Err(e),
            };
            match session.check(result) {
                Ok(view) => {
                    let was_new = saved.get_untracked().is_none();
                    errors.set(FieldErrors::default());
                    form.set(SurveyForm::from_definition(&view.id, &view.definition));
                    outcome.set(Some(Outcome::Saved(if was_new {
                        format!("Created {}.", view.id)
                    } else {
                        format!("Saved at {}.", crate::clock::local_time(&view.updated_at))
                    })));
                    saved.set(Some(view.clone()));
                    surveys.upsert(view.clone());
                    if was_new {
                        // The draft of the new survey has become this survey.
                        drafts.0.update(|d| {
                            d.remove("");
                        });
                        surveys.chosen.set(Some(view.id));
                    }
                }
                Err(e) => {
                    let fields = FieldErrors::from_pairs(e.fields.clone());
                    outcome.set(Some(Outcome::Refused(if fields.is_empty() {
                        e.message()
                    } else {
                        format!(
                            "Not saved: {} {} to be fixed.",
                            fields.len(),
                            if fields.len() == 1 {
                                "field needs"
                            } else {
                                "fields need"
                            }
                        )
                    })));
                    errors.set(fields);
                }
            }
            busy.set(false);
        });
    };
    let discard = move |_| {
        form.set(baseline.get_untracked());
        errors.set(FieldErrors::default());
        outcome.set(None);
        let default = form.with_untracked(|f| f.default_locale.clone());
        if form.with_untracked(|f| !f.texts.contains_key(&locale.get_untracked())) {
            locale.set(default);
        }
    };
    let start_new = {
        let new_form = new_form.clone();
        move |_| {
            saved.set(None);
            // A new survey begun earlier and not created yet is taken up again.
            let blank = drafts
                .0
                .with_untracked(|d| d.get("").cloned())
                .unwrap_or_else(&new_form);
            locale.set(blank.default_locale.clone());
            form.set(blank);
            errors.set(FieldErrors::default());
            outcome.set(None);
            step.set(PreviewStep::Question);
        }
    };

    let heading = move || match saved.get() {
        Some(s) => view! {
            <h2 class="editor-title">
                {s.definition.name.clone()}
                <span class="muted small">{format!(" · {}", s.id)}</span>
            </h2>
        }
        .into_any(),
        None => view! { <h2 class="editor-title">"New survey"</h2> }.into_any(),
    };
    let summary = move || {
        let all = errors.get().all();
        (!all.is_empty()).then(|| {
            let items = all
                .into_iter()
                .map(|(field, message)| {
                    let label = survey_form::field_label(&field);
                    let name = match survey_form::field_target(&field) {
                        Some((tab, id)) => view! {
                            <button type="button" class="link" on:click=move |_| {
                                if let Some(tab) = tab.clone() {
                                    locale.set(tab);
                                }
                                focus_later(id.clone());
                            }>
                                {label}
                            </button>
                        }
                        .into_any(),
                        None => view! { <strong>{label}</strong> }.into_any(),
                    };
                    view! { <li>{name}" " {message}</li> }
                })
                .collect_view();
            view! { <ul class="error-summary" data-testid="error-summary">{items}</ul> }
        })
    };

    let snippet_origin = origin.clone();
    let snippet = Memo::new(move |_| {
        let id = match saved.get() {
            Some(s) => s.id,
            None => {
                let typed = form.with(|f| f.id.trim().to_owned());
                if typed.is_empty() {
                    return None;
                }
                typed
            }
        };
        let shown = locale.get();
        let (default, inline) = form.with(|f| {
            (
                f.default_locale.clone(),
                f.position == nps_shared::api::Position::Inline,
            )
        });
        let locale = (shown != default).then_some(shown);
        Some(survey_form::editor_snippet(
            &snippet_origin,
            &id,
            locale.as_deref(),
            inline,
        ))
    });
    let copied = RwSignal::new(None::<&'static str>);
    let copy = move |_| {
        if let Some(text) = snippet.get_untracked() {
            spawn_local(async move {
                copied.set(Some(match copy_to_clipboard(&text).await {
                    Ok(()) => "Copied.",
                    Err(_) => "The browser refused: select the text and copy it.",
                }));
            });
        }
    };

    view! {
        <form class="editor" novalidate on:submit=save aria-label="Survey editor">
            <div class="editor-bar">
                {heading}
                {move || dirty.get().then(|| view! {
                    <span class="badge unsaved" data-testid="unsaved">"Unsaved changes"</span>
                })}
                <span class="spacer"></span>
                <button type="button" class="button ghost" on:click=start_new
                    disabled=move || creating.get() && !dirty.get()>
                    "New survey"
                </button>
                <button type="button" class="button ghost" on:click=discard
                    disabled=move || !dirty.get() || busy.get()>
                    "Discard"
                </button>
                <button type="submit" class="button primary" disabled=move || busy.get()>
                    {move || match (busy.get(), creating.get()) {
                        (true, _) => "Saving…",
                        (false, true) => "Create survey",
                        (false, false) => "Save",
                    }}
                </button>
            </div>
            {move || outcome.get().map(|o| match o {
                Outcome::Saved(text) => view! {
                    <p class="success" role="status" data-testid="editor-status">{text}</p>
                }.into_any(),
                Outcome::Refused(text) => view! {
                    <p class="error" role="alert" data-testid="editor-status">{text}</p>
                }.into_any(),
            })}
            {summary}
            <div class="editor-split">
                <div class="editor-form">
                    <Basics form errors creating />
                    <Questions form errors locale step />
                    <Look form errors />
                    <WhenToAsk form errors />
                    <CaseRules form errors />
                    <crate::views::mail::MailSettings form errors survey_id=saved.with_untracked(|s| s.as_ref().map(|s| s.id.clone())) />
                </div>
                <aside class="editor-side" aria-label="Preview">
                    <Preview form locale step />
                    <section class="card" aria-labelledby="editor-snippet-title">
                        <h3 id="editor-snippet-title">"Embed code"</h3>
                        {move || match snippet.get() {
                            Some(text) => view! {
                                <pre class="snippet" data-testid="editor-snippet"><code>{text}</code></pre>
                                <div class="actions">
                                    <button type="button" class="button ghost small" on:click=copy>
                                        "Copy"
                                    </button>
                                    <span class="muted small" role="status">{move || copied.get()}</span>
                                </div>
                            }.into_any(),
                            None => view! {
                                <p class="muted small">"Create the survey to get the tag for your site."</p>
                            }.into_any(),
                        }}
                    </section>
                </aside>
            </div>
        </form>
    }
}

/// The message for `field`, as a paragraph the input points at.
fn field_error(
    errors: RwSignal<FieldErrors>,
    field: impl Fn() -> String + Send + Sync + Copy + 'static,
) -> impl IntoView {
    move || {
        let path = field();
        errors.with(|e| e.get(&path)).map(|message| {
            view! {
                <p class="field-error" id=format!("err-{}", path) data-field=path.clone()>
                    {message}
                </p>
            }
        })
    }
}

fn invalid(
    errors: RwSignal<FieldErrors>,
    field: impl Fn() -> String + Send + Sync + Copy + 'static,
) -> impl Fn() -> Option<&'static str> + Send + Sync + Copy + 'static {
    move || errors.with(|e| e.get(&field()).is_some()).then_some("true")
}

/// The id of the input for `field` (paths are unique on the page: one language's
/// texts are shown at a time).
fn input_id(field: &str) -> String {
    format!("f-{field}")
}

/// What describes an input: its hint and, when there is one, its error.
fn described_by(
    errors: RwSignal<FieldErrors>,
    field: impl Fn() -> String + Send + Sync + Copy + 'static,
    has_hint: bool,
) -> impl Fn() -> Option<String> + Send + Sync + Copy + 'static {
    move || {
        let path = field();
        let error = errors.with(|e| e.get(&path).is_some());
        let mut ids = Vec::new();
        if has_hint {
            ids.push(format!("hint-{path}"));
        }
        if error {
            ids.push(format!("err-{path}"));
        }
        (!ids.is_empty()).then(|| ids.join(" "))
    }
}

/// A one-line text input bound to one string of the form.
fn text_input(
    label: &'static str,
    form: RwSignal<SurveyForm>,
    errors: RwSignal<FieldErrors>,
    field: &'static str,
    get: fn(&SurveyForm) -> &String,
    set: fn(&mut SurveyForm) -> &mut String,
    hint: Option<&'static str>,
) -> impl IntoView {
    let path = move || field.to_owned();
    view! {
        <div class="field">
            <label for=input_id(field)>{label}</label>
            <input
                id=input_id(field)
                type="text"
                prop:value=move || form.with(|f| get(f).clone())
                on:input=move |ev| {
                    let value = event_target_value(&ev);
                    form.update(|f| *set(f) = value);
                }
                aria-invalid=invalid(errors, path)
                aria-describedby=described_by(errors, path, hint.is_some())
                data-field=field
            />
            {hint.map(|h| view! { <span class="hint" id=format!("hint-{field}")>{h}</span> })}
            {field_error(errors, path)}
        </div>
    }
}

/// A small number input (kept as text until saved, so a half-typed value is not lost).
fn number_input(
    label: &'static str,
    form: RwSignal<SurveyForm>,
    errors: RwSignal<FieldErrors>,
    field: &'static str,
    get: fn(&SurveyForm) -> &String,
    set: fn(&mut SurveyForm) -> &mut String,
) -> impl IntoView {
    let path = move || field.to_owned();
    view! {
        <div class="field narrow">
            <label for=input_id(field)>{label}</label>
            <input
                id=input_id(field)
                type="text"
                inputmode="numeric"
                prop:value=move || form.with(|f| get(f).clone())
                on:input=move |ev| {
                    let value = event_target_value(&ev);
                    form.update(|f| *set(f) = value);
                }
                aria-invalid=invalid(errors, path)
                aria-describedby=described_by(errors, path, false)
                data-field=field
            />
            {field_error(errors, path)}
        </div>
    }
}

#[component]
fn Basics(
    form: RwSignal<SurveyForm>,
    errors: RwSignal<FieldErrors>,
    creating: Memo<bool>,
) -> impl IntoView {
    view! {
        <section class="card" aria-labelledby="basics-title">
            <h3 id="basics-title">"Basics"</h3>
            <div class="field-row">
                {text_input("Name", form, errors, "name", |f| &f.name, |f| &mut f.name,
                    Some("Only you see it: in this dashboard and in webhook payloads."))}
                {move || creating.get().then(|| text_input(
                    "Survey id (optional)", form, errors, "id", |f| &f.id, |f| &mut f.id,
                    Some("s_ and lower-case letters, digits, _ or -; left empty, one is made up."),
                ))}
            </div>
        </section>
    }
}

/// What every text field of the language being edited is bound to.
#[derive(Clone, Copy)]
struct TextsBinding {
    form: RwSignal<SurveyForm>,
    errors: RwSignal<FieldErrors>,
    locale: RwSignal<String>,
}

/// One text of the language being edited.
fn locale_text(
    binding: TextsBinding,
    label: &'static str,
    part: &'static str,
    get: fn(&SurveyTexts) -> &String,
    set: fn(&mut SurveyTexts) -> &mut String,
    multiline: bool,
) -> impl IntoView {
    let TextsBinding {
        form,
        errors,
        locale,
    } = binding;
    let path = move || format!("texts.{}.{part}", locale.get());
    let value = move || {
        let tag = locale.get();
        form.with(|f| {
            f.texts
                .get(&tag)
                .map(|t| get(t).clone())
                .unwrap_or_default()
        })
    };
    let write = move |ev: leptos::ev::Event| {
        let text = event_target_value(&ev);
        let tag = locale.get_untracked();
        form.update(|f| {
            if let Some(t) = f.texts.get_mut(&tag) {
                *set(t) = text;
            }
        });
    };
    let id = input_id(&format!("texts.{part}"));
    let input = if multiline {
        view! {
            <textarea
                id=id.clone()
                rows="2"
                prop:value=value
                on:input=write
                aria-invalid=invalid(errors, path)
                aria-describedby=described_by(errors, path, false)
                data-field=part
            ></textarea>
        }
        .into_any()
    } else {
        view! {
            <input
                id=id.clone()
                type="text"
                prop:value=value
                on:input=write
                aria-invalid=invalid(errors, path)
                aria-describedby=described_by(errors, path, false)
                data-field=part
            />
        }
        .into_any()
    };
    view! {
        <div class="field">
            <label for=id>{label}</label>
            {input}
            {field_error(errors, path)}
        </div>
    }
}

#[component]
fn Questions(
    form: RwSignal<SurveyForm>,
    errors: RwSignal<FieldErrors>,
    locale: RwSignal<String>,
    step: RwSignal<PreviewStep>,
) -> impl IntoView {
    let new_tag = RwSignal::new(String::new());
    let locale_error = RwSignal::new(None::<String>);
    let tags = Memo::new(move |_| form.with(|f| f.texts.keys().cloned().collect::<Vec<_>>()));
    let default_locale = Memo::new(move |_| form.with(|f| f.default_locale.clone()));
    // A removed or discarded language: show the default one instead.
    Effect::new(move |_| {
        let tags = tags.get();
        if !tags.contains(&locale.get_untracked())
            && let Some(first) = tags
                .iter()
                .find(|t| **t == default_locale.get_untracked())
                .or(tags.first())
        {
            locale.set(first.clone());
        }
    });

    let tabs = move || {
        tags.get()
            .into_iter()
            .map(|tag| {
                let for_click = tag.clone();
                let for_current = tag.clone();
                let for_error = tag.clone();
                let for_default = tag.clone();
                view! {
                    <button
                        type="button"
                        role="tab"
                        class="tab"
                        data-locale=tag.clone()
                        aria-selected=move || (locale.get() == for_current).to_string()
                        on:click=move |_| locale.set(for_click.clone())
                    >
                        {survey_form::language_name(&tag)}
                        {move || (default_locale.get() == for_default).then(|| view! {
                            <span class="muted small">" · default"</span>
                        })}
                        {move || errors.with(|e| e.any_under(&format!("texts.{for_error}"))).then(|| view! {
                            <span class="error-dot" aria-label="has errors"></span>
                        })}
                    </button>
                }
            })
            .collect_view()
    };
    let add = move |_| {
        let tag = new_tag.get_untracked();
        let mut added = Err(String::new());
        form.update(|f| added = f.add_locale(&tag));
        match added {
            Ok(()) => {
                locale.set(tag.trim().to_owned());
                new_tag.set(String::new());
                locale_error.set(None);
            }
            Err(e) => locale_error.set(Some(e)),
        }
    };
    let remove = move |_| {
        let tag = locale.get_untracked();
        let mut removed = Ok(());
        form.update(|f| removed = f.remove_locale(&tag));
        match removed {
            Ok(()) => {
                locale.set(default_locale.get_untracked());
                locale_error.set(None);
            }
            Err(e) => locale_error.set(Some(e)),
        }
    };
    let make_default = move |_| {
        let tag = locale.get_untracked();
        form.update(|f| f.default_locale = tag);
    };
    let texts = TextsBinding {
        form,
        errors,
        locale,
    };
    let preview_follow_up = move |score: u8| {
        if let Ok(score) = Score::try_from(score) {
            step.set(PreviewStep::FollowUp(score));
        }
    };

    view! {
        <section class="card" aria-labelledby="questions-title">
            <h3 id="questions-title">"Questions"</h3>
            <div class="tabs locale-tabs" role="tablist" aria-label="Languages">
                {tabs}
            </div>
            <div class="locale-tools">
                <div class="field inline">
                    <label for="f-new-locale">"Add a language"</label>
                    <input
                        id="f-new-locale"
                        type="text"
                        size="8"
                        placeholder="fr, ar, pt-BR"
                        prop:value=move || new_tag.get()
                        on:input=move |ev| new_tag.set(event_target_value(&ev))
                        on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                            if ev.key() == "Enter" {
                                ev.prevent_default();
                                add(());
                            }
                        }
                    />
                </div>
                <button type="button" class="button ghost small" on:click=move |_| add(())>"Add"</button>
                <span class="spacer"></span>
                <button
                    type="button"
                    class="button ghost small"
                    disabled=move || locale.get() == default_locale.get()
                    on:click=make_default
                >
                    "Make default"
                </button>
                <button
                    type="button"
                    class="button ghost small danger"
                    disabled=move || locale.get() == default_locale.get()
                    on:click=remove
                >
                    {move || format!("Remove {}", survey_form::language_name(&locale.get()))}
                </button>
            </div>
            {move || locale_error.get().map(|e| view! { <p class="field-error">{e}</p> })}
            {field_error(errors, || "default_locale".to_owned())}
            <div class="locale-fields" data-testid="locale-fields" lang=move || locale.get()
                dir=move || if nps_shared::locale::is_rtl(&locale.get()) { "rtl" } else { "ltr" }>
                {locale_text(texts, "Question", "question", |t| &t.question, |t| &mut t.question, true)}
                <div class="field-row">
                    {locale_text(texts, "Label under 0", "low_label", |t| &t.low_label, |t| &mut t.low_label, false)}
                    {locale_text(texts, "Label under 10", "high_label", |t| &t.high_label, |t| &mut t.high_label, false)}
                </div>
                <fieldset class="follow-ups">
                    <legend>"Follow-up question, by what the score said"</legend>
                    <div on:focusin=move |_| preview_follow_up(3)>
                        {locale_text(texts, "Detractors (0–6)", "follow_up.detractor", |t| &t.follow_up.detractor, |t| &mut t.follow_up.detractor, false)}
                    </div>
                    <div on:focusin=move |_| preview_follow_up(7)>
                        {locale_text(texts, "Passives (7–8)", "follow_up.passive", |t| &t.follow_up.passive, |t| &mut t.follow_up.passive, false)}
                    </div>
                    <div on:focusin=move |_| preview_follow_up(9)>
                        {locale_text(texts, "Promoters (9–10)", "follow_up.promoter", |t| &t.follow_up.promoter, |t| &mut t.follow_up.promoter, false)}
                    </div>
                </fieldset>
                <div class="field-row">
                    <div on:focusin=move |_| preview_follow_up(9) class="grow">
                        {locale_text(texts, "Comment placeholder", "comment_placeholder", |t| &t.comment_placeholder, |t| &mut t.comment_placeholder, false)}
                    </div>
                    {locale_text(texts, "Send button", "submit", |t| &t.submit, |t| &mut t.submit, false)}
                    {locale_text(texts, "Close button", "dismiss", |t| &t.dismiss, |t| &mut t.dismiss, false)}
                </div>
                <div on:focusin=move |_| step.set(PreviewStep::Thanks)>
                    {locale_text(texts, "Thank-you message", "thanks", |t| &t.thanks, |t| &mut t.thanks, false)}
                </div>
            </div>
        </section>
    }
}

#[component]
fn Look(form: RwSignal<SurveyForm>, errors: RwSignal<FieldErrors>) -> impl IntoView {
    let accent_path = || "theme.accent".to_owned();
    view! {
        <section class="card" aria-labelledby="look-title">
            <h3 id="look-title">"Look"</h3>
            <div class="field-row">
                <div class="field">
                    <label for="accent-text">"Brand colour"</label>
                    <div class="colour">
                        <input
                            type="color"
                            aria-label="Pick the brand colour"
                            prop:value=move || form.with(|f| survey_form::picker_accent(&f.accent))
                            on:input=move |ev| {
                                let value = event_target_value(&ev);
                                form.update(|f| f.accent = value);
                            }
                        />
                        <input
                            id="accent-text"
                            type="text"
                            size="9"
                            spellcheck="false"
                            prop:value=move || form.with(|f| f.accent.clone())
                            on:input=move |ev| {
                                let value = event_target_value(&ev);
                                form.update(|f| f.accent = value);
                            }
                            aria-invalid=invalid(errors, accent_path)
                            data-field="theme.accent"
                        />
                    </div>
                    <span class="hint">"Selected score, buttons and focus rings."</span>
                    {field_error(errors, accent_path)}
                </div>
                {number_input("Corner radius (px)", form, errors, "theme.radius", |f| &f.radius, |f| &mut f.radius)}
                {text_input("Font", form, errors, "theme.font", |f| &f.font, |f| &mut f.font, Some("A CSS font-family list, e.g. 'Open Sans', sans-serif; blank for the system font."))}
                <div class="field">
                    <label for="f-theme.position">"Position"</label>
                    <select id="f-theme.position" on:change=move |ev| {
                        let value = event_target_value(&ev);
                        form.update(|f| f.position = survey_form::parse_position(&value));
                    }>
                        {survey_form::POSITIONS.into_iter().map(|p| {
                            let name = survey_form::position_name(p);
                            let label = match p {
                                nps_shared::api::Position::BottomRight => "Floating, bottom right",
                                nps_shared::api::Position::BottomLeft => "Floating, bottom left",
                                nps_shared::api::Position::Inline => "Inline, where the tag is",
                            };
                            view! {
                                <option value=name prop:selected=move || form.with(|f| f.position == p)>{label}</option>
                            }
                        }).collect_view()}
                    </select>
                </div>
            </div>
        </section>
    }
}

#[component]
fn WhenToAsk(form: RwSignal<SurveyForm>, errors: RwSignal<FieldErrors>) -> impl IntoView {
    let origin_errors = move || {
        let list = form.with(|f| f.origin_list());
        errors
            .with(|e| e.indexed("allowed_origins", ""))
            .into_iter()
            .map(|(i, message)| {
                let value = list.get(i).cloned().unwrap_or_default();
                view! {
                    <p class="field-error" data-field=format!("allowed_origins[{i}]")>
                        {format!("Line {} “{value}” {message}", i + 1)}
                    </p>
                }
            })
            .collect_view()
    };
    let event_errors = move || {
        errors
            .with(|e| e.indexed("triggers.events", ""))
            .into_iter()
            .map(|(i, message)| {
                view! { <p class="field-error">{format!("Event {}: {message}", i + 1)}</p> }
            })
            .collect_view()
    };
    let rule_count = Memo::new(move |_| form.with(|f| f.url_rules.len()));
    let rules = move || {
        (0..rule_count.get())
            .map(|i| {
                let path = move || format!("triggers.url_rules[{i}].value");
                view! {
                    <li class="rule-row">
                        <select aria-label=format!("URL rule {} kind", i + 1) on:change=move |ev| {
                            let kind = survey_form::parse_url_match(&event_target_value(&ev));
                            form.update(|f| if let Some(r) = f.url_rules.get_mut(i) { r.kind = kind });
                        }>
                            {survey_form::URL_MATCHES.into_iter().map(|k| {
                                let name = survey_form::url_match_name(k);
                                view! {
                                    <option value=name prop:selected=move || form.with(|f| f.url_rules.get(i).is_some_and(|r| r.kind == k))>
                                        {format!("URL {name}")}
                                    </option>
                                }
                            }).collect_view()}
                        </select>
                        <input
                            type="text"
                            aria-label=format!("URL rule {} value", i + 1)
                            placeholder="/checkout/thanks"
                            prop:value=move || form.with(|f| f.url_rules.get(i).map(|r| r.value.clone()).unwrap_or_default())
                            on:input=move |ev| {
                                let value = event_target_value(&ev);
                                form.update(|f| if let Some(r) = f.url_rules.get_mut(i) { r.value = value });
                            }
                            aria-invalid=invalid(errors, path)
                        />
                        <button type="button" class="button ghost small" aria-label=format!("Remove URL rule {}", i + 1)
                            on:click=move |_| form.update(|f| { if i < f.url_rules.len() { f.url_rules.remove(i); } })>
                            "Remove"
                        </button>
                        {field_error(errors, path)}
                    </li>
                }
            })
            .collect_view()
    };
    view! {
        <section class="card" aria-labelledby="when-title">
            <h3 id="when-title">"When and where it asks"</h3>
            <div class="field-row">
                {number_input("Delay (seconds)", form, errors, "triggers.delay_seconds", |f| &f.delay_seconds, |f| &mut f.delay_seconds)}
                {number_input("Scroll depth (%)", form, errors, "triggers.scroll_percent", |f| &f.scroll_percent, |f| &mut f.scroll_percent)}
                {number_input("Sample (%)", form, errors, "triggers.sample_percent", |f| &f.sample_percent, |f| &mut f.sample_percent)}
            </div>
            <div class="checks">
                <label class="check">
                    <input type="checkbox" prop:checked=move || form.with(|f| f.exit_intent)
                        on:change=move |ev| { let on = event_target_checked(&ev); form.update(|f| f.exit_intent = on); } />
                    "On exit intent (desktop)"
                </label>
                <label class="check">
                    <input type="checkbox" prop:checked=move || form.with(|f| f.manual)
                        on:change=move |ev| { let on = event_target_checked(&ev); form.update(|f| f.manual = on); } />
                    "Only when the page calls " <code>"nps('show')"</code>
                </label>
            </div>
            {text_input("Only after these tracked events", form, errors, "triggers.events", |f| &f.events, |f| &mut f.events,
                Some("Names the page sends with nps('track', name), separated by commas; empty: no event needed."))}
            {event_errors}
            <div class="field">
                <span class="label">"Only on pages matching (any rule; none: every page)"</span>
                <ul class="rules">{rules}</ul>
                <div>
                    <button type="button" class="button ghost small" on:click=move |_| form.update(|f| f.url_rules.push(UrlRule {
                        kind: nps_shared::api::UrlMatch::Contains,
                        value: String::new(),
                    }))>
                        "Add URL rule"
                    </button>
                </div>
                {field_error(errors, || "triggers.url_rules".to_owned())}
            </div>
            <div class="field-row">
                {number_input("Ask again after (days)", form, errors, "throttle.days", |f| &f.throttle_days, |f| &mut f.throttle_days)}
                {number_input("After a dismissal (days)", form, errors, "throttle.dismissed_days", |f| &f.dismissed_days, |f| &mut f.dismissed_days)}
                {number_input("Answers per visitor and minute (blank: default)", form, errors, "rate_limit_per_minute", |f| &f.rate_limit, |f| &mut f.rate_limit)}
                {number_input("Keep answers (days, 30–3650; blank: forever)", form, errors, "retention_days", |f| &f.retention_days, |f| &mut f.retention_days)}
            </div>
            <div class="field">
                <label for="f-allowed_origins">"Allowed origins, one per line"</label>
                <textarea
                    id="f-allowed_origins"
                    rows="3"
                    spellcheck="false"
                    prop:value=move || form.with(|f| f.allowed_origins.clone())
                    on:input=move |ev| {
                        let value = event_target_value(&ev);
                        form.update(|f| f.allowed_origins = value);
                    }
                    aria-invalid=move || errors.with(|e| e.any_under("allowed_origins")).then_some("true")
                    data-field="allowed_origins"
                ></textarea>
                <span class="hint">"https://shop.example, https://*.shop.example, http://localhost:* or * for any site."</span>
                {field_error(errors, || "allowed_origins".to_owned())}
                {origin_errors}
            </div>
        </section>
    }
}

#[component]
fn CaseRules(form: RwSignal<SurveyForm>, errors: RwSignal<FieldErrors>) -> impl IntoView {
    let rule_count = Memo::new(move |_| form.with(|f| f.owner_rules.len()));
    let rule_input = move |i: usize,
                           part: &'static str,
                           label: &'static str,
                           placeholder: &'static str| {
        let path = move || format!("cases.owner_rules[{i}].{part}");
        let pick = move |r: &OwnerRule| -> String {
            match part {
                "property" => r.property.clone(),
                "equals" => r.equals.clone(),
                _ => r.owner.clone(),
            }
        };
        view! {
            <input
                type="text"
                aria-label=format!("Owner rule {} {label}", i + 1)
                placeholder=placeholder
                prop:value=move || form.with(|f| f.owner_rules.get(i).map(pick).unwrap_or_default())
                on:input=move |ev| {
                    let value = event_target_value(&ev);
                    form.update(|f| if let Some(r) = f.owner_rules.get_mut(i) {
                        match part {
                            "property" => r.property = value,
                            "equals" => r.equals = value,
                            _ => r.owner = value,
                        }
                    });
                }
                aria-invalid=invalid(errors, path)
            />
        }
    };
    let rules = move || {
        (0..rule_count.get())
            .map(|i| {
                let messages = move || {
                    ["property", "equals", "owner"]
                        .into_iter()
                        .filter_map(|part| {
                            errors.with(|e| e.get(&format!("cases.owner_rules[{i}].{part}")))
                                .map(|m| view! { <p class="field-error">{format!("{part}: {m}")}</p> })
                        })
                        .collect_view()
                };
                view! {
                    <li class="rule-row owner-rule">
                        <span class="muted small">"If"</span>
                        {rule_input(i, "property", "property", "store")}
                        <span class="muted small">"is"</span>
                        {rule_input(i, "equals", "value", "berlin")}
                        <span class="muted small">"→"</span>
                        {rule_input(i, "owner", "owner", "anna@shop.example")}
                        <button type="button" class="button ghost small" aria-label=format!("Remove owner rule {}", i + 1)
                            on:click=move |_| form.update(|f| { if i < f.owner_rules.len() { f.owner_rules.remove(i); } })>
                            "Remove"
                        </button>
                        {messages}
                    </li>
                }
            })
            .collect_view()
    };
    view! {
        <section class="card" aria-labelledby="cases-title">
            <h3 id="cases-title">"Detractor cases"</h3>
            <div class="field-row">
                {number_input("Open a case at or below", form, errors, "cases.threshold", |f| &f.case_threshold, |f| &mut f.case_threshold)}
                {number_input("SLA (hours)", form, errors, "cases.sla_hours", |f| &f.sla_hours, |f| &mut f.sla_hours)}
                {text_input("Default owner", form, errors, "cases.default_owner", |f| &f.default_owner, |f| &mut f.default_owner, None)}
            </div>
            <div class="field">
                <span class="label">"Owner rules (the first that matches the answer's properties wins)"</span>
                <ul class="rules">{rules}</ul>
                <div>
                    <button type="button" class="button ghost small" on:click=move |_| form.update(|f| f.owner_rules.push(OwnerRule {
                        property: String::new(),
                        equals: String::new(),
                        owner: String::new(),
                    }))>
                        "Add owner rule"
                    </button>
                </div>
            </div>
        </section>
    }
}
