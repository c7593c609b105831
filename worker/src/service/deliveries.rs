//! The life of a webhook delivery after it was queued: is it due, how did the attempt
//! go, what next — a 2xx ends it; a failure is retried with backoff and jitter on the
//! same `webhook-id`; after the last attempt of the schedule it is marked failed and
//! parked on the dead-letter queue. Every attempt is logged. Replay starts a new round;
//! the cron sweeper re-queues deliveries whose queue message was lost. A delivery
//! whose endpoint was deleted or switched off is not sent: it fails at once, logged
//! with the reason (replayable once the endpoint is on again).
//!
//! Sending the HTTP request itself is the platform's job (`crate::delivery`).

use super::{Done, ServiceError};
use crate::store::{
    Delivery, DeliveryQueue, DeliveryStore, DeliveryTask, Endpoint, StoreError, WebhookStore,
};
use nps_shared::api::{AttemptView, DeliveryStatus, DeliveryView, Page};
use nps_shared::time::rfc3339;
use nps_shared::webhook::RetrySchedule;

/// How much of a receiver's answer is kept in the attempt log.
pub const RESPONSE_BODY_LIMIT: usize = 1024;
/// A pending delivery this long past its due time lost its queue message.
pub const OVERDUE_AFTER_MS: i64 = 2 * 60 * 1000;
/// A message may arrive this much before the due time it was scheduled for.
const EARLY_TOLERANCE_MS: i64 = 2000;

