//! In-process queue backend for `demo` only: the same shard and outcome semantics as RabbitMQ,
//! without durability.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{Semaphore, mpsc};
use tokio_util::sync::CancellationToken;

use super::topology::Topology;
use super::{Handler, Outcome, QueueError};
use crate::domain::Job;

type Receivers = Vec<Option<mpsc::UnboundedReceiver<Job>>>;

/// Shard channels plus a dead-letter list.
#[derive(Clone)]
pub struct MemoryBroker {
    topology: Topology,
    senders: Vec<mpsc::UnboundedSender<Job>>,
    receivers: Arc<Mutex<Receivers>>,
    dead: Arc<Mutex<Vec<(Job, String)>>>,
}

impl MemoryBroker {
    /// A broker with `topology.shards` shards.
    pub fn new(topology: Topology) -> Self {
        let (senders, receivers): (Vec<_>, Vec<_>) = (0..topology.shards).map(|_| mpsc::unbounded_channel()).map(|(s, r)| (s, Some(r))).unzip();
        Self { topology, senders, receivers: Arc::new(Mutex::new(receivers)), dead: Arc::default() }
    }

    pub(super) fn publish(&self, job: &Job, delay: Option<Duration>) -> Result<(), QueueError> {
        let tx = self.senders[usize::from(self.topology.shard_of(&job.space))].clone();
        let job = job.clone();
        match delay {
            None => tx.send(job).map_err(|_| QueueError::Unavailable("memory queue closed".into())),
            Some(d) => {
                tokio::spawn(async move {
                    tokio::time::sleep(d).await;
                    let _ = tx.send(job);
                });
                Ok(())
            }
        }
    }

    /// Jobs parked as dead letters, with their reasons.
    pub fn dead_letters(&self) -> Vec<(Job, String)> {
        self.dead.lock().map(|d| d.clone()).unwrap_or_default()
    }

    pub(super) async fn consume(&self, handler: Handler, concurrency: usize, shutdown: CancellationToken) -> Result<(), QueueError> {
        let taken: Vec<_> = self.receivers.lock().map_err(|_| QueueError::Unavailable("poisoned".into()))?.iter_mut().filter_map(Option::take).collect();
        let permits = Arc::new(Semaphore::new(concurrency.max(1)));
        let mut tasks = tokio::task::JoinSet::new();
        for mut rx in taken {
            let (handler, permits, shutdown, this) = (handler.clone(), permits.clone(), shutdown.clone(), self.clone());
            tasks.spawn(async move {
                loop {
                    let job = tokio::select! { _ = shutdown.cancelled() => break, j = rx.recv() => match j { Some(j) => j, None => break } };
                    let Ok(_permit) = permits.acquire().await else { break };
                    this.settle(job.clone(), handler(job).await);
                }
            });
        }
        while tasks.join_next().await.is_some() {}
        Ok(())
    }

    fn settle(&self, mut job: Job, outcome: Outcome) {
        match outcome {
            Outcome::Done => {}
            Outcome::Retry { after, .. } => {
                job.attempt += 1;
                let _ = self.publish(&job, Some(after));
            }
            Outcome::Continue { job: mut next, after } => {
                next.attempt = job.attempt + 1;
                let _ = self.publish(&next, Some(after));
            }
            Outcome::DeadLetter { reason } => {
                if let Ok(mut d) = self.dead.lock() {
                    d.push((job, reason));
                }
            }
        }
    }
}
