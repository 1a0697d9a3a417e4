//! What a Gradio request can fail with: transport, HTTP status, decoding, the app's own error,
//! a stream without a result, or a missed deadline.

use std::time::Duration;

/// What a Gradio call or request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum GradioError {
    /// The connection failed or a body could not be read.
    #[error("{route}: transport error: {message}")]
    Transport {
        /// Which request.
        route: String,
        /// What went wrong.
        message: String,
    },
    /// An HTTP status other than success.
    #[error("{route}: HTTP {status}: {body}")]
    Status {
        /// Which request.
        route: String,
        /// The status.
        status: u16,
        /// The start of the body.
        body: String,
    },
    /// A body that is not what Gradio sends.
    #[error("{route}: unexpected response: {message}")]
    Decode {
        /// Which request.
        route: String,
        /// What was wrong.
        message: String,
    },
    /// The SSE stream ended with `event: error`.
    #[error("{api}: the app raised: {}", message.as_deref().unwrap_or("(no message; the app hides errors)"))]
    App {
        /// The endpoint.
        api: String,
        /// The error text, when the app shows errors.
        message: Option<String>,
    },
    /// The stream closed without `complete` or `error`.
    #[error("{api}: the stream ended without a result")]
    NoResult {
        /// The endpoint.
        api: String,
    },
    /// The call did not finish in time.
    #[error("{what}: no answer within {deadline:?}")]
    Deadline {
        /// Which request.
        what: String,
        /// The deadline.
        deadline: Duration,
    },
}

impl GradioError {
    /// A transport failure of `route`.
    pub(super) fn transport(route: &str, e: impl std::fmt::Display) -> Self {
        Self::Transport { route: route.to_owned(), message: e.to_string() }
    }
    /// A body of `route` that is not what Gradio sends.
    pub(super) fn decode(route: &str, e: impl std::fmt::Display) -> Self {
        Self::Decode { route: route.to_owned(), message: e.to_string() }
    }
    /// A 503: the app's queue is full, worth retrying.
    pub(super) fn is_busy(&self) -> bool {
        matches!(self, Self::Status { status: 503, .. })
    }
}
