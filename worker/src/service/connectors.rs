//! Shop connectors: create (the secret shown once, the URL to paste into the shop's
//! admin), list, delete, the events each received — and the receiver, which turns a
//! shop's signed webhook into an invitation held back until the survey's delay after
//! delivery (the cron releases it; see `invitations::release_due`).
//!
//! Every received webhook is logged with its outcome. An accepted one and its
//! invitation are one atomic write that a retry of the event, or another delivery
//! event of the same order, cannot repeat (`ConnectorStore::accept_connector_event`).
//! A request costs at most seven D1 queries whatever the data: the connector, the
//! survey, an order's remembered facts, and the four statements of the accepting write.
//!
//! Signatures and payloads are read by `nps_shared::connector`; nothing here calls a
//! shop's API. Requests without a valid signature are counted by the flood limiter
//! before they are logged (a forger past it gets 429 and writes nothing); the log
//! keeps [`EVENT_RETENTION_DAYS`], forgotten by the cron ([`forget_old`]).

use super::invitations::issue;
use super::page::{cut, parse_limit};
use super::{ServiceError, limits, new_id, random};
use crate::store::{
    Connector, ConnectorEvent, ConnectorStore, FloodLimiter, Storage, StoreError, SurveyStore,
};
use nps_shared::api::Page;
use nps_shared::connector::{
    self, ConnectorEventView, ConnectorView, CreateConnector, CreatedConnector, Delivered, Event,
    OrderFacts, Outcome, Platform, Reading, Received,
};
use nps_shared::invitation::Claims;
use nps_shared::time::rfc3339;
use nps_shared::validate::{FieldError, is_survey_id, parse_properties, parse_respondent};

/// How long an invitation from a connector can be answered after it is sent.
const ANSWERABLE_DAYS: i64 = 30;
/// Days a received event stays in a connector's log — and with it what an order event
/// remembered about an order whose delivery never came.
pub const EVENT_RETENTION_DAYS: i64 = 90;
/// Events a cron run forgets at most (one statement); the rest wait a minute.
pub const FORGET_BATCH: u32 = 500;
const DAY_MS: i64 = 86_400_000;
const MAX_SECRET_CHARS: usize = 200;

/// `POST /v1/connectors`.
pub async fn create(
    store: &(impl SurveyStore + ConnectorStore),
    request: CreateConnector,
    base_url: &str,
    now_ms: i64,
) -> Result<CreatedConnector, ServiceError> {
    let mut errors = Vec::new();
    if !is_survey_id(&request.survey_id) {
        errors.push(FieldError::new(
            "survey_id",
            "must be a survey id like \"s_demo\"",
        ));
    }
    if request
        .settings
        .days_after_fulfilled
        .is_some_and(|d| d > connector::MAX_DAYS_AFTER_FULFILLED)
    {
        errors.push(FieldError::new(
            "days_after_fulfilled",
            "must be a whole number of days from 0 to 60",
        ));
    }
    let secret = match request.secret {
        Some(secret) => {
            let secret = secret.trim().to_string();
            let usable = !secret.is_empty()
                && secret.chars().count() <= MAX_SECRET_CHARS
                && !secret.chars().any(char::is_control)
                && (request.platform != Platform::Generic
                    || nps_shared::webhook::sign(&secret, "msg", 0, "").is_ok());
            if !usable {
                errors.push(FieldError::new(
                    "secret",
                    "must be 1 to 200 characters (for generic: whsec_ and base64)",
                ));
            }
            secret
        }
        None => match request.platform {
            Platform::Generic => nps_shared::webhook::new_secret(random()?),
            Platform::Shopify | Platform::Woocommerce => nps_shared::ids::token(random::<24>()?),
        },
    };
    if !errors.is_empty() {
        return Err(ServiceError::Invalid(errors));
    }
    if store.get_survey(&request.survey_id).await?.is_none() {
        return Err(ServiceError::NotFound(format!(
            "survey {}",
            request.survey_id
        )));
    }
    let connector = Connector {
        id: new_id("con_", now_ms)?,
        platform: request.platform,
        survey_id: request.survey_id,
        secret: secret.clone(),
        settings: request.settings,
        created_at: rfc3339(now_ms),
        deleted_at: None,
    };
    store.insert_connector(&connector).await?;
    Ok(CreatedConnector {
        connector: connector.view(base_url),
        secret,
    })
}

