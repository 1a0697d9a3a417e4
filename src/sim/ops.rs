//! State changes shared by routes and the test handle: create a repo, push a commit to a
//! ref (moving it, firing webhooks, recording PR commit events, starting Space builds).

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::http::StatusCode;
use bytes::Bytes;
use serde_json::json;
use time::OffsetDateTime;

use super::error::ApiError;
use super::git::{self, Change};
use super::hooks::{self, Trigger};
use super::shared::Sim;
use super::state::{Event, EventData, FileEntry, Repo, SpaceState, World};
use super::runtime;
use crate::domain::{RepoId, RepoType};

/// Creates a repo owned by its namespace with one initial commit on `main`.
pub(crate) fn create_repo(
    sim: &Arc<Sim>,
    w: &mut World,
    ty: RepoType,
    id: &RepoId,
    private: bool,
    sdk: Option<&str>,
    files: BTreeMap<String, Bytes>,
) -> Result<String, ApiError> {
    create_repo_with(sim, w, ty, id, private, sdk, files, |_| {})
}

/// [`create_repo`], with `setup` applied to a Space's settings before its first build.
#[allow(clippy::too_many_arguments)]
pub(crate) fn create_repo_with(
    sim: &Arc<Sim>,
    w: &mut World,
    ty: RepoType,
    id: &RepoId,
    private: bool,
    sdk: Option<&str>,
    files: BTreeMap<String, Bytes>,
    setup: impl FnOnce(&mut SpaceState),
) -> Result<String, ApiError> {
    if w.repo(ty, id).is_some() {
        let mut e = ApiError::new(StatusCode::CONFLICT, format!("You already created this {} repo", ty.as_str()));
        e.body = Some(json!({ "error": e.message, "url": sim.web_url(ty, id) }));
        return Err(e);
    }
    w.ensure_user(id.namespace());
    let space = (ty == RepoType::Space).then(|| {
        let mut s = SpaceState {
            sdk: sdk.unwrap_or("gradio").to_owned(),
            stage: "NO_APP_FILE".to_owned(),
            hardware: super::terms::CPU_BASIC.to_owned(),
            sleep_time: Some(172_800),
            ..SpaceState::default()
        };
        setup(&mut s);
        s
    });
    let object_id = w.next_object_id();
    let mut repo = Repo {
        ty,
        id: id.clone(),
        object_id,
        private,
        created_at: OffsetDateTime::now_utc(),
        commits: Default::default(),
        refs: BTreeMap::new(),
        discussions: Vec::new(),
        space,
        gated: None,
        gate_grants: Vec::new(),
    };
    let entries: BTreeMap<String, FileEntry> = files.into_iter().map(|(p, d)| (p, git::entry(d))).collect();
    let oid = git::store_commit(&mut repo, None, entries, id.namespace(), "initial commit", "");
    repo.refs.insert("refs/heads/main".to_owned(), oid.clone());
    w.repos.insert((ty.into(), id.clone()), repo);
    hooks::fire(sim, w, ty, id, Trigger::Repo { action: "create" });
    if ty == RepoType::Space {
        runtime::on_main_changed(sim, w, id);
    }
    Ok(oid)
}

/// One commit to push.
pub(crate) struct Push<'a> {
    pub ref_name: String,
    pub parent: Option<String>,
    pub changes: &'a [Change],
    pub author: &'a str,
    pub title: &'a str,
    pub message: &'a str,
}

/// Commits on top of `parent` (default: the ref's head) and moves the ref. Fires
/// `repo.content`, records a `commit` event on a PR ref, and rebuilds a Space on `main`.
pub(crate) fn push(sim: &Arc<Sim>, w: &mut World, ty: RepoType, id: &RepoId, p: Push<'_>) -> Result<String, ApiError> {
    let repo = w.repo_mut(ty, id).ok_or_else(ApiError::repo_not_found)?;
    let old = repo.refs.get(&p.ref_name).cloned();
    let parent = p.parent.or_else(|| old.clone());
    let base = parent.as_deref().and_then(|o| repo.commit(o)).map(|c| c.files.clone()).unwrap_or_default();
    let files = git::apply(base, p.changes).map_err(ApiError::bad_request)?;
    let oid = git::store_commit(repo, parent.as_deref(), files, p.author, p.title, p.message);
    repo.refs.insert(p.ref_name.clone(), oid.clone());
    if let Some(num) = p.ref_name.strip_prefix("refs/pr/").and_then(|n| n.parse::<u64>().ok()) {
        let event = Event {
            id: String::new(),
            author: p.author.to_owned(),
            created_at: OffsetDateTime::now_utc(),
            data: EventData::Commit { subject: p.title.to_owned(), oid: oid.clone() },
        };
        add_event(w, ty, id, num, event);
    }
    let updated = vec![(p.ref_name.clone(), old, Some(oid.clone()))];
    hooks::fire(sim, w, ty, id, Trigger::RepoContent { updated });
    if ty == RepoType::Space && p.ref_name == "refs/heads/main" {
        runtime::on_main_changed(sim, w, id);
    }
    Ok(oid)
}

/// Appends an event to a discussion, giving it a fresh id.
pub(crate) fn add_event(w: &mut World, ty: RepoType, id: &RepoId, num: u64, mut event: Event) -> Option<Event> {
    event.id = w.next_object_id();
    let d = w.repo_mut(ty, id)?.discussion_mut(num)?;
    d.events.push(event.clone());
    Some(event)
}
