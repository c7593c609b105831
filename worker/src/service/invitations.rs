//! Invitations: what is fixed for one customer's answer (an order delivered, a
//! detractor case to re-ask), kept server-side; the opaque token that refers to it
//! (`nps_shared::invitation`), the hosted-page link that carries the token, and the
//! e-mail HTML with eleven score links. No mail is sent here: the shop's mail tool
//! sends the HTML.

use super::webhooks::{deliveries_to, enqueue, invitation_announcement};
use super::{Done, ServiceError, mail, new_id};
use crate::store::{
    Delivery, DeliveryQueue, InvitationStore, Release, Storage, StoreError, SurveyStore,
};
use nps_shared::api::{CreateInvitation, Invitation, SurveyView};
use nps_shared::invitation::{self, Claims, Token};
use nps_shared::time::parse_rfc3339;
use nps_shared::time::rfc3339;
use nps_shared::validate::{FieldError, is_survey_id, parse_properties, parse_respondent};
use nps_shared::{email, locale};
use std::collections::BTreeMap;

pub const DEFAULT_DAYS: u32 = 30;
const MAX_DAYS: u32 = 365;
const MAX_ORDER_ID_CHARS: usize = 128;
const DAY_SECONDS: i64 = 86_400;

/// The invitation for `claims`: token, link and e-mail HTML in the chosen language.
/// The token refers to the invitation; the caller keeps `claims` with it.
pub fn issue(
    survey: &SurveyView,
    claims: &Claims,
    requested_locale: Option<&str>,
    secret: &[u8],
    base_url: &str,
) -> Result<Invitation, ServiceError> {
    let token = invitation::sign(secret, &claims.invitation_id)
        .map_err(|e| StoreError(format!("invitation {}: {e}", claims.invitation_id)))?;
    let d = &survey.definition;
    let available: Vec<&str> = d.texts.keys().map(String::as_str).collect();
    let chosen = locale::best_match(requested_locale, &available, &d.default_locale);
    let texts = d.texts.get(chosen).ok_or_else(|| {
        ServiceError::NotFound(format!("texts for {chosen} in survey {}", survey.id))
    })?;
    // The token is base64url and dots; the locale a checked tag: both safe in a URL.
    let url = format!("{base_url}/s/{}?token={token}&locale={chosen}", survey.id);
    let email_html = email::score_row(texts, &d.theme.accent, |n| format!("{url}&score={n}"));
    Ok(Invitation {
        id: claims.invitation_id.clone(),
        survey_id: survey.id.clone(),
        order_id: claims.order_id.clone(),
        case_id: claims.case_id.clone(),
        url,
        token,
        email_html,
        expires_at: rfc3339(claims.expires_at.saturating_mul(1000)),
        send_after: None,
    })
}

