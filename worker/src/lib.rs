//! The NPS worker: the HTTP API that `public/openapi.json` documents, the webhook queue
//! consumer, the cron, and (through Workers static assets, see `wrangler.toml`) the
//! widget files and demo page. This file is only the event entry points.
//!
//! Where things are:
//! - every endpoint is a row of the route table in `router`, which also decides 404,
//!   405, who calls (`auth`: bootstrap token, API key, a Cloudflare Access sign-in
//!   checked by `access`) and with which scope, the
//!   lockout and CORS; `routes` parse requests and map
//!   results; `error` makes every failure problem+json;
//! - a response is validated in `nps_shared::validate` and prepared by
//!   `service::responses::prepare`, then passes the ingest gate (`gate`, a Durable
//!   Object per survey shard) and is stored with its case and its webhook deliveries
//!   in one atomic group write by `service::responses::commit_group` (the deliveries
//!   built by `service::webhooks::deliveries_to`, queued after the write by
//!   `service::webhooks::enqueue`);
//! - deliveries are sent and signed in `delivery`, logged, retried, dead-lettered and
//!   replayed by `service::deliveries`; the cron (`scheduled` below) re-queues those
//!   whose queue message was lost, and forgets audit entries past their retention;
//! - answers past a survey's `retention_days` are archived to R2 and deleted by the
//!   cron too (`service::archive`), a bounded number of parts a run;
//! - export jobs write a chunk per message of the `JOBS` queue to R2 (`jobs`,
//!   `service::exports`), each within one invocation's D1 queries.
//! - invitation e-mails (issue 16): stored with their invitation's release and sent
//!   through Postmark or Resend by the deliveries queue's consumer (`mailer`,
//!   `service::mail`), with the unsubscribe page and the providers' bounce webhooks
//!   in `routes::mail`.

mod access;
mod app;
mod auth;
mod delivery;
mod error;
mod gate;
mod http;
mod intl;
mod jobs;
mod mailer;
mod router;
mod routes;
mod service;
mod store;

pub use gate::Gate;
use worker::{
    Context, Env, MessageBatch, Request, Response, ScheduleContext, ScheduledEvent, event,
};

#[event(fetch)]
async fn fetch(mut req: Request, env: Env, _ctx: Context) -> worker::Result<Response> {
    router::respond(&mut req, &env).await
}

/// The queue named `JOBS_QUEUE` carries long jobs (export chunks, `jobs`); every other
/// queue this worker consumes carries webhook deliveries (`delivery`). Each consumer
/// decodes its own messages.
#[event(queue)]
async fn queue(
    batch: MessageBatch<serde_json::Value>,
    env: Env,
    _ctx: Context,
) -> worker::Result<()> {
    let app = app::App::from_env(&env)?;
    if batch.queue() == JOBS_QUEUE {
        jobs::consume(batch, &app).await
    } else {
        delivery::consume(batch, &app).await
    }
}

/// The queue of the `JOBS` binding (wrangler.toml).
const JOBS_QUEUE: &str = "nps-loop-jobs";

/// Every minute (`[triggers]` in wrangler.toml), `service::cron::run`: re-queue
/// deliveries whose queue message was lost, so an alert stored is an alert sent;
/// forget old rate-limit counters and audit entries older than
/// `AUDIT_RETENTION_DAYS`; announce invitations whose `send_after` has come. Then
/// archive answers past their survey's retention (`service::archive::PARTS_PER_RUN`
/// parts at most). Each job is bounded per run: the cron's jobs take at most 9 D1
/// queries, the archive at most 41 — within the free plan's 50 together. Campaign
/// runs that are due are started by one `JOBS` message a minute
/// (`service::campaigns::wake`), in the consumer's own invocation and budget.
#[event(scheduled)]
async fn scheduled(_event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    let app = match app::App::from_env(&env) {
        Ok(app) => app,
        Err(e) => return worker::console_error!("cron: no bindings: {e}"),
    };
    let done = service::cron::run(
        &app.store,
        &app.queue,
        app::now_ms(),
        app.audit_retention_days,
    )
    .await;
    if let Err(e) = service::campaigns::ask_to_wake(&app.jobs, app::now_ms()).await {
        worker::console_error!("cron: the campaign wake could not be queued: {e}");
    }
    match done.requeued {
        Ok(0) => {}
        Ok(n) => worker::console_warn!("sweeper: re-queued {n} overdue deliveries"),
        Err(e) => worker::console_error!("sweeper failed: {e}"),
    }
    if let Err(e) = done.rate_limits_forgotten {
        worker::console_error!("cron: forgetting old rate limit counters failed: {e}");
    }
    match done.audit_forgotten {
        Ok(0) => {}
        Ok(n) => worker::console_log!("cron: forgot {n} audit entries past their retention"),
        Err(e) => worker::console_error!("cron: forgetting old audit entries failed: {e}"),
    }
    match done.connector_events_forgotten {
        Ok(0) => {}
        Ok(n) => {
            worker::console_log!("cron: forgot {n} shop connector events past their retention")
        }
        Err(e) => worker::console_error!("cron: forgetting old connector events failed: {e}"),
    }
    match done.mail_requeued {
        Ok(0) => {}
        Ok(n) => worker::console_warn!("sweeper: re-queued {n} overdue invitation e-mails"),
        Err(e) => worker::console_error!("mail sweeper failed: {e}"),
    }
    match done.released {
        Ok(done) => {
            if done.value > 0 {
                worker::console_log!("cron: {} invitations due", done.value);
            }
            routes::log_follow_ups(&done, "cron: due invitations");
        }
        Err(e) => worker::console_error!("cron: releasing due invitations failed: {e}"),
    }
    let archived = match app.archive() {
        Ok(bucket) => {
            service::archive::archive_due(
                &app.store,
                &bucket,
                app::now_ms(),
                service::archive::PARTS_PER_RUN,
            )
            .await
        }
        Err(e) => return worker::console_error!("cron: no archive bucket: {e}"),
    };
    match archived {
        Ok(done) if done.parts == 0 => {}
        Ok(done) => worker::console_log!(
            "cron: archived {} answers past their retention in {} parts",
            done.answers,
            done.parts
        ),
        Err(e) => worker::console_error!("cron: archiving answers past retention failed: {e}"),
    }
}
