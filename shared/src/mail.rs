//! The invitation e-mail the worker sends itself (issue 16), pure: the message (the
//! localised subject, the whole HTML document around `email::score_row`, the text
//! part, the RFC 8058 one-click unsubscribe headers), each provider's HTTP request as
//! its API documents it, what the provider's answer means, the signed unsubscribe
//! token, and the providers' bounce/complaint webhooks read into one shape.
//!
//! Providers, as documented:
//! - Postmark (`postmarkapp.com/developer/user-guide/send-email-with-api`):
//!   `POST {base}/email`, headers `Accept`/`Content-Type: application/json` and
//!   `X-Postmark-Server-Token`; body `From`, `To`, `Subject`, `HtmlBody`, `TextBody`,
//!   `ReplyTo`, `Headers: [{Name, Value}]`, `MessageStream`; the answer carries
//!   `MessageID`, `ErrorCode` (406: the recipient is inactive) and `Message`.
//!   Webhooks: `RecordType: "Bounce"` (with `Type`, e.g. `HardBounce`) and
//!   `RecordType: "SpamComplaint"`, each with `MessageID` and `Email`.
//! - Resend (`resend.com/docs/api-reference/emails/send-email`): `POST {base}/emails`,
//!   `Authorization: Bearer {key}`; body `from`, `to` (array), `subject`, `html`,
//!   `text`, `reply_to`, `headers` (an object); the answer `{"id"}`. Webhooks are
//!   signed by Svix (= Standard Webhooks, `crate::webhook::verify`): `type`
//!   `email.bounced` / `email.complained`, `data.email_id`, `data.to`.
//!
//! Depends on `api` (texts), `email` (the score row, escaping), `mail_settings`,
//! `locale`; no I/O. The settings are checked in `validate::check_mail`.

use crate::api::SurveyTexts;
use crate::email::{escape, score_row};
use crate::mail_settings::{MailProvider, MailSettings, SuppressionReason};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

/// Gmail clips a message whose HTML is larger than this; ours must stay below.
pub const GMAIL_CLIP_BYTES: usize = 102 * 1024;

/// The words of the e-mail and of the unsubscribe page in one language.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MailWords {
    /// `{brand}` stands for the survey's name.
    pub subject: &'static str,
    /// The footer link and the page's button.
    pub unsubscribe: &'static str,
    /// The page's question before the button.
    pub confirm: &'static str,
    /// The page after the click.
    pub done: &'static str,
    /// The text part's line before the link.
    pub open: &'static str,
}

