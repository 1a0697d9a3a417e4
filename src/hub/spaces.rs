//! Space controls (hub-api.md §7): runtime, duplicate, restart, pause, hardware, sleep time,
//! secrets, variables, and build/run logs (Server-Sent Events, read until the stream ends).

use std::collections::BTreeMap;

use reqwest::Method;
use serde::Deserialize;
use serde_json::json;

use super::client::{Call, HubClient, transport};
use super::error::HubError;
use super::retry::Replay;
use super::secret::Secret;
use super::types::space::{LogKind, LogLine, SpaceRuntime, SpaceSecretInfo, SpaceVariables, Visibility};
use crate::domain::{RepoId, RepoType};

/// What `duplicate_space` sends.
#[derive(Debug, Clone)]
pub struct DuplicateSpace {
    /// The new Space id.
    pub to: RepoId,
    /// Visibility of the copy.
    pub visibility: Visibility,
    /// Requested hardware.
    pub hardware: Option<String>,
}

#[derive(Deserialize)]
struct UrlBody {
    url: String,
}

impl HubClient {
    /// `GET /api/spaces/{id}/runtime`.
    pub async fn space_runtime(&self, id: &RepoId) -> Result<SpaceRuntime, HubError> {
        self.json(Call::get("/api/spaces/{id}/runtime", self.repo_api_url(RepoType::Space, id, &["runtime"]))).await
    }

    /// `POST /api/spaces/{id}/duplicate`: returns the new Space URL. 409 if it exists.
    pub async fn duplicate_space(&self, from: &RepoId, req: &DuplicateSpace) -> Result<String, HubError> {
        let mut body = json!({ "repository": req.to.to_string(), "visibility": req.visibility, "private": req.visibility == Visibility::Private });
        if let Some(hw) = &req.hardware {
            body["hardware"] = json!(hw);
        }
        let url = self.repo_api_url(RepoType::Space, from, &["duplicate"]);
        let r: UrlBody = self.json(Call::json(Method::POST, "/api/spaces/{id}/duplicate", url, body, Replay::Never)).await?;
        Ok(r.url)
    }

    /// `POST /api/spaces/{id}/restart[?factory=true]`.
    pub async fn restart_space(&self, id: &RepoId, factory: bool) -> Result<SpaceRuntime, HubError> {
        let mut url = self.repo_api_url(RepoType::Space, id, &["restart"]);
        if factory {
            url.query_pairs_mut().append_pair("factory", "true");
        }
        self.json(Call::empty(Method::POST, "/api/spaces/{id}/restart", url, Replay::Safe)).await
    }

    /// `POST /api/spaces/{id}/pause`.
    pub async fn pause_space(&self, id: &RepoId) -> Result<SpaceRuntime, HubError> {
        let url = self.repo_api_url(RepoType::Space, id, &["pause"]);
        self.json(Call::empty(Method::POST, "/api/spaces/{id}/pause", url, Replay::Safe)).await
    }

    /// `POST /api/spaces/{id}/hardware`.
    pub async fn request_space_hardware(&self, id: &RepoId, flavor: &str) -> Result<SpaceRuntime, HubError> {
        let url = self.repo_api_url(RepoType::Space, id, &["hardware"]);
        self.json(Call::json(Method::POST, "/api/spaces/{id}/hardware", url, json!({ "flavor": flavor }), Replay::Safe)).await
    }

    /// `POST /api/spaces/{id}/sleeptime` (`-1`: never sleep; not configurable on `cpu-basic`).
    pub async fn set_space_sleep_time(&self, id: &RepoId, seconds: i64) -> Result<SpaceRuntime, HubError> {
        let url = self.repo_api_url(RepoType::Space, id, &["sleeptime"]);
        self.json(Call::json(Method::POST, "/api/spaces/{id}/sleeptime", url, json!({ "seconds": seconds }), Replay::Safe)).await
    }

    /// `GET /api/spaces/{id}/secrets`: keys and metadata (values are write-only).
    pub async fn list_space_secrets(&self, id: &RepoId) -> Result<BTreeMap<String, SpaceSecretInfo>, HubError> {
        self.json(Call::get("/api/spaces/{id}/secrets", self.repo_api_url(RepoType::Space, id, &["secrets"]))).await
    }

    /// `POST /api/spaces/{id}/secrets`: adds or replaces a secret.
    pub async fn add_space_secret(&self, id: &RepoId, key: &str, value: &Secret, description: Option<&str>) -> Result<(), HubError> {
        let mut body = json!({ "key": key, "value": value });
        if let Some(d) = description {
            body["description"] = json!(d);
        }
        let url = self.repo_api_url(RepoType::Space, id, &["secrets"]);
        self.send(Call::json(Method::POST, "/api/spaces/{id}/secrets", url, body, Replay::Safe)).await?;
        Ok(())
    }