/// What a queue message asks for, once D1 has been read.
#[derive(Debug)]
pub enum Prepared {
    /// Nothing to do (already settled, deleted, or a duplicate message): ack it.
    Skip(&'static str),
    /// The endpoint was deleted or is disabled: settle the delivery as failed, with
    /// this reason, without sending.
    NotSent(Box<Delivery>, &'static str),
    Send(Box<Delivery>, Box<Endpoint>),
}

pub async fn prepare(
    store: &(impl WebhookStore + DeliveryStore),
    delivery_id: &str,
    now_ms: i64,
) -> Result<Prepared, StoreError> {
    let Some(delivery) = store.get_delivery(delivery_id).await? else {
        return Ok(Prepared::Skip("no such delivery"));
    };
    if delivery.status != DeliveryStatus::Pending {
        return Ok(Prepared::Skip("already settled"));
    }
    if delivery
        .next_attempt_at
        .as_deref()
        .is_some_and(|due| due > rfc3339(now_ms + EARLY_TOLERANCE_MS).as_str())
    {
        return Ok(Prepared::Skip("not due yet (a duplicate message)"));
    }
    Ok(match store.get_endpoint(&delivery.endpoint_id).await? {
        Some(endpoint) if endpoint.view.enabled => {
            Prepared::Send(Box::new(delivery), Box::new(endpoint))
        }
        Some(_) => Prepared::NotSent(Box::new(delivery), "the endpoint is disabled"),
        None => Prepared::NotSent(Box::new(delivery), "the endpoint was deleted"),
    })
}

/// How one attempt went.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    pub status_code: Option<u16>,
    pub latency_ms: u32,
    pub response_body: Option<String>,
    /// Why there was no response.
    pub error: Option<String>,
    /// Retrying cannot help (the target is refused, the endpoint is gone).
    pub permanent: bool,
}

/// What to do with a delivery after an attempt.
#[derive(Debug, PartialEq, Eq)]
pub enum Step {
    Done,
    RetryIn(u32),
    GiveUp,
}

/// Any 2xx ends it; anything else (including redirects, which are not followed) is
/// retried while the schedule lasts.
pub fn next_step(
    outcome: &Outcome,
    attempt_in_round: u32,
    schedule: &RetrySchedule,
    jitter: u8,
) -> Step {
    match outcome.status_code {
        Some(status) if (200..300).contains(&status) => Step::Done,
        _ if outcome.permanent => Step::GiveUp,
        _ => schedule
            .delay_after(attempt_in_round, jitter)
            .map_or(Step::GiveUp, Step::RetryIn),
    }
}

fn truncate(text: &str, max_bytes: usize) -> String {
    let mut end = text.len().min(max_bytes);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_string()
}

/// Logs the attempt, moves the delivery on, and queues what comes next. An error
/// after the log was written leaves the delivery pending and due, so a redelivered
/// message (or the sweeper) picks it up.
pub async fn settle(
    store: &impl DeliveryStore,
    queue: &impl DeliveryQueue,
    mut delivery: Delivery,
    outcome: Outcome,
    schedule: &RetrySchedule,
    jitter: u8,
    now_ms: i64,
) -> Result<Step, StoreError> {
    let step = next_step(&outcome, delivery.attempt_in_round(), schedule, jitter);
    let next_attempt_at = match step {
        Step::RetryIn(seconds) => Some(rfc3339(now_ms + i64::from(seconds) * 1000)),
        Step::Done | Step::GiveUp => None,
    };
    delivery.attempts += 1;
    delivery.status = match step {
        Step::Done => DeliveryStatus::Delivered,
        Step::RetryIn(_) => DeliveryStatus::Pending,
        Step::GiveUp => DeliveryStatus::Failed,
    };
    delivery.next_attempt_at = next_attempt_at.clone();
    delivery.updated_at = rfc3339(now_ms);
    let attempt = AttemptView {
        attempt: delivery.attempts,
        attempted_at: rfc3339(now_ms),
        status_code: outcome.status_code,
        latency_ms: outcome.latency_ms,
        response_body: outcome
            .response_body
            .as_deref()
            .map(|b| truncate(b, RESPONSE_BODY_LIMIT)),
        error: outcome.error,
        next_attempt_at,
    };
    store.record_attempt(&delivery, &attempt).await?;
    let task = DeliveryTask {
        delivery_id: delivery.id.clone(),
    };
    match step {
        Step::RetryIn(seconds) => queue.enqueue(std::slice::from_ref(&task), seconds).await?,
        Step::GiveUp => queue.dead_letter(&task).await?,
        Step::Done => {}
    }
    Ok(step)
}

/// `POST /v1/webhooks/{id}/deliveries/{delivery_id}/replay`: a new round of attempts,
/// starting now, with the same `webhook-id`. The new round is saved first; a queue
/// that is down then only delays it (the sweeper queues pending deliveries).
pub async fn replay(
    store: &(impl WebhookStore + DeliveryStore),
    queue: &impl DeliveryQueue,
    endpoint_id: &str,
    delivery_id: &str,
    now_ms: i64,
) -> Result<Done<DeliveryView>, ServiceError> {
    let mut delivery = store
        .get_delivery(delivery_id)
        .await?
        .filter(|d| d.endpoint_id == endpoint_id)
        .ok_or_else(|| {
            ServiceError::NotFound(format!("delivery {delivery_id} of webhook {endpoint_id}"))
        })?;
    let endpoint = store
        .get_endpoint(endpoint_id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("webhook {endpoint_id}")))?;
    if !endpoint.view.enabled {
        return Err(ServiceError::Conflict(
            "the endpoint is disabled; enable it to replay its deliveries".into(),
        ));
    }
    if delivery.status == DeliveryStatus::Pending {
        return Err(ServiceError::Conflict(
            "the delivery is still pending; it will be attempted again".into(),
        ));
    }
    delivery.status = DeliveryStatus::Pending;
    delivery.round_start = delivery.attempts;
    delivery.next_attempt_at = Some(rfc3339(now_ms));
    delivery.updated_at = rfc3339(now_ms);
    store.update_delivery(&delivery).await?;
    let task = DeliveryTask {
        delivery_id: delivery.id.clone(),
    };
    let queued = queue.enqueue(&[task], 0).await;
    Ok(Done::new(delivery.view(Vec::new())).unless(queued))
}

