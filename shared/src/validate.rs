//! Turning what arrives at `POST /v1/responses` into a [`NewResponse`], naming every
//! field that is wrong at once (so one 422 tells the client all it must fix).
//!
//! The body is read as loose JSON first, not straight into the wire type, because
//! serde stops at the first error and cannot say which field it was in plain words.

use crate::address;
use crate::api::{Channel, Respondent};
/// Re-exported where the worker has always found it.
pub use crate::field::FieldError;
use crate::locale;
use crate::score::Score;
use crate::theme;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// Largest request body accepted anywhere, in bytes (413 beyond).
pub const MAX_BODY_BYTES: usize = 16 * 1024;
pub const MAX_COMMENT_CHARS: usize = 2000;
pub const MAX_PROPERTIES: usize = 20;
pub const MAX_PROPERTY_KEY_CHARS: usize = 40;
pub const MAX_PROPERTY_VALUE_CHARS: usize = 200;
pub const MAX_URL_CHARS: usize = 2048;
pub const MAX_RESPONDENT_ID_CHARS: usize = 128;
pub const MAX_EMAIL_CHARS: usize = 254;
pub const MAX_TOKEN_CHARS: usize = 1024;
/// `respondent.user_hash`: hex of a SHA-256 HMAC (`crate::identity`).
pub const USER_HASH_CHARS: usize = 64;
const SURVEY_ID_MAX_CHARS: usize = 64;

/// A response that passed validation and can be stored.
#[derive(Clone, Debug, PartialEq)]
pub struct NewResponse {
    pub survey_id: String,
    pub score: Score,
    pub comment: Option<String>,
    pub channel: Channel,
    pub locale: Option<String>,
    pub page_url: Option<String>,
    pub respondent: Respondent,
    /// `respondent.user_hash`: the shop's proof of who answers (`crate::identity`).
    pub user_hash: Option<String>,
    pub properties: BTreeMap<String, String>,
    pub token: Option<String>,
}

const KNOWN_FIELDS: [&str; 9] = [
    "survey_id",
    "score",
    "comment",
    "channel",
    "locale",
    "page_url",
    "respondent",
    "properties",
    "token",
];

/// Validates a decoded `POST /v1/responses` body.
pub fn parse_response(body: &Value) -> Result<NewResponse, Vec<FieldError>> {
    let Some(object) = body.as_object() else {
        return Err(vec![FieldError::new("", "the body must be a JSON object")]);
    };
    let mut errors = Vec::new();
    for key in object
        .keys()
        .filter(|k| !KNOWN_FIELDS.contains(&k.as_str()))
    {
        errors.push(FieldError::new(key.clone(), "is not a known field"));
    }

    let survey_id = match object.get("survey_id") {
        Some(Value::String(id)) if is_survey_id(id) => Some(id.clone()),
        Some(_) => {
            errors.push(FieldError::new(
                "survey_id",
                "must be a survey id like \"s_demo\"",
            ));
            None
        }
        None => {
            errors.push(FieldError::new("survey_id", "is required"));
            None
        }
    };
    let score = match object.get("score") {
        Some(value) => match value.as_i64().map(Score::try_from) {
            Some(Ok(score)) => Some(score),
            _ => {
                errors.push(FieldError::new("score", "must be an integer from 0 to 10"));
                None
            }
        },
        None => {
            errors.push(FieldError::new("score", "is required"));
            None
        }
    };
    let comment = optional_string(object, "comment", &mut errors)
        .and_then(|c| check(parse_comment(&c), &mut errors).flatten());
    let channel = match object.get("channel") {
        None | Some(Value::Null) => Channel::default(),
        Some(Value::String(text)) if Channel::parse(text).is_some() => {
            Channel::parse(text).unwrap_or_default()
        }
        Some(_) => {
            errors.push(FieldError::new(
                "channel",
                "must be one of web, email, link, api",
            ));
            Channel::default()
        }
    };
    let locale = optional_string(object, "locale", &mut errors).filter(|tag| {
        let ok = locale::is_valid_tag(tag);
        if !ok {
            errors.push(FieldError::new(
                "locale",
                "must be a language tag like \"de\" or \"en-US\"",
            ));
        }
        ok
    });
    let page_url = optional_string(object, "page_url", &mut errors)
        .and_then(|u| check(parse_http_url("page_url", &u), &mut errors));
    let (respondent, user_hash) = parse_claimed_respondent(object.get("respondent"), &mut errors);
    let properties = parse_properties(object.get("properties"), &mut errors);
    let token = optional_string(object, "token", &mut errors).filter(|t| {
        let ok = !t.is_empty() && t.chars().count() <= MAX_TOKEN_CHARS;
        if !ok {
            errors.push(FieldError::new(
                "token",
                format!("must be 1 to {MAX_TOKEN_CHARS} characters"),
            ));
        }
        ok
    });

    match (survey_id, score) {
        (Some(survey_id), Some(score)) if errors.is_empty() => Ok(NewResponse {
            survey_id,
            score,
            comment,
            channel,
            locale,
            page_url,
            respondent,
            user_hash,
            properties,
            token,
        }),
        _ => Err(errors),
    }
}

