//! Liveness and readiness.

use axum::extract::State;
use axum::http::StatusCode;

use super::ReceiverState;

/// `GET /healthz`: the process is up.
pub async fn healthz() -> &'static str {
    "ok"
}

/// `GET /readyz`: the broker is connected, so webhooks can be accepted.
pub async fn readyz(State(state): State<ReceiverState>) -> (StatusCode, &'static str) {
    if state.broker.is_ready() { (StatusCode::OK, "ready") } else { (StatusCode::SERVICE_UNAVAILABLE, "broker unavailable") }
}
