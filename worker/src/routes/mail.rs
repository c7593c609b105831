//! The mail path's endpoints (issue 16): the unsubscribe page and RFC 8058 one-click
//! (`/u/{token}`, no auth: the signed token is the authority), the providers' bounce
//! and complaint webhooks (Postmark: a secret token in the path, as Postmark's
//! webhook URLs allow; Resend: its Svix signature, which is Standard Webhooks), the
//! send log and the suppression list (admin).

use crate::app::{App, now_ms, setting};
use crate::error::ApiError;
use crate::http;
use crate::service::ServiceError;
use crate::service::audit::Change;
use crate::service::mail;
use nps_shared::mail::{read_postmark_event, read_resend_event, unsubscribe_page};
use nps_shared::mail_settings::MailProvider;
use nps_shared::problem::ProblemKind;
use nps_shared::staff::{AuditAction, Principal};
use worker::{Request, Response};

/// A provider's webhook body larger than this is refused (bounce payloads are a few
/// kilobytes; Postmark's may carry the bounced message's headers).
const MAX_EVENT_BYTES: usize = 256 * 1024;

/// `GET /u/{token}`: the confirm page (its button posts the one-click body back).
pub async fn page(app: &App, token: &str) -> Result<Response, ApiError> {
    let secret = app.require_invitation_secret()?;
    match mail::unsubscribe_locale(&app.store, secret, token).await {
        Ok(locale) => html(200, &unsubscribe_page(&locale, false)),
        Err(e) => refused(e),
    }
}

/// `POST /u/{token}`: unsubscribes (a mail client's one-click, or the page's button).
pub async fn unsubscribe(app: &App, token: &str) -> Result<Response, ApiError> {
    let secret = app.require_invitation_secret()?;
    match mail::unsubscribe(&app.store, secret, token, "one-click", now_ms()).await {
        Ok(locale) => {
            worker::console_log!(
                "unsubscribed through {}",
                token.split('.').next().unwrap_or("")
            );
            html(200, &unsubscribe_page(&locale, true))
        }
        Err(e) => refused(e),
    }
}

/// A bad or stale link gets a page too (someone clicked it), with the problem's status.
fn refused(e: ServiceError) -> Result<Response, ApiError> {
    let (status, text) = match e {
        ServiceError::Forbidden(_) => (403, "This unsubscribe link is not valid."),
        ServiceError::NotFound(_) => (404, "This e-mail is no longer on record."),
        other => return Err(other.into()),
    };
    html(
        status,
        &format!(
            "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Unsubscribe</title>\
             </head><body><p>{text}</p></body></html>"
        ),
    )
}

fn html(status: u16, page: &str) -> Result<Response, ApiError> {
    let mut response = Response::ok(page)?.with_status(status);
    let headers = response.headers_mut();
    headers.set("Content-Type", "text/html; charset=utf-8")?;
    headers.set("Referrer-Policy", "no-referrer")?;
    headers.set("Cache-Control", "no-store")?;
    headers.set(
        "Content-Security-Policy",
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; \
         frame-ancestors 'none'",
    )?;
    headers.set("X-Content-Type-Options", "nosniff")?;
    Ok(response)
}

async fn event_body(req: &mut Request) -> Result<String, ApiError> {
    let bytes = req.bytes().await?;
    if bytes.len() > MAX_EVENT_BYTES {
        return Err(ApiError::new(
            ProblemKind::PayloadTooLarge,
            format!("the body must be at most {MAX_EVENT_BYTES} bytes"),
        ));
    }
    String::from_utf8(bytes)
        .map_err(|_| ApiError::new(ProblemKind::MalformedJson, "the body is not UTF-8"))
}

fn parse(body: &str) -> Result<serde_json::Value, ApiError> {
    serde_json::from_str(body).map_err(|e| ApiError::new(ProblemKind::MalformedJson, e.to_string()))
}

