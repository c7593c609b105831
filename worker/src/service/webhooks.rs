//! Webhook endpoints — created, switched off and on, their secret rotated with an
//! overlap, tried out with a test event, deleted — and fan-out: one event becomes one
//! queued delivery per enabled endpoint that subscribed to its type and whose filter
//! it passes. Each delivery is retried on its own, so a broken endpoint never causes
//! duplicates at a healthy one.

use super::{Done, ServiceError, new_id, random};
use crate::store::{
    Delivery, DeliveryQueue, DeliveryStore, DeliveryTask, Endpoint, StoreError, WebhookStore,
};
use nps_shared::Score;
use nps_shared::api::{
    CaseEventData, CreateWebhook, DeliveryStatus, DeliveryView, EventType, Invitation,
    ResponseEventData, ResponseView, RotateSecret, SecretRotated, SurveyRef, SurveyView,
    TestEventData, WebhookCreated, WebhookEvent, WebhookFormat, WebhookPatch, WebhookView,
};
use nps_shared::case::CaseView;
use nps_shared::time::rfc3339;
use nps_shared::validate::{FieldError, check_webhook_target};

/// Creates an endpoint. `allow_private` lets it point at loopback or private
/// addresses (local development and tests only).
pub async fn create(
    store: &impl WebhookStore,
    request: CreateWebhook,
    allow_private: bool,
    now_ms: i64,
) -> Result<WebhookCreated, ServiceError> {
    let mut errors = Vec::new();
    let url = check_webhook_target("url", &request.url, allow_private)
        .map_err(|e| errors.push(e))
        .ok();
    if request.events.is_empty() {
        errors.push(FieldError::new(
            "events",
            "must name at least one event type",
        ));
    }
    if request.events.contains(&EventType::WebhookTest) {
        errors.push(FieldError::new(
            "events",
            "webhook.test is sent on request only (POST /v1/webhooks/{id}/test)",
        ));
    }
    if request
        .description
        .as_ref()
        .is_some_and(|d| d.chars().count() > 200)
    {
        errors.push(FieldError::new(
            "description",
            "must be at most 200 characters",
        ));
    }
    if let (Some(min), Some(max)) = (request.filter.score_min, request.filter.score_max)
        && min > max
    {
        errors.push(FieldError::new(
            "filter.score_min",
            "must not be above filter.score_max",
        ));
    }
    let Some(url) = url.filter(|_| errors.is_empty()) else {
        return Err(ServiceError::Invalid(errors));
    };
    let mut events = request.events;
    events.sort();
    events.dedup();
    let endpoint = Endpoint {
        view: WebhookView {
            id: new_id("wh_", now_ms)?,
            url,
            format: request.format,
            events,
            filter: request.filter,
            description: request.description,
            created_at: rfc3339(now_ms),
            enabled: true,
            previous_secret_expires_at: None,
        },
        secret: nps_shared::webhook::new_secret(random()?),
        previous_secret: None,
    };
    store.insert_endpoint(&endpoint).await?;
    Ok(WebhookCreated {
        endpoint: endpoint.view,
        secret: endpoint.secret,
    })
}

pub async fn list(store: &impl WebhookStore) -> Result<Vec<WebhookView>, ServiceError> {
    Ok(store
        .list_endpoints()
        .await?
        .into_iter()
        .map(|e| e.view)
        .collect())
}

pub async fn delete(store: &impl WebhookStore, id: &str) -> Result<(), ServiceError> {
    if store.delete_endpoint(id).await? {
        Ok(())
    } else {
        Err(ServiceError::NotFound(format!("webhook {id}")))
    }
}

/// `PATCH /v1/webhooks/{id}`: switches the endpoint off or on. Deliveries still
/// pending when it is switched off are not sent: each fails at its next attempt
/// ("the endpoint is disabled") and can be replayed once it is on again.
pub async fn update(
    store: &impl WebhookStore,
    id: &str,
    patch: WebhookPatch,
) -> Result<WebhookView, ServiceError> {
    let endpoint = match patch.enabled {
        Some(enabled) => store.set_endpoint_enabled(id, enabled).await?,
        None => store.get_endpoint(id).await?,
    };
    endpoint
        .map(|e| e.view)
        .ok_or_else(|| ServiceError::NotFound(format!("webhook {id}")))
}

