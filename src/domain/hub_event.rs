//! Hub webhook payloads (schema v3, hub-api.md §9) and their classification: the pure
//! decision of whether a delivery becomes a job, and if not, why.

use serde::Deserialize;

use super::ids::{CommitSha, RepoId, RepoType};

/// The subset of a Hub webhook payload the receiver reads. Unknown fields are ignored,
/// so the Hub may add fields and scopes without breaking us.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookPayload {
    /// What happened.
    pub event: Event,
    /// The repository it happened to.
    pub repo: Repo,
    /// Refs moved by a `repo.content` event.
    #[serde(default)]
    pub updated_refs: Vec<UpdatedRef>,
    /// Present for `discussion*` scopes.
    #[serde(default)]
    pub discussion: Option<Discussion>,
    /// The new name, on a `repo` `move`.
    #[serde(default)]
    pub moved_to: Option<MovedTo>,
}

/// `movedTo`: where a moved repo went.
#[derive(Debug, Clone, Deserialize)]
pub struct MovedTo {
    /// `namespace/name` after the move.
    pub name: String,
}

/// `event`: an action on a scope.
#[derive(Debug, Clone, Deserialize)]
pub struct Event {
    /// `create`, `delete`, `update`, `move`.
    pub action: String,
    /// `repo`, `repo.content`, `repo.config`, `discussion`, `discussion.comment`, or a newer one.
    pub scope: String,
}

/// `repo`: the repository an event concerns.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Repo {
    /// `model`, `dataset` or `space` (kept as text: unknown types are ignored, not rejected).
    #[serde(rename = "type")]
    pub kind: String,
    /// `namespace/name`.
    pub name: String,
    /// The sha of `main`, sent for `repo*` scopes.
    #[serde(default)]
    pub head_sha: Option<String>,
}

/// One moved ref; `None` shas mean created (old) or deleted (new).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdatedRef {
    /// `refs/heads/main`, `refs/pr/5`, `refs/tags/v1`, ...
    #[serde(rename = "ref")]
    pub reference: String,
    /// Previous sha.
    #[serde(default)]
    pub old_sha: Option<String>,
    /// New sha.
    #[serde(default)]
    pub new_sha: Option<String>,
}

/// `discussion`: present on discussion events.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Discussion {
    /// Discussion / PR number.
    pub num: u64,
    /// Whether it is a pull request.
    #[serde(default)]
    pub is_pull_request: bool,
    /// `open`, `closed`, `merged`, `draft`.
    #[serde(default)]
    pub status: String,
}

/// The branch whose updates the bot follows.
pub const MAIN_REF: &str = "refs/heads/main";

/// What the receiver does with a well-formed, authenticated delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Publish a sync job for this LoRA at this sha, for each linked Space.
    Sync { lora: RepoId, revision: Option<CommitSha>, spaces: Vec<RepoId> },
    /// Delivered, nothing to do; the reason is returned to the Hub and logged.
    Ignore(IgnoreReason),
}

/// Why a delivery produced no job.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IgnoreReason {
    /// A scope or action the bot does not act on (the Hub adds scopes over time).
    #[error("scope {scope:?} action {action:?} is not acted on")]
    UnhandledEvent { scope: String, action: String },
    /// Not a model repository.
    #[error("repo type {0:?} is not a model")]
    NotAModel(String),
    /// The repo name is not a valid id.
    #[error("repo name {0:?} is not a valid repo id")]
    BadRepoName(String),
    /// No update to `refs/heads/main` (PR refs, tags, other branches, deletions).
    #[error("no update to refs/heads/main (refs: {0})")]
    NotMainBranch(String),
    /// The operator has not linked this LoRA to a Space.
    #[error("{0} is not linked to any Space")]
    NotLinked(RepoId),
}

