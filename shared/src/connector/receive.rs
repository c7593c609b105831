//! The worker's half of `connector` (the receiver's): signatures checked and payloads read as each
//! platform documents them (see the parent module).

use super::{
    ConnectorSettings, DEFAULT_DAYS_AFTER_FULFILLED, Delivered, Event, OrderFacts, Platform,
    Reading, clip,
};
use crate::time::parse_rfc3339;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;
use std::collections::BTreeMap;
use subtle::ConstantTimeEq;

/// Why a request is not from the shop.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("no {0} header")]
    Missing(&'static str),
    #[error("the {0} header does not match the body signed with the connector's secret")]
    NoMatch(&'static str),
    #[error("the webhook-timestamp is not a number")]
    BadTimestamp,
    #[error("Standard Webhooks signature: {0}")]
    Standard(crate::webhook::SignatureError),
}

/// `base64(HMAC-SHA256(secret, body))`: Shopify's and WooCommerce's signature.
pub fn body_signature(secret: &str, body: &[u8]) -> String {
    // HMAC accepts keys of any length.
    let mut mac =
        <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).unwrap_or_else(|_| unreachable!());
    mac.update(body);
    BASE64.encode(mac.finalize().into_bytes())
}

/// Checks the request's signature as its platform signs it; `header` reads a request
/// header by name (any case), `now_s` is Unix seconds (the generic timestamp).
pub fn verify(
    platform: Platform,
    secret: &str,
    header: &dyn Fn(&str) -> Option<String>,
    body: &[u8],
    now_s: i64,
) -> Result<(), SignatureError> {
    let body_signed = |name: &'static str| {
        let given = header(name).ok_or(SignatureError::Missing(name))?;
        let expected = body_signature(secret, body);
        if bool::from(given.trim().as_bytes().ct_eq(expected.as_bytes())) {
            Ok(())
        } else {
            Err(SignatureError::NoMatch(name))
        }
    };
    match platform {
        Platform::Shopify => body_signed("X-Shopify-Hmac-Sha256"),
        Platform::Woocommerce => body_signed("X-WC-Webhook-Signature"),
        Platform::Generic => {
            let id = header("webhook-id").ok_or(SignatureError::Missing("webhook-id"))?;
            let timestamp =
                header("webhook-timestamp").ok_or(SignatureError::Missing("webhook-timestamp"))?;
            let timestamp: i64 = timestamp
                .trim()
                .parse()
                .map_err(|_| SignatureError::BadTimestamp)?;
            let signature =
                header("webhook-signature").ok_or(SignatureError::Missing("webhook-signature"))?;
            let body = std::str::from_utf8(body)
                .map_err(|_| SignatureError::NoMatch("webhook-signature"))?;
            crate::webhook::verify(secret, &id, timestamp, body, &signature, now_s)
                .map_err(SignatureError::Standard)
        }
    }
}

/// WooCommerce's ping when a webhook is saved: `webhook_id=<n>`, form-encoded and
/// unsigned. It must be answered 2xx or WooCommerce will not save the webhook; it
/// creates nothing.
pub fn is_woocommerce_ping(body: &[u8]) -> bool {
    std::str::from_utf8(body)
        .ok()
        .and_then(|b| b.strip_prefix("webhook_id="))
        .is_some_and(|n| !n.is_empty() && n.len() <= 20 && n.bytes().all(|c| c.is_ascii_digit()))
}

/// What a verified webhook says (see the module's documentation).
pub fn read(
    platform: Platform,
    settings: &ConnectorSettings,
    header: &dyn Fn(&str) -> Option<String>,
    body: &[u8],
) -> Event {
    let json: Option<Value> = serde_json::from_slice(body).ok();
    match platform {
        Platform::Shopify => {
            let topic = header("X-Shopify-Topic");
            let event_id = header("X-Shopify-Event-Id").or_else(|| header("X-Shopify-Webhook-Id"));
            let reading = match json {
                Some(json) => shopify(topic.as_deref().unwrap_or_default(), &json, settings),
                None => Reading::Ignored("the body is not JSON".into()),
            };
            event(event_id, topic, reading)
        }
        Platform::Woocommerce => {
            let topic = header("X-WC-Webhook-Topic");
            let reading = match json {
                Some(json) => woocommerce(topic.as_deref().unwrap_or_default(), &json),
                None => Reading::Ignored("the body is not JSON".into()),
            };
            // Each delivery has its own id; without one, the order and its status.
            let event_id = header("X-WC-Webhook-Delivery-ID").or_else(|| match &reading {
                Reading::Delivered(d) => Some(format!("order-{}-completed", d.order_id)),
                _ => None,
            });
            event(event_id, topic, reading)
        }
        Platform::Generic => {
            let reading = match json {
                Some(json) => generic(&json),
                None => Reading::Ignored("the body is not JSON".into()),
            };
            let topic = json_type(body);
            event(header("webhook-id"), topic, reading)
        }
    }
}

