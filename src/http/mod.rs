//! The webhook receiver (axum): verify the secret, cap and parse the body, classify the event,
//! publish jobs with confirms, and answer — 202 only once the broker confirmed.

pub mod error;
pub mod health;
pub mod limits;
pub mod server;
pub mod trace;
pub mod verify;
pub mod webhook;

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};

use crate::config::Secret;
use crate::domain::RepoId;
use crate::queue::Broker;

/// Path the Hub POSTs to.
pub const WEBHOOK_PATH: &str = "/webhooks/hub";

/// Everything a request handler needs, built once.
#[derive(Clone)]
pub struct ReceiverState {
    /// The webhook secret; `None` only in explicit insecure mode.
    pub secret: Option<Secret>,
    /// LoRA → Space links.
    pub links: Arc<Vec<(RepoId, RepoId)>>,
    /// Where jobs go.
    pub broker: Broker,
    /// Largest accepted body.
    pub max_body_bytes: usize,
    /// Publish confirm timeout.
    pub publish_timeout: std::time::Duration,
    /// Metrics registry.
    pub metrics: Arc<crate::metrics::Metrics>,
    /// Debounce window: jobs reach workers only after it (rounded up to a delay tier), so a
    /// burst of pushes collapses into one PR for the newest head. Zero publishes directly.
    pub debounce: std::time::Duration,
}

impl ReceiverState {
    /// The Spaces linked to `lora`.
    pub fn spaces_for(&self, lora: &RepoId) -> Vec<RepoId> {
        self.links.iter().filter(|(l, _)| l == lora).map(|(_, s)| s.clone()).collect()
    }
}

/// The receiver's routes.
pub fn router(state: ReceiverState) -> Router {
    Router::new()
        .route(WEBHOOK_PATH, post(webhook::receive))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
        .with_state(state)
}

/// Serves the worker's `/healthz`, `/readyz` and `/metrics` until `shutdown`.
pub async fn serve_worker_health(
    listener: tokio::net::TcpListener,
    metrics: Arc<crate::metrics::Metrics>,
    broker: Broker,
    shutdown: tokio_util::sync::CancellationToken,
) -> std::io::Result<()> {
    let app = Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(move || { let b = broker.clone(); async move { if b.is_ready() { (axum::http::StatusCode::OK, "ready") } else { (axum::http::StatusCode::SERVICE_UNAVAILABLE, "broker unavailable") } } }))
        .route("/metrics", get(move || { let m = metrics.clone(); async move { m.render() } }));
    axum::serve(listener, app).with_graceful_shutdown(async move { shutdown.cancelled().await }).await
}

/// Serves the receiver on `listener` with the default [`limits::ServerLimits`] until
/// `shutdown`, then drains in-flight requests.
pub async fn serve(listener: tokio::net::TcpListener, state: ReceiverState, shutdown: tokio_util::sync::CancellationToken) -> std::io::Result<()> {
    serve_with(listener, state, limits::ServerLimits::default(), shutdown).await
}

/// Serves the receiver under `limits` (`[receiver]` of the config) until `shutdown`.
pub async fn serve_with(listener: tokio::net::TcpListener, state: ReceiverState, limits: limits::ServerLimits, shutdown: tokio_util::sync::CancellationToken) -> std::io::Result<()> {
    server::serve_limited(listener, router(state), limits, shutdown).await
}
