//! RabbitMQ backend (lapin): topology declared idempotently, persistent mandatory publishes
//! awaited for their publisher confirm under a timeout, a supervisor that reconnects the
//! publishing connection (and drives `/readyz`), and per-shard consumers with manual acks.
//!
//! In the order data flows: `supervise` (the publishing connection, reconnected), `connect`
//! (URL and topology declaration), `publish` (confirmed publishes and dead letters), `consume`
//! (the consumer loop, and settling each delivery's outcome), `depths` (queue depth gauges) and
//! `fields` (AMQP header values).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use lapin::{Channel, Connection};
use prometheus_client::metrics::gauge::Gauge;
use tokio::sync::RwLock;
use tokio_util::sync::CancellationToken;

use super::QueueError;
use super::topology::Topology;
use crate::config::Secret;

mod connect;
mod consume;
mod depths;
mod fields;
mod publish;
mod supervise;

pub use connect::{FRAME_MAX, connect, declare, with_frame_max};
pub use fields::header_text;
pub use publish::{ATTEMPT_HEADER, DEAD_AT_HEADER, REASON_HEADER};

use supervise::supervise;

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

    /// Drops the publishing connection: not ready until the supervisor reconnects.
    async fn mark_broken(&self) {
        self.inner.ready.store(false, Ordering::Release);
        if let Some((conn, _)) = self.inner.channel.write().await.take() {
            let _ = tokio::time::timeout(Duration::from_secs(1), conn.close(320, "reconnecting".into())).await;
        }
    }

    /// Awaits a broker call under the confirm timeout.
    pub(super) async fn bounded<T>(&self, f: impl std::future::Future<Output = lapin::Result<T>>) -> Result<T, QueueError> {
        let limit = self.inner.settings.confirm_timeout;
        tokio::time::timeout(limit, f).await.map_err(|_| QueueError::ConfirmTimeout(limit))?.map_err(QueueError::Amqp)
    }
}
