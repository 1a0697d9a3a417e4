//! RabbitMQ backend (lapin): topology declared idempotently, persistent mandatory publishes
//! awaited for their publisher confirm under a timeout, a supervisor that reconnects the
//! publishing connection (and drives `/readyz`), and per-shard consumers with manual acks.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use lapin::options::{
    BasicAckOptions, BasicNackOptions, BasicPublishOptions, ConfirmSelectOptions,
    ExchangeDeclareOptions, QueueBindOptions, QueueDeclareOptions,
};
use lapin::types::{AMQPValue, FieldTable, LongString, ShortString};
use lapin::{BasicProperties, Channel, Confirmation, Connection, ConnectionProperties, ExchangeKind};
use prometheus_client::metrics::gauge::Gauge;
use time::OffsetDateTime;
use tokio::sync::{RwLock, Semaphore};
use tokio_util::sync::CancellationToken;

use super::envelope::{self, SIGNATURE_HEADER};
use super::topology::{Arg, Topology};
use super::{Handler, Outcome, QueueError};
use crate::config::Secret;
use crate::domain::Job;

/// Header on dead letters: why the job was parked.
pub const REASON_HEADER: &str = "x-lsb-reason";
/// Header on dead letters: attempts made.
pub const ATTEMPT_HEADER: &str = "x-lsb-attempt";
/// Header on dead letters: when it was parked (RFC 3339).
pub const DEAD_AT_HEADER: &str = "x-lsb-dead-at";

/// Connection settings of the broker handle.
#[derive(Debug, Clone)]
pub struct AmqpSettings {
    /// Broker URL.
    pub url: String,
    /// Names and arguments.
    pub topology: Topology,
    /// Envelope signing key.
    pub signing_key: Secret,
    /// How long a publish waits for its confirm (also bounds every broker await).
    pub confirm_timeout: Duration,
    /// How often a consumer counts the workers and claims or releases shards (jittered ±25 %).
    pub rebalance: Duration,
}

struct Inner {
    settings: AmqpSettings,
    channel: RwLock<Option<(Arc<Connection>, Channel)>>,
    ready: AtomicBool,
    shutdown: CancellationToken,
    /// A refusal no retry can fix, met before the first successful connection.
    fatal: std::sync::Mutex<Option<String>>,
    /// Whether a connection ever succeeded (later refusals are retried).
    connected_once: AtomicBool,
    /// `lsb_shards_owned`: claims held by this process's consumer connection.
    shards_owned: std::sync::Mutex<Gauge>,
}

/// A cloneable handle on the RabbitMQ connection used for publishing.
#[derive(Clone)]
pub struct AmqpBroker {
    inner: Arc<Inner>,
}

impl AmqpBroker {
    /// Starts the supervisor that connects (and reconnects) in the background; publishes
    /// fail with [`QueueError::Unavailable`] until it is connected. Stops with `shutdown`.
    pub fn start(settings: AmqpSettings, shutdown: CancellationToken) -> Self {
        let inner = Arc::new(Inner { settings, channel: RwLock::new(None), ready: AtomicBool::new(false), shutdown, fatal: std::sync::Mutex::new(None), connected_once: AtomicBool::new(false), shards_owned: std::sync::Mutex::new(Gauge::default()) });
        tokio::spawn(supervise(inner.clone()));
        Self { inner }
    }

