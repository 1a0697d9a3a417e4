//! `GET|HEAD /{prefix}{id}/resolve/{rev}/{path}`: raw bytes with `X-Repo-Commit`, `ETag`
//! (the git blob id) and `Content-Length`; 404 `EntryNotFound` still carries `X-Repo-Commit`.
//! A single `Range: bytes=a-b` / `a-` / `-n` is served as the Hub does: 206 with
//! `Content-Range: bytes a-b/total`, 416 with `Content-Range: bytes */total` when the range
//! starts past the end; without `Range` (or with a multi-range) the whole file, 200.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Extension, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
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

pub(crate) async fn model(sim: Ctx, caller: Extension<Caller>, headers: HeaderMap, Path(p): Path<ResolvePath>) -> Result<Response, ApiError> {
    serve(sim, caller, RepoType::Model, p, &headers)
}

pub(crate) async fn space(sim: Ctx, caller: Extension<Caller>, headers: HeaderMap, Path(p): Path<ResolvePath>) -> Result<Response, ApiError> {
    serve(sim, caller, RepoType::Space, p, &headers)
}

pub(crate) async fn dataset(sim: Ctx, caller: Extension<Caller>, headers: HeaderMap, Path(p): Path<ResolvePath>) -> Result<Response, ApiError> {
    serve(sim, caller, RepoType::Dataset, p, &headers)
}

fn serve(State(sim): Ctx, Extension(caller): Extension<Caller>, ty: RepoType, p: ResolvePath, req: &HeaderMap) -> Result<Response, ApiError> {
    let id = RepoId::from_parts(&p.ns, &p.name).map_err(|_| ApiError::repo_not_found())?;
    let moved = super::moves::moved_to(&sim.world(), ty, &id);
    if let Some(to) = moved {
        let prefix = match ty { RepoType::Model => "", RepoType::Space => "spaces/", RepoType::Dataset => "datasets/" };
        let enc = |s: &str| s.split('/').map(super::tree::enc).collect::<Vec<_>>().join("/");
        let location = format!("/{prefix}{to}/resolve/{}/{}", enc(&p.rev), enc(&p.path));
        let mut r = Response::new(Body::empty());
        *r.status_mut() = StatusCode::TEMPORARY_REDIRECT;
        r.headers_mut().insert(header::LOCATION, HeaderValue::from_str(&location).map_err(|e| ApiError::bad_request(e.to_string()))?);
        return Ok(r);
    }
    let w = sim.world();
    let repo = access::downloadable(&w, &caller, ty, &id)?;
    let commit = git::resolve(repo, &p.rev).ok_or_else(|| ApiError::revision_not_found(&p.rev))?;
    let Some(entry) = commit.files.get(&p.path) else {
        let mut e = ApiError::entry_not_found(&p.path);
        e.repo_commit = Some(commit.oid.clone());
        return Err(e);
    };
    let total = entry.data.len() as u64;
    let range = req.get(header::RANGE).and_then(|v| v.to_str().ok()).and_then(|v| parse_range(v, total));
    let (status, body, content_range) = match range {
        None => (StatusCode::OK, entry.data.clone(), None),
        Some(Err(())) => (StatusCode::RANGE_NOT_SATISFIABLE, bytes::Bytes::new(), Some(format!("bytes */{total}"))),
        Some(Ok((a, b))) => (StatusCode::PARTIAL_CONTENT, entry.data.slice(a as usize..=b as usize), Some(format!("bytes {a}-{b}/{total}"))),
    };
    let len = body.len();
    let mut resp = Response::new(Body::from(body));
    *resp.status_mut() = status;
    let h = resp.headers_mut();
    let put = |h: &mut axum::http::HeaderMap, k: header::HeaderName, v: String| {
        if let Ok(v) = HeaderValue::from_str(&v) {
            h.insert(k, v);
        }
    };
    put(h, header::HeaderName::from_static("x-repo-commit"), commit.oid.clone());
    put(h, header::ETAG, format!("\"{}\"", entry.oid));
    put(h, header::CONTENT_LENGTH, len.to_string());
    if let Some(cr) = content_range {
        put(h, header::CONTENT_RANGE, cr);
    }
    put(h, header::CONTENT_TYPE, "application/octet-stream".to_owned());
    put(h, header::ACCEPT_RANGES, "bytes".to_owned());
    Ok(resp)
}

/// One `bytes=` range against a file of `total` bytes: `None` = serve the whole file (absent,
/// malformed or multi-range), `Err` = unsatisfiable (416), else the inclusive byte span.
fn parse_range(value: &str, total: u64) -> Option<Result<(u64, u64), ()>> {
    let spec = value.trim().strip_prefix("bytes=")?;
    if spec.contains(',') {
        return None;
    }
    let (a, b) = spec.split_once('-')?;
    let (a, b) = (a.trim(), b.trim());
    let span = if a.is_empty() {
        let n: u64 = b.parse().ok()?;
        (n > 0 && total > 0).then(|| (total.saturating_sub(n), total - 1))
    } else {
        let start: u64 = a.parse().ok()?;
        let end = if b.is_empty() { total.saturating_sub(1) } else { b.parse::<u64>().ok()?.min(total.saturating_sub(1)) };
        if !b.is_empty() && b.parse::<u64>().ok()? < start {
            return None;
        }
        (start < total).then_some((start, end))
    };
    Some(span.ok_or(()))
}

#[cfg(test)]
mod tests {
    use super::parse_range;

    #[test]
    fn byte_ranges_are_clamped_to_the_file_and_past_the_end_is_unsatisfiable() {
        assert_eq!(parse_range("bytes=0-100000", 500), Some(Ok((0, 499))));
        assert_eq!(parse_range("bytes=8-15", 500), Some(Ok((8, 15))));
        assert_eq!(parse_range("bytes=10-", 500), Some(Ok((10, 499))));
        assert_eq!(parse_range("bytes=-100", 500), Some(Ok((400, 499))));
        assert_eq!(parse_range("bytes=500-600", 500), Some(Err(())));
        assert_eq!(parse_range("bytes=0-1,5-6", 500), None);
        assert_eq!(parse_range("items=0-1", 500), None);
    }
}
