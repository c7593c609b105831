//! Shop connectors: a shop's own webhooks (Shopify, WooCommerce, or any system that
//! signs Standard Webhooks) turned into "invite this customer about this delivered
//! order". Two pure steps, both as the platforms document them:
//!
//! - [`verify`]: the signature over the raw body. Shopify sends
//!   `X-Shopify-Hmac-Sha256: base64(HMAC-SHA256(secret, body))`, WooCommerce
//!   `X-WC-Webhook-Signature` computed the same way (`base64_encode(hash_hmac('sha256',
//!   $payload, $secret, true))` in `WC_Webhook::generate_signature`), and the generic
//!   connector the Standard Webhooks headers (`webhook-id`, `webhook-timestamp`,
//!   `webhook-signature: v1,<base64>`, a `whsec_` secret) within a timestamp tolerance
//!   (`crate::webhook::verify`). Tags are compared in constant time.
//! - [`read`]: what the payload says: the platform's event id (a retry carries the same
//!   one), the order, the customer, their locale, the order's properties, and whether
//!   it is a delivery ([`Reading::Delivered`]), an order to remember until its delivery
//!   ([`Reading::Order`]) or nothing for us ([`Reading::Ignored`], with the reason).
//!
//! Shopify's `fulfillment_events/create` carries the order id but neither the customer
//! nor their e-mail (its documented payload: status, happened_at, the place, order_id).
//! The connector therefore remembers what the shop's `orders/create` (or
//! `orders/updated`, `orders/paid`) webhooks told it about an order, and a delivery
//! event of that order is joined with it by the service; Shopify's API is never called.
//!
//! The wire types here build for the dashboard too; the reading of signatures and
//! payloads (`receive`) is the worker's (`server` feature): it depends on `webhook`
//! (Standard Webhooks), `time` and `serde_json`. No storage.

use crate::time::rfc3339;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[cfg(feature = "server")]
pub mod receive;

/// Where a connector's webhooks come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    Shopify,
    Woocommerce,
    Generic,
}

impl Platform {
    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Shopify => "shopify",
            Platform::Woocommerce => "woocommerce",
            Platform::Generic => "generic",
        }
    }

    pub fn parse(text: &str) -> Option<Platform> {
        [Platform::Shopify, Platform::Woocommerce, Platform::Generic]
            .into_iter()
            .find(|p| p.as_str() == text)
    }
}

/// Hours after delivery an invitation waits when the survey does not say
/// (`SurveyDefinition::delay_after_delivery_hours`).
pub const DEFAULT_DELAY_AFTER_DELIVERY_HOURS: u32 = 72;
/// The longest a survey may wait after delivery: 90 days.
pub const MAX_DELAY_AFTER_DELIVERY_HOURS: u32 = 2160;
/// Days after Shopify's `orders/fulfilled` a shop without tracking counts the order
/// as delivered, when the connector does not say.
pub const DEFAULT_DAYS_AFTER_FULFILLED: u32 = 5;
/// The most `days_after_fulfilled` may be.
pub const MAX_DAYS_AFTER_FULFILLED: u32 = 60;
/// The largest webhook body a connector reads (a Shopify order with many line items
/// runs to tens of kB).
pub const MAX_BODY_BYTES: usize = 256 * 1024;
/// Longest event id, topic and reason kept.
pub const MAX_TEXT_CHARS: usize = 200;

/// What a connector keeps besides its platform and survey.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectorSettings {
    /// Shopify `orders/fulfilled`: days from fulfilment to the assumed delivery;
    /// absent: [`DEFAULT_DAYS_AFTER_FULFILLED`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days_after_fulfilled: Option<u32>,
}

/// `POST /v1/connectors`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateConnector {
    pub platform: Platform,
    pub survey_id: String,
    /// The signing secret, where the platform makes it (the key Shopify shows under
    /// Settings → Notifications → Webhooks, or the app's client secret). Absent: one
    /// is made (`whsec_…` for `generic`) and shown once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    #[serde(flatten)]
    pub settings: ConnectorSettings,
}

/// A connector as the API shows it: never its secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectorView {
    /// `con_…`
    pub id: String,
    pub platform: Platform,
    pub survey_id: String,
    /// What the shop owner pastes into the shop's admin as the webhook URL.
    pub url: String,
    #[serde(flatten)]
    pub settings: ConnectorSettings,
    pub created_at: String,
}

