//! Commits (hub-api.md §5): where a commit may go, its operations, and what comes back.
//! Writing to a branch is not representable: the bot only opens or updates pull requests.

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use crate::domain::CommitSha;

/// Where a commit goes. There is deliberately no variant for `main` or any other branch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommitTarget {
    /// Open a new pull request against `main` (`create_pr=1`). Never retried.
    NewPullRequest,
    /// Add a commit to the existing pull request `#N` (revision `refs/pr/N`).
    PullRequest(u64),
}

impl CommitTarget {
    /// The revision in the commit URL: `main` for a new PR, `refs/pr/N` otherwise.
    pub fn revision(&self) -> String {
        match self {
            Self::NewPullRequest => "main".to_owned(),
            Self::PullRequest(n) => format!("refs/pr/{n}"),
        }
    }
}

/// One change in a commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommitOperation {
    /// Add or replace a file (sent inline, base64; small text files only).
    Upload { path: String, content: Bytes },
    /// Delete a file.
    Delete { path: String },
    /// Delete a folder and everything under it.
    DeleteFolder { path: String },
}

/// A commit to send.
#[derive(Debug, Clone)]
pub struct CommitRequest {
    /// First line of the commit message (and the PR title for a new PR).
    pub summary: String,
    /// Commit description (and the PR description for a new PR).
    pub description: String,
    /// The commit the change is based on: the Hub answers 412 if the target moved on
    /// (for a PR ref), and bases the new PR on it (for a new PR).
    pub parent_commit: Option<CommitSha>,
    /// The changes.
    pub operations: Vec<CommitOperation>,
}

/// The commit response body.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CommitResponse {
    pub commit_oid: CommitSha,
    pub commit_url: String,
    #[serde(default)]
    pub pull_request_url: Option<String>,
}

/// What a commit produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitOutcome {
    /// The new commit.
    pub commit: CommitSha,
    /// Its web URL.
    pub commit_url: String,
    /// The pull request it belongs to (new or existing).
    pub pull_request: Option<PullRequestRef>,
}

/// A pull request number and its web URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullRequestRef {
    /// The discussion number.
    pub num: u64,
    /// `…/discussions/N`.
    pub url: String,
}

impl PullRequestRef {
    /// Parses `https://host/{prefix}{ns}/{name}/discussions/{N}`.
    pub fn from_url(url: &str) -> Option<Self> {
        let num = url.trim_end_matches('/').rsplit_once("/discussions/")?.1.parse().ok()?;
        Some(Self { num, url: url.to_owned() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pr_urls_yield_their_number() {
        let r = PullRequestRef::from_url("https://huggingface.co/spaces/a/b/discussions/12");
        assert_eq!(r.map(|r| r.num), Some(12));
        assert_eq!(PullRequestRef::from_url("https://huggingface.co/a/b"), None);
    }

    #[test]
    fn pr_targets_name_their_ref() {
        assert_eq!(CommitTarget::PullRequest(3).revision(), "refs/pr/3");
        assert_eq!(CommitTarget::NewPullRequest.revision(), "main");
    }
}