/// `GET /v1/connectors`: never their secrets.
pub async fn list(
    store: &impl ConnectorStore,
    base_url: &str,
) -> Result<Vec<ConnectorView>, ServiceError> {
    Ok(store
        .list_connectors()
        .await?
        .iter()
        .map(|c| c.view(base_url))
        .collect())
}

/// `DELETE /v1/connectors/{id}`: its URL answers 404 from now on; its events stay.
pub async fn delete(
    store: &impl ConnectorStore,
    id: &str,
    now_ms: i64,
) -> Result<(), ServiceError> {
    if store.delete_connector(id, &rfc3339(now_ms)).await? {
        Ok(())
    } else {
        Err(ServiceError::NotFound(format!("connector {id}")))
    }
}

/// `GET /v1/connectors/{id}/events`: newest first, paged.
pub async fn events(
    store: &impl ConnectorStore,
    id: &str,
    cursor: Option<&str>,
    limit: Option<&str>,
) -> Result<Page<ConnectorEventView>, ServiceError> {
    let limit = parse_limit(limit)?;
    if cursor.is_some_and(|c| !nps_shared::ids::is_id("cev_", c)) {
        return Err(ServiceError::invalid(
            "cursor",
            "must be a next_cursor from an earlier page",
        ));
    }
    if store.get_connector(id).await?.is_none() {
        return Err(ServiceError::NotFound(format!("connector {id}")));
    }
    let mut items = store.list_connector_events(id, cursor, limit + 1).await?;
    let next_cursor = cut(&mut items, limit, |e| e.id.clone());
    Ok(Page { items, next_cursor })
}

/// What the receiver answers.
#[derive(Debug, PartialEq, Eq)]
pub enum Receipt {
    /// 2xx: accepted, duplicate or ignored.
    Received(Received),
    /// 401: the signature was missing or wrong (logged as `bad_signature`).
    BadSignature(String),
}

/// What the receiver was given: the request's headers (by name, any case) and its
/// raw body, as the shop signed it.
pub struct Delivery<'a> {
    pub header: &'a dyn Fn(&str) -> Option<String>,
    pub body: &'a [u8],
}

/// The cron: forgets events older than [`EVENT_RETENTION_DAYS`], at most
/// [`FORGET_BATCH`] a run, in one statement. How many.
pub async fn forget_old(store: &impl ConnectorStore, now_ms: i64) -> Result<u32, StoreError> {
    let before = rfc3339(now_ms - EVENT_RETENTION_DAYS * DAY_MS);
    store
        .forget_connector_events_before(&before, FORGET_BATCH)
        .await
}