/// Classifies a payload. `spaces_for` maps a LoRA repo to the Spaces linked to it.
pub fn classify(payload: &WebhookPayload, spaces_for: impl Fn(&RepoId) -> Vec<RepoId>) -> Decision {
    let ev = &payload.event;
    if ev.scope != "repo.content" || ev.action != "update" {
        return Decision::Ignore(IgnoreReason::UnhandledEvent { scope: ev.scope.clone(), action: ev.action.clone() });
    }
    if payload.repo.kind.parse::<RepoType>().ok() != Some(RepoType::Model) {
        return Decision::Ignore(IgnoreReason::NotAModel(payload.repo.kind.clone()));
    }
    let Ok(lora) = payload.repo.name.parse::<RepoId>() else {
        return Decision::Ignore(IgnoreReason::BadRepoName(payload.repo.name.clone()));
    };
    let Some(main) = payload.updated_refs.iter().find(|r| r.reference == MAIN_REF && r.new_sha.is_some()) else {
        let refs: Vec<&str> = payload.updated_refs.iter().map(|r| r.reference.as_str()).collect();
        return Decision::Ignore(IgnoreReason::NotMainBranch(refs.join(", ")));
    };
    let spaces = spaces_for(&lora);
    if spaces.is_empty() {
        return Decision::Ignore(IgnoreReason::NotLinked(lora));
    }
    let revision = main.new_sha.as_deref().and_then(|s| s.parse().ok());
    Decision::Sync { lora, revision, spaces }
}

/// A pull request on a Space that was merged or closed: `(space, pr number, status)`, the
/// trigger of a preview `cleanup` job. `None` for every other delivery.
pub fn closed_space_pr(payload: &WebhookPayload) -> Option<(RepoId, u64, String)> {
    let d = payload.discussion.as_ref().filter(|d| d.is_pull_request && matches!(d.status.as_str(), "merged" | "closed"))?;
    let is_space = payload.repo.kind.parse::<RepoType>().ok() == Some(RepoType::Space);
    if payload.event.scope != "discussion" || payload.event.action != "update" || !is_space {
        return None;
    }
    Some((payload.repo.name.parse().ok()?, d.num, d.status.clone()))
}

/// A commit on a PR ref of a Space: `(space, pr number, new head)`, the trigger of a `smoke`
/// job for the bot's open PR there. `None` for every other delivery.
pub fn space_pr_update(payload: &WebhookPayload) -> Option<(RepoId, u64, String)> {
    let is_space = payload.repo.kind.parse::<RepoType>().ok() == Some(RepoType::Space);
    if payload.event.scope != "repo.content" || payload.event.action != "update" || !is_space {
        return None;
    }
    let (num, head) = payload.updated_refs.iter().find_map(|r| Some((r.reference.strip_prefix("refs/pr/")?.parse::<u64>().ok()?, r.new_sha.clone()?)))?;
    Some((payload.repo.name.parse().ok()?, num, head))
}

