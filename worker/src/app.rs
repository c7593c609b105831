//! Wiring: the stores and settings of one request, built from the worker's `Env`
//! (bindings in `wrangler.toml`, secrets in `.dev.vars` or `wrangler secret`).

use crate::store::d1::D1;
use crate::store::kv::KvSurveys;
use crate::store::limiter::PublicLimiter;
use crate::store::metered::{self, Metered};
use crate::store::queue::{JobSender, QueueSender};
use crate::store::r2::R2;
use crate::store::sql::SqlStore;
use nps_shared::webhook::RetrySchedule;
use worker::Env;

/// Answers per client, survey and minute when the survey sets no
/// `rate_limit_per_minute`. The same number as `PUBLIC_LIMITER`'s limit for public
/// reads in wrangler.toml, which a Worker cannot read back.
pub const DEFAULT_RATE_LIMIT_PER_MINUTE: u32 = 300;
/// Ingest gate objects per survey (`gate`) when `GATE_SHARDS` is not set.
pub const DEFAULT_GATE_SHARDS: u32 = 8;
/// Used when `ADMIN_AUTH_FAILURES_PER_MINUTE` is not set.
pub const DEFAULT_ADMIN_AUTH_FAILURES_PER_MINUTE: u32 = 30;

/// The worker's storage: the SQL of `store::sql` on D1 (metered: at most
/// `D1_QUERIES_PER_INVOCATION` statements per invocation), survey reads through KV.
pub type Store = SqlStore<Metered<D1>, KvSurveys>;

pub struct App {
    pub store: Store,
    pub queue: QueueSender,
    /// Flood protection for public reads and comments: the Workers Rate Limiting
    /// binding `PUBLIC_LIMITER` (its limit per client and minute in wrangler.toml).
    pub limiter: PublicLimiter,
    /// Long jobs (export chunks), one step a message (`JOBS`).
    pub jobs: JobSender,
    /// The R2 bucket export chunks are written to (`ARCHIVE`, prefix `exports/`).
    pub objects: R2,
    /// D1 queries one invocation may run (`D1_QUERIES_PER_INVOCATION`).
    pub d1_budget: u32,
    /// How big an export chunk is: the most the budget allows, or fewer answers
    /// (`EXPORT_ROWS_PER_CHUNK`, which tests set small).
    pub export_chunking: Option<nps_shared::export::Chunking>,
    pub admin_token: Option<String>,
    pub retry: RetrySchedule,
    /// Webhooks may target loopback and private addresses: local development only.
    pub allow_private_targets: bool,
    /// Signs and checks invitation tokens (`INVITATION_SECRET`).
    pub invitation_secret: Option<String>,
    /// Checks `respondent.user_hash`, the shop's proof of who answers
    /// (`IDENTITY_SECRET`); without it no claimed respondent is verified.
    pub identity_secret: Option<String>,
    /// Answers per client, survey and minute, unless the survey sets its own
    /// `rate_limit_per_minute` ([`DEFAULT_RATE_LIMIT_PER_MINUTE`]). Public reads and
    /// comments are `limiter`'s.
    pub rate_limit_per_minute: u32,
    /// Failed admin authentications per client and minute before it is locked out for
    /// the rest of the minute (`ADMIN_AUTH_FAILURES_PER_MINUTE`).
    pub admin_auth_failures_per_minute: u32,
    /// Days the audit log keeps an entry (`AUDIT_RETENTION_DAYS`, default 365).
    pub audit_retention_days: u32,
    /// The ingest gate's objects (binding `GATE`); without it answers are stored
    /// one by one.
    pub gate: Option<worker::ObjectNamespace>,
    /// Gate objects per survey (`GATE_SHARDS`, 1 to 256).
    pub gate_shards: u32,
    /// For what must own its bindings, such as a streamed export.
    pub env: Env,
    /// D1 statements spent for this request in another invocation (the ingest gate's
    /// share of a group write), added to `X-D1-Queries`.
    pub d1_elsewhere: std::cell::Cell<f64>,
}

