//! `POST …/preupload/{rev}` (every small file is `regular`) and `POST …/commit/{rev}`
//! (NDJSON; `create_pr=1` opens a PR; `refs/pr/N` adds to one; stale `parentCommit` → 412).

use std::sync::Arc;

use axum::Json;
use axum::extract::{Extension, Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use bytes::Bytes;
use serde::Deserialize;
use serde_json::{Value, json};
use time::OffsetDateTime;

use super::RepoPath;
use super::tree::RevOnly;
use crate::domain::{RepoId, RepoType};
use crate::sim::access::{self, Caller};
use crate::sim::error::ApiError;
use crate::sim::git::{self, Change};
use crate::sim::hooks::{self, Trigger};
use crate::sim::ops::{self, Push};
use crate::sim::shared::Sim;
use crate::sim::state::{Discussion, Event, EventData, World};

type Ctx = State<Arc<Sim>>;

/// Files above this go to LFS (which the simulator does not implement).
const LFS_THRESHOLD: u64 = 10 * 1024 * 1024;

#[derive(Deserialize)]
pub(crate) struct PreuploadBody {
    files: Vec<PreuploadFile>,
}

#[derive(Deserialize)]
pub(crate) struct PreuploadFile {
    path: String,
    #[serde(default)]
    size: u64,
}

pub(crate) async fn preupload(State(sim): Ctx, Extension(caller): Extension<Caller>, p: Path<RepoPath>, Path(r): Path<RevOnly>, Json(b): Json<PreuploadBody>) -> Result<Response, ApiError> {
    let (ty, id) = p.parse()?;
    caller.require()?;
    let w = sim.world();
    let repo = access::readable(&w, &caller, ty, &id)?;
    let commit = git::resolve(repo, &r.rev).ok_or_else(|| ApiError::revision_not_found(&r.rev))?;
    let files: Vec<Value> = b
        .files
        .iter()
        .map(|f| {
            let mode = if f.size > LFS_THRESHOLD { "lfs" } else { "regular" };
            let mut v = json!({ "path": f.path, "uploadMode": mode, "shouldIgnore": false });
            if let Some(e) = commit.files.get(&f.path) {
                v["oid"] = json!(e.oid);
            }
            v
        })
        .collect();
    Ok(Json(json!({ "files": files, "commitOid": commit.oid })).into_response())
}

/// A parsed NDJSON commit.
struct Parsed {
    summary: String,
    description: String,
    parent: Option<String>,
    changes: Vec<Change>,
}

fn parse(body: &[u8]) -> Result<Parsed, ApiError> {
    let mut parsed = Parsed { summary: String::new(), description: String::new(), parent: None, changes: Vec::new() };
    for line in body.split(|b| *b == b'\n').filter(|l| !l.iter().all(u8::is_ascii_whitespace)) {
        let v: Value = serde_json::from_slice(line).map_err(|e| ApiError::bad_request(format!("Invalid NDJSON line: {e}")))?;
        let val = &v["value"];
        let path = || val["path"].as_str().map(str::to_owned).ok_or_else(|| ApiError::bad_request("missing path"));
        match v["key"].as_str().unwrap_or_default() {
            "header" => {
                parsed.summary = val["summary"].as_str().unwrap_or_default().to_owned();
                parsed.description = val["description"].as_str().unwrap_or_default().to_owned();
                parsed.parent = val["parentCommit"].as_str().map(str::to_owned);
            }
            "file" => {
                let raw = val["content"].as_str().unwrap_or_default();
                let data = match val["encoding"].as_str() {
                    Some("base64") => base64::engine::general_purpose::STANDARD.decode(raw).map_err(|e| ApiError::bad_request(format!("bad base64: {e}")))?,
                    _ => raw.as_bytes().to_vec(),
                };
                parsed.changes.push(Change::Put(path()?, Bytes::from(data)));
            }
            "deletedFile" => parsed.changes.push(Change::Delete(path()?)),
            "deletedFolder" => parsed.changes.push(Change::DeleteFolder(path()?)),
            "lfsFile" => return Err(ApiError::bad_request("LFS files are not supported by the simulator")),
            other => return Err(ApiError::bad_request(format!("Unknown NDJSON key {other:?}"))),
        }
    }
    if parsed.summary.trim().is_empty() {
        return Err(ApiError::bad_request("\"summary\" is required"));
    }
    Ok(parsed)
}

pub(crate) async fn commit(State(sim): Ctx, Extension(caller): Extension<Caller>, p: Path<RepoPath>, Path(r): Path<RevOnly>, RawQuery(q): RawQuery, body: Bytes) -> Result<Response, ApiError> {
    let (ty, id) = p.parse()?;
    let user = caller.require()?.to_owned();
    let create_pr = form_urlencoded::parse(q.unwrap_or_default().as_bytes()).any(|(k, v)| k == "create_pr" && (v == "1" || v == "true"));
    let parsed = parse(&body)?;
    access::readable(&sim.world(), &caller, ty, &id)?;
    let _busy = crate::sim::busy::committing(&sim, ty, &id)?;
    crate::sim::busy::hold(&sim).await;
    let mut w = sim.world();
    access::readable(&w, &caller, ty, &id)?;
    let (oid, pr) = if create_pr { open_pr(&sim, &mut w, ty, &id, &user, &r.rev, parsed)? } else { (push_to(&sim, &mut w, &caller, ty, &id, &r.rev, parsed)?, None) };
    let web = sim.web_url(ty, &id);
    let mut out = json!({ "success": true, "commitOid": oid, "commitUrl": format!("{web}/commit/{oid}"), "hookOutput": "" });
    if let Some(num) = pr {
        out["pullRequestUrl"] = json!(format!("{web}/discussions/{num}"));
    }
    Ok((StatusCode::OK, Json(out)).into_response())
}

fn push_to(sim: &Arc<Sim>, w: &mut World, caller: &Caller, ty: RepoType, id: &RepoId, rev: &str, parsed: Parsed) -> Result<String, ApiError> {
    let ref_name = git::ref_name(rev);
    let repo = access::readable(w, caller, ty, id)?;
    let head = repo.refs.get(&ref_name).cloned().ok_or_else(|| ApiError::revision_not_found(rev))?;
    let pr_num = ref_name.strip_prefix("refs/pr/").and_then(|n| n.parse::<u64>().ok());
    let allowed = access::is_writer(repo, caller)
        || pr_num.and_then(|n| repo.discussions.iter().find(|d| d.num == n)).is_some_and(|d| caller.name() == Some(d.author.as_str()));
    if !allowed {
        return Err(ApiError::forbidden(format!("You don't have write access to {rev} of {id}")));
    }
    if let Some(d) = pr_num.and_then(|n| repo.discussions.iter().find(|d| d.num == n))
        && (d.status == "merged" || d.status == "closed") {
            return Err(ApiError::forbidden(format!("Pull request #{} is {}", d.num, d.status)));
        }
    if let Some(parent) = &parsed.parent
        && (!head.starts_with(&parent.to_ascii_lowercase()) || parent.len() < 7) {
            return Err(ApiError::new(StatusCode::PRECONDITION_FAILED, "The branch was updated since you opened this page. Please refresh and try again."));
        }
    let author = caller.name().unwrap_or_default().to_owned();
    let push = Push { ref_name, parent: Some(head), changes: &parsed.changes, author: &author, title: &parsed.summary, message: &parsed.description };
    ops::push(sim, w, ty, id, push)
}

fn open_pr(sim: &Arc<Sim>, w: &mut World, ty: RepoType, id: &RepoId, user: &str, rev: &str, parsed: Parsed) -> Result<(String, Option<u64>), ApiError> {
    let event_id = w.next_object_id();
    let first_event = event_id.clone();
    let object_id = w.next_object_id();
    let repo = w.repo_mut(ty, id).ok_or_else(ApiError::repo_not_found)?;
    let branch = git::ref_name(rev);
    let head = repo.refs.get(&branch).filter(|_| branch.starts_with("refs/heads/")).cloned().ok_or_else(|| ApiError::revision_not_found(rev))?;
    let base = match &parsed.parent {
        Some(p) => git::resolve(repo, p).map(|c| c.oid.clone()).ok_or_else(|| ApiError::bad_request(format!("Invalid parentCommit {p}")))?,
        None => head,
    };
    let base_files = repo.commit(&base).map(|c| c.files.clone()).unwrap_or_default();
    git::apply(base_files, &parsed.changes).map_err(ApiError::bad_request)?;
    let num = repo.next_discussion_num();
    let now = OffsetDateTime::now_utc();
    let first = if parsed.description.trim().is_empty() { parsed.summary.clone() } else { parsed.description.clone() };
    repo.discussions.push(Discussion {
        num,
        id: object_id,
        title: parsed.summary.clone(),
        is_pr: true,
        status: "open".to_owned(),
        author: user.to_owned(),
        created_at: now,
        events: vec![Event { id: event_id, author: user.to_owned(), created_at: now, data: EventData::Comment { history: vec![(first, now, user.to_owned())], hidden: false } }],
        base_oid: Some(base.clone()),
        merge_commit: None,
    });
    hooks::fire(sim, w, ty, id, Trigger::Discussion { num, action: "create", comment: Some(first_event) });
    let push = Push { ref_name: format!("refs/pr/{num}"), parent: Some(base), changes: &parsed.changes, author: user, title: &parsed.summary, message: &parsed.description };
    let oid = ops::push(sim, w, ty, id, push)?;
    Ok((oid, Some(num)))
}
