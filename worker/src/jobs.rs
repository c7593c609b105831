//! The consumer of the `JOBS` queue: long jobs in steps, one step a message. Today the
//! one kind of job is an export, a chunk a message (`service::exports`).
//!
//! D1's query limit is per invocation, so an invocation takes one message of its batch
//! and hands the others back to the queue (`max_batch_size = 1` in wrangler.toml makes
//! that the rare case). A message the service could not settle comes back after a while.

use crate::app::{App, now_ms};
use crate::service::exports;
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
        Ok(task) => task,
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