/// Whether `key` may name a property: 1 to [`MAX_PROPERTY_KEY_CHARS`] ASCII letters,
/// digits, `_`, `-` or `.` — what a stored answer's property names are.
pub fn is_property_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= MAX_PROPERTY_KEY_CHARS
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

/// A follow-up comment: trimmed, empty means none, at most [`MAX_COMMENT_CHARS`],
/// no control characters but line breaks and tabs.
pub fn parse_comment(text: &str) -> Result<Option<String>, FieldError> {
    let trimmed = text.trim();
    if trimmed.chars().count() > MAX_COMMENT_CHARS {
        return Err(FieldError::new(
            "comment",
            format!("must be at most {MAX_COMMENT_CHARS} characters"),
        ));
    }
    if trimmed
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(FieldError::new(
            "comment",
            "must not contain control characters",
        ));
    }
    Ok((!trimmed.is_empty()).then(|| trimmed.to_string()))
}

/// Survey ids are `s_` followed by 1–64 lower-case letters, digits, `_` or `-`.
pub fn is_survey_id(id: &str) -> bool {
    id.strip_prefix("s_").is_some_and(|rest| {
        !rest.is_empty()
            && rest.len() <= SURVEY_ID_MAX_CHARS
            && rest
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
    })
}

/// An absolute `http:` or `https:` URL of at most [`MAX_URL_CHARS`].
pub fn parse_http_url(field: &str, text: &str) -> Result<String, FieldError> {
    let bad = || FieldError::new(field, "must be an absolute http(s) URL");
    if text.chars().count() > MAX_URL_CHARS {
        return Err(FieldError::new(
            field,
            format!("must be at most {MAX_URL_CHARS} characters"),
        ));
    }
    let url = url::Url::parse(text).map_err(|_| bad())?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(bad());
    }
    Ok(url.to_string())
}

/// Where webhooks may be sent: an absolute http(s) URL whose host is not loopback,
/// private, link-local or otherwise internal (an IP address must be globally reachable,
/// [`address::is_globally_reachable`]; a name must not be `localhost`, single-label or
/// under `.localhost`, `.local`, `.internal`, `.lan` or `.home.arpa`), unless
/// `allow_private` (local development, tests) says so. Checked when an endpoint is
/// created and before every attempt, so a changed setting takes effect at once.
pub fn check_webhook_target(
    field: &str,
    text: &str,
    allow_private: bool,
) -> Result<String, FieldError> {
    let normalized = parse_http_url(field, text)?;
    let url = url::Url::parse(&normalized)
        .map_err(|_| FieldError::new(field, "must be an absolute http(s) URL"))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(FieldError::new(
            field,
            "must not carry a user name or password",
        ));
    }
    if allow_private || !is_internal_host(&url) {
        Ok(normalized)
    } else {
        Err(FieldError::new(
            field,
            "must not point at a loopback, private or internal address",
        ))
    }
}

fn is_internal_host(url: &url::Url) -> bool {
    match url.host() {
        // Numeric hosts in any spelling (`2130706433`, `0x7f.1`, `[::127.0.0.1]`) arrive
        // here already parsed by the URL standard's rules.
        Some(url::Host::Ipv4(ip)) => !address::is_globally_reachable_v4(ip),
        Some(url::Host::Ipv6(ip)) => !address::is_globally_reachable_v6(ip),
        Some(url::Host::Domain(domain)) => {
            let domain = domain.trim_end_matches('.').to_ascii_lowercase();
            domain == "localhost"
                || !domain.contains('.')
                || [".localhost", ".local", ".internal", ".lan", ".home.arpa"]
                    .iter()
                    .any(|s| domain.ends_with(s))
        }
        None => true,
    }
}

/// The key an e-mail address is matched by everywhere (a customer's cases, GDPR
/// requests, the per-person throttle): trimmed and lower-cased in full Unicode. The
/// worker stores it beside the address as sent and compares it with `=`, never with
/// SQL `lower()`, which folds ASCII only (`Ö` stays `Ö`).
pub fn normalize_email(text: &str) -> String {
    text.trim().to_lowercase()
}

/// A plausible e-mail address: one `@`, something before it, a dotted domain after.
pub fn is_email(text: &str) -> bool {
    let Some((local, domain)) = text.split_once('@') else {
        return false;
    };
    text.len() <= MAX_EMAIL_CHARS
        && !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !text
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | '"'))
}

