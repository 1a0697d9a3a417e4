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

use std::sync::Arc;
use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};
use bytes::Bytes;
use futures::StreamExt;
use serde::Deserialize;
use serde_json::{Value, json};
use url::Url;

use crate::hub::Secret;

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
    fn transport(route: &str, e: impl std::fmt::Display) -> Self {
        Self::Transport { route: route.to_owned(), message: e.to_string() }
    }
    fn decode(route: &str, e: impl std::fmt::Display) -> Self {
        Self::Decode { route: route.to_owned(), message: e.to_string() }
    }
    fn is_busy(&self) -> bool {
        matches!(self, Self::Status { status: 503, .. })
    }
}

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

/// The parts of `/config` the smoke test reads.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct GradioConfig {
    /// The Gradio version.
    #[serde(default)]
    pub version: Option<String>,
    /// `/gradio_api` on 5.x+, absent on 4.x.
    #[serde(default)]
    pub api_prefix: Option<String>,
    /// The Blocks' components (examples are `dataset` components).
    #[serde(default)]
    pub components: Vec<Value>,
    /// One entry per event listener (`api_name`, `inputs` as component ids).
    #[serde(default)]
    pub dependencies: Vec<Value>,
}

/// `/gradio_api/info`.
#[derive(Debug, Clone, PartialEq, Deserialize, Default)]
pub struct ApiInfo {
    /// `"/predict"` → its endpoint.
    #[serde(default)]
    pub named_endpoints: std::collections::BTreeMap<String, Endpoint>,
}

/// One named endpoint.
#[derive(Debug, Clone, PartialEq, Deserialize, Default)]
pub struct Endpoint {
    /// Inputs, in call order.
    #[serde(default)]
    pub parameters: Vec<Parameter>,
    /// Outputs, in order.
    #[serde(default)]
    pub returns: Vec<Returned>,
}

/// One input of an endpoint.
#[derive(Debug, Clone, PartialEq, Deserialize, Default)]
pub struct Parameter {
    /// The label.
    #[serde(default)]
    pub label: Option<String>,
    /// The Python argument name.
    #[serde(default)]
    pub parameter_name: Option<String>,
    /// Whether it has a default.
    #[serde(default)]
    pub parameter_has_default: bool,
    /// The default.
    #[serde(default)]
    pub parameter_default: Value,
    /// JSON schema of the value.
    #[serde(default, rename = "type")]
    pub schema: Value,
    /// The Gradio component (`Textbox`, `Image`, …).
    #[serde(default)]
    pub component: Option<String>,
    /// An example value (a URL for file components).
    #[serde(default)]
    pub example_input: Value,
}

/// One output of an endpoint.
#[derive(Debug, Clone, PartialEq, Deserialize, Default)]
pub struct Returned {
    /// The label.
    #[serde(default)]
    pub label: Option<String>,
    /// The Gradio component.
    #[serde(default)]
    pub component: Option<String>,
}

impl Parameter {
    /// The name shown in reports: the Python name, else the label.
    pub fn name(&self) -> &str {
        self.parameter_name.as_deref().or(self.label.as_deref()).unwrap_or("?")
    }
}

/// One Server-Sent Event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    /// `generating`, `complete`, `error`, `heartbeat` (or `message` when unnamed).
    pub event: String,
    /// The joined `data:` lines.
    pub data: String,
}

