//! Space runtime and controls: runtime, restart, pause, hardware, sleep time, duplicate,
//! and build/run logs as Server-Sent Events (`?tail=N`; the stream ends once replayed).

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::{Extension, Path, RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use time::OffsetDateTime;

use super::{RepoPath, iso};
use crate::domain::{RepoId, RepoType};
use crate::sim::access::{self, Caller};
use crate::sim::error::ApiError;
use crate::sim::ops;
use crate::sim::runtime::{on_main_changed, runtime_json};
use crate::sim::shared::Sim;
use crate::sim::state::SpaceState;

type Ctx = State<Arc<Sim>>;

fn space_id(p: &RepoPath) -> Result<RepoId, ApiError> {
    match p.parse()? {
        (RepoType::Space, id) => Ok(id),
        _ => Err(ApiError::not_found("Not Found")),
    }
}

/// Runs `f` on the Space's state if the caller owns it; answers the runtime.
pub(crate) fn with_space(sim: &Arc<Sim>, caller: &Caller, p: &RepoPath, f: impl FnOnce(&mut SpaceState) -> Result<(), ApiError>) -> Result<Response, ApiError> {
    let id = space_id(p)?;
    let mut w = sim.world();
    let space = access::writable_mut(&mut w, caller, RepoType::Space, &id)?.space.as_mut().ok_or_else(ApiError::repo_not_found)?;
    f(space)?;
    Ok(Json(runtime_json(space)).into_response())
}

pub(crate) async fn runtime(State(sim): Ctx, Extension(caller): Extension<Caller>, p: Path<RepoPath>) -> Result<Response, ApiError> {
    let id = space_id(&p)?;
    let w = sim.world();
    let space = access::readable(&w, &caller, RepoType::Space, &id)?.space.as_ref().ok_or_else(ApiError::repo_not_found)?;
    Ok(Json(runtime_json(space)).into_response())
}

pub(crate) async fn restart(State(sim): Ctx, Extension(caller): Extension<Caller>, p: Path<RepoPath>) -> Result<Response, ApiError> {
    let id = space_id(&p)?;
    {
        let mut w = sim.world();
        access::writable_mut(&mut w, &caller, RepoType::Space, &id)?;
        on_main_changed(&sim, &mut w, &id);
    }
    runtime(State(sim), Extension(caller), p).await
}

pub(crate) async fn pause(State(sim): Ctx, Extension(caller): Extension<Caller>, p: Path<RepoPath>) -> Result<Response, ApiError> {
    with_space(&sim, &caller, &p, |s| {
        s.generation += 1;
        s.stage = "PAUSED".to_owned();
        Ok(())
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct HardwareBody {
    flavor: String,
    sleep_time_seconds: Option<i64>,
}

pub(crate) async fn hardware(State(sim): Ctx, Extension(caller): Extension<Caller>, p: Path<RepoPath>, Json(b): Json<HardwareBody>) -> Result<Response, ApiError> {
    with_space(&sim, &caller, &p, |s| {
        s.hardware = b.flavor;
        if b.sleep_time_seconds.is_some() {
            s.sleep_time = b.sleep_time_seconds;
        }
        Ok(())
    })
}

#[derive(Deserialize)]
pub(crate) struct SleepBody {
    seconds: i64,
}

pub(crate) async fn sleeptime(State(sim): Ctx, Extension(caller): Extension<Caller>, p: Path<RepoPath>, Json(b): Json<SleepBody>) -> Result<Response, ApiError> {
    with_space(&sim, &caller, &p, |s| {
        if s.hardware == "cpu-basic" {
            return Err(ApiError::bad_request("Sleep time cannot be configured on cpu-basic hardware"));
        }
        s.sleep_time = Some(b.seconds);
        Ok(())
    })
}

#[derive(Deserialize)]
pub(crate) struct DuplicateBody {
    repository: String,
    private: Option<bool>,
    visibility: Option<String>,
    hardware: Option<String>,
}

pub(crate) async fn duplicate(State(sim): Ctx, Extension(caller): Extension<Caller>, p: Path<RepoPath>, Json(b): Json<DuplicateBody>) -> Result<Response, ApiError> {
    let (ty, from) = p.parse()?;
    let user = caller.require()?.to_owned();
    let to: RepoId = if b.repository.contains('/') { b.repository.parse() } else { RepoId::from_parts(&user, &b.repository) }.map_err(|e| ApiError::bad_request(e.to_string()))?;
    if to.namespace() != user {
        return Err(ApiError::forbidden(format!("You don't have the rights to create a repo under the namespace \"{}\"", to.namespace())));
    }
    let mut w = sim.world();
    let src = access::readable(&w, &caller, ty, &from)?;
    let files: BTreeMap<String, bytes::Bytes> = src.main_head().and_then(|h| src.commit(h)).map(|c| c.files.iter().map(|(k, v)| (k.clone(), v.data.clone())).collect()).unwrap_or_default();
    let (sdk, vars) = src.space.as_ref().map(|s| (Some(s.sdk.clone()), s.variables.clone())).unwrap_or_default();
    let private = b.visibility.as_deref().map_or(b.private.unwrap_or(false), |v| v != "public");
    ops::create_repo(&sim, &mut w, ty, &to, private, sdk.as_deref(), files)?;
    if let Some(s) = w.repo_mut(ty, &to).and_then(|r| r.space.as_mut()) {
        s.variables = vars;
        if let Some(hw) = b.hardware {
            s.hardware = hw;
        }
    }
    Ok(Json(json!({ "url": sim.web_url(ty, &to) })).into_response())
}

#[derive(Deserialize)]
pub(crate) struct LogPath {
    which: String,
}

pub(crate) async fn logs(State(sim): Ctx, Extension(caller): Extension<Caller>, p: Path<RepoPath>, Path(l): Path<LogPath>, RawQuery(q): RawQuery) -> Result<Response, ApiError> {
    let tail: Option<usize> = form_urlencoded::parse(q.unwrap_or_default().as_bytes()).find(|(k, _)| k == "tail").and_then(|(_, v)| v.parse().ok());
    let id = space_id(&p)?;
    caller.require()?;
    let mut w = sim.world();
    let space = access::writable_mut(&mut w, &caller, RepoType::Space, &id)?.space.as_ref().ok_or_else(ApiError::repo_not_found)?;
    let lines = match l.which.as_str() {
        "build" => &space.build_log,
        "run" => &space.run_log,
        _ => return Err(ApiError::not_found("Not Found")),
    };
    let now = iso(OffsetDateTime::now_utc());
    let skip = tail.map_or(0, |t| lines.len().saturating_sub(t));
    let body: String = lines.iter().skip(skip).map(|l| format!("data: {}\n\n", json!({ "data": l, "timestamp": now }))).collect::<Vec<_>>().concat();
    Ok(([(header::CONTENT_TYPE, "text/event-stream")], body).into_response())
}

/// `{"KEY": {...}}` maps for secrets and variables.
pub(crate) fn map_json<T>(m: &BTreeMap<String, T>, f: impl Fn(&T) -> Value) -> Value {
    Value::Object(m.iter().map(|(k, v)| (k.clone(), f(v))).collect())
}
