//! `HubClient`: one reqwest client built once; URL building, auth, request ids, tracing
//! spans, error classification and retries. The typed calls live in the sibling modules.

use backon::Retryable;
use bytes::Bytes;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use reqwest::{Method, Response};
use serde::de::DeserializeOwned;
use tracing::Instrument;
use url::Url;

use super::error::HubError;
use super::response;
use super::retry::{Replay, RetryPolicy};
use super::secret::Secret;
use super::settings::HubSettings;
use crate::domain::{RepoId, RepoType};

/// The Hugging Face Hub HTTP client. Cheap to clone (shares the connection pool).
#[derive(Clone)]
pub struct HubClient {
    http: reqwest::Client,
    endpoint: Url,
    token: Option<Secret>,
    retry: RetryPolicy,
    metrics: Option<std::sync::Arc<crate::metrics::Metrics>>,
}

impl std::fmt::Debug for HubClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HubClient")
            .field("endpoint", &self.endpoint.as_str())
            .field("authenticated", &self.token.is_some())
            .finish()
    }
}

/// A request body, kept so a retry can send it again.
#[derive(Debug, Clone)]
pub(crate) enum Body {
    Empty,
    Json(serde_json::Value),
    Ndjson(Bytes),
}

/// One logical call: method, a route label for logs (no ids), URL, body and replay rule.
#[derive(Debug, Clone)]
pub(crate) struct Call {
    pub method: Method,
    pub route: &'static str,
    pub url: Url,
    pub body: Body,
    pub replay: Replay,
    /// A `Range` header value (`bytes=0-100000`), for partial reads of resolve URLs.
    pub range: Option<String>,
}

