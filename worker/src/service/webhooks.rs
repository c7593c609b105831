//! Webhook endpoints, and fan-out: one event becomes one queued delivery per endpoint
//! that subscribed to its type and whose filter it passes. Each delivery is retried on
//! its own, so a broken endpoint never causes duplicates at a healthy one.

use super::{ServiceError, new_id, random};
use crate::store::{DeliveryQueue, DeliveryTask, Endpoint, StoreError, WebhookStore};
use nps_shared::api::{
    CreateWebhook, EventType, ResponseEventData, ResponseView, SurveyRef, SurveyView,
    WebhookCreated, WebhookEvent, WebhookView,
};
use nps_shared::time::rfc3339;
use nps_shared::validate::{FieldError, parse_http_url};

pub async fn create(
    store: &impl WebhookStore,
    request: CreateWebhook,
    now_ms: i64,
) -> Result<WebhookCreated, ServiceError> {
    let mut errors = Vec::new();
    let url = parse_http_url("url", &request.url)
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

/// Queues `event_type` about `response` for every endpoint that wants it; returns how
/// many deliveries were queued.
pub async fn dispatch_response_event(
    store: &impl WebhookStore,
    queue: &impl DeliveryQueue,
    event_type: EventType,
    survey: &SurveyView,
    response: &ResponseView,
    now_ms: i64,
) -> Result<usize, StoreError> {
    let endpoints: Vec<Endpoint> = store
        .list_endpoints()
        .await?
        .into_iter()
        .filter(|e| {
            e.view.events.contains(&event_type) && e.view.filter.matches(&survey.id, response.score)
        })
        .collect();
    if endpoints.is_empty() {
        return Ok(0);
    }
    let event = WebhookEvent {
        event_type,
        timestamp: rfc3339(now_ms),
        data: ResponseEventData {
            response: response.clone(),
            survey: SurveyRef {
                id: survey.id.clone(),
                name: survey.definition.name.clone(),
            },
            case_id: None,
        },
    };
    let payload = serde_json::to_string(&event)?;
    let tasks = endpoints
        .iter()
        .map(|e| {
            Ok(DeliveryTask {
                delivery_id: new_id("dl_", now_ms)?,
                endpoint_id: e.view.id.clone(),
                payload: payload.clone(),
                attempt: 1,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    queue.enqueue(&tasks, 0).await?;
    Ok(tasks.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::fixtures::demo_survey;
    use crate::store::memory::Memory;
    use nps_shared::api::{Channel, Respondent, WebhookFilter};
    use nps_shared::{Category, Score};
    use pollster::block_on;

    fn hook(url: &str, filter: WebhookFilter) -> CreateWebhook {
        CreateWebhook {
            url: url.into(),
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
        }
    }

    #[test]
    fn a_new_endpoint_gets_a_secret_shown_once() {
        let store = Memory::default();
        let created = block_on(create(
            &store,
            hook("https://hooks.example/nps", Default::default()),
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
        let store = Memory::default();
        let err = block_on(create(
            &store,
            hook("ftp://x.example", Default::default()),
            0,
        ))
        .unwrap_err();
        assert!(matches!(err, ServiceError::Invalid(ref e) if e[0].field == "url"));
    }

    #[test]
    fn an_event_fans_out_to_each_matching_endpoint_once() {
        let store = Memory::default();
        let detractors = WebhookFilter {
            categories: vec![Category::Detractor],
            ..Default::default()
        };
        block_on(create(&store, hook("https://a.example/h", detractors), 0)).unwrap();
        block_on(create(
            &store,
            hook("https://b.example/h", Default::default()),
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

        let tasks = store.queued.borrow();
        let ids: std::collections::HashSet<_> =
            tasks.iter().map(|(t, _)| t.delivery_id.clone()).collect();
        assert_eq!(ids.len(), 3, "every delivery has its own webhook-id");
        let body: serde_json::Value = serde_json::from_str(&tasks[0].0.payload).unwrap();
        assert_eq!(body["type"], "response.created");
        assert_eq!(body["data"]["category"], "detractor");
        assert_eq!(body["data"]["survey"]["name"], "Demo shop");
    }

    #[test]
    fn endpoints_not_subscribed_to_the_type_are_skipped() {
        let store = Memory::default();
        block_on(create(
            &store,
            hook("https://a.example/h", Default::default()),
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