impl App {
    pub fn from_env(env: &Env) -> worker::Result<App> {
        let d1_budget = budget(env);
        let rows_per_chunk =
            setting(env, "EXPORT_ROWS_PER_CHUNK").and_then(|v| v.trim().parse().ok());
        Ok(App {
            store: SqlStore::with_cache(database(env)?, KvSurveys::new(env.kv("CONFIG")?)),
            queue: QueueSender::new(env.queue("DELIVERIES")?, env.queue("DEAD_LETTERS")?),
            // Missing, it refuses nothing and says so in the log of each request it
            // was asked about (`routes::limits`): a deployment without the binding
            // keeps serving.
            limiter: PublicLimiter::new(env.rate_limiter("PUBLIC_LIMITER").ok()),
            jobs: JobSender::new(env.queue("JOBS")?),
            objects: R2::new(env.bucket("ARCHIVE")?),
            d1_budget,
            export_chunking: nps_shared::export::Chunking::new(d1_budget, rows_per_chunk),
            admin_token: setting(env, "ADMIN_TOKEN"),
            retry: setting(env, "WEBHOOK_RETRY_SCHEDULE")
                .and_then(|s| RetrySchedule::parse(&s))
                .unwrap_or_default(),
            allow_private_targets: setting(env, "ALLOW_PRIVATE_WEBHOOK_TARGETS")
                .is_some_and(|v| v == "true"),
            invitation_secret: setting(env, "INVITATION_SECRET"),
            identity_secret: setting(env, "IDENTITY_SECRET"),
            rate_limit_per_minute: DEFAULT_RATE_LIMIT_PER_MINUTE,
            admin_auth_failures_per_minute: setting(env, "ADMIN_AUTH_FAILURES_PER_MINUTE")
                .and_then(|v| nps_shared::rate_limit::parse_limit(&v))
                .unwrap_or(DEFAULT_ADMIN_AUTH_FAILURES_PER_MINUTE),
            audit_retention_days: setting(env, "AUDIT_RETENTION_DAYS")
                .and_then(|v| crate::service::audit::parse_retention(&v))
                .unwrap_or(crate::service::audit::DEFAULT_RETENTION_DAYS),
            gate: env.durable_object("GATE").ok(),
            gate_shards: setting(env, "GATE_SHARDS")
                .and_then(|v| parse_shards(&v))
                .unwrap_or(DEFAULT_GATE_SHARDS),
            env: env.clone(),
            d1_elsewhere: std::cell::Cell::new(0.0),
        })
    }

    pub fn invitation_secret(&self) -> Option<&[u8]> {
        self.invitation_secret.as_deref().map(str::as_bytes)
    }

    /// What sending invitation e-mails needs: the unsubscribe tokens' secret
    /// (`INVITATION_SECRET`), the providers' keys (`POSTMARK_SERVER_TOKEN`,
    /// `RESEND_API_KEY`) and base URLs (`POSTMARK_API_URL`, `RESEND_API_URL`: the
    /// documented ones when unset).
    pub fn mail_config(&self) -> crate::service::mail::MailConfig {
        crate::service::mail::MailConfig {
            secret: self.invitation_secret().map(<[u8]>::to_vec),
            postmark_token: setting(&self.env, "POSTMARK_SERVER_TOKEN"),
            resend_key: setting(&self.env, "RESEND_API_KEY"),
            postmark_url: setting(&self.env, "POSTMARK_API_URL"),
            resend_url: setting(&self.env, "RESEND_API_URL"),
        }
    }

    pub fn identity_secret(&self) -> Option<&[u8]> {
        self.identity_secret.as_deref().map(str::as_bytes)
    }

    /// The secret, or the 503 that says invitations are not set up.
    pub fn require_invitation_secret(&self) -> Result<&[u8], crate::error::ApiError> {
        self.invitation_secret().ok_or_else(|| {
            crate::error::ApiError::unavailable("INVITATION_SECRET is not configured")
        })
    }
}

/// D1 as one invocation may use it: metered against `D1_QUERIES_PER_INVOCATION`
/// (default: the paid plan's 1,000; 50 on the free plan).
impl App {
    /// The archive bucket (`ARCHIVE`, R2) of retention.
    pub fn archive(&self) -> worker::Result<crate::store::r2::R2Archive> {
        Ok(crate::store::r2::R2Archive::new(
            self.env.bucket("ARCHIVE")?,
        ))
    }
}

pub fn database(env: &Env) -> worker::Result<Metered<D1>> {
    Ok(Metered::new(D1::new(env.d1("DB")?), budget(env)))
}

/// `D1_QUERIES_PER_INVOCATION`, else the paid plan's 1,000.
fn budget(env: &Env) -> u32 {
    setting(env, "D1_QUERIES_PER_INVOCATION")
        .and_then(|v| metered::parse_budget(&v))
        .unwrap_or(metered::PAID_PLAN_QUERIES)
}

/// The shard count `GATE_SHARDS` names (1 to 256).
pub fn parse_shards(value: &str) -> Option<u32> {
    value.trim().parse().ok().filter(|n| (1..=256).contains(n))
}

thread_local! {
    /// The settings this isolate has read. Variables and secrets are fixed for an
    /// isolate's life (changing one deploys a new version, in new isolates), and each
    /// read is two calls into JavaScript, made by every request (`App::from_env`).
    static SETTINGS: std::cell::RefCell<Vec<(String, Option<String>)>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// A secret or plain variable, whichever is set.
pub(crate) fn setting(env: &Env, name: &str) -> Option<String> {
    if let Some(known) = SETTINGS.with_borrow(|settings| {
        settings
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, value)| value.clone())
    }) {
        return known;
    }
    let value = env
        .secret(name)
        .map(|s| s.to_string())
        .or_else(|_| env.var(name).map(|v| v.to_string()))
        .ok()
        .filter(|v| !v.is_empty());
    SETTINGS.with_borrow_mut(|settings| settings.push((name.to_string(), value.clone())));
    value
}

pub fn now_ms() -> i64 {
    worker::Date::now().as_millis() as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shard_setting_is_a_count_from_1_to_256() {
        assert_eq!(parse_shards("8"), Some(8));
        assert_eq!(parse_shards(" 256 "), Some(256));
        assert_eq!(parse_shards("0"), None);
        assert_eq!(parse_shards("1000"), None);
        assert_eq!(parse_shards("many"), None);
    }
}
