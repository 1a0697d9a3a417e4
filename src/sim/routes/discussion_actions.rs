//! Changes to one discussion: comment, edit or hide a comment, status, rename, merge.
//! Each records an event, fires the matching webhook, and answers the event the Hub returns.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Extension, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use time::OffsetDateTime;

use super::discussions::{NumPath, conflicts, find};
use super::{RepoPath, event_json};
use crate::domain::{RepoId, RepoType};
use crate::sim::access::{self, Caller};
use crate::sim::error::ApiError;
use crate::sim::git::{self, Change};
use crate::sim::hooks::{self, Trigger};
use crate::sim::ops::{self, Push};
use crate::sim::shared::Sim;
use crate::sim::state::{Event, EventData, World};

type Ctx = State<Arc<Sim>>;

fn comment_event(user: &str, text: &str) -> Event {
    let now = OffsetDateTime::now_utc();
    Event { id: String::new(), author: user.to_owned(), created_at: now, data: EventData::Comment { history: vec![(text.to_owned(), now, user.to_owned())], hidden: false } }
}

fn event(user: &str, data: EventData) -> Event {
    Event { id: String::new(), author: user.to_owned(), created_at: OffsetDateTime::now_utc(), data }
}

/// The caller may manage the discussion: its author or a repo writer.
fn may_manage(w: &World, caller: &Caller, ty: RepoType, id: &RepoId, num: u64) -> Result<(), ApiError> {
    let repo = access::readable(w, caller, ty, id)?;
    let d = find(repo, num)?;
    if access::is_writer(repo, caller) || caller.name() == Some(d.author.as_str()) {
        Ok(())
    } else {
        Err(ApiError::forbidden("You don't have the rights to change this discussion"))
    }
}

fn add_comment(sim: &Arc<Sim>, w: &mut World, ty: RepoType, id: &RepoId, num: u64, user: &str, text: &str) -> Result<Event, ApiError> {
    let e = ops::add_event(w, ty, id, num, comment_event(user, text)).ok_or_else(|| ApiError::not_found("Discussion not found"))?;
    hooks::fire(sim, w, ty, id, Trigger::Comment { num, event_id: e.id.clone(), action: "create" });
    Ok(e)
}

#[derive(Deserialize)]
pub(crate) struct CommentBody {
    comment: String,
}

pub(crate) async fn comment(State(sim): Ctx, Extension(caller): Extension<Caller>, p: Path<RepoPath>, Path(n): Path<NumPath>, Json(b): Json<CommentBody>) -> Result<Response, ApiError> {
    let (ty, id) = p.parse()?;
    let user = caller.require()?.to_owned();
    let mut w = sim.world();
    find(access::readable(&w, &caller, ty, &id)?, n.num)?;
    let e = add_comment(&sim, &mut w, ty, &id, n.num, &user, &b.comment)?;
    Ok(Json(json!({ "newMessage": event_json(&e) })).into_response())
}

#[derive(Deserialize)]
pub(crate) struct CommentPath {
    cid: String,
}

#[derive(Deserialize)]
pub(crate) struct EditBody {
    content: String,
}

fn update_comment(sim: &Arc<Sim>, caller: &Caller, ty: RepoType, id: &RepoId, num: u64, cid: &str, edit: impl FnOnce(&mut EventData, &str)) -> Result<Value, ApiError> {
    let user = caller.require()?.to_owned();
    let mut w = sim.world();
    let repo = access::readable_mut(&mut w, caller, ty, id)?;
    let writer = access::is_writer(repo, caller);
    let d = repo.discussion_mut(num).ok_or_else(|| ApiError::not_found("Discussion not found"))?;
    let e = d.events.iter_mut().find(|e| e.id == cid.to_lowercase() && matches!(e.data, EventData::Comment { .. })).ok_or_else(|| ApiError::not_found("Comment not found"))?;
    if e.author != user && !writer {
        return Err(ApiError::forbidden("You can only edit your own comments"));
    }
    edit(&mut e.data, &user);
    let v = event_json(e);
    let event_id = e.id.clone();
    hooks::fire(sim, &w, ty, id, Trigger::Comment { num, event_id, action: "update" });
    Ok(json!({ "updatedComment": v }))
}

pub(crate) async fn edit_comment(State(sim): Ctx, Extension(caller): Extension<Caller>, p: Path<RepoPath>, Path(n): Path<NumPath>, Path(c): Path<CommentPath>, Json(b): Json<EditBody>) -> Result<Response, ApiError> {
    let (ty, id) = p.parse()?;
    let v = update_comment(&sim, &caller, ty, &id, n.num, &c.cid, |data, user| {
        if let EventData::Comment { history, .. } = data {
            history.insert(0, (b.content.clone(), OffsetDateTime::now_utc(), user.to_owned()));
        }
    })?;
    Ok(Json(v).into_response())
}

pub(crate) async fn hide_comment(State(sim): Ctx, Extension(caller): Extension<Caller>, p: Path<RepoPath>, Path(n): Path<NumPath>, Path(c): Path<CommentPath>) -> Result<Response, ApiError> {
    let (ty, id) = p.parse()?;
    let v = update_comment(&sim, &caller, ty, &id, n.num, &c.cid, |data, _| {
        if let EventData::Comment { hidden, .. } = data {
            *hidden = true;
        }
    })?;
    Ok(Json(v).into_response())
}

#[derive(Deserialize)]
pub(crate) struct StatusBody {
    status: String,
    comment: Option<String>,
}

