//! `HubError`: every way a Hub call fails, classified from the status code and the Hub's
//! `X-Error-Code` / `X-Error-Message` headers, with the request id for the logs.

use std::fmt;
use std::time::Duration;

/// What a 404 (or an anonymous 401 on a repo route) was about (`X-Error-Code`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotFoundKind {
    /// The repository does not exist or the caller may not see it.
    RepoNotFound,
    /// The branch, tag, PR ref or commit does not exist.
    RevisionNotFound,
    /// The file or folder does not exist at that revision.
    EntryNotFound,
    /// Anything else (a discussion, a webhook, an unknown route).
    Other,
}

impl NotFoundKind {
    pub(crate) fn from_code(code: Option<&str>) -> Self {
        match code {
            Some("RepoNotFound") => Self::RepoNotFound,
            Some("RevisionNotFound") => Self::RevisionNotFound,
            Some("EntryNotFound") => Self::EntryNotFound,
            _ => Self::Other,
        }
    }
}

/// The facts of one failed HTTP exchange. Holds no credentials.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ErrorContext {
    /// `METHOD route`, e.g. `GET /api/models/{id}`.
    pub route: String,
    /// HTTP status, when a response arrived.
    pub status: Option<u16>,
    /// `X-Error-Code`.
    pub error_code: Option<String>,
    /// `X-Error-Message`, else the message parsed from the body.
    pub message: Option<String>,
    /// `X-Request-Id` (else the trace id we sent).
    pub request_id: Option<String>,
}

impl fmt::Display for ErrorContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.route)?;
        if let Some(s) = self.status {
            write!(f, " -> {s}")?;
        }
        if let Some(c) = &self.error_code {
            write!(f, " {c}")?;
        }
        if let Some(m) = &self.message {
            write!(f, ": {m}")?;
        }
        if let Some(r) = &self.request_id {
            write!(f, " (request id {r})")?;
        }
        Ok(())
    }
}

/// A failed Hub call.
#[derive(Debug, thiserror::Error)]
pub enum HubError {
    /// 401: bad or missing token (or, anonymously, a repo that is missing or private).
    #[error("unauthorized: {ctx}")]
    Unauthorized { ctx: ErrorContext },
    /// 403: the token lacks rights, a gated repo, or a disabled repo.
    #[error("forbidden: {ctx}")]
    Forbidden { ctx: ErrorContext },
    /// 404 (the kind comes from `X-Error-Code`).
    #[error("not found ({kind:?}): {ctx}")]
    NotFound { kind: NotFoundKind, ctx: ErrorContext },
    /// 409: the repo exists, or a conflicting operation.
    #[error("conflict: {ctx}")]
    Conflict { ctx: ErrorContext },
    /// 412: `parentCommit` is no longer the branch head.
    #[error("precondition failed (stale parent commit): {ctx}")]
    PreconditionFailed { ctx: ErrorContext },
    /// 429, with the wait the Hub asked for (`Retry-After` or `RateLimit: …;t=`).
    #[error("rate limited (retry after {retry_after:?}): {ctx}")]
    RateLimited { retry_after: Option<Duration>, ctx: ErrorContext },
    /// 5xx or 408.
    #[error("server error: {ctx}")]
    Server { retry_after: Option<Duration>, ctx: ErrorContext },
    /// Any other 4xx (400 bad request, 402 payment required, 416 …).
    #[error("request rejected: {ctx}")]
    BadRequest { ctx: ErrorContext },
    /// No response within the configured timeout.
    #[error("timed out: {route}")]
    Timeout { route: String },
    /// Connection refused, reset or closed without a response.
    #[error("transport error on {route}: {source}")]
    Transport {
        route: String,
        #[source]
        source: reqwest::Error,
    },
    /// The response did not have the expected shape.
    #[error("unexpected response from {route}: {message}")]
    Decode { route: String, message: String },
    /// A `create_pr=1` commit failed in a way that does not tell whether the PR was opened
    /// (timeout, 5xx, dropped connection). It is never retried: look for the PR first.
    #[error("pull request outcome unknown, look for the PR before retrying: {source}")]
    PullRequestOutcomeUnknown {
        #[source]
        source: Box<HubError>,
    },
    /// The caller asked for something the client refuses to send.
    #[error("invalid request: {0}")]
    InvalidRequest(String),
}

impl HubError {
    /// The HTTP status, when a response arrived.
    pub fn status(&self) -> Option<u16> {
        self.context().and_then(|c| c.status)
    }

    /// The exchange facts, when a response arrived.
    pub fn context(&self) -> Option<&ErrorContext> {
        match self {
            Self::Unauthorized { ctx }
            | Self::Forbidden { ctx }
            | Self::NotFound { ctx, .. }
            | Self::Conflict { ctx }
            | Self::PreconditionFailed { ctx }
            | Self::RateLimited { ctx, .. }
            | Self::Server { ctx, .. }
            | Self::BadRequest { ctx } => Some(ctx),
            Self::PullRequestOutcomeUnknown { source } => source.context(),
            _ => None,
        }
    }

    /// The Hub's request id, for bug reports.
    pub fn request_id(&self) -> Option<&str> {
        self.context().and_then(|c| c.request_id.as_deref())
    }

    /// Whether trying the same call again later may succeed.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::RateLimited { .. } | Self::Server { .. } | Self::Timeout { .. } => true,
            Self::Transport { source, .. } => !source.is_builder(),
            _ => false,
        }
    }

    /// The wait the Hub asked for, if any.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::RateLimited { retry_after, .. } | Self::Server { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// Whether the repo is gated and the caller is not approved (`X-Error-Code: GatedRepo`).
    pub fn is_gated_repo(&self) -> bool {
        self.context().is_some_and(|c| c.error_code.as_deref() == Some("GatedRepo"))
    }

    /// Whether this is a 404 of the given kind.
    pub fn is_not_found(&self, kind: NotFoundKind) -> bool {
        matches!(self, Self::NotFound { kind: k, .. } if *k == kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(status: u16) -> ErrorContext {
        ErrorContext { route: "GET /x".into(), status: Some(status), ..Default::default() }
    }

    #[test]
    fn server_errors_and_rate_limits_are_transient_but_not_found_is_not() {
        assert!(HubError::Server { retry_after: None, ctx: ctx(503) }.is_transient());
        assert!(HubError::RateLimited { retry_after: None, ctx: ctx(429) }.is_transient());
        assert!(!HubError::NotFound { kind: NotFoundKind::Other, ctx: ctx(404) }.is_transient());
        assert!(!HubError::PreconditionFailed { ctx: ctx(412) }.is_transient());
    }

    #[test]
    fn outcome_unknown_is_not_transient_so_it_is_never_retried_blindly() {
        let e = HubError::PullRequestOutcomeUnknown {
            source: Box::new(HubError::Server { retry_after: None, ctx: ctx(500) }),
        };
        assert!(!e.is_transient());
        assert_eq!(e.status(), Some(500));
    }

    #[test]
    fn context_display_names_route_status_code_message_and_request_id() {
        let c = ErrorContext {
            route: "GET /api/models/{id}".into(),
            status: Some(404),
            error_code: Some("RepoNotFound".into()),
            message: Some("Repository not found".into()),
            request_id: Some("abc".into()),
        };
        assert_eq!(c.to_string(), "GET /api/models/{id} -> 404 RepoNotFound: Repository not found (request id abc)");
    }
}
