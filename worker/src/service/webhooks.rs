//! Webhook endpoints, and fan-out: one event becomes one queued delivery per endpoint
//! that subscribed to its type and whose filter it passes. Each delivery is retried on
//! its own, so a broken endpoint never causes duplicates at a healthy one.

use super::{ServiceError, new_id, random};
use crate::store::{
    Delivery, DeliveryQueue, DeliveryStore, DeliveryTask, Endpoint, StoreError, WebhookStore,
};
use nps_shared::Score;
use nps_shared::api::{
    CaseEventData, CreateWebhook, DeliveryStatus, EventType, Invitation, ResponseEventData,
    ResponseView, SurveyRef, SurveyView, WebhookCreated, WebhookEvent, WebhookFormat, WebhookView,
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
        },
        secret: nps_shared::webhook::new_secret(random()?),
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
    let a = announcement;
    let now = rfc3339(now_ms);
    store
        .list_endpoints()
        .await?
        .into_iter()
        .filter(|e| {
            e.view.events.contains(&a.event_type) && e.view.filter.admits(&a.survey.id, a.score)
        })
        .map(|e| {
            Ok(Delivery {
                id: new_id("dl_", now_ms)?,
                endpoint_id: e.view.id.clone(),
                event_type: a.event_type,
                payload: match e.view.format {
                    WebhookFormat::Standard => a.standard.clone(),
                    WebhookFormat::Slack => a.slack.clone(),
                },
                status: DeliveryStatus::Pending,
                attempts: 0,
                round_start: 0,
                next_attempt_at: Some(now.clone()),
                created_at: now.clone(),
                updated_at: now.clone(),
            })
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
}
