//! The Cloudflare Queue that carries webhook deliveries from the fetch handler (the
//! producer) to the queue handler (the consumer, `delivery.rs`) of the same worker.

use super::{DeliveryQueue, DeliveryTask, StoreResult};
use worker::{BatchMessageBuilder, MessageBuilder, Queue};

pub struct QueueSender {
    queue: Queue,
}

impl QueueSender {
    pub fn new(queue: Queue) -> Self {
        QueueSender { queue }
    }
}

impl DeliveryQueue for QueueSender {
    async fn enqueue(&self, tasks: &[DeliveryTask], delay_seconds: u32) -> StoreResult<()> {
        if tasks.is_empty() {
            return Ok(());
        }
        let batch = BatchMessageBuilder::new()
            .messages(tasks.iter().map(|t| {
                MessageBuilder::new(t.clone())
                    .delay_seconds(delay_seconds)
                    .build()
            }))
            .build();
        self.queue.send_batch(batch).await?;
        Ok(())
    }
}
