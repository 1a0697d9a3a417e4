//! Errors: `ApiError` is what a route answers (status, `X-Error-Code`, `X-Error-Message`,
//! JSON body), the only place errors become responses; `SimError` is the simulator's own.

use axum::Json;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// The Hub's message for an unknown token.
pub const INVALID_CREDENTIALS: &str = "Invalid credentials in Authorization header";

/// Starting or running the simulator failed.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// Binding or serving failed.
    #[error("simulator I/O: {0}")]
    Io(#[from] std::io::Error),
    /// A seed directory or fixture could not be read.
    #[error("seed {path}: {message}")]
    Seed { path: String, message: String },
}

/// A route's error answer.
#[derive(Debug, Clone)]
pub(crate) struct ApiError {
    pub status: StatusCode,
    pub code: Option<&'static str>,
    pub message: String,
    pub repo_commit: Option<String>,
    pub body: Option<serde_json::Value>,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self { status, code: None, message: message.into(), repo_commit: None, body: None }
    }
    pub fn code(mut self, code: &'static str) -> Self {
        self.code = Some(code);
        self
    }
    pub fn repo_not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "Repository not found").code("RepoNotFound")
    }
    pub fn anonymous_repo() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "Invalid username or password.").code("RepoNotFound")
    }
    pub fn revision_not_found(rev: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, format!("Invalid rev id: {rev}")).code("RevisionNotFound")
    }
    pub fn entry_not_found(path: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, format!("Entry not found: {path}")).code("EntryNotFound")
    }
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, message)
    }
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, message)
    }
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = self.body.clone().unwrap_or_else(|| json!({ "error": self.message }));
        let mut resp = (self.status, Json(body)).into_response();
        let h = resp.headers_mut();
        if let Some(code) = self.code {
            h.insert("x-error-code", HeaderValue::from_static(code));
        }
        let ascii: String = self.message.chars().filter(|c| c.is_ascii() && !c.is_ascii_control()).collect();
        if let Ok(v) = HeaderValue::from_str(&ascii) {
            h.insert("x-error-message", v);
        }
        if let Some(c) = self.repo_commit.and_then(|c| HeaderValue::from_str(&c).ok()) {
            h.insert("x-repo-commit", c);
        }
        resp
    }
}