/// Compares without stopping at the first difference, so the time taken says nothing
/// about how much of a guessed token was right.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// `POST /v1/mail/postmark/{token}`: Postmark's bounce and spam-complaint webhook,
/// set up in Postmark with this URL; `token` is `POSTMARK_WEBHOOK_TOKEN`.
pub async fn postmark(req: &mut Request, app: &App, token: &str) -> Result<Response, ApiError> {
    let expected = setting(&app.env, "POSTMARK_WEBHOOK_TOKEN")
        .ok_or_else(|| ApiError::unavailable("POSTMARK_WEBHOOK_TOKEN is not configured"))?;
    if !same(token, &expected) {
        return Err(ApiError::new(
            ProblemKind::Unauthorized,
            "not Postmark's webhook URL",
        ));
    }
    let body = parse(&event_body(req).await?)?;
    match read_postmark_event(&body) {
        Some(event) => {
            mail::provider_event(&app.store, MailProvider::Postmark, &event, now_ms()).await?;
            worker::console_log!("postmark: {:?} reported", event.reason);
        }
        None => worker::console_log!("postmark: event ignored"),
    }
    http::no_content()
}

/// `POST /v1/mail/resend`: Resend's `email.bounced` / `email.complained`, signed by
/// Svix with `RESEND_WEBHOOK_SECRET` (`svix-id`, `svix-timestamp`, `svix-signature`:
/// Standard Webhooks under other header names).
pub async fn resend(req: &mut Request, app: &App) -> Result<Response, ApiError> {
    let secret = setting(&app.env, "RESEND_WEBHOOK_SECRET")
        .ok_or_else(|| ApiError::unavailable("RESEND_WEBHOOK_SECRET is not configured"))?;
    let header = |name: &str| req.headers().get(name).ok().flatten().unwrap_or_default();
    let (id, timestamp, signature) = (
        header("svix-id"),
        header("svix-timestamp"),
        header("svix-signature"),
    );
    let body = event_body(req).await?;
    let verified = timestamp.parse::<i64>().ok().is_some_and(|ts| {
        nps_shared::webhook::verify(&secret, &id, ts, &body, &signature, now_ms() / 1000).is_ok()
    });
    if !verified {
        return Err(ApiError::new(
            ProblemKind::Unauthorized,
            "the Svix signature does not verify",
        ));
    }
    match read_resend_event(&parse(&body)?) {
        Some(event) => {
            mail::provider_event(&app.store, MailProvider::Resend, &event, now_ms()).await?;
            worker::console_log!("resend: {:?} reported", event.reason);
        }
        None => worker::console_log!("resend: event ignored"),
    }
    http::no_content()
}

/// `GET /v1/mail-sends?survey_id=&status=&cursor=&limit=`
pub async fn sends(req: &Request, app: &App) -> Result<Response, ApiError> {
    let query = http::query(req)?;
    let page = mail::list_sends(
        &app.store,
        http::param(&query, "survey_id"),
        http::param(&query, "status"),
        http::param(&query, "cursor"),
        http::param(&query, "limit"),
    )
    .await?;
    http::json(200, &page)
}

/// `GET /v1/suppressions?cursor=&limit=`
pub async fn suppressions(req: &Request, app: &App) -> Result<Response, ApiError> {
    let query = http::query(req)?;
    let page = mail::list_suppressions(
        &app.store,
        http::param(&query, "cursor"),
        http::param(&query, "limit"),
    )
    .await?;
    http::json(200, &page)
}

/// `DELETE /v1/suppressions/{email}` (the address percent-encoded or not).
pub async fn lift(app: &App, email: &str, who: &Principal) -> Result<Response, ApiError> {
    let email = percent_decoded(email);
    mail::lift(&app.store, &email).await?;
    // Named as an erasure names a person: a hash that whoever knows the address can
    // find, and nobody reads the address off.
    let target = crate::service::audit::respondent_ref(&email.to_lowercase());
    let change = Change::new(
        AuditAction::SuppressionLifted,
        &target,
        "gets survey e-mail again",
    );
    super::audit(app, who, change).await;
    http::no_content()
}

/// `%40` → `@` and the like; a malformed escape stays as it is.
fn percent_decoded(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_in_the_path_is_read_percent_encoded_or_not() {
        assert_eq!(percent_decoded("kim%40example.com"), "kim@example.com");
        assert_eq!(percent_decoded("kim@example.com"), "kim@example.com");
        assert_eq!(percent_decoded("a%4"), "a%4");
        assert_eq!(percent_decoded("%C3%B6@x.example"), "ö@x.example");
    }

    #[test]
    fn tokens_compare_equal_only_when_equal() {
        assert!(same("abc", "abc"));
        assert!(!same("abc", "abd"));
        assert!(!same("abc", "abcd"));
    }
}
