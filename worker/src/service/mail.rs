//! The invitation e-mails the worker sends itself (issue 16), as a queue job with the
//! webhook deliveries' rules: a send is stored with its invitation's release
//! ([`plan`], called by `invitations::release`) and queued after; each queue message
//! reads it ([`prepare`]: one query, then the survey), the platform sends the
//! provider request (`crate::mailer`), and [`settle`] logs the outcome on the row —
//! `sent` with the provider's message id; a failure retried on the webhook retry
//! schedule, `failed` and dead-lettered after its last attempt; a refusal that can
//! never succeed (Postmark's inactive recipient) failed at once, suppressing the
//! address when the provider says it is dead. An address suppressed when the invitation
//! is released, or by the time its message comes, is not mailed (`suppressed`).
//!
//! Also: the unsubscribe link and RFC 8058 one-click ([`unsubscribe`]), the providers'
//! bounce and complaint webhooks ([`provider_event`]), the send log and the
//! suppression list, and the cron's sweep of sends whose queue message was lost.
//!
//! A survey that mails still announces `invitation.due` to the endpoints that want it
//! (for the shop's records); the shop must then not mail it as well.

use super::deliveries::Step;
use super::{ServiceError, new_id};
use crate::store::{
    DeliveryQueue, DeliveryTask, MailRecipient, MailStore, StoreError, SurveyStore,
};
use nps_shared::api::{Invitation, Page, SurveyView};
use nps_shared::mail::{self, Invite, ProviderEvent, ProviderRequest, SendResult};
use nps_shared::mail_settings::{
    MailProvider, MailSendView, MailStatus, SuppressionReason, SuppressionView,
};
use nps_shared::time::rfc3339;
use nps_shared::validate::normalize_email;
use nps_shared::webhook::RetrySchedule;

/// A pending send this long past its due time lost its queue message.
pub const OVERDUE_AFTER_MS: i64 = super::deliveries::OVERDUE_AFTER_MS;
/// Overdue sends one sweep re-queues at most (one query a sweep).
pub const SWEPT_PER_RUN: u32 = 100;
/// A message may arrive this much before the time it was scheduled for.
const EARLY_TOLERANCE_MS: i64 = 2000;
/// How much of a provider's error is kept on the row.
const ERROR_LIMIT: usize = 500;

/// What the worker needs to send: the secret the unsubscribe tokens are signed with
/// (`INVITATION_SECRET`), each provider's API key and base URL.
#[derive(Clone, Debug, Default)]
pub struct MailConfig {
    pub secret: Option<Vec<u8>>,
    pub postmark_token: Option<String>,
    pub resend_key: Option<String>,
    /// `POSTMARK_API_URL`, else the documented one.
    pub postmark_url: Option<String>,
    /// `RESEND_API_URL`, else the documented one.
    pub resend_url: Option<String>,
}

impl MailConfig {
    fn key(&self, provider: MailProvider) -> Option<&str> {
        match provider {
            MailProvider::Postmark => self.postmark_token.as_deref(),
            MailProvider::Resend => self.resend_key.as_deref(),
        }
    }

    fn base_url(&self, provider: MailProvider) -> &str {
        match provider {
            MailProvider::Postmark => self.postmark_url.as_deref(),
            MailProvider::Resend => self.resend_url.as_deref(),
        }
        .unwrap_or(mail::default_base_url(provider))
    }
}

/// The send an invitation being released gets, if its survey mails and it has an
/// address: pending and due now, or `suppressed` (never sent) for a suppressed address.
pub fn plan(
    survey: &SurveyView,
    invitation: &Invitation,
    recipient: Option<&MailRecipient>,
    now_ms: i64,
) -> Result<Option<MailSendView>, StoreError> {
    let (Some(settings), Some(recipient)) = (&survey.definition.mail, recipient) else {
        return Ok(None);
    };
    let now = rfc3339(now_ms);
    Ok(Some(MailSendView {
        id: new_id("ml_", now_ms)?,
        invitation_id: invitation.id.clone(),
        survey_id: survey.id.clone(),
        campaign_id: recipient.campaign_id.clone(),
        email: normalize_email(&recipient.email),
        provider: settings.provider,
        status: if recipient.suppressed {
            MailStatus::Suppressed
        } else {
            MailStatus::Pending
        },
        attempts: 0,
        next_attempt_at: (!recipient.suppressed).then(|| now.clone()),
        provider_message_id: None,
        last_error: None,
        created_at: now.clone(),
        updated_at: now,
    }))
}

