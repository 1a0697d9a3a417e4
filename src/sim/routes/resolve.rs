//! `GET|HEAD /{prefix}{id}/resolve/{rev}/{path}`: raw bytes with `X-Repo-Commit`, `ETag`
//! (the git blob id) and `Content-Length`; 404 `EntryNotFound` still carries `X-Repo-Commit`.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Extension, Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use serde::Deserialize;

use crate::domain::{RepoId, RepoType};
use crate::sim::access::{self, Caller};
use crate::sim::error::ApiError;
use crate::sim::git;
use crate::sim::shared::Sim;

type Ctx = State<Arc<Sim>>;

#[derive(Deserialize)]
pub(crate) struct ResolvePath {
    ns: String,
    name: String,
    rev: String,
    path: String,
}

pub(crate) async fn model(sim: Ctx, caller: Extension<Caller>, Path(p): Path<ResolvePath>) -> Result<Response, ApiError> {
    serve(sim, caller, RepoType::Model, p)
}

pub(crate) async fn space(sim: Ctx, caller: Extension<Caller>, Path(p): Path<ResolvePath>) -> Result<Response, ApiError> {
    serve(sim, caller, RepoType::Space, p)
}

pub(crate) async fn dataset(sim: Ctx, caller: Extension<Caller>, Path(p): Path<ResolvePath>) -> Result<Response, ApiError> {
    serve(sim, caller, RepoType::Dataset, p)
}

fn serve(State(sim): Ctx, Extension(caller): Extension<Caller>, ty: RepoType, p: ResolvePath) -> Result<Response, ApiError> {
    let id = RepoId::from_parts(&p.ns, &p.name).map_err(|_| ApiError::repo_not_found())?;
    let w = sim.world();
    let repo = access::downloadable(&w, &caller, ty, &id)?;
    let commit = git::resolve(repo, &p.rev).ok_or_else(|| ApiError::revision_not_found(&p.rev))?;
    let Some(entry) = commit.files.get(&p.path) else {
        let mut e = ApiError::entry_not_found(&p.path);
        e.repo_commit = Some(commit.oid.clone());
        return Err(e);
    };
    let mut resp = Response::new(Body::from(entry.data.clone()));
    *resp.status_mut() = StatusCode::OK;
    let h = resp.headers_mut();
    let put = |h: &mut axum::http::HeaderMap, k: header::HeaderName, v: String| {
        if let Ok(v) = HeaderValue::from_str(&v) {
            h.insert(k, v);
        }
    };
    put(h, header::HeaderName::from_static("x-repo-commit"), commit.oid.clone());
    put(h, header::ETAG, format!("\"{}\"", entry.oid));
    put(h, header::CONTENT_LENGTH, entry.data.len().to_string());
    put(h, header::CONTENT_TYPE, "application/octet-stream".to_owned());
    put(h, header::ACCEPT_RANGES, "bytes".to_owned());
    Ok(resp)
}