/// `GET /v1/webhooks/{id}/deliveries`: newest first, with their attempts.
pub async fn list(
    store: &(impl WebhookStore + DeliveryStore),
    endpoint_id: &str,
    cursor: Option<&str>,
    limit: Option<&str>,
) -> Result<Page<DeliveryView>, ServiceError> {
    let limit = super::page::parse_limit(limit)?;
    if cursor.is_some_and(|c| !nps_shared::ids::is_id("dl_", c)) {
        return Err(ServiceError::invalid(
            "cursor",
            "must be a next_cursor from an earlier page",
        ));
    }
    if store.get_endpoint(endpoint_id).await?.is_none() {
        return Err(ServiceError::NotFound(format!("webhook {endpoint_id}")));
    }
    let mut items = store
        .list_deliveries(endpoint_id, cursor, limit + 1)
        .await?;
    let next_cursor = super::page::cut(&mut items, limit, |d| d.id.clone());
    Ok(Page { items, next_cursor })
}

/// Overdue deliveries one sweep re-queues at most; more wait for the next cron run
/// (every minute). One D1 query a sweep, whatever the number overdue.
pub const SWEPT_PER_RUN: u32 = 100;

/// D1 queries of one queue message at most: [`prepare`] reads the delivery and its
/// endpoint, [`settle`] writes the attempt and the delivery's state in one batch of
/// two. A batch of `max_batch_size` messages (wrangler.toml) is one invocation, so
/// that size times this must stay within the free plan's 50 (a test holds them).
pub const QUERIES_PER_MESSAGE: u32 = 4;

