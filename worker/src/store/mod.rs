//! What the services need from storage, as small traits gathered under one
//! [`Storage`], and the records they store.
//!
//! - `db`: the statement interface (prepare, bind, first, all, batch) the SQL runs on;
//!   `d1` implements it for D1 in the worker, `sqlite` for bundled SQLite in native
//!   tests (with fault injection), on the real `worker/migrations/`.
//! - `sql`: every storage trait in SQL, once, one module per table.
//! - `metered`: counts the statements of one invocation against D1's per-invocation
//!   query limit, and refuses the one past it.
//! - `kv`: the KV cache of survey definitions in front of `surveys` (hot config), and
//!   the isolate's short memory of survey ids the database does not have.
//! - `limiter`: the Workers Rate Limiting binding, behind [`FloodLimiter`].
//! - `queue`: the Cloudflare Queues: webhook deliveries behind [`DeliveryQueue`], export
//!   chunks behind [`JobQueue`].
//! - `r2`: the R2 bucket of answer archives (gzip by the runtime, behind
//!   [`ArchiveBucket`]) and export chunks (behind [`ObjectStore`]).
//! - `sql::actions`, `sql::coaching`: action plans and their impact, the coaching
//!   view's aggregates.
//! - `campaigns`: relationship surveys — their records, the throttle's read, a run's
//!   chunk writes and queue messages (SQL in `sql::campaigns`).
//! - `sql::mail`: the invitation e-mails (`mail_sends`) and the suppression list.
//! - `testing`: the native tests' storage (SQLite) and a recording queue.
//!
//! Worker futures are not `Send`, so neither are these.
#![allow(async_fn_in_trait)]

pub mod campaigns;
pub mod d1;
pub mod db;
pub mod kv;
pub mod limiter;
pub mod metered;
pub mod queue;
pub mod r2;
pub mod sql;
#[cfg(test)]
pub mod sqlite;
#[cfg(test)]
pub mod testing;

use nps_shared::Category;
use nps_shared::api::{
    AttemptView, DeliveryStatus, DeliveryView, EventType, ResponseView, SurveyView, WebhookView,
};
use nps_shared::api::{Invitation, Respondent};
use nps_shared::case::{CaseStatus, CaseView};
use nps_shared::staff::{ApiKeyView, AuditAction, AuditEntry};
use serde::{Deserialize, Serialize};

/// Storage failed (D1, KV or the queue is down or refused the operation). The detail
/// is logged, never shown to clients.
#[derive(Debug, thiserror::Error)]
#[error("storage failed: {0}")]
pub struct StoreError(pub String);

/// Everything a service may need from storage, in one bound: a service takes one
/// `&impl Storage` (and the queue, where it queues deliveries), not one parameter per
/// table. [`sql::SqlStore`] is the one implementation.
pub trait Storage:
    SurveyStore
    + ResponseStore
    + CaseStore
    + WebhookStore
    + DeliveryStore
    + InvitationStore
    + RespondentStore
    + RateLimitStore
    + ApiKeyStore
    + AuditStore
    + ArchiveStore
    + ExportStore
    + ActionStore
    + CoachingStore
    + ConnectorStore
    + MailStore
{
}

impl<T> Storage for T where
    T: SurveyStore
        + ResponseStore
        + CaseStore
        + WebhookStore
        + DeliveryStore
        + InvitationStore
        + RespondentStore
        + RateLimitStore
        + ApiKeyStore
        + AuditStore
        + ArchiveStore
        + ExportStore
        + ActionStore
        + CoachingStore
        + ConnectorStore
        + MailStore
{
}

/// A cache of survey definitions in front of `surveys` (KV in the worker): read
/// first, written after every write. A cache that fails only costs speed; the
/// database stays the truth.
///
/// An entry old enough is read from the database again by one of its readers
/// ([`SurveyCache::claim_refresh`]), while the others go on being served from the cache.
/// It also remembers, briefly, the ids the database was asked for and did not have,
/// so that a made-up id asked for again does not reach the database again
/// ([`SurveyCache::known_absent`]); writing a survey forgets that it was absent.
pub trait SurveyCache {
    async fn get(&self, id: &str) -> Option<SurveyView>;
    async fn put(&self, survey: &SurveyView);
    /// Whether the entry `get` just returned for `id` is old enough to be read from the
    /// database again, and this caller is the one to do it (at most one a while per
    /// isolate): the caller then reads the database and puts what it finds.
    fn claim_refresh(&self, _id: &str) -> bool {
        false
    }
    /// Whether the database was asked for `id` lately and did not have it.
    fn known_absent(&self, _id: &str) -> bool {
        false
    }
    /// The database was asked for `id` and did not have it.
    fn absent(&self, _id: &str) {}
}

/// No cache: every read goes to the database (tests, tools).
#[derive(Clone, Copy, Debug, Default)]
pub struct NoCache;

impl SurveyCache for NoCache {
    async fn get(&self, _id: &str) -> Option<SurveyView> {
        None
    }
    async fn put(&self, _survey: &SurveyView) {}
}

impl From<worker::Error> for StoreError {
    fn from(e: worker::Error) -> Self {
        StoreError(e.to_string())
    }
}

impl From<serde_json::Error> for StoreError {
    fn from(e: serde_json::Error) -> Self {
        StoreError(format!("stored JSON did not decode: {e}"))
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// A stored answer with what only the server sees. Serialisable, as the worker hands
/// a prepared answer to its ingest gate (`gate`) as JSON.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StoredResponse {
    pub view: ResponseView,
    pub edit_token: String,
    pub idempotency_key: Option<String>,
    /// Fingerprint of the request that created it, to tell a retry from a reused key.
    pub fingerprint: Option<String>,
    /// The invitation (`inv_…`) it came through, if any.
    pub invitation_id: Option<String>,
    /// `nps_shared::identity::Verified::person_key` of the verified respondent (`None`
    /// when nobody was verified), for the per-person throttle.
    pub person_key: Option<String>,
}

/// A webhook endpoint with its signing secrets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    pub view: WebhookView,
    pub secret: String,
    /// The secret the last rotation replaced; it signs until
    /// `view.previous_secret_expires_at`.
    pub previous_secret: Option<String>,
}