/// Splits complete frames off the front of `buf` (frames end with a blank line); the
/// unfinished tail stays in `buf`.
pub fn drain_sse(buf: &mut String) -> Vec<SseEvent> {
    let mut out = Vec::new();
    loop {
        let normalized = buf.replace("\r\n", "\n");
        if normalized.len() != buf.len() {
            *buf = normalized;
        }
        let Some(end) = buf.find("\n\n") else { return out };
        let frame: String = buf.drain(..end + 2).collect();
        let mut event = String::from("message");
        let mut data: Vec<&str> = Vec::new();
        for line in frame.lines() {
            if let Some(v) = line.strip_prefix("event:") {
                event = v.trim().to_owned();
            } else if let Some(v) = line.strip_prefix("data:") {
                data.push(v.strip_prefix(' ').unwrap_or(v));
            }
        }
        if !data.is_empty() || event != "message" {
            out.push(SseEvent { event, data: data.join("\n") });
        }
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

    fn api_url(&self, path: &str) -> Result<Url, GradioError> {
        route_url(&self.root, &format!("{}/{}", self.prefix, path.trim_start_matches('/')))
    }

    fn request(&self, method: reqwest::Method, url: Url) -> reqwest::RequestBuilder {
        let own = url.origin() == self.root.origin();
        let rb = self.http.request(method, url);
        match &self.token {
            Some(t) if own => rb.header("X-HF-Authorization", format!("Bearer {}", t.expose())),
            _ => rb,
        }
    }

    async fn checked(route: &str, resp: Result<reqwest::Response, reqwest::Error>) -> Result<reqwest::Response, GradioError> {
        let resp = resp.map_err(|e| GradioError::transport(route, e))?;
        let status = resp.status();
        if status.is_success() {
            return Ok(resp);
        }
        let body = resp.text().await.unwrap_or_default();
        Err(GradioError::Status { route: route.to_owned(), status: status.as_u16(), body: body.chars().take(500).collect() })
    }

    async fn within<T>(&self, what: &str, fut: impl Future<Output = Result<T, GradioError>>) -> Result<T, GradioError> {
        let deadline = self.settings.call_deadline;
        tokio::time::timeout(deadline, fut).await.unwrap_or_else(|_| Err(GradioError::Deadline { what: what.to_owned(), deadline }))
    }

    async fn get_json<T: serde::de::DeserializeOwned>(&self, path: &str) -> Result<T, GradioError> {
        let url = route_url(&self.root, path)?;
        self.within(path, async {
            let resp = Self::checked(path, self.request(reqwest::Method::GET, url).send().await).await?;
            resp.json::<T>().await.map_err(|e| GradioError::decode(path, e))
        })
        .await
    }

    /// `GET {prefix}/info`: the named endpoints with their parameters.
    pub async fn info(&self) -> Result<ApiInfo, GradioError> {
        let url = self.api_url("info")?;
        self.within("info", async {
            let resp = Self::checked("info", self.request(reqwest::Method::GET, url).send().await).await?;
            resp.json::<ApiInfo>().await.map_err(|e| GradioError::decode("info", e))
        })
        .await
    }

    /// `POST {prefix}/upload`: returns the server path to pass as a FileData `path`.
    pub async fn upload(&self, name: &str, bytes: Bytes) -> Result<String, GradioError> {
        let url = self.api_url("upload")?;
        self.within("upload", async {
            let (content_type, body) = multipart_files(name, &bytes);
            let rb = self.request(reqwest::Method::POST, url).header(reqwest::header::CONTENT_TYPE, content_type).body(body);
            let resp = Self::checked("upload", rb.send().await).await?;
            let paths: Vec<String> = resp.json().await.map_err(|e| GradioError::decode("upload", e))?;
            paths.into_iter().next().ok_or_else(|| GradioError::decode("upload", "an empty list of paths"))
        })
        .await
    }

    /// Calls `api` (`/generate` or `generate`) with positional `data`; returns the
    /// `complete` output list. One call at a time per client; a 503 on submit is retried
    /// with backoff; the whole call runs under the call deadline.
    pub async fn call(&self, api: &str, data: Vec<Value>) -> Result<Vec<Value>, GradioError> {
        let _turn = self.one_at_a_time.lock().await;
        let name = api.trim_start_matches('/').to_owned();
        self.within(&format!("call {name}"), async {
            let event_id = self.submit(&name, &data).await?;
            self.stream_result(&name, &event_id).await
        })
        .await
    }

    async fn submit(&self, name: &str, data: &[Value]) -> Result<String, GradioError> {
        let url = self.api_url(&format!("call/{name}"))?;
        let body = json!({ "data": data });
        let once = || async {
            let resp = Self::checked("call", self.request(reqwest::Method::POST, url.clone()).json(&body).send().await).await?;
            let v: Value = resp.json().await.map_err(|e| GradioError::decode("call", e))?;
            v.get("event_id").and_then(Value::as_str).map(str::to_owned).ok_or_else(|| GradioError::decode("call", format!("no event_id in {v}")))
        };
        let backoff = ExponentialBuilder::default().with_min_delay(self.settings.busy_min_delay).with_max_times(self.settings.busy_retries).with_jitter();
        once.retry(backoff).when(GradioError::is_busy).await
    }

    async fn stream_result(&self, name: &str, event_id: &str) -> Result<Vec<Value>, GradioError> {
        let url = self.api_url(&format!("call/{name}/{event_id}"))?;
        let resp = Self::checked("call stream", self.request(reqwest::Method::GET, url).send().await).await?;
        let mut stream = resp.bytes_stream();
        let mut buf = String::new();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| GradioError::transport("call stream", e))?;
            buf.push_str(&String::from_utf8_lossy(&chunk));
            for ev in drain_sse(&mut buf) {
                match ev.event.as_str() {
                    "complete" => {
                        let v: Value = serde_json::from_str(&ev.data).map_err(|e| GradioError::decode("call stream", e))?;
                        return match v {
                            Value::Array(items) => Ok(items),
                            other => Ok(vec![other]),
                        };
                    }
                    "error" => return Err(GradioError::App { api: name.to_owned(), message: error_text(&ev.data) }),
                    _ => {}
                }
            }
        }
        Err(GradioError::NoResult { api: name.to_owned() })
    }

    /// Downloads an output file: its `url`, else `{prefix}/file={path}`.
    pub async fn download(&self, file: &Value) -> Result<Bytes, GradioError> {
        let url = match (file.get("url").and_then(Value::as_str), file.get("path").and_then(Value::as_str)) {
            (Some(u), _) => Url::parse(u).map_err(|e| GradioError::decode("download", e))?,
            (None, Some(p)) => self.api_url(&format!("file={p}"))?,
            _ => return Err(GradioError::decode("download", format!("not a file value: {file}"))),
        };
        self.within("download", async {
            let resp = Self::checked("download", self.request(reqwest::Method::GET, url).send().await).await?;
            resp.bytes().await.map_err(|e| GradioError::transport("download", e))
        })
        .await
    }
}

