//! Dead letters: list, show, replay and purge the `<prefix>.dead` queue (`jobs dead …`).
//! Reading is non-destructive: messages are fetched with manual acks and returned with a
//! requeue unless they are being replayed or purged.

use std::time::Duration;

use lapin::options::{BasicAckOptions, BasicGetOptions, BasicNackOptions, QueuePurgeOptions};
use time::OffsetDateTime;

use super::QueueError;
use super::amqp::{ATTEMPT_HEADER, AmqpBroker, DEAD_AT_HEADER, REASON_HEADER, header_text};
use super::envelope::{self, SIGNATURE_HEADER};
use crate::domain::Job;

/// One parked job as read from the dead-letter queue.
#[derive(Debug, Clone)]
pub struct DeadLetter {
    /// AMQP message id (the job id).
    pub id: String,
    /// Why it was parked (`x-lsb-reason`, or RabbitMQ's `x-death` reason).
    pub reason: String,
    /// Attempts made.
    pub attempt: Option<String>,
    /// When it was parked.
    pub dead_at: Option<String>,
    /// The job, if its signature verifies.
    pub job: Option<Job>,
    /// The raw body.
    pub body: String,
}

/// Reads, then hands each message to `decide`: `true` acks (removes) it, `false` requeues it.
async fn sweep<F>(broker: &AmqpBroker, url: &str, key: &[u8], limit: usize, mut decide: F) -> Result<Vec<DeadLetter>, QueueError>
where
    F: AsyncFnMut(&DeadLetter) -> Result<bool, QueueError>,
{
    let conn = tokio::time::timeout(Duration::from_secs(10), super::amqp::connect(url))
        .await
        .map_err(|_| QueueError::ConfirmTimeout(Duration::from_secs(10)))??;
    let ch = conn.create_channel().await?;
    let queue = broker.topology().dead();
    // Only the letters present now: a replayed job that fails again is not swept twice.
    let passive = lapin::options::QueueDeclareOptions { passive: true, ..lapin::options::QueueDeclareOptions::default() };
    let present = ch.queue_declare(queue.as_str().into(), passive, lapin::types::FieldTable::default()).await?.message_count() as usize;
    let mut seen = Vec::new();
    let mut requeue = Vec::new();
    while seen.len() < limit.min(present) {
        let Some(msg) = ch.basic_get(queue.as_str().into(), BasicGetOptions { no_ack: false }).await? else { break };
        let d = &msg.delivery;
        let sig = header_text(&d.properties, SIGNATURE_HEADER);
        let letter = DeadLetter {
            id: d.properties.message_id().as_ref().map(|s| s.as_str().to_owned()).unwrap_or_default(),
            reason: header_text(&d.properties, REASON_HEADER).unwrap_or_else(|| "delivery limit exceeded or rejected by the broker".into()),
            attempt: header_text(&d.properties, ATTEMPT_HEADER),
            dead_at: header_text(&d.properties, DEAD_AT_HEADER),
            job: envelope::open(&d.data, sig.as_deref(), key).ok(),
            body: String::from_utf8_lossy(&d.data).into_owned(),
        };
        if decide(&letter).await? {
            d.acker.ack(BasicAckOptions::default()).await?;
        } else {
            requeue.push(msg);
        }
        seen.push(letter);
    }
    for msg in requeue {
        msg.delivery.acker.nack(BasicNackOptions { requeue: true, ..BasicNackOptions::default() }).await?;
    }
    let _ = conn.close(200, "bye".into()).await;
    Ok(seen)
}

/// Lists up to `limit` dead letters without removing them.
pub async fn list(broker: &AmqpBroker, url: &str, key: &[u8], limit: usize) -> Result<Vec<DeadLetter>, QueueError> {
    sweep(broker, url, key, limit, async |_| Ok(false)).await
}

/// Republishes the dead letters whose id is in `ids` (all when `None`) as fresh jobs
/// (attempt 0, reason `replay`), removing each only after the broker confirmed its copy.
/// Returns the ids replayed; letters whose signature does not verify stay parked.
pub async fn replay(broker: &AmqpBroker, url: &str, key: &[u8], ids: Option<&[String]>) -> Result<Vec<String>, QueueError> {
    let mut replayed = Vec::new();
    sweep(broker, url, key, usize::MAX, async |letter: &DeadLetter| {
        let wanted = ids.is_none_or(|ids| ids.contains(&letter.id));
        let Some(job) = letter.job.clone().filter(|_| wanted) else { return Ok(false) };
        let fresh = Job { attempt: 0, reason: "replay".into(), received_at: OffsetDateTime::now_utc(), ..job };
        broker.publish(&fresh, None).await?;
        replayed.push(letter.id.clone());
        Ok(true)
    })
    .await?;
    Ok(replayed)
}

/// Deletes every dead letter; returns how many there were.
pub async fn purge(broker: &AmqpBroker, url: &str) -> Result<u32, QueueError> {
    let conn = super::amqp::connect(url).await?;
    let ch = conn.create_channel().await?;
    let n = ch.queue_purge(broker.topology().dead().as_str().into(), QueuePurgeOptions::default()).await?;
    let _ = conn.close(200, "bye".into()).await;
    Ok(n)
}