impl Endpoint {
    /// The secrets a request sent at `now` (RFC 3339) is signed with: the current one,
    /// then the replaced one while its overlap lasts.
    pub fn signing_secrets(&self, now: &str) -> Vec<&str> {
        let previous = self
            .previous_secret
            .as_deref()
            .zip(self.view.previous_secret_expires_at.as_deref())
            .filter(|(_, ends)| nps_shared::webhook::still_signs(ends, now))
            .map(|(secret, _)| secret);
        std::iter::once(self.secret.as_str())
            .chain(previous)
            .collect()
    }
}

/// The queue message: "try this delivery now". Everything else is read from D1, so a
/// message lost, duplicated or replayed never changes what is sent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryTask {
    pub delivery_id: String,
}

/// One event for one endpoint, as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivery {
    /// `dl_…`, sent as `webhook-id` on every attempt so receivers can deduplicate.
    pub id: String,
    pub endpoint_id: String,
    pub event_type: EventType,
    /// The exact body; signed at send time with a fresh timestamp.
    pub payload: String,
    pub status: DeliveryStatus,
    /// Attempts made so far, over all rounds.
    pub attempts: u32,
    /// `attempts` when the current round began (0, or the count at the last replay):
    /// the retry schedule counts from here.
    pub round_start: u32,
    pub next_attempt_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl Delivery {
    /// 1 for the first attempt of the current round.
    pub fn attempt_in_round(&self) -> u32 {
        self.attempts - self.round_start + 1
    }

    pub fn view(&self, attempts: Vec<AttemptView>) -> DeliveryView {
        DeliveryView {
            id: self.id.clone(),
            endpoint_id: self.endpoint_id.clone(),
            event_type: self.event_type,
            status: self.status,
            next_attempt_at: self.next_attempt_at.clone(),
            created_at: self.created_at.clone(),
            updated_at: self.updated_at.clone(),
            payload: self.payload.clone(),
            attempts,
        }
    }
}

/// A detractor case with what only the server keeps: who the customer is, so that
/// their next answer shows on the case. `view.overdue` is recomputed on every read;
/// `view.comment` and `view.respondent` are not kept with the case but read with it
/// from the answer that opened it, so a comment added later shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredCase {
    pub view: CaseView,
    pub respondent: Respondent,
}

/// Which cases a list wants; `None` means any.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CaseFilter {
    pub status: Option<CaseStatus>,
    pub owner: Option<String>,
    pub survey_id: Option<String>,
}

/// Cases are inserted with the answer that opens them ([`Companions`]).
pub trait CaseStore {
    async fn get_case(&self, id: &str) -> StoreResult<Option<StoredCase>>;
    /// The case an answer opened, if it opened one.
    async fn case_for_response(&self, response_id: &str) -> StoreResult<Option<StoredCase>>;
    /// Saves the case unless someone else saved it since `expected_updated_at`
    /// (optimistic locking); `false` then, and nothing is written.
    async fn update_case(&self, case: &StoredCase, expected_updated_at: &str) -> StoreResult<bool>;
    /// Newest first.
    async fn list_cases(
        &self,
        filter: &CaseFilter,
        before: Option<&str>,
        limit: u32,
    ) -> StoreResult<Vec<StoredCase>>;
    /// The cases of several customers at once — for each `(survey, respondent)`, the
    /// survey's cases with the same respondent id or e-mail — and the cases named by
    /// `ids`, in one query.
    async fn cases_of_respondents(
        &self,
        respondents: &[(String, Respondent)],
        ids: &[String],
    ) -> StoreResult<Vec<StoredCase>>;
    /// The playbook of `cause`: the solutions of its resolved cases (of one survey, or
    /// of all), grouped by their normalised text, best first
    /// ([`nps_shared::cause::PlaybookEntry::rank`]), at most `limit`; one query.
    async fn playbook(
        &self,
        cause: &str,
        survey_id: Option<&str>,
        limit: u32,
    ) -> StoreResult<Vec<nps_shared::cause::PlaybookEntry>>;
}

/// Invitations as kept: those with `send_after` wait for the cron to announce them.
/// A due invitation being announced, with the deliveries announcing it (none when
/// its survey is gone).
#[derive(Clone, Debug, PartialEq)]
pub struct Release {
    pub invitation_id: String,
    pub deliveries: Vec<Delivery>,
    /// The e-mail the worker sends for it (its survey has `mail`, it has an address),
    /// stored in the same write: `pending`, or `suppressed` for a suppressed address.
    pub mail: Option<nps_shared::mail_settings::MailSendView>,
}

pub trait InvitationStore {
    /// Keeps what it fixed (`claims`: order, case, properties, who it is for — also
    /// for GDPR export and erase); its link carries only a reference to them.
    async fn insert_invitation(
        &self,
        invitation: &Invitation,
        claims: &nps_shared::invitation::Claims,
        created_at: &str,
    ) -> StoreResult<()>;
    /// Held-back invitations whose `send_after` has passed and were not announced yet.
    async fn due_invitations(&self, now: &str, limit: u32) -> StoreResult<Vec<Invitation>>;
    /// Marks these announced and stores their deliveries, in one atomic write of a
    /// fixed number of statements: an invitation's deliveries only if this write is
    /// the one that releases it (another run may have been first). How many it
    /// released.
    async fn release_invitations(&self, releases: &[Release], at: &str) -> StoreResult<usize>;
    /// What the invitation fixed, while it is kept: an erased respondent's are not,
    /// and their links stop working.
    async fn invitation_claims(
        &self,
        id: &str,
    ) -> StoreResult<Option<nps_shared::invitation::Claims>>;
}

