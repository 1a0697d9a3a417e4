//! Liveness and readiness.

use axum::extract::State;
use axum::http::StatusCode;

use super::ReceiverState;

/// `GET /healthz`: the process is up.
pub async fn healthz() -> &'static str {
    "ok"
}

/// `GET /metrics`: Prometheus text exposition.
pub async fn metrics(State(state): State<ReceiverState>) -> ([(axum::http::HeaderName, &'static str); 1], String) {
    ([(axum::http::header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], state.metrics.render())
}

/// `GET /readyz`: the broker is connected, so webhooks can be accepted.
pub async fn readyz(State(state): State<ReceiverState>) -> (StatusCode, &'static str) {
    if state.broker.is_ready() { (StatusCode::OK, "ready") } else { (StatusCode::SERVICE_UNAVAILABLE, "broker unavailable") }
}