const WORDS: [(&str, MailWords); 12] = [
    (
        "en",
        MailWords {
            subject: "How did we do? A quick question from {brand}",
            unsubscribe: "Unsubscribe",
            confirm: "Stop receiving survey e-mails at this address?",
            done: "You are unsubscribed. You will get no more survey e-mails.",
            open: "Answer here:",
        },
    ),
    (
        "de",
        MailWords {
            subject: "Wie waren wir? Eine kurze Frage von {brand}",
            unsubscribe: "Abmelden",
            confirm: "Keine Umfrage-E-Mails mehr an diese Adresse senden?",
            done: "Sie sind abgemeldet und erhalten keine Umfrage-E-Mails mehr.",
            open: "Hier antworten:",
        },
    ),
    (
        "fr",
        MailWords {
            subject: "Votre avis compte\u{a0}: une question rapide de {brand}",
            unsubscribe: "Se désabonner",
            confirm: "Ne plus recevoir d’e-mails d’enquête à cette adresse\u{a0}?",
            done: "Vous êtes désabonné. Vous ne recevrez plus d’e-mails d’enquête.",
            open: "Répondre ici\u{a0}:",
        },
    ),
    (
        "es",
        MailWords {
            subject: "¿Qué tal lo hicimos? Una pregunta rápida de {brand}",
            unsubscribe: "Darse de baja",
            confirm: "¿Dejar de recibir encuestas por correo en esta dirección?",
            done: "Se ha dado de baja. No recibirá más encuestas por correo.",
            open: "Responda aquí:",
        },
    ),
    (
        "it",
        MailWords {
            subject: "Com’è andata? Una domanda veloce da {brand}",
            unsubscribe: "Annulla iscrizione",
            confirm: "Non ricevere più e-mail di sondaggio a questo indirizzo?",
            done: "Iscrizione annullata. Non riceverai più e-mail di sondaggio.",
            open: "Rispondi qui:",
        },
    ),
    (
        "nl",
        MailWords {
            subject: "Hoe deden we het? Een korte vraag van {brand}",
            unsubscribe: "Afmelden",
            confirm: "Geen enquête-e-mails meer ontvangen op dit adres?",
            done: "U bent afgemeld. U ontvangt geen enquête-e-mails meer.",
            open: "Antwoord hier:",
        },
    ),
    (
        "pt",
        MailWords {
            subject: "Como nos saímos? Uma pergunta rápida de {brand}",
            unsubscribe: "Cancelar inscrição",
            confirm: "Deixar de receber e-mails de pesquisa neste endereço?",
            done: "Inscrição cancelada. Não receberá mais e-mails de pesquisa.",
            open: "Responda aqui:",
        },
    ),
    (
        "pl",
        MailWords {
            subject: "Jak nam poszło? Krótkie pytanie od {brand}",
            unsubscribe: "Wypisz się",
            confirm: "Nie otrzymywać więcej ankiet e-mail na ten adres?",
            done: "Wypisano. Nie otrzymasz więcej ankiet e-mail.",
            open: "Odpowiedz tutaj:",
        },
    ),
    (
        "sv",
        MailWords {
            subject: "Hur gick det? En snabb fråga från {brand}",
            unsubscribe: "Avregistrera",
            confirm: "Sluta ta emot enkätmejl på den här adressen?",
            done: "Du är avregistrerad och får inga fler enkätmejl.",
            open: "Svara här:",
        },
    ),
    (
        "ja",
        MailWords {
            subject: "{brand}からのご質問：ご満足いただけましたか？",
            unsubscribe: "配信停止",
            confirm: "このアドレスへのアンケートメールを停止しますか？",
            done: "配信を停止しました。今後アンケートメールは届きません。",
            open: "こちらからご回答ください：",
        },
    ),
    (
        "ar",
        MailWords {
            subject: "كيف كانت تجربتك؟ سؤال سريع من {brand}",
            unsubscribe: "إلغاء الاشتراك",
            confirm: "هل تريد إيقاف رسائل الاستبيان إلى هذا العنوان؟",
            done: "تم إلغاء اشتراكك. لن تصلك رسائل استبيان بعد الآن.",
            open: "أجب هنا:",
        },
    ),
    (
        "he",
        MailWords {
            subject: "איך היה? שאלה קצרה מ-{brand}",
            unsubscribe: "הסרה מרשימת התפוצה",
            confirm: "להפסיק לקבל סקרים בדוא״ל בכתובת זו?",
            done: "הוסרת. לא יישלחו אליך עוד סקרים בדוא״ל.",
            open: "להשיב כאן:",
        },
    ),
];

/// The built-in words of `tag`'s language, else English.
pub fn words(tag: &str) -> &'static MailWords {
    let language = crate::locale::language(tag).unwrap_or_default();
    WORDS
        .iter()
        .find(|(l, _)| *l == language)
        .map_or(&WORDS[0].1, |(_, w)| w)
}

/// One invitation e-mail, ready for any provider.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// `Name <address>` or the address.
    pub from: String,
    pub to: String,
    pub reply_to: Option<String>,
    pub subject: String,
    pub html: String,
    pub text: String,
    /// `List-Unsubscribe` and `List-Unsubscribe-Post` (RFC 8058).
    pub headers: Vec<(String, String)>,
    /// Postmark's message stream.
    pub message_stream: Option<String>,
}

/// What an invitation e-mail says and links to.
pub struct Invite<'a> {
    pub brand: &'a str,
    /// The language the invitation link asks in (its `locale=`).
    pub locale: &'a str,
    pub texts: &'a SurveyTexts,
    /// A checked `#rrggbb`.
    pub accent: &'a str,
    /// The hosted page's link with the token; `&score=n` is added per score.
    pub url: &'a str,
    /// `https://…/u/{token}`.
    pub unsubscribe_url: &'a str,
    pub to: &'a str,
}