/// `POST /v1/webhooks/{id}/rotate-secret`: a new secret, shown once. The replaced one
/// keeps signing beside it for `overlap_hours` (0 ends it at once, for a leaked
/// secret); rotating again during an overlap ends that overlap, so at most two
/// secrets ever sign.
pub async fn rotate_secret(
    store: &impl WebhookStore,
    id: &str,
    request: RotateSecret,
    now_ms: i64,
) -> Result<SecretRotated, ServiceError> {
    use nps_shared::webhook::{DEFAULT_OVERLAP_HOURS, MAX_OVERLAP_HOURS};
    let hours = request.overlap_hours.unwrap_or(DEFAULT_OVERLAP_HOURS);
    if hours > MAX_OVERLAP_HOURS {
        return Err(ServiceError::invalid(
            "overlap_hours",
            &format!("must be between 0 and {MAX_OVERLAP_HOURS}"),
        ));
    }
    let secret = nps_shared::webhook::new_secret(random()?);
    let ends = rfc3339(now_ms + i64::from(hours) * 3_600_000);
    let endpoint = store
        .rotate_secret(id, &secret, &ends)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("webhook {id}")))?;
    Ok(SecretRotated {
        endpoint: endpoint.view,
        secret,
    })
}

/// `POST /v1/webhooks/{id}/test`: one `webhook.test` delivery to this endpoint only,
/// through the same queue, signing and retries as any other, so its outcome shows in
/// the deliveries list. Nothing else hears of it.
pub async fn send_test(
    store: &(impl WebhookStore + DeliveryStore),
    queue: &impl DeliveryQueue,
    id: &str,
    now_ms: i64,
) -> Result<Done<DeliveryView>, ServiceError> {
    let endpoint = store
        .get_endpoint(id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("webhook {id}")))?;
    if !endpoint.view.enabled {
        return Err(ServiceError::Conflict(
            "the endpoint is disabled; enable it to send a test event".into(),
        ));
    }
    let data = TestEventData {
        endpoint_id: endpoint.view.id.clone(),
        test: true,
        message: "This is a test event from NPS loop: no answer, case or customer is behind it."
            .into(),
    };
    let payload = match endpoint.view.format {
        WebhookFormat::Slack => nps_shared::slack::test_message(&data).to_string(),
        WebhookFormat::Standard => serde_json::to_string(&WebhookEvent {
            event_type: EventType::WebhookTest,
            timestamp: rfc3339(now_ms),
            data,
        })
        .map_err(StoreError::from)?,
    };
    let delivery = pending_delivery(&endpoint, EventType::WebhookTest, payload, now_ms)?;
    store
        .insert_deliveries(std::slice::from_ref(&delivery))
        .await?;
    let queued = enqueue(queue, std::slice::from_ref(&delivery)).await;
    Ok(Done::new(delivery.view(Vec::new())).unless(queued))
}

/// A delivery of `payload` to `endpoint`, due now, not yet stored.
fn pending_delivery(
    endpoint: &Endpoint,
    event_type: EventType,
    payload: String,
    now_ms: i64,
) -> Result<Delivery, StoreError> {
    let now = rfc3339(now_ms);
    Ok(Delivery {
        id: new_id("dl_", now_ms)?,
        endpoint_id: endpoint.view.id.clone(),
        event_type,
        payload,
        status: DeliveryStatus::Pending,
        attempts: 0,
        round_start: 0,
        next_attempt_at: Some(now.clone()),
        created_at: now.clone(),
        updated_at: now,
    })
}

/// One event, rendered once for each body format; endpoints filter on `survey` and
/// `score`.
pub struct Announcement<'a> {
    pub event_type: EventType,
    pub survey: &'a SurveyView,
    /// `None` for events that are not about an answer (filtered by survey only).
    pub score: Option<Score>,
    pub standard: String,
    pub slack: String,
}

fn survey_ref(survey: &SurveyView) -> SurveyRef {
    SurveyRef {
        id: survey.id.clone(),
        name: survey.definition.name.clone(),
    }
}