pub(crate) async fn status(State(sim): Ctx, Extension(caller): Extension<Caller>, p: Path<RepoPath>, Path(n): Path<NumPath>, Json(b): Json<StatusBody>) -> Result<Response, ApiError> {
    let (ty, id) = p.parse()?;
    let user = caller.require()?.to_owned();
    if b.status != "open" && b.status != "closed" {
        return Err(ApiError::bad_request("\"status\" must be one of [open, closed]"));
    }
    let mut w = sim.world();
    may_manage(&w, &caller, ty, &id, n.num)?;
    if find(access::readable(&w, &caller, ty, &id)?, n.num)?.status == "merged" {
        return Err(ApiError::bad_request("This pull request is already merged"));
    }
    if let Some(c) = b.comment.as_deref().filter(|c| !c.trim().is_empty()) {
        add_comment(&sim, &mut w, ty, &id, n.num, &user, c)?;
    }
    let e = set_status(&sim, &mut w, ty, &id, n.num, &user, &b.status)?;
    Ok(Json(json!({ "newStatus": event_json(&e) })).into_response())
}

fn set_status(sim: &Arc<Sim>, w: &mut World, ty: RepoType, id: &RepoId, num: u64, user: &str, status: &str) -> Result<Event, ApiError> {
    if let Some(d) = w.repo_mut(ty, id).and_then(|r| r.discussion_mut(num)) {
        d.status = status.to_owned();
    }
    let e = ops::add_event(w, ty, id, num, event(user, EventData::Status(status.to_owned()))).ok_or_else(|| ApiError::not_found("Discussion not found"))?;
    hooks::fire(sim, w, ty, id, Trigger::Discussion { num, action: "update", comment: None });
    Ok(e)
}

#[derive(Deserialize)]
pub(crate) struct TitleBody {
    title: String,
}

pub(crate) async fn title(State(sim): Ctx, Extension(caller): Extension<Caller>, p: Path<RepoPath>, Path(n): Path<NumPath>, Json(b): Json<TitleBody>) -> Result<Response, ApiError> {
    let (ty, id) = p.parse()?;
    let user = caller.require()?.to_owned();
    let mut w = sim.world();
    may_manage(&w, &caller, ty, &id, n.num)?;
    let d = w.repo_mut(ty, &id).and_then(|r| r.discussion_mut(n.num)).ok_or_else(|| ApiError::not_found("Discussion not found"))?;
    let to = b.title.trim().to_owned();
    let from = std::mem::replace(&mut d.title, to.clone());
    let e = ops::add_event(&mut w, ty, &id, n.num, event(&user, EventData::Title { from, to })).ok_or_else(|| ApiError::not_found("Discussion not found"))?;
    hooks::fire(&sim, &w, ty, &id, Trigger::Discussion { num: n.num, action: "update", comment: None });
    Ok(Json(json!({ "newTitle": event_json(&e) })).into_response())
}

#[derive(Deserialize, Default)]
pub(crate) struct MergeBody {
    comment: Option<String>,
}

pub(crate) async fn merge(State(sim): Ctx, Extension(caller): Extension<Caller>, p: Path<RepoPath>, Path(n): Path<NumPath>, body: axum::body::Bytes) -> Result<Response, ApiError> {
    let (ty, id) = p.parse()?;
    let b: MergeBody = serde_json::from_slice(&body).unwrap_or_default();
    let user = caller.require()?.to_owned();
    let mut w = sim.world();
    let repo = access::writable_mut(&mut w, &caller, ty, &id)?;
    let d = find(repo, n.num)?;
    if !d.is_pr || d.status != "open" {
        return Err(ApiError::bad_request(format!("Only open pull requests can be merged (this one is {})", d.status)));
    }
    let conflicting = conflicts(repo, d);
    if !conflicting.is_empty() {
        let mut e = ApiError::new(StatusCode::CONFLICT, format!("Merge conflict in {}", conflicting.join(", ")));
        e.body = Some(json!({ "error": e.message, "filesWithConflicts": conflicting }));
        return Err(e);
    }
    let files = |oid: Option<&str>| oid.and_then(|o| repo.commit(o)).map(|c| c.files.clone()).unwrap_or_default();
    let main = files(repo.main_head());
    let merged = git::merge(&files(d.base_oid.as_deref()), &main, &files(repo.refs.get(&format!("refs/pr/{}", n.num)).map(String::as_str))).map_err(|c| ApiError::new(StatusCode::CONFLICT, c.join(", ")))?;
    let changes: Vec<Change> = git::changed_paths(&main, &merged).into_iter().map(|p| match merged.get(&p) { Some(e) => Change::Put(p, e.data.clone()), None => Change::Delete(p) }).collect();
    let title = format!("Merge pull request #{}: {}", n.num, d.title);
    let push = Push { ref_name: "refs/heads/main".into(), parent: None, changes: &changes, author: &user, title: &title, message: "" };
    let oid = ops::push(&sim, &mut w, ty, &id, push)?;
    if let Some(d) = w.repo_mut(ty, &id).and_then(|r| r.discussion_mut(n.num)) {
        d.merge_commit = Some(oid);
    }
    if let Some(c) = b.comment.as_deref().filter(|c| !c.trim().is_empty()) {
        add_comment(&sim, &mut w, ty, &id, n.num, &user, c)?;
    }
    let e = set_status(&sim, &mut w, ty, &id, n.num, &user, "merged")?;
    Ok(Json(json!({ "newStatus": event_json(&e) })).into_response())
}
