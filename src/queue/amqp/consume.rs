//! Consuming: the consumer loop (reconnecting, stopping on a fatal refusal), and settling each
//! delivery — the handler's outcome made durable (retry, next step, dead letter) before the ack.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use lapin::options::{BasicAckOptions, BasicNackOptions};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

use super::AmqpBroker;
use super::connect::{connect, declare};
use super::supervise::{backoff, fatal_of};
use crate::domain::Job;
use crate::queue::{Handler, Outcome, QueueError};

impl AmqpBroker {
    /// Consumes the shards this process claims with `handler`, `concurrency` jobs at once, until
    /// `shutdown`; returns early only on a fatal refusal before the first connection.
    pub(in crate::queue) async fn consume(&self, handler: Handler, concurrency: usize, shutdown: CancellationToken) -> Result<(), QueueError> {
        let permits = Arc::new(Semaphore::new(concurrency.max(1)));
        let mut failures = 0u32;
        while !shutdown.is_cancelled() {
            match self.consume_once(&handler, &permits, &shutdown).await {
                Ok(()) => failures = 0,
                Err(e) if fatal_of(&e).is_some() && !self.inner.connected_once.load(Ordering::Acquire) => {
                    let fix = fatal_of(&e).unwrap_or_default();
                    if let Ok(mut f) = self.inner.fatal.lock() {
                        f.get_or_insert_with(|| fix.clone());
                    }
                    return Err(QueueError::Fatal(fix));
                }
                Err(e) => {
                    failures += 1;
                    tracing::warn!(error = %e, "consumer connection lost; reconnecting");
                }
            }
            let pause = backoff(failures);
            tokio::select! { _ = shutdown.cancelled() => {}, _ = tokio::time::sleep(pause) => {} }
        }
        Ok(())
    }

    async fn consume_once(&self, handler: &Handler, permits: &Arc<Semaphore>, shutdown: &CancellationToken) -> Result<(), QueueError> {
        let s = &self.inner.settings;
        let conn = self.bounded(connect(&s.url)).await?;
        declare(&self.bounded(conn.create_channel()).await?, &s.topology, s.confirm_timeout).await?;
        tracing::info!(shards = s.topology.shards, "consuming the shards this process claims");
        let result = crate::queue::shards::serve(self, &conn, handler, permits, shutdown).await;
        let _ = tokio::time::timeout(Duration::from_secs(2), conn.close(200, "bye".into())).await;
        result
    }

    /// Makes `outcome` durable (republish or dead letter), then acks `delivery`; requeues it
    /// when that fails.
    pub(in crate::queue) async fn settle(&self, delivery: &lapin::message::Delivery, job: Option<Job>, outcome: Outcome) -> Result<(), QueueError> {
        let durable = match (job, outcome) {
            (_, Outcome::Done) => Ok(()),
            (Some(mut job), Outcome::Retry { after, error }) => {
                job.attempt += 1;
                tracing::info!(job_id = %job.id, attempt = job.attempt, ?after, %error, "retrying later");
                self.publish(&job, Some(after)).await
            }
            (Some(job), Outcome::Continue { job: mut next, after }) => {
                next.attempt = job.attempt + 1;
                tracing::info!(job_id = %next.id, attempt = next.attempt, ?after, "next step later");
                self.publish(&next, Some(after)).await
            }
            (Some(job), Outcome::DeadLetter { reason }) => {
                tracing::warn!(job_id = %job.id, %reason, "dead-lettering");
                self.dead_letter(&job, &reason).await
            }
            (None, Outcome::Continue { .. }) => {
                let id = delivery.properties.message_id().as_ref().map(|s| s.as_str().to_owned()).unwrap_or_default();
                self.dead_letter_raw(&delivery.data, None, &id, 0, "an unreadable envelope asked to continue").await
            }
            (None, Outcome::Retry { error: reason, .. } | Outcome::DeadLetter { reason }) => {
                let id = delivery.properties.message_id().as_ref().map(|s| s.as_str().to_owned()).unwrap_or_default();
                tracing::warn!(message_id = %id, %reason, "dead-lettering an unreadable envelope");
                self.dead_letter_raw(&delivery.data, None, &id, 0, &reason).await
            }
        };
        match durable {
            Ok(()) => self.bounded(delivery.acker.ack(BasicAckOptions::default())).await.map(|_| ()),
            Err(e) => {
                tracing::warn!(error = %e, "could not record the outcome; requeueing the delivery");
                let _ = self.bounded(delivery.acker.nack(BasicNackOptions { requeue: true, ..BasicNackOptions::default() })).await;
                Err(e)
            }
        }
    }
}
