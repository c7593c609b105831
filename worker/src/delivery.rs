//! The queue consumer: for each message, reads the delivery from D1, sends it signed
//! per Standard Webhooks (with each secret that signs at that moment: two during a
//! rotation's overlap; no redirects followed, a timeout), and hands the outcome to
//! `service::deliveries::settle`, which logs it and decides what comes next. Nothing
//! here is dropped: if D1 or the queue fails mid-way, the message goes back to the queue.
//! A message naming an invitation e-mail (`ml_…`) is `mailer`'s.

use crate::app::{App, now_ms};
use crate::service::deliveries::{self, Outcome, Prepared};
use crate::service::random;
use crate::store::metered::FREE_PLAN_QUERIES;
use crate::store::{DeliveryTask, Endpoint};
use nps_shared::time::rfc3339;
use nps_shared::validate::check_webhook_target;
use nps_shared::webhook::{SignatureError, sign_all};
use wasm_bindgen::JsValue;
use worker::{
    Fetch, Headers, MessageBatch, MessageExt, Method, QueueRetryOptionsBuilder, Request,
    RequestInit, RequestRedirect, console_error, console_log, console_warn,
};

/// A receiver that takes longer than this is treated as down.
const TIMEOUT_MS: u32 = 10_000;
/// When D1 or the queue fails, the message comes back after this long.
const PLATFORM_RETRY_SECONDS: u32 = 30;
/// Messages one invocation handles at most: a batch is one invocation, and each
/// message may run [`deliveries::QUERIES_PER_MESSAGE`] D1 queries, so this many fit
/// the free plan's 50. `max_batch_size` in wrangler.toml stays at or below it (a test
/// holds it); were a batch larger, the messages past it would be retried at once.
pub const MAX_BATCH_SIZE: u32 = FREE_PLAN_QUERIES / deliveries::QUERIES_PER_MESSAGE;

/// The headers of one attempt: a fresh timestamp, signed together with the id and body
/// by each of `secrets`.
pub fn signed_headers(
    secrets: &[&str],
    delivery_id: &str,
    payload: &str,
    unix_seconds: i64,
) -> Result<Vec<(&'static str, String)>, SignatureError> {
    Ok(vec![
        ("Content-Type", "application/json".to_string()),
        (
            "User-Agent",
            concat!("nps-loop-webhooks/", env!("CARGO_PKG_VERSION")).to_string(),
        ),
        ("webhook-id", delivery_id.to_string()),
        ("webhook-timestamp", unix_seconds.to_string()),
        (
            "webhook-signature",
            sign_all(secrets, delivery_id, unix_seconds, payload)?,
        ),
    ])
}

/// Sends one attempt and says how it went; never fails itself.
async fn attempt(
    endpoint: &Endpoint,
    delivery_id: &str,
    payload: &str,
    allow_private: bool,
) -> Outcome {
    if let Err(refused) = check_webhook_target("url", &endpoint.view.url, allow_private) {
        return Outcome {
            error: Some(format!("target refused: {}", refused.message)),
            permanent: true,
            ..Default::default()
        };
    }
    let started = now_ms();
    let result = async {
        let headers = Headers::new();
        let secrets = endpoint.signing_secrets(&rfc3339(started));
        for (name, value) in signed_headers(&secrets, delivery_id, payload, started / 1000)
            .map_err(|e| e.to_string())?
        {
            headers.set(name, &value).map_err(|e| e.to_string())?;
        }
        let mut init = RequestInit::new();
        init.with_method(Method::Post)
            .with_headers(headers)
            .with_body(Some(JsValue::from_str(payload)))
            .with_redirect(RequestRedirect::Manual);
        let request =
            Request::new_with_init(&endpoint.view.url, &init).map_err(|e| e.to_string())?;
        let signal = worker::AbortSignal::from(web_sys::AbortSignal::timeout_with_u32(TIMEOUT_MS));
        let mut response = Fetch::Request(request)
            .send_with_signal(&signal)
            .await
            .map_err(|e| e.to_string())?;
        let status = response.status_code();
        Ok::<_, String>((status, response.text().await.ok()))
    }
    .await;
    let latency_ms = u32::try_from(now_ms() - started).unwrap_or(u32::MAX);
    match result {
        Ok((status, body)) => Outcome {
            status_code: Some(status),
            latency_ms,
            response_body: body,
            ..Default::default()
        },
        Err(error) => Outcome {
            latency_ms,
            error: Some(error),
            ..Default::default()
        },
    }
}

