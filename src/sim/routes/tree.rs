//! `GET …/tree/{rev}[/{path}]` (paginated with `Link: rel="next"`, cursor = offset; pages of
//! at most 50 with `expand=true`, which adds each entry's `lastCommit`) and
//! `POST …/paths-info/{rev}` (form-encoded `paths=`).

use std::sync::Arc;

use axum::Json;
use axum::extract::{Extension, Path, RawQuery, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::RepoPath;
use crate::sim::access::{self, Caller};
use crate::sim::error::ApiError;
use crate::sim::git::{self, Listed};
use crate::sim::shared::Sim;

type Ctx = State<Arc<Sim>>;

#[derive(Deserialize)]
pub(crate) struct TreePath {
    rev: String,
    #[serde(default)]
    path: String,
}

pub(crate) async fn root(sim: Ctx, caller: Extension<Caller>, p: Path<RepoPath>, Path(t): Path<TreePath>, q: RawQuery) -> Result<Response, ApiError> {
    listing(sim, caller, &p, &t, q)
}

pub(crate) async fn folder(sim: Ctx, caller: Extension<Caller>, p: Path<RepoPath>, Path(t): Path<TreePath>, q: RawQuery) -> Result<Response, ApiError> {
    listing(sim, caller, &p, &t, q)
}

fn entry_json(l: &Listed) -> Value {
    match l {
        Listed::File { path, oid, size } => json!({ "type": "file", "oid": oid, "size": size, "path": path }),
        Listed::Dir { path, oid } => json!({ "type": "directory", "oid": oid, "size": 0, "path": path }),
    }
}

fn listing(State(sim): Ctx, Extension(caller): Extension<Caller>, p: &RepoPath, t: &TreePath, RawQuery(q): RawQuery) -> Result<Response, ApiError> {
    let (ty, id) = p.parse()?;
    let pairs: Vec<(String, String)> = form_urlencoded::parse(q.as_deref().unwrap_or_default().as_bytes()).into_owned().collect();
    let flag = |k: &str| pairs.iter().any(|(a, b)| a == k && b == "true");
    let cursor: usize = pairs.iter().find(|(k, _)| k == "cursor").and_then(|(_, v)| v.parse().ok()).unwrap_or(0);
    let w = sim.world();
    let repo = access::readable(&w, &caller, ty, &id)?;
    let commit = git::resolve(repo, &t.rev).ok_or_else(|| ApiError::revision_not_found(&t.rev))?;
    let mut err = ApiError::entry_not_found(&t.path);
    err.repo_commit = Some(commit.oid.clone());
    let all = git::list_dir(&commit.files, &t.path, flag("recursive")).ok_or(err)?;
    let expand = flag("expand");
    let size = if expand { sim.config.tree_page_size.clamp(1, 50) } else { sim.config.tree_page_size.max(1) };
    let page: Vec<Value> = all
        .iter()
        .skip(cursor)
        .take(size)
        .map(|l| {
            let mut v = entry_json(l);
            if expand {
                let path = match l { Listed::File { path, .. } | Listed::Dir { path, .. } => path };
                let last = git::last_commit(repo, commit, path);
                v["lastCommit"] = json!({ "id": last.oid, "title": last.title, "date": super::iso(last.date) });
            }
            v
        })
        .collect();
    let mut resp = Json(page).into_response();
    if cursor + size < all.len() {
        let folder = if t.path.is_empty() { String::new() } else { format!("/{}", t.path) };
        let mut next = sim.base.join(&format!("api/{}/{}/tree/{}{folder}", ty.api_plural(), id, enc(&t.rev))).map_err(|e| ApiError::bad_request(e.to_string()))?;
        {
            let mut qp = next.query_pairs_mut();
            for (k, v) in pairs.iter().filter(|(k, _)| k != "cursor") {
                qp.append_pair(k, v);
            }
            qp.append_pair("cursor", &(cursor + size).to_string());
        }
        if let Ok(v) = HeaderValue::from_str(&format!("<{next}>; rel=\"next\"")) {
            resp.headers_mut().insert(header::LINK, v);
        }
    }
    Ok(resp)
}

/// One percent-encoded path segment.
pub(crate) fn enc(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

#[derive(Deserialize)]
pub(crate) struct RevOnly {
    pub rev: String,
}

pub(crate) async fn paths_info(State(sim): Ctx, Extension(caller): Extension<Caller>, p: Path<RepoPath>, Path(r): Path<RevOnly>, body: String) -> Result<Response, ApiError> {
    let (ty, id) = p.parse()?;
    let paths: Vec<String> = form_urlencoded::parse(body.as_bytes()).filter(|(k, _)| k == "paths").map(|(_, v)| v.into_owned()).collect();
    let w = sim.world();
    let repo = access::readable(&w, &caller, ty, &id)?;
    let commit = git::resolve(repo, &r.rev).ok_or_else(|| ApiError::revision_not_found(&r.rev))?;
    let mut out = Vec::new();
    for path in paths {
        if let Some(e) = commit.files.get(&path) {
            out.push(entry_json(&Listed::File { path: path.clone(), oid: e.oid.clone(), size: e.data.len() as u64 }));
        } else if !path.is_empty() && git::list_dir(&commit.files, &path, false).is_some() {
            out.push(json!({ "type": "directory", "oid": git::sha1_hex(path.as_bytes()), "size": 0, "path": path }));
        }
    }
    Ok(Json(out).into_response())
}
