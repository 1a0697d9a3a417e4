//! Pull-request lifecycle on the Space: find the bot's open PR statelessly (title tag,
//! hidden marker, author), open one with `create_pr=1` or push to `refs/pr/N`, and ask for
//! input in one discussion when the card is too thin. Never writes to main.

pub mod pr_body;

use std::collections::BTreeMap;
use std::fmt;

use bytes::Bytes;

use crate::domain::{CommitSha, RepoId, RepoType};
use crate::hub::{
    CommitOperation, CommitRequest, CommitTarget, Discussion, DiscussionFilter, DiscussionKindFilter, DiscussionStatusFilter, HubClient, HubError,
    NotFoundKind,
};
use crate::lora::LoraProfile;
use crate::space::{GeneratedSpace, NeedsInput};

/// What the publish stage needs to know about one regeneration.
pub struct Change<'a> {
    /// The Space.
    pub space: &'a RepoId,
    /// The LoRA.
    pub lora: &'a RepoId,
    /// The LoRA head the files were generated from.
    pub lora_sha: &'a CommitSha,
    /// The inferred profile.
    pub profile: &'a LoraProfile,
    /// The generated files currently on the Space's main.
    pub current: &'a BTreeMap<String, String>,
    /// The regenerated Space.
    pub generated: &'a GeneratedSpace,
}

/// What the publish stage did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Published {
    /// A new PR.
    Opened { num: u64, url: String },
    /// A commit pushed to the bot's open PR.
    Updated { num: u64 },
    /// The bot's open PR already carries these files.
    Unchanged { num: u64 },
}

impl fmt::Display for Published {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Opened { num, url } => write!(f, "opened PR #{num} ({url})"),
            Self::Updated { num } => write!(f, "updated PR #{num}"),
            Self::Unchanged { num } => write!(f, "PR #{num} already up to date"),
        }
    }
}

/// The bot's open PR on `space`, if any.
pub async fn find_bot_pr(hub: &HubClient, space: &RepoId, bot: &str) -> Result<Option<Discussion>, HubError> {
    let filter = DiscussionFilter { kind: DiscussionKindFilter::PullRequest, status: DiscussionStatusFilter::Open, author: Some(bot.to_owned()) };
    let prs = hub.list_discussions(RepoType::Space, space, &filter).await?;
    Ok(prs.into_iter().find(|d| d.is_pull_request && d.title.starts_with(pr_body::TITLE_TAG) && d.author.as_ref().is_some_and(|a| a.name == bot)))
}

/// Opens the PR, or pushes the regenerated files to the bot's open one.
pub async fn open_or_update(hub: &HubClient, bot: &str, change: &Change<'_>) -> Result<Published, HubError> {
    let title = pr_body::title(change);
    let body = pr_body::render(change);
    let ops: Vec<CommitOperation> =
        change.generated.files.iter().map(|(path, content)| CommitOperation::Upload { path: path.clone(), content: Bytes::from(content.clone()) }).collect();
    if let Some(pr) = find_bot_pr(hub, change.space, bot).await? {
        let pr_ref = format!("refs/pr/{}", pr.num);
        if files_match(hub, change.space, &pr_ref, &change.generated.files).await? {
            return Ok(Published::Unchanged { num: pr.num });
        }
        let req = CommitRequest { summary: title, description: body, parent_commit: None, operations: ops };
        hub.commit(RepoType::Space, change.space, CommitTarget::PullRequest(pr.num), &req).await?;
        return Ok(Published::Updated { num: pr.num });
    }
    let req = CommitRequest { summary: title, description: body, parent_commit: None, operations: ops };
    let outcome = hub.commit(RepoType::Space, change.space, CommitTarget::NewPullRequest, &req).await?;
    let pr = outcome.pull_request.ok_or_else(|| HubError::Decode { route: "commit".into(), message: "create_pr commit returned no PR".into() })?;
    Ok(Published::Opened { num: pr.num, url: pr.url })
}

async fn files_match(hub: &HubClient, space: &RepoId, rev: &str, files: &BTreeMap<String, String>) -> Result<bool, HubError> {
    for (path, want) in files {
        match hub.download(RepoType::Space, space, rev, path).await {
            Ok(f) if f.bytes.as_ref() == want.as_bytes() => {}
            Ok(_) => return Ok(false),
            Err(e) if e.is_not_found(NotFoundKind::EntryNotFound) => return Ok(false),
            Err(e) => return Err(e),
        }
    }
    Ok(true)
}

/// Opens (or comments on) the one bot discussion asking for what the card lacks.
pub async fn ask_for_input(hub: &HubClient, space: &RepoId, bot: &str, need: &NeedsInput) -> Result<u64, HubError> {
    let filter = DiscussionFilter { kind: DiscussionKindFilter::Discussion, status: DiscussionStatusFilter::Open, author: Some(bot.to_owned()) };
    let open = hub.list_discussions(RepoType::Space, space, &filter).await?;
    let body = format!("{}\n\n{}", need.body_markdown, pr_body::INPUT_MARKER);
    if let Some(d) = open.into_iter().find(|d| !d.is_pull_request && d.title.starts_with(pr_body::TITLE_TAG)) {
        let details = hub.discussion_details(RepoType::Space, space, d.num).await?;
        let already_said = details.events.iter().any(|e| e.data.pointer("/latest/raw").and_then(|v| v.as_str()) == Some(body.as_str()));
        if !already_said {
            hub.comment(RepoType::Space, space, d.num, &body).await?;
        }
        return Ok(d.num);
    }
    hub.create_discussion(RepoType::Space, space, &format!("{} {}", pr_body::TITLE_TAG, need.title), &body, false).await
}