pub trait SurveyStore {
    /// The survey, from the cache, else from the database (which fills the cache); an
    /// id the database lately did not have is not asked for again for a while, and an
    /// old cache entry is read again by one reader (a failed refresh serves the entry).
    async fn get_survey(&self, id: &str) -> StoreResult<Option<SurveyView>>;
    /// The survey if the cache has it, without asking the database.
    async fn cached_survey(&self, id: &str) -> Option<SurveyView>;
    async fn list_surveys(&self) -> StoreResult<Vec<SurveyView>>;
    /// Stores a new survey; `false` if the id is taken.
    async fn insert_survey(&self, survey: &SurveyView) -> StoreResult<bool>;
    async fn update_survey(&self, survey: &SurveyView) -> StoreResult<()>;
}

/// What is stored with a new answer, in the same atomic write, and only if the answer
/// itself is: so a crash can lose neither the case it opens nor the webhook
/// deliveries announcing it (their queue messages are sent after; the cron sweeper
/// queues any whose message was lost).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Companions {
    pub case: Option<StoredCase>,
    pub deliveries: Vec<Delivery>,
}

/// What a group of answers about to be stored is checked against: the stored answers
/// sharing a survey and Idempotency-Key, an order, or a person answering within their
/// throttle window with one of them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Probes {
    /// (survey, Idempotency-Key)
    pub keys: Vec<(String, String)>,
    /// (survey, order)
    pub orders: Vec<(String, String)>,
    /// (survey, person key, answered after this RFC 3339 instant)
    pub persons: Vec<(String, String, String)>,
}

/// What [`ResponseStore::standing`] read.
#[derive(Debug, Default)]
pub struct Standing {
    pub answers: Vec<StoredResponse>,
    pub endpoints: Vec<Endpoint>,
}

/// What became of a group insert.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GroupInserted {
    /// Every answer is stored, with its companions and its counts.
    Stored,
    /// Nothing is stored: a unique rule (Idempotency-Key, order) held one of them
    /// back — an answer stored elsewhere since the group's reads. Read again and retry.
    Raced,
}

pub trait ResponseStore {
    /// What a group of answers is judged against, in one round trip: the stored
    /// answers that [`Probes`] finds (one query whatever their number) and every
    /// webhook endpoint (for the new answers' deliveries).
    async fn standing(&self, probes: &Probes) -> StoreResult<Standing>;
    /// Stores new answers, each with its [`Companions`], and their counts in the
    /// rollups (summed per counter), in one atomic write of a fixed number of
    /// statements whatever the group's size (D1's limits: at most 100 bound
    /// parameters and 100 KB per statement). All or nothing.
    async fn insert_group(
        &self,
        answers: &[(StoredResponse, Companions)],
    ) -> StoreResult<GroupInserted>;
    async fn get_response(&self, id: &str) -> StoreResult<Option<StoredResponse>>;
    /// What a report needs of each answer in `[from, to)` (RFC 3339), oldest first
    /// (ties by id).
    async fn report_answers(
        &self,
        survey_id: &str,
        from: Option<&str>,
        to: Option<&str>,
    ) -> StoreResult<Vec<nps_shared::report::AnswerRecord>>;
    /// The rollup counters of the whole UTC days `[first_day, end_day)` (`None` =
    /// unbounded): time counters merged per local day in `zone`, and the values of
    /// `group_key` (see `nps_shared::rollup`).
    async fn report_counts(
        &self,
        survey_id: &str,
        first_day: Option<i64>,
        end_day: Option<i64>,
        zone: &nps_shared::report::Zone,
        group_key: Option<&str>,
    ) -> StoreResult<nps_shared::rollup::RangeCounts>;
    /// The time counters of the UTC quarter-hours `[first, end)` (`quarter_of`
    /// numbers; `None` = unbounded), merged per local day in `zone`: how a report
    /// counts a part-day whose answers were archived.
    async fn report_quarter_counts(
        &self,
        survey_id: &str,
        first: Option<i64>,
        end: Option<i64>,
        zone: &nps_shared::report::Zone,
    ) -> StoreResult<nps_shared::rollup::RangeCounts>;
    /// When the survey's first answer was given (Unix ms, to the quarter-hour).
    async fn first_answer_at(&self, survey_id: &str) -> StoreResult<Option<i64>>;
    /// The most recent `limit` answers in `[from, to)` that a report counts (flagged
    /// ones only with `include_flagged`), oldest first (ties by id), each with only
    /// the properties named in `keys` (`nps_shared::rollup::sampled_properties`).
    async fn report_sample(
        &self,
        survey_id: &str,
        from: Option<&str>,
        to: Option<&str>,
        include_flagged: bool,
        limit: u32,
        keys: &[&str],
    ) -> StoreResult<Vec<nps_shared::report::AnswerRecord>>;
    /// A person acted on the page: the answer is no longer provisional. Rollups move
    /// with it when that makes it counted.
    async fn confirm(&self, id: &str) -> StoreResult<()>;
    /// Marks answers as likely scanner visits (each keeps its first reason). Rollups
    /// move with those it makes flagged. A fixed number of statements however many.
    async fn flag_all(&self, ids: &[String], reason: &str) -> StoreResult<()>;
    async fn set_comment(
        &self,
        id: &str,
        comment: Option<&str>,
        updated_at: &str,
    ) -> StoreResult<()>;
    /// Newest first; `before` is an id to continue after.
    async fn list_responses(
        &self,
        survey_id: &str,
        category: Option<Category>,
        before: Option<&str>,
        limit: u32,
    ) -> StoreResult<Vec<ResponseView>>;
}