/// `POST /v1/invitations`: the invitation at once; with `send_after`, it is also
/// announced as `invitation.due` when that time comes.
pub async fn create(
    store: &(impl SurveyStore + InvitationStore),
    request: CreateInvitation,
    secret: &[u8],
    base_url: &str,
    now_ms: i64,
) -> Result<Invitation, ServiceError> {
    let mut errors = Vec::new();
    if !is_survey_id(&request.survey_id) {
        errors.push(FieldError::new(
            "survey_id",
            "must be a survey id like \"s_demo\"",
        ));
    }
    if request.order_id.as_ref().is_some_and(|o| {
        o.trim().is_empty()
            || o.chars().count() > MAX_ORDER_ID_CHARS
            || o.chars().any(char::is_control)
    }) {
        errors.push(FieldError::new(
            "order_id",
            "must be 1 to 128 characters, no control characters",
        ));
    }
    let respondent = serde_json::to_value(&request.respondent)
        .map_err(|e| ServiceError::invalid("respondent", &e.to_string()))?;
    let respondent = parse_respondent(Some(&respondent), &mut errors);
    let properties = serde_json::to_value(&request.properties)
        .map_err(|e| ServiceError::invalid("properties", &e.to_string()))?;
    let properties = parse_properties(Some(&properties), &mut errors);
    let days = request.expires_in_days.unwrap_or(DEFAULT_DAYS);
    if !(1..=MAX_DAYS).contains(&days) {
        errors.push(FieldError::new("expires_in_days", "must be from 1 to 365"));
    }
    if request
        .locale
        .as_deref()
        .is_some_and(|l| !locale::is_valid_tag(l))
    {
        errors.push(FieldError::new(
            "locale",
            "must be a language tag like \"de\"",
        ));
    }
    let expires_ms = now_ms + i64::from(days) * DAY_SECONDS * 1000;
    let send_after = match request.send_after.as_deref().map(parse_rfc3339) {
        None => None,
        Some(Some(at)) if at < expires_ms => Some(rfc3339(at)),
        Some(Some(_)) => {
            errors.push(FieldError::new(
                "send_after",
                "must be before the invitation expires",
            ));
            None
        }
        Some(None) => {
            errors.push(FieldError::new(
                "send_after",
                "must be an RFC 3339 UTC time like 2026-12-01T09:00:00Z",
            ));
            None
        }
    };
    if !errors.is_empty() {
        return Err(ServiceError::Invalid(errors));
    }
    let survey = store
        .get_survey(&request.survey_id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("survey {}", request.survey_id)))?;
    let claims = Claims {
        invitation_id: new_id("inv_", now_ms)?,
        survey_id: survey.id.clone(),
        order_id: request.order_id.map(|o| o.trim().to_string()),
        respondent,
        properties,
        case_id: None,
        expires_at: now_ms / 1000 + i64::from(days) * DAY_SECONDS,
    };
    let mut invitation = issue(
        &survey,
        &claims,
        request.locale.as_deref(),
        secret,
        base_url,
    )?;
    invitation.send_after = send_after;
    store
        .insert_invitation(&invitation, &claims, &rfc3339(now_ms))
        .await?;
    Ok(invitation)
}

/// Invitations a cron run announces at most; the rest wait for the next run (every
/// minute), so a run costs the same D1 queries however many are due.
pub const RELEASED_PER_RUN: u32 = 100;
/// Surveys a cron run reads at most; invitations to further surveys wait for the
/// next run.
pub const SURVEYS_PER_RUN: usize = 10;

/// The cron: announces invitations whose `send_after` has come, each once: their
/// deliveries are stored and the invitations marked released in one atomic write
/// before the queue is told, so a queue that is down costs a delay (the sweeper
/// queues stored deliveries), never a second announcement. At most
/// [`RELEASED_PER_RUN`] invitations of [`SURVEYS_PER_RUN`] surveys a run: one read
/// of the due ones, one of the endpoints, one per survey, one write — whatever the
/// number due. If another run released one first, its deliveries are not stored;
/// their queue messages then find no delivery and are dropped.
pub async fn release_due(
    store: &impl Storage,
    queue: &impl DeliveryQueue,
    now_ms: i64,
) -> Result<Done<usize>, StoreError> {
    let due = store
        .due_invitations(&rfc3339(now_ms), RELEASED_PER_RUN)
        .await?;
    release(store, queue, &due, now_ms).await
}

