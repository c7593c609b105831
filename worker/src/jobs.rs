//! The consumer of the `JOBS` queue: long jobs in steps, one step a message — an
//! export chunk (`service::exports`), a campaign chunk or the cron's minutely wake of
//! campaigns (`service::campaigns`), a step of a GDPR scrub of the campaign lists
//! (`service::scrub`). The kinds are told apart by their fields
//! ([`Job`]), so export messages already queued stay decodable.
//!
//! D1's query limit is per invocation, so an invocation takes one message of its batch
//! and hands the others back to the queue (`max_batch_size = 1` in wrangler.toml makes
//! that the rare case). A message the service could not settle comes back after a while.

use crate::app::{App, now_ms};
use crate::service::{campaigns, exports, scrub};
use crate::store::campaigns::{CampaignTask, ScrubTask, WakeTask};
use crate::store::{ExportStore, ExportTask};
use worker::{
    MessageBatch, MessageExt, QueueRetryOptionsBuilder, console_error, console_log, console_warn,
};

/// When D1, R2 or the queue failed under a message, it comes back after this long.
const PLATFORM_RETRY_SECONDS: u32 = 30;

pub async fn consume<T>(batch: MessageBatch<T>, app: &App) -> worker::Result<()> {
    let mut messages = batch.raw_iter();
    let Some(message) = messages.next() else {
        return Ok(());
    };
    for other in messages {
        other.retry();
    }
    let task: ExportTask = match serde_wasm_bindgen::from_value(message.body()) {
        Ok(Job::Export(task)) => task,
        Ok(Job::Campaign(task)) => {
            settle(&message, campaign_chunk(&task, app).await);
            return Ok(());
        }
        Ok(Job::Wake(task)) => {
            let what = format!("campaign wake of {}", task.wake_campaigns);
            match campaigns::wake(&app.store, &app.jobs, now_ms()).await {
                Ok(0) => {}
                Ok(n) => console_log!("{what}: {n} campaigns started or re-queued"),
                // The next minute's wake tries again.
                Err(e) => console_warn!("{what} failed: {e}"),
            }
            message.ack();
            return Ok(());
        }
        Ok(Job::Scrub(task)) => {
            settle(&message, scrub_step(&task, app).await);
            return Ok(());
        }
        Err(e) => {
            // Only this worker produces these messages; one that does not decode can
            // never succeed.
            console_error!("dropping undecodable job message {}: {e}", message.id());
            message.ack();
            return Ok(());
        }
    };
    let Some(chunking) = app.export_chunking else {
        let why = format!(
            "D1_QUERIES_PER_INVOCATION ({}) leaves no query for a page of answers",
            app.d1_budget
        );
        console_error!("export {}: {why}", task.export_id);
        let at = nps_shared::time::rfc3339(now_ms());
        match app.store.fail_export(&task.export_id, &why, &at).await {
            Ok(()) => message.ack(),
            Err(e) => {
                console_warn!("export {}: could not be failed: {e}", task.export_id);
                message.retry();
            }
        }
        return Ok(());
    };
    let what = format!("export {} chunk {}", task.export_id, task.chunk);
    match exports::handle(
        &app.store,
        &app.objects,
        &app.jobs,
        &task,
        chunking,
        now_ms(),
    )
    .await
    {
        Ok(done) => {
            for e in &done.failed_follow_ups {
                console_warn!("{what} failed: {e}");
            }
            console_log!("{what}: {:?}", done.value);
            message.ack();
        }
        Err(e) => {
            console_warn!("{what}: storage or queue failed, the message comes back: {e}");
            message.retry_with_options(
                &QueueRetryOptionsBuilder::new()
                    .with_delay_seconds(PLATFORM_RETRY_SECONDS)
                    .build(),
            );
        }
    }
    Ok(())
}

/// A message of the `JOBS` queue, by the fields it has.
#[derive(serde::Deserialize)]
#[serde(untagged)]
enum Job {
    Export(ExportTask),
    Campaign(CampaignTask),
    Wake(WakeTask),
    Scrub(ScrubTask),
}