impl HubClient {
    /// Builds the client once from its settings.
    pub fn new(settings: &HubSettings) -> Result<Self, HubError> {
        let http = reqwest::Client::builder()
            .user_agent(settings.user_agent.clone())
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout)
            .build()
            .map_err(|e| HubError::InvalidRequest(format!("cannot build the HTTP client: {e}")))?;
        let retry = RetryPolicy {
            max_retries: settings.max_retries,
            min_delay: settings.retry_min_delay,
            max_wait: settings.max_retry_wait,
        };
        Ok(Self { http, endpoint: settings.endpoint.clone(), token: settings.token.clone(), retry, metrics: None })
    }

    /// The same client, counting every HTTP exchange in `lsb_hub_calls_total{route,status}`.
    #[must_use]
    pub fn with_metrics(mut self, metrics: std::sync::Arc<crate::metrics::Metrics>) -> Self {
        self.metrics = Some(metrics);
        self
    }

    /// The Hub base URL.
    pub fn endpoint(&self) -> &Url {
        &self.endpoint
    }

    /// `{endpoint}/{segments…}`, each segment percent-encoded (so `refs/pr/3` stays one
    /// segment as `refs%2Fpr%2F3`).
    pub(crate) fn url(&self, segments: &[&str]) -> Url {
        let mut url = self.endpoint.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty();
            path.extend(segments);
        }
        url
    }

    /// `/api/{models|datasets|spaces}/{ns}/{name}/{tail…}`.
    pub(crate) fn repo_api_url(&self, ty: RepoType, id: &RepoId, tail: &[&str]) -> Url {
        let mut segs = vec!["api", ty.api_plural(), id.namespace(), id.name()];
        segs.extend_from_slice(tail);
        self.url(&segs)
    }

    /// Sends a call with the retry rule of its [`Replay`].
    pub(crate) async fn send(&self, call: Call) -> Result<Response, HubError> {
        self.with_replay(call.replay, || self.send_once(&call)).await
    }

    /// Sends and decodes a JSON response; a body cut short is retried like a failed send.
    pub(crate) async fn json<T: DeserializeOwned>(&self, call: Call) -> Result<T, HubError> {
        self.with_replay(call.replay, || async { decode(call.route, self.send_once(&call).await?).await }).await
    }

    /// Runs `attempt` once, or with backoff on transient errors when replay is safe.
    async fn with_replay<T, F, Fut>(&self, replay: Replay, attempt: F) -> Result<T, HubError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, HubError>>,
    {
        let mut attempt = attempt;
        match replay {
            Replay::Never => attempt().await,
            Replay::Safe => {
                attempt
                    .retry(self.retry.backoff())
                    .sleep(tokio::time::sleep)
                    .when(HubError::is_transient)
                    .adjust(|e, step| self.retry.next_wait(e, step))
                    .notify(|e, wait| tracing::warn!(error = %e, ?wait, "transient Hub error, retrying"))
                    .await
            }
        }
    }

    async fn send_once(&self, call: &Call) -> Result<Response, HubError> {
        let trace_id = uuid::Uuid::new_v4().to_string();
        let route = format!("{} {}", call.method, call.route);
        let span = tracing::info_span!("hub", route = %route, status = tracing::field::Empty, request_id = tracing::field::Empty);
        async {
            let sent = self.build(call, &trace_id).send().await;
            if let Some(m) = &self.metrics {
                let status = sent.as_ref().map_or_else(|_| "error".to_owned(), |r| r.status().as_u16().to_string());
                m.hub_call(&route, &status);
            }
            let resp = sent.map_err(|e| transport(&route, e))?;
            let span = tracing::Span::current();
            span.record("status", resp.status().as_u16());
            span.record("request_id", response::request_id(resp.headers(), &trace_id).as_str());
            for warning in resp.headers().get_all("x-hf-warning").iter().filter_map(|v| v.to_str().ok()) {
                tracing::warn!(hub_warning = warning, "the Hub sent a warning");
            }
            let checked = response::check(&route, resp, &trace_id).await;
            if let Err(e) = &checked {
                tracing::debug!(error = %e, "Hub call failed");
            }
            checked
        }
        .instrument(span)
        .await
    }

    fn build(&self, call: &Call, trace_id: &str) -> reqwest::RequestBuilder {
        let mut req = self.http.request(call.method.clone(), call.url.clone()).header("x-amzn-trace-id", trace_id);
        if let Some(token) = &self.token
            && let Ok(mut v) = HeaderValue::from_str(&format!("Bearer {}", token.expose())) {
                v.set_sensitive(true);
                req = req.header(AUTHORIZATION, v);
            }
        if let Some(range) = &call.range {
            req = req.header(reqwest::header::RANGE, range.as_str());
        }
        match &call.body {
            Body::Empty => req,
            Body::Json(v) => req.json(v),
            Body::Ndjson(b) => req.header(CONTENT_TYPE, "application/x-ndjson").body(b.clone()),
        }
    }
}

/// Decodes a JSON body, naming the route on failure.
pub(crate) async fn decode<T: DeserializeOwned>(route: &str, resp: Response) -> Result<T, HubError> {
    let bytes = resp.bytes().await.map_err(|e| transport(route, e))?;
    serde_json::from_slice(&bytes).map_err(|e| HubError::Decode { route: route.to_owned(), message: e.to_string() })
}

/// Maps a reqwest failure to `Timeout` or `Transport`.
pub(crate) fn transport(route: &str, e: reqwest::Error) -> HubError {
    if e.is_timeout() {
        HubError::Timeout { route: route.to_owned() }
    } else {
        HubError::Transport { route: route.to_owned(), source: e.without_url() }
    }
}

impl Call {
    /// A GET, retried on transient failures.
    pub(crate) fn get(route: &'static str, url: Url) -> Self {
        Self { method: Method::GET, route, url, body: Body::Empty, replay: Replay::Safe, range: None }
    }
    /// A call with a JSON body.
    pub(crate) fn json(method: Method, route: &'static str, url: Url, body: serde_json::Value, replay: Replay) -> Self {
        Self { method, route, url, body: Body::Json(body), replay, range: None }
    }
    /// A call without a body.
    pub(crate) fn empty(method: Method, route: &'static str, url: Url, replay: Replay) -> Self {
        Self { method, route, url, body: Body::Empty, replay, range: None }
    }
}
