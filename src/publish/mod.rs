//! Pull-request lifecycle on the Space (DESIGN §7): find the bot's PRs statelessly (title tag,
//! hidden marker, author), open one with `create_pr=1` or push to `refs/pr/N`, never touch a
//! PR a human committed to, never reopen what a human closed for the same LoRA commit, close
//! superseded duplicates, cap PRs per hour, and ask for input in one discussion when the
//! card is too thin. Never writes to main. In dry-run mode every write is logged instead.

pub mod etiquette;
pub mod hardware;
pub mod pr_body;
pub mod pr_values;
pub mod rate;

use std::collections::BTreeMap;
use std::fmt;

use bytes::Bytes;

use crate::domain::{CommitSha, RepoId, RepoType};
use crate::hub::{
    CommitOperation, CommitRequest, CommitTarget, DiscussionDetails, DiscussionFilter, DiscussionKindFilter, DiscussionStatusFilter, HubClient, HubError, NewStatus,
    NotFoundKind,
};
use crate::lora::LoraProfile;
use crate::space::{GeneratedSpace, NeedsInput};

use etiquette::{BotPr, Decision};

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
    /// The profile inferred at the LoRA commit the Space was last generated from, if known.
    pub previous: Option<&'a Previous>,
    /// The generated files currently on the Space's main.
    pub current: &'a BTreeMap<String, String>,
    /// The regenerated Space (its README already merged into the owner's).
    pub generated: &'a GeneratedSpace,
    /// Existing lines of the Space's README the merge changes (named in the body).
    pub readme_edits: &'a [crate::space::readme_merge::LineEdit],
    /// What the approver must know about the Space's hardware ([`hardware::note`]).
    pub hardware_note: Option<&'a str>,
}

/// The LoRA state behind the Space's current files (from the last merged bot PR).
#[derive(Debug, Clone)]
pub struct Previous {
    /// The LoRA commit.
    pub lora_sha: CommitSha,
    /// The values that PR's table showed (or, for older bodies, re-inferred at that commit).
    pub values: pr_values::Values,
}

/// What the publish stage did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Published {
    /// A new PR.
    Opened { num: u64, url: String },
    /// A commit pushed to the bot's open PR.
    Updated { num: u64 },
    /// The bot's open PR already carries these files and says all of this.
    Unchanged { num: u64 },
    /// The files were already there; the title and description moved to the new LoRA commit.
    Refreshed { num: u64 },
    /// A human closed the bot's PR for this LoRA commit: not reopened.
    DeclinedByHuman { num: u64 },
    /// A human committed to the bot's PR: the bot commented and stopped updating it.
    HumanEdited { num: u64 },
    /// Dry run: the writes that would have been made were logged.
    DryRun,
}

impl fmt::Display for Published {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Opened { num, url } => write!(f, "opened PR #{num} ({url})"),
            Self::Updated { num } => write!(f, "updated PR #{num}"),
            Self::Unchanged { num } => write!(f, "PR #{num} already up to date"),
            Self::Refreshed { num } => write!(f, "PR #{num} already has these files; its title and description now name the new LoRA commit"),
            Self::DeclinedByHuman { num } => write!(f, "PR #{num} for this LoRA commit was closed by a human; not reopening"),
            Self::HumanEdited { num } => write!(f, "PR #{num} has a human's commits; left alone"),
            Self::DryRun => write!(f, "dry run: no Hub writes made"),
        }
    }
}

/// Why publishing did not happen.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// A Hub call failed.
    #[error(transparent)]
    Hub(#[from] HubError),
    /// The PRs-per-hour cap is reached; try again after the wait.
    #[error("PR cap reached ({0} PRs opened in the last hour)")]
    Capped(u32, std::time::Duration),
}

/// The bot's identity and policies, built once per worker.
pub struct Publisher {
    /// Hub client (the bot's token).
    pub hub: HubClient,
    /// The bot's user name.
    pub bot: String,
    /// Log writes instead of making them.
    pub dry_run: bool,
    /// PRs opened per hour (this process).
    pub rate: rate::HourlyCap,
}

impl Publisher {
    /// Every PR of the bot on `space` (any status), newest first.
    pub async fn bot_prs(&self, space: &RepoId) -> Result<Vec<BotPr>, HubError> {
        let filter = DiscussionFilter { kind: DiscussionKindFilter::PullRequest, status: DiscussionStatusFilter::All, author: Some(self.bot.clone()) };
        let all = self.hub.list_discussions(RepoType::Space, space, &filter).await?;
        Ok(etiquette::bot_prs(&all, &self.bot))
    }