/// The subject of an invitation in `locale`: the survey's own (`mail.subject`, by the
/// exact tag, then by its language), else the built-in words; `{brand}` filled in.
pub fn subject(settings: &MailSettings, locale: &str, brand: &str) -> String {
    let language = crate::locale::language(locale).unwrap_or_default();
    let own = settings
        .subject
        .get(locale)
        .or_else(|| settings.subject.get(language.as_str()));
    own.map_or(words(locale).subject, String::as_str)
        .replace("{brand}", brand)
}

fn direction(locale: &str) -> &'static str {
    if crate::locale::is_rtl(locale) {
        "rtl"
    } else {
        "ltr"
    }
}

/// The whole message for one invitation.
pub fn compose(settings: &MailSettings, invite: &Invite) -> Message {
    let words = words(invite.locale);
    let subject = subject(settings, invite.locale, invite.brand);
    let row = score_row(invite.texts, invite.accent, |n| {
        format!("{}&score={n}", invite.url)
    });
    let html = format!(
        concat!(
            "<!DOCTYPE html>",
            r#"<html lang="{lang}" dir="{dir}"><head><meta charset="utf-8">"#,
            r#"<meta name="viewport" content="width=device-width,initial-scale=1">"#,
            r#"<meta name="color-scheme" content="light"><title>{subject}</title>"#,
            // Phones: narrower buttons so that 0–10 fit 320 px (clients without media
            // queries keep the row as wide as it is and let it scroll).
            r#"<style>@media (max-width:480px){{a.nps-score{{width:22px!important;line-height:30px!important;font-size:13px!important}}"#,
            r#"td.nps-cell{{padding:1px!important}}td.nps-row{{padding:12px 0 16px!important}}}}</style></head>"#,
            r#"<body style="margin:0;padding:0;background:#f3f4f6">"#,
            // The preheader: the inbox's preview line, not shown in the message.
            r#"<div style="display:none;max-height:0;overflow:hidden;mso-hide:all">{preheader}</div>"#,
            r#"<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="background:#f3f4f6">"#,
            r#"<tr><td align="center" style="padding:24px 8px">"#,
            r#"<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="max-width:560px;background:#ffffff;border-radius:8px;border-top:4px solid {accent}">"#,
            r#"<tr><td style="padding:20px 16px 4px;font:bold 18px Arial,Helvetica,sans-serif;color:#111827">{brand}</td></tr>"#,
            r#"<tr><td class="nps-row" align="center" style="padding:12px 8px 20px;overflow-x:auto">{row}</td></tr>"#,
            r#"</table>"#,
            r#"<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="max-width:560px">"#,
            r#"<tr><td align="center" style="padding:16px 8px;font:12px Arial,Helvetica,sans-serif;color:#6b7280">"#,
            r#"<a href="{unsubscribe_url}" style="color:#6b7280;text-decoration:underline">{unsubscribe}</a></td></tr>"#,
            r#"</table></td></tr></table></body></html>"#
        ),
        lang = escape(invite.locale),
        dir = direction(invite.locale),
        subject = escape(&subject),
        preheader = escape(&invite.texts.question),
        accent = invite.accent,
        brand = escape(invite.brand),
        row = row,
        unsubscribe_url = escape(invite.unsubscribe_url),
        unsubscribe = escape(words.unsubscribe),
    );
    let scores: String = (0..=10)
        .map(|n| format!("{n}: {}&score={n}\n", invite.url))
        .collect();
    let text = format!(
        "{question}\n\n{low} = 0, {high} = 10\n\n{scores}\n{open} {url}\n\n--\n{unsubscribe}: {unsubscribe_url}\n",
        question = invite.texts.question,
        low = invite.texts.low_label,
        high = invite.texts.high_label,
        open = words.open,
        url = invite.url,
        unsubscribe = words.unsubscribe,
        unsubscribe_url = invite.unsubscribe_url,
    );
    let from_address = settings.from_address.trim();
    let from = match settings.from_name.as_deref().map(str::trim) {
        Some(name) if !name.is_empty() => format!("\"{name}\" <{from_address}>"),
        _ => from_address.to_string(),
    };
    Message {
        from,
        to: invite.to.trim().to_string(),
        reply_to: settings.reply_to.as_deref().map(|r| r.trim().to_string()),
        subject,
        html,
        text,
        headers: vec![
            (
                "List-Unsubscribe".into(),
                format!("<{}>", invite.unsubscribe_url),
            ),
            (
                "List-Unsubscribe-Post".into(),
                "List-Unsubscribe=One-Click".into(),
            ),
        ],
        message_stream: settings.message_stream.clone(),
    }
}

