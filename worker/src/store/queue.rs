//! The Cloudflare Queue that carries webhook deliveries from the fetch handler (the
//! producer) to the queue handler (the consumer, `delivery.rs`) of the same worker, and
//! the dead-letter queue where deliveries that failed for good are parked; and the queue
//! of long jobs (export chunks), which the same worker consumes too.

use super::{DeliveryQueue, DeliveryTask, ExportTask, JobQueue, StoreResult};
use worker::{BatchMessageBuilder, MessageBuilder, Queue};

/// A `sendBatch` carries at most this many messages (Cloudflare Queues limits): a
/// cron run that announces more sends them in several.
const MESSAGES_PER_SEND: usize = 100;

pub struct QueueSender {
    queue: Queue,
    dead_letters: Queue,
}

impl QueueSender {
    pub fn new(queue: Queue, dead_letters: Queue) -> Self {
        QueueSender {
            queue,
            dead_letters,
        }
    }
}

impl DeliveryQueue for QueueSender {
    async fn enqueue(&self, tasks: &[DeliveryTask], delay_seconds: u32) -> StoreResult<()> {
        for chunk in tasks.chunks(MESSAGES_PER_SEND) {
            let batch = BatchMessageBuilder::new()
                .messages(chunk.iter().map(|t| {
                    MessageBuilder::new(t.clone())
                        .delay_seconds(delay_seconds)
                        .build()
                }))
                .build();
            self.queue.send_batch(batch).await?;
        }
        Ok(())
    }

    async fn dead_letter(&self, task: &DeliveryTask) -> StoreResult<()> {
        self.dead_letters.send(task.clone()).await?;
        Ok(())
    }
}

/// The `JOBS` queue: one message per step of a long job.
pub struct JobSender {
    queue: Queue,
}

impl JobSender {
    pub fn new(queue: Queue) -> Self {
        JobSender { queue }
    }
}

impl JobQueue for JobSender {
    async fn enqueue_job(&self, task: &ExportTask, delay_seconds: u32) -> StoreResult<()> {
        send_delayed(&self.queue, task, delay_seconds).await
    }
}

impl super::campaigns::CampaignQueue for JobSender {
    async fn enqueue_campaign(
        &self,
        task: &super::campaigns::CampaignTask,
        delay_seconds: u32,
    ) -> StoreResult<()> {
        send_delayed(&self.queue, task, delay_seconds).await
    }

    async fn enqueue_wake(&self, task: &super::campaigns::WakeTask) -> StoreResult<()> {
        self.queue.send(*task).await?;
        Ok(())
    }

    async fn enqueue_scrub(
        &self,
        task: &super::campaigns::ScrubTask,
        delay_seconds: u32,
    ) -> StoreResult<()> {
        send_delayed(&self.queue, task, delay_seconds).await
    }
}

/// Sends one message of `task`, delivered `delay_seconds` from now.
async fn send_delayed<T: serde::Serialize + Clone>(
    queue: &Queue,
    task: &T,
    delay_seconds: u32,
) -> StoreResult<()> {
    queue
        .send(
            MessageBuilder::new(task.clone())
                .delay_seconds(delay_seconds)
                .build(),
        )
        .await?;
    Ok(())
}