    /// Opens the PR, or brings the bot's open one up to date, following the etiquette. `prs`
    /// is [`Publisher::bot_prs`] read for this job (the caller reads it once and shares it).
    pub async fn open_or_update(&self, change: &Change<'_>, prs: &[BotPr]) -> Result<Published, PublishError> {
        let (keep, superseded) = etiquette::split_open(prs);
        for old in superseded {
            let reason = format!("Superseded by #{}: the bot keeps one pull request per Space.", keep.map_or(0, |k| k.num));
            self.close(change.space, old.num, &reason).await?;
        }
        // One read of the kept PR serves the human-commit check, the title and the body edit.
        let details = match keep {
            Some(pr) => Some(self.hub.discussion_details(RepoType::Space, change.space, pr.num).await?),
            None => None,
        };
        let human_commits = details.as_ref().is_some_and(|d| etiquette::human_committed(&d.events, &self.bot));
        match etiquette::decide(keep, prs, change.lora_sha, human_commits) {
            Decision::Declined(num) => Ok(Published::DeclinedByHuman { num }),
            Decision::Open => self.open(change).await,
            decision @ (Decision::LeaveAlone(num) | Decision::Update(num)) => {
                let details = match details {
                    Some(d) if d.discussion.num == num => d,
                    _ => self.hub.discussion_details(RepoType::Space, change.space, num).await?,
                };
                match decision {
                    Decision::LeaveAlone(_) => self.note_human_edit(change, num, &details).await,
                    _ => self.update(change, num, &details).await,
                }
            }
        }
    }

    async fn open(&self, change: &Change<'_>) -> Result<Published, PublishError> {
        if let Err(wait) = self.rate.try_take() {
            return Err(PublishError::Capped(self.rate.limit(), wait));
        }
        let req = CommitRequest { summary: pr_body::title(change), description: pr_body::render(change, &pr_body::Since::Main), parent_commit: None, operations: ops(change) };
        if self.dry_run {
            tracing::info!(space = %change.space, files = ?change.generated.files.keys().collect::<Vec<_>>(), title = %req.summary, "dry-run: would POST commit?create_pr=1");
            return Ok(Published::DryRun);
        }
        let outcome = self.hub.commit(RepoType::Space, change.space, CommitTarget::NewPullRequest, &req).await?;
        let pr = outcome.pull_request.ok_or_else(|| HubError::Decode { route: "commit".into(), message: "create_pr commit returned no PR".into() })?;
        Ok(Published::Opened { num: pr.num, url: pr.url })
    }

    /// `details`: the PR as read before this update (a commit changes neither its title nor
    /// the id of its first comment). The title, the body's "LoRA commit" line and its marker
    /// always move together to the new LoRA head, also when the files do not change.
    async fn update(&self, change: &Change<'_>, num: u64, details: &DiscussionDetails) -> Result<Published, PublishError> {
        let rev = format!("refs/pr/{num}");
        let title = pr_body::title(change);
        let before = pr_files(&self.hub, change.space, &rev, &change.generated.files).await?;
        let same_files = before == change.generated.files;
        let first = details.events.iter().find(|e| e.event_type == "comment");
        let old_body = first.and_then(|e| e.data.pointer("/latest/raw")).and_then(|v| v.as_str()).unwrap_or_default();
        let old_sha: Option<CommitSha> = pr_body::marker_sha(old_body).and_then(|s| s.parse().ok());
        let old_values = pr_values::read_marker(old_body);
        let new_values = pr_values::values(change.profile);
        if same_files && old_sha.as_ref() == Some(change.lora_sha) && old_values.as_ref().is_none_or(|v| *v == new_values) {
            // A replayed delivery: the PR already says all of this; rewriting its body would
            // replace "what changed" with "nothing changed".
            self.retitle(change.space, num, &details.discussion.title, &title).await?;
            return Ok(Published::Unchanged { num });
        }
        let mut body = pr_body::render(change, &pr_body::Since::Pr { lora_sha: old_sha, values: old_values, files: &before });
        if self.dry_run {
            tracing::info!(space = %change.space, pr = num, same_files, "dry-run: would update PR #{num} (commit unless the files are the same, title, body)");
            return Ok(Published::DryRun);
        }
        if same_files {
            body = pr_body::keep_smoke_section(old_body, &body);
        } else {
            let req = CommitRequest { summary: title.clone(), description: String::new(), parent_commit: None, operations: ops(change) };
            self.hub.commit(RepoType::Space, change.space, CommitTarget::PullRequest(num), &req).await?;
        }
        self.retitle(change.space, num, &details.discussion.title, &title).await?;
        if let Some(first) = first.filter(|_| body != old_body) {
            self.hub.edit_comment(RepoType::Space, change.space, num, &first.id, &body).await?;
        }
        Ok(if same_files { Published::Refreshed { num } } else { Published::Updated { num } })
    }

