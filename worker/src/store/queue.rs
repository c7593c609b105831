//! The Cloudflare Queue that carries webhook deliveries from the fetch handler (the
//! producer) to the queue handler (the consumer, `delivery.rs`) of the same worker, and
//! the dead-letter queue where deliveries that failed for good are parked.

use super::{DeliveryQueue, DeliveryTask, StoreResult};
use worker::{BatchMessageBuilder, MessageBuilder, Queue};

/// The most messages one `sendBatch` carries (Cloudflare Queues limits).
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
        if tasks.is_empty() {
            return Ok(());
        }
        // A group of answers queues hundreds at once; one `sendBatch` takes at most
        // 100 messages (Queues limits).
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
