//! What the simulator records for tests: every call it answered and every webhook delivery.

/// One request the simulator received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallRecord {
    /// `GET`, `POST`, …
    pub method: String,
    /// The path as sent (percent-encoded, e.g. `/api/spaces/a/b/commit/refs%2Fpr%2F1`).
    pub path: String,
    /// The query string, if any.
    pub query: Option<String>,
    /// The status answered; `None` when the connection was dropped.
    pub status: Option<u16>,
    /// The authenticated user; `None` for anonymous calls.
    pub user: Option<String>,
}

/// One webhook POST the simulator made.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    /// The webhook id.
    pub webhook_id: String,
    /// The target URL.
    pub url: String,
    /// The JSON payload sent.
    pub payload: serde_json::Value,
    /// The `X-Webhook-Secret` sent.
    pub secret: Option<String>,
    /// The receiver's status; `None` if it could not be reached.
    pub status: Option<u16>,
}

impl Delivery {
    /// `event.scope` of the payload, e.g. `repo.content`.
    pub fn scope(&self) -> &str {
        self.payload.pointer("/event/scope").and_then(|v| v.as_str()).unwrap_or_default()
    }
}
