//! The job queue: publish signed jobs with confirms, consume them with manual acks, and
//! turn a handler's [`Outcome`] into ack / delayed retry / dead letter. RabbitMQ ([`amqp`])
//! in production and tests; an in-process [`memory`] backend only for `demo`.

pub mod amqp;
pub mod claims;
pub mod dead;
pub mod envelope;
pub mod fatal;
pub mod memory;
mod shards;
pub mod topology;

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use tokio_util::sync::CancellationToken;

use crate::domain::Job;

/// What became of a job; the queue layer makes it durable before acking the delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Finished (PR opened or updated, nothing to do, discussion opened...).
    Done,
    /// Transient failure: try again after at least `after`.
    Retry {
        /// Minimum wait (e.g. a Hub `Retry-After`).
        after: Duration,
        /// The error, recorded on the retried job's log line.
        error: String,
    },
    /// Not finished: enqueue this next step of the job (same id, attempt + 1, its progress
    /// updated) after at least `after` (a smoke job polling its preview).
    Continue {
        /// The job as its next delivery should see it.
        job: Box<crate::domain::Job>,
        /// Minimum wait.
        after: Duration,
    },
    /// Permanent failure or retries exhausted: park it in the dead-letter queue.
    DeadLetter {
        /// Why, shown by `jobs dead list`.
        reason: String,
    },
}

/// Errors of the queue layer.
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    /// Not connected to the broker right now.
    #[error("broker unavailable: {0}")]
    Unavailable(String),
    /// The broker did not confirm in time.
    #[error("broker did not confirm within {0:?}")]
    ConfirmTimeout(Duration),
    /// The broker refused the message (nack, or unroutable mandatory publish).
    #[error("broker refused the message: {0}")]
    Refused(String),
    /// The broker refused the connection or the topology in a way retrying cannot fix.
    #[error("{0}")]
    Fatal(String),
    /// A protocol or I/O error from the client library.
    #[error("broker error: {0}")]
    Amqp(#[from] lapin::Error),
}

/// The function a worker gives the queue: handle one verified job.
pub type Handler = Arc<dyn Fn(Job) -> BoxFuture<'static, Outcome> + Send + Sync>;

/// A broker handle: cheap to clone.
#[derive(Clone)]
pub enum Broker {
    /// RabbitMQ.
    Amqp(amqp::AmqpBroker),
    /// In-process queues (demo only: nothing survives the process).
    Memory(memory::MemoryBroker),
}

impl Broker {
    /// Publishes a job to its Space's shard and waits for the broker's confirm.
    pub async fn publish(&self, job: &Job) -> Result<(), QueueError> {
        match self {
            Self::Amqp(b) => b.publish(job, None).await,
            Self::Memory(b) => b.publish(job, None),
        }
    }

    /// Publishes a job that reaches its shard only after `delay` (rounded up to a tier).
    pub async fn publish_delayed(&self, job: &Job, delay: Duration) -> Result<(), QueueError> {
        match self {
            Self::Amqp(b) => b.publish(job, Some(delay)).await,
            Self::Memory(b) => b.publish(job, Some(delay)),
        }
    }

    /// Whether the broker connection is up (`/readyz`).
    pub fn is_ready(&self) -> bool {
        match self {
            Self::Amqp(b) => b.is_ready(),
            Self::Memory(_) => true,
        }
    }

    /// Consumes every shard until `shutdown`, at most `concurrency` jobs at once, jobs of one
    /// shard one at a time and in order. In-flight jobs finish before this returns.
    pub async fn consume(&self, handler: Handler, concurrency: usize, shutdown: CancellationToken) -> Result<(), QueueError> {
        match self {
            Self::Amqp(b) => b.consume(handler, concurrency, shutdown).await,
            Self::Memory(b) => b.consume(handler, concurrency, shutdown).await,
        }
    }
}