/// A commit on a Space's main: `(space, move)`, the trigger of a `sync` job when the Space
/// is linked (its `lora-space.toml` may have changed). `None` for every other delivery.
pub fn space_main_update(payload: &WebhookPayload) -> Option<(RepoId, super::job::SpaceMainMove)> {
    let is_space = payload.repo.kind.parse::<RepoType>().ok() == Some(RepoType::Space);
    if payload.event.scope != "repo.content" || payload.event.action != "update" || !is_space {
        return None;
    }
    let main = payload.updated_refs.iter().find(|r| r.reference == MAIN_REF)?;
    let new = main.new_sha.as_deref()?.parse().ok()?;
    let old = main.old_sha.as_deref().and_then(|s| s.parse().ok());
    Some((payload.repo.name.parse().ok()?, super::job::SpaceMainMove { old, new }))
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIXTURE: &str = include_str!("../../../shared/fixtures/webhooks/repo-content-update.json");

    fn linked(lora: &RepoId) -> Vec<RepoId> {
        if lora.to_string() == "acme-labs/sdxl-lora-watercolor" {
            vec!["acme-labs/watercolor-demo".parse().expect("id")]
        } else {
            vec![]
        }
    }

    fn payload(edit: impl FnOnce(&mut serde_json::Value)) -> WebhookPayload {
        let mut v: serde_json::Value = serde_json::from_str(FIXTURE).expect("fixture");
        edit(&mut v);
        serde_json::from_value(v).expect("payload")
    }

    #[test]
    fn main_branch_update_of_linked_lora_becomes_a_sync() {
        let d = classify(&payload(|_| {}), linked);
        let Decision::Sync { lora, revision, spaces } = d else { panic!("expected sync, got {d:?}") };
        assert_eq!(lora.to_string(), "acme-labs/sdxl-lora-watercolor");
        assert_eq!(revision.map(|r| r.to_string()).as_deref(), Some("575db8b7a51b6f85eb06eee540738584589f131c"));
        assert_eq!(spaces.len(), 1);
    }

    #[test]
    fn pr_ref_update_is_ignored() {
        let d = classify(&payload(|v| v["updatedRefs"][0]["ref"] = "refs/pr/3".into()), linked);
        assert!(matches!(d, Decision::Ignore(IgnoreReason::NotMainBranch(_))), "{d:?}");
    }

    #[test]
    fn main_branch_deletion_is_ignored() {
        let d = classify(&payload(|v| v["updatedRefs"][0]["newSha"] = serde_json::Value::Null), linked);
        assert!(matches!(d, Decision::Ignore(IgnoreReason::NotMainBranch(_))), "{d:?}");
    }

    #[test]
    fn unknown_scope_is_ignored_not_rejected() {
        let d = classify(&payload(|v| v["event"]["scope"] = "repo.config.dois".into()), linked);
        assert!(matches!(d, Decision::Ignore(IgnoreReason::UnhandledEvent { .. })), "{d:?}");
    }

    #[test]
    fn unlinked_lora_is_ignored() {
        let d = classify(&payload(|v| v["repo"]["name"] = "someone/else".into()), linked);
        assert!(matches!(d, Decision::Ignore(IgnoreReason::NotLinked(_))), "{d:?}");
    }

    fn discussion(kind: &str, is_pr: bool, status: &str) -> WebhookPayload {
        payload(|v| {
            v["event"] = serde_json::json!({ "action": "update", "scope": "discussion" });
            v["repo"]["type"] = kind.into();
            v["repo"]["name"] = "acme-labs/watercolor-demo".into();
            v["discussion"] = serde_json::json!({ "num": 4, "isPullRequest": is_pr, "status": status });
        })
    }

    #[test]
    fn a_merged_or_closed_space_pr_is_a_closed_space_pr_and_nothing_else_is() {
        let (space, num, status) = closed_space_pr(&discussion("space", true, "merged")).expect("merged PR");
        assert_eq!((space.to_string().as_str(), num, status.as_str()), ("acme-labs/watercolor-demo", 4, "merged"));
        assert!(closed_space_pr(&discussion("space", true, "closed")).is_some());
        assert!(closed_space_pr(&discussion("space", true, "open")).is_none());
        assert!(closed_space_pr(&discussion("space", false, "closed")).is_none());
        assert!(closed_space_pr(&discussion("model", true, "merged")).is_none());
        assert!(closed_space_pr(&payload(|_| {})).is_none());
        assert!(matches!(classify(&discussion("space", true, "merged"), linked), Decision::Ignore(IgnoreReason::UnhandledEvent { .. })));
    }

    #[test]
    fn a_commit_on_a_space_pr_ref_is_a_space_pr_update_and_main_or_models_are_not() {
        let pr = |kind: &str, reference: &str| {
            payload(|v| {
                v["repo"]["type"] = kind.into();
                v["repo"]["name"] = "acme-labs/watercolor-demo".into();
                v["updatedRefs"][0]["ref"] = reference.into();
            })
        };
        let (space, num, head) = space_pr_update(&pr("space", "refs/pr/3")).expect("a PR update");
        assert_eq!((space.to_string().as_str(), num, head.as_str()), ("acme-labs/watercolor-demo", 3, "575db8b7a51b6f85eb06eee540738584589f131c"));
        assert!(space_pr_update(&pr("space", "refs/heads/main")).is_none());
        assert!(space_pr_update(&pr("model", "refs/pr/3")).is_none());
    }

    #[test]
    fn a_commit_on_a_space_main_is_a_space_main_update_and_pr_refs_or_models_are_not() {
        let on = |kind: &str, reference: &str| {
            payload(|v| {
                v["repo"]["type"] = kind.into();
                v["repo"]["name"] = "acme-labs/watercolor-demo".into();
                v["updatedRefs"][0]["ref"] = reference.into();
            })
        };
        let (space, moved) = space_main_update(&on("space", "refs/heads/main")).expect("a main update");
        assert_eq!(space.to_string(), "acme-labs/watercolor-demo");
        assert_eq!(moved.new.as_str(), "575db8b7a51b6f85eb06eee540738584589f131c");
        assert!(space_main_update(&on("space", "refs/pr/3")).is_none());
        assert!(space_main_update(&on("model", "refs/heads/main")).is_none());
    }

    #[test]
    fn space_and_dataset_updates_are_ignored() {
        let d = classify(&payload(|v| v["repo"]["type"] = "space".into()), linked);
        assert!(matches!(d, Decision::Ignore(IgnoreReason::NotAModel(_))), "{d:?}");
    }
}
