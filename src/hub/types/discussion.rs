//! Discussions and pull requests (hub-api.md §6).

use serde::{Deserialize, Serialize};

use crate::domain::CommitSha;

/// Discussion or PR status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DiscussionStatus {
    /// A PR not yet published (API-created PRs start here).
    Draft,
    /// Open.
    Open,
    /// Closed without merging.
    Closed,
    /// A merged PR.
    Merged,
    /// A status this client does not know.
    #[serde(other)]
    Unknown,
}

/// A status a caller may set with `change_discussion_status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum NewStatus {
    /// Publish a draft or reopen.
    Open,
    /// Close.
    Closed,
}

/// `type=` filter of the listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DiscussionKindFilter {
    /// Discussions and PRs.
    #[default]
    All,
    /// Discussions only.
    Discussion,
    /// Pull requests only.
    PullRequest,
}

/// `status=` filter of the listing (`open` includes drafts).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DiscussionStatusFilter {
    /// Every status.
    #[default]
    All,
    /// Open and draft.
    Open,
    /// Closed and merged.
    Closed,
}

/// Filters of `list_discussions`.
#[derive(Debug, Clone, Default)]
pub struct DiscussionFilter {
    /// Discussions, PRs or both.
    pub kind: DiscussionKindFilter,
    /// Status.
    pub status: DiscussionStatusFilter,
    /// Only those opened by this user.
    pub author: Option<String>,
}

/// An author reference (absent for deleted users).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct Author {
    /// The user name.
    pub name: String,
}

/// The repo a discussion belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct DiscussionRepo {
    /// `ns/name`.
    pub name: String,
    /// `model`, `dataset`, `space`.
    #[serde(rename = "type")]
    pub kind: String,
}

/// One discussion or PR in a listing.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Discussion {
    /// Number, shared by discussions and PRs.
    pub num: u64,
    /// Title.
    pub title: String,
    /// Status.
    pub status: DiscussionStatus,
    /// Whether it is a pull request (git ref `refs/pr/{num}`).
    pub is_pull_request: bool,
    /// ISO 8601.
    pub created_at: String,
    /// Opened by; `None` for a deleted user.
    #[serde(default)]
    pub author: Option<Author>,
    /// The repo.
    pub repo: DiscussionRepo,
}

/// `changes` of a PR.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PrChanges {
    /// Target ref, e.g. `refs/heads/main`.
    #[serde(default)]
    pub base: Option<String>,
    /// Set once merged.
    #[serde(default)]
    pub merge_commit_id: Option<CommitSha>,
}

/// `GET …/discussions/{num}`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DiscussionDetails {
    /// The listing fields.
    #[serde(flatten)]
    pub discussion: Discussion,
    /// Events, oldest first.
    #[serde(default)]
    pub events: Vec<DiscussionEvent>,
    /// PR target and merge commit.
    #[serde(default)]
    pub changes: Option<PrChanges>,
    /// Files that conflict with the target (PRs).
    #[serde(default)]
    pub files_with_conflicts: Vec<String>,
    /// Unified diff (PRs, `diff=1`).
    #[serde(default)]
    pub diff: Option<String>,
}

/// An event of a discussion, as sent; see [`DiscussionEvent::kind`] for the typed view.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DiscussionEvent {
    /// Event id (the comment id for comments).
    pub id: String,
    /// `comment`, `status-change`, `commit`, `title-change`, …
    #[serde(rename = "type")]
    pub event_type: String,
    /// ISO 8601.
    pub created_at: String,
    /// Who did it; `None` for a deleted user.
    #[serde(default)]
    pub author: Option<Author>,
    /// Type-specific data.
    #[serde(default)]
    pub data: serde_json::Value,
}

/// The typed view of a [`DiscussionEvent`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventKind {
    /// A comment (its latest raw markdown).
    Comment { raw: String, edited: bool, hidden: bool },
    /// A status change.
    StatusChange { status: DiscussionStatus },
    /// A commit pushed to the PR.
    Commit { subject: String, oid: String },
    /// A rename.
    TitleChange { from: String, to: String },
    /// Any other event type.
    Other(String),
}

impl DiscussionEvent {
    /// Reads the type-specific data.
    pub fn kind(&self) -> EventKind {
        let s = |p: &str| self.data.pointer(p).and_then(|v| v.as_str()).unwrap_or_default().to_owned();
        let b = |p: &str| self.data.pointer(p).and_then(|v| v.as_bool()).unwrap_or(false);
        match self.event_type.as_str() {
            "comment" => EventKind::Comment { raw: s("/latest/raw"), edited: b("/edited"), hidden: b("/hidden") },
            "status-change" => EventKind::StatusChange {
                status: serde_json::from_value(self.data["status"].clone()).unwrap_or(DiscussionStatus::Unknown),
            },
            "commit" => EventKind::Commit { subject: s("/subject"), oid: s("/oid") },
            "title-change" => EventKind::TitleChange { from: s("/from"), to: s("/to") },
            other => EventKind::Other(other.to_owned()),
        }
    }

    /// The author's name, `deleted` when absent (as the Python client shows it).
    pub fn author_name(&self) -> &str {
        self.author.as_ref().map_or("deleted", |a| a.name.as_str())
    }
}

/// The listing page body.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct DiscussionPage {
    pub discussions: Vec<Discussion>,
    pub count: u64,
    pub start: u64,
}