/// Checks a survey definition an admin sends: everything the widget will show must be
/// there, in every language, and the allowed origins must be patterns we understand.
pub fn check_survey(definition: &crate::api::SurveyDefinition) -> Result<(), Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut text = |field: String, value: &str, max: usize| {
        if value.trim().is_empty() || value.chars().count() > max {
            errors.push(FieldError::new(
                field,
                format!("must be 1 to {max} characters"),
            ));
        }
    };
    text("name".into(), &definition.name, 200);
    for (tag, t) in &definition.texts {
        let f = |name: &str| format!("texts.{tag}.{name}");
        text(f("question"), &t.question, 300);
        text(f("follow_up.detractor"), &t.follow_up.detractor, 300);
        text(f("follow_up.passive"), &t.follow_up.passive, 300);
        text(f("follow_up.promoter"), &t.follow_up.promoter, 300);
        text(f("thanks"), &t.thanks, 300);
        text(f("low_label"), &t.low_label, 60);
        text(f("high_label"), &t.high_label, 60);
        text(f("comment_placeholder"), &t.comment_placeholder, 200);
        text(f("submit"), &t.submit, 40);
        text(f("dismiss"), &t.dismiss, 40);
    }
    for tag in definition
        .texts
        .keys()
        .filter(|tag| !locale::is_valid_tag(tag))
    {
        errors.push(FieldError::new(
            format!("texts.{tag}"),
            "must be keyed by a language tag",
        ));
    }
    if !definition.texts.contains_key(&definition.default_locale) {
        errors.push(FieldError::new(
            "default_locale",
            "must name one of the languages in texts",
        ));
    }
    if !theme::is_accent(&definition.theme.accent) {
        errors.push(FieldError::new(
            "theme.accent",
            "must be a colour like #2563eb",
        ));
    }
    if definition
        .theme
        .radius
        .is_some_and(|r| r > theme::MAX_RADIUS)
    {
        errors.push(FieldError::new("theme.radius", "must be 0 to 32 (px)"));
    }
    if definition
        .theme
        .font
        .as_deref()
        .is_some_and(|font| !theme::is_font(font.trim()))
    {
        errors.push(FieldError::new(
            "theme.font",
            "must be a font-family list like 'Open Sans', sans-serif",
        ));
    }
    if definition.allowed_origins.len() > 50 {
        errors.push(FieldError::new(
            "allowed_origins",
            "must have at most 50 entries",
        ));
    }
    for (i, pattern) in definition.allowed_origins.iter().enumerate() {
        if !crate::origin::is_valid_pattern(pattern) {
            errors.push(FieldError::new(
                format!("allowed_origins[{i}]"),
                "must be an origin like https://shop.example, https://*.shop.example, http://localhost:* or *",
            ));
        }
    }
    if definition.throttle.days > 3650 {
        errors.push(FieldError::new("throttle.days", "must be at most 3650"));
    }
    if definition
        .rate_limit_per_minute
        .is_some_and(|n| !(1..=crate::rate_limit::MAX_PER_MINUTE).contains(&n))
    {
        errors.push(FieldError::new(
            "rate_limit_per_minute",
            "must be a whole number from 1 to 100000000",
        ));
    }
    if definition
        .retention_days
        .is_some_and(|days| !crate::retention::is_valid_days(days))
    {
        errors.push(FieldError::new(
            "retention_days",
            "must be a whole number of days from 30 to 3650, or null to keep answers forever",
        ));
    }
    if definition
        .delay_after_delivery_hours
        .is_some_and(|h| h > crate::connector::MAX_DELAY_AFTER_DELIVERY_HOURS)
    {
        errors.push(FieldError::new(
            "delay_after_delivery_hours",
            "must be a whole number of hours from 0 to 2160",
        ));
    }
    if definition.throttle.dismissed_days > 3650 {
        errors.push(FieldError::new(
            "throttle.dismissed_days",
            "must be at most 3650",
        ));
    }
    let t = &definition.triggers;
    if t.delay_seconds > 3600 {
        errors.push(FieldError::new(
            "triggers.delay_seconds",
            "must be at most 3600",
        ));
    }
    if t.scroll_percent > 100 {
        errors.push(FieldError::new(
            "triggers.scroll_percent",
            "must be from 0 to 100",
        ));
    }
    if !(1..=100).contains(&t.sample_percent) {
        errors.push(FieldError::new(
            "triggers.sample_percent",
            "must be from 1 to 100",
        ));
    }
    if t.url_rules.len() > 20 {
        errors.push(FieldError::new(
            "triggers.url_rules",
            "must have at most 20 rules",
        ));
    }
    for (i, rule) in t.url_rules.iter().enumerate() {
        if rule.value.is_empty() || rule.value.chars().count() > 300 {
            errors.push(FieldError::new(
                format!("triggers.url_rules[{i}].value"),
                "must be 1 to 300 characters",
            ));
        }
    }
    if t.events.len() > 20 {
        errors.push(FieldError::new(
            "triggers.events",
            "must have at most 20 names",
        ));
    }
    for (i, name) in t.events.iter().enumerate() {
        let ok = !name.is_empty()
            && name.len() <= 60
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b':'));
        if !ok {
            errors.push(FieldError::new(
                format!("triggers.events[{i}]"),
                "must be 1 to 60 letters, digits, _ - . or :",
            ));
        }
    }
    if let Some(mail) = &definition.mail {
        errors.extend(check_mail(mail));
    }
    if let Err(problems) = definition.cases.check() {
        errors.extend(
            problems
                .into_iter()
                .map(|p| FieldError::new(format!("cases.{}", p.field), p.message)),
        );
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

const MAX_MAIL_SUBJECT_CHARS: usize = 200;
const MAX_MAIL_NAME_CHARS: usize = 100;

/// Checks a survey's mail settings (`crate::mail_settings`); errors name `mail.…`
/// fields.
pub fn check_mail(settings: &crate::mail_settings::MailSettings) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if !is_email(settings.from_address.trim()) {
        errors.push(FieldError::new(
            "mail.from_address",
            "must be an e-mail address the provider knows as a sender",
        ));
    }
    if settings.from_name.as_deref().is_some_and(|n| {
        n.trim().is_empty()
            || n.chars().count() > MAX_MAIL_NAME_CHARS
            || n.chars()
                .any(|c| c.is_control() || matches!(c, '<' | '>' | '"'))
    }) {
        errors.push(FieldError::new(
            "mail.from_name",
            "must be 1 to 100 characters, without < > \" or control characters",
        ));
    }
    if settings
        .reply_to
        .as_deref()
        .is_some_and(|r| !is_email(r.trim()))
    {
        errors.push(FieldError::new(
            "mail.reply_to",
            "must be an e-mail address",
        ));
    }
    if let Some(stream) = settings.message_stream.as_deref() {
        let ok = (1..=100).contains(&stream.len())
            && stream
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'));
        if settings.provider != crate::mail_settings::MailProvider::Postmark {
            errors.push(FieldError::new(
                "mail.message_stream",
                "is a Postmark setting",
            ));
        } else if !ok {
            errors.push(FieldError::new(
                "mail.message_stream",
                "must be a Postmark message stream id like \"outbound\"",
            ));
        }
    }
    for (tag, subject) in &settings.subject {
        if !crate::locale::is_valid_tag(tag) {
            errors.push(FieldError::new(
                format!("mail.subject.{tag}"),
                "must be keyed by a language tag",
            ));
        } else if subject.trim().is_empty()
            || subject.chars().count() > MAX_MAIL_SUBJECT_CHARS
            || subject.chars().any(char::is_control)
        {
            errors.push(FieldError::new(
                format!("mail.subject.{tag}"),
                "must be 1 to 200 characters, no line breaks",
            ));
        }
    }
    errors
}

