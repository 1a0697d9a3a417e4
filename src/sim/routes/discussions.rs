//! Discussions and PRs: list (filters, 50 per page, newest first), details (events, PR
//! base, merge commit, conflicts, diff), create (PRs start as drafts with `refs/pr/N`).

use std::sync::Arc;

use axum::Json;
use axum::extract::{Extension, Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use time::OffsetDateTime;

use super::{RepoPath, event_type, iso};
use crate::sim::access::{self, Caller};
use crate::sim::error::ApiError;
use crate::sim::git;
use crate::sim::hooks::{self, Trigger};
use crate::sim::shared::Sim;
use crate::sim::state::{Discussion, Event, EventData, Repo};

type Ctx = State<Arc<Sim>>;

const PAGE: usize = 50;

/// An event as the Hub sends it.
pub(crate) fn event_json(e: &Event) -> Value {
    let data = match &e.data {
        EventData::Comment { history, hidden } => {
            let hist: Vec<Value> = history.iter().map(|(raw, at, by)| json!({ "raw": raw, "html": format!("<p>{raw}</p>"), "updatedAt": iso(*at), "author": { "name": by } })).collect();
            json!({ "edited": history.len() > 1, "hidden": hidden, "numEdits": history.len().saturating_sub(1), "editors": [], "reactions": [], "identifiedLanguage": null, "isReport": false, "latest": hist.first().cloned().unwrap_or(Value::Null), "history": hist })
        }
        EventData::Status(s) => json!({ "status": s }),
        EventData::Commit { subject, oid } => json!({ "subject": subject, "oid": oid }),
        EventData::Title { from, to } => json!({ "from": from, "to": to }),
    };
    json!({ "id": e.id, "type": event_type(&e.data), "createdAt": iso(e.created_at), "author": author(&e.author), "data": data })
}

fn author(name: &str) -> Value {
    json!({ "name": name, "fullname": name, "type": "user", "isPro": false, "isHf": false, "isMod": false, "avatarUrl": "" })
}

fn summary(repo: &Repo, d: &Discussion) -> Value {
    json!({
        "num": d.num, "title": d.title, "status": d.status, "createdAt": iso(d.created_at), "isPullRequest": d.is_pr,
        "author": author(&d.author), "repo": { "name": repo.id.to_string(), "type": repo.ty.as_str() },
        "pinned": false, "numComments": d.events.iter().filter(|e| matches!(e.data, EventData::Comment { .. })).count(), "topReactions": [],
    })
}

pub(crate) async fn list(State(sim): Ctx, Extension(caller): Extension<Caller>, p: Path<RepoPath>, RawQuery(q): RawQuery) -> Result<Response, ApiError> {
    let (ty, id) = p.parse()?;
    let pairs: Vec<(String, String)> = form_urlencoded::parse(q.unwrap_or_default().as_bytes()).into_owned().collect();
    let get = |k: &str| pairs.iter().find(|(a, _)| a == k).map(|(_, v)| v.as_str());
    let page: usize = get("p").and_then(|v| v.parse().ok()).unwrap_or(0);
    let w = sim.world();
    let repo = access::readable(&w, &caller, ty, &id)?;
    let mut hits: Vec<&Discussion> = repo
        .discussions
        .iter()
        .filter(|d| match get("type").unwrap_or("all") {
            "discussion" => !d.is_pr,
            "pull_request" => d.is_pr,
            _ => true,
        })
        .filter(|d| match get("status").unwrap_or("all") {
            "open" => d.status == "open" || d.status == "draft",
            "closed" => d.status == "closed" || d.status == "merged",
            _ => true,
        })
        .filter(|d| get("author").is_none_or(|a| a == d.author))
        .collect();
    hits.sort_by_key(|d| std::cmp::Reverse(d.num));
    let start = page * PAGE;
    let items: Vec<Value> = hits.iter().skip(start).take(PAGE).map(|d| summary(repo, d)).collect();
    let closed = repo.discussions.iter().filter(|d| d.status == "closed" || d.status == "merged").count();
    Ok(Json(json!({ "discussions": items, "count": hits.len(), "start": start, "numClosedDiscussions": closed })).into_response())
}

#[derive(Deserialize)]
pub(crate) struct NumPath {
    pub num: u64,
}

/// The discussion, or 404.
pub(crate) fn find(repo: &Repo, num: u64) -> Result<&Discussion, ApiError> {
    repo.discussions.iter().find(|d| d.num == num).ok_or_else(|| ApiError::not_found("Discussion not found"))
}

/// Files changed differently on `main` and on the PR since the PR's base.
pub(crate) fn conflicts(repo: &Repo, d: &Discussion) -> Vec<String> {
    let files = |oid: Option<&str>| oid.and_then(|o| repo.commit(o)).map(|c| c.files.clone()).unwrap_or_default();
    let pr_head = repo.refs.get(&format!("refs/pr/{}", d.num)).map(String::as_str);
    if d.status == "merged" {
        return Vec::new();
    }
    git::merge(&files(d.base_oid.as_deref()), &files(repo.main_head()), &files(pr_head)).err().unwrap_or_default()
}

fn diff_text(repo: &Repo, d: &Discussion) -> String {
    let files = |oid: Option<&str>| oid.and_then(|o| repo.commit(o)).map(|c| c.files.clone()).unwrap_or_default();
    let (base, head) = (files(d.base_oid.as_deref()), files(repo.refs.get(&format!("refs/pr/{}", d.num)).map(String::as_str)));
    let mut out = String::new();
    for p in git::changed_paths(&base, &head) {
        out.push_str(&format!("diff --git a/{p} b/{p}\n--- a/{p}\n+++ b/{p}\n"));
        for line in base.get(&p).map(|e| String::from_utf8_lossy(&e.data).into_owned()).unwrap_or_default().lines() {
            out.push_str(&format!("-{line}\n"));
        }
        for line in head.get(&p).map(|e| String::from_utf8_lossy(&e.data).into_owned()).unwrap_or_default().lines() {
            out.push_str(&format!("+{line}\n"));
        }
    }
    out
}

pub(crate) async fn details(State(sim): Ctx, Extension(caller): Extension<Caller>, p: Path<RepoPath>, Path(n): Path<NumPath>, RawQuery(q): RawQuery) -> Result<Response, ApiError> {
    let (ty, id) = p.parse()?;
    let with_diff = form_urlencoded::parse(q.unwrap_or_default().as_bytes()).any(|(k, v)| k == "diff" && v == "1");
    let w = sim.world();
    let repo = access::readable(&w, &caller, ty, &id)?;
    let d = find(repo, n.num)?;
    let mut v = summary(repo, d);
    v["events"] = d.events.iter().map(event_json).collect();
    if d.is_pr {
        v["changes"] = json!({ "base": "refs/heads/main" });
        if let Some(m) = &d.merge_commit {
            v["changes"]["mergeCommitId"] = json!(m);
        }
        v["filesWithConflicts"] = json!(conflicts(repo, d));
        if with_diff {
            v["diff"] = json!(diff_text(repo, d));
        }
    }
    Ok(Json(v).into_response())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CreateBody {
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    pull_request: bool,
}

pub(crate) async fn create(State(sim): Ctx, Extension(caller): Extension<Caller>, p: Path<RepoPath>, Json(mut b): Json<CreateBody>) -> Result<Response, ApiError> {
    let (ty, id) = p.parse()?;
    b.title = b.title.trim().to_owned();
    let user = caller.require()?.to_owned();
    if b.title.trim().len() < 3 {
        return Err(ApiError::bad_request("\"title\" length must be at least 3 characters long"));
    }
    let mut w = sim.world();
    let (event_id, object_id) = (w.next_object_id(), w.next_object_id());
    let repo = access::readable_mut(&mut w, &caller, ty, &id)?;
    let num = repo.next_discussion_num();
    let now = OffsetDateTime::now_utc();
    let head = repo.main_head().map(str::to_owned);
    let comment = Event { id: event_id.clone(), author: user.clone(), created_at: now, data: EventData::Comment { history: vec![(b.description.clone(), now, user.clone())], hidden: false } };
    let status = if b.pull_request { "draft" } else { "open" };
    repo.discussions.push(Discussion {
        num, id: object_id, title: b.title.clone(), is_pr: b.pull_request, status: status.to_owned(), author: user.clone(),
        created_at: now, events: vec![comment], base_oid: head.clone().filter(|_| b.pull_request), merge_commit: None,
    });
    let pr_ref = format!("refs/pr/{num}");
    if let (true, Some(h)) = (b.pull_request, &head) {
        repo.refs.insert(pr_ref.clone(), h.clone());
    }
    hooks::fire(&sim, &w, ty, &id, Trigger::Discussion { num, action: "create", comment: Some(event_id) });
    if b.pull_request {
        hooks::fire(&sim, &w, ty, &id, Trigger::RepoContent { updated: vec![(pr_ref, None, head)] });
    }
    let url = format!("{}/discussions/{num}", sim.web_url(ty, &id));
    Ok(Json(json!({ "num": num, "title": b.title, "isPullRequest": b.pull_request, "status": status, "url": url })).into_response())
}