/// The receiver `POST /hooks/connectors/{id}`. `secret` signs invitation tokens;
/// `base_url` is where their links point.
pub async fn receive(
    store: &impl Storage,
    (limiter, client): (&impl FloodLimiter, &str),
    id: &str,
    delivery: Delivery<'_>,
    secret: &[u8],
    base_url: &str,
    now_ms: i64,
) -> Result<Receipt, ServiceError> {
    let connector = match store.get_connector(id).await? {
        Some(c) if c.deleted_at.is_none() => c,
        Some(_) => return Err(ServiceError::NotFound(format!("connector {id} (deleted)"))),
        None => return Err(ServiceError::NotFound(format!("connector {id}"))),
    };
    let Delivery { header, body } = delivery;
    let log = |event: &Event, outcome: Outcome, reason: String| -> Result<_, ServiceError> {
        Ok(ConnectorEvent {
            id: new_id("cev_", now_ms)?,
            connector_id: connector.id.clone(),
            event_id: event.event_id.clone(),
            topic: event.topic.clone(),
            outcome,
            reason: Some(connector::clip(&reason)),
            order_id: None,
            facts: None,
            invitation_id: None,
            received_at: rfc3339(now_ms),
        })
    };
    if connector.platform == Platform::Woocommerce
        && header("X-WC-Webhook-Signature").is_none()
        && connector::receive::is_woocommerce_ping(body)
    {
        let ping = Event {
            event_id: None,
            topic: Some("ping".into()),
            reading: Reading::Ignored(String::new()),
        };
        let reason = "WooCommerce's ping when the webhook was saved".to_string();
        limits::admit_unsigned(limiter, client, now_ms).await?;
        store
            .log_connector_event(&log(&ping, Outcome::Ignored, reason.clone())?)
            .await?;
        return Ok(Receipt::Received(ignored(reason)));
    }
    let verified = connector::receive::verify(
        connector.platform,
        &connector.secret,
        header,
        body,
        now_ms.div_euclid(1000),
    );
    let event = connector::receive::read(connector.platform, &connector.settings, header, body);
    if let Err(e) = verified {
        let reason = e.to_string();
        limits::admit_unsigned(limiter, client, now_ms).await?;
        store
            .log_connector_event(&log(&event, Outcome::BadSignature, reason.clone())?)
            .await?;
        return Ok(Receipt::BadSignature(reason));
    }
    let delivered = match &event.reading {
        Reading::Ignored(reason) => {
            store
                .log_connector_event(&log(&event, Outcome::Ignored, reason.clone())?)
                .await?;
            return Ok(Receipt::Received(ignored(reason.clone())));
        }
        Reading::Order { order_id, facts } => {
            let reason = "order noted: its delivery event invites".to_string();
            let mut noted = log(&event, Outcome::Ignored, reason.clone())?;
            noted.order_id = Some(connector::clip(order_id));
            noted.facts = Some(facts.clone());
            store.log_connector_event(&noted).await?;
            return Ok(Receipt::Received(ignored(reason)));
        }
        Reading::Delivered(delivered) => delivered,
    };
    let Some(survey) = store.get_survey(&connector.survey_id).await? else {
        let reason = format!("survey {} does not exist", connector.survey_id);
        store
            .log_connector_event(&log(&event, Outcome::Ignored, reason.clone())?)
            .await?;
        return Ok(Receipt::Received(ignored(reason)));
    };
    let facts = if delivered.needs_order {
        let earlier = store
            .order_facts(&connector.id, &delivered.order_id)
            .await?
            .unwrap_or_default();
        delivered.facts.clone().or(earlier)
    } else {
        delivered.facts.clone()
    };
    let claims = match claims(delivered, &facts, &survey, now_ms) {
        Ok(claims) => claims,
        Err(reason) => {
            store
                .log_connector_event(&log(&event, Outcome::Ignored, reason.clone())?)
                .await?;
            return Ok(Receipt::Received(ignored(reason)));
        }
    };
    let locale = facts
        .locale
        .as_deref()
        .filter(|l| nps_shared::locale::is_valid_tag(l));
    let mut invitation = issue(&survey, &claims.claims, locale, secret, base_url)?;
    invitation.send_after = Some(rfc3339(claims.send_after));
    let reason = if facts.email.is_none() {
        "invited, but no e-mail address is known for the order (add the orders/create webhook)"
    } else {
        "invited"
    };
    let mut accepted = log(&event, Outcome::Accepted, reason.to_string())?;
    accepted.order_id = Some(connector::clip(&delivered.order_id));
    accepted.facts = Some(facts);
    let outcome = store
        .accept_connector_event(&accepted, &invitation, &claims.claims)
        .await?;
    Ok(Receipt::Received(Received {
        outcome,
        reason: Some(match outcome {
            Outcome::Accepted => reason.to_string(),
            _ => "an earlier event of this order was accepted: nothing created".to_string(),
        }),
        invitation_id: (outcome == Outcome::Accepted).then_some(invitation.id),
    }))
}