    /// `DELETE /api/spaces/{id}/secrets` with a JSON body.
    pub async fn delete_space_secret(&self, id: &RepoId, key: &str) -> Result<(), HubError> {
        let url = self.repo_api_url(RepoType::Space, id, &["secrets"]);
        self.send(Call::json(Method::DELETE, "/api/spaces/{id}/secrets", url, json!({ "key": key }), Replay::Safe)).await?;
        Ok(())
    }

    /// `GET /api/spaces/{id}/variables`.
    pub async fn list_space_variables(&self, id: &RepoId) -> Result<SpaceVariables, HubError> {
        self.json(Call::get("/api/spaces/{id}/variables", self.repo_api_url(RepoType::Space, id, &["variables"]))).await
    }

    /// `POST /api/spaces/{id}/variables`: adds or replaces; returns every variable.
    pub async fn add_space_variable(&self, id: &RepoId, key: &str, value: &str, description: Option<&str>) -> Result<SpaceVariables, HubError> {
        let mut body = json!({ "key": key, "value": value });
        if let Some(d) = description {
            body["description"] = json!(d);
        }
        let url = self.repo_api_url(RepoType::Space, id, &["variables"]);
        self.json(Call::json(Method::POST, "/api/spaces/{id}/variables", url, body, Replay::Safe)).await
    }

    /// `DELETE /api/spaces/{id}/variables` with a JSON body; returns what is left.
    pub async fn delete_space_variable(&self, id: &RepoId, key: &str) -> Result<SpaceVariables, HubError> {
        let url = self.repo_api_url(RepoType::Space, id, &["variables"]);
        self.json(Call::json(Method::DELETE, "/api/spaces/{id}/variables", url, json!({ "key": key }), Replay::Safe)).await
    }

    /// `GET /api/spaces/{id}/logs/{build|run}`: the events so far (no follow), in order.
    pub async fn space_logs(&self, id: &RepoId, kind: LogKind) -> Result<Vec<LogLine>, HubError> {
        let which = match kind {
            LogKind::Build => "build",
            LogKind::Run => "run",
        };
        let url = self.repo_api_url(RepoType::Space, id, &["logs", which]);
        let resp = self.send(Call::get("/api/spaces/{id}/logs/{kind}", url)).await?;
        let text = resp.text().await.map_err(|e| transport("logs", e))?;
        Ok(parse_sse(&text))
    }
}

impl HubClient {
    /// `GET /api/spaces/{id}/logs/{build|run}?tail=N` read as the stream it is: the Hub never
    /// ends these Server-Sent Events, so reading stops after `idle` without a new event, or
    /// after `limit` in all, keeping every event that arrived (huggingface_hub's no-follow read
    /// treats a 5 s read timeout as the end, hub-constraints.md §5).
    pub async fn space_logs_until_idle(&self, id: &RepoId, kind: LogKind, tail: u32, idle: std::time::Duration, limit: std::time::Duration) -> Result<Vec<LogLine>, HubError> {
        use futures::StreamExt;
        let which = match kind {
            LogKind::Build => "build",
            LogKind::Run => "run",
        };
        let mut url = self.repo_api_url(RepoType::Space, id, &["logs", which]);
        url.query_pairs_mut().append_pair("tail", &tail.to_string());
        let resp = self.send(Call::get("/api/spaces/{id}/logs/{kind}", url)).await?;
        let mut stream = resp.bytes_stream();
        let mut text = String::new();
        let until = tokio::time::Instant::now() + limit;
        loop {
            let wait = idle.min(until.saturating_duration_since(tokio::time::Instant::now()));
            match tokio::time::timeout(wait, stream.next()).await {
                Ok(Some(Ok(chunk))) => text.push_str(&String::from_utf8_lossy(&chunk)),
                Ok(Some(Err(_)) | None) | Err(_) => break,
            }
        }
        Ok(parse_sse(&text))
    }
}

/// Keeps the `data: {…}` lines of an event stream (keep-alives and others are skipped).
pub(crate) fn parse_sse(text: &str) -> Vec<LogLine> {
    text.lines().filter_map(|l| l.strip_prefix("data: ")).filter(|d| d.starts_with('{')).filter_map(|d| serde_json::from_str(d).ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sse_keeps_data_events_and_skips_keepalives() {
        let text = "data: {\"data\":\"step 1\\n\",\"timestamp\":\"t\"}\n\ndata: \n: ping\ndata: {\"data\":\"step 2\\n\"}\n";
        let lines = parse_sse(text);
        assert_eq!(lines.iter().map(|l| l.data.as_str()).collect::<Vec<_>>(), ["step 1\n", "step 2\n"]);
    }
}