/// `201` of `POST /v1/connectors`: the connector and its secret, shown this once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedConnector {
    #[serde(flatten)]
    pub connector: ConnectorView,
    pub secret: String,
}

/// What became of one received webhook.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// An invitation was created.
    Accepted,
    /// The event (a platform's retry) or its order was taken before: nothing created.
    Duplicate,
    /// Signed, but nothing to invite about (the reason says why).
    Ignored,
    /// The signature was missing or wrong: answered 401.
    BadSignature,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Accepted => "accepted",
            Outcome::Duplicate => "duplicate",
            Outcome::Ignored => "ignored",
            Outcome::BadSignature => "bad_signature",
        }
    }

    pub fn parse(text: &str) -> Option<Outcome> {
        [
            Outcome::Accepted,
            Outcome::Duplicate,
            Outcome::Ignored,
            Outcome::BadSignature,
        ]
        .into_iter()
        .find(|o| o.as_str() == text)
    }
}

/// One received webhook, as `GET /v1/connectors/{id}/events` lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectorEventView {
    /// `cev_…`
    pub id: String,
    pub connector_id: String,
    /// The platform's id of the event (what makes a retry a duplicate).
    pub event_id: Option<String>,
    /// `fulfillment_events/create`, `order.updated`, …
    pub topic: Option<String>,
    pub outcome: Outcome,
    pub reason: Option<String>,
    pub order_id: Option<String>,
    pub invitation_id: Option<String>,
    /// The invitation's hosted-page link, while the invitation is kept.
    pub invitation_url: Option<String>,
    /// When the invitation is sent (delivery + the survey's delay).
    pub send_after: Option<String>,
    pub received_at: String,
}

/// The receiver's `2xx` answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Received {
    pub outcome: Outcome,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invitation_id: Option<String>,
}

/// What a connector remembers about an order not delivered yet (an order event named
/// the customer; the delivery event will not): part of a respondent's GDPR export,
/// and forgotten by their erase or once the order is invited.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RememberedOrder {
    /// The event (`cev_…`) that brought it.
    pub event_id: String,
    pub connector_id: String,
    pub order_id: Option<String>,
    pub facts: OrderFacts,
    pub received_at: String,
}

/// Who ordered, and what the order was: the invitation's respondent and properties.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderFacts {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// `revenue`, `currency`, `order_count`, `shipping_method`, `location`, …
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub properties: BTreeMap<String, String>,
}

impl OrderFacts {
    /// These facts, completed by `earlier` where they say nothing.
    pub fn or(mut self, earlier: OrderFacts) -> OrderFacts {
        self.customer_id = self.customer_id.or(earlier.customer_id);
        self.email = self.email.or(earlier.email);
        self.locale = self.locale.or(earlier.locale);
        for (key, value) in earlier.properties {
            self.properties.entry(key).or_insert(value);
        }
        self
    }
}

/// A delivered order to invite about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivered {
    pub order_id: String,
    /// Unix ms of the delivery (or of the assumed one); `None`: now.
    pub delivered_at: Option<i64>,
    pub facts: OrderFacts,
    /// The payload named no customer: the facts an earlier order event left are
    /// to be joined (Shopify `fulfillment_events/create`).
    pub needs_order: bool,
}

/// What a verified webhook says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reading {
    Delivered(Delivered),
    /// An order not delivered yet: remembered for its delivery event.
    Order {
        order_id: String,
        facts: OrderFacts,
    },
    Ignored(String),
}

/// One verified webhook: the platform's event id and topic, and what it says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    pub event_id: Option<String>,
    pub topic: Option<String>,
    pub reading: Reading,
}

/// `text` cut to [`MAX_TEXT_CHARS`] characters.
pub fn clip(text: &str) -> String {
    text.chars().take(MAX_TEXT_CHARS).collect()
}

/// When an invitation for a delivery at `delivered_at` is sent: `delay_hours` later,
/// and never before `now_ms` (an old delivery is due at once).
pub fn send_after(delivered_at: Option<i64>, delay_hours: u32, now_ms: i64) -> i64 {
    let delivered = delivered_at.unwrap_or(now_ms);
    (delivered + i64::from(delay_hours) * 3_600_000).max(now_ms)
}

/// `send_after` as the invitation keeps it.
pub fn send_after_text(at: i64) -> String {
    rfc3339(at)
}
