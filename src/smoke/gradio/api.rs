//! The app's API over the client: `{prefix}/info`, upload, the two-step call (submit, then the
//! SSE result stream; a 503 on submit retried with backoff) and file download.

use backon::{ExponentialBuilder, Retryable};
use bytes::Bytes;
use futures::StreamExt;
use serde_json::{Value, json};
use url::Url;

use super::sse::{drain_sse, error_text};
use super::{ApiInfo, GradioClient, GradioError};

impl GradioClient {
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

    /// `POST {prefix}/call/{name}`: the event id of the submitted call.
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

    /// `GET {prefix}/call/{name}/{event_id}`: reads the SSE stream to `complete` or `error`.
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
