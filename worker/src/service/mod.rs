//! The services: what the API does, written against the storage traits in `store`
//! (one `&impl Storage`, plus the queue where deliveries are queued), so that each is
//! tested natively on the real SQL over SQLite (`store::testing`). They neither log
//! nor read the environment; time comes in as an argument and ids from `new_id`.
//!
//! - `responses`: validate, store once, edit the comment, list — and raise events.
//! - `surveys`: survey definitions and the public widget config.
//! - `webhooks`: endpoints, and turning an event into one stored, queued delivery per
//!   endpoint.
//! - `deliveries`: attempts, retries, the dead letter, replay and the sweeper.
//! - `cron`: the jobs of the every-minute cron run, together within one invocation's
//!   D1 queries.
//! - `cases`: detractor cases — opening, owners, SLA, status changes, win-back.
//! - `invitations`: invitations kept server-side, their opaque tokens, links and e-mail HTML.
//! - `reports`: the survey report (NPS with margin, trend, segments, themes).
//! - `respondents`: GDPR export and erase of one respondent's data.
//! - `scrub`: the erase's part in the campaign lists — a pending erasure, and the
//!   lists scrubbed of the person in steps through the JOBS queue.
//! - `limits`: rate limits per client and survey, and on failed admin authentication.
//! - `api_keys`: scoped API keys — create (secret shown once), list, revoke, and
//!   the principal of a key's secret.
//! - `audit`: the audit log of admin changes, its list and its retention.
//! - `exports`: export jobs written in chunks within the D1 query budget, and the
//!   bound of the one-request CSV export.
//! - `page`: page sizes and cursors of the lists.
//! - `connectors`: shop connectors (Shopify, WooCommerce, generic) and their
//!   receiver: a shop's signed webhook becomes an invitation, once.
//! - `campaigns`: relationship surveys — customer lists kept in R2, runs turned into
//!   invitations chunk by chunk through the JOBS queue, throttled per person.
//! - `mail`: the invitation e-mails the worker sends (a queue job like deliveries),
//!   unsubscribe, the providers' bounces and complaints, the send log, suppressions.
//! - `archive`: retention — answers past it archived to R2 and deleted, parts listed
//!   and read back.

pub mod actions;
pub mod api_keys;
pub mod archive;
pub mod audit;
pub mod campaigns;
pub mod cases;
pub mod coaching;
pub mod connectors;
pub mod cron;
pub mod deliveries;
pub mod exports;
pub mod invitations;
pub mod limits;
pub mod mail;
pub mod page;
pub mod reports;
pub mod respondents;
pub mod responses;
pub mod scrub;
pub mod surveys;
pub mod webhooks;

use crate::store::StoreError;
use nps_shared::api::SurveyView;
use nps_shared::validate::FieldError;

/// A write that was made, and what failed after it. The write stands either way —
/// an answer, a comment, a case change, a replay, a released invitation is stored — while a follow-up (queueing its
/// webhooks, updating the customer's other cases) may have failed; deliveries whose
/// queue message was not sent are found by the cron sweeper. The edge logs
/// `failed_follow_ups`; the client gets its success.
#[derive(Debug)]
pub struct Done<T> {
    pub value: T,
    pub failed_follow_ups: Vec<StoreError>,
}

impl<T> std::ops::Deref for Done<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T> Done<T> {
    pub fn new(value: T) -> Self {
        Done {
            value,
            failed_follow_ups: Vec::new(),
        }
    }

    /// With `result`'s error as a failed follow-up, if it failed.
    pub fn unless<E: Into<StoreError>>(mut self, result: Result<impl Sized, E>) -> Self {
        if let Err(e) = result {
            self.failed_follow_ups.push(e.into());
        }
        self
    }
}