/// An HTTP request to a provider's API.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProviderRequest {
    pub url: String,
    /// Always `POST`.
    pub method: &'static str,
    pub headers: Vec<(&'static str, String)>,
    pub body: String,
}

/// The documented base URL of each provider's API (overridable by the worker's
/// `POSTMARK_API_URL` / `RESEND_API_URL`, for a local receiver in tests).
pub fn default_base_url(provider: MailProvider) -> &'static str {
    match provider {
        MailProvider::Postmark => "https://api.postmarkapp.com",
        MailProvider::Resend => "https://api.resend.com",
    }
}

/// The secret holding each provider's API key.
pub fn key_secret(provider: MailProvider) -> &'static str {
    match provider {
        MailProvider::Postmark => "POSTMARK_SERVER_TOKEN",
        MailProvider::Resend => "RESEND_API_KEY",
    }
}

/// The request that sends `message` through `provider`. `idempotency` (the send's
/// id) goes along where the API takes one (Resend's `Idempotency-Key`), so a retry
/// after a lost answer is not a second e-mail.
pub fn request(
    provider: MailProvider,
    base_url: &str,
    api_key: &str,
    message: &Message,
    idempotency: &str,
) -> ProviderRequest {
    let base = base_url.trim_end_matches('/');
    match provider {
        MailProvider::Postmark => {
            let mut body = json!({
                "From": message.from,
                "To": message.to,
                "Subject": message.subject,
                "HtmlBody": message.html,
                "TextBody": message.text,
                "Headers": message.headers.iter()
                    .map(|(name, value)| json!({"Name": name, "Value": value}))
                    .collect::<Vec<_>>(),
                "MessageStream": message.message_stream.as_deref().unwrap_or("outbound"),
            });
            if let (Some(reply_to), Some(map)) = (&message.reply_to, body.as_object_mut()) {
                map.insert("ReplyTo".into(), reply_to.as_str().into());
            }
            ProviderRequest {
                url: format!("{base}/email"),
                method: "POST",
                headers: vec![
                    ("Accept", "application/json".into()),
                    ("Content-Type", "application/json".into()),
                    ("X-Postmark-Server-Token", api_key.to_string()),
                ],
                body: body.to_string(),
            }
        }
        MailProvider::Resend => {
            let headers: serde_json::Map<String, Value> = message
                .headers
                .iter()
                .map(|(name, value)| (name.clone(), Value::from(value.as_str())))
                .collect();
            let mut body = json!({
                "from": message.from,
                "to": [message.to],
                "subject": message.subject,
                "html": message.html,
                "text": message.text,
                "headers": headers,
            });
            if let (Some(reply_to), Some(map)) = (&message.reply_to, body.as_object_mut()) {
                map.insert("reply_to".into(), reply_to.as_str().into());
            }
            ProviderRequest {
                url: format!("{base}/emails"),
                method: "POST",
                headers: vec![
                    ("Authorization", format!("Bearer {api_key}")),
                    ("Content-Type", "application/json".into()),
                    ("Idempotency-Key", idempotency.to_string()),
                ],
                body: body.to_string(),
            }
        }
    }
}

/// What a provider's answer to a send means.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SendResult {
    /// Accepted, with the provider's message id (bounces name it).
    Sent(String),
    /// Worth another attempt (5xx, 429, a timeout).
    Retry(String),
    /// Can never succeed; `suppress` when the provider says the address is dead.
    Rejected {
        error: String,
        suppress: Option<SuppressionReason>,
    },
}