/// SHA-256 of a request body, hex: tells a true idempotent retry from a key reused
/// for a different request.
pub fn fingerprint(body: &[u8]) -> String {
    Sha256::digest(body)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// NUL and the other control characters have no place in an id or a property: they
/// break logs, CSV cells and the systems webhooks feed.
fn has_control(text: &str) -> bool {
    text.chars().any(char::is_control)
}

fn check<T>(result: Result<T, FieldError>, errors: &mut Vec<FieldError>) -> Option<T> {
    result.map_err(|e| errors.push(e)).ok()
}

fn optional_string(
    object: &Map<String, Value>,
    field: &str,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    match object.get(field) {
        None | Some(Value::Null) => None,
        Some(Value::String(text)) => Some(text.clone()),
        Some(_) => {
            errors.push(FieldError::new(field, "must be a string"));
            None
        }
    }
}

/// Checks a `respondent` object (`id`, `email`), adding what is wrong to `errors`.
pub fn parse_respondent(value: Option<&Value>, errors: &mut Vec<FieldError>) -> Respondent {
    read_respondent(value, false, errors).0
}

/// An answer's `respondent`: `id`, `email` and the `user_hash` that proves them.
fn parse_claimed_respondent(
    value: Option<&Value>,
    errors: &mut Vec<FieldError>,
) -> (Respondent, Option<String>) {
    read_respondent(value, true, errors)
}

fn read_respondent(
    value: Option<&Value>,
    with_hash: bool,
    errors: &mut Vec<FieldError>,
) -> (Respondent, Option<String>) {
    let object = match value {
        None | Some(Value::Null) => return (Respondent::default(), None),
        Some(Value::Object(object)) => object,
        Some(_) => {
            errors.push(FieldError::new(
                "respondent",
                "must be an object with id and email",
            ));
            return (Respondent::default(), None);
        }
    };
    for key in object.keys().filter(|k| {
        !(matches!(k.as_str(), "id" | "email") || with_hash && k.as_str() == "user_hash")
    }) {
        errors.push(FieldError::new(
            format!("respondent.{key}"),
            "is not a known field",
        ));
    }
    let mut nested = Vec::new();
    let id = optional_string(object, "id", &mut nested).filter(|id| {
        let ok = !id.trim().is_empty()
            && id.chars().count() <= MAX_RESPONDENT_ID_CHARS
            && !has_control(id);
        if !ok {
            nested.push(FieldError::new(
                "id",
                format!("must be 1 to {MAX_RESPONDENT_ID_CHARS} characters, no control characters"),
            ));
        }
        ok
    });
    let email = optional_string(object, "email", &mut nested).filter(|email| {
        let ok = is_email(email);
        if !ok {
            nested.push(FieldError::new("email", "must be an e-mail address"));
        }
        ok
    });
    let user_hash = optional_string(object, "user_hash", &mut nested)
        .filter(|_| with_hash)
        .filter(|hash| {
            let ok = hash.len() == USER_HASH_CHARS && hash.bytes().all(|b| b.is_ascii_hexdigit());
            if !ok {
                nested.push(FieldError::new(
                    "user_hash",
                    "must be 64 hex digits (HMAC-SHA256 of the respondent id)",
                ));
            }
            ok
        });
    errors.extend(
        nested
            .into_iter()
            .map(|e| FieldError::new(format!("respondent.{}", e.field), e.message)),
    );
    (Respondent { id, email }, user_hash)
}

/// Properties are a flat object of at most [`MAX_PROPERTIES`] entries; keys are
/// identifiers, values strings, numbers or booleans (kept as their text).
pub fn parse_properties(
    value: Option<&Value>,
    errors: &mut Vec<FieldError>,
) -> BTreeMap<String, String> {
    let object = match value {
        None | Some(Value::Null) => return BTreeMap::new(),
        Some(Value::Object(object)) => object,
        Some(_) => {
            errors.push(FieldError::new("properties", "must be an object"));
            return BTreeMap::new();
        }
    };
    if object.len() > MAX_PROPERTIES {
        errors.push(FieldError::new(
            "properties",
            format!("must have at most {MAX_PROPERTIES} entries"),
        ));
        return BTreeMap::new();
    }
    let mut properties = BTreeMap::new();
    for (key, value) in object {
        let field = format!("properties.{key}");
        if !is_property_key(key) {
            errors.push(FieldError::new(
                field,
                format!("names must be 1 to {MAX_PROPERTY_KEY_CHARS} letters, digits, _ - or ."),
            ));
            continue;
        }
        let text = match value {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            _ => {
                errors.push(FieldError::new(
                    field,
                    "must be a string, number or boolean",
                ));
                continue;
            }
        };
        if text.chars().count() > MAX_PROPERTY_VALUE_CHARS || has_control(&text) {
            errors.push(FieldError::new(
                field,
                format!(
                    "must be at most {MAX_PROPERTY_VALUE_CHARS} characters, no control characters"
                ),
            ));
            continue;
        }
        properties.insert(key.clone(), text);
    }
    properties
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields(body: Value) -> Vec<String> {
        parse_response(&body)
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect()
    }

    #[test]
    fn the_documented_example_is_accepted() {
        let r = parse_response(&json!({
            "survey_id": "s_demo", "score": 3, "comment": "  Lieferung kam zu spät ",
            "channel": "web", "locale": "de", "page_url": "https://shop.example/thanks",
            "respondent": {"id": "cust-42", "email": "kim@example.com"},
            "properties": {"order_id": "1001", "store": "berlin", "total": 49.9, "vip": true},
            "token": "abc"
        }))
        .unwrap();
        assert_eq!(r.score.value(), 3);
        assert_eq!(r.comment.as_deref(), Some("Lieferung kam zu spät"));
        assert_eq!(r.properties["total"], "49.9");
        assert_eq!(r.properties["vip"], "true");
        assert_eq!(r.respondent.email.as_deref(), Some("kim@example.com"));
    }

    #[test]
    fn a_score_of_eleven_names_the_score_field() {
        assert_eq!(
            fields(json!({"survey_id": "s_demo", "score": 11})),
            vec!["score"]
        );
        assert_eq!(
            fields(json!({"survey_id": "s_demo", "score": 2.5})),
            vec!["score"]
        );
        assert_eq!(
            fields(json!({"survey_id": "s_demo", "score": "7"})),
            vec!["score"]
        );
    }

    #[test]
    fn every_wrong_field_is_reported_at_once() {
        let got = fields(json!({
            "score": -1, "channel": "fax", "locale": "english", "page_url": "javascript:alert(1)",
            "respondent": {"email": "nope"}, "colour": "red"
        }));
        for f in [
            "colour",
            "survey_id",
            "score",
            "channel",
            "locale",
            "page_url",
            "respondent.email",
        ] {
            assert!(got.contains(&f.to_string()), "{f} missing in {got:?}");
        }
    }

    #[test]
    fn a_body_that_is_not_an_object_is_refused() {
        assert_eq!(fields(json!([1, 2])), vec![""]);
    }

    #[test]
    fn comments_are_limited_in_length_and_characters() {
        assert!(parse_comment(&"a".repeat(MAX_COMMENT_CHARS)).is_ok());
        assert!(parse_comment(&"ä".repeat(MAX_COMMENT_CHARS + 1)).is_err());
        assert!(parse_comment("bad\u{0}byte").is_err());
        assert_eq!(
            parse_comment("two\nlines").unwrap().as_deref(),
            Some("two\nlines")
        );
        assert_eq!(parse_comment("   ").unwrap(), None);
    }

    #[test]
    fn properties_are_bounded_in_count_names_and_sizes() {
        let many: Map<String, Value> = (0..=MAX_PROPERTIES)
            .map(|i| (format!("k{i}"), json!("v")))
            .collect();
        assert_eq!(
            fields(json!({"survey_id": "s_a", "score": 1, "properties": many})),
            vec!["properties"]
        );
        let got = fields(json!({"survey_id": "s_a", "score": 1, "properties": {
            "bad key": "x", "nested": {"a": 1}, "long": "x".repeat(MAX_PROPERTY_VALUE_CHARS + 1)
        }}));
        assert_eq!(got.len(), 3, "{got:?}");
    }

    #[test]
    fn survey_ids_have_a_strict_shape() {
        assert!(is_survey_id("s_demo"));
        assert!(is_survey_id("s_01jd-shop_2"));
        assert!(!is_survey_id("s_"));
        assert!(!is_survey_id("demo"));
        assert!(!is_survey_id("s_Demo"));
        assert!(!is_survey_id("s_../../etc"));
    }

    #[test]
    fn an_address_is_matched_by_its_trimmed_unicode_lower_case_and_kept_as_sent() {
        assert_eq!(normalize_email("  Ö@Example.COM "), "ö@example.com");
        let r = parse_response(&serde_json::json!({
            "survey_id": "s_demo", "score": 3, "respondent": {"email": "Ärger@Example.COM"}
        }))
        .unwrap();
        assert_eq!(r.respondent.email.as_deref(), Some("Ärger@Example.COM"));
    }

    #[test]
    fn emails_need_a_local_part_and_a_dotted_domain() {
        assert!(is_email("kim@example.com"));
        assert!(!is_email("kim@localhost"));
        assert!(!is_email("@example.com"));
        assert!(!is_email("kim@@example.com"));
        assert!(!is_email("kim <kim@example.com>"));
    }

    fn demo_definition() -> crate::api::SurveyDefinition {
        serde_json::from_value(json!({
            "name": "Demo", "default_locale": "en",
            "texts": {"en": {
                "question": "How likely?", "thanks": "Thanks!", "low_label": "Not likely",
                "high_label": "Very likely", "comment_placeholder": "Tell us", "submit": "Send",
                "dismiss": "Close",
                "follow_up": {"detractor": "What went wrong?", "passive": "What would make it a 10?", "promoter": "What did you love?"}
            }},
            "allowed_origins": ["http://localhost:*"]
        }))
        .unwrap()
    }

    #[test]
    fn nul_and_control_characters_are_refused_in_ids_and_properties() {
        // Regression: these were stored as sent (found by e2e/tests/hostile.test.mjs).
        let body = json!({"survey_id": "s_demo", "score": 3,
            "respondent": {"id": "cust\u{0}42"}, "properties": {"store": "ber\u{0}lin", "x": "a\u{1b}[31m"}});
        assert_eq!(
            fields(body),
            ["respondent.id", "properties.store", "properties.x"]
        );
    }

    #[test]
    fn a_complete_survey_passes_its_check() {
        assert_eq!(check_survey(&demo_definition()), Ok(()));
    }

    #[test]
    fn a_theme_may_set_a_radius_and_a_font_list_but_nothing_that_escapes_css() {
        let mut d = demo_definition();
        d.theme.radius = Some(32);
        d.theme.font = Some("'Open Sans', Georgia, serif".into());
        assert_eq!(check_survey(&d), Ok(()));
        for (radius, font) in [
            (Some(33), None),
            (None, Some("x);}*{color:red")),
            (None, Some("'Open Sans")),
            (None, Some("")),
        ] {
            d.theme.radius = radius;
            d.theme.font = font.map(String::from);
            let fields: Vec<String> = check_survey(&d)
                .unwrap_err()
                .into_iter()
                .map(|e| e.field)
                .collect();
            assert_eq!(fields.len(), 1, "{radius:?} {font:?}");
            assert!(fields[0].starts_with("theme."), "{fields:?}");
        }
    }

    #[test]
    fn retention_keeps_answers_a_month_to_ten_years_or_forever() {
        let mut d = demo_definition();
        for (days, ok) in [
            (Some(29), false),
            (Some(30), true),
            (Some(3650), true),
            (Some(3651), false),
            (None, true),
        ] {
            d.retention_days = days;
            match check_survey(&d) {
                Ok(()) => assert!(ok, "{days:?}"),
                Err(errors) => {
                    assert!(!ok, "{days:?}");
                    assert_eq!(errors[0].field, "retention_days");
                }
            }
        }
    }

    #[test]
    fn a_survey_rate_limit_must_be_at_least_one() {
        let mut d = demo_definition();
        d.rate_limit_per_minute = Some(0);
        let errors = check_survey(&d).unwrap_err();
        assert_eq!(errors[0].field, "rate_limit_per_minute");
        d.rate_limit_per_minute = Some(1_000_000);
        assert_eq!(check_survey(&d), Ok(()));
        d.rate_limit_per_minute = None;
        assert_eq!(check_survey(&d), Ok(()));
    }

    #[test]
    fn a_survey_check_names_missing_texts_bad_origins_and_colours() {
        let mut d = demo_definition();
        d.default_locale = "de".into();
        d.allowed_origins.push("shop.example".into());
        d.theme.accent = "blue".into();
        d.texts.get_mut("en").unwrap().question.clear();
        let fields: Vec<String> = check_survey(&d)
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(
            fields,
            vec![
                "texts.en.question",
                "default_locale",
                "theme.accent",
                "allowed_origins[1]"
            ]
        );
    }

    #[test]
    fn a_short_accent_is_accepted_and_decoded_as_six_digits() {
        let mut d = demo_definition();
        d.theme.accent = "#0a7".into();
        assert_eq!(check_survey(&d), Ok(()));
        for long in ["#abcd", "#16a34aff", "#2563eb "] {
            d.theme.accent = long.into();
            assert!(check_survey(&d).is_err(), "{long:?}");
        }
        let theme: crate::api::Theme =
            serde_json::from_str(r##"{"accent":"#0a7","position":"inline"}"##).unwrap();
        assert_eq!(theme.accent, "#00aa77");
        let kept: crate::api::Theme =
            serde_json::from_str(r##"{"accent":"blue","position":"inline"}"##).unwrap();
        assert_eq!(kept.accent, "blue");
    }

    #[test]
    fn webhook_targets_on_the_internet_are_allowed() {
        assert!(
            check_webhook_target("url", "https://hooks.slack.com/services/T/B/X", false).is_ok()
        );
        assert!(check_webhook_target("url", "http://93.184.216.34:8080/h", false).is_ok());
    }

    #[test]
    fn internal_webhook_targets_are_refused_unless_allowed() {
        for url in [
            "http://127.0.0.1:9000/h",
            "http://localhost/h",
            "http://api.localhost/h",
            "http://10.1.2.3/h",
            "http://172.16.0.1/h",
            "http://192.168.1.10/h",
            "http://169.254.169.254/latest/meta-data",
            "http://100.64.0.1/h",
            "http://0.0.0.0/h",
            "http://[::1]/h",
            "http://[fd00::1]/h",
            "http://[fe80::1]/h",
            "http://[::ffff:127.0.0.1]/h",
            "http://printer.local/h",
            "http://intranet/h",
            "http://db.internal/h",
        ] {
            assert!(
                check_webhook_target("url", url, false).is_err(),
                "{url} should be refused"
            );
            assert!(
                check_webhook_target("url", url, true).is_ok(),
                "{url} should pass when allowed"
            );
        }
    }

    #[test]
    fn webhook_targets_in_special_purpose_ranges_are_refused_unless_allowed() {
        for (url, range) in [
            ("http://0.1.2.3/h", "0.0.0.0/8 this network"),
            ("http://2130706433/h", "127.0.0.1 written as a number"),
            ("http://0x7f.1/h", "127.0.0.1 in hex"),
            ("http://127.255.255.254/h", "127.0.0.0/8 loopback"),
            ("http://100.127.255.1/h", "100.64.0.0/10 shared (CGNAT)"),
            (
                "http://192.0.0.8/h",
                "192.0.0.0/24 IETF protocol assignments",
            ),
            ("http://192.0.2.1/h", "192.0.2.0/24 TEST-NET-1"),
            (
                "http://192.88.99.1/h",
                "192.88.99.0/24 deprecated 6to4 relay anycast",
            ),
            ("http://198.18.0.1/h", "198.18.0.0/15 benchmarking"),
            ("http://198.19.255.1/h", "198.18.0.0/15 benchmarking"),
            ("http://198.51.100.7/h", "198.51.100.0/24 TEST-NET-2"),
            ("http://203.0.113.9/h", "203.0.113.0/24 TEST-NET-3"),
            ("http://224.0.0.1/h", "224.0.0.0/4 multicast"),
            ("http://240.0.0.1/h", "240.0.0.0/4 reserved"),
            ("http://255.255.255.255/h", "limited broadcast"),
            ("http://[::]/h", "::/128 unspecified"),
            ("http://[::7f00:1]/h", "::/96 IPv4-compatible (127.0.0.1)"),
            ("http://[::127.0.0.1]/h", "::/96 IPv4-compatible, dotted"),
            (
                "http://[::5db8:d822]/h",
                "::/96 IPv4-compatible, deprecated even when public",
            ),
            ("http://[::ffff:10.0.0.1]/h", "::ffff:0:0/96 IPv4-mapped"),
            (
                "http://[::ffff:93.184.216.34]/h",
                "::ffff:0:0/96 IPv4-mapped, not globally reachable",
            ),
            (
                "http://[64:ff9b::7f00:1]/h",
                "64:ff9b::/96 NAT64 of 127.0.0.1",
            ),
            (
                "http://[64:ff9b::a9fe:a9fe]/h",
                "64:ff9b::/96 NAT64 of 169.254.169.254",
            ),
            (
                "http://[64:ff9b:1::5db8:d822]/h",
                "64:ff9b:1::/48 local-use translation",
            ),
            ("http://[100::1]/h", "100::/64 discard-only"),
            ("http://[2001::1]/h", "2001::/32 Teredo"),
            ("http://[2001:2::1]/h", "2001:2::/48 benchmarking"),
            (
                "http://[2001:10::1]/h",
                "2001::/23 IETF protocol assignments",
            ),
            ("http://[2001:db8::1]/h", "2001:db8::/32 documentation"),
            ("http://[3fff::1]/h", "3fff::/20 documentation"),
            ("http://[2002:7f00:1::]/h", "2002::/16 6to4 of 127.0.0.1"),
            (
                "http://[2002:c0a8:101::1]/h",
                "2002::/16 6to4 of 192.168.1.1",
            ),
            ("http://[5f00::1]/h", "5f00::/16 SRv6 SIDs"),
            ("http://[fc00::1]/h", "fc00::/7 unique local"),
            ("http://[febf::1]/h", "fe80::/10 link-local"),
            ("http://[fec0::1]/h", "fec0::/10 deprecated site-local"),
            ("http://[ff02::1]/h", "ff00::/8 multicast"),
            ("http://localhost./h", "localhost with a trailing dot"),
            ("http://LOCALHOST/h", "localhost in capitals"),
            ("http://a.b.localhost/h", "*.localhost"),
            ("http://nas.home.arpa/h", "home.arpa"),
        ] {
            assert!(
                check_webhook_target("url", url, false).is_err(),
                "{url} ({range}) should be refused"
            );
            assert!(
                check_webhook_target("url", url, true).is_ok(),
                "{url} ({range}) should pass when private targets are allowed"
            );
        }
    }

    #[test]
    fn webhook_targets_at_globally_reachable_addresses_are_allowed() {
        for url in [
            "http://1.1.1.1/h",
            "http://100.63.255.255/h",
            "http://100.128.0.1/h",
            "http://172.32.0.1/h",
            "http://192.0.1.1/h",
            "http://198.17.255.1/h",
            "http://198.20.0.1/h",
            "http://223.255.255.1/h",
            "http://[2606:4700:4700::1111]/h",
            "http://[64:ff9b::5db8:d822]/h",
            "http://[2002:5db8:d822::1]/h",
            "http://[2001:200::1]/h",
            "http://[2a00:1450:4001::200e]/h",
            "https://hooks.example.com/h",
        ] {
            assert!(
                check_webhook_target("url", url, false).is_ok(),
                "{url} should be allowed"
            );
        }
    }

    #[test]
    fn webhook_targets_must_be_http_without_credentials() {
        assert!(check_webhook_target("url", "ftp://files.example/h", true).is_err());
        assert!(check_webhook_target("url", "https://user:pw@hooks.example/h", true).is_err());
    }

    #[test]
    fn fingerprints_differ_when_bodies_differ() {
        assert_eq!(fingerprint(b"a"), fingerprint(b"a"));
        assert_ne!(fingerprint(b"a"), fingerprint(b"b"));
        assert_eq!(fingerprint(b"").len(), 64);
    }

    fn mail_settings() -> crate::mail_settings::MailSettings {
        crate::mail_settings::MailSettings {
            from_address: "umfrage@shop.example".into(),
            from_name: Some("Schuhhaus".into()),
            reply_to: Some("hilfe@shop.example".into()),
            ..Default::default()
        }
    }

    #[test]
    fn mail_settings_are_checked_field_by_field() {
        assert!(check_mail(&mail_settings()).is_empty());
        let bad = crate::mail_settings::MailSettings {
            provider: crate::mail_settings::MailProvider::Resend,
            from_address: "nobody".into(),
            from_name: Some("a<b".into()),
            reply_to: Some("x".into()),
            message_stream: Some("outbound".into()),
            subject: [("de".to_string(), "a\nb".to_string())].into(),
        };
        let fields: Vec<String> = check_mail(&bad).into_iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            [
                "mail.from_address",
                "mail.from_name",
                "mail.reply_to",
                "mail.message_stream",
                "mail.subject.de"
            ]
        );
    }
}