    async fn retitle(&self, space: &RepoId, num: u64, current: &str, title: &str) -> Result<(), HubError> {
        if current == title {
            return Ok(());
        }
        if self.dry_run {
            tracing::info!(%space, pr = num, %title, "dry-run: would rename the PR");
            return Ok(());
        }
        self.hub.rename_discussion(RepoType::Space, space, num, title).await.map(|_| ())
    }

    async fn note_human_edit(&self, change: &Change<'_>, num: u64, details: &DiscussionDetails) -> Result<Published, PublishError> {
        let body = pr_body::human_edit_comment(change);
        if !etiquette::already_commented(&details.events, &self.bot, pr_body::HUMAN_EDIT_MARKER, change.lora_sha) {
            if self.dry_run {
                tracing::info!(space = %change.space, pr = num, "dry-run: would comment that a human edited the PR");
            } else {
                self.hub.comment(RepoType::Space, change.space, num, &body).await?;
            }
        }
        Ok(Published::HumanEdited { num })
    }

    async fn close(&self, space: &RepoId, num: u64, reason: &str) -> Result<(), HubError> {
        if self.dry_run {
            tracing::info!(%space, pr = num, %reason, "dry-run: would close the PR");
            return Ok(());
        }
        self.hub.change_discussion_status(RepoType::Space, space, num, NewStatus::Closed, Some(reason)).await.map(|_| ())
    }

    /// Opens (or comments on) the one bot discussion asking for what the card lacks.
    pub async fn ask_for_input(&self, space: &RepoId, need: &NeedsInput) -> Result<Option<u64>, HubError> {
        let filter = DiscussionFilter { kind: DiscussionKindFilter::Discussion, status: DiscussionStatusFilter::Open, author: Some(self.bot.clone()) };
        let open = self.hub.list_discussions(RepoType::Space, space, &filter).await?;
        let body = format!("{}\n\n{}", need.body_markdown, pr_body::INPUT_MARKER);
        if let Some(d) = open.into_iter().find(|d| !d.is_pull_request && d.title.starts_with(pr_body::TITLE_TAG)) {
            let details = self.hub.discussion_details(RepoType::Space, space, d.num).await?;
            if !etiquette::said_last(&details.events, &self.bot, &body) {
                if self.dry_run {
                    tracing::info!(%space, discussion = d.num, "dry-run: would comment with the updated input request");
                } else {
                    self.hub.comment(RepoType::Space, space, d.num, &body).await?;
                }
            }
            return Ok(Some(d.num));
        }
        if self.dry_run {
            tracing::info!(%space, title = %need.title, "dry-run: would open a discussion asking for input");
            return Ok(None);
        }
        let title = format!("{} {}", pr_body::TITLE_TAG, need.title);
        Ok(Some(self.hub.create_discussion(RepoType::Space, space, &title, &body, false).await?))
    }
}

fn ops(change: &Change<'_>) -> Vec<CommitOperation> {
    change.generated.files.iter().map(|(path, content)| CommitOperation::Upload { path: path.clone(), content: Bytes::from(content.clone()) }).collect()
}

/// The PR's current content of each generated path (absent paths are left out).
async fn pr_files(hub: &HubClient, space: &RepoId, rev: &str, files: &BTreeMap<String, String>) -> Result<BTreeMap<String, String>, HubError> {
    let mut out = BTreeMap::new();
    for path in files.keys() {
        match hub.download(RepoType::Space, space, rev, path).await {
            Ok(f) => {
                out.insert(path.clone(), String::from_utf8_lossy(&f.bytes).into_owned());
            }
            Err(e) if e.is_not_found(NotFoundKind::EntryNotFound) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}