/// Runs one step of a campaign list scrub: `true` settled, `false` to be tried again.
/// The person is not logged, only the erasure's id.
async fn scrub_step(task: &ScrubTask, app: &App) -> bool {
    let what = format!("campaign list scrub {}", task.scrub);
    let bucket = match app.archive() {
        Ok(bucket) => bucket,
        Err(e) => {
            console_error!("{what}: no archive bucket: {e}");
            return false;
        }
    };
    match scrub::step(&app.store, &app.objects, &bucket, &app.jobs, task, now_ms()).await {
        Ok(done) => {
            console_log!("{what}: {:?}", done.value);
            true
        }
        Err(e) => {
            console_warn!("{what}: storage or queue failed, the message comes back: {e}");
            false
        }
    }
}

/// Runs one campaign chunk: `Ok(true)` settled, `Ok(false)` to be tried again.
async fn campaign_chunk(task: &CampaignTask, app: &App) -> bool {
    let what = format!(
        "campaign {} run {} chunk {}",
        task.campaign_id, task.run, task.chunk
    );
    let Some(secret) = app.invitation_secret() else {
        console_error!("{what}: INVITATION_SECRET is not configured");
        return false;
    };
    match campaigns::run_chunk(
        &app.store,
        &app.objects,
        &app.jobs,
        &app.queue,
        task,
        secret,
        now_ms(),
    )
    .await
    {
        Ok(done) => {
            for e in &done.failed_follow_ups {
                console_warn!("{what}: a follow-up failed: {e}");
            }
            console_log!("{what}: {:?}", done.value);
            true
        }
        Err(e) => {
            console_warn!("{what}: storage or queue failed, the message comes back: {e}");
            false
        }
    }
}

fn settle(message: &worker::RawMessage, settled: bool) {
    if settled {
        message.ack();
    } else {
        message.retry_with_options(
            &QueueRetryOptionsBuilder::new()
                .with_delay_seconds(PLATFORM_RETRY_SECONDS)
                .build(),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(body: serde_json::Value) -> &'static str {
        match serde_json::from_value::<Job>(body) {
            Ok(Job::Export(_)) => "export",
            Ok(Job::Campaign(_)) => "campaign",
            Ok(Job::Wake(_)) => "wake",
            Ok(Job::Scrub(_)) => "scrub",
            Err(_) => "undecodable",
        }
    }

    #[test]
    fn export_campaign_and_wake_messages_are_told_apart_by_their_fields() {
        // An export message as queued before campaigns existed.
        let export = serde_json::json!({"export_id": "ex_1", "chunk": 2, "cursor": null});
        assert_eq!(kind(export), "export");
        let task = CampaignTask {
            campaign_id: "cmp_1".into(),
            run: 1,
            chunk: 3,
            resent: false,
        };
        assert_eq!(kind(serde_json::to_value(&task).unwrap()), "campaign");
        let wake = WakeTask { wake_campaigns: 1 };
        assert_eq!(kind(serde_json::to_value(wake).unwrap()), "wake");
        assert_eq!(kind(serde_json::json!({"what": 1})), "undecodable");
        // Messages queued before scrubs existed still decode as what they were.
        let old_campaign = serde_json::json!({"campaign_id": "cmp_1", "run": 1, "chunk": 0});
        assert_eq!(kind(old_campaign), "campaign");
        let scrub = ScrubTask {
            scrub: "er_1".into(),
            who: nps_shared::campaign::ErasedPerson::Email("kim@example.com".into()),
            from_campaign: Some("cmp_1".into()),
            from_part: 3,
            finished: false,
            archive: false,
        };
        let body = serde_json::to_value(&scrub).unwrap();
        assert_eq!(kind(body.clone()), "scrub");
        assert_eq!(serde_json::from_value::<ScrubTask>(body).unwrap(), scrub);
        let first = serde_json::json!({"scrub": "er_2", "who": {"id": "cust-42"}});
        assert_eq!(kind(first), "scrub", "the cursor may be left out");
    }
}
