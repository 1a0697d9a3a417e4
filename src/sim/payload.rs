//! The Hub's webhook payload, version 3 (hub-api.md §9), with its exact field names.

use serde_json::{Value, json};

use super::git::sha1_hex;
use super::shared::Sim;
use super::state::{Discussion, Event, EventData, Repo};

/// A stable 24-hex id for a user name (the Hub sends ids, not names, in payloads).
pub(crate) fn user_id(name: &str) -> String {
    sha1_hex(format!("user:{name}").as_bytes())[..24].to_owned()
}

/// `repo`: `headSha` only for `repo*` scopes, `subdomain` for Spaces, `tags` from the card.
pub(crate) fn repo(sim: &Sim, r: &Repo, with_head: bool) -> Value {
    let mut v = json!({
        "id": r.object_id,
        "type": r.ty.as_str(),
        "name": r.id.to_string(),
        "private": r.private,
        "url": { "web": sim.web_url(r.ty, &r.id), "api": sim.api_url(r.ty, &r.id) },
        "owner": { "id": user_id(r.owner()) },
    });
    if with_head
        && let Some(h) = r.main_head() {
            v["headSha"] = json!(h);
        }
    let card = r.main_head().and_then(|h| r.commit(h)).and_then(|c| c.files.get("README.md")).and_then(|e| super::routes::frontmatter(&e.data).ok().flatten());
    if let Some(tags) = card.as_ref().and_then(|c| c.get("tags")).filter(|t| t.is_array()) {
        v["tags"] = Value::Array(tag_strings(tags));
    }
    if r.space.is_some() {
        v["subdomain"] = json!(format!("{}-{}", r.id.namespace(), r.id.name()).to_lowercase().replace(['_', '.'], "-"));
    }
    v
}

/// `discussion`.
pub(crate) fn discussion(sim: &Sim, r: &Repo, d: &Discussion) -> Value {
    let web = format!("{}/discussions/{}", sim.web_url(r.ty, &r.id), d.num);
    let mut v = json!({
        "id": d.id,
        "num": d.num,
        "title": d.title,
        "isPullRequest": d.is_pr,
        "status": d.status,
        "author": { "id": user_id(&d.author) },
        "url": { "web": web, "api": format!("{}/discussions/{}", sim.api_url(r.ty, &r.id), d.num) },
        "pinned": false,
    });
    if d.is_pr {
        v["changes"] = json!({ "base": "refs/heads/main" });
        if let Some(m) = &d.merge_commit {
            v["changes"]["mergeCommitId"] = json!(m);
        }
    }
    v
}

/// `comment` (no `content` when hidden).
pub(crate) fn comment(sim: &Sim, r: &Repo, d: &Discussion, e: &Event) -> Value {
    let (content, hidden) = match &e.data {
        EventData::Comment { history, hidden } => (history.first().map(|h| h.0.clone()).unwrap_or_default(), *hidden),
        _ => (String::new(), false),
    };
    let mut v = json!({
        "id": e.id,
        "author": { "id": user_id(&e.author) },
        "hidden": hidden,
        "url": { "web": format!("{}/discussions/{}#{}", sim.web_url(r.ty, &r.id), d.num, e.id) },
    });
    if !hidden {
        v["content"] = json!(content);
    }
    v
}

/// The envelope: `event`, `repo`, `webhook`, plus whatever the scope adds.
pub(crate) fn envelope(action: &str, scope: &str, repo: Value, webhook_id: &str) -> Value {
    json!({
        "event": { "action": action, "scope": scope },
        "repo": repo,
        "webhook": { "id": webhook_id, "version": 3 },
    })
}

/// Card tags as the Hub returns them: strings, scalars stringified, other values dropped.
pub(crate) fn tag_strings(tags: &Value) -> Vec<Value> {
    tags.as_array().into_iter().flatten().filter(|t| !t.is_array() && !t.is_object() && !t.is_null()).map(|t| Value::String(scalar_text(t))).collect()
}

/// A JSON scalar as text (`"x"` → `x`, `360` → `360`).
pub(crate) fn scalar_text(v: &Value) -> String {
    v.as_str().map_or_else(|| v.to_string(), str::to_owned)
}