/// Queues the pending ones of these sends for their first attempt.
pub async fn enqueue(
    queue: &impl DeliveryQueue,
    sends: &[&MailSendView],
) -> Result<usize, StoreError> {
    let tasks: Vec<DeliveryTask> = sends
        .iter()
        .filter(|s| s.status == MailStatus::Pending)
        .map(|s| DeliveryTask {
            delivery_id: s.id.clone(),
        })
        .collect();
    if !tasks.is_empty() {
        queue.enqueue(&tasks, 0).await?;
    }
    Ok(tasks.len())
}

/// Whether a queue message carries an e-mail send rather than a webhook delivery:
/// both travel as a [`DeliveryTask`], told apart by the id's prefix, so messages
/// queued before e-mail existed decode as they did.
pub fn is_mail_task(task: &DeliveryTask) -> bool {
    task.delivery_id.starts_with("ml_")
}

/// What a queue message asks for, once D1 has been read.
#[derive(Debug)]
pub enum Prepared {
    /// Nothing to do (already settled, unknown, or a duplicate message): ack it.
    Skip(&'static str),
    /// Settle without sending: the outcome is already known.
    Settle(Box<MailSendView>, Attempt),
    /// Send this request, then settle with what the provider answered.
    Send(Box<MailSendView>, ProviderRequest),
}

/// How a send went (or why it was not made).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Attempt {
    /// The provider answered.
    Answered(SendResult),
    /// No answer (network, timeout): retried.
    NoAnswer(String),
    /// The address is suppressed: not sent, never will be.
    Suppressed,
    /// Cannot be sent (the invitation was erased, the survey stopped mailing).
    Impossible(String),
}

/// Reads the send, its invitation and its survey, and builds the provider request.
pub async fn prepare(
    store: &(impl MailStore + SurveyStore),
    config: &MailConfig,
    id: &str,
    now_ms: i64,
) -> Result<Prepared, StoreError> {
    let Some(job) = store.mail_job(id).await? else {
        return Ok(Prepared::Skip("no such send"));
    };
    let send = Box::new(job.send);
    if send.status != MailStatus::Pending {
        return Ok(Prepared::Skip("already settled"));
    }
    if send
        .next_attempt_at
        .as_deref()
        .is_some_and(|due| due > rfc3339(now_ms + EARLY_TOLERANCE_MS).as_str())
    {
        return Ok(Prepared::Skip("not due yet (a duplicate message)"));
    }
    if job.suppressed.is_some() {
        return Ok(Prepared::Settle(send, Attempt::Suppressed));
    }
    let (Some(invitation), Some(email)) = (job.invitation, job.email) else {
        let why = "the invitation or its address was erased".to_string();
        return Ok(Prepared::Settle(send, Attempt::Impossible(why)));
    };
    let survey = store.get_survey(&send.survey_id).await?;
    let Some((survey, settings)) = survey
        .as_ref()
        .and_then(|s| s.definition.mail.as_ref().map(|m| (s, m)))
    else {
        let why = "the survey was deleted or no longer mails".to_string();
        return Ok(Prepared::Settle(send, Attempt::Impossible(why)));
    };
    let (Some(secret), Some(key)) = (config.secret.as_deref(), config.key(send.provider)) else {
        // The operator may still set it: retried like an outage.
        let why = format!(
            "{} or INVITATION_SECRET is not configured",
            mail::key_secret(send.provider)
        );
        return Ok(Prepared::Settle(send, Attempt::NoAnswer(why)));
    };
    let d = &survey.definition;
    let locale = link_locale(&invitation.url).unwrap_or(&d.default_locale);
    let Some(texts) = d
        .texts
        .get(locale)
        .or_else(|| d.texts.get(&d.default_locale))
    else {
        let why = format!("survey {} has no texts in {locale}", survey.id);
        return Ok(Prepared::Settle(send, Attempt::Impossible(why)));
    };
    let unsubscribe_url = format!(
        "{}/u/{}",
        link_base(&invitation.url, &survey.id),
        mail::unsubscribe_token(secret, &send.id)
    );
    let message = mail::compose(
        settings,
        &Invite {
            brand: &d.name,
            locale,
            texts,
            accent: &d.theme.accent,
            url: &invitation.url,
            unsubscribe_url: &unsubscribe_url,
            to: &email,
        },
    );
    let request = mail::request(
        send.provider,
        config.base_url(send.provider),
        key,
        &message,
        &send.id,
    );
    Ok(Prepared::Send(send, request))
}

