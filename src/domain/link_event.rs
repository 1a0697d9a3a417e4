//! Pure: a linked LoRA or Space was moved (renamed / transferred) or deleted on the Hub, so
//! its `[[links]]` entry is stale. The Hub sends one `repo` event for it (hub-api.md §9:
//! `event.action` `move` with `movedTo {name, owner}`, or `delete`; hub-constraints.md §1).
//! Nothing can be synced for it, but the operator must hear of it at once: webhooks watch
//! repos by name, so after a move the LoRA's pushes may stop arriving, and API calls on the
//! old name fail (only downloads redirect: hub-api.md "Redirects").

use std::fmt;

use super::hub_event::WebhookPayload;
use super::ids::{RepoId, RepoType};

/// A link made stale by a `repo` move or delete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaleLink {
    /// The repo as the link names it.
    pub repo: RepoId,
    /// LoRA (model) or Space.
    pub kind: RepoType,
    /// The repo's new name (`None`: deleted, or a move without a usable `movedTo`).
    pub moved_to: Option<RepoId>,
    /// `move` or `delete`.
    pub action: &'static str,
}

/// The stale link this delivery reports, if it is a `repo` move/delete of a linked repo.
pub fn stale_link(payload: &WebhookPayload, is_linked: impl Fn(RepoType, &RepoId) -> bool) -> Option<StaleLink> {
    if payload.event.scope != "repo" {
        return None;
    }
    let action = match payload.event.action.as_str() {
        "move" => "move",
        "delete" => "delete",
        _ => return None,
    };
    let kind: RepoType = payload.repo.kind.parse().ok().filter(|k| matches!(k, RepoType::Model | RepoType::Space))?;
    let repo: RepoId = payload.repo.name.parse().ok()?;
    if !is_linked(kind, &repo) {
        return None;
    }
    let moved_to = (action == "move").then(|| payload.moved_to.as_ref().and_then(|m| m.name.parse().ok())).flatten();
    Some(StaleLink { repo, kind, moved_to, action })
}

impl fmt::Display for StaleLink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = if self.kind == RepoType::Space { "Space" } else { "LoRA" };
        match (&self.moved_to, self.action) {
            (Some(to), _) if self.kind == RepoType::Space => write!(
                f,
                "linked {what} {} was moved to {to} on the Hub: change its [[links]] entry to space = \"{to}\" and restart; the bot's calls on the old name fail",
                self.repo
            ),
            (Some(to), _) => write!(
                f,
                "linked {what} {} was moved to {to} on the Hub: change its [[links]] entry to lora = \"{to}\", restart, and register the webhook on the new name (lora-space-bot webhook register --lora {to} --url …); webhooks watch names, so its next pushes may not arrive",
                self.repo
            ),
            (None, "move") => write!(f, "linked {what} {} was moved on the Hub (no new name in the event): find its new name and update [[links]]", self.repo),
            (None, _) => write!(f, "linked {what} {} was deleted on the Hub: remove its [[links]] entry (every job for it will fail)", self.repo),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payload(action: &str, kind: &str, name: &str, moved_to: Option<&str>) -> WebhookPayload {
        let mut v = serde_json::json!({ "event": { "action": action, "scope": "repo" }, "repo": { "type": kind, "name": name } });
        if let Some(m) = moved_to {
            v["movedTo"] = serde_json::json!({ "name": m, "owner": { "id": "6189f1c3a1b2c3d4e5f60718" } });
        }
        serde_json::from_value(v).expect("payload")
    }

    fn linked(kind: RepoType, id: &RepoId) -> bool {
        (kind == RepoType::Model && id.to_string() == "alice/corgi") || (kind == RepoType::Space && id.to_string() == "alice/corgi-demo")
    }

    #[test]
    fn a_moved_lora_names_its_new_name_and_what_to_do() {
        let s = stale_link(&payload("move", "model", "alice/corgi", Some("team/corgi")), linked).expect("stale");
        assert_eq!(s.moved_to.as_ref().map(ToString::to_string).as_deref(), Some("team/corgi"));
        let text = s.to_string();
        assert!(text.contains("lora = \"team/corgi\"") && text.contains("webhook register --lora team/corgi"), "{text}");
    }

    #[test]
    fn a_deleted_space_and_a_moved_space_are_named() {
        let del = stale_link(&payload("delete", "space", "alice/corgi-demo", None), linked).expect("stale");
        assert!(del.to_string().starts_with("linked Space alice/corgi-demo was deleted"), "{del}");
        let mv = stale_link(&payload("move", "space", "alice/corgi-demo", Some("alice/corgi-space")), linked).expect("stale");
        assert!(mv.to_string().contains("space = \"alice/corgi-space\""), "{mv}");
        let bad = stale_link(&payload("move", "space", "alice/corgi-demo", Some("not a repo")), linked).expect("stale");
        assert!(bad.to_string().contains("no new name"), "{bad}");
    }

    #[test]
    fn unlinked_repos_other_actions_and_other_scopes_are_not_stale_links() {
        assert_eq!(stale_link(&payload("move", "model", "bob/other", Some("bob/x")), linked), None);
        assert_eq!(stale_link(&payload("create", "model", "alice/corgi", None), linked), None);
        assert_eq!(stale_link(&payload("delete", "dataset", "alice/corgi", None), linked), None);
        let mut content = payload("delete", "model", "alice/corgi", None);
        content.event.scope = "repo.content".into();
        assert_eq!(stale_link(&content, linked), None);
    }
}
