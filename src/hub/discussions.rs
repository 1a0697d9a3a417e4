//! Discussions and pull requests (hub-api.md §6): list, details, create, comment, edit,
//! status, rename, merge. Creations and comments are sent once (a replay would duplicate).

use reqwest::Method;
use serde::Deserialize;
use serde_json::json;

use super::client::{Call, HubClient};
use super::error::HubError;
use super::retry::Replay;
use super::types::discussion::{
    DiscussionDetails, DiscussionEvent, DiscussionFilter, DiscussionKindFilter, DiscussionPage, DiscussionStatusFilter,
    Discussion, NewStatus,
};
use crate::domain::{RepoId, RepoType};

#[derive(Deserialize)]
struct Created {
    num: u64,
}

impl HubClient {
    /// `GET …/discussions?p=…`: every page, newest first.
    pub async fn list_discussions(&self, ty: RepoType, id: &RepoId, filter: &DiscussionFilter) -> Result<Vec<Discussion>, HubError> {
        let mut all = Vec::new();
        for page in 0u64.. {
            let mut url = self.repo_api_url(ty, id, &["discussions"]);
            {
                let mut q = url.query_pairs_mut();
                q.append_pair("p", &page.to_string()).append_pair("type", kind_param(filter.kind)).append_pair("status", status_param(filter.status));
                if let Some(a) = &filter.author {
                    q.append_pair("author", a);
                }
            }
            let p: DiscussionPage = self.json(Call::get("/api/{type}s/{id}/discussions", url)).await?;
            let got = p.discussions.len() as u64;
            all.extend(p.discussions);
            if got == 0 || p.start + got >= p.count {
                break;
            }
        }
        Ok(all)
    }

    /// `GET …/discussions/{num}?diff=1`: details with events, PR base, merge commit, conflicts.
    pub async fn discussion_details(&self, ty: RepoType, id: &RepoId, num: u64) -> Result<DiscussionDetails, HubError> {
        let mut url = self.repo_api_url(ty, id, &["discussions", &num.to_string()]);
        url.query_pairs_mut().append_pair("diff", "1");
        self.json(Call::get("/api/{type}s/{id}/discussions/{num}", url)).await
    }

    /// `POST …/discussions`: opens a discussion, or a draft PR when `pull_request`. Returns its number.
    pub async fn create_discussion(&self, ty: RepoType, id: &RepoId, title: &str, description: &str, pull_request: bool) -> Result<u64, HubError> {
        let body = json!({ "title": title, "description": description, "pullRequest": pull_request });
        let url = self.repo_api_url(ty, id, &["discussions"]);
        let created: Created = self.json(Call::json(Method::POST, "/api/{type}s/{id}/discussions", url, body, Replay::Never)).await?;
        Ok(created.num)
    }

    /// Opens a draft pull request with an empty `refs/pr/N` (publish it with
    /// [`HubClient::change_discussion_status`] and [`NewStatus::Open`]). Returns its number.
    pub async fn create_pull_request(&self, ty: RepoType, id: &RepoId, title: &str, description: &str) -> Result<u64, HubError> {
        self.create_discussion(ty, id, title, description, true).await
    }

    /// `POST …/discussions/{num}/comment`: returns the new comment event.
    pub async fn comment(&self, ty: RepoType, id: &RepoId, num: u64, markdown: &str) -> Result<DiscussionEvent, HubError> {
        self.discussion_post(ty, id, num, &["comment"], json!({ "comment": markdown }), "newMessage", Replay::Never).await
    }

    /// `POST …/discussions/{num}/comment/{commentId}/edit`: returns the updated comment event.
    pub async fn edit_comment(&self, ty: RepoType, id: &RepoId, num: u64, comment_id: &str, markdown: &str) -> Result<DiscussionEvent, HubError> {
        let cid = comment_id.to_lowercase();
        self.discussion_post(ty, id, num, &["comment", &cid, "edit"], json!({ "content": markdown }), "updatedComment", Replay::Safe).await
    }

    /// `POST …/discussions/{num}/comment/{commentId}/hide`: returns the hidden comment event.
    pub async fn hide_comment(&self, ty: RepoType, id: &RepoId, num: u64, comment_id: &str) -> Result<DiscussionEvent, HubError> {
        let cid = comment_id.to_lowercase();
        let url = self.repo_api_url(ty, id, &["discussions", &num.to_string(), "comment", &cid, "hide"]);
        let mut v: serde_json::Value = self.json(Call::empty(Method::POST, "/api/{type}s/{id}/discussions/{num}/comment/{cid}/hide", url, Replay::Safe)).await?;
        serde_json::from_value(v["updatedComment"].take()).map_err(|e| HubError::Decode { route: "discussions/comment/hide".into(), message: e.to_string() })
    }

    /// `POST …/discussions/{num}/status`: open (publish a draft) or close, with an optional comment.
    pub async fn change_discussion_status(&self, ty: RepoType, id: &RepoId, num: u64, status: NewStatus, comment: Option<&str>) -> Result<DiscussionEvent, HubError> {
        let mut body = json!({ "status": status });
        if let Some(c) = comment {
            body["comment"] = json!(c);
        }
        self.discussion_post(ty, id, num, &["status"], body, "newStatus", Replay::Safe).await
    }

    /// `POST …/discussions/{num}/title`.
    pub async fn rename_discussion(&self, ty: RepoType, id: &RepoId, num: u64, title: &str) -> Result<DiscussionEvent, HubError> {
        self.discussion_post(ty, id, num, &["title"], json!({ "title": title }), "newTitle", Replay::Safe).await
    }

    /// `POST …/discussions/{num}/merge`: merges a PR into its base (write access needed).
    pub async fn merge_pull_request(&self, ty: RepoType, id: &RepoId, num: u64, comment: Option<&str>) -> Result<(), HubError> {
        let body = comment.map_or(json!({}), |c| json!({ "comment": c }));
        let url = self.repo_api_url(ty, id, &["discussions", &num.to_string(), "merge"]);
        self.send(Call::json(Method::POST, "/api/{type}s/{id}/discussions/{num}/merge", url, body, Replay::Never)).await?;
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    async fn discussion_post(
        &self,
        ty: RepoType,
        id: &RepoId,
        num: u64,
        tail: &[&str],
        body: serde_json::Value,
        field: &str,
        replay: Replay,
    ) -> Result<DiscussionEvent, HubError> {
        let n = num.to_string();
        let mut segs = vec!["discussions", n.as_str()];
        segs.extend_from_slice(tail);
        let url = self.repo_api_url(ty, id, &segs);
        let mut v: serde_json::Value = self.json(Call::json(Method::POST, "/api/{type}s/{id}/discussions/{num}/…", url, body, replay)).await?;
        serde_json::from_value(v[field].take()).map_err(|e| HubError::Decode { route: format!("discussions/{}", tail.join("/")), message: format!("{field}: {e}") })
    }
}

fn kind_param(k: DiscussionKindFilter) -> &'static str {
    match k {
        DiscussionKindFilter::All => "all",
        DiscussionKindFilter::Discussion => "discussion",
        DiscussionKindFilter::PullRequest => "pull_request",
    }
}

fn status_param(s: DiscussionStatusFilter) -> &'static str {
    match s {
        DiscussionStatusFilter::All => "all",
        DiscussionStatusFilter::Open => "open",
        DiscussionStatusFilter::Closed => "closed",
    }
}