/// Announces these invitations (read as due, or just created by a caller that sends
/// them at once), each once, as [`release_due`] describes: one read of the endpoints,
/// one per survey (at most [`SURVEYS_PER_RUN`]; invitations to further surveys are
/// left as they are), one atomic write, then the queue. How many this call released.
///
/// When an invitation's survey mails (`mail`) and the invitation has an address, its
/// e-mail is stored in the same write (`mail::plan`: pending, or `suppressed` for a
/// suppressed address) and queued after (one more read: the addresses). The
/// `invitation.due` webhook is stored beside it for the endpoints that want it.
pub async fn release(
    store: &impl Storage,
    queue: &impl DeliveryQueue,
    due: &[Invitation],
    now_ms: i64,
) -> Result<Done<usize>, StoreError> {
    let now = rfc3339(now_ms);
    if due.is_empty() {
        return Ok(Done::new(0));
    }
    let endpoints = store.list_endpoints().await?;
    let mut surveys: BTreeMap<String, Option<SurveyView>> = BTreeMap::new();
    let mut releases = Vec::new();
    for invitation in due {
        if !surveys.contains_key(&invitation.survey_id) {
            if surveys.len() == SURVEYS_PER_RUN {
                continue;
            }
            let survey = store.get_survey(&invitation.survey_id).await?;
            surveys.insert(invitation.survey_id.clone(), survey);
        }
        let deliveries = match surveys.get(&invitation.survey_id).and_then(Option::as_ref) {
            Some(survey) => {
                let announcement = invitation_announcement(survey, invitation, now_ms)?;
                deliveries_to(&endpoints, &announcement, now_ms)?
            }
            None => Vec::new(),
        };
        releases.push(Release {
            invitation_id: invitation.id.clone(),
            deliveries,
            mail: None,
        });
    }
    // The e-mails of the surveys that mail: one read of the addresses (and whether
    // each is suppressed), only when one of the surveys mails.
    let mails_of = |survey_id: &str| {
        surveys
            .get(survey_id)
            .and_then(Option::as_ref)
            .filter(|s| s.definition.mail.is_some())
    };
    let mailing: Vec<String> = due
        .iter()
        .filter(|i| mails_of(&i.survey_id).is_some())
        .map(|i| i.id.clone())
        .collect();
    if !mailing.is_empty() {
        let recipients = store.mail_recipients(&mailing).await?;
        for release in &mut releases {
            let invitation = due.iter().find(|i| i.id == release.invitation_id);
            if let Some((invitation, survey)) =
                invitation.and_then(|i| mails_of(&i.survey_id).map(|s| (i, s)))
            {
                let recipient = recipients.iter().find(|r| r.invitation_id == invitation.id);
                release.mail = mail::plan(survey, invitation, recipient, now_ms)?;
            }
        }
    }
    let released = store.release_invitations(&releases, &now).await?;
    let sends: Vec<_> = releases.iter().filter_map(|r| r.mail.as_ref()).collect();
    let mailed = mail::enqueue(queue, &sends).await;
    let queued: Vec<Delivery> = releases.into_iter().flat_map(|r| r.deliveries).collect();
    Ok(Done::new(released)
        .unless(enqueue(queue, &queued).await)
        .unless(mailed))
}