/// The message of an SSE `error` payload: `{"error": "..."}` (6.13+), a bare string, or none.
fn error_text(data: &str) -> Option<String> {
    match serde_json::from_str::<Value>(data) {
        Ok(Value::String(s)) => Some(s),
        Ok(Value::Object(o)) => o.get("error").and_then(Value::as_str).map(str::to_owned),
        Ok(_) => None,
        Err(_) => (!data.trim().is_empty()).then(|| data.trim().to_owned()),
    }
}

/// A `multipart/form-data` body with one part named `files` (Gradio's upload form).
fn multipart_files(name: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    let boundary = format!("lsb-{}", uuid::Uuid::new_v4().simple());
    let safe: String = name.chars().filter(|c| !matches!(c, '"' | '\r' | '\n')).collect();
    let mut body = format!("--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{safe}\"\r\nContent-Type: application/octet-stream\r\n\r\n").into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// A FileData value for a server path (what `handle_file` builds).
pub fn file_data(path: &str) -> Value {
    json!({ "path": path, "meta": { "_type": "gradio.FileData" } })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sse_frames_are_split_on_blank_lines_and_the_tail_is_kept() {
        let mut buf = "event: heartbeat\ndata: null\n\nevent: complete\ndata: [1]\n\nevent: gen".to_owned();
        let evs = drain_sse(&mut buf);
        assert_eq!(evs, vec![
            SseEvent { event: "heartbeat".into(), data: "null".into() },
            SseEvent { event: "complete".into(), data: "[1]".into() },
        ]);
        assert_eq!(buf, "event: gen");
    }

    #[test]
    fn sse_frames_with_crlf_line_ends_are_parsed() {
        let mut buf = "event: error\r\ndata: {\"error\": \"boom\"}\r\n\r\n".to_owned();
        let evs = drain_sse(&mut buf);
        assert_eq!(evs.len(), 1);
        assert_eq!(error_text(&evs[0].data).as_deref(), Some("boom"));
    }

    #[test]
    fn error_payloads_give_their_text_or_none() {
        assert_eq!(error_text("null"), None);
        assert_eq!(error_text("\"404: Not Found\"").as_deref(), Some("404: Not Found"));
        assert_eq!(error_text("{\"error\": null}"), None);
    }

    #[test]
    fn api_urls_keep_the_prefix_under_the_root() {
        let root = Url::parse("http://127.0.0.1:7860").expect("url");
        assert_eq!(route_url(&root, "/gradio_api/call/generate").expect("url").as_str(), "http://127.0.0.1:7860/gradio_api/call/generate");
        let sub = Url::parse("http://h/space").expect("url");
        assert_eq!(route_url(&sub, "/config").expect("url").as_str(), "http://h/space/config");
    }
}
