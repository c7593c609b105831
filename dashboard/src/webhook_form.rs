//! The webhook page's model, pure so that it is tested natively: the create form as
//! the page holds it and the body it sends (the server validates each field and its
//! 422 names them, shown at the field by the same paths), which fields the form
//! shows, and a delivery's outcome in one sentence (after a test event).

use nps_shared::Category;
use nps_shared::api::{
    CreateWebhook, DeliveryStatus, DeliveryView, EventType, WebhookFilter, WebhookFormat,
};

/// What the create form holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebhookForm {
    pub url: String,
    pub format: WebhookFormat,
    pub description: String,
    pub events: Vec<EventType>,
    /// `""`: every survey.
    pub survey_id: String,
    /// Empty: every category.
    pub categories: Vec<Category>,
}

impl Default for WebhookForm {
    fn default() -> Self {
        WebhookForm {
            url: String::new(),
            format: WebhookFormat::Standard,
            description: String::new(),
            events: vec![EventType::ResponseCreated],
            survey_id: String::new(),
            categories: Vec::new(),
        }
    }
}

/// The fields the form shows an error at; anything else goes to the form's alert.
pub const FORM_FIELDS: [&str; 6] = [
    "url",
    "format",
    "description",
    "events",
    "filter.survey_ids",
    "filter.categories",
];

impl WebhookForm {
    /// The `POST /v1/webhooks` body, as typed (the server checks it).
    pub fn to_request(&self) -> CreateWebhook {
        let description = self.description.trim();
        CreateWebhook {
            url: self.url.trim().to_owned(),
            format: self.format,
            events: self.events.clone(),
            filter: WebhookFilter {
                categories: self.categories.clone(),
                survey_ids: if self.survey_id.is_empty() {
                    Vec::new()
                } else {
                    vec![self.survey_id.clone()]
                },
                ..Default::default()
            },
            description: (!description.is_empty()).then(|| description.to_owned()),
        }
    }

    /// Adds or removes one item of a checkbox list, keeping the list's order stable.
    pub fn toggle<T: PartialEq + Copy>(list: &mut Vec<T>, item: T, on: bool) {
        list.retain(|x| *x != item);
        if on {
            list.push(item);
        }
    }
}

/// How a delivery went, in one sentence; `None` while it waits for its first attempt.
pub fn outcome(delivery: &DeliveryView) -> Option<String> {
    let last = delivery.attempts.last()?;
    let answer = match (last.status_code, &last.error) {
        (Some(code), _) => format!("HTTP {code} in {} ms", last.latency_ms),
        (None, Some(error)) => error.clone(),
        (None, None) => "no answer".to_owned(),
    };
    Some(match delivery.status {
        DeliveryStatus::Delivered => format!("Delivered: {answer}."),
        DeliveryStatus::Failed => format!("Failed: {answer}."),
        DeliveryStatus::Pending => {
            format!("Attempt {} failed ({answer}); trying again.", last.attempt)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use nps_shared::api::AttemptView;

    #[test]
    fn the_body_carries_what_was_typed_and_leaves_out_what_was_not() {
        let mut form = WebhookForm {
            url: "  https://hooks.slack.com/services/T/B/X ".into(),
            format: WebhookFormat::Slack,
            ..Default::default()
        };
        let body = form.to_request();
        assert_eq!(body.url, "https://hooks.slack.com/services/T/B/X");
        assert_eq!(body.events, [EventType::ResponseCreated]);
        assert_eq!(body.filter, WebhookFilter::default());
        assert_eq!(body.description, None);
        form.survey_id = "s_demo".into();
        form.description = " Support ".into();
        WebhookForm::toggle(&mut form.categories, Category::Detractor, true);
        WebhookForm::toggle(&mut form.events, EventType::CaseOpened, true);
        WebhookForm::toggle(&mut form.events, EventType::ResponseCreated, false);
        let body = form.to_request();
        assert_eq!(body.filter.survey_ids, ["s_demo"]);
        assert_eq!(body.filter.categories, [Category::Detractor]);
        assert_eq!(body.events, [EventType::CaseOpened]);
        assert_eq!(body.description.as_deref(), Some("Support"));
        // What the form sends is what the server reads.
        let json = serde_json::to_string(&body).unwrap();
        assert_eq!(serde_json::from_str::<CreateWebhook>(&json).unwrap(), body);
    }

    #[test]
    fn toggling_twice_leaves_one_entry() {
        let mut list = vec![EventType::ResponseCreated];
        WebhookForm::toggle(&mut list, EventType::ResponseCreated, true);
        assert_eq!(list, [EventType::ResponseCreated]);
        WebhookForm::toggle(&mut list, EventType::ResponseCreated, false);
        assert!(list.is_empty());
    }

    fn delivery(status: DeliveryStatus, attempts: Vec<AttemptView>) -> DeliveryView {
        DeliveryView {
            id: "dl_1".into(),
            endpoint_id: "wh_1".into(),
            event_type: EventType::WebhookTest,
            status,
            next_attempt_at: None,
            created_at: "x".into(),
            updated_at: "x".into(),
            payload: "{}".into(),
            attempts,
        }
    }

    fn attempt(status_code: Option<u16>, error: Option<&str>) -> AttemptView {
        AttemptView {
            attempt: 1,
            attempted_at: "x".into(),
            status_code,
            latency_ms: 12,
            response_body: None,
            error: error.map(Into::into),
            next_attempt_at: None,
        }
    }

    #[test]
    fn an_outcome_says_how_the_last_attempt_went() {
        assert_eq!(outcome(&delivery(DeliveryStatus::Pending, vec![])), None);
        assert_eq!(
            outcome(&delivery(
                DeliveryStatus::Delivered,
                vec![attempt(Some(204), None)]
            ))
            .as_deref(),
            Some("Delivered: HTTP 204 in 12 ms.")
        );
        assert_eq!(
            outcome(&delivery(
                DeliveryStatus::Failed,
                vec![attempt(None, Some("the endpoint is disabled"))]
            ))
            .as_deref(),
            Some("Failed: the endpoint is disabled.")
        );
        assert_eq!(
            outcome(&delivery(
                DeliveryStatus::Pending,
                vec![attempt(Some(500), None)]
            ))
            .as_deref(),
            Some("Attempt 1 failed (HTTP 500 in 12 ms); trying again.")
        );
    }
}