async fn handle(app: &App, task: &DeliveryTask) -> Result<(), crate::store::StoreError> {
    if crate::service::mail::is_mail_task(task) {
        return crate::mailer::handle(app, &task.delivery_id).await;
    }
    let (delivery, outcome) =
        match deliveries::prepare(&app.store, &task.delivery_id, now_ms()).await? {
            Prepared::Skip(why) => {
                console_log!("delivery {}: {why}", task.delivery_id);
                return Ok(());
            }
            Prepared::NotSent(delivery, why) => {
                let refused = Outcome {
                    error: Some(why.into()),
                    permanent: true,
                    ..Default::default()
                };
                (*delivery, refused)
            }
            Prepared::Send(delivery, endpoint) => {
                let outcome = attempt(
                    &endpoint,
                    &delivery.id,
                    &delivery.payload,
                    app.allow_private_targets,
                )
                .await;
                (*delivery, outcome)
            }
        };
    let id = delivery.id.clone();
    let jitter = random::<1>().map(|b| b[0]).unwrap_or(128);
    let step = deliveries::settle(
        &app.store,
        &app.queue,
        delivery,
        outcome.clone(),
        &app.retry,
        jitter,
        now_ms(),
    )
    .await?;
    match step {
        deliveries::Step::Done => {}
        deliveries::Step::RetryIn(seconds) => {
            console_warn!(
                "delivery {id} failed ({:?} {:?}); next attempt in {seconds}s",
                outcome.status_code,
                outcome.error
            )
        }
        deliveries::Step::GiveUp => {
            console_error!(
                "delivery {id} failed for good ({:?} {:?}); dead-lettered",
                outcome.status_code,
                outcome.error
            )
        }
    }
    Ok(())
}

/// Handles a batch: every delivery in it at once, so one slow receiver does not hold
/// up the alerts behind it; at most [`MAX_BATCH_SIZE`] of them, the rest are retried
/// (a queue configured for larger batches than this invocation's D1 queries allow).
pub async fn consume<T>(batch: MessageBatch<T>, app: &App) -> worker::Result<()> {
    let mut messages = batch.raw_iter();
    let now: Vec<_> = messages.by_ref().take(MAX_BATCH_SIZE as usize).collect();
    for later in messages {
        console_warn!(
            "delivery message {} past the {MAX_BATCH_SIZE} an invocation handles: retried",
            later.id()
        );
        later.retry();
    }
    let handled = now.into_iter().map(|message| async move {
        let task: DeliveryTask = match serde_wasm_bindgen::from_value(message.body()) {
            Ok(task) => task,
            Err(e) => {
                // Only this worker produces these messages; one that does not decode
                // can never succeed, and retrying it would block the rest.
                console_error!(
                    "dropping undecodable delivery message {}: {e}",
                    message.id()
                );
                message.ack();
                return;
            }
        };
        match handle(app, &task).await {
            Ok(()) => message.ack(),
            Err(e) => {
                console_warn!(
                    "delivery {}: storage or queue failed, the message comes back: {e}",
                    task.delivery_id
                );
                message.retry_with_options(
                    &QueueRetryOptionsBuilder::new()
                        .with_delay_seconds(PLATFORM_RETRY_SECONDS)
                        .build(),
                );
            }
        }
    });
    futures_util::future::join_all(handled).await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use nps_shared::webhook::verify;

    #[test]
    fn attempts_are_signed_so_the_receiver_can_verify_them() {
        let secret = nps_shared::webhook::new_secret([3; 24]);
        let payload = r#"{"type":"response.created"}"#;
        let headers = signed_headers(&[&secret], "dl_1", payload, 1_700_000_000).unwrap();
        let get = |name: &str| {
            headers
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.clone())
                .unwrap()
        };
        assert_eq!(get("webhook-id"), "dl_1");
        assert_eq!(get("webhook-timestamp"), "1700000000");
        assert_eq!(
            verify(
                &secret,
                "dl_1",
                1_700_000_000,
                payload,
                &get("webhook-signature"),
                1_700_000_001
            ),
            Ok(())
        );
    }

    #[test]
    fn during_a_rotation_each_secret_verifies_the_attempt_and_after_it_only_the_new_one() {
        use crate::store::Endpoint;
        use nps_shared::api::{WebhookFormat, WebhookView};
        use nps_shared::webhook::SignatureError;
        let old = nps_shared::webhook::new_secret([1; 24]);
        let new = nps_shared::webhook::new_secret([2; 24]);
        let endpoint = Endpoint {
            view: WebhookView {
                id: "wh_1".into(),
                url: "https://hooks.example/h".into(),
                format: WebhookFormat::Standard,
                events: Vec::new(),
                filter: Default::default(),
                description: None,
                created_at: rfc3339(0),
                enabled: true,
                previous_secret_expires_at: Some(rfc3339(2_000_000_000_000)),
            },
            secret: new.clone(),
            previous_secret: Some(old.clone()),
        };
        let payload = r#"{"type":"webhook.test"}"#;
        let signature = |at_ms: i64| {
            let secrets = endpoint.signing_secrets(&rfc3339(at_ms));
            let headers = signed_headers(&secrets, "dl_1", payload, at_ms / 1000).unwrap();
            headers
                .into_iter()
                .find(|(n, _)| *n == "webhook-signature")
                .map(|(_, v)| v)
                .unwrap()
        };
        let during = 2_000_000_000_000 - 1000;
        let header = signature(during);
        assert_eq!(header.split(' ').count(), 2);
        for secret in [&old, &new] {
            assert_eq!(
                verify(
                    secret,
                    "dl_1",
                    during / 1000,
                    payload,
                    &header,
                    during / 1000
                ),
                Ok(())
            );
        }
        let after = 2_000_000_000_000;
        let header = signature(after);
        assert_eq!(
            verify(&new, "dl_1", after / 1000, payload, &header, after / 1000),
            Ok(())
        );
        assert_eq!(
            verify(&old, "dl_1", after / 1000, payload, &header, after / 1000),
            Err(SignatureError::NoMatch)
        );
    }
}
