//! The survey editor's mail card (issue 16): which provider mails the survey's
//! invitations and from whom, and the send log — each e-mail with its status. The
//! provider's API key is a worker secret, never shown or sent here.

use leptos::prelude::*;
use nps_shared::mail_settings::{MailProvider, MailSendView};

use crate::state::Session;
use crate::survey_form::{FieldErrors, SurveyForm};

/// The mail settings of the form, and (for a stored survey) its send log.
#[component]
pub fn MailSettings(
    form: RwSignal<SurveyForm>,
    errors: RwSignal<FieldErrors>,
    /// The stored survey's id; `None` while creating (no log yet).
    survey_id: Option<String>,
) -> impl IntoView {
    let field = move |label: &'static str,
                      path: &'static str,
                      get: fn(&SurveyForm) -> String,
                      set: fn(&mut SurveyForm, String)| {
        let id = format!("f-{path}");
        view! {
            <div class="field">
                <label for=id.clone()>{label}</label>
                <input
                    id=id
                    type="text"
                    data-field=path
                    prop:value=move || form.with(get)
                    on:input=move |ev| {
                        let value = event_target_value(&ev);
                        form.update(|f| set(f, value));
                    }
                    aria-invalid=move || errors.with(|e| e.get(path).is_some()).then_some("true")
                    aria-describedby=move || errors.with(|e| e.get(path).is_some()).then(|| format!("err-{path}"))
                />
                {move || errors.with(|e| e.get(path)).map(|message| view! {
                    <p class="field-error" id=format!("err-{path}") data-field=path>{message}</p>
                })}
            </div>
        }
    };
    view! {
        <section class="card" aria-labelledby="mail-title">
            <h3 id="mail-title">"E-mail"</h3>
            <p class="hint">
                "When an invitation is due, the worker mails it through this provider (its API key is the worker secret POSTMARK_SERVER_TOKEN or RESEND_API_KEY). None: your own mail tool sends it on the invitation.due webhook."
            </p>
            <div class="field-row">
                <div class="field">
                    <label for="f-mail.provider">"Provider"</label>
                    <select id="f-mail.provider" data-field="mail.provider" on:change=move |ev| {
                        let value = event_target_value(&ev);
                        form.update(|f| f.mail_provider = value);
                    }>
                        <option value="" prop:selected=move || form.with(|f| f.mail_provider.is_empty())>"None"</option>
                        {MailProvider::ALL.into_iter().map(|p| {
                            let name = p.as_str();
                            let label = match p {
                                MailProvider::Postmark => "Postmark",
                                MailProvider::Resend => "Resend",
                            };
                            view! {
                                <option value=name prop:selected=move || form.with(|f| f.mail_provider == name)>{label}</option>
                            }
                        }).collect_view()}
                    </select>
                </div>
                {field("From address", "mail.from_address", |f| f.mail_from_address.clone(), |f, v| f.mail_from_address = v)}
                {field("From name", "mail.from_name", |f| f.mail_from_name.clone(), |f, v| f.mail_from_name = v)}
                {field("Reply-to", "mail.reply_to", |f| f.mail_reply_to.clone(), |f, v| f.mail_reply_to = v)}
            </div>
            {survey_id.map(|id| view! { <SendLog survey_id=id /> })}
        </section>
    }
}

/// The survey's newest e-mails with their status.
#[component]
fn SendLog(survey_id: String) -> impl IntoView {
    let session = expect_context::<Session>();
    let sends = LocalResource::new(move || {
        let id = survey_id.clone();
        async move {
            let api = session.api()?;
            session.check(api.mail_sends(&id).await)
        }
    });
    let row = |s: MailSendView| {
        view! {
            <tr data-testid="mail-send">
                <td>{s.email}</td>
                <td><span class="pill">{s.status.as_str()}</span></td>
                <td>{s.attempts}</td>
                <td>{s.updated_at}</td>
                <td>{s.last_error.unwrap_or_default()}</td>
            </tr>
        }
    };
    view! {
        <h4>"Send log"</h4>
        {move || match sends.get() {
            None => view! { <p class="hint">"Loading…"</p> }.into_any(),
            Some(Err(e)) => view! { <p class="error" role="alert">{e.message()}</p> }.into_any(),
            Some(Ok(page)) if page.items.is_empty() => {
                view! { <p class="hint">"No e-mails yet."</p> }.into_any()
            }
            Some(Ok(page)) => view! {
                <table class="table" aria-label="Send log">
                    <thead><tr><th>"Recipient"</th><th>"Status"</th><th>"Attempts"</th><th>"Updated"</th><th>"Last error"</th></tr></thead>
                    <tbody>{page.items.into_iter().map(row).collect_view()}</tbody>
                </table>
            }.into_any(),
        }}
    }
}