/// The language an invitation link asks in (`…&locale=de`).
fn link_locale(url: &str) -> Option<&str> {
    let query = url.split_once('?')?.1;
    query
        .split('&')
        .find_map(|pair| pair.strip_prefix("locale="))
        .filter(|l| nps_shared::locale::is_valid_tag(l))
}

/// Where the worker answers, as the invitation link was made: everything before
/// `/s/{survey}`.
fn link_base<'a>(url: &'a str, survey_id: &str) -> &'a str {
    url.rfind(&format!("/s/{survey_id}"))
        .map_or(url, |at| &url[..at])
}

fn truncate(text: &str) -> String {
    text.chars().take(ERROR_LIMIT).collect()
}

/// Logs the attempt on the send, moves it on, and queues what comes next (the retry,
/// or the dead letter).
pub async fn settle(
    store: &impl MailStore,
    queue: &impl DeliveryQueue,
    mut send: MailSendView,
    attempt: Attempt,
    schedule: &RetrySchedule,
    jitter: u8,
    now_ms: i64,
) -> Result<Step, StoreError> {
    let now = rfc3339(now_ms);
    let retry = |error: String| match schedule.delay_after(send.attempts + 1, jitter) {
        Some(seconds) => (Step::RetryIn(seconds), MailStatus::Pending, Some(error)),
        None => (Step::GiveUp, MailStatus::Failed, Some(error)),
    };
    let mut suppress = None;
    let (step, status, error) = match attempt {
        Attempt::Answered(SendResult::Sent(message_id)) => {
            send.provider_message_id = Some(message_id).filter(|m| !m.is_empty());
            (Step::Done, MailStatus::Sent, None)
        }
        Attempt::Answered(SendResult::Retry(error)) | Attempt::NoAnswer(error) => retry(error),
        Attempt::Answered(SendResult::Rejected { error, suppress: s }) => {
            suppress = s;
            let status = match s {
                Some(SuppressionReason::Bounced) => MailStatus::Bounced,
                Some(SuppressionReason::Complained) => MailStatus::Complained,
                _ => MailStatus::Failed,
            };
            (Step::GiveUp, status, Some(error))
        }
        Attempt::Suppressed => (Step::Done, MailStatus::Suppressed, None),
        Attempt::Impossible(why) => (Step::GiveUp, MailStatus::Failed, Some(why)),
    };
    // A suppressed send was never attempted.
    if status != MailStatus::Suppressed {
        send.attempts += 1;
    }
    send.status = status;
    send.last_error = error.map(|e| truncate(&e));
    send.next_attempt_at = match step {
        Step::RetryIn(seconds) => Some(rfc3339(now_ms + i64::from(seconds) * 1000)),
        Step::Done | Step::GiveUp => None,
    };
    send.updated_at = now.clone();
    let suppression = suppress.map(|reason| SuppressionView {
        email: send.email.clone(),
        reason,
        source: send.provider.as_str().into(),
        created_at: now,
    });
    store.settle_mail_send(&send, suppression.as_ref()).await?;
    let task = DeliveryTask {
        delivery_id: send.id.clone(),
    };
    match step {
        Step::RetryIn(seconds) => queue.enqueue(std::slice::from_ref(&task), seconds).await?,
        Step::GiveUp => queue.dead_letter(&task).await?,
        Step::Done => {}
    }
    Ok(step)
}

