//! The queue consumer's e-mail half: a message whose id is a send (`ml_…`,
//! `service::mail::is_mail_task`) is prepared by `service::mail::prepare`, its
//! provider request sent here (no redirects followed, a timeout), and the answer
//! settled by `service::mail::settle`, which logs it on the send and decides what
//! comes next. Every attempt is also written to the worker's log.

use crate::app::{App, now_ms};
use crate::service::deliveries::Step;
use crate::service::mail::{self, Attempt, Prepared};
use crate::service::random;
use nps_shared::mail::{ProviderRequest, read_response};
use nps_shared::mail_settings::MailProvider;
use wasm_bindgen::JsValue;
use worker::{
    Fetch, Headers, Method, Request, RequestInit, RequestRedirect, console_error, console_log,
    console_warn,
};

/// A provider that takes longer than this is treated as down.
const TIMEOUT_MS: u32 = 10_000;

async fn send(provider: MailProvider, request: &ProviderRequest) -> Attempt {
    let result = async {
        let headers = Headers::new();
        for (name, value) in &request.headers {
            headers.set(name, value).map_err(|e| e.to_string())?;
        }
        let mut init = RequestInit::new();
        init.with_method(Method::Post)
            .with_headers(headers)
            .with_body(Some(JsValue::from_str(&request.body)))
            .with_redirect(RequestRedirect::Manual);
        let request = Request::new_with_init(&request.url, &init).map_err(|e| e.to_string())?;
        let signal = worker::AbortSignal::from(web_sys::AbortSignal::timeout_with_u32(TIMEOUT_MS));
        let mut response = Fetch::Request(request)
            .send_with_signal(&signal)
            .await
            .map_err(|e| e.to_string())?;
        let status = response.status_code();
        Ok::<_, String>((status, response.text().await.unwrap_or_default()))
    }
    .await;
    match result {
        Ok((status, body)) => Attempt::Answered(read_response(provider, status, &body)),
        Err(error) => Attempt::NoAnswer(error),
    }
}

/// Works one send's message; an error means D1 or the queue failed (the message
/// comes back).
pub async fn handle(app: &App, id: &str) -> Result<(), crate::store::StoreError> {
    let config = app.mail_config();
    let (send_view, attempt) = match mail::prepare(&app.store, &config, id, now_ms()).await? {
        Prepared::Skip(why) => {
            console_log!("mail {id}: {why}");
            return Ok(());
        }
        Prepared::Settle(send_view, attempt) => (*send_view, attempt),
        Prepared::Send(send_view, request) => {
            let attempt = send(send_view.provider, &request).await;
            (*send_view, attempt)
        }
    };
    let provider = send_view.provider.as_str();
    let jitter = random::<1>().map(|b| b[0]).unwrap_or(128);
    let step = mail::settle(
        &app.store,
        &app.queue,
        send_view,
        attempt.clone(),
        &app.retry,
        jitter,
        now_ms(),
    )
    .await?;
    match step {
        Step::Done => console_log!("mail {id} via {provider}: {attempt:?}"),
        Step::RetryIn(seconds) => {
            console_warn!(
                "mail {id} via {provider} failed ({attempt:?}); next attempt in {seconds}s"
            )
        }
        Step::GiveUp => {
            console_error!("mail {id} via {provider} failed for good ({attempt:?}); dead-lettered")
        }
    }
    Ok(())
}
