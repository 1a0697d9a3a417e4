//! Preview Spaces: for bot PR #N on Space S, a private Space (default `{space}-pr-{n}` in the
//! bot's namespace) that the bot creates and gives the PR's files in one commit on its `main`
//! (the bot owns it; [`PreviewSpace`] is the only key to that write). No secrets are copied.
//! Deleted when the PR is merged or closed, and by [`sweep`] for previews whose PR is gone.

use super::SmokeError;
use crate::domain::{RepoId, RepoType};
use crate::hub::{CommitOperation, CommitRequest, CreateRepo, DiscussionStatus, HubClient, NotFoundKind, Visibility};
use crate::publish::etiquette::BotPr;

/// Where previews go and what they are called.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviewSettings {
    /// The namespace (default: the bot's own).
    pub namespace: Option<String>,
    /// The name pattern: `{space}` is the Space's name, `{owner}` its namespace, `{n}` the PR.
    pub pattern: String,
}

impl Default for PreviewSettings {
    fn default() -> Self {
        Self { namespace: None, pattern: "{space}-pr-{n}".to_owned() }
    }
}

/// A preview Space the bot created for a smoke test: the only kind of Space whose `main` the
/// bot writes ([`HubClient::commit_to_own_preview`]). Made only by this module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviewSpace {
    id: RepoId,
}

impl PreviewSpace {
    /// Its id.
    pub fn id(&self) -> &RepoId {
        &self.id
    }
}

/// The preview's id for PR `pr` of `space` (pure).
pub fn preview_id(settings: &PreviewSettings, bot: &str, space: &RepoId, pr: u64) -> Result<RepoId, SmokeError> {
    let name = settings.pattern.replace("{space}", space.name()).replace("{owner}", space.namespace()).replace("{n}", &pr.to_string());
    let ns = settings.namespace.as_deref().unwrap_or(bot);
    RepoId::from_parts(ns, &name).map_err(|e| SmokeError::Config(format!("preview name {ns}/{name}: {e}")))
}

/// Creates the preview (private, replacing a stale one) and commits the files of
/// `refs/pr/{pr}` of `space` to it in one commit.
pub async fn deploy(hub: &HubClient, settings: &PreviewSettings, bot: &str, space: &RepoId, pr: u64) -> Result<PreviewSpace, SmokeError> {
    let id = preview_id(settings, bot, space, pr)?;
    let revision = format!("refs/pr/{pr}");
    let paths = hub.list_files(RepoType::Space, space, &revision).await?;
    let mut operations = Vec::new();
    for path in paths.iter().filter(|p| p.as_str() != ".gitattributes") {
        let file = hub.download(RepoType::Space, space, &revision, path).await?;
        operations.push(CommitOperation::Upload { path: path.clone(), content: file.bytes });
    }
    match hub.delete_repo(RepoType::Space, &id).await {
        Ok(()) => {}
        Err(e) if e.is_not_found(NotFoundKind::RepoNotFound) => {}
        Err(e) => return Err(e.into()),
    }
    let req = CreateRepo { repo_type: RepoType::Space, id: id.clone(), visibility: Visibility::Private, sdk: Some("gradio".to_owned()), hardware: None };
    hub.create_repo(&req).await?;
    let preview = PreviewSpace { id };
    let commit = CommitRequest { summary: format!("Preview of {space}#{pr}"), description: format!("Files of {space} at {revision}, for the bot's smoke test."), parent_commit: None, operations };
    hub.commit_to_own_preview(&preview, &commit).await?;
    Ok(preview)
}

/// Deletes the preview of PR `pr`; `false` when there was none.
pub async fn teardown(hub: &HubClient, settings: &PreviewSettings, bot: &str, space: &RepoId, pr: u64) -> Result<bool, SmokeError> {
    let id = preview_id(settings, bot, space, pr)?;
    match hub.delete_repo(RepoType::Space, &id).await {
        Ok(()) => Ok(true),
        Err(e) if e.is_not_found(NotFoundKind::RepoNotFound) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Deletes the previews of every bot PR on `space` that is no longer open (webhooks can be
/// missed). Returns the previews deleted.
pub async fn sweep(hub: &HubClient, settings: &PreviewSettings, bot: &str, space: &RepoId, prs: &[BotPr]) -> Result<Vec<RepoId>, SmokeError> {
    let mut deleted = Vec::new();
    for pr in prs.iter().filter(|p| !matches!(p.status, DiscussionStatus::Open | DiscussionStatus::Draft)) {
        if teardown(hub, settings, bot, space, pr.num).await? {
            deleted.push(preview_id(settings, bot, space, pr.num)?);
        }
    }
    Ok(deleted)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> RepoId {
        s.parse().expect("id")
    }

    #[test]
    fn the_default_preview_is_the_space_name_with_the_pr_in_the_bots_namespace() {
        let got = preview_id(&PreviewSettings::default(), "lsb-bot", &id("alice/corgi-demo"), 7).expect("valid");
        assert_eq!(got, id("lsb-bot/corgi-demo-pr-7"));
    }

    #[test]
    fn namespace_and_pattern_are_configurable() {
        let s = PreviewSettings { namespace: Some("previews".into()), pattern: "{owner}_{space}_{n}".into() };
        assert_eq!(preview_id(&s, "lsb-bot", &id("alice/demo"), 2).expect("valid"), id("previews/alice_demo_2"));
    }
}