/// The cron sweeper: re-queues pending sends whose message never came, at most
/// [`SWEPT_PER_RUN`] a run, in one query.
pub async fn requeue_overdue(
    store: &impl MailStore,
    queue: &impl DeliveryQueue,
    now_ms: i64,
) -> Result<usize, StoreError> {
    let ids = store
        .overdue_mail_sends(&rfc3339(now_ms - OVERDUE_AFTER_MS), SWEPT_PER_RUN)
        .await?;
    let tasks: Vec<DeliveryTask> = ids
        .into_iter()
        .map(|delivery_id| DeliveryTask { delivery_id })
        .collect();
    if !tasks.is_empty() {
        queue.enqueue(&tasks, 0).await?;
    }
    Ok(tasks.len())
}

/// `POST /u/{token}` (the link's confirm button, or a mail client's RFC 8058
/// one-click): the address of the send the token names gets no survey e-mail from
/// any survey again. The language of the page after it. Idempotent; a token whose
/// send is gone (its respondent erased) is 404, a forged one 403.
pub async fn unsubscribe(
    store: &(impl MailStore + SurveyStore),
    secret: &[u8],
    token: &str,
    source: &str,
    now_ms: i64,
) -> Result<String, ServiceError> {
    let (send, locale) = unsubscribe_target(store, secret, token).await?;
    let suppression = SuppressionView {
        email: send.email.clone(),
        reason: SuppressionReason::Unsubscribed,
        source: source.into(),
        created_at: rfc3339(now_ms),
    };
    store
        .suppress(&suppression, None, MailStatus::Suppressed)
        .await?;
    Ok(locale)
}

/// `GET /u/{token}`: the language the confirm page asks in (the token checked).
pub async fn unsubscribe_locale(
    store: &(impl MailStore + SurveyStore),
    secret: &[u8],
    token: &str,
) -> Result<String, ServiceError> {
    Ok(unsubscribe_target(store, secret, token).await?.1)
}

async fn unsubscribe_target(
    store: &(impl MailStore + SurveyStore),
    secret: &[u8],
    token: &str,
) -> Result<(MailSendView, String), ServiceError> {
    let id = mail::read_unsubscribe_token(secret, token)
        .ok_or_else(|| ServiceError::Forbidden("this unsubscribe link is not genuine".into()))?;
    let job = store
        .mail_job(&id)
        .await?
        .ok_or_else(|| ServiceError::NotFound("this e-mail".into()))?;
    let locale = job
        .invitation
        .as_ref()
        .and_then(|i| link_locale(&i.url))
        .unwrap_or("en")
        .to_string();
    Ok((job.send, locale))
}

/// A provider's bounce or complaint: the address is suppressed for every survey, and
/// the send the provider's message id names is marked.
pub async fn provider_event(
    store: &impl MailStore,
    provider: MailProvider,
    event: &ProviderEvent,
    now_ms: i64,
) -> Result<(), ServiceError> {
    let email = normalize_email(&event.email);
    if !nps_shared::validate::is_email(&email) {
        return Err(ServiceError::invalid("Email", "must be an e-mail address"));
    }
    let suppression = SuppressionView {
        email,
        reason: event.reason,
        source: provider.as_str().into(),
        created_at: rfc3339(now_ms),
    };
    let status = match event.reason {
        SuppressionReason::Complained => MailStatus::Complained,
        _ => MailStatus::Bounced,
    };
    let message = event
        .provider_message_id
        .as_deref()
        .filter(|m| !m.is_empty())
        .map(|m| (provider, m));
    store.suppress(&suppression, message, status).await?;
    Ok(())
}

/// `GET /v1/mail-sends`: the send log, newest first.
pub async fn list_sends(
    store: &impl MailStore,
    survey_id: Option<&str>,
    status: Option<&str>,
    cursor: Option<&str>,
    limit: Option<&str>,
) -> Result<Page<MailSendView>, ServiceError> {
    let limit = super::page::parse_limit(limit)?;
    let status = match status {
        None => None,
        Some(s) => Some(MailStatus::parse(s).ok_or_else(|| {
            ServiceError::invalid(
                "status",
                "must be pending, sent, failed, suppressed, bounced or complained",
            )
        })?),
    };
    if survey_id.is_some_and(|s| !nps_shared::validate::is_survey_id(s)) {
        return Err(ServiceError::invalid(
            "survey_id",
            "must be a survey id like \"s_demo\"",
        ));
    }
    if cursor.is_some_and(|c| !nps_shared::ids::is_id("ml_", c)) {
        return Err(ServiceError::invalid(
            "cursor",
            "must be a next_cursor from an earlier page",
        ));
    }
    let mut items = store
        .list_mail_sends(survey_id, status, cursor, limit + 1)
        .await?;
    let next_cursor = super::page::cut(&mut items, limit, |s| s.id.clone());
    Ok(Page { items, next_cursor })
}