fn event(event_id: Option<String>, topic: Option<String>, reading: Reading) -> Event {
    Event {
        event_id: event_id.map(|e| clip(e.trim())).filter(|e| !e.is_empty()),
        topic: topic.map(|t| clip(t.trim())).filter(|t| !t.is_empty()),
        reading,
    }
}

/// The generic body's optional `type`.
fn json_type(body: &[u8]) -> Option<String> {
    let json: Value = serde_json::from_slice(body).ok()?;
    json.get("type")?.as_str().map(str::to_owned)
}

/// A JSON id (Shopify's are numbers, WooCommerce's too, the generic body's strings)
/// as text.
fn id_text(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn text(value: Option<&Value>) -> Option<String> {
    value?
        .as_str()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// Unix ms of `2021-12-31T19:00:00-05:00`, `…Z`, or (WooCommerce's `_gmt` fields)
/// `2017-03-22T16:28:08` taken as UTC.
pub fn parse_time(text: &str) -> Option<i64> {
    let text = text.trim();
    if text.len() == 19 {
        return parse_rfc3339(&format!("{text}Z"));
    }
    if text.ends_with('Z') {
        return parse_rfc3339(text);
    }
    let (local, offset) = text.split_at(text.len().checked_sub(6)?);
    let sign = match offset.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let hours: i64 = offset.get(1..3)?.parse().ok()?;
    let minutes: i64 = offset.get(4..6)?.parse().ok()?;
    if offset.as_bytes().get(3) != Some(&b':') || hours > 23 || minutes > 59 {
        return None;
    }
    let at = parse_rfc3339(&format!("{local}Z"))?;
    Some(at - sign * (hours * 60 + minutes) * 60_000)
}

fn time(value: Option<&Value>) -> Option<i64> {
    text(value).as_deref().and_then(parse_time)
}

const DAY_MS: i64 = 86_400_000;

fn shopify(topic: &str, json: &Value, settings: &ConnectorSettings) -> Reading {
    match topic {
        "fulfillment_events/create" => {
            let status = text(json.get("status")).unwrap_or_default();
            if status != "delivered" {
                return Reading::Ignored(format!(
                    "fulfillment event status {status:?}, not \"delivered\""
                ));
            }
            let Some(order_id) = id_text(json.get("order_id")) else {
                return Reading::Ignored("the fulfillment event names no order_id".into());
            };
            let mut facts = OrderFacts::default();
            if let Some(city) = text(json.get("city")) {
                facts.properties.insert("delivery_city".into(), city);
            }
            Reading::Delivered(Delivered {
                order_id,
                delivered_at: time(json.get("happened_at")),
                facts,
                needs_order: true,
            })
        }
        "fulfillments/update" | "fulfillments/create" => {
            let status = text(json.get("shipment_status")).unwrap_or_default();
            if status != "delivered" {
                return Reading::Ignored(format!("shipment_status {status:?}, not \"delivered\""));
            }
            let Some(order_id) = id_text(json.get("order_id")) else {
                return Reading::Ignored("the fulfillment names no order_id".into());
            };
            let mut facts = OrderFacts {
                email: text(json.get("email")),
                ..OrderFacts::default()
            };
            if let Some(carrier) = text(json.get("tracking_company")) {
                facts.properties.insert("carrier".into(), carrier);
            }
            if let Some(location) = id_text(json.get("location_id")) {
                facts.properties.insert("location".into(), location);
            }
            Reading::Delivered(Delivered {
                order_id,
                delivered_at: time(json.get("updated_at")),
                facts,
                needs_order: true,
            })
        }
        "orders/fulfilled" => {
            let Some(order_id) = id_text(json.get("id")) else {
                return Reading::Ignored("the order has no id".into());
            };
            let days = settings
                .days_after_fulfilled
                .unwrap_or(DEFAULT_DAYS_AFTER_FULFILLED);
            let fulfilled = time(json.get("updated_at")).or_else(|| time(json.get("closed_at")));
            Reading::Delivered(Delivered {
                order_id,
                delivered_at: fulfilled.map(|at| at + i64::from(days) * DAY_MS),
                facts: shopify_order(json),
                needs_order: false,
            })
        }
        "orders/create" | "orders/updated" | "orders/paid" => match id_text(json.get("id")) {
            Some(order_id) => Reading::Order {
                order_id,
                facts: shopify_order(json),
            },
            None => Reading::Ignored("the order has no id".into()),
        },
        "" => Reading::Ignored("no X-Shopify-Topic header".into()),
        other => Reading::Ignored(format!("topic {other} does not invite")),
    }
}

/// The facts of a Shopify order payload (REST Admin API `Order`).
fn shopify_order(json: &Value) -> OrderFacts {
    let customer = json.get("customer");
    let mut properties = BTreeMap::new();
    if let Some(total) = text(json.get("total_price")) {
        properties.insert("revenue".into(), total);
    }
    if let Some(currency) = text(json.get("currency")) {
        properties.insert("currency".into(), currency);
    }
    if let Some(count) = customer.and_then(|c| id_text(c.get("orders_count"))) {
        properties.insert("order_count".into(), count);
    }
    let shipping = json
        .get("shipping_lines")
        .and_then(Value::as_array)
        .and_then(|lines| lines.first());
    if let Some(method) = shipping.and_then(|s| text(s.get("title"))) {
        properties.insert("shipping_method".into(), method);
    }
    if let Some(location) = id_text(json.get("location_id")) {
        properties.insert("location".into(), location);
    }
    if let Some(source) = text(json.get("source_name")) {
        properties.insert("channel".into(), source);
    }
    OrderFacts {
        customer_id: customer.and_then(|c| id_text(c.get("id"))),
        email: text(json.get("email"))
            .or_else(|| text(json.get("contact_email")))
            .or_else(|| customer.and_then(|c| text(c.get("email")))),
        locale: text(json.get("customer_locale")),
        properties,
    }
}

fn woocommerce(topic: &str, json: &Value) -> Reading {
    if !topic.starts_with("order.") || topic == "order.deleted" {
        return Reading::Ignored(if topic.is_empty() {
            "no X-WC-Webhook-Topic header".into()
        } else {
            format!("topic {topic} does not invite")
        });
    }
    let Some(order_id) = id_text(json.get("id")) else {
        return Reading::Ignored("the order has no id".into());
    };
    let status = text(json.get("status")).unwrap_or_default();
    if status != "completed" {
        return Reading::Ignored(format!("order status {status:?}, not \"completed\""));
    }
    let billing = json.get("billing");
    let mut properties = BTreeMap::new();
    if let Some(total) = text(json.get("total")) {
        properties.insert("revenue".into(), total);
    }
    if let Some(currency) = text(json.get("currency")) {
        properties.insert("currency".into(), currency);
    }
    let shipping = json
        .get("shipping_lines")
        .and_then(Value::as_array)
        .and_then(|lines| lines.first());
    if let Some(method) = shipping.and_then(|s| text(s.get("method_title"))) {
        properties.insert("shipping_method".into(), method);
    }
    if let Some(via) = text(json.get("created_via")) {
        properties.insert("channel".into(), via);
    }
    // WooCommerce's guest orders have customer_id 0: nobody.
    let customer_id = id_text(json.get("customer_id")).filter(|id| id != "0");
    Reading::Delivered(Delivered {
        order_id,
        delivered_at: time(json.get("date_completed_gmt")),
        facts: OrderFacts {
            customer_id,
            email: billing.and_then(|b| text(b.get("email"))),
            locale: None,
            properties,
        },
        needs_order: false,
    })
}

/// The generic body: `{"order_id", "customer": {"id", "email", "locale"},
/// "delivered_at", "properties": {…}}`; only `order_id` is required.
fn generic(json: &Value) -> Reading {
    let Some(order_id) = id_text(json.get("order_id")) else {
        return Reading::Ignored("the body names no order_id".into());
    };
    let customer = json.get("customer");
    let properties = json
        .get("properties")
        .and_then(Value::as_object)
        .map(|object| {
            object
                .iter()
                .filter_map(|(key, value)| {
                    let value = match value {
                        Value::String(s) => s.clone(),
                        Value::Number(n) => n.to_string(),
                        Value::Bool(b) => b.to_string(),
                        _ => return None,
                    };
                    Some((key.clone(), value))
                })
                .collect()
        })
        .unwrap_or_default();
    let delivered_at = match json.get("delivered_at") {
        None | Some(Value::Null) => None,
        Some(at) => match time(Some(at)) {
            Some(at) => Some(at),
            None => {
                return Reading::Ignored(
                    "delivered_at is not an RFC 3339 time like 2026-11-30T10:00:00Z".into(),
                );
            }
        },
    };
    Reading::Delivered(Delivered {
        order_id,
        delivered_at,
        facts: OrderFacts {
            customer_id: customer.and_then(|c| id_text(c.get("id"))),
            email: customer.and_then(|c| text(c.get("email"))),
            locale: customer.and_then(|c| text(c.get("locale"))),
            properties,
        },
        needs_order: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connector::send_after;

    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../e2e/fixtures/connectors");

    fn fixture(name: &str) -> Vec<u8> {
        std::fs::read(format!("{FIXTURES}/{name}")).expect("fixture")
    }

    fn headers(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v.to_string()))
            .collect();
        move |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| *k == name.to_ascii_lowercase())
                .map(|(_, v)| v.clone())
        }
    }

    #[test]
    fn a_shopify_body_signed_with_the_secret_verifies_and_any_change_does_not() {
        let body = fixture("shopify-fulfillment_events-create.json");
        let signature = body_signature("shpss_secret", &body);
        let h = headers(&[("X-Shopify-Hmac-Sha256", &signature)]);
        assert_eq!(
            verify(Platform::Shopify, "shpss_secret", &h, &body, 0),
            Ok(())
        );
        assert!(matches!(
            verify(Platform::Shopify, "other", &h, &body, 0),
            Err(SignatureError::NoMatch(_))
        ));
        let mut changed = body.clone();
        changed[10] ^= 1;
        assert!(verify(Platform::Shopify, "shpss_secret", &h, &changed, 0).is_err());
        assert_eq!(
            verify(Platform::Shopify, "shpss_secret", &headers(&[]), &body, 0),
            Err(SignatureError::Missing("X-Shopify-Hmac-Sha256"))
        );
    }

    #[test]
    fn the_body_signature_is_rfc_4231_hmac_sha256_in_base64() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        let tag = body_signature("Jefe", b"what do ya want for nothing?");
        let hex: String = BASE64
            .decode(tag)
            .unwrap()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(
            hex,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn a_woocommerce_signature_is_checked_on_its_own_header() {
        let body = fixture("woocommerce-order-updated.json");
        let signature = body_signature("wc-secret", &body);
        let h = headers(&[("X-WC-Webhook-Signature", &signature)]);
        assert_eq!(
            verify(Platform::Woocommerce, "wc-secret", &h, &body, 0),
            Ok(())
        );
        let shopify_header = headers(&[("X-Shopify-Hmac-Sha256", &signature)]);
        assert!(
            verify(
                Platform::Woocommerce,
                "wc-secret",
                &shopify_header,
                &body,
                0
            )
            .is_err()
        );
    }

    #[test]
    fn a_generic_webhook_verifies_the_standard_webhooks_test_vector_within_five_minutes() {
        let secret = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
        let body = br#"{"email":"test@example.com","username":"test_user"}"#;
        let h = headers(&[
            ("webhook-id", "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk"),
            ("webhook-timestamp", "1649367553"),
            (
                "webhook-signature",
                "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=",
            ),
        ]);
        assert_eq!(
            verify(Platform::Generic, secret, &h, body, 1_649_367_553),
            Ok(())
        );
        assert_eq!(
            verify(Platform::Generic, secret, &h, body, 1_649_367_553 + 301),
            Err(SignatureError::Standard(
                crate::webhook::SignatureError::Stale
            ))
        );
        assert!(verify(Platform::Generic, secret, &h, b"{}", 1_649_367_553).is_err());
        let no_id = headers(&[("webhook-timestamp", "1649367553")]);
        assert_eq!(
            verify(Platform::Generic, secret, &no_id, body, 1_649_367_553),
            Err(SignatureError::Missing("webhook-id"))
        );
    }

    #[test]
    fn a_delivered_shopify_fulfillment_event_invites_about_its_order_at_its_time() {
        let body = fixture("shopify-fulfillment_events-create.json");
        let h = headers(&[
            ("X-Shopify-Topic", "fulfillment_events/create"),
            ("X-Shopify-Event-Id", "98880550-7158-44d4-b7cd-2c97c8a091b5"),
            (
                "X-Shopify-Webhook-Id",
                "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043",
            ),
        ]);
        let event = read(Platform::Shopify, &ConnectorSettings::default(), &h, &body);
        assert_eq!(
            event.event_id.as_deref(),
            Some("98880550-7158-44d4-b7cd-2c97c8a091b5")
        );
        let Reading::Delivered(d) = event.reading else {
            panic!("{event:?}")
        };
        assert_eq!(d.order_id, "820982911946154508");
        assert!(d.needs_order, "the event names no customer");
        assert_eq!(d.delivered_at, parse_time("2021-12-31T19:00:00-05:00"));
        assert_eq!(d.delivered_at, parse_rfc3339("2022-01-01T00:00:00Z"));
    }

    #[test]
    fn a_shopify_fulfillment_event_not_delivered_is_ignored_with_its_status() {
        let body = String::from_utf8(fixture("shopify-fulfillment_events-create.json"))
            .unwrap()
            .replace("\"delivered\"", "\"in_transit\"");
        let h = headers(&[("X-Shopify-Topic", "fulfillment_events/create")]);
        let event = read(Platform::Shopify, &Default::default(), &h, body.as_bytes());
        assert!(
            matches!(&event.reading, Reading::Ignored(r) if r.contains("in_transit")),
            "{event:?}"
        );
    }

    #[test]
    fn a_shopify_order_is_remembered_with_its_customer_locale_and_properties() {
        let body = fixture("shopify-orders-create.json");
        let h = headers(&[("X-Shopify-Topic", "orders/create")]);
        let Reading::Order { order_id, facts } =
            read(Platform::Shopify, &Default::default(), &h, &body).reading
        else {
            panic!("not an order")
        };
        assert_eq!(order_id, "820982911946154508");
        assert_eq!(facts.email.as_deref(), Some("jon@example.com"));
        assert_eq!(facts.customer_id.as_deref(), Some("115310627314723954"));
        assert_eq!(facts.locale.as_deref(), Some("en"));
        assert_eq!(facts.properties["revenue"], "403.00");
        assert_eq!(facts.properties["currency"], "USD");
        assert_eq!(facts.properties["shipping_method"], "Generic Shipping");
        assert_eq!(facts.properties["order_count"], "0");
    }

    #[test]
    fn shopify_orders_fulfilled_counts_as_delivered_the_configured_days_later() {
        let body = fixture("shopify-orders-fulfilled.json");
        let h = headers(&[("X-Shopify-Topic", "orders/fulfilled")]);
        let settings = ConnectorSettings {
            days_after_fulfilled: Some(2),
        };
        let Reading::Delivered(d) = read(Platform::Shopify, &settings, &h, &body).reading else {
            panic!("not delivered")
        };
        let fulfilled = parse_time("2021-12-31T19:00:00-05:00").unwrap();
        assert_eq!(d.delivered_at, Some(fulfilled + 2 * DAY_MS));
        assert!(!d.needs_order);
        assert_eq!(d.facts.email.as_deref(), Some("jon@example.com"));
        let default = read(Platform::Shopify, &Default::default(), &h, &body).reading;
        assert!(
            matches!(default, Reading::Delivered(d) if d.delivered_at == Some(fulfilled + 5 * DAY_MS))
        );
    }

    #[test]
    fn a_shopify_fulfillment_update_invites_only_once_delivered() {
        let body = fixture("shopify-fulfillments-update.json");
        let h = headers(&[("X-Shopify-Topic", "fulfillments/update")]);
        let Reading::Delivered(d) = read(Platform::Shopify, &Default::default(), &h, &body).reading
        else {
            panic!("not delivered")
        };
        assert_eq!(d.order_id, "820982911946154508");
        assert_eq!(d.facts.email.as_deref(), Some("jon@example.com"));
        assert_eq!(d.facts.properties["carrier"], "UPS");
        let other = headers(&[("X-Shopify-Topic", "products/create")]);
        assert!(matches!(
            read(Platform::Shopify, &Default::default(), &other, &body).reading,
            Reading::Ignored(r) if r.contains("products/create")
        ));
    }

    #[test]
    fn a_completed_woocommerce_order_invites_its_billing_address() {
        let body = fixture("woocommerce-order-updated.json");
        let h = headers(&[
            ("X-WC-Webhook-Topic", "order.updated"),
            ("X-WC-Webhook-Delivery-ID", "6d2b1b8a1c"),
        ]);
        let event = read(Platform::Woocommerce, &Default::default(), &h, &body);
        assert_eq!(event.event_id.as_deref(), Some("6d2b1b8a1c"));
        let Reading::Delivered(d) = event.reading else {
            panic!("not delivered")
        };
        assert_eq!(d.order_id, "727");
        assert_eq!(d.facts.email.as_deref(), Some("john.doe@example.com"));
        assert_eq!(d.facts.properties["revenue"], "29.35");
        assert_eq!(d.facts.properties["shipping_method"], "Flat Rate");
        assert_eq!(d.delivered_at, parse_rfc3339("2017-03-22T16:28:08Z"));
        let processing = String::from_utf8(body)
            .unwrap()
            .replace("\"completed\"", "\"processing\"");
        assert!(matches!(
            read(Platform::Woocommerce, &Default::default(), &h, processing.as_bytes()).reading,
            Reading::Ignored(r) if r.contains("processing")
        ));
    }

    #[test]
    fn woocommerce_s_unsigned_ping_is_told_from_an_order() {
        assert!(is_woocommerce_ping(b"webhook_id=12"));
        assert!(!is_woocommerce_ping(b"webhook_id="));
        assert!(!is_woocommerce_ping(b"{\"id\":12}"));
    }

    #[test]
    fn the_generic_body_names_order_customer_delivery_and_properties() {
        let body = fixture("generic-delivered.json");
        let h = headers(&[("webhook-id", "msg_2b8f1c")]);
        let event = read(Platform::Generic, &Default::default(), &h, &body);
        assert_eq!(event.event_id.as_deref(), Some("msg_2b8f1c"));
        let Reading::Delivered(d) = event.reading else {
            panic!("not delivered")
        };
        assert_eq!(d.order_id, "1001");
        assert_eq!(d.facts.locale.as_deref(), Some("de"));
        assert_eq!(d.facts.properties["store"], "berlin");
        assert_eq!(d.delivered_at, parse_rfc3339("2026-11-30T10:00:00Z"));
        assert!(matches!(
            read(Platform::Generic, &Default::default(), &h, br#"{"customer":{}}"#).reading,
            Reading::Ignored(r) if r.contains("order_id")
        ));
    }

    #[test]
    fn times_with_offsets_are_read_as_the_instant_they_name() {
        assert_eq!(
            parse_time("2021-12-31T19:00:00-05:00"),
            parse_rfc3339("2022-01-01T00:00:00Z")
        );
        assert_eq!(
            parse_time("2022-01-01T05:30:00+05:30"),
            parse_rfc3339("2022-01-01T00:00:00Z")
        );
        assert_eq!(
            parse_time("2017-03-22T16:28:08"),
            parse_rfc3339("2017-03-22T16:28:08Z")
        );
        assert_eq!(parse_time("yesterday"), None);
        assert_eq!(parse_time("2021-12-31T19:00:00-0500"), None);
    }

    #[test]
    fn an_invitation_waits_the_delay_after_delivery_but_never_into_the_past() {
        let now = 1_000 * DAY_MS;
        assert_eq!(send_after(Some(now), 72, now), now + 3 * DAY_MS);
        assert_eq!(send_after(Some(now - 10 * DAY_MS), 72, now), now);
        assert_eq!(send_after(None, 0, now), now);
    }

    #[test]
    fn later_order_facts_win_and_earlier_ones_fill_the_gaps() {
        let earlier = OrderFacts {
            email: Some("kim@example.com".into()),
            properties: [("revenue".to_string(), "10".to_string())].into(),
            ..Default::default()
        };
        let later = OrderFacts {
            properties: [("carrier".to_string(), "UPS".to_string())].into(),
            ..Default::default()
        };
        let both = later.or(earlier);
        assert_eq!(both.email.as_deref(), Some("kim@example.com"));
        assert_eq!(both.properties.len(), 2);
    }
}
