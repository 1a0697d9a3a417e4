//! The supervisor of the publishing connection: connects, declares the topology, turns on
//! publisher confirms, drives `/readyz`, reconnects with backoff, and stops on a fatal refusal.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use lapin::options::ConfirmSelectOptions;
use lapin::{Channel, Connection};

use super::connect::{connect, declare};
use super::{AmqpSettings, Inner};
use crate::queue::QueueError;

/// Keeps the publishing connection of `inner` up until shutdown.
pub(super) async fn supervise(inner: Arc<Inner>) {
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
pub(super) fn fatal_of(e: &QueueError) -> Option<String> {
    match e {
        QueueError::Amqp(e) => crate::queue::fatal::fatal_reason(e),
        QueueError::Fatal(f) => Some(f.clone()),
        _ => None,
    }
}

/// Connects, declares the topology and turns on publisher confirms, each under the timeout.
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

/// Reconnect pause: 100 ms doubling to 5 s.
pub(super) fn backoff(failures: u32) -> Duration {
    Duration::from_millis(100u64.saturating_mul(1 << failures.min(6))).min(Duration::from_secs(5))
}