pub trait WebhookStore {
    async fn insert_endpoint(&self, endpoint: &Endpoint) -> StoreResult<()>;
    async fn list_endpoints(&self) -> StoreResult<Vec<Endpoint>>;
    async fn get_endpoint(&self, id: &str) -> StoreResult<Option<Endpoint>>;
    /// `false` if there was no such endpoint.
    async fn delete_endpoint(&self, id: &str) -> StoreResult<bool>;
    /// Switches the endpoint on or off; the endpoint as it is now, `None` if there is
    /// no such endpoint.
    async fn set_endpoint_enabled(&self, id: &str, enabled: bool) -> StoreResult<Option<Endpoint>>;
    /// Makes `secret` the endpoint's secret in one write; the one it replaces keeps
    /// signing until `previous_expires_at`, and any older one is dropped. The
    /// endpoint as it is now, `None` if there is no such endpoint.
    async fn rotate_secret(
        &self,
        id: &str,
        secret: &str,
        previous_expires_at: &str,
    ) -> StoreResult<Option<Endpoint>>;
}

pub trait DeliveryStore {
    async fn insert_deliveries(&self, deliveries: &[Delivery]) -> StoreResult<()>;
    async fn get_delivery(&self, id: &str) -> StoreResult<Option<Delivery>>;
    /// Saves the delivery's new state (status, counts, next attempt).
    async fn update_delivery(&self, delivery: &Delivery) -> StoreResult<()>;
    /// Logs an attempt and saves the delivery's new state together.
    async fn record_attempt(&self, delivery: &Delivery, attempt: &AttemptView) -> StoreResult<()>;
    /// Newest first, each with its attempts in order.
    async fn list_deliveries(
        &self,
        endpoint_id: &str,
        before: Option<&str>,
        limit: u32,
    ) -> StoreResult<Vec<DeliveryView>>;
    /// Ids of pending deliveries whose next attempt was due before `due_before`.
    async fn overdue_deliveries(&self, due_before: &str, limit: u32) -> StoreResult<Vec<String>>;
}

/// Fixed-window counters for rate limits (`nps_shared::rate_limit`).
pub trait RateLimitStore {
    /// Counts one more request for `key` in `window` and returns the window's count,
    /// this request included. Concurrent calls never lose a count.
    async fn hit(&self, key: &str, window: i64) -> StoreResult<u32>;
    /// The window's count so far, without counting.
    async fn count(&self, key: &str, window: i64) -> StoreResult<u32>;
    /// Deletes the counters of windows before `window`.
    async fn forget_before(&self, window: i64) -> StoreResult<()>;
}

/// An API key as kept: its secret only as a hash (`staff::secret::hash`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredApiKey {
    pub view: ApiKeyView,
    pub secret_hash: String,
}

/// API keys. Creating and revoking one writes its audit entry in the same atomic write.
pub trait ApiKeyStore {
    async fn insert_api_key(&self, key: &StoredApiKey, audit: &AuditEntry) -> StoreResult<()>;
    /// The key whose secret hashes to `secret_hash`, revoked or not.
    async fn api_key_by_hash(&self, secret_hash: &str) -> StoreResult<Option<StoredApiKey>>;
    /// Oldest first, revoked ones included.
    async fn list_api_keys(&self) -> StoreResult<Vec<ApiKeyView>>;
    /// Revokes the key at `at` (an earlier revocation keeps its time) and writes
    /// `audit` only if this call revoked it; `false` if there is no such key.
    async fn revoke_api_key(&self, id: &str, at: &str, audit: &AuditEntry) -> StoreResult<bool>;
    /// Sets `last_used_at` to `at` unless it is already later than `stale_before`.
    async fn touch_api_key(&self, id: &str, at: &str, stale_before: &str) -> StoreResult<()>;
}

/// Which audit entries a list wants; `None` means any.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditFilter {
    pub action: Option<AuditAction>,
    pub actor: Option<String>,
}

/// The audit log of admin changes.
pub trait AuditStore {
    async fn insert_audit(&self, entry: &AuditEntry) -> StoreResult<()>;
    /// Newest first; `before` is an id to continue after.
    async fn list_audit(
        &self,
        filter: &AuditFilter,
        before: Option<&str>,
        limit: u32,
    ) -> StoreResult<Vec<AuditEntry>>;
    /// Deletes at most `limit` of the entries made before `before` (RFC 3339), oldest
    /// first; how many it deleted.
    async fn forget_audit_before(&self, before: &str, limit: u32) -> StoreResult<u32>;
}

/// Flood protection for public requests: the Workers Rate Limiting binding
/// (`PUBLIC_LIMITER` in wrangler.toml, its limit per key and minute configured there).
/// It counts per Cloudflare location and eventually consistently: approximate, and
/// without a D1 write.
pub trait FloodLimiter {
    /// Counts one request for `key`; `false` once the key is over the limit.
    async fn allow(&self, key: &str) -> StoreResult<bool>;
}

/// Where deliveries go to be sent (and re-sent) in the background.
pub trait DeliveryQueue {
    async fn enqueue(&self, tasks: &[DeliveryTask], delay_seconds: u32) -> StoreResult<()>;
    /// Parks a delivery that failed for good on the dead-letter queue.
    async fn dead_letter(&self, task: &DeliveryTask) -> StoreResult<()>;
}

/// Who a GDPR request is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Who {
    /// The respondent id the shop gave (`respondent.id`), exactly.
    Id(String),
    /// An e-mail address, as its key (`validate::normalize_email`): matched without
    /// regard to case, in full Unicode.
    Email(String),
}

impl Who {
    pub fn as_str(&self) -> &str {
        match self {
            Who::Id(id) | Who::Email(id) => id,
        }
    }