/// Why a service said no. `error.rs` turns each into its problem+json status.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("{0} not found")]
    NotFound(String),
    #[error("origin {origin} may not use survey {survey_id}")]
    OriginNotAllowed { origin: String, survey_id: String },
    #[error("{} invalid field(s)", .0.len())]
    Invalid(Vec<FieldError>),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{detail}")]
    TooManyRequests {
        detail: String,
        retry_after_seconds: u32,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ServiceError {
    pub fn invalid(field: &str, message: &str) -> Self {
        ServiceError::Invalid(vec![FieldError::new(field, message)])
    }
}

/// Random bytes from the platform (`crypto.getRandomValues` on Workers).
pub fn random<const N: usize>() -> Result<[u8; N], StoreError> {
    let mut bytes = [0u8; N];
    getrandom::getrandom(&mut bytes).map_err(|e| StoreError(format!("no randomness: {e}")))?;
    Ok(bytes)
}

/// A new time-ordered id with `prefix`, e.g. `r_01jd…`.
pub fn new_id(prefix: &str, now_ms: i64) -> Result<String, StoreError> {
    Ok(nps_shared::ids::new_id(
        prefix,
        now_ms.max(0) as u64,
        random()?,
    ))
}

/// Browsers must come from an origin the survey allows; requests without `Origin`
/// (servers, curl) are not subject to CORS and pass.
pub fn check_origin(survey: &SurveyView, origin: Option<&str>) -> Result<(), ServiceError> {
    match origin {
        Some(origin)
            if !nps_shared::origin::is_allowed(&survey.definition.allowed_origins, origin) =>
        {
            Err(ServiceError::OriginNotAllowed {
                origin: origin.to_string(),
                survey_id: survey.id.clone(),
            })
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
pub(crate) mod fixtures {
    //! A demo survey like the seeded one, and an answer stored the way the widget stores
    //! it, for the services' tests.
    use crate::store::testing::TestStore;
    use nps_shared::api::{ResponseCreated, SurveyDefinition, SurveyView};

    /// The shop's `IDENTITY_SECRET` in the services' tests.
    pub const IDENTITY_SECRET: &[u8] = b"a shop's identity secret";

    /// `body` stored through `responses::submit` at `now_ms` (no key, origin, user agent
    /// or invitation secret), with everything it sets off (case, deliveries), as a shop
    /// page with identity verification sends it: the `user_hash` of its respondent
    /// added (`nps_shared::identity`), so the respondent is verified.
    pub fn answer(m: &TestStore, body: &serde_json::Value, now_ms: i64) -> ResponseCreated {
        let mut body = body.clone();
        if let Some(respondent) = body.get_mut("respondent").and_then(|r| r.as_object_mut()) {
            let subject = respondent
                .get("id")
                .or_else(|| respondent.get("email"))
                .and_then(|s| s.as_str())
                .map(|s| nps_shared::identity::user_hash(IDENTITY_SECRET, s));
            if let Some(hash) = subject {
                respondent.entry("user_hash").or_insert(hash.into());
            }
        }
        let submission = super::responses::Submission {
            identity_secret: Some(IDENTITY_SECRET),
            ..super::responses::Submission::new(&body)
        };
        pollster::block_on(super::responses::submit(m, m, &submission, now_ms))
            .expect("a valid test answer")
            .value
            .created
    }

    /// `body` stored as a page without identity verification sends it: its respondent
    /// (if any) is an unproven claim.
    pub fn answer_unverified(
        m: &TestStore,
        body: &serde_json::Value,
        now_ms: i64,
    ) -> ResponseCreated {
        let submission = super::responses::Submission {
            identity_secret: Some(IDENTITY_SECRET),
            ..super::responses::Submission::new(body)
        };
        pollster::block_on(super::responses::submit(m, m, &submission, now_ms))
            .expect("a valid test answer")
            .value
            .created
    }

    /// `comment` added to the answer `created` through `responses::add_comment`.
    pub fn comment(m: &TestStore, created: &ResponseCreated, comment: &str, now_ms: i64) {
        let body = serde_json::json!({"edit_token": created.edit_token, "comment": comment});
        pollster::block_on(super::responses::add_comment(
            m,
            m,
            &created.id,
            &body,
            None,
            now_ms,
        ))
        .expect("a valid test comment");
    }

    pub fn demo_survey() -> SurveyView {
        let definition: SurveyDefinition = serde_json::from_value(serde_json::json!({
            "name": "Demo shop",
            "default_locale": "en",
            "texts": {
                "en": {
                    "question": "How likely are you to recommend us?", "thanks": "Thank you!",
                    "low_label": "Not likely", "high_label": "Very likely",
                    "comment_placeholder": "Your answer", "submit": "Send", "dismiss": "Close",
                    "follow_up": {"detractor": "What went wrong?", "passive": "What was missing?", "promoter": "What did you like?"}
                },
                "de": {
                    "question": "Wie wahrscheinlich empfehlen Sie uns?", "thanks": "Danke!",
                    "low_label": "Unwahrscheinlich", "high_label": "Sehr wahrscheinlich",
                    "comment_placeholder": "Ihre Antwort", "submit": "Senden", "dismiss": "Schließen",
                    "follow_up": {"detractor": "Was lief schief?", "passive": "Was fehlte?", "promoter": "Was hat gefallen?"}
                }
            },
            "allowed_origins": ["http://localhost:*", "https://shop.example"]
        }))
        .expect("fixture is valid");
        SurveyView {
            id: "s_demo".into(),
            definition,
            created_at: "2026-11-01T00:00:00.000Z".into(),
            updated_at: "2026-11-01T00:00:00.000Z".into(),
        }
    }
}