/// `response.created` / `response.updated`.
pub fn response_announcement<'a>(
    event_type: EventType,
    survey: &'a SurveyView,
    response: &ResponseView,
    case_id: Option<String>,
    now_ms: i64,
) -> Result<Announcement<'a>, StoreError> {
    let data = ResponseEventData {
        response: response.clone(),
        survey: survey_ref(survey),
        case_id,
    };
    let slack = nps_shared::slack::response_message(event_type, &data).to_string();
    let event = WebhookEvent {
        event_type,
        timestamp: rfc3339(now_ms),
        data,
    };
    Ok(Announcement {
        event_type,
        survey,
        score: Some(response.score),
        standard: serde_json::to_string(&event)?,
        slack,
    })
}

/// `case.opened` / `case.updated`.
pub fn case_announcement<'a>(
    event_type: EventType,
    survey: &'a SurveyView,
    case: &CaseView,
    response: &ResponseView,
    now_ms: i64,
) -> Result<Announcement<'a>, StoreError> {
    let data = CaseEventData {
        case: case.clone(),
        survey: survey_ref(survey),
        response: response.clone(),
    };
    let slack = nps_shared::slack::case_message(event_type, &data).to_string();
    let event = WebhookEvent {
        event_type,
        timestamp: rfc3339(now_ms),
        data,
    };
    Ok(Announcement {
        event_type,
        survey,
        score: Some(case.score),
        standard: serde_json::to_string(&event)?,
        slack,
    })
}

/// `invitation.due`: the invitation (link, token, e-mail HTML) for the shop's mail tool.
pub fn invitation_announcement<'a>(
    survey: &'a SurveyView,
    invitation: &Invitation,
    now_ms: i64,
) -> Result<Announcement<'a>, StoreError> {
    let event_type = EventType::InvitationDue;
    let slack =
        nps_shared::slack::invitation_message(invitation, &survey.definition.name).to_string();
    let event = WebhookEvent {
        event_type,
        timestamp: rfc3339(now_ms),
        data: invitation,
    };
    Ok(Announcement {
        event_type,
        survey,
        score: None,
        standard: serde_json::to_string(&event)?,
        slack,
    })
}

/// One pending delivery per endpoint that wants this announcement, not yet stored:
/// the caller stores them (with the write they announce, when it can) and then
/// queues them with [`enqueue`].
pub async fn deliveries_for(
    store: &impl WebhookStore,
    announcement: &Announcement<'_>,
    now_ms: i64,
) -> Result<Vec<Delivery>, StoreError> {
    deliveries_to(&store.list_endpoints().await?, announcement, now_ms)
}

/// Whether `endpoint` receives an `event` about survey `survey_id` (and an answer's
/// `score`, if the event has one): switched on, subscribed, and its filter admits it.
pub fn receives(
    endpoint: &Endpoint,
    event: EventType,
    survey_id: &str,
    score: Option<Score>,
) -> bool {
    endpoint.view.enabled
        && endpoint.view.events.contains(&event)
        && endpoint.view.filter.admits(survey_id, score)
}

/// [`deliveries_for`] with the endpoints already read: a job announcing many things
/// reads them once.
pub fn deliveries_to(
    endpoints: &[Endpoint],
    announcement: &Announcement<'_>,
    now_ms: i64,
) -> Result<Vec<Delivery>, StoreError> {
    let a = announcement;
    endpoints
        .iter()
        .filter(|e| receives(e, a.event_type, &a.survey.id, a.score))
        .map(|e| {
            let payload = match e.view.format {
                WebhookFormat::Standard => a.standard.clone(),
                WebhookFormat::Slack => a.slack.clone(),
            };
            pending_delivery(e, a.event_type, payload, now_ms)
        })
        .collect()
}

/// Queues stored deliveries for their first attempt. If this fails the rows stay
/// pending and due, and the cron sweeper queues them.
pub async fn enqueue(
    queue: &impl DeliveryQueue,
    deliveries: &[Delivery],
) -> Result<usize, StoreError> {
    if deliveries.is_empty() {
        return Ok(0);
    }
    let tasks: Vec<DeliveryTask> = deliveries
        .iter()
        .map(|d| DeliveryTask {
            delivery_id: d.id.clone(),
        })
        .collect();
    queue.enqueue(&tasks, 0).await?;
    Ok(tasks.len())
}