    /// `id:<id>` or `email:<key>`: how the archive's index (`archive_people`) names them.
    pub fn tag(&self) -> String {
        match self {
            Who::Id(id) => format!("id:{id}"),
            Who::Email(key) => format!("email:{key}"),
        }
    }
}

/// Everything stored about one respondent.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RespondentRecords {
    pub answers: Vec<StoredResponse>,
    /// Cases about them, or opened by one of their answers.
    pub cases: Vec<StoredCase>,
    pub invitations: Vec<Invitation>,
    /// Deliveries whose payload names one of their answers, cases or invitations, or
    /// the respondent themselves.
    pub deliveries: Vec<Delivery>,
    /// The invitation e-mails sent (or not) to them: those of their invitations, and
    /// (found by address) every one to their address. Their suppression stays.
    pub mail_sends: Vec<nps_shared::mail_settings::MailSendView>,
    /// What shop connectors remember about their orders not delivered yet.
    pub remembered_orders: Vec<nps_shared::connector::RememberedOrder>,
}

impl RespondentRecords {
    /// What a delivery payload that carried their data contains: one of these.
    pub fn needles(&self, who: &Who) -> Vec<String> {
        let mut needles: Vec<String> = self
            .answers
            .iter()
            .map(|a| a.view.id.clone())
            .chain(self.cases.iter().map(|c| c.view.id.clone()))
            .chain(self.invitations.iter().map(|i| i.id.clone()))
            // A Slack message carries the invitation as its link, whose token (not
            // its id) is what shows.
            .chain(self.invitations.iter().map(|i| i.token.clone()))
            .collect();
        // As JSON strings, so `cust-4` does not find `cust-42`. Payloads carry an
        // address as it was sent, while `who` holds its key: every stored spelling.
        let mut names: Vec<&str> = vec![who.as_str()];
        names.extend(
            self.answers
                .iter()
                .map(|a| &a.view.respondent)
                .chain(self.cases.iter().map(|c| &c.respondent))
                .filter_map(|r| r.email.as_deref()),
        );
        names.extend(self.answers.iter().filter_map(|a| {
            a.view
                .properties
                .get(nps_shared::identity::CLAIMED_EMAIL)
                .map(String::as_str)
        }));
        names.sort_unstable();
        names.dedup();
        needles.extend(
            names
                .into_iter()
                .map(|n| serde_json::Value::from(n).to_string()),
        );
        needles
    }
}

/// GDPR: finding and erasing a respondent's records.
pub trait RespondentStore {
    async fn respondent_records(&self, who: &Who) -> StoreResult<RespondentRecords>;
    /// Deletes exactly these records (answers leave the rollups in the same atomic
    /// write, under the state they are in then).
    async fn erase_records(&self, records: &RespondentRecords) -> StoreResult<()>;
}

/// An archive object as recorded (`archive_parts`): which answers it holds, by their
/// first and last in the order (created_at, id), and what was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArchivePart {
    pub survey_id: String,
    /// `YYYY-MM` (UTC) of its answers.
    pub month: String,
    /// 1, 2, … within the month.
    pub part: u32,
    /// The object's key (`nps_shared::retention::part_key`).
    pub key: String,
    pub first_created_at: String,
    pub first_id: String,
    pub last_created_at: String,
    pub last_id: String,
    /// Answers (NDJSON lines) in it.
    pub count: u32,
    /// Size of the gzip object.
    pub bytes: u64,
    pub etag: String,
    pub written_at: String,
}

/// Retention: the answers past it, and the record of the archive parts they went to.
pub trait ArchiveStore {
    /// The survey's oldest answers given before `before` (RFC 3339), at most `limit`,
    /// in the order (created_at, id).
    async fn oldest_answers(
        &self,
        survey_id: &str,
        before: &str,
        limit: u32,
    ) -> StoreResult<Vec<StoredResponse>>;
    /// The number the next part of this survey and month gets (1 for the first).
    async fn next_part(&self, survey_id: &str, month: &str) -> StoreResult<u32>;
    /// Records `part` and deletes exactly its answers, in one atomic write; the cases
    /// they opened stay, keeping the answer's comment. Rollups are not touched: they
    /// keep counting the answers. `false` (nothing written) when the survey no longer
    /// holds exactly `part.count` answers in the part's range (one was erased since
    /// they were read), or the part is recorded already.
    async fn record_part_and_delete(&self, part: &ArchivePart) -> StoreResult<bool>;
    /// Oldest first.
    async fn archive_parts(&self, survey_id: &str) -> StoreResult<Vec<ArchivePart>>;
    async fn archive_part(
        &self,
        survey_id: &str,
        month: &str,
        part: u32,
    ) -> StoreResult<Option<ArchivePart>>;
    /// The time of the newest archived answer (RFC 3339): every answer of the survey
    /// given before it is deleted, those given after it are all kept. `None`: nothing
    /// archived.
    async fn archived_until(&self, survey_id: &str) -> StoreResult<Option<String>>;
    /// Parts whose answers name `who` (given or claimed), as recorded with each part
    /// (`archive_people`), at most `limit`, in (survey, month, part) order.
    async fn parts_naming(&self, who: &Who, limit: u32) -> StoreResult<Vec<ArchivePart>>;
    /// Applies an erase's rewrite of one part in one atomic write, only while the
    /// part is still at `rewrite.part.key` (`false`, nothing written, otherwise):
    /// the removed answers leave the rollups (property values left counting nobody
    /// go) and take the cases they opened, the part points at the new object with
    /// its new size and count, `who` is no longer named by it, and the old object is
    /// recorded as garbage. With no answer removed, only the name goes.
    async fn rewrite_part(&self, rewrite: &PartRewrite) -> StoreResult<bool>;
    /// Parts recorded before their names were (migration 0027), at most `limit`.
    async fn unnamed_parts(&self, limit: u32) -> StoreResult<Vec<ArchivePart>>;
    /// Records who `part`'s answers name (`Who::tag`s) and that it is named, in one
    /// atomic write, while it is still at `part.key` and unnamed (`false` otherwise).
    async fn name_part(&self, part: &ArchivePart, who: &[String]) -> StoreResult<bool>;
    /// Marks the object a retention run wrote for `part` but could not record as
    /// garbage (unless a part is recorded under its key); its number is not used again.
    async fn discard_part(&self, part: &ArchivePart) -> StoreResult<()>;
    /// Garbage marked before `before` (RFC 3339), oldest first, at most `limit`.
    async fn archive_garbage(&self, before: &str, limit: u32) -> StoreResult<Vec<Garbage>>;
    /// Forgets these garbage keys (their objects are deleted).
    async fn forget_garbage(&self, keys: &[String]) -> StoreResult<()>;
}