/// `GET /v1/suppressions`: by address.
pub async fn list_suppressions(
    store: &impl MailStore,
    cursor: Option<&str>,
    limit: Option<&str>,
) -> Result<Page<SuppressionView>, ServiceError> {
    let limit = super::page::parse_limit(limit)?;
    let mut items = store.list_suppressions(cursor, limit + 1).await?;
    let next_cursor = super::page::cut(&mut items, limit, |s| s.email.clone());
    Ok(Page { items, next_cursor })
}

/// `DELETE /v1/suppressions/{email}`: the address may be mailed again (an admin's
/// decision, e.g. after a mistaken bounce).
pub async fn lift(store: &impl MailStore, email: &str) -> Result<(), ServiceError> {
    let key = normalize_email(email);
    if store.lift_suppression(&key).await? {
        Ok(())
    } else {
        Err(ServiceError::NotFound(format!("suppression of {key}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::fixtures::demo_survey;
    use crate::service::invitations;
    use crate::store::InvitationStore;
    use crate::store::testing::TestStore;
    use nps_shared::mail_settings::MailSettings;
    use pollster::block_on;

    const NOW: i64 = 1_764_000_000_000;
    const SECRET: &[u8] = b"invitation secret";

    fn config() -> MailConfig {
        MailConfig {
            secret: Some(SECRET.to_vec()),
            postmark_token: Some("pm-token".into()),
            resend_key: Some("re_key".into()),
            postmark_url: Some("http://127.0.0.1:9/pm".into()),
            resend_url: None,
        }
    }

    /// The demo survey mailing through `provider`.
    fn mailing_store(provider: MailProvider) -> TestStore {
        let m = TestStore::default();
        let mut survey = demo_survey();
        survey.definition.mail = Some(MailSettings {
            provider,
            from_address: "nps@shop.example".into(),
            from_name: Some("Demo shop".into()),
            ..Default::default()
        });
        m.add_survey(survey);
        m
    }

    /// `n` invitations to `email` (or none), due a second ago.
    fn due(m: &TestStore, n: usize, email: Option<&str>) {
        for i in 0..n {
            let mut respondent = serde_json::json!({"id": format!("cust-{i}")});
            if let Some(email) = email {
                respondent["email"] = email.into();
            }
            let request = serde_json::from_value(serde_json::json!({
                "survey_id": "s_demo", "order_id": format!("o-{i}"), "locale": "de",
                "respondent": respondent, "send_after": rfc3339(NOW - 1000)
            }))
            .unwrap();
            block_on(invitations::create(
                m,
                request,
                SECRET,
                "https://nps.example",
                NOW - 60_000,
            ))
            .unwrap();
            m.reset_queries();
        }
    }

    fn queued_mail(m: &TestStore) -> Vec<String> {
        m.queue()
            .queued
            .borrow()
            .iter()
            .map(|(t, _)| t.delivery_id.clone())
            .filter(|id| id.starts_with("ml_"))
            .collect()
    }

    fn schedule() -> RetrySchedule {
        RetrySchedule::parse("10,20").unwrap()
    }

    #[test]
    fn a_due_invitation_of_a_mailing_survey_becomes_one_queued_send_in_the_release_write() {
        let m = mailing_store(MailProvider::Postmark);
        due(&m, 300, Some("Kim@Example.com"));
        let done = block_on(invitations::release_due(&m, &m, NOW)).unwrap();
        assert_eq!(done.value, invitations::RELEASED_PER_RUN as usize);
        // The due ones, the endpoints, the survey, the addresses; one write of the
        // sends and the releases.
        assert_eq!(m.queries(), 4 + 2);
        assert_eq!(m.count("mail_sends"), 100);
        assert_eq!(queued_mail(&m).len(), 100);
        let id = &queued_mail(&m)[0];
        let job = block_on(m.mail_job(id)).unwrap().unwrap();
        assert_eq!(job.send.email, "kim@example.com");
        assert_eq!(job.send.status, MailStatus::Pending);
        // The same whatever the backlog: a thousand more due cost the same.
        let large = mailing_store(MailProvider::Postmark);
        due(&large, 1_000, Some("kim@example.com"));
        block_on(invitations::release_due(&large, &large, NOW)).unwrap();
        assert_eq!(large.queries(), 6);
    }

    #[test]
    fn a_survey_without_mail_or_an_invitation_without_an_address_is_not_mailed() {
        let m = TestStore::default();
        m.add_survey(demo_survey());
        due(&m, 3, Some("kim@example.com"));
        block_on(invitations::release_due(&m, &m, NOW)).unwrap();
        assert_eq!(m.queries(), 4, "no read of addresses");
        assert_eq!(m.count("mail_sends"), 0);
        let m = mailing_store(MailProvider::Postmark);
        due(&m, 3, None);
        block_on(invitations::release_due(&m, &m, NOW)).unwrap();
        assert_eq!(m.count("mail_sends"), 0);
        assert!(queued_mail(&m).is_empty());
    }

    #[test]
    fn a_send_goes_out_as_the_provider_documents_and_is_logged_sent_with_its_message_id() {
        let m = mailing_store(MailProvider::Postmark);
        due(&m, 1, Some("kim@example.com"));
        block_on(invitations::release_due(&m, &m, NOW)).unwrap();
        let id = queued_mail(&m)[0].clone();
        m.reset_queries();
        let Prepared::Send(send, request) = block_on(prepare(&m, &config(), &id, NOW)).unwrap()
        else {
            panic!("expected a send")
        };
        assert_eq!(request.url, "http://127.0.0.1:9/pm/email");
        assert!(
            request
                .headers
                .contains(&("X-Postmark-Server-Token", "pm-token".into()))
        );
        let body: serde_json::Value = serde_json::from_str(&request.body).unwrap();
        assert_eq!(body["To"], "kim@example.com");
        assert_eq!(
            body["Subject"],
            "Wie waren wir? Eine kurze Frage von Demo shop"
        );
        let html = body["HtmlBody"].as_str().unwrap();
        assert!(html.contains("https://nps.example/s/s_demo?token=v2.inv_"));
        let unsubscribe = body["Headers"][0]["Value"].as_str().unwrap();
        assert!(
            unsubscribe.starts_with("<https://nps.example/u/ml_"),
            "{unsubscribe}"
        );
        let token = unsubscribe
            .trim_start_matches("<https://nps.example/u/")
            .trim_end_matches('>');
        assert_eq!(
            mail::read_unsubscribe_token(SECRET, token).as_deref(),
            Some(id.as_str())
        );
        let answered = Attempt::Answered(SendResult::Sent("pm-1".into()));
        let step = block_on(settle(&m, &m, *send, answered, &schedule(), 128, NOW)).unwrap();
        assert_eq!(step, Step::Done);
        assert!(m.queries() <= super::super::deliveries::QUERIES_PER_MESSAGE);
        let job = block_on(m.mail_job(&id)).unwrap().unwrap();
        assert_eq!(job.send.status, MailStatus::Sent);
        assert_eq!(job.send.provider_message_id.as_deref(), Some("pm-1"));
        assert_eq!(job.send.attempts, 1);
        assert!(matches!(
            block_on(prepare(&m, &config(), &id, NOW)).unwrap(),
            Prepared::Skip("already settled")
        ));
    }

    #[test]
    fn a_failing_provider_is_retried_on_the_schedule_then_failed_and_dead_lettered() {
        let m = mailing_store(MailProvider::Resend);
        due(&m, 1, Some("kim@example.com"));
        block_on(invitations::release_due(&m, &m, NOW)).unwrap();
        let id = queued_mail(&m)[0].clone();
        let mut at = NOW;
        let mut steps = Vec::new();
        while let Prepared::Send(send, _) = block_on(prepare(&m, &config(), &id, at)).unwrap() {
            let down = Attempt::Answered(SendResult::Retry("503 down".into()));
            steps.push(block_on(settle(&m, &m, *send, down, &schedule(), 128, at)).unwrap());
            at += 60_000;
        }
        assert_eq!(steps, [Step::RetryIn(10), Step::RetryIn(20), Step::GiveUp]);
        let job = block_on(m.mail_job(&id)).unwrap().unwrap();
        assert_eq!(job.send.status, MailStatus::Failed);
        assert_eq!(job.send.last_error.as_deref(), Some("503 down"));
        assert_eq!(m.queue().dead.borrow()[0].delivery_id, id);
    }

    #[test]
    fn an_inactive_recipient_fails_at_once_and_suppresses_the_address_for_every_survey() {
        let m = mailing_store(MailProvider::Postmark);
        due(&m, 2, Some("kim@example.com"));
        let done = block_on(invitations::release(
            &m,
            &m,
            &block_on(m.due_invitations(&rfc3339(NOW), 1)).unwrap(),
            NOW,
        ))
        .unwrap();
        assert_eq!(done.value, 1);
        let id = queued_mail(&m)[0].clone();
        m.reset_queries();
        let Prepared::Send(send, _) = block_on(prepare(&m, &config(), &id, NOW)).unwrap() else {
            panic!("expected a send")
        };
        let refused = Attempt::Answered(mail::read_response(
            MailProvider::Postmark,
            422,
            r#"{"ErrorCode":406,"Message":"inactive"}"#,
        ));
        let step = block_on(settle(&m, &m, *send, refused, &schedule(), 128, NOW)).unwrap();
        assert_eq!(step, Step::GiveUp);
        // The send and its survey read, the send and the suppression written: the
        // most a message costs, within what the deliveries' batch size allows.
        assert_eq!(m.queries(), super::super::deliveries::QUERIES_PER_MESSAGE);
        assert_eq!(
            block_on(m.mail_job(&id)).unwrap().unwrap().send.status,
            MailStatus::Bounced
        );
        // The next invitation to the address is stored suppressed and not queued.
        let before = queued_mail(&m).len();
        block_on(invitations::release_due(&m, &m, NOW)).unwrap();
        assert_eq!(queued_mail(&m).len(), before);
        let log = block_on(list_sends(
            &m,
            Some("s_demo"),
            Some("suppressed"),
            None,
            None,
        ))
        .unwrap();
        assert_eq!(log.items.len(), 1);
        assert_eq!(log.items[0].attempts, 0);
    }

    #[test]
    fn one_click_unsubscribe_suppresses_the_address_and_a_queued_send_is_then_not_sent() {
        let m = mailing_store(MailProvider::Postmark);
        due(&m, 2, Some("Kim@example.com"));
        block_on(invitations::release_due(&m, &m, NOW)).unwrap();
        let ids = queued_mail(&m);
        let token = mail::unsubscribe_token(SECRET, &ids[0]);
        assert_eq!(
            block_on(unsubscribe_locale(&m, SECRET, &token)).unwrap(),
            "de"
        );
        m.reset_queries();
        block_on(unsubscribe(&m, SECRET, &token, "one-click", NOW)).unwrap();
        assert_eq!(m.queries(), 2, "the send, the suppression");
        block_on(unsubscribe(&m, SECRET, &token, "one-click", NOW)).unwrap();
        let Prepared::Settle(send, Attempt::Suppressed) =
            block_on(prepare(&m, &config(), &ids[1], NOW)).unwrap()
        else {
            panic!("a suppressed address is not mailed")
        };
        block_on(settle(
            &m,
            &m,
            *send,
            Attempt::Suppressed,
            &schedule(),
            0,
            NOW,
        ))
        .unwrap();
        let sent = block_on(m.mail_job(&ids[1])).unwrap().unwrap().send;
        assert_eq!((sent.status, sent.attempts), (MailStatus::Suppressed, 0));
        let list = block_on(list_suppressions(&m, None, None)).unwrap();
        assert_eq!(list.items.len(), 1);
        assert_eq!(list.items[0].email, "kim@example.com");
        assert_eq!(list.items[0].reason, SuppressionReason::Unsubscribed);
        assert!(matches!(
            block_on(unsubscribe(&m, b"forged", &token, "link", NOW)),
            Err(ServiceError::Forbidden(_))
        ));
        block_on(lift(&m, "KIM@example.com")).unwrap();
        assert!(matches!(
            block_on(lift(&m, "kim@example.com")),
            Err(ServiceError::NotFound(_))
        ));
    }

    #[test]
    fn a_provider_bounce_suppresses_and_marks_the_send_it_names() {
        let m = mailing_store(MailProvider::Postmark);
        due(&m, 1, Some("kim@example.com"));
        block_on(invitations::release_due(&m, &m, NOW)).unwrap();
        let id = queued_mail(&m)[0].clone();
        let Prepared::Send(send, _) = block_on(prepare(&m, &config(), &id, NOW)).unwrap() else {
            panic!("expected a send")
        };
        let ok = Attempt::Answered(SendResult::Sent("pm-9".into()));
        block_on(settle(&m, &m, *send, ok, &schedule(), 0, NOW)).unwrap();
        let event = mail::read_postmark_event(&serde_json::json!({
            "RecordType": "Bounce", "Type": "HardBounce", "MessageID": "pm-9", "Email": "KIM@example.com"
        }))
        .unwrap();
        block_on(provider_event(&m, MailProvider::Postmark, &event, NOW)).unwrap();
        assert_eq!(
            block_on(m.mail_job(&id)).unwrap().unwrap().send.status,
            MailStatus::Bounced
        );
        let list = block_on(list_suppressions(&m, None, None)).unwrap();
        assert_eq!(list.items[0].reason, SuppressionReason::Bounced);
        assert_eq!(list.items[0].source, "postmark");
    }

    #[test]
    fn the_sweeper_requeues_sends_whose_message_was_lost_a_hundred_a_run() {
        let m = mailing_store(MailProvider::Postmark);
        due(&m, 150, Some("kim@example.com"));
        block_on(invitations::release_due(&m, &m, NOW)).unwrap();
        block_on(invitations::release_due(&m, &m, NOW)).unwrap();
        m.queue().queued.borrow_mut().clear();
        m.reset_queries();
        let later = NOW + OVERDUE_AFTER_MS + 1000;
        assert_eq!(block_on(requeue_overdue(&m, &m, later)).unwrap(), 100);
        assert_eq!(m.queries(), 1);
        assert_eq!(block_on(requeue_overdue(&m, &m, NOW)).unwrap(), 0);
    }

    #[test]
    fn a_respondents_export_holds_their_e_mails_and_erasing_them_keeps_the_suppression() {
        let m = mailing_store(MailProvider::Postmark);
        due(&m, 2, Some("Kim@example.com"));
        block_on(invitations::release_due(&m, &m, NOW)).unwrap();
        let token = mail::unsubscribe_token(SECRET, &queued_mail(&m)[0]);
        block_on(unsubscribe(&m, SECRET, &token, "one-click", NOW)).unwrap();
        let exported = block_on(crate::service::respondents::export(
            &m,
            "kim@example.com",
            NOW,
        ))
        .unwrap();
        assert_eq!(exported.mail_sends.len(), 2);
        let by_id = block_on(crate::service::respondents::export(&m, "cust-0", NOW)).unwrap();
        assert_eq!(by_id.mail_sends.len(), 1);
        let erased = block_on(crate::service::respondents::erase(
            &m,
            &m,
            "KIM@example.com",
            Some(b"s"),
            0,
        ))
        .unwrap();
        assert_eq!(erased.mail_sends, 2);
        assert_eq!(m.count("mail_sends"), 0);
        assert_eq!(
            m.count("suppressions"),
            1,
            "what keeps them from being mailed again"
        );
    }

    #[test]
    fn the_send_log_refuses_an_unknown_status() {
        let m = mailing_store(MailProvider::Postmark);
        assert!(matches!(
            block_on(list_sends(&m, None, Some("lost"), None, None)),
            Err(ServiceError::Invalid(_))
        ));
    }
}