/// Reads the provider's answer (`status`, `body`).
pub fn read_response(provider: MailProvider, status: u16, body: &str) -> SendResult {
    let json: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    let short: String = body.chars().take(300).collect();
    if (200..300).contains(&status) {
        let id = match provider {
            MailProvider::Postmark => json["MessageID"].as_str(),
            MailProvider::Resend => json["id"].as_str(),
        };
        return match id {
            Some(id) if !id.is_empty() => SendResult::Sent(id.to_string()),
            // Accepted but unreadable: sending again could mail twice.
            _ => SendResult::Sent(String::new()),
        };
    }
    if status == 429 || status >= 500 || status == 408 {
        return SendResult::Retry(format!("{status} {short}"));
    }
    let error = format!("{status} {short}");
    // Postmark: 422 with ErrorCode 406, "You tried to send to a recipient that has
    // been marked as inactive" (hard bounce or spam complaint before).
    let suppress = (provider == MailProvider::Postmark
        && status == 422
        && json["ErrorCode"].as_i64() == Some(406))
    .then_some(SuppressionReason::Bounced);
    // 401/403 (a wrong key) may be fixed by the operator: kept retrying.
    if matches!(status, 401 | 403) {
        return SendResult::Retry(error);
    }
    SendResult::Rejected { error, suppress }
}

/// An address a provider reported dead or complaining, and the message it was about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProviderEvent {
    pub reason: SuppressionReason,
    /// The address as the provider reported it.
    pub email: String,
    pub provider_message_id: Option<String>,
}

/// A Postmark webhook: a hard bounce (and the other permanent kinds) or a spam
/// complaint; `None` for anything else (soft bounces, deliveries, opens: ignored).
pub fn read_postmark_event(body: &Value) -> Option<ProviderEvent> {
    let reason = match body["RecordType"].as_str()? {
        "Bounce" => match body["Type"].as_str()? {
            "HardBounce" | "BadEmailAddress" | "ManuallyDeactivated" => SuppressionReason::Bounced,
            "SpamComplaint" => SuppressionReason::Complained,
            _ => return None,
        },
        "SpamComplaint" => SuppressionReason::Complained,
        _ => return None,
    };
    Some(ProviderEvent {
        reason,
        email: body["Email"].as_str()?.to_string(),
        provider_message_id: body["MessageID"].as_str().map(str::to_string),
    })
}

/// A Resend webhook (already verified): `email.bounced` or `email.complained`.
pub fn read_resend_event(body: &Value) -> Option<ProviderEvent> {
    let reason = match body["type"].as_str()? {
        "email.bounced" => SuppressionReason::Bounced,
        "email.complained" => SuppressionReason::Complained,
        _ => return None,
    };
    let data = &body["data"];
    let email = match &data["to"] {
        Value::Array(to) => to.first()?.as_str()?,
        Value::String(to) => to.as_str(),
        _ => return None,
    };
    Some(ProviderEvent {
        reason,
        email: email.to_string(),
        provider_message_id: data["email_id"].as_str().map(str::to_string),
    })
}

fn unsubscribe_mac(secret: &[u8], send_id: &str) -> Hmac<Sha256> {
    // HMAC takes keys of any length.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret).unwrap_or_else(|_| unreachable!());
    mac.update(b"unsubscribe.");
    mac.update(send_id.as_bytes());
    mac
}

/// The token of an e-mail's unsubscribe link: the send's id (`ml_…`, which names the
/// address server-side, so no address is in the link) and an HMAC of it.
pub fn unsubscribe_token(secret: &[u8], send_id: &str) -> String {
    let tag = unsubscribe_mac(secret, send_id).finalize().into_bytes();
    format!("{send_id}.{}", B64URL.encode(&tag[..16]))
}

/// The send id of a genuine unsubscribe token (its MAC checked in constant time).
pub fn read_unsubscribe_token(secret: &[u8], token: &str) -> Option<String> {
    let (id, tag) = token.split_once('.')?;
    if !crate::ids::is_id("ml_", id) {
        return None;
    }
    let tag = B64URL.decode(tag).ok()?;
    unsubscribe_mac(secret, id)
        .verify_truncated_left(&tag)
        .ok()
        .filter(|()| tag.len() == 16)
        .map(|()| id.to_string())
}