/// Stores and queues the announcement for every endpoint that wants it, in the
/// endpoint's format; returns how many deliveries were made. The deliveries are
/// stored before they are queued: if queuing fails, the cron sweeper finds them.
pub async fn dispatch(
    store: &(impl WebhookStore + DeliveryStore),
    queue: &impl DeliveryQueue,
    announcement: &Announcement<'_>,
    now_ms: i64,
) -> Result<usize, StoreError> {
    let deliveries = deliveries_for(store, announcement, now_ms).await?;
    if deliveries.is_empty() {
        return Ok(0);
    }
    store.insert_deliveries(&deliveries).await?;
    enqueue(queue, &deliveries).await
}

/// [`dispatch`] of a response event without a case (a shorthand for the tests).
#[cfg(test)]
pub async fn dispatch_response_event(
    store: &(impl WebhookStore + DeliveryStore),
    queue: &impl DeliveryQueue,
    event_type: EventType,
    survey: &SurveyView,
    response: &ResponseView,
    now_ms: i64,
) -> Result<usize, StoreError> {
    let announcement = response_announcement(event_type, survey, response, None, now_ms)?;
    dispatch(store, queue, &announcement, now_ms).await
}

/// Creates an endpoint in a test without the ceremony.
#[cfg(test)]
pub fn create_for_test(store: &impl WebhookStore, request: CreateWebhook) -> WebhookCreated {
    pollster::block_on(create(store, request, false, 0)).expect("a valid test endpoint")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::fixtures::demo_survey;
    use crate::store::testing::TestStore;
    use nps_shared::Category;
    use nps_shared::api::{Channel, Respondent, WebhookFilter};
    use pollster::block_on;

    #[test]
    fn managing_an_endpoint_costs_the_same_with_a_thousand_or_ten_thousand_deliveries() {
        use crate::store::metered::FREE_PLAN_QUERIES;
        let measure = |n: usize| {
            let m = TestStore::default();
            m.add_survey(demo_survey());
            let id = create_for_test(&m, hook("https://hooks.example/a", Default::default()))
                .endpoint
                .id;
            let all: Vec<Delivery> = (0..n)
                .map(|i| {
                    crate::store::sql::testing::delivery(&format!("dl_{i:06}"), &id, "{}", "x")
                })
                .collect();
            block_on(m.insert_deliveries(&all)).unwrap();
            let mut costs = Vec::new();
            let mut cost = |m: &TestStore| {
                costs.push(m.queries());
                m.reset_queries();
            };
            m.reset_queries();
            block_on(create(
                &m,
                hook("https://hooks.example/b", Default::default()),
                false,
                0,
            ))
            .unwrap();
            cost(&m);
            block_on(list(&m)).unwrap();
            cost(&m);
            let off = WebhookPatch {
                enabled: Some(false),
            };
            block_on(update(&m, &id, off)).unwrap();
            cost(&m);
            let on = WebhookPatch {
                enabled: Some(true),
            };
            block_on(update(&m, &id, on)).unwrap();
            m.reset_queries();
            let rotate = RotateSecret {
                overlap_hours: Some(1),
            };
            block_on(rotate_secret(&m, &id, rotate, 0)).unwrap();
            cost(&m);
            block_on(send_test(&m, &m, &id, 0)).unwrap();
            cost(&m);
            block_on(delete(&m, &id)).unwrap();
            cost(&m);
            costs
        };
        let small = measure(1_000);
        assert_eq!(
            small,
            [1, 1, 1, 1, 2, 1],
            "create, list, switch, rotate, test, delete"
        );
        assert_eq!(measure(10_000), small);
        assert!(small.iter().all(|&q| q <= FREE_PLAN_QUERIES));
    }

    fn hook(url: &str, filter: WebhookFilter) -> CreateWebhook {
        CreateWebhook {
            url: url.into(),
            format: WebhookFormat::Standard,
            events: vec![EventType::ResponseCreated],
            filter,
            description: None,
        }
    }

    fn answer(score: u8) -> ResponseView {
        let score = Score::try_from(score).unwrap();
        ResponseView {
            id: "r_1".into(),
            survey_id: "s_demo".into(),
            score,
            category: score.category(),
            comment: None,
            channel: Channel::Web,
            locale: None,
            page_url: None,
            respondent: Respondent::default(),
            properties: Default::default(),
            created_at: rfc3339(0),
            updated_at: rfc3339(0),
            order_id: None,
            flagged: None,
            provisional: false,
        }
    }

    #[test]
    fn a_new_endpoint_gets_a_secret_shown_once() {
        let store = TestStore::default();
        let created = block_on(create(
            &store,
            hook("https://hooks.example/nps", Default::default()),
            false,
            0,
        ))
        .unwrap();
        assert!(created.secret.starts_with("whsec_"));
        assert!(created.endpoint.id.starts_with("wh_"));
        let listed = serde_json::to_string(&block_on(list(&store)).unwrap()).unwrap();
        assert!(!listed.contains(&created.secret));
    }

    #[test]
    fn endpoint_urls_must_be_http() {
        let store = TestStore::default();
        let err = block_on(create(
            &store,
            hook("ftp://x.example", Default::default()),
            false,
            0,
        ))
        .unwrap_err();
        assert!(matches!(err, ServiceError::Invalid(ref e) if e[0].field == "url"));
    }

    #[test]
    fn an_event_fans_out_to_each_matching_endpoint_once() {
        let store = TestStore::default();
        let detractors = WebhookFilter {
            categories: vec![Category::Detractor],
            ..Default::default()
        };
        block_on(create(
            &store,
            hook("https://a.example/h", detractors),
            false,
            0,
        ))
        .unwrap();
        block_on(create(
            &store,
            hook("https://b.example/h", Default::default()),
            false,
            0,
        ))
        .unwrap();
        let survey = demo_survey();

        let queued = block_on(dispatch_response_event(
            &store,
            &store,
            EventType::ResponseCreated,
            &survey,
            &answer(3),
            1,
        ))
        .unwrap();
        assert_eq!(queued, 2);
        let queued = block_on(dispatch_response_event(
            &store,
            &store,
            EventType::ResponseCreated,
            &survey,
            &answer(9),
            1,
        ))
        .unwrap();
        assert_eq!(queued, 1, "the detractor-only endpoint skips a promoter");

        let tasks = store.queue().queued.borrow();
        let ids: std::collections::HashSet<_> =
            tasks.iter().map(|(t, _)| t.delivery_id.clone()).collect();
        assert_eq!(ids.len(), 3, "every delivery has its own webhook-id");
        let stored = store.deliveries();
        assert_eq!(stored.len(), 3, "each queued delivery is stored first");
        let body: serde_json::Value = serde_json::from_str(&stored[0].payload).unwrap();
        assert_eq!(body["type"], "response.created");
        assert_eq!(body["data"]["category"], "detractor");
        assert_eq!(body["data"]["survey"]["name"], "Demo shop");
    }

    #[test]
    fn internal_targets_need_the_local_setting() {
        let store = TestStore::default();
        let err = block_on(create(
            &store,
            hook("http://127.0.0.1:9000/h", Default::default()),
            false,
            0,
        ))
        .unwrap_err();
        assert!(matches!(err, ServiceError::Invalid(ref e) if e[0].field == "url"));
        assert!(
            block_on(create(
                &store,
                hook("http://127.0.0.1:9000/h", Default::default()),
                true,
                0
            ))
            .is_ok()
        );
    }

    #[test]
    fn a_slack_endpoint_gets_a_slack_message() {
        let store = TestStore::default();
        let mut request = hook("https://hooks.slack.com/services/T/B/X", Default::default());
        request.format = WebhookFormat::Slack;
        block_on(create(&store, request, false, 0)).unwrap();
        block_on(dispatch_response_event(
            &store,
            &store,
            EventType::ResponseCreated,
            &demo_survey(),
            &answer(2),
            1,
        ))
        .unwrap();
        let body: serde_json::Value = serde_json::from_str(&store.deliveries()[0].payload).unwrap();
        assert!(body["text"].as_str().unwrap().contains("Detractor (2/10)"));
        assert!(body.get("type").is_none());
    }

    #[test]
    fn deliveries_survive_a_queue_that_is_down() {
        let store = TestStore::default();
        block_on(create(
            &store,
            hook("https://a.example/h", Default::default()),
            false,
            0,
        ))
        .unwrap();
        store.queue().down.set(true);
        let result = block_on(dispatch_response_event(
            &store,
            &store,
            EventType::ResponseCreated,
            &demo_survey(),
            &answer(3),
            1,
        ));
        assert!(result.is_err());
        assert_eq!(
            store.deliveries().len(),
            1,
            "stored, so the sweeper can send it"
        );
    }

    #[test]
    fn endpoints_not_subscribed_to_the_type_are_skipped() {
        let store = TestStore::default();
        block_on(create(
            &store,
            hook("https://a.example/h", Default::default()),
            false,
            0,
        ))
        .unwrap();
        let n = block_on(dispatch_response_event(
            &store,
            &store,
            EventType::ResponseUpdated,
            &demo_survey(),
            &answer(3),
            1,
        ))
        .unwrap();
        assert_eq!(n, 0);
    }

    fn one_endpoint(store: &TestStore, format: WebhookFormat) -> WebhookCreated {
        let mut request = hook("https://hooks.example/h", Default::default());
        request.format = format;
        block_on(create(store, request, false, 0)).unwrap()
    }

    #[test]
    fn a_disabled_endpoint_hears_of_no_new_event_until_it_is_enabled_again() {
        let store = TestStore::default();
        let off = one_endpoint(&store, WebhookFormat::Standard).endpoint.id;
        let on = one_endpoint(&store, WebhookFormat::Standard).endpoint.id;
        let patch = |enabled| WebhookPatch {
            enabled: Some(enabled),
        };
        let view = block_on(update(&store, &off, patch(false))).unwrap();
        assert!(!view.enabled);
        let listed = block_on(list(&store)).unwrap();
        for v in &listed {
            assert_eq!(v.enabled, v.id == on, "{}", v.id);
        }
        let dispatch = || {
            block_on(dispatch_response_event(
                &store,
                &store,
                EventType::ResponseCreated,
                &demo_survey(),
                &answer(3),
                1,
            ))
            .unwrap()
        };
        assert_eq!(dispatch(), 1);
        assert_eq!(store.deliveries()[0].endpoint_id, on);
        assert!(block_on(update(&store, &off, patch(true))).unwrap().enabled);
        assert_eq!(dispatch(), 2);
        assert!(matches!(
            block_on(update(&store, "wh_none", patch(true))),
            Err(ServiceError::NotFound(_))
        ));
        // An empty patch changes nothing and shows the endpoint.
        assert!(
            block_on(update(&store, &off, WebhookPatch::default()))
                .unwrap()
                .enabled
        );
    }

    #[test]
    fn a_rotation_signs_with_both_secrets_until_the_overlap_ends_then_with_the_new_one() {
        let store = TestStore::default();
        let created = one_endpoint(&store, WebhookFormat::Standard);
        let id = created.endpoint.id.clone();
        let at = 1_764_000_000_000;
        let rotated = block_on(rotate_secret(&store, &id, RotateSecret::default(), at)).unwrap();
        assert_ne!(rotated.secret, created.secret);
        assert!(rotated.secret.starts_with("whsec_"));
        let ends = rfc3339(at + 24 * 3_600_000);
        assert_eq!(
            rotated.endpoint.previous_secret_expires_at.as_deref(),
            Some(ends.as_str()),
            "24 hours by default"
        );
        let listed = serde_json::to_string(&block_on(list(&store)).unwrap()).unwrap();
        assert!(!listed.contains(&rotated.secret) && !listed.contains(&created.secret));

        let endpoint = block_on(store.get_endpoint(&id)).unwrap().unwrap();
        let just_before = rfc3339(at + 24 * 3_600_000 - 1);
        assert_eq!(
            endpoint.signing_secrets(&just_before),
            [rotated.secret.as_str(), created.secret.as_str()]
        );
        assert_eq!(endpoint.signing_secrets(&ends), [rotated.secret.as_str()]);
    }

    #[test]
    fn rotating_again_during_an_overlap_drops_the_oldest_secret() {
        let store = TestStore::default();
        let first = one_endpoint(&store, WebhookFormat::Standard);
        let id = first.endpoint.id.clone();
        let second = block_on(rotate_secret(&store, &id, RotateSecret::default(), 0)).unwrap();
        let third = block_on(rotate_secret(
            &store,
            &id,
            RotateSecret {
                overlap_hours: Some(1),
            },
            1000,
        ))
        .unwrap();
        let endpoint = block_on(store.get_endpoint(&id)).unwrap().unwrap();
        assert_eq!(
            endpoint.signing_secrets(&rfc3339(2000)),
            [third.secret.as_str(), second.secret.as_str()],
            "the first secret no longer signs"
        );
        assert_eq!(
            endpoint.signing_secrets(&rfc3339(1000 + 3_600_000)),
            [third.secret.as_str()]
        );
    }

    #[test]
    fn an_overlap_of_zero_ends_at_once_and_one_beyond_a_week_is_refused() {
        let store = TestStore::default();
        let id = one_endpoint(&store, WebhookFormat::Standard).endpoint.id;
        let zero = RotateSecret {
            overlap_hours: Some(0),
        };
        let rotated = block_on(rotate_secret(&store, &id, zero, 5000)).unwrap();
        let endpoint = block_on(store.get_endpoint(&id)).unwrap().unwrap();
        assert_eq!(
            endpoint.signing_secrets(&rfc3339(5000)),
            [rotated.secret.as_str()]
        );
        let too_long = RotateSecret {
            overlap_hours: Some(169),
        };
        let err = block_on(rotate_secret(&store, &id, too_long, 5000)).unwrap_err();
        assert!(matches!(err, ServiceError::Invalid(ref e) if e[0].field == "overlap_hours"));
        assert_eq!(
            block_on(store.get_endpoint(&id)).unwrap().unwrap().secret,
            rotated.secret,
            "a refused rotation changes nothing"
        );
        assert!(matches!(
            block_on(rotate_secret(&store, "wh_none", RotateSecret::default(), 0)),
            Err(ServiceError::NotFound(_))
        ));
    }

    #[test]
    fn a_test_event_goes_to_that_endpoint_alone_through_the_queue() {
        let store = TestStore::default();
        let target = one_endpoint(&store, WebhookFormat::Standard).endpoint.id;
        let _bystander = one_endpoint(&store, WebhookFormat::Standard);
        let sent = block_on(send_test(&store, &store, &target, 7)).unwrap();
        assert!(sent.failed_follow_ups.is_empty());
        assert_eq!(sent.event_type, EventType::WebhookTest);
        assert_eq!(sent.status, DeliveryStatus::Pending);
        let stored = store.deliveries();
        assert_eq!(stored.len(), 1, "no other endpoint hears of it");
        assert_eq!(stored[0].id, sent.id);
        assert_eq!(stored[0].endpoint_id, target);
        assert_eq!(store.queue().queued.borrow()[0].0.delivery_id, sent.id);
        let body: serde_json::Value = serde_json::from_str(&stored[0].payload).unwrap();
        assert_eq!(body["type"], "webhook.test");
        assert_eq!(body["data"]["test"], true);
        assert_eq!(body["data"]["endpoint_id"], target.as_str());
        assert!(store.responses().is_empty() && store.cases().is_empty());
    }

    #[test]
    fn a_slack_endpoint_gets_a_slack_test_message() {
        let store = TestStore::default();
        let id = one_endpoint(&store, WebhookFormat::Slack).endpoint.id;
        block_on(send_test(&store, &store, &id, 7)).unwrap();
        let body: serde_json::Value = serde_json::from_str(&store.deliveries()[0].payload).unwrap();
        let text = body["text"].as_str().unwrap();
        assert!(text.contains("Test event") && text.contains(&id), "{text}");
        assert!(body.get("type").is_none());
    }

    #[test]
    fn no_test_event_goes_to_a_disabled_or_missing_endpoint() {
        let store = TestStore::default();
        let id = one_endpoint(&store, WebhookFormat::Standard).endpoint.id;
        block_on(update(
            &store,
            &id,
            WebhookPatch {
                enabled: Some(false),
            },
        ))
        .unwrap();
        assert!(matches!(
            block_on(send_test(&store, &store, &id, 7)),
            Err(ServiceError::Conflict(_))
        ));
        assert!(matches!(
            block_on(send_test(&store, &store, "wh_none", 7)),
            Err(ServiceError::NotFound(_))
        ));
        assert!(store.deliveries().is_empty());
    }

    #[test]
    fn nobody_subscribes_to_the_test_event() {
        let store = TestStore::default();
        let mut request = hook("https://hooks.example/h", Default::default());
        request.events = vec![EventType::ResponseCreated, EventType::WebhookTest];
        let err = block_on(create(&store, request, false, 0)).unwrap_err();
        assert!(matches!(err, ServiceError::Invalid(ref e) if e[0].field == "events"));
    }
}
