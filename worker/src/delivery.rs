//! The queue consumer: sends each webhook delivery, signed per Standard Webhooks, and
//! decides what a failure means. A delivery that fails is queued again with the next
//! delay of the retry schedule and the same `webhook-id`; only after the last attempt is
//! it given up (and, from issue 3 on, dead-lettered and logged). If even re-queuing
//! fails, the message goes back to the queue as it is, so nothing is dropped.

use crate::app::{App, now_ms};
use crate::service::random;
use crate::store::{DeliveryQueue, DeliveryTask, Endpoint, WebhookStore};
use nps_shared::webhook::{RetrySchedule, SignatureError, sign};
use wasm_bindgen::JsValue;
use worker::{
    Fetch, Headers, MessageBatch, MessageExt, Method, QueueRetryOptionsBuilder, Request,
    RequestInit, RequestRedirect, console_error, console_log, console_warn,
};

/// A receiver that takes longer than this is treated as down.
const TIMEOUT_MS: u32 = 10_000;

/// What to do with a delivery after an attempt.
#[derive(Debug, PartialEq, Eq)]
pub enum Step {
    Done,
    RetryIn(u32),
    GiveUp,
}

/// The outcome of one attempt decides the next step: any 2xx ends it; anything else
/// (including redirects, which are not followed) is retried while the schedule lasts.
pub fn next_step(
    outcome: &Result<u16, String>,
    attempt: u32,
    schedule: &RetrySchedule,
    jitter: u8,
) -> Step {
    match outcome {
        Ok(status) if (200..300).contains(status) => Step::Done,
        _ => schedule
            .delay_after(attempt, jitter)
            .map_or(Step::GiveUp, Step::RetryIn),
    }
}

/// The headers of one attempt: a fresh timestamp, signed together with the id and body.
pub fn signed_headers(
    secret: &str,
    task: &DeliveryTask,
    unix_seconds: i64,
) -> Result<Vec<(&'static str, String)>, SignatureError> {
    Ok(vec![
        ("Content-Type", "application/json".to_string()),
        (
            "User-Agent",
            concat!("nps-loop-webhooks/", env!("CARGO_PKG_VERSION")).to_string(),
        ),
        ("webhook-id", task.delivery_id.clone()),
        ("webhook-timestamp", unix_seconds.to_string()),
        (
            "webhook-signature",
            sign(secret, &task.delivery_id, unix_seconds, &task.payload)?,
        ),
    ])
}

async fn attempt(endpoint: &Endpoint, task: &DeliveryTask) -> Result<u16, String> {
    let headers = Headers::new();
    for (name, value) in
        signed_headers(&endpoint.secret, task, now_ms() / 1000).map_err(|e| e.to_string())?
    {
        headers.set(name, &value).map_err(|e| e.to_string())?;
    }
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_headers(headers)
        .with_body(Some(JsValue::from_str(&task.payload)))
        .with_redirect(RequestRedirect::Manual);
    let request = Request::new_with_init(&endpoint.view.url, &init).map_err(|e| e.to_string())?;
    let signal = worker::AbortSignal::from(web_sys::AbortSignal::timeout_with_u32(TIMEOUT_MS));
    let response = Fetch::Request(request)
        .send_with_signal(&signal)
        .await
        .map_err(|e| e.to_string())?;
    Ok(response.status_code())
}

pub async fn consume(batch: MessageBatch<DeliveryTask>, app: &App) -> worker::Result<()> {
    for message in batch.raw_iter() {
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
                continue;
            }
        };
        let endpoint = match app.db.get_endpoint(&task.endpoint_id).await {
            Ok(Some(endpoint)) => endpoint,
            Ok(None) => {
                console_log!(
                    "delivery {}: endpoint {} was deleted",
                    task.delivery_id,
                    task.endpoint_id
                );
                message.ack();
                continue;
            }
            Err(e) => {
                console_warn!(
                    "delivery {}: endpoint lookup failed, retrying: {e}",
                    task.delivery_id
                );
                message.retry();
                continue;
            }
        };
        let outcome = attempt(&endpoint, &task).await;
        let jitter = random::<1>().map(|b| b[0]).unwrap_or(128);
        match next_step(&outcome, task.attempt, &app.retry, jitter) {
            Step::Done => message.ack(),
            Step::RetryIn(delay) => {
                console_warn!(
                    "delivery {} attempt {} to {} failed ({:?}); next in {delay}s",
                    task.delivery_id,
                    task.attempt,
                    endpoint.view.url,
                    outcome
                );
                let next = DeliveryTask {
                    attempt: task.attempt + 1,
                    ..task
                };
                match app.queue.enqueue(std::slice::from_ref(&next), delay).await {
                    Ok(()) => message.ack(),
                    Err(e) => {
                        console_error!(
                            "delivery {}: re-queue failed, queue retry instead: {e}",
                            next.delivery_id
                        );
                        message.retry_with_options(
                            &QueueRetryOptionsBuilder::new()
                                .with_delay_seconds(delay)
                                .build(),
                        );
                    }
                }
            }
            Step::GiveUp => {
                console_error!(
                    "delivery {} to {} failed for good after {} attempts ({:?})",
                    task.delivery_id,
                    endpoint.view.url,
                    task.attempt,
                    outcome
                );
                message.ack();
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use nps_shared::webhook::verify;

    fn task() -> DeliveryTask {
        DeliveryTask {
            delivery_id: "dl_1".into(),
            endpoint_id: "wh_1".into(),
            payload: r#"{"type":"response.created"}"#.into(),
            attempt: 1,
        }
    }

    #[test]
    fn a_2xx_ends_the_delivery() {
        let s = RetrySchedule::default();
        assert_eq!(next_step(&Ok(200), 1, &s, 0), Step::Done);
        assert_eq!(next_step(&Ok(204), 9, &s, 0), Step::Done);
    }

    #[test]
    fn errors_redirects_and_timeouts_are_retried_until_the_schedule_ends() {
        let s = RetrySchedule::parse("10,20").unwrap();
        assert_eq!(next_step(&Ok(500), 1, &s, 128), Step::RetryIn(10));
        assert_eq!(next_step(&Ok(301), 2, &s, 128), Step::RetryIn(20));
        assert_eq!(next_step(&Err("timeout".into()), 3, &s, 128), Step::GiveUp);
    }

    #[test]
    fn attempts_are_signed_so_the_receiver_can_verify_them() {
        let secret = nps_shared::webhook::new_secret([3; 24]);
        let headers = signed_headers(&secret, &task(), 1_700_000_000).unwrap();
        let get = |name: &str| {
            headers
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.clone())
                .unwrap()
        };
        assert_eq!(get("webhook-id"), "dl_1");
        assert_eq!(
            verify(
                &secret,
                "dl_1",
                1_700_000_000,
                &task().payload,
                &get("webhook-signature"),
                1_700_000_001
            ),
            Ok(())
        );
    }
}
