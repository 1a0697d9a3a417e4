//! Queue depths: every queue of the topology read passively into `lsb_queue_depth{queue}` on a
//! timer, over the publishing connection.

use std::sync::Arc;
use std::time::Duration;

use lapin::options::QueueDeclareOptions;
use lapin::types::FieldTable;

use super::AmqpBroker;
use crate::queue::QueueError;

impl AmqpBroker {
    /// Reads the depth of every queue of the topology (shards, delay tiers, dead letters) into
    /// `lsb_queue_depth{queue}` every `every`, over the publishing connection, until shutdown.
    /// A poll that fails leaves the last values in place.
    pub fn watch_depths(&self, metrics: Arc<crate::metrics::Metrics>, every: Duration) {
        let this = self.clone();
        tokio::spawn(async move {
            let shutdown = this.inner.shutdown.clone();
            loop {
                tokio::select! { _ = shutdown.cancelled() => return, _ = tokio::time::sleep(every) => {} }
                if let Err(e) = this.poll_depths(&metrics).await {
                    tracing::debug!(error = %e, "queue depth poll failed");
                }
            }
        });
    }

    async fn poll_depths(&self, metrics: &crate::metrics::Metrics) -> Result<(), QueueError> {
        let conn = {
            let guard = self.inner.channel.read().await;
            let Some((conn, _)) = guard.as_ref() else { return Err(QueueError::Unavailable("not connected".into())) };
            conn.clone()
        };
        let ch = self.bounded(conn.create_channel()).await?;
        for q in self.inner.settings.topology.queues() {
            // Ref AMQP 0-9-1 queue.declare passive: reports message-count without creating.
            let passive = QueueDeclareOptions { passive: true, ..QueueDeclareOptions::default() };
            let declared = self.bounded(ch.queue_declare(q.name.as_str().into(), passive, FieldTable::default())).await?;
            metrics.set_queue_depth(&q.name, declared.message_count());
        }
        let _ = self.bounded(ch.close(200, "depths read".into())).await;
        Ok(())
    }
}
