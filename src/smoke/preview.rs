//! Preview Spaces: for bot PR #N on Space S of owner O, a private Space (default
//! `{owner}_{space}-pr-{n}` in the bot's namespace, so `alice/demo` and `bob/demo` never share
//! one) that the bot creates with the configured hardware (hub-constraints.md §3: hardware is
//! only ever assigned at creation or through the hardware API, never by `suggested_hardware`)
//! and gives the PR's files in one commit on its `main` (the bot owns it; [`PreviewSpace`] is
//! the only key to that write). The only secret it gets is the separate read-only preview token,
//! as `HF_TOKEN` (gated bases load with it). Deleted once its verdict is posted, when the PR is
//! merged or closed, and by [`sweep`] for previews whose PR is gone.

use std::collections::BTreeMap;

use super::SmokeError;
use crate::domain::{RepoId, RepoType};
use crate::hub::{CommitOperation, CommitRequest, CreateRepo, DiscussionStatus, HubClient, NotFoundKind, Secret, Visibility};

/// `[smoke] preview`: whether live previews run, and on what hardware.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum PreviewMode {
    /// No preview: the local gate is the verdict.
    #[default]
    Off,
    /// ZeroGPU (`zero-a10g`): needs PRO / a Team org, or one of a free user's 2 ZeroGPU Spaces.
    ZeroGpu,
    /// A hardware flavour (`cpu-basic`, `t4-small`, `a10g-large`, …), billed while it runs.
    Hardware(String),
}

impl PreviewMode {
    /// `off`, `zero-gpu` (or `zero-a10g`), or a flavour.
    pub fn parse(s: &str) -> Result<Self, String> {
        match s.trim() {
            "off" | "" => Ok(Self::Off),
            "zero-gpu" | "zero-a10g" => Ok(Self::ZeroGpu),
            f if f.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') => Ok(Self::Hardware(f.to_owned())),
            f => Err(format!("{f:?} is not off, zero-gpu or a hardware flavour")),
        }
    }

    /// The flavour requested at creation (`None` when off).
    pub fn flavour(&self) -> Option<&str> {
        match self {
            Self::Off => None,
            Self::ZeroGpu => Some("zero-a10g"),
            Self::Hardware(f) => Some(f),
        }
    }
}
use crate::publish::etiquette::BotPr;

/// Where previews go and what they are called.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviewSettings {
    /// The namespace (default: the bot's own).
    pub namespace: Option<String>,
    /// The name pattern: `{space}` is the Space's name, `{owner}` its namespace, `{n}` the PR.
    pub pattern: String,
    /// Whether previews run, and on what hardware.
    pub mode: PreviewMode,
    /// The read-only token set as the preview's `HF_TOKEN` secret (never the bot's write token).
    pub token: Option<Secret>,
}

/// The default preview name pattern.
pub const DEFAULT_PATTERN: &str = "{owner}_{space}-pr-{n}";

impl Default for PreviewSettings {
    fn default() -> Self {
        Self { namespace: None, pattern: DEFAULT_PATTERN.to_owned(), mode: PreviewMode::Off, token: None }
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

/// The files of `refs/pr/{pr}` of `space` (path → bytes, `.gitattributes` left out).
pub async fn pr_files(hub: &HubClient, space: &RepoId, pr: u64) -> Result<BTreeMap<String, Vec<u8>>, SmokeError> {
    let revision = format!("refs/pr/{pr}");
    let paths = hub.list_files(RepoType::Space, space, &revision).await?;
    let mut files = BTreeMap::new();
    for path in paths.iter().filter(|p| p.as_str() != ".gitattributes") {
        let file = hub.download(RepoType::Space, space, &revision, path).await?;
        files.insert(path.clone(), file.bytes.to_vec());
    }
    Ok(files)
}

/// Creates the preview (private, replacing a stale one) and commits the files of
/// `refs/pr/{pr}` of `space` to it in one commit.
pub async fn deploy(hub: &HubClient, settings: &PreviewSettings, bot: &str, space: &RepoId, pr: u64) -> Result<PreviewSpace, SmokeError> {
    let files = pr_files(hub, space, pr).await?;
    deploy_files(hub, settings, bot, space, pr, &files).await
}

/// [`deploy`] with the PR's files already read: deletes a stale preview, creates it private
/// with the configured hardware, sets the preview token as its `HF_TOKEN` secret, then commits
/// the files (the first build already has the secret).
pub async fn deploy_files(hub: &HubClient, settings: &PreviewSettings, bot: &str, space: &RepoId, pr: u64, files: &BTreeMap<String, Vec<u8>>) -> Result<PreviewSpace, SmokeError> {
    let id = preview_id(settings, bot, space, pr)?;
    let revision = format!("refs/pr/{pr}");
    let operations = files.iter().map(|(path, bytes)| CommitOperation::Upload { path: path.clone(), content: bytes.clone().into() }).collect();
    match hub.delete_repo(RepoType::Space, &id).await {
        Ok(()) => {}
        Err(e) if e.is_not_found(NotFoundKind::RepoNotFound) => {}
        Err(e) => return Err(e.into()),
    }
    let hardware = settings.mode.flavour().map(str::to_owned);
    let req = CreateRepo { repo_type: RepoType::Space, id: id.clone(), visibility: Visibility::Private, sdk: Some("gradio".to_owned()), hardware };
    hub.create_repo(&req).await?;
    if let Some(token) = &settings.token {
        hub.add_space_secret(&id, "HF_TOKEN", token, Some("read-only token of the bot's smoke previews")).await?;
    }
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
    fn the_default_preview_names_owner_space_and_pr_in_the_bots_namespace() {
        let got = preview_id(&PreviewSettings::default(), "lsb-bot", &id("alice/corgi-demo"), 7).expect("valid");
        assert_eq!(got, id("lsb-bot/alice_corgi-demo-pr-7"));
        let bob = preview_id(&PreviewSettings::default(), "lsb-bot", &id("bob/corgi-demo"), 7).expect("valid");
        assert_ne!(got, bob, "two owners' Spaces of one name never share a preview");
    }

    #[test]
    fn preview_modes_parse_to_the_flavour_requested_at_creation() {
        assert_eq!(PreviewMode::parse("off"), Ok(PreviewMode::Off));
        assert_eq!(PreviewMode::parse("zero-gpu").expect("mode").flavour(), Some("zero-a10g"));
        assert_eq!(PreviewMode::parse("t4-small").expect("mode").flavour(), Some("t4-small"));
        assert!(PreviewMode::parse("t4 small; rm").is_err());
    }

    #[test]
    fn namespace_and_pattern_are_configurable() {
        let s = PreviewSettings { namespace: Some("previews".into()), pattern: "{owner}_{space}_{n}".into(), ..PreviewSettings::default() };
        assert_eq!(preview_id(&s, "lsb-bot", &id("alice/demo"), 2).expect("valid"), id("previews/alice_demo_2"));
    }
}
