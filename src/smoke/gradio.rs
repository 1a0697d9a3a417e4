//! Gradio HTTP client (shared/reference/gradio-api.md): `/config`, `/gradio_api/info`,
//! upload, the two-step call (`POST …/call/{api}` → event id → `GET …/call/{api}/{id}` as
//! Server-Sent Events), and file download.
//!
//! The base URL is the Space host the Hub API reports (`space_info.host`). The token travels
//! only as `X-HF-Authorization` (the Spaces proxy strips it; plain `Authorization` would reach
//! the untrusted app), and only to the Space's own origin: never to another host an output
//! URL names, and never across a redirect (redirects are followed within the origin only).
//! Calls run one at a time per client, each under a deadline; a 503 ("queue is full") is
//! retried with backoff.
//!
//! This module holds the client and its transport (origin-bound token, deadline); `api` the
//! requests, `sse` the result stream's framing, `schema` the app's self-description, `error`
//! the failures.

use std::sync::Arc;
use std::time::Duration;

use url::Url;

use crate::hub::Secret;

mod api;
mod error;
mod schema;
mod sse;

pub use api::file_data;
pub use error::GradioError;
pub use schema::{ApiInfo, Endpoint, GradioConfig, Parameter, Returned};
pub use sse::{SseEvent, drain_sse};

/// How a [`GradioClient`] behaves.
#[derive(Debug, Clone)]
pub struct GradioSettings {
    /// Deadline of one whole call (submit + stream), and of each other request.
    pub call_deadline: Duration,
    /// First wait after a 503.
    pub busy_min_delay: Duration,
    /// Retries after a 503.
    pub busy_retries: usize,
}

impl Default for GradioSettings {
    fn default() -> Self {
        Self { call_deadline: Duration::from_secs(120), busy_min_delay: Duration::from_millis(500), busy_retries: 5 }
    }
}

/// A client for one Gradio app (one Space).
#[derive(Clone)]
pub struct GradioClient {
    http: reqwest::Client,
    root: Url,
    prefix: String,
    token: Option<Secret>,
    settings: GradioSettings,
    one_at_a_time: Arc<tokio::sync::Mutex<()>>,
}

impl std::fmt::Debug for GradioClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GradioClient").field("root", &self.root.as_str()).field("prefix", &self.prefix).finish()
    }
}

/// `path` under `root`, keeping any path `root` has.
fn route_url(root: &Url, path: &str) -> Result<Url, GradioError> {
    let base = if root.as_str().ends_with('/') { root.clone() } else { Url::parse(&format!("{root}/")).map_err(|e| GradioError::decode("url", e))? };
    base.join(path.trim_start_matches('/')).map_err(|e| GradioError::decode("url", e))
}

impl GradioClient {
    /// Connects to the app at `host` (the Space's `host` from the Hub API): reads `/config`
    /// for the API prefix. `token` is sent as `X-HF-Authorization` only.
    pub async fn connect(host: &str, token: Option<Secret>, settings: GradioSettings) -> Result<(Self, GradioConfig), GradioError> {
        let root = Url::parse(host).map_err(|e| GradioError::decode("host", e))?;
        // Ref reqwest::redirect::Policy::custom: `previous()[0]` is the URL first asked for.
        let same_origin = reqwest::redirect::Policy::custom(|attempt| {
            let first = attempt.previous().first().map(Url::origin);
            if attempt.previous().len() < 5 && first == Some(attempt.url().origin()) { attempt.follow() } else { attempt.stop() }
        });
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .redirect(same_origin)
            .build()
            .map_err(|e| GradioError::transport("client", e))?;
        let mut client = Self { http, root, prefix: String::new(), token, settings, one_at_a_time: Arc::new(tokio::sync::Mutex::new(())) };
        let config: GradioConfig = client.get_json("/config").await?;
        client.prefix = config.api_prefix.clone().unwrap_or_default().trim_end_matches('/').to_owned();
        Ok((client, config))
    }

    /// The app's root URL.
    pub fn root(&self) -> &Url {
        &self.root
    }

    /// `path` under the app's API prefix.
    fn api_url(&self, path: &str) -> Result<Url, GradioError> {
        route_url(&self.root, &format!("{}/{}", self.prefix, path.trim_start_matches('/')))
    }

    /// A request; the token goes along only to the app's own origin.
    fn request(&self, method: reqwest::Method, url: Url) -> reqwest::RequestBuilder {
        let own = url.origin() == self.root.origin();
        let rb = self.http.request(method, url);
        match &self.token {
            Some(t) if own => rb.header("X-HF-Authorization", format!("Bearer {}", t.expose())),
            _ => rb,
        }
    }

    /// The response of `route` if its status is a success, else the status and the body's start.
    async fn checked(route: &str, resp: Result<reqwest::Response, reqwest::Error>) -> Result<reqwest::Response, GradioError> {
        let resp = resp.map_err(|e| GradioError::transport(route, e))?;
        let status = resp.status();
        if status.is_success() {
            return Ok(resp);
        }
        let body = resp.text().await.unwrap_or_default();
        Err(GradioError::Status { route: route.to_owned(), status: status.as_u16(), body: body.chars().take(500).collect() })
    }

    /// Runs `fut` under the call deadline.
    async fn within<T>(&self, what: &str, fut: impl Future<Output = Result<T, GradioError>>) -> Result<T, GradioError> {
        let deadline = self.settings.call_deadline;
        tokio::time::timeout(deadline, fut).await.unwrap_or_else(|_| Err(GradioError::Deadline { what: what.to_owned(), deadline }))
    }

    /// `GET path` (under the root, not the API prefix) as JSON.
    async fn get_json<T: serde::de::DeserializeOwned>(&self, path: &str) -> Result<T, GradioError> {
        let url = route_url(&self.root, path)?;
        self.within(path, async {
            let resp = Self::checked(path, self.request(reqwest::Method::GET, url).send().await).await?;
            resp.json::<T>().await.map_err(|e| GradioError::decode(path, e))
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_urls_keep_the_prefix_under_the_root() {
        let root = Url::parse("http://127.0.0.1:7860").expect("url");
        assert_eq!(route_url(&root, "/gradio_api/call/generate").expect("url").as_str(), "http://127.0.0.1:7860/gradio_api/call/generate");
        let sub = Url::parse("http://h/space").expect("url");
        assert_eq!(route_url(&sub, "/config").expect("url").as_str(), "http://h/space/config");
    }
}
