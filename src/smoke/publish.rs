//! Writing a smoke report on its PR: the bot's smoke comment (found by its marker, edited in
//! place, and only when its text changes) and the PR body's smoke section. A report never
//! replaces one written by a later job (a newer PR head): stale verdicts are replaced, never
//! written over newer ones.

use super::SmokeError;
use super::report::{SMOKE_MARKER, SmokeReport, mirror_into_body};
use crate::domain::{RepoId, RepoType};
use crate::hub::{DiscussionDetails, EventKind, HubClient};

/// What [`publish`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Published {
    /// The comment or the body changed.
    Written,
    /// Both already said this.
    Unchanged,
    /// A later job's report is there (a newer head): left alone.
    Superseded,
}

/// Pure: whether the comment `existing` was written by a job started after `report`'s.
pub fn is_newer(existing: &str, report: &SmokeReport) -> bool {
    SmokeReport::parse_head(existing).is_some_and(|(head, started)| started > report.started && Some(&head) != report.head.as_ref())
}

/// Writes `report` on PR `pr` of `space`, reading the PR's events (`details`, or one read).
pub async fn publish(hub: &HubClient, bot: &str, space: &RepoId, pr: u64, report: &SmokeReport, details: Option<DiscussionDetails>) -> Result<Published, SmokeError> {
    let details = match details {
        Some(d) => d,
        None => hub.discussion_details(RepoType::Space, space, pr).await?,
    };
    let comments: Vec<_> = details
        .events
        .iter()
        .filter_map(|e| match e.kind() {
            EventKind::Comment { raw, .. } => Some((e, raw)),
            _ => None,
        })
        .collect();
    let text = report.comment();
    let mut wrote = false;
    match comments.iter().find(|(e, raw)| e.author_name() == bot && raw.starts_with(SMOKE_MARKER)) {
        Some((_, raw)) if is_newer(raw, report) => return Ok(Published::Superseded),
        Some((_, raw)) if *raw == text => {}
        Some((e, _)) => {
            hub.edit_comment(RepoType::Space, space, pr, &e.id, &text).await?;
            wrote = true;
        }
        None => {
            hub.comment(RepoType::Space, space, pr, &text).await?;
            wrote = true;
        }
    }
    if let Some((first, body)) = comments.first().filter(|(e, _)| e.author_name() == bot) {
        let new_body = mirror_into_body(body, &report.summary());
        if new_body != *body {
            hub.edit_comment(RepoType::Space, space, pr, &first.id, &new_body).await?;
            wrote = true;
        }
    }
    Ok(if wrote { Published::Written } else { Published::Unchanged })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_report_of_another_head_from_a_later_job_supersedes() {
        let mut old = SmokeReport::new("a/s", Some(1));
        old.head = Some("aaa".into());
        old.started = 100;
        let mut new = old.clone();
        new.head = Some("bbb".into());
        new.started = 200;
        assert!(is_newer(&new.comment(), &old), "the old job must not overwrite the newer head's verdict");
        assert!(!is_newer(&old.comment(), &new), "the newer job replaces the stale verdict");
        assert!(!is_newer(&old.comment(), &old));
        assert!(!is_newer("<!-- lora-space-bot:smoke v1 -->\nno head", &old));
    }
}