/// The small page of `GET /u/{token}` (a confirm button that posts the RFC 8058 body
/// back to the same URL) and, with `done`, of the `POST` after it.
pub fn unsubscribe_page(locale: &str, done: bool) -> String {
    let w = words(locale);
    let body = if done {
        format!("<p>{}</p>", escape(w.done))
    } else {
        format!(
            concat!(
                "<p>{confirm}</p><form method=\"post\">",
                "<input type=\"hidden\" name=\"List-Unsubscribe\" value=\"One-Click\">",
                "<button type=\"submit\">{button}</button></form>"
            ),
            confirm = escape(w.confirm),
            button = escape(w.unsubscribe),
        )
    };
    format!(
        concat!(
            "<!DOCTYPE html><html lang=\"{lang}\" dir=\"{dir}\"><head><meta charset=\"utf-8\">",
            "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">",
            "<title>{title}</title><style>body{{font:16px system-ui,sans-serif;max-width:32rem;",
            "margin:3rem auto;padding:0 1rem;color:#111827}}button{{font:inherit;padding:.5rem 1rem}}",
            "</style></head><body><main><h1>{title}</h1>{body}</main></body></html>"
        ),
        lang = escape(locale),
        dir = direction(locale),
        title = escape(w.unsubscribe),
        body = body,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts() -> SurveyTexts {
        let w = crate::words::built_in("de").unwrap();
        w.texts(Some("Schuhhaus"))
    }

    fn settings(provider: MailProvider) -> MailSettings {
        MailSettings {
            provider,
            from_address: "umfrage@shop.example".into(),
            from_name: Some("Schuhhaus".into()),
            reply_to: Some("hilfe@shop.example".into()),
            message_stream: None,
            subject: Default::default(),
        }
    }

    const URL: &str = "https://nps.example/s/s_demo?token=v2.inv_1.abc&locale=de";
    const UNSUBSCRIBE: &str = "https://nps.example/u/ml_1.xyz";

    fn message(provider: MailProvider) -> Message {
        let texts = texts();
        compose(
            &settings(provider),
            &Invite {
                brand: "Schuhhaus",
                locale: "de",
                texts: &texts,
                accent: "#0f766e",
                url: URL,
                unsubscribe_url: UNSUBSCRIBE,
                to: " kim@example.com ",
            },
        )
    }

    #[test]
    fn the_message_asks_in_the_invitations_language_with_a_link_per_score_and_one_click_unsubscribe()
     {
        let m = message(MailProvider::Postmark);
        assert_eq!(m.subject, "Wie waren wir? Eine kurze Frage von Schuhhaus");
        assert_eq!(m.from, "\"Schuhhaus\" <umfrage@shop.example>");
        assert_eq!(m.to, "kim@example.com");
        assert!(
            m.html
                .starts_with("<!DOCTYPE html><html lang=\"de\" dir=\"ltr\">")
        );
        assert_eq!(m.html.matches("&amp;score=").count(), 11);
        assert!(m.html.contains("Wie wahrscheinlich"));
        assert!(m.html.contains(&format!("href=\"{UNSUBSCRIBE}\"")));
        assert!(m.html.contains(">Abmelden</a>"));
        assert!(m.text.contains(&format!("10: {URL}&score=10\n")));
        assert!(m.text.contains(&format!("Abmelden: {UNSUBSCRIBE}")));
        assert_eq!(
            m.headers,
            vec![
                ("List-Unsubscribe".to_string(), format!("<{UNSUBSCRIBE}>")),
                (
                    "List-Unsubscribe-Post".to_string(),
                    "List-Unsubscribe=One-Click".to_string()
                ),
            ]
        );
    }

    #[test]
    fn a_surveys_own_subject_wins_by_tag_then_by_language_and_every_built_in_language_has_one() {
        let mut s = settings(MailProvider::Resend);
        s.subject
            .insert("de".into(), "Ihre Meinung zu {brand}".into());
        assert_eq!(subject(&s, "de-AT", "Laden"), "Ihre Meinung zu Laden");
        assert_eq!(
            subject(&s, "fr", "Laden"),
            "Votre avis compte\u{a0}: une question rapide de Laden"
        );
        for language in crate::words::LANGUAGES {
            let w = words(language);
            assert!(w.subject.contains("{brand}"), "{language}");
            if language != "en" {
                assert_ne!(w.unsubscribe, WORDS[0].1.unsubscribe, "{language}");
            }
        }
        assert_eq!(words("xx").subject, WORDS[0].1.subject);
        assert!(message(MailProvider::Postmark).html.contains("dir=\"ltr\""));
    }

    #[test]
    fn the_html_stays_under_gmails_clip_even_with_the_longest_texts_allowed() {
        let long = |n: usize| "Ü&<".repeat(n / 3 + 1);
        let texts = SurveyTexts {
            question: long(300),
            low_label: long(60),
            high_label: long(60),
            ..texts()
        };
        let mut s = settings(MailProvider::Postmark);
        s.subject.insert("de".into(), long(200));
        let url = format!(
            "https://nps.example/s/s_demo?token={}&locale=de",
            "a".repeat(600)
        );
        let m = compose(
            &s,
            &Invite {
                brand: &long(200),
                locale: "de",
                texts: &texts,
                accent: "#0f766e",
                url: &url,
                unsubscribe_url: UNSUBSCRIBE,
                to: "kim@example.com",
            },
        );
        assert!(m.html.len() < GMAIL_CLIP_BYTES, "{} bytes", m.html.len());
        assert!(!m.html.contains("Ü&<"), "texts are escaped");
        let normal = message(MailProvider::Postmark);
        assert!(normal.html.len() < 12 * 1024, "{}", normal.html.len());
    }

    #[test]
    fn the_postmark_request_is_the_documented_send_email_call() {
        let m = message(MailProvider::Postmark);
        let r = request(
            MailProvider::Postmark,
            "https://api.postmarkapp.com/",
            "server-token",
            &m,
            "ml_1",
        );
        assert_eq!(r.method, "POST");
        assert_eq!(r.url, "https://api.postmarkapp.com/email");
        assert!(
            r.headers
                .contains(&("X-Postmark-Server-Token", "server-token".into()))
        );
        assert!(r.headers.contains(&("Accept", "application/json".into())));
        let body: Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(body["From"], "\"Schuhhaus\" <umfrage@shop.example>");
        assert_eq!(body["To"], "kim@example.com");
        assert_eq!(body["Subject"], m.subject.as_str());
        assert_eq!(body["HtmlBody"], m.html.as_str());
        assert_eq!(body["TextBody"], m.text.as_str());
        assert_eq!(body["ReplyTo"], "hilfe@shop.example");
        assert_eq!(body["MessageStream"], "outbound");
        assert_eq!(
            body["Headers"],
            json!([
                {"Name": "List-Unsubscribe", "Value": format!("<{UNSUBSCRIBE}>")},
                {"Name": "List-Unsubscribe-Post", "Value": "List-Unsubscribe=One-Click"}
            ])
        );
    }

    #[test]
    fn the_resend_request_is_the_documented_send_email_call() {
        let m = message(MailProvider::Resend);
        let r = request(
            MailProvider::Resend,
            "https://api.resend.com",
            "re_123",
            &m,
            "ml_1",
        );
        assert_eq!(r.url, "https://api.resend.com/emails");
        assert!(
            r.headers
                .contains(&("Authorization", "Bearer re_123".into()))
        );
        assert!(r.headers.contains(&("Idempotency-Key", "ml_1".into())));
        let body: Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(body["from"], "\"Schuhhaus\" <umfrage@shop.example>");
        assert_eq!(body["to"], json!(["kim@example.com"]));
        assert_eq!(body["subject"], m.subject.as_str());
        assert_eq!(body["html"], m.html.as_str());
        assert_eq!(body["text"], m.text.as_str());
        assert_eq!(body["reply_to"], "hilfe@shop.example");
        assert_eq!(
            body["headers"],
            json!({
                "List-Unsubscribe": format!("<{UNSUBSCRIBE}>"),
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"
            })
        );
    }

    #[test]
    fn provider_answers_are_sent_retried_or_rejected() {
        let p = MailProvider::Postmark;
        assert_eq!(
            read_response(
                p,
                200,
                r#"{"To":"k@x.example","MessageID":"b7bc2f4a","ErrorCode":0}"#
            ),
            SendResult::Sent("b7bc2f4a".into())
        );
        assert_eq!(
            read_response(MailProvider::Resend, 200, r#"{"id":"49a3999c"}"#),
            SendResult::Sent("49a3999c".into())
        );
        assert!(matches!(
            read_response(p, 500, "down"),
            SendResult::Retry(_)
        ));
        assert!(matches!(read_response(p, 429, ""), SendResult::Retry(_)));
        assert!(matches!(read_response(p, 401, ""), SendResult::Retry(_)));
        assert!(matches!(
            read_response(p, 422, r#"{"ErrorCode":406,"Message":"inactive"}"#),
            SendResult::Rejected {
                suppress: Some(SuppressionReason::Bounced),
                ..
            }
        ));
        assert!(matches!(
            read_response(
                p,
                422,
                r#"{"ErrorCode":300,"Message":"Invalid email request"}"#
            ),
            SendResult::Rejected { suppress: None, .. }
        ));
    }

    #[test]
    fn provider_webhooks_name_the_address_and_the_message_and_soft_bounces_are_ignored() {
        let hard = json!({"RecordType": "Bounce", "Type": "HardBounce", "TypeCode": 1,
            "MessageID": "883953f4", "Email": "john@example.com"});
        assert_eq!(
            read_postmark_event(&hard),
            Some(ProviderEvent {
                reason: SuppressionReason::Bounced,
                email: "john@example.com".into(),
                provider_message_id: Some("883953f4".into()),
            })
        );
        let spam = json!({"RecordType": "SpamComplaint", "MessageID": "m", "Email": "a@b.example"});
        assert_eq!(
            read_postmark_event(&spam).unwrap().reason,
            SuppressionReason::Complained
        );
        let soft = json!({"RecordType": "Bounce", "Type": "SoftBounce", "MessageID": "m", "Email": "a@b.example"});
        assert_eq!(read_postmark_event(&soft), None);
        let resend = json!({"type": "email.bounced", "created_at": "2026-01-01T00:00:00Z",
            "data": {"email_id": "56761188", "to": ["kim@example.com"], "subject": "x"}});
        assert_eq!(
            read_resend_event(&resend),
            Some(ProviderEvent {
                reason: SuppressionReason::Bounced,
                email: "kim@example.com".into(),
                provider_message_id: Some("56761188".into()),
            })
        );
        let delivered = json!({"type": "email.delivered", "data": {"to": ["kim@example.com"]}});
        assert_eq!(read_resend_event(&delivered), None);
    }

    #[test]
    fn an_unsubscribe_token_names_its_send_and_no_other() {
        let id = crate::ids::new_id("ml_", 1_764_000_000_000, [7; 10]);
        let other = crate::ids::new_id("ml_", 1_764_000_000_000, [8; 10]);
        let token = unsubscribe_token(b"secret", &id);
        assert_eq!(read_unsubscribe_token(b"secret", &token), Some(id.clone()));
        assert_eq!(read_unsubscribe_token(b"other", &token), None);
        let (_, tag) = token.split_once('.').unwrap();
        assert_eq!(
            read_unsubscribe_token(b"secret", &format!("{other}.{tag}")),
            None
        );
        assert_eq!(read_unsubscribe_token(b"secret", &id), None);
        assert_eq!(
            read_unsubscribe_token(b"secret", &token[..token.len() - 2]),
            None
        );
    }

    #[test]
    fn the_unsubscribe_page_posts_the_one_click_body_back() {
        let page = unsubscribe_page("he", false);
        assert!(page.contains("dir=\"rtl\""));
        assert!(page.contains("<form method=\"post\">"));
        assert!(page.contains("name=\"List-Unsubscribe\" value=\"One-Click\""));
        assert!(unsubscribe_page("de", true).contains("Sie sind abgemeldet"));
    }
}