/// An archive object marked as garbage.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Garbage {
    pub key: String,
    /// A part is recorded under this key after all (a retention run that wrote the
    /// same key at the same time): the object stays, only the mark goes.
    pub recorded: bool,
}

/// An erase's new version of an archive part (`ArchiveStore::rewrite_part`).
#[derive(Clone, Debug, PartialEq)]
pub struct PartRewrite {
    /// The part as it was read, with the key the rewrite replaces.
    pub part: ArchivePart,
    pub who: Who,
    /// The answers taken out (their counts leave the rollups).
    pub removed: Vec<nps_shared::api::ResponseView>,
    /// The new object, and what the bucket holds under it; `None` when nothing was
    /// removed (the part stays as it is).
    pub written: Option<(String, Stored)>,
    pub at: String,
}

/// An object as the archive bucket holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stored {
    /// Its size in bytes (gzip).
    pub bytes: u64,
    pub etag: String,
}

/// Where archive parts are kept (R2 in the worker).
pub trait ArchiveBucket {
    /// Writes `ndjson` gzip-compressed under `key`, replacing what was there.
    async fn put_gzip(&self, key: &str, ndjson: &str) -> StoreResult<Stored>;
    /// What is stored under `key`, without reading it.
    async fn head(&self, key: &str) -> StoreResult<Option<Stored>>;
    /// The object's bytes (gzip) as stored.
    async fn get(&self, key: &str) -> StoreResult<Option<Vec<u8>>>;
    /// The object's lines, decompressed: the NDJSON written.
    async fn read_ndjson(&self, key: &str) -> StoreResult<Option<String>>;
    /// Deletes the object (nothing when there is none).
    async fn delete(&self, key: &str) -> StoreResult<()>;
}

/// An export job as kept: what the API shows, and where the job is in the answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportJob {
    /// `download_url` is filled in on reading, once the job is done.
    pub view: nps_shared::export::ExportView,
    /// The newest answer the export holds (`None`: the survey had none).
    pub newest_id: Option<String>,
    /// The last answer written; the next chunk continues below it.
    pub cursor: Option<String>,
}

/// What one chunk of an export wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChunkWritten {
    /// Its number: it is recorded only while the job has written exactly this many.
    pub chunk: u32,
    /// The last answer it wrote (the job's cursor stays where it was when none).
    pub cursor: Option<String>,
    pub rows: u64,
    pub bytes: u64,
    /// It reached the end: the job is done.
    pub last: bool,
    pub at: String,
}

/// Export jobs and the reads of their answers.
/// An answer as an export writes it: with the case it opened, if any.
#[derive(Clone, Debug, PartialEq)]
pub struct ExportRow {
    pub response: ResponseView,
    pub case: Option<nps_shared::csv::CaseCells>,
}

impl ExportRow {
    pub fn csv_record(&self) -> String {
        nps_shared::csv::response_record(&self.response, self.case.as_ref())
    }
}

pub trait ExportStore {
    async fn insert_export(&self, job: &ExportJob) -> StoreResult<()>;
    async fn get_export(&self, id: &str) -> StoreResult<Option<ExportJob>>;
    /// How many answers (of `category`) the survey has and the newest one's id, in
    /// one query: what an export started now holds.
    async fn export_scope(
        &self,
        survey_id: &str,
        category: Option<Category>,
    ) -> StoreResult<(u64, Option<String>)>;
    /// Whether the survey has more than `limit` answers (of `category`); reads at most
    /// `limit + 1` index entries.
    async fn more_answers_than(
        &self,
        survey_id: &str,
        category: Option<Category>,
        limit: u32,
    ) -> StoreResult<bool>;
    /// Up to `limit` answers (of `category`) from `newest_id` down (from the newest
    /// when `None`), newest first, below `cursor` when given, each with the case it
    /// opened; one query.
    async fn export_page(
        &self,
        survey_id: &str,
        category: Option<Category>,
        newest_id: Option<&str>,
        cursor: Option<&str>,
        limit: u32,
    ) -> StoreResult<Vec<ExportRow>>;
    /// Records a chunk in one write if the job is still at `written.chunk` (and not
    /// finished); `false` when another delivery of the same message did it first.
    async fn record_chunk(&self, id: &str, written: &ChunkWritten) -> StoreResult<bool>;
    /// Marks the job failed for good with `error`, unless it is finished.
    async fn fail_export(&self, id: &str, error: &str, at: &str) -> StoreResult<()>;
}

/// The queue message of an export: "write chunk `chunk` of this job". The job row is
/// the truth (its `parts` and cursor); the message's cursor is for the logs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportTask {
    pub export_id: String,
    pub chunk: u32,
    pub cursor: Option<String>,
    /// Failed tries of this chunk so far (Queues in worker 0.8 expose no count).
    #[serde(default)]
    pub attempt: u32,
    /// Sent again by a redelivered message of the chunk before, in case its own
    /// was lost: if it finds its chunk written, it sends no further copy.
    #[serde(default)]
    pub resent: bool,
}

