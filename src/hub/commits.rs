//! Commits as NDJSON (hub-api.md §5): open a PR with `create_pr=1`, or push to `refs/pr/N`.
//! A `create_pr=1` commit is sent once: a lost response may already have opened the PR.

use base64::Engine;
use bytes::Bytes;
use reqwest::Method;
use serde_json::json;

use super::client::{Body, Call, HubClient, decode};
use super::error::HubError;
use super::retry::Replay;
use super::types::commit::{CommitOperation, CommitOutcome, CommitRequest, CommitResponse, CommitTarget, PullRequestRef};
use crate::domain::{RepoId, RepoType};

/// Largest file sent inline; bigger ones would need LFS, which this client does not do.
pub const MAX_INLINE_BYTES: usize = 10 * 1024 * 1024;

impl HubClient {
    /// `POST /api/{type}s/{id}/commit/{rev}`: opens a new PR or adds a commit to PR `#N`.
    ///
    /// `NewPullRequest` is never retried; a timeout, 5xx or dropped connection is returned as
    /// [`HubError::PullRequestOutcomeUnknown`]. A `PullRequest(N)` commit is retried on
    /// transient errors only when it names its `parent_commit` (a replay then gets 412).
    pub async fn commit(
        &self,
        ty: RepoType,
        id: &RepoId,
        target: CommitTarget,
        req: &CommitRequest,
    ) -> Result<CommitOutcome, HubError> {
        let body = ndjson(req)?;
        let rev = target.revision();
        let mut url = self.repo_api_url(ty, id, &["commit", &rev]);
        let replay = match target {
            CommitTarget::NewPullRequest => {
                url.query_pairs_mut().append_pair("create_pr", "1");
                Replay::Never
            }
            CommitTarget::PullRequest(_) if req.parent_commit.is_some() => Replay::Safe,
            CommitTarget::PullRequest(_) => Replay::Never,
        };
        let call = Call { method: Method::POST, route: "/api/{type}s/{id}/commit/{rev}", url, body: Body::Ndjson(body), replay, range: None };
        let result = async { decode::<CommitResponse>(call.route, self.send(call.clone()).await?).await }.await;
        let resp = match (target, result) {
            (CommitTarget::NewPullRequest, Err(e)) if outcome_unknown(&e) => {
                return Err(HubError::PullRequestOutcomeUnknown { source: Box::new(e) });
            }
            (_, r) => r?,
        };
        let pull_request = match target {
            CommitTarget::NewPullRequest => {
                let url = resp.pull_request_url.as_deref().unwrap_or_default();
                Some(PullRequestRef::from_url(url).ok_or_else(|| HubError::Decode {
                    route: "commit".into(),
                    message: format!("no PR number in pullRequestUrl {url:?}"),
                })?)
            }
            CommitTarget::PullRequest(num) => Some(PullRequestRef { num, url: pr_web_url(self, ty, id, num) }),
        };
        Ok(CommitOutcome { commit: resp.commit_oid, commit_url: resp.commit_url, pull_request })
    }
}

impl HubClient {
    /// `POST /api/spaces/{id}/commit/main` on a preview Space the bot itself created for a
    /// smoke test. The only way this client writes to a `main`: a
    /// [`PreviewSpace`](crate::smoke::preview::PreviewSpace) is made only by the smoke stage,
    /// for a Space it created in the bot's namespace. Retried only with a `parent_commit`.
    pub async fn commit_to_own_preview(&self, preview: &crate::smoke::preview::PreviewSpace, req: &CommitRequest) -> Result<CommitOutcome, HubError> {
        let body = ndjson(req)?;
        let url = self.repo_api_url(RepoType::Space, preview.id(), &["commit", "main"]);
        let replay = if req.parent_commit.is_some() { Replay::Safe } else { Replay::Never };
        let call = Call { method: Method::POST, route: "/api/spaces/{id}/commit/main (own preview)", url, body: Body::Ndjson(body), replay, range: None };
        let resp = decode::<CommitResponse>(call.route, self.send(call.clone()).await?).await?;
        Ok(CommitOutcome { commit: resp.commit_oid, commit_url: resp.commit_url, pull_request: None })
    }
}

/// Errors after which the PR may or may not exist.
fn outcome_unknown(e: &HubError) -> bool {
    match e {
        HubError::Server { .. } | HubError::Timeout { .. } | HubError::Decode { .. } => true,
        HubError::Transport { source, .. } => !source.is_connect(),
        _ => false,
    }
}

fn pr_web_url(client: &HubClient, ty: RepoType, id: &RepoId, num: u64) -> String {
    let mut segs: Vec<&str> = ty.url_prefix().split('/').filter(|s| !s.is_empty()).collect();
    let n = num.to_string();
    segs.extend([id.namespace(), id.name(), "discussions", n.as_str()]);
    client.url(&segs).to_string()
}

/// The NDJSON body: a header line, then one line per operation, each ending in `\n`.
pub(crate) fn ndjson(req: &CommitRequest) -> Result<Bytes, HubError> {
    if req.operations.is_empty() {
        return Err(HubError::InvalidRequest("a commit needs at least one operation".into()));
    }
    let mut header = json!({ "summary": req.summary, "description": req.description });
    if let Some(parent) = &req.parent_commit {
        header["parentCommit"] = json!(parent.as_str());
    }
    let mut lines = vec![json!({ "key": "header", "value": header })];
    for op in &req.operations {
        lines.push(operation_line(op)?);
    }
    let mut out = Vec::new();
    for line in lines {
        out.extend_from_slice(line.to_string().as_bytes());
        out.push(b'\n');
    }
    Ok(Bytes::from(out))
}

fn operation_line(op: &CommitOperation) -> Result<serde_json::Value, HubError> {
    Ok(match op {
        CommitOperation::Upload { path, content } => {
            if content.len() > MAX_INLINE_BYTES {
                return Err(HubError::InvalidRequest(format!("{path}: {} bytes is over the inline limit (LFS is not supported)", content.len())));
            }
            let b64 = base64::engine::general_purpose::STANDARD.encode(content);
            json!({ "key": "file", "value": { "content": b64, "path": path, "encoding": "base64" } })
        }
        CommitOperation::Delete { path } => json!({ "key": "deletedFile", "value": { "path": path } }),
        CommitOperation::DeleteFolder { path } => {
            let p = if path.ends_with('/') { path.clone() } else { format!("{path}/") };
            json!({ "key": "deletedFolder", "value": { "path": p } })
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_commit_is_refused_before_sending() {
        let req = CommitRequest { summary: "s".into(), description: String::new(), parent_commit: None, operations: vec![] };
        assert!(matches!(ndjson(&req), Err(HubError::InvalidRequest(_))));
    }

    #[test]
    fn the_body_is_one_json_line_per_operation_each_newline_terminated() {
        let req = CommitRequest {
            summary: "s".into(),
            description: String::new(),
            parent_commit: None,
            operations: vec![
                CommitOperation::Upload { path: "app.py".into(), content: Bytes::from_static(b"hi") },
                CommitOperation::DeleteFolder { path: "old".into() },
            ],
        };
        let body = ndjson(&req).expect("small body");
        let text = std::str::from_utf8(&body).expect("utf-8");
        let lines: Vec<&str> = text.split_terminator('\n').collect();
        assert!(text.ends_with('\n'));
        assert_eq!(lines.len(), 3);
        assert!(lines[0].contains("\"key\":\"header\""));
        assert!(lines[1].contains("\"content\":\"aGk=\""));
        assert!(lines[2].contains("\"path\":\"old/\""));
    }
}