fn ignored(reason: String) -> Received {
    Received {
        outcome: Outcome::Ignored,
        reason: Some(reason),
        invitation_id: None,
    }
}

/// What the invitation fixes, and when it is sent.
struct Fixed {
    claims: Claims,
    send_after: i64,
}

/// The invitation's claims from a delivered order and what is known of it, checked as
/// `POST /v1/invitations` checks its fields; `Err` names what is wrong.
fn claims(
    delivered: &Delivered,
    facts: &OrderFacts,
    survey: &nps_shared::api::SurveyView,
    now_ms: i64,
) -> Result<Fixed, String> {
    let mut errors = Vec::new();
    let respondent = serde_json::json!({"id": facts.customer_id, "email": facts.email});
    let respondent = parse_respondent(Some(&respondent), &mut errors);
    let properties = serde_json::to_value(&facts.properties).map_err(|e| e.to_string())?;
    let properties = parse_properties(Some(&properties), &mut errors);
    let order_id = delivered.order_id.trim();
    if order_id.is_empty()
        || order_id.chars().count() > 128
        || order_id.chars().any(char::is_control)
    {
        errors.push(FieldError::new("order_id", "must be 1 to 128 characters"));
    }
    if let Some(first) = errors.first() {
        return Err(format!("{}: {}", first.field, first.message));
    }
    let delay = survey
        .definition
        .delay_after_delivery_hours
        .unwrap_or(connector::DEFAULT_DELAY_AFTER_DELIVERY_HOURS);
    let send_after = connector::send_after(delivered.delivered_at, delay, now_ms);
    let expires_ms = send_after + ANSWERABLE_DAYS * DAY_MS;
    Ok(Fixed {
        claims: Claims {
            invitation_id: new_id("inv_", now_ms).map_err(|e| e.to_string())?,
            survey_id: survey.id.clone(),
            order_id: Some(order_id.to_string()),
            respondent,
            properties,
            case_id: None,
            expires_at: expires_ms.div_euclid(1000),
        },
        send_after,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::fixtures::demo_survey;
    use crate::store::InvitationStore;
    use crate::store::testing::{TestLimiter, TestStore};
    use nps_shared::connector::receive::body_signature;
    use pollster::block_on;

    /// The most D1 queries one received webhook costs (the module's documentation).
    const RECEIVE_QUERIES: u32 = 7;
    const _: () = assert!(RECEIVE_QUERIES <= crate::store::metered::FREE_PLAN_QUERIES);
    const SECRET: &[u8] = b"invitation secret";
    const NOW: i64 = 1_764_000_000_000;
    const BASE: &str = "https://nps.example";
    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../e2e/fixtures/connectors");

    fn fixture(name: &str) -> Vec<u8> {
        std::fs::read(format!("{FIXTURES}/{name}")).unwrap()
    }

    fn store() -> TestStore {
        let m = TestStore::default();
        m.add_survey(demo_survey());
        m
    }

    fn connector(m: &TestStore, platform: Platform, secret: Option<&str>) -> CreatedConnector {
        let request = CreateConnector {
            platform,
            survey_id: "s_demo".into(),
            secret: secret.map(str::to_owned),
            settings: Default::default(),
        };
        block_on(create(m, request, BASE, NOW)).unwrap()
    }

    fn headers(pairs: Vec<(&str, String)>) -> impl Fn(&str) -> Option<String> {
        move |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.clone())
        }
    }

    /// A clock of each test's own (tests run on threads of their own) that moves a
    /// millisecond a call, so that events are listed in the order they were received.
    fn tick() -> i64 {
        thread_local! {
            static CLOCK: std::cell::Cell<i64> = const { std::cell::Cell::new(NOW) };
        }
        CLOCK.with(|clock| {
            let now = clock.get();
            clock.set(now + 1);
            now
        })
    }

    fn shopify(
        m: &TestStore,
        id: &str,
        secret: &str,
        topic: &str,
        event: &str,
        body: &[u8],
    ) -> Receipt {
        let h = headers(vec![
            ("X-Shopify-Topic", topic.into()),
            ("X-Shopify-Event-Id", event.into()),
            ("X-Shopify-Hmac-Sha256", body_signature(secret, body)),
        ]);
        deliver(m, id, &h, body, tick()).unwrap()
    }

    /// A request to connector `id` with these headers and body, at `now`, from a client
    /// the flood limiter lets through.
    fn deliver(
        m: &TestStore,
        id: &str,
        header: &dyn Fn(&str) -> Option<String>,
        body: &[u8],
        now: i64,
    ) -> Result<Receipt, ServiceError> {
        let delivery = Delivery { header, body };
        let flood = (&TestLimiter::new(100), "203.0.113.7");
        block_on(receive(m, flood, id, delivery, SECRET, BASE, now))
    }

    fn outcome(receipt: &Receipt) -> Outcome {
        match receipt {
            Receipt::Received(r) => r.outcome,
            Receipt::BadSignature(_) => Outcome::BadSignature,
        }
    }

    #[test]
    fn a_connector_shows_its_secret_once_and_its_url_to_paste() {
        let m = store();
        let created = connector(&m, Platform::Generic, None);
        assert!(created.secret.starts_with("whsec_"));
        assert_eq!(
            created.connector.url,
            format!("{BASE}/hooks/connectors/{}", created.connector.id)
        );
        let listed = block_on(list(&m, BASE)).unwrap();
        assert_eq!(listed, std::slice::from_ref(&created.connector));
        assert!(!serde_json::to_string(&listed).unwrap().contains("whsec_"));
        let woo = connector(&m, Platform::Woocommerce, None);
        assert!(woo.secret.len() >= 32, "{}", woo.secret);
    }

    #[test]
    fn bad_connector_requests_name_their_fields_and_an_unknown_survey_is_404() {
        let m = store();
        let request: CreateConnector = serde_json::from_value(serde_json::json!({
            "platform": "generic", "survey_id": "nope!", "secret": "not whsec",
            "days_after_fulfilled": 99
        }))
        .unwrap();
        let Err(ServiceError::Invalid(errors)) = block_on(create(&m, request, BASE, NOW)) else {
            panic!("accepted")
        };
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["survey_id", "days_after_fulfilled", "secret"]);
        let request: CreateConnector = serde_json::from_value(
            serde_json::json!({"platform": "shopify", "survey_id": "s_other"}),
        )
        .unwrap();
        assert!(matches!(
            block_on(create(&m, request, BASE, NOW)),
            Err(ServiceError::NotFound(_))
        ));
    }

    #[test]
    fn a_shopify_delivery_invites_the_customer_its_order_event_named_once() {
        let m = store();
        let c = connector(&m, Platform::Shopify, Some("shpss_from_admin"));
        let id = &c.connector.id;
        let order = fixture("shopify-orders-create.json");
        let noted = shopify(
            &m,
            id,
            "shpss_from_admin",
            "orders/create",
            "ev-order",
            &order,
        );
        assert_eq!(outcome(&noted), Outcome::Ignored);
        assert_eq!(m.count("invitations"), 0, "an order is not delivered yet");
        let body = fixture("shopify-fulfillment_events-create.json");
        let first = shopify(
            &m,
            id,
            "shpss_from_admin",
            "fulfillment_events/create",
            "ev-1",
            &body,
        );
        let Receipt::Received(Received {
            outcome: Outcome::Accepted,
            invitation_id: Some(invitation_id),
            ..
        }) = first
        else {
            panic!("{first:?}")
        };
        let claims = block_on(m.invitation_claims(&invitation_id))
            .unwrap()
            .unwrap();
        assert_eq!(claims.order_id.as_deref(), Some("820982911946154508"));
        assert_eq!(claims.respondent.email.as_deref(), Some("jon@example.com"));
        assert_eq!(claims.respondent.id.as_deref(), Some("115310627314723954"));
        assert_eq!(claims.properties["revenue"], "403.00");
        assert_eq!(claims.properties["shipping_method"], "Generic Shipping");
        // Delivered in 2021 plus 72 hours is long past: due now.
        let due = block_on(m.due_invitations(&rfc3339(NOW + 1_000), 10)).unwrap();
        assert_eq!(due.len(), 1);
        let sent = due[0]
            .send_after
            .as_deref()
            .and_then(nps_shared::time::parse_rfc3339);
        assert!(
            sent.is_some_and(|at| (NOW..NOW + 1_000).contains(&at)),
            "{sent:?}"
        );
        // Shopify retries the same event, then sends another delivered event.
        let retry = shopify(
            &m,
            id,
            "shpss_from_admin",
            "fulfillment_events/create",
            "ev-1",
            &body,
        );
        assert_eq!(outcome(&retry), Outcome::Duplicate);
        let update = fixture("shopify-fulfillments-update.json");
        let other = shopify(
            &m,
            id,
            "shpss_from_admin",
            "fulfillments/update",
            "ev-2",
            &update,
        );
        assert_eq!(outcome(&other), Outcome::Duplicate);
        assert_eq!(m.count("invitations"), 1);
        let page = block_on(events(&m, id, None, None)).unwrap();
        let outcomes: Vec<Outcome> = page.items.iter().map(|e| e.outcome).collect();
        assert_eq!(
            outcomes,
            [
                Outcome::Duplicate,
                Outcome::Duplicate,
                Outcome::Accepted,
                Outcome::Ignored
            ]
        );
        assert!(
            page.items[2]
                .invitation_url
                .as_deref()
                .unwrap()
                .starts_with(BASE)
        );
    }

    #[test]
    fn a_wrong_or_missing_signature_is_refused_logged_and_creates_nothing() {
        let m = store();
        let c = connector(&m, Platform::Shopify, Some("right"));
        let body = fixture("shopify-orders-fulfilled.json");
        let wrong = shopify(
            &m,
            &c.connector.id,
            "wrong",
            "orders/fulfilled",
            "ev-1",
            &body,
        );
        assert!(matches!(&wrong, Receipt::BadSignature(r) if r.contains("X-Shopify-Hmac-Sha256")));
        let h = headers(vec![("X-Shopify-Topic", "orders/fulfilled".into())]);
        let unsigned = deliver(&m, &c.connector.id, &h, &body, NOW).unwrap();
        assert_eq!(outcome(&unsigned), Outcome::BadSignature);
        assert_eq!(m.count("invitations"), 0);
        let logged = block_on(events(&m, &c.connector.id, None, None)).unwrap();
        assert_eq!(logged.items.len(), 2);
        assert!(
            logged
                .items
                .iter()
                .all(|e| e.outcome == Outcome::BadSignature)
        );
        assert_eq!(logged.items[0].topic.as_deref(), Some("orders/fulfilled"));
        // The right secret is accepted: the event was never taken.
        let right = shopify(
            &m,
            &c.connector.id,
            "right",
            "orders/fulfilled",
            "ev-1",
            &body,
        );
        assert_eq!(outcome(&right), Outcome::Accepted);
    }

    #[test]
    fn an_order_remembered_for_its_customer_is_in_their_export_and_forgotten_by_their_erase() {
        use crate::service::respondents;
        let m = store();
        let c = connector(&m, Platform::Shopify, Some("k"));
        let id = &c.connector.id;
        let order = fixture("shopify-orders-create.json");
        let noted = shopify(&m, id, "k", "orders/create", "ev-order", &order);
        assert_eq!(outcome(&noted), Outcome::Ignored);
        // Found by address (any case) and by the shop's customer id.
        let by_email = block_on(respondents::export(&m, "JON@example.com", NOW)).unwrap();
        assert_eq!(by_email.remembered_orders.len(), 1);
        let remembered = &by_email.remembered_orders[0];
        assert_eq!(remembered.order_id.as_deref(), Some("820982911946154508"));
        assert_eq!(remembered.facts.email.as_deref(), Some("jon@example.com"));
        let by_id = block_on(respondents::export(&m, "115310627314723954", NOW)).unwrap();
        assert_eq!(by_id.remembered_orders, by_email.remembered_orders);

        let erased = block_on(respondents::erase(
            &m,
            &m,
            "jon@example.com",
            Some(SECRET),
            NOW,
        ))
        .unwrap();
        assert_eq!(erased.remembered_orders, 1);
        let after = block_on(respondents::export(&m, "115310627314723954", NOW)).unwrap();
        assert!(after.remembered_orders.is_empty());
        // The log keeps the event, naming nobody; the delivery then invites nobody
        // by name (a link without a customer, as when no order event came).
        let logged = block_on(events(&m, id, None, None)).unwrap();
        assert_eq!(logged.items.len(), 1);
        let body = fixture("shopify-fulfillment_events-create.json");
        let delivered = shopify(&m, id, "k", "fulfillment_events/create", "ev-d", &body);
        let Receipt::Received(Received {
            invitation_id: Some(invitation_id),
            ..
        }) = delivered
        else {
            panic!("{delivered:?}")
        };
        let claims = block_on(m.invitation_claims(&invitation_id))
            .unwrap()
            .unwrap();
        assert_eq!(claims.respondent.email, None);
        assert_eq!(claims.respondent.id, None);
    }

    #[test]
    fn a_forger_past_the_flood_limit_gets_429_and_writes_no_more_events() {
        let m = store();
        let c = connector(&m, Platform::Shopify, Some("right"));
        let body = fixture("shopify-orders-fulfilled.json");
        let limiter = TestLimiter::new(3);
        let h = headers(vec![
            ("X-Shopify-Topic", "orders/fulfilled".into()),
            ("X-Shopify-Hmac-Sha256", body_signature("guess", &body)),
        ]);
        let forge = |client| {
            block_on(receive(
                &m,
                (&limiter, client),
                &c.connector.id,
                Delivery {
                    header: &h,
                    body: &body,
                },
                SECRET,
                BASE,
                NOW,
            ))
        };
        for _ in 0..3 {
            assert_eq!(
                outcome(&forge("203.0.113.7").unwrap()),
                Outcome::BadSignature
            );
        }
        assert!(matches!(
            forge("203.0.113.7"),
            Err(ServiceError::TooManyRequests { .. })
        ));
        assert_eq!(
            m.count("connector_events"),
            3,
            "the refused one is not logged"
        );
        // Another client is counted on its own; the shop's signed events never are.
        assert_eq!(
            outcome(&forge("198.51.100.1").unwrap()),
            Outcome::BadSignature
        );
        let right = shopify(
            &m,
            &c.connector.id,
            "right",
            "orders/fulfilled",
            "ev-1",
            &body,
        );
        assert_eq!(outcome(&right), Outcome::Accepted);
    }

    #[test]
    fn a_generic_delivery_waits_the_survey_s_delay_after_its_delivery_time() {
        let m = TestStore::default();
        let mut survey = demo_survey();
        survey.definition.delay_after_delivery_hours = Some(24);
        m.add_survey(survey);
        let c = connector(&m, Platform::Generic, None);
        let delivered = NOW + 3_600_000;
        let body = serde_json::json!({
            "order_id": "1001", "delivered_at": rfc3339(delivered),
            "customer": {"id": "cust-42", "email": "kim@example.com", "locale": "de"},
            "properties": {"store": "berlin"}
        })
        .to_string();
        let sign = |at_s: i64| {
            let signature = nps_shared::webhook::sign(&c.secret, "msg_1", at_s, &body).unwrap();
            headers(vec![
                ("webhook-id", "msg_1".into()),
                ("webhook-timestamp", at_s.to_string()),
                ("webhook-signature", signature),
            ])
        };
        let stale = sign(NOW / 1000 - 600);
        let refused = deliver(&m, &c.connector.id, &stale, body.as_bytes(), NOW - 1_000).unwrap();
        assert_eq!(outcome(&refused), Outcome::BadSignature, "a replay later");
        let fresh = sign(NOW / 1000);
        let accepted = deliver(&m, &c.connector.id, &fresh, body.as_bytes(), NOW).unwrap();
        let Receipt::Received(Received {
            invitation_id: Some(inv),
            ..
        }) = accepted
        else {
            panic!("{accepted:?}")
        };
        let page = block_on(events(&m, &c.connector.id, None, None)).unwrap();
        assert_eq!(
            page.items[0].send_after.as_deref(),
            Some(rfc3339(delivered + 24 * 3_600_000).as_str())
        );
        let url = page.items[0].invitation_url.clone().unwrap();
        assert!(url.ends_with("&locale=de"), "{url}");
        let claims = block_on(m.invitation_claims(&inv)).unwrap().unwrap();
        assert_eq!(claims.properties["store"], "berlin");
    }

    #[test]
    fn woocommerce_s_ping_is_answered_and_a_completed_order_invites() {
        let m = store();
        let c = connector(&m, Platform::Woocommerce, None);
        let none = headers(Vec::new());
        let ping = deliver(&m, &c.connector.id, &none, b"webhook_id=7", NOW).unwrap();
        assert_eq!(outcome(&ping), Outcome::Ignored);
        let body = fixture("woocommerce-order-updated.json");
        let h = headers(vec![
            ("X-WC-Webhook-Topic", "order.updated".into()),
            ("X-WC-Webhook-Delivery-ID", "d-1".into()),
            ("X-WC-Webhook-Signature", body_signature(&c.secret, &body)),
        ]);
        let receipt = deliver(&m, &c.connector.id, &h, &body, NOW).unwrap();
        assert_eq!(outcome(&receipt), Outcome::Accepted);
    }

    #[test]
    fn a_deleted_connector_s_url_is_404_and_its_events_stay_readable() {
        let m = store();
        let c = connector(&m, Platform::Generic, None);
        block_on(delete(&m, &c.connector.id, NOW)).unwrap();
        assert!(matches!(
            block_on(delete(&m, &c.connector.id, NOW)),
            Err(ServiceError::NotFound(_))
        ));
        let none = headers(Vec::new());
        assert!(matches!(
            deliver(&m, &c.connector.id, &none, b"{}", NOW),
            Err(ServiceError::NotFound(_))
        ));
        assert!(block_on(list(&m, BASE)).unwrap().is_empty());
        assert!(block_on(events(&m, &c.connector.id, None, None)).is_ok());
    }

    #[test]
    fn a_received_webhook_costs_the_same_few_queries_after_thousands_of_events() {
        let m = store();
        let c = connector(&m, Platform::Shopify, Some("k"));
        let id = &c.connector.id;
        let order = fixture("shopify-orders-create.json");
        let body = fixture("shopify-fulfillment_events-create.json");
        let cost = |topic: &str, event: &str, body: &[u8]| {
            m.reset_queries();
            shopify(&m, id, "k", topic, event, body);
            m.queries()
        };
        let small = (
            cost("orders/create", "o-0", &order),
            cost("fulfillment_events/create", "f-0", &body),
        );
        assert_eq!(small, (2, RECEIVE_QUERIES));
        for i in 1..2_000 {
            let other = String::from_utf8(order.clone()).unwrap().replacen(
                "820982911946154508",
                &format!("9{i:05}"),
                1,
            );
            cost("orders/create", &format!("o-{i}"), other.as_bytes());
        }
        let large = (
            cost("orders/create", "o-x", &order),
            cost("fulfillment_events/create", "f-x", &body),
        );
        assert_eq!(large, small);
    }
}
