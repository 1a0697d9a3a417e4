//! Pure: which of the bot's PRs to keep, update, leave alone or not reopen — the rules
//! approvers value in Renovate/Dependabot, decided from listing data alone.

use crate::domain::CommitSha;
use crate::hub::{Discussion, DiscussionEvent, DiscussionStatus, EventKind};

use super::pr_body::TITLE_TAG;

/// One of the bot's pull requests on a Space.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BotPr {
    /// Discussion number.
    pub num: u64,
    /// Status.
    pub status: DiscussionStatus,
    /// The short LoRA sha its title names (`…@abc1234`).
    pub short_sha: Option<String>,
}

impl BotPr {
    fn is_open(&self) -> bool {
        matches!(self.status, DiscussionStatus::Open | DiscussionStatus::Draft)
    }
}

/// What to do on this run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Open a new PR.
    Open,
    /// Push to the bot's open PR.
    Update(u64),
    /// A human committed to the bot's PR: comment, do not push.
    LeaveAlone(u64),
    /// A human closed the bot's PR for this very LoRA commit: do nothing.
    Declined(u64),
}

/// The bot's PRs among `all`: PRs whose title carries the tag, opened by `bot`; newest first.
pub fn bot_prs(all: &[Discussion], bot: &str) -> Vec<BotPr> {
    let mut prs: Vec<BotPr> = all
        .iter()
        .filter(|d| d.is_pull_request && d.title.starts_with(TITLE_TAG) && d.author.as_ref().is_some_and(|a| a.name == bot))
        .map(|d| BotPr { num: d.num, status: d.status, short_sha: title_sha(&d.title) })
        .collect();
    prs.sort_by_key(|p| std::cmp::Reverse(p.num));
    prs
}

fn title_sha(title: &str) -> Option<String> {
    let (_, sha) = title.rsplit_once('@')?;
    (sha.len() == 7 && sha.bytes().all(|b| b.is_ascii_hexdigit())).then(|| sha.to_owned())
}

/// The open PR to keep (the newest) and the older open ones it supersedes.
pub fn split_open(prs: &[BotPr]) -> (Option<&BotPr>, Vec<&BotPr>) {
    let mut open = prs.iter().filter(|p| p.is_open());
    let keep = open.next();
    (keep, open.collect())
}

/// Decides from the kept open PR, every bot PR, the LoRA commit, and whether a human committed.
pub fn decide(keep: Option<&BotPr>, all: &[BotPr], lora_sha: &CommitSha, human_commits: bool) -> Decision {
    match keep {
        Some(pr) if human_commits => Decision::LeaveAlone(pr.num),
        Some(pr) => Decision::Update(pr.num),
        None => all
            .iter()
            .find(|p| p.status == DiscussionStatus::Closed && p.short_sha.as_deref() == Some(lora_sha.short()))
            .map_or(Decision::Open, |p| Decision::Declined(p.num)),
    }
}

/// Whether someone other than the bot pushed a commit to the PR.
pub fn human_committed(events: &[DiscussionEvent], bot: &str) -> bool {
    events.iter().any(|e| matches!(e.kind(), EventKind::Commit { .. }) && e.author_name() != bot)
}

/// Whether the bot already left a comment with `marker` about this LoRA commit.
pub fn already_commented(events: &[DiscussionEvent], bot: &str, marker: &str, lora_sha: &CommitSha) -> bool {
    events.iter().any(|e| e.author_name() == bot && matches!(e.kind(), EventKind::Comment { raw, .. } if raw.contains(marker) && raw.contains(lora_sha.short())))
}

/// Whether the bot's latest comment is exactly `body`.
pub fn said_last(events: &[DiscussionEvent], bot: &str, body: &str) -> bool {
    let last = events.iter().rev().find(|e| e.author_name() == bot && e.event_type == "comment");
    last.is_some_and(|e| matches!(e.kind(), EventKind::Comment { raw, .. } if raw == body))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sha(c: char) -> CommitSha {
        c.to_string().repeat(40).parse().expect("sha")
    }

    fn pr(num: u64, status: DiscussionStatus, s: char) -> BotPr {
        BotPr { num, status, short_sha: Some(s.to_string().repeat(7)) }
    }

    #[test]
    fn the_newest_open_pr_is_kept_and_older_open_ones_are_superseded() {
        let prs = vec![pr(9, DiscussionStatus::Open, 'b'), pr(5, DiscussionStatus::Draft, 'a'), pr(2, DiscussionStatus::Merged, 'c')];
        let (keep, old) = split_open(&prs);
        assert_eq!(keep.map(|p| p.num), Some(9));
        assert_eq!(old.iter().map(|p| p.num).collect::<Vec<_>>(), vec![5]);
    }

    #[test]
    fn an_open_pr_is_updated_unless_a_human_committed_to_it() {
        let prs = vec![pr(3, DiscussionStatus::Open, 'a')];
        assert_eq!(decide(prs.first(), &prs, &sha('b'), false), Decision::Update(3));
        assert_eq!(decide(prs.first(), &prs, &sha('b'), true), Decision::LeaveAlone(3));
    }

    #[test]
    fn a_pr_closed_for_the_same_lora_commit_is_not_reopened_but_a_newer_commit_opens_one() {
        let prs = vec![pr(4, DiscussionStatus::Closed, 'a')];
        assert_eq!(decide(None, &prs, &sha('a'), false), Decision::Declined(4));
        assert_eq!(decide(None, &prs, &sha('b'), false), Decision::Open);
    }

    #[test]
    fn a_merged_pr_does_not_block_a_new_one() {
        let prs = vec![pr(4, DiscussionStatus::Merged, 'a')];
        assert_eq!(decide(None, &prs, &sha('a'), false), Decision::Open);
    }

    #[test]
    fn titles_without_a_short_sha_carry_none() {
        assert_eq!(title_sha("[lora-space-bot] Sync with a/b@abc1234"), Some("abc1234".into()));
        assert_eq!(title_sha("[lora-space-bot] Sync with a/b"), None);
        assert_eq!(title_sha("x@notahex"), None);
    }
}