/// Where long jobs go to be run in steps (the `JOBS` queue in the worker).
pub trait JobQueue {
    async fn enqueue_job(&self, task: &ExportTask, delay_seconds: u32) -> StoreResult<()>;
}

/// Whole objects by key (the `ARCHIVE` R2 bucket in the worker). Writing a key again
/// replaces it.
pub trait ObjectStore {
    async fn put_object(&self, key: &str, body: Vec<u8>, content_type: &str) -> StoreResult<()>;
    async fn get_object(&self, key: &str) -> StoreResult<Option<Vec<u8>>>;
    /// The object with its version (R2's etag).
    async fn get_object_version(&self, key: &str) -> StoreResult<Option<(Vec<u8>, String)>>;
    /// Writes the object only if it is still at `version` (R2's `onlyIf.etagMatches`):
    /// `false` when someone wrote or deleted it since it was read.
    async fn replace_object(
        &self,
        key: &str,
        body: Vec<u8>,
        content_type: &str,
        version: &str,
    ) -> StoreResult<bool>;
    /// Deletes these keys (those that exist), in one request.
    async fn delete_objects(&self, keys: &[String]) -> StoreResult<()>;
}

/// Which action plans a list wants; `None` means any.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ActionFilter {
    pub status: Option<nps_shared::action::ActionStatus>,
    pub survey_id: Option<String>,
}

/// Action plans (stored without `impact`, which is measured on reading), and the
/// answers their impact is measured on.
pub trait ActionStore {
    async fn insert_action(&self, action: &nps_shared::action::ActionView) -> StoreResult<()>;
    async fn get_action(&self, id: &str) -> StoreResult<Option<nps_shared::action::ActionView>>;
    /// Saves the plan unless someone else saved it since `expected_updated_at`
    /// (optimistic locking); `false` then, and nothing is written.
    async fn update_action(
        &self,
        action: &nps_shared::action::ActionView,
        expected_updated_at: &str,
    ) -> StoreResult<bool>;
    /// Newest first; `before` is an id to continue after.
    async fn list_actions(
        &self,
        filter: &ActionFilter,
        before: Option<&str>,
        limit: u32,
    ) -> StoreResult<Vec<nps_shared::action::ActionView>>;
    /// The counted answers (neither flagged nor provisional) of the survey whose
    /// properties match `segment` (every entry, trimmed and ignoring case), in each of
    /// the two windows, and how many of their detractors' cases name `cause`; in one
    /// query whatever their number.
    async fn segment_tallies(
        &self,
        survey_id: &str,
        segment: &std::collections::BTreeMap<String, String>,
        cause: &str,
        windows: &nps_shared::report::impact::Windows,
    ) -> StoreResult<SegmentTallies>;
}

/// What an action plan's impact is measured on, per window.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SegmentTallies {
    pub before: nps_shared::nps::Tally,
    pub after: nps_shared::nps::Tally,
    /// Detractor answers of each window whose case names the plan's cause.
    pub before_with_cause: u64,
    pub after_with_cause: u64,
}

/// What the coaching view is grouped by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dimension {
    Owner,
    Team,
}

/// One group of cases of the coaching view.
#[derive(Clone, Debug, PartialEq)]
pub struct CaseGroup {
    pub dimension: Dimension,
    /// The owner (`None`: unassigned) or the team value (`None`: the answer lacks it).
    pub name: Option<String>,
    pub counts: nps_shared::coaching::CaseCounts,
}

/// One team's answers in a survey (the coaching view's customers' NPS).
#[derive(Clone, Debug, PartialEq)]
pub struct TeamTally {
    pub survey_id: String,
    /// Trimmed and lower case; `None` for answers without the property.
    pub team: Option<String>,
    pub tally: nps_shared::nps::Tally,
}

/// The aggregates of the coaching view, each in one query whatever the number of cases
/// or answers (RFC 3339 bounds, `[from, to)`).
pub trait CoachingStore {
    /// The cases opened in the period, counted per owner and per team (the value of
    /// `team_property` of the answer that opened each); SLAs decided as of `now`.
    async fn case_groups(
        &self,
        from: &str,
        to: &str,
        survey_id: Option<&str>,
        team_property: &str,
        now: &str,
    ) -> StoreResult<Vec<CaseGroup>>;
    /// The playbook entries of `owners` over the cases opened in the period that they
    /// resolved with a solution, per owner, cause and solution, at most `per_owner`
    /// each, best first (as `CaseStore::playbook` ranks); in one query.
    async fn practices(
        &self,
        owners: &[String],
        from: &str,
        to: &str,
        survey_id: Option<&str>,
        per_owner: u32,
    ) -> StoreResult<Vec<nps_shared::coaching::Practice>>;
    /// The counted answers of the period per survey and team.
    async fn team_tallies(
        &self,
        from: &str,
        to: &str,
        survey_id: Option<&str>,
        team_property: &str,
    ) -> StoreResult<Vec<TeamTally>>;
}

// Shop connectors (issue 16): the connectors with their secrets, and every webhook
// they received (`sql::connectors`).

/// A connector as kept: with the secret its platform signs with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Connector {
    pub id: String,
    pub platform: nps_shared::connector::Platform,
    pub survey_id: String,
    pub secret: String,
    pub settings: nps_shared::connector::ConnectorSettings,
    pub created_at: String,
    /// Deleted connectors are kept (their events stay readable); their URL is 404.
    pub deleted_at: Option<String>,
}

impl Connector {
    /// As the API shows it, with the receiver URL under `base_url`.
    pub fn view(&self, base_url: &str) -> nps_shared::connector::ConnectorView {
        nps_shared::connector::ConnectorView {
            id: self.id.clone(),
            platform: self.platform,
            survey_id: self.survey_id.clone(),
            url: receiver_url(base_url, &self.id),
            settings: self.settings.clone(),
            created_at: self.created_at.clone(),
        }
    }
}