/// What the invitation behind a token that came with an answer fixed: the token
/// genuine, its invitation still kept (an erased respondent's is withdrawn: 403),
/// unexpired, for this survey. A v1 token from before is read from its own signed
/// claims, and withdrawn the same way when its invitation is gone.
pub async fn resolve(
    store: &impl InvitationStore,
    secret: Option<&[u8]>,
    token: &str,
    survey_id: &str,
    now_ms: i64,
) -> Result<Claims, ServiceError> {
    let secret = secret.ok_or_else(|| {
        ServiceError::Store(crate::store::StoreError(
            "INVITATION_SECRET is not configured".into(),
        ))
    })?;
    let now = now_ms.div_euclid(1000);
    let token =
        invitation::read(secret, token, now).map_err(|e| ServiceError::Forbidden(e.to_string()))?;
    let kept = store.invitation_claims(token.invitation_id()).await?;
    let claims = match (token, kept) {
        (_, None) => {
            return Err(ServiceError::Forbidden(
                "this invitation was withdrawn".into(),
            ));
        }
        (Token::Reference(_), Some(kept)) => kept,
        (Token::Legacy(signed), Some(_)) => signed,
    };
    invitation::check_expiry(&claims, now).map_err(|e| ServiceError::Forbidden(e.to_string()))?;
    if claims.survey_id != survey_id {
        return Err(ServiceError::Forbidden(
            "the invitation is for another survey".into(),
        ));
    }
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::fixtures::demo_survey;
    use crate::store::testing::TestStore;
    use pollster::block_on;

    const SECRET: &[u8] = b"test secret";
    const NOW: i64 = 1_764_000_000_000;

    fn demo_store() -> TestStore {
        let m = TestStore::default();
        m.add_survey(demo_survey());
        m
    }

    const HOUR: i64 = 3_600_000;

    /// A store with `n` invitations held back until an hour from now, and `endpoints`
    /// endpoints that want `invitation.due`.
    fn held_back(n: usize, endpoints: usize) -> TestStore {
        let m = demo_store();
        for i in 0..endpoints {
            let hook: nps_shared::api::CreateWebhook = serde_json::from_value(serde_json::json!({
                "url": format!("https://hooks.example/{i}"), "events": ["invitation.due"]
            }))
            .unwrap();
            crate::service::webhooks::create_for_test(&m, hook);
        }
        m.reset_queries();
        for i in 0..n {
            let mut invite = request(&format!("order-{i}"));
            invite.send_after = Some(rfc3339(NOW + HOUR));
            block_on(create(&m, invite, SECRET, "https://nps.example", NOW)).unwrap();
            assert_eq!(
                m.queries(),
                2,
                "POST /v1/invitations: its survey, the insert"
            );
            m.reset_queries();
        }
        m
    }

    #[test]
    fn a_cron_run_announces_a_hundred_invitations_in_the_same_queries_whether_three_hundred_or_three_thousand_are_due()
     {
        let release = |m: &TestStore| {
            m.reset_queries();
            let done = block_on(release_due(m, m, NOW + HOUR)).unwrap();
            (m.queries(), done.value)
        };
        let small = release(&held_back(300, 3));
        // The due ones, the endpoints, the survey; one write: the deliveries (one
        // statement per megabyte of payloads: 300 of a few kB, with their e-mail
        // HTML, take two) and the releases.
        assert_eq!(small, (6, RELEASED_PER_RUN as usize));
        let large = held_back(3_000, 3);
        assert_eq!(release(&large), small);
        assert!(small.0 <= crate::store::metered::FREE_PLAN_QUERIES);
        // The rest in the runs after, each announced once to each endpoint.
        let mut runs = 1;
        while release(&large).1 > 0 {
            runs += 1;
        }
        assert_eq!(runs, 30);
        assert_eq!(large.count("deliveries"), 3_000 * 3);
        let mut queued: Vec<String> = large
            .queue()
            .queued
            .borrow()
            .iter()
            .map(|(task, _)| task.delivery_id.clone())
            .collect();
        queued.sort_unstable();
        queued.dedup();
        assert_eq!(queued.len(), 3_000 * 3);
    }

    #[test]
    fn a_cron_run_reads_at_most_ten_surveys_and_leaves_the_rest_due() {
        let m = TestStore::default();
        for i in 0..12 {
            let mut survey = demo_survey();
            survey.id = format!("s_{i:02}");
            m.add_survey(survey);
            let mut invite = request(&format!("order-{i}"));
            invite.survey_id = format!("s_{i:02}");
            invite.send_after = Some(rfc3339(NOW + HOUR));
            block_on(create(&m, invite, SECRET, "https://nps.example", NOW + i)).unwrap();
        }
        m.reset_queries();
        let first = block_on(release_due(&m, &m, NOW + HOUR)).unwrap();
        assert_eq!(first.value, SURVEYS_PER_RUN);
        assert_eq!(m.queries(), 2 + SURVEYS_PER_RUN as u32 + 1);
        let second = block_on(release_due(&m, &m, NOW + HOUR)).unwrap();
        assert_eq!(second.value, 12 - SURVEYS_PER_RUN);
    }

    fn request(order: &str) -> CreateInvitation {
        serde_json::from_value(serde_json::json!({
            "survey_id": "s_demo", "order_id": order,
            "respondent": {"id": "cust-42", "email": "kim@example.com"},
            "properties": {"store": "berlin"}, "locale": "de"
        }))
        .unwrap()
    }

    #[test]
    fn an_invitation_links_to_the_hosted_page_with_its_token_and_eleven_scores() {
        let m = demo_store();
        let inv = block_on(create(
            &m,
            request("1001"),
            SECRET,
            "https://nps.example",
            NOW,
        ))
        .unwrap();
        assert!(
            inv.url
                .starts_with("https://nps.example/s/s_demo?token=v2.inv_")
        );
        assert!(inv.url.ends_with("&locale=de"));
        assert_eq!(inv.email_html.matches("&amp;score=").count(), 11);
        assert!(
            inv.email_html.contains("Wie wahrscheinlich"),
            "in the asked language"
        );
        let claims = block_on(resolve(&m, Some(SECRET), &inv.token, "s_demo", NOW)).unwrap();
        assert_eq!(claims.order_id.as_deref(), Some("1001"));
        assert_eq!(claims.properties["store"], "berlin");
        assert_eq!(
            inv.expires_at,
            rfc3339((NOW / 1000 + 30 * DAY_SECONDS) * 1000)
        );
    }

    #[test]
    fn tokens_are_checked_for_survey_secret_and_expiry() {
        let m = demo_store();
        let inv = block_on(create(
            &m,
            request("1001"),
            SECRET,
            "https://nps.example",
            NOW,
        ))
        .unwrap();
        assert!(matches!(
            block_on(resolve(&m, Some(SECRET), &inv.token, "s_other", NOW)),
            Err(ServiceError::Forbidden(_))
        ));
        assert!(matches!(
            block_on(resolve(&m, Some(b"other"), &inv.token, "s_demo", NOW)),
            Err(ServiceError::Forbidden(_))
        ));
        let late = NOW + 31 * DAY_SECONDS * 1000;
        assert!(matches!(
            block_on(resolve(&m, Some(SECRET), &inv.token, "s_demo", late)),
            Err(ServiceError::Forbidden(_))
        ));
        assert!(matches!(
            block_on(resolve(&m, None, &inv.token, "s_demo", NOW)),
            Err(ServiceError::Store(_))
        ));
    }

    /// Finding 3 of #14: the link carried the e-mail, the id, the order and the
    /// properties as base64url JSON.
    #[test]
    fn the_link_holds_no_personal_data_in_any_decodable_form() {
        use base64::Engine;
        let m = demo_store();
        let inv = block_on(create(
            &m,
            request("1001"),
            SECRET,
            "https://nps.example",
            NOW,
        ))
        .unwrap();
        let engines = [
            base64::engine::general_purpose::URL_SAFE_NO_PAD,
            base64::engine::general_purpose::STANDARD_NO_PAD,
        ];
        let mut readable = vec![inv.url.clone()];
        for part in inv.url.split(['?', '&', '=', '.', '/']) {
            for engine in &engines {
                if let Ok(bytes) = engine.decode(part) {
                    readable.push(String::from_utf8_lossy(&bytes).into_owned());
                }
            }
        }
        for text in readable.iter().chain([&inv.email_html]) {
            for personal in [
                "cust-42",
                "kim@example.com",
                "kim%40example",
                "1001",
                "berlin",
            ] {
                assert!(!text.contains(personal), "{personal} in {text}");
            }
        }
        // The server still knows what the link stands for.
        let claims = block_on(resolve(&m, Some(SECRET), &inv.token, "s_demo", NOW)).unwrap();
        assert_eq!(claims.respondent.id.as_deref(), Some("cust-42"));
        assert_eq!(claims.respondent.email.as_deref(), Some("kim@example.com"));
    }

    #[test]
    fn a_v1_link_from_before_works_until_it_expires_and_is_withdrawn_with_its_invitation() {
        let m = demo_store();
        let inv = block_on(create(
            &m,
            request("1001"),
            SECRET,
            "https://nps.example",
            NOW,
        ))
        .unwrap();
        let signed = Claims {
            invitation_id: inv.id.clone(),
            survey_id: "s_demo".into(),
            order_id: Some("1001".into()),
            respondent: Default::default(),
            properties: [("store".to_string(), "hamburg".to_string())].into(),
            case_id: None,
            expires_at: NOW / 1000 + DAY_SECONDS,
        };
        let old = invitation::sign_v1(SECRET, &signed).unwrap();
        assert_eq!(
            block_on(resolve(&m, Some(SECRET), &old, "s_demo", NOW)).unwrap(),
            signed,
            "its own signed claims, as issued then"
        );
        assert!(matches!(
            block_on(resolve(
                &m,
                Some(SECRET),
                &old,
                "s_demo",
                NOW + 2 * DAY_SECONDS * 1000
            )),
            Err(ServiceError::Forbidden(_))
        ));
        let mut unknown = signed.clone();
        unknown.invitation_id = "inv_01jd0000000000000000000000".into();
        let gone = invitation::sign_v1(SECRET, &unknown).unwrap();
        assert!(matches!(
            block_on(resolve(&m, Some(SECRET), &gone, "s_demo", NOW)),
            Err(ServiceError::Forbidden(d)) if d.contains("withdrawn")
        ));
    }

    #[test]
    fn a_due_invitation_is_stored_once_even_when_the_queue_is_down() {
        // Regression (review): a queue failure left it due, and the next run stored
        // its deliveries again under new webhook-ids — duplicates for the receiver.
        let m = demo_store();
        let hook: nps_shared::api::CreateWebhook = serde_json::from_value(
            serde_json::json!({"url": "https://h.example/x", "events": ["invitation.due"]}),
        )
        .unwrap();
        crate::service::webhooks::create_for_test(&m, hook);
        let mut r = request("1002");
        r.send_after = Some(rfc3339(NOW + DAY_SECONDS * 1000));
        block_on(create(&m, r, SECRET, "https://nps.example", NOW)).unwrap();
        let due = NOW + DAY_SECONDS * 1000;
        m.queue().down.set(true);
        let released = block_on(release_due(&m, &m, due)).unwrap();
        assert_eq!(released.value, 1);
        assert_eq!(released.failed_follow_ups.len(), 1, "the queue was down");
        m.queue().down.set(false);
        assert_eq!(
            block_on(release_due(&m, &m, due + 60_000)).unwrap().value,
            0
        );
        assert_eq!(
            m.deliveries().len(),
            1,
            "stored once; the sweeper queues it"
        );
    }

    #[test]
    fn a_held_back_invitation_is_announced_once_when_due() {
        let m = demo_store();
        let hook: nps_shared::api::CreateWebhook = serde_json::from_value(
            serde_json::json!({"url": "https://h.example/x", "events": ["invitation.due"],
                "filter": {"categories": ["detractor"]}}),
        )
        .unwrap();
        crate::service::webhooks::create_for_test(&m, hook);
        let mut r = request("1001");
        r.send_after = Some(rfc3339(NOW + 3 * DAY_SECONDS * 1000));
        let inv = block_on(create(&m, r, SECRET, "https://nps.example", NOW)).unwrap();
        assert_eq!(
            inv.send_after.as_deref(),
            Some(rfc3339(NOW + 3 * DAY_SECONDS * 1000).as_str())
        );
        assert_eq!(
            block_on(release_due(&m, &m, NOW + DAY_SECONDS * 1000))
                .unwrap()
                .value,
            0,
            "not yet"
        );
        let due = NOW + 3 * DAY_SECONDS * 1000;
        assert_eq!(block_on(release_due(&m, &m, due)).unwrap().value, 1);
        assert_eq!(
            block_on(release_due(&m, &m, due + 60_000)).unwrap().value,
            0,
            "only once"
        );
        let body: serde_json::Value = serde_json::from_str(&m.deliveries()[0].payload).unwrap();
        assert_eq!(body["type"], "invitation.due");
        assert_eq!(body["data"]["order_id"], "1001");
        assert!(
            body["data"]["email_html"]
                .as_str()
                .unwrap()
                .contains("score=10")
        );
    }

    #[test]
    fn send_after_must_be_a_time_before_expiry() {
        let m = demo_store();
        let mut r = request("1");
        r.send_after = Some("next tuesday".into());
        assert!(matches!(
            block_on(create(&m, r, SECRET, "x", NOW)),
            Err(ServiceError::Invalid(_))
        ));
        let mut r = request("1");
        r.send_after = Some(rfc3339(NOW + 40 * DAY_SECONDS * 1000));
        assert!(matches!(
            block_on(create(&m, r, SECRET, "x", NOW)),
            Err(ServiceError::Invalid(_))
        ));
    }

    #[test]
    fn bad_invitation_requests_name_their_fields() {
        let m = demo_store();
        let mut r = request(" ");
        r.respondent.email = Some("nope".into());
        r.expires_in_days = Some(0);
        let err = block_on(create(&m, r, SECRET, "https://nps.example", NOW)).unwrap_err();
        let ServiceError::Invalid(errors) = err else {
            panic!("{err:?}")
        };
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["order_id", "respondent.email", "expires_in_days"]);
        // Regression (e2e/tests/hostile.test.mjs): a NUL in the order id was stored.
        let err = block_on(create(&m, request("10\u{0}01"), SECRET, "x", NOW)).unwrap_err();
        assert!(
            matches!(&err, ServiceError::Invalid(e) if e[0].field == "order_id"),
            "{err:?}"
        );
        let mut unknown = request("1");
        unknown.survey_id = "s_nope".into();
        assert!(matches!(
            block_on(create(&m, unknown, SECRET, "x", NOW)),
            Err(ServiceError::NotFound(_))
        ));
    }
}