    /// Waits until connected, at most `limit`.
    pub async fn wait_ready(&self, limit: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + limit;
        while !self.is_ready() {
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        true
    }

    /// The broker refusal that stopped this handle at start-up (wrong credentials, vhost,
    /// permissions, changed queue arguments), with its fix. The handle's shutdown token is
    /// cancelled when it is set.
    pub fn fatal(&self) -> Option<String> {
        self.inner.fatal.lock().ok().and_then(|f| f.clone())
    }

    /// Waits until connected, at most `limit`, or until a fatal refusal (returned).
    pub async fn wait_ready_or_fatal(&self, limit: Duration) -> Result<bool, QueueError> {
        let deadline = tokio::time::Instant::now() + limit;
        while !self.is_ready() {
            if let Some(f) = self.fatal() {
                return Err(QueueError::Fatal(f));
            }
            if tokio::time::Instant::now() >= deadline {
                return Ok(false);
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        Ok(true)
    }

    /// Whether the publishing connection is up.
    pub fn is_ready(&self) -> bool {
        self.inner.ready.load(Ordering::Acquire)
    }

    /// The topology in use.
    pub fn topology(&self) -> &Topology {
        &self.inner.settings.topology
    }

    pub(super) fn settings(&self) -> &AmqpSettings {
        &self.inner.settings
    }

    /// Reports the shards this process's consumers own into `metrics` (`lsb_shards_owned`).
    pub fn report_shards_to(&self, metrics: &crate::metrics::Metrics) {
        if let Ok(mut g) = self.inner.shards_owned.lock() {
            *g = metrics.shards_owned.clone();
        }
    }

    pub(super) fn shards_owned_gauge(&self) -> Gauge {
        self.inner.shards_owned.lock().map(|g| g.clone()).unwrap_or_default()
    }

    pub(super) async fn publish(&self, job: &Job, delay: Option<Duration>) -> Result<(), QueueError> {
        let t = &self.inner.settings.topology;
        let exchange = match delay {
            None => t.jobs_exchange(),
            Some(d) => t.delay(Topology::tier_for(d)),
        };
        let key = Topology::routing_key(t.shard_of(&job.space));
        let (body, sig) = envelope::seal(job, self.inner.settings.signing_key.expose().as_bytes());
        let headers = table([(SIGNATURE_HEADER, text(&sig))]);
        self.publish_raw(&exchange, &key, &body, &job.id, headers).await
    }

    /// Parks a job in the dead-letter queue with its reason (confirmed).
    pub async fn dead_letter(&self, job: &Job, reason: &str) -> Result<(), QueueError> {
        let (body, sig) = envelope::seal(job, self.inner.settings.signing_key.expose().as_bytes());
        self.dead_letter_raw(&body, Some(&sig), &job.id, job.attempt, reason).await
    }

    async fn dead_letter_raw(&self, body: &[u8], sig: Option<&str>, id: &str, attempt: u32, reason: &str) -> Result<(), QueueError> {
        let now = OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
        let mut headers = table([(REASON_HEADER, text(reason)), (DEAD_AT_HEADER, text(&now)), (ATTEMPT_HEADER, AMQPValue::LongLongInt(i64::from(attempt)))]);
        if let Some(sig) = sig {
            headers.insert(SIGNATURE_HEADER.into(), text(sig));
        }
        let dead = self.inner.settings.topology.dead();
        self.publish_raw(&dead, "", body, id, headers).await
    }

    async fn publish_raw(&self, exchange: &str, key: &str, body: &[u8], id: &str, headers: FieldTable) -> Result<(), QueueError> {
        let guard = self.inner.channel.read().await;
        // One confirm channel: concurrent publishes get their confirms in batches
        // (multiple=true); 4 channels measured more broker CPU per message (README, Benchmarks).
        let Some((_, ch)) = guard.as_ref() else { return Err(QueueError::Unavailable("not connected".into())) };
        let props = BasicProperties::default()
            .with_delivery_mode(2) // Ref AMQP 0-9-1 §1.8 basic.properties: 2 = persistent
            .with_content_type("application/json".into())
            .with_message_id(id.into())
            .with_headers(headers);
        // Ref AMQP 0-9-1 basic.publish: mandatory => unroutable messages come back instead of vanishing.
        let opts = BasicPublishOptions { mandatory: true, ..BasicPublishOptions::default() };
        let limit = self.inner.settings.confirm_timeout;
        let confirm = tokio::time::timeout(limit, async { ch.basic_publish(exchange.into(), key.into(), opts, body, props).await?.await }).await;
        drop(guard);
        match confirm {
            Err(_) => Err(QueueError::ConfirmTimeout(limit)),
            Ok(Err(e)) => {
                self.mark_broken().await;
                Err(QueueError::Amqp(e))
            }
            Ok(Ok(Confirmation::Ack(None))) => Ok(()),
            Ok(Ok(Confirmation::Ack(Some(ret)))) => Err(QueueError::Refused(format!("unroutable: {}", ret.reply_text))),
            Ok(Ok(Confirmation::Nack(_))) => Err(QueueError::Refused("nack".into())),
            Ok(Ok(Confirmation::NotRequested)) => Err(QueueError::Refused("confirms not enabled".into())),
        }
    }

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

    async fn mark_broken(&self) {
        self.inner.ready.store(false, Ordering::Release);
        if let Some((conn, _)) = self.inner.channel.write().await.take() {
            let _ = tokio::time::timeout(Duration::from_secs(1), conn.close(320, "reconnecting".into())).await;
        }
    }

    pub(super) async fn consume(&self, handler: Handler, concurrency: usize, shutdown: CancellationToken) -> Result<(), QueueError> {
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
        let result = super::shards::serve(self, &conn, handler, permits, shutdown).await;
        let _ = tokio::time::timeout(Duration::from_secs(2), conn.close(200, "bye".into())).await;
        result
    }

    pub(super) async fn bounded<T>(&self, f: impl std::future::Future<Output = lapin::Result<T>>) -> Result<T, QueueError> {
        let limit = self.inner.settings.confirm_timeout;
        tokio::time::timeout(limit, f).await.map_err(|_| QueueError::ConfirmTimeout(limit))?.map_err(QueueError::Amqp)
    }

    pub(super) async fn settle(&self, delivery: &lapin::message::Delivery, job: Option<Job>, outcome: Outcome) -> Result<(), QueueError> {
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

async fn supervise(inner: Arc<Inner>) {
    let mut failures = 0u32;
    while !inner.shutdown.is_cancelled() {
        match open_publisher(&inner.settings).await {
            Ok((conn, ch)) => {
                failures = 0;
                inner.connected_once.store(true, Ordering::Release);
                let conn = Arc::new(conn);
                *inner.channel.write().await = Some((conn.clone(), ch));
                inner.ready.store(true, Ordering::Release);
                tracing::info!("broker connected");
                while conn.status().connected() && inner.ready.load(Ordering::Acquire) && !inner.shutdown.is_cancelled() {
                    tokio::select! { _ = inner.shutdown.cancelled() => {}, _ = tokio::time::sleep(Duration::from_millis(200)) => {} }
                }
                inner.ready.store(false, Ordering::Release);
                if let Some((c, _)) = inner.channel.write().await.take() {
                    let _ = tokio::time::timeout(Duration::from_secs(1), c.close(200, "bye".into())).await;
                }
                if !inner.shutdown.is_cancelled() {
                    tracing::warn!("broker connection lost; reconnecting");
                }
            }
            Err(e) => {
                failures += 1;
                if let Some(fix) = fatal_of(&e) {
                    if !inner.connected_once.load(Ordering::Acquire) {
                        tracing::error!(error = %fix, "the broker refused this configuration; stopping");
                        if let Ok(mut f) = inner.fatal.lock() {
                            *f = Some(fix);
                        }
                        inner.shutdown.cancel();
                        return;
                    }
                    tracing::error!(error = %fix, attempt = failures, "the broker refused this configuration; retrying");
                } else {
                    tracing::warn!(error = %e, attempt = failures, "cannot connect to the broker");
                }
            }
        }
        tokio::select! { _ = inner.shutdown.cancelled() => {}, _ = tokio::time::sleep(backoff(failures)) => {} }
    }
}

/// The fix for a refusal retrying cannot help with, if `e` is one.
fn fatal_of(e: &QueueError) -> Option<String> {
    match e {
        QueueError::Amqp(e) => super::fatal::fatal_reason(e),
        QueueError::Fatal(f) => Some(f.clone()),
        _ => None,
    }
}

async fn open_publisher(s: &AmqpSettings) -> Result<(Connection, Channel), QueueError> {
    let t = s.confirm_timeout;
    let timed = |e| QueueError::ConfirmTimeout(e);
    let conn = tokio::time::timeout(t, connect(&s.url)).await.map_err(|_| timed(t))??;
    let ch = tokio::time::timeout(t, conn.create_channel()).await.map_err(|_| timed(t))??;
    declare(&ch, &s.topology, t).await?;
    // Ref RabbitMQ publisher confirms (confirm.select): every publish gets an ack/nack.
    tokio::time::timeout(t, ch.confirm_select(ConfirmSelectOptions::default())).await.map_err(|_| timed(t))??;
    Ok((conn, ch))
}

/// Largest AMQP frame the client proposes unless the URL sets `frame_max`. lapin keeps
/// send and receive buffers of 32 frames each, zero-filled: at RabbitMQ's default 128 KiB that is
/// 8 MiB per connection for envelopes of about 1 KiB. Larger messages are split into frames.
pub const FRAME_MAX: u32 = 16 * 1024;

/// `url` with `frame_max` set to [`FRAME_MAX`] when it does not say otherwise.
pub fn with_frame_max(url: &str) -> String {
    if url.contains("frame_max=") {
        return url.to_owned();
    }
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}frame_max={FRAME_MAX}")
}

/// Opens a connection to `url` (with [`with_frame_max`]).
pub async fn connect(url: &str) -> lapin::Result<Connection> {
    Connection::connect(&with_frame_max(url), ConnectionProperties::default()).await
}

/// Declares every exchange, queue and binding of `t` (idempotent; a queue declared before
/// with other arguments fails with PRECONDITION_FAILED, naming it).
pub async fn declare(ch: &Channel, t: &Topology, limit: Duration) -> Result<(), QueueError> {
    let timed = |_| QueueError::ConfirmTimeout(limit);
    let durable = ExchangeDeclareOptions { durable: true, ..ExchangeDeclareOptions::default() };
    for ex in t.exchanges() {
        let kind = if ex.kind == "fanout" { ExchangeKind::Fanout } else { ExchangeKind::Direct };
        tokio::time::timeout(limit, ch.exchange_declare(ex.name.as_str().into(), kind, durable, FieldTable::default())).await.map_err(timed)??;
    }
    for q in t.queues() {
        let args = FieldTable::from(q.args.iter().map(|(k, v)| (ShortString::from(*k), arg_value(v))).collect::<std::collections::BTreeMap<_, _>>());
        tokio::time::timeout(limit, ch.queue_declare(q.name.as_str().into(), QueueDeclareOptions::durable(), args)).await.map_err(timed)??;
        tokio::time::timeout(limit, ch.queue_bind(q.name.as_str().into(), q.exchange.as_str().into(), q.routing_key.as_str().into(), QueueBindOptions::default(), FieldTable::default()))
            .await
            .map_err(timed)??;
    }
    Ok(())
}

fn arg_value(a: &Arg) -> AMQPValue {
    match a {
        Arg::Str(s) => text(s),
        Arg::Owned(s) => text(s),
        Arg::Int(i) => AMQPValue::LongLongInt(*i),
        Arg::Bool(b) => AMQPValue::Boolean(*b),
    }
}

fn text(s: &str) -> AMQPValue {
    AMQPValue::LongString(LongString::from(s.as_bytes().to_vec()))
}

fn table<const N: usize>(pairs: [(&str, AMQPValue); N]) -> FieldTable {
    let mut t = FieldTable::default();
    for (k, v) in pairs {
        t.insert(k.into(), v);
    }
    t
}

/// A text header of a message, if present.
pub fn header_text(props: &BasicProperties, name: &str) -> Option<String> {
    let headers = props.headers().as_ref()?;
    match headers.inner().get(name)? {
        AMQPValue::LongString(s) => Some(String::from_utf8_lossy(s.as_bytes()).into_owned()),
        AMQPValue::ShortString(s) => Some(s.as_str().to_owned()),
        AMQPValue::LongLongInt(i) => Some(i.to_string()),
        other => Some(format!("{other:?}")),
    }
}

/// Reconnect pause: 100 ms doubling to 5 s.
fn backoff(failures: u32) -> Duration {
    Duration::from_millis(100u64.saturating_mul(1 << failures.min(6))).min(Duration::from_secs(5))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_max_is_added_unless_the_url_sets_it() {
        assert_eq!(with_frame_max("amqp://h:5672/%2f"), "amqp://h:5672/%2f?frame_max=16384");
        assert_eq!(with_frame_max("amqp://h:5672/%2f?heartbeat=10"), "amqp://h:5672/%2f?heartbeat=10&frame_max=16384");
        assert_eq!(with_frame_max("amqp://h:5672/%2f?frame_max=131072"), "amqp://h:5672/%2f?frame_max=131072");
    }
}