/// The cron sweeper: re-queues pending deliveries whose message never came, at most
/// [`SWEPT_PER_RUN`] a run.
pub async fn requeue_overdue(
    store: &impl DeliveryStore,
    queue: &impl DeliveryQueue,
    now_ms: i64,
) -> Result<usize, StoreError> {
    let ids = store
        .overdue_deliveries(&rfc3339(now_ms - OVERDUE_AFTER_MS), SWEPT_PER_RUN)
        .await?;
    let tasks: Vec<DeliveryTask> = ids
        .into_iter()
        .map(|delivery_id| DeliveryTask { delivery_id })
        .collect();
    queue.enqueue(&tasks, 0).await?;
    Ok(tasks.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::fixtures::demo_survey;
    use crate::service::webhooks;
    use crate::store::metered::FREE_PLAN_QUERIES;
    use crate::store::testing::TestStore;
    use nps_shared::api::{CreateWebhook, EventType, ResponseView};
    use pollster::block_on;

    const NOW: i64 = 1_764_000_000_000;

    fn failed(status: u16) -> Outcome {
        Outcome {
            status_code: Some(status),
            ..Default::default()
        }
    }

    /// A store with one endpoint and one pending detractor delivery to it.
    fn one_delivery() -> (TestStore, String, String) {
        let m = TestStore::default();
        let hook: CreateWebhook =
            serde_json::from_value(serde_json::json!({"url": "https://h.example/x"})).unwrap();
        let endpoint = block_on(webhooks::create(&m, hook, false, NOW))
            .unwrap()
            .endpoint
            .id;
        let response: ResponseView = serde_json::from_value(serde_json::json!({
            "id": "r_1", "survey_id": "s_demo", "score": 2, "category": "detractor", "comment": null,
            "channel": "web", "locale": null, "page_url": null, "respondent": {}, "properties": {},
            "created_at": "x", "updated_at": "x"
        }))
        .unwrap();
        block_on(webhooks::dispatch_response_event(
            &m,
            &m,
            EventType::ResponseCreated,
            &demo_survey(),
            &response,
            NOW,
        ))
        .unwrap();
        let delivery = m.deliveries()[0].id.clone();
        (m, endpoint, delivery)
    }

    fn attempt(
        m: &TestStore,
        id: &str,
        outcome: Outcome,
        schedule: &RetrySchedule,
        at: i64,
    ) -> Step {
        match block_on(prepare(m, id, at)).unwrap() {
            Prepared::Send(delivery, _) => {
                block_on(settle(m, m, *delivery, outcome, schedule, 128, at)).unwrap()
            }
            other => panic!("expected a send, got {other:?}"),
        }
    }

    #[test]
    fn a_2xx_ends_the_delivery_and_errors_retry_until_the_schedule_ends() {
        let s = RetrySchedule::parse("10,20").unwrap();
        assert_eq!(next_step(&failed(204), 1, &s, 0), Step::Done);
        assert_eq!(next_step(&failed(500), 1, &s, 128), Step::RetryIn(10));
        assert_eq!(next_step(&failed(301), 2, &s, 128), Step::RetryIn(20));
        assert_eq!(
            next_step(
                &Outcome {
                    error: Some("timeout".into()),
                    ..Default::default()
                },
                3,
                &s,
                128
            ),
            Step::GiveUp
        );
        let refused = Outcome {
            error: Some("refused".into()),
            permanent: true,
            ..Default::default()
        };
        assert_eq!(next_step(&refused, 1, &s, 128), Step::GiveUp);
    }

    #[test]
    fn a_receiver_that_is_down_then_up_gets_it_and_every_attempt_is_logged() {
        let (m, endpoint, id) = one_delivery();
        let s = RetrySchedule::parse("10,20").unwrap();
        assert_eq!(attempt(&m, &id, failed(503), &s, NOW), Step::RetryIn(10));
        // The retry message comes 10 s later; a duplicate of it arriving now is skipped.
        assert!(matches!(
            block_on(prepare(&m, &id, NOW + 1)).unwrap(),
            Prepared::Skip(_)
        ));
        assert_eq!(attempt(&m, &id, failed(200), &s, NOW + 10_000), Step::Done);
        let page = block_on(list(&m, &endpoint, None, None)).unwrap();
        let d = &page.items[0];
        assert_eq!(d.status, DeliveryStatus::Delivered);
        assert_eq!(
            d.attempts.iter().map(|a| a.status_code).collect::<Vec<_>>(),
            vec![Some(503), Some(200)]
        );
        assert!(d.attempts[0].next_attempt_at.is_some());
        assert!(matches!(
            block_on(prepare(&m, &id, NOW + 20_000)).unwrap(),
            Prepared::Skip("already settled")
        ));
    }

    #[test]
    fn a_receiver_that_always_fails_ends_in_the_dead_letter_queue_and_can_be_replayed() {
        let (m, endpoint, id) = one_delivery();
        let s = RetrySchedule::parse("1").unwrap();
        assert_eq!(attempt(&m, &id, failed(500), &s, NOW), Step::RetryIn(1));
        assert_eq!(attempt(&m, &id, failed(500), &s, NOW + 1000), Step::GiveUp);
        assert_eq!(m.queue().dead.borrow().len(), 1);
        assert_eq!(m.deliveries()[0].status, DeliveryStatus::Failed);

        m.queue().down.set(true);
        let replayed = block_on(replay(&m, &m, &endpoint, &id, NOW + 5000)).unwrap();
        assert_eq!(replayed.status, DeliveryStatus::Pending);
        assert_eq!(
            replayed.failed_follow_ups.len(),
            1,
            "saved; the sweeper queues it"
        );
        m.queue().down.set(false);
        assert!(matches!(
            block_on(replay(&m, &m, &endpoint, &id, NOW + 5000)),
            Err(ServiceError::Conflict(_))
        ));
        // A new round: the schedule starts over, and the attempts keep counting.
        assert_eq!(
            attempt(&m, &id, failed(500), &s, NOW + 5000),
            Step::RetryIn(1)
        );
        assert_eq!(attempt(&m, &id, failed(202), &s, NOW + 6000), Step::Done);
        assert_eq!(
            m.attempts()
                .iter()
                .map(|(_, a)| a.attempt)
                .collect::<Vec<_>>(),
            vec![1, 2, 3, 4]
        );
    }

    #[test]
    fn replay_needs_the_right_endpoint() {
        let (m, _endpoint, id) = one_delivery();
        assert!(matches!(
            block_on(replay(&m, &m, "wh_other", &id, NOW)),
            Err(ServiceError::NotFound(_))
        ));
    }

    #[test]
    fn long_response_bodies_are_cut_to_a_kib_on_a_character_boundary() {
        let (m, _endpoint, id) = one_delivery();
        let body = "é".repeat(1000);
        let outcome = Outcome {
            response_body: Some(body),
            ..failed(500)
        };
        attempt(&m, &id, outcome, &RetrySchedule::default(), NOW);
        let logged = m.attempts()[0].1.response_body.clone().unwrap();
        assert!(logged.len() <= RESPONSE_BODY_LIMIT && logged.len() >= RESPONSE_BODY_LIMIT - 1);
    }

    #[test]
    fn the_sweeper_requeues_only_deliveries_whose_message_was_lost() {
        let (m, _endpoint, id) = one_delivery();
        m.queue().queued.borrow_mut().clear();
        assert_eq!(
            block_on(requeue_overdue(&m, &m, NOW + 1000)).unwrap(),
            0,
            "not overdue yet"
        );
        assert_eq!(
            block_on(requeue_overdue(&m, &m, NOW + OVERDUE_AFTER_MS + 1000)).unwrap(),
            1
        );
        assert_eq!(m.queue().queued.borrow()[0].0.delivery_id, id);
    }

    #[test]
    fn a_pending_delivery_to_an_endpoint_switched_off_fails_unsent_and_replays_once_it_is_on() {
        use nps_shared::api::WebhookPatch;
        let (m, endpoint, id) = one_delivery();
        let switch = |enabled| {
            block_on(webhooks::update(
                &m,
                &endpoint,
                WebhookPatch {
                    enabled: Some(enabled),
                },
            ))
            .unwrap()
        };
        switch(false);
        let s = RetrySchedule::parse("10").unwrap();
        let Prepared::NotSent(delivery, why) = block_on(prepare(&m, &id, NOW)).unwrap() else {
            panic!("a disabled endpoint is sent nothing");
        };
        assert_eq!(why, "the endpoint is disabled");
        let outcome = Outcome {
            error: Some(why.into()),
            permanent: true,
            ..Default::default()
        };
        assert_eq!(
            block_on(settle(&m, &m, *delivery, outcome, &s, 128, NOW)).unwrap(),
            Step::GiveUp
        );
        assert_eq!(m.deliveries()[0].status, DeliveryStatus::Failed);
        assert!(matches!(
            block_on(replay(&m, &m, &endpoint, &id, NOW + 1000)),
            Err(ServiceError::Conflict(_))
        ));
        switch(true);
        block_on(replay(&m, &m, &endpoint, &id, NOW + 2000)).unwrap();
        assert_eq!(attempt(&m, &id, failed(204), &s, NOW + 2000), Step::Done);
    }

    // --- D1 queries per invocation (the free plan's 50) ---------------------------

    /// `n` pending deliveries to `endpoint`, due at `due`, with one attempt logged
    /// on each tenth.
    fn many_deliveries(m: &TestStore, endpoint: &str, n: usize, due: i64) {
        let all: Vec<Delivery> = (0..n)
            .map(|i| {
                crate::store::sql::testing::delivery(
                    &format!("dl_{i:06}"),
                    endpoint,
                    "{\"type\":\"response.created\"}",
                    &rfc3339(due),
                )
            })
            .collect();
        block_on(m.insert_deliveries(&all)).unwrap();
        for d in all.iter().step_by(10).take(300) {
            let attempt = AttemptView {
                attempt: 1,
                attempted_at: rfc3339(due),
                status_code: Some(500),
                latency_ms: 3,
                response_body: None,
                error: None,
                next_attempt_at: Some(rfc3339(due)),
            };
            block_on(m.record_attempt(d, &attempt)).unwrap();
        }
    }

    /// `max_batch_size` of the queue consumer in wrangler.toml.
    fn max_batch_size() -> u32 {
        include_str!("../../wrangler.toml")
            .lines()
            .filter_map(|line| line.trim().strip_prefix("max_batch_size"))
            .filter_map(|rest| rest.trim().strip_prefix('=')?.trim().parse().ok())
            .next()
            .expect("wrangler.toml sets max_batch_size")
    }

    #[test]
    fn the_sweeper_runs_one_query_whether_five_hundred_or_five_thousand_deliveries_are_overdue() {
        let sweep = |n| {
            let m = TestStore::default();
            many_deliveries(&m, "wh_1", n, NOW);
            m.reset_queries();
            let queued = block_on(requeue_overdue(&m, &m, NOW + OVERDUE_AFTER_MS + 1000)).unwrap();
            (m.queries(), queued)
        };
        let (small, queued) = sweep(500);
        assert_eq!(queued, SWEPT_PER_RUN as usize);
        assert_eq!(sweep(5_000), (small, queued));
        assert_eq!(small, 1);
        assert!(small <= FREE_PLAN_QUERIES);
    }

    #[test]
    fn a_batch_of_queue_messages_stays_within_the_free_plan_however_busy_the_endpoint() {
        let (m, endpoint, id) = one_delivery();
        many_deliveries(&m, &endpoint, 10_000, NOW);
        let s = RetrySchedule::parse("10").unwrap();
        m.reset_queries();
        assert_eq!(attempt(&m, &id, failed(503), &s, NOW), Step::RetryIn(10));
        assert_eq!(m.queries(), QUERIES_PER_MESSAGE, "a failed attempt");
        m.reset_queries();
        assert_eq!(attempt(&m, &id, failed(200), &s, NOW + 10_000), Step::Done);
        assert_eq!(m.queries(), QUERIES_PER_MESSAGE, "a delivered one");
        m.reset_queries();
        assert!(matches!(
            block_on(prepare(&m, &id, NOW + 20_000)).unwrap(),
            Prepared::Skip(_)
        ));
        assert_eq!(m.queries(), 1, "a settled one is skipped after one read");
        assert!(
            max_batch_size() <= crate::delivery::MAX_BATCH_SIZE,
            "a batch of {} messages may run {} queries",
            max_batch_size(),
            max_batch_size() * QUERIES_PER_MESSAGE
        );
        const { assert!(crate::delivery::MAX_BATCH_SIZE * QUERIES_PER_MESSAGE <= FREE_PLAN_QUERIES) };
    }

    #[test]
    fn a_page_of_deliveries_and_a_replay_cost_the_same_for_an_endpoint_with_ten_thousand() {
        let measure = |n| {
            let (m, endpoint, id) = one_delivery();
            many_deliveries(&m, &endpoint, n, NOW);
            let refused = Outcome {
                error: Some("refused".into()),
                permanent: true,
                ..Default::default()
            };
            let schedule = RetrySchedule::default();
            assert_eq!(attempt(&m, &id, refused, &schedule, NOW), Step::GiveUp);
            m.reset_queries();
            let page = block_on(list(&m, &endpoint, None, Some("200"))).unwrap();
            assert_eq!(page.items.len(), 200);
            let listed = m.queries();
            m.reset_queries();
            block_on(replay(&m, &m, &endpoint, &id, NOW + 1000)).unwrap();
            (listed, m.queries())
        };
        let small = measure(1_000);
        assert_eq!(measure(10_000), small);
        assert_eq!(
            small,
            (3, 3),
            "endpoint, page, its attempts; 3 for a replay"
        );
    }

    #[test]
    fn a_delivery_to_a_deleted_endpoint_fails_unsent() {
        let (m, endpoint, id) = one_delivery();
        block_on(webhooks::delete(&m, &endpoint)).unwrap();
        assert!(matches!(
            block_on(prepare(&m, &id, NOW)).unwrap(),
            Prepared::NotSent(_, "the endpoint was deleted")
        ));
    }
}