/// The URL a shop posts its webhooks to (the router's `/hooks/connectors/:id`).
pub fn receiver_url(base_url: &str, id: &str) -> String {
    format!("{base_url}/hooks/connectors/{id}")
}

/// One received webhook as logged.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectorEvent {
    /// `cev_…`, time-ordered: the list's order and cursor.
    pub id: String,
    pub connector_id: String,
    pub event_id: Option<String>,
    pub topic: Option<String>,
    pub outcome: nps_shared::connector::Outcome,
    pub reason: Option<String>,
    pub order_id: Option<String>,
    /// What an order event said about the order, for its delivery event.
    pub facts: Option<nps_shared::connector::OrderFacts>,
    pub invitation_id: Option<String>,
    pub received_at: String,
}

pub trait ConnectorStore {
    async fn insert_connector(&self, connector: &Connector) -> StoreResult<()>;
    /// Deleted ones too.
    async fn get_connector(&self, id: &str) -> StoreResult<Option<Connector>>;
    /// Those not deleted, newest first.
    async fn list_connectors(&self) -> StoreResult<Vec<Connector>>;
    /// Marks it deleted; `false` when there is no such connector not deleted yet.
    async fn delete_connector(&self, id: &str, at: &str) -> StoreResult<bool>;
    /// Logs an event that creates nothing (ignored, a remembered order, a bad
    /// signature).
    async fn log_connector_event(&self, event: &ConnectorEvent) -> StoreResult<()>;
    /// Deletes at most `limit` events received before `before`, oldest first (with
    /// what they remembered); how many. One statement.
    async fn forget_connector_events_before(&self, before: &str, limit: u32) -> StoreResult<u32>;
    /// The newest facts an event of this connector left about the order.
    async fn order_facts(
        &self,
        connector_id: &str,
        order_id: &str,
    ) -> StoreResult<Option<nps_shared::connector::OrderFacts>>;
    /// Logs `event` as accepted and stores its invitation, in one atomic write —
    /// unless an accepted event of the connector has the same event id or the same
    /// order: then `event` is logged as a duplicate naming the earlier invitation, and
    /// no invitation is stored; either way the facts remembered about the order are
    /// forgotten (the invitation keeps the customer). Which of the two it was. Four
    /// statements.
    async fn accept_connector_event(
        &self,
        event: &ConnectorEvent,
        invitation: &Invitation,
        claims: &nps_shared::invitation::Claims,
    ) -> StoreResult<nps_shared::connector::Outcome>;
    /// Newest first, below `before` (an event id) when given; with each invitation's
    /// link while it is kept. One query.
    async fn list_connector_events(
        &self,
        connector_id: &str,
        before: Option<&str>,
        limit: u32,
    ) -> StoreResult<Vec<nps_shared::connector::ConnectorEventView>>;
}

/// An invitation being released, as the mail path needs it: its address as given,
/// and whether that address is suppressed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MailRecipient {
    pub invitation_id: String,
    pub email: String,
    pub suppressed: bool,
    /// The campaign the invitation was issued for, if any.
    pub campaign_id: Option<String>,
}

/// What sending one invitation e-mail reads, in one query: the send, its invitation
/// (gone once the respondent was erased), the address as given, and whether the
/// address is suppressed now.
#[derive(Clone, Debug, PartialEq)]
pub struct MailJob {
    pub send: nps_shared::mail_settings::MailSendView,
    pub invitation: Option<Invitation>,
    pub email: Option<String>,
    pub suppressed: Option<nps_shared::mail_settings::SuppressionReason>,
}

/// The invitation e-mails (`mail_sends`) and the suppression list (`suppressions`).
/// Sends are stored by `InvitationStore::release_invitations` with their release.
pub trait MailStore {
    /// The address of each of these invitations that has one, and whether it is
    /// suppressed; one query per megabyte of ids.
    async fn mail_recipients(&self, invitation_ids: &[String]) -> StoreResult<Vec<MailRecipient>>;
    async fn mail_job(&self, id: &str) -> StoreResult<Option<MailJob>>;
    /// Saves the send's new state and, in the same write, suppresses its address.
    async fn settle_mail_send(
        &self,
        send: &nps_shared::mail_settings::MailSendView,
        suppress: Option<&nps_shared::mail_settings::SuppressionView>,
    ) -> StoreResult<()>;
    /// Suppresses an address (kept as first suppressed: a later reason does not
    /// replace it) and marks `status` on the send the provider's message id names.
    async fn suppress(
        &self,
        suppression: &nps_shared::mail_settings::SuppressionView,
        message: Option<(nps_shared::mail_settings::MailProvider, &str)>,
        status: nps_shared::mail_settings::MailStatus,
    ) -> StoreResult<()>;
    /// Pending sends due before `before` (their queue message was lost), oldest first.
    async fn overdue_mail_sends(&self, before: &str, limit: u32) -> StoreResult<Vec<String>>;
    /// Newest first; `before` is an id to continue after.
    async fn list_mail_sends(
        &self,
        survey_id: Option<&str>,
        status: Option<nps_shared::mail_settings::MailStatus>,
        before: Option<&str>,
        limit: u32,
    ) -> StoreResult<Vec<nps_shared::mail_settings::MailSendView>>;
    /// By address; `before` is an address to continue after.
    async fn list_suppressions(
        &self,
        before: Option<&str>,
        limit: u32,
    ) -> StoreResult<Vec<nps_shared::mail_settings::SuppressionView>>;
    /// `false` when the address was not suppressed.
    async fn lift_suppression(&self, email_key: &str) -> StoreResult<bool>;
}
