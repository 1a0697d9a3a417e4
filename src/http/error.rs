//! The only place receiver errors become HTTP status codes.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// Why a delivery was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum ReceiverError {
    /// No secret in the header or query.
    #[error("missing webhook secret (X-Webhook-Secret header or ?secret=)")]
    MissingSecret,
    /// A secret that does not match.
    #[error("invalid webhook secret")]
    WrongSecret,
    /// Body over the cap.
    #[error("body larger than {0} bytes")]
    TooLarge(usize),
    /// The body did not arrive within `receiver.body_timeout_secs`.
    #[error("request body not received in time")]
    BodyTimeout,
    /// Not JSON, or missing required fields.
    #[error("malformed payload: {0}")]
    Malformed(String),
    /// The broker could not take the job.
    #[error("could not enqueue: {0}")]
    Unavailable(String),
}

impl ReceiverError {
    /// The `outcome` label of `lsb_webhooks_total`.
    pub fn outcome(&self) -> &'static str {
        match self {
            Self::MissingSecret | Self::WrongSecret => "unauthorized",
            Self::TooLarge(_) => "too_large",
            Self::BodyTimeout => "body_timeout",
            Self::Malformed(_) => "malformed",
            Self::Unavailable(_) => "unavailable",
        }
    }

    /// The status code for this error.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::MissingSecret | Self::WrongSecret => StatusCode::UNAUTHORIZED,
            Self::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::BodyTimeout => StatusCode::REQUEST_TIMEOUT,
            Self::Malformed(_) => StatusCode::BAD_REQUEST,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }
}

impl IntoResponse for ReceiverError {
    fn into_response(self) -> Response {
        let status = self.status();
        let mut resp = (status, Json(serde_json::json!({ "error": self.to_string() }))).into_response();
        if status == StatusCode::SERVICE_UNAVAILABLE {
            resp.headers_mut().insert(axum::http::header::RETRY_AFTER, axum::http::HeaderValue::from_static("5"));
        }
        resp
    }
}
