//! Space runtime and controls: runtime, restart, pause, hardware, sleep time, duplicate,
//! and build/run logs as Server-Sent Events (`?tail=N`; replayed, then followed, never ended).

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

/// Requests hardware: a hardware change restarts the app (hub-constraints.md §3 "Secret or
/// hardware changes restart the app"); `current` follows once the new build runs.
pub(crate) async fn hardware(State(sim): Ctx, Extension(caller): Extension<Caller>, p: Path<RepoPath>, Json(b): Json<HardwareBody>) -> Result<Response, ApiError> {
    let id = space_id(&p)?;
    let changed = {
        let mut w = sim.world();
        let sdk = access::writable_mut(&mut w, &caller, RepoType::Space, &id)?.space.as_ref().map(|s| s.sdk.clone()).ok_or_else(ApiError::repo_not_found)?;
        crate::sim::admin::check_flavour(&w, &id, &sdk, &b.flavor)?;
        let space = access::writable_mut(&mut w, &caller, RepoType::Space, &id)?.space.as_mut().ok_or_else(ApiError::repo_not_found)?;
        let changed = space.hardware != b.flavor;
        space.hardware = b.flavor;
        if b.sleep_time_seconds.is_some() {
            space.sleep_time = b.sleep_time_seconds;
        }
        changed
    };
    if changed {
        restart_app(&sim, &id);
    }
    runtime(State(sim), Extension(caller), p).await
}

/// Rebuilds a Space that has an app (a settings change restarts it).
pub(crate) fn restart_app(sim: &Arc<Sim>, id: &RepoId) {
    let mut w = sim.world();
    let has_stage = w.repo(RepoType::Space, id).and_then(|r| r.space.as_ref()).is_some_and(|s| s.stage != "NO_APP_FILE");
    if has_stage {
        on_main_changed(sim, &mut w, id);
    }
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
    sleep_time_seconds: Option<i64>,
    #[serde(default)]
    secrets: Vec<super::repos::KeyValue>,
    #[serde(default)]
    variables: Vec<super::repos::KeyValue>,
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
    if ty == RepoType::Space && w.repo(ty, &to).is_none() {
        crate::sim::admin::check_new_space(&w, to.namespace(), sdk.as_deref().unwrap_or("gradio"), b.hardware.as_deref())?;
    }
    // Variables are copied, secrets only when passed; the copy starts on cpu-basic unless
    // `hardware` is given (hub-constraints.md §4; hub-api.md §7 duplicate).
    ops::create_repo_with(&sim, &mut w, ty, &to, private, sdk.as_deref(), files, |s| {
        s.variables = vars;
        super::repos::apply_space_settings(s, b.hardware.clone(), b.sleep_time_seconds, &b.secrets, &b.variables);
    })?;
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
    let build = match l.which.as_str() {
        "build" => true,
        "run" => false,
        _ => return Err(ApiError::not_found("Not Found")),
    };
    let start = {
        let mut w = sim.world();
        let space = access::writable_mut(&mut w, &caller, RepoType::Space, &id)?.space.as_ref().ok_or_else(ApiError::repo_not_found)?;
        let len = if build { space.build_log.len() } else { space.run_log.len() };
        (space.generation, tail.map_or(0, |t| len.saturating_sub(t)))
    };
    let body = axum::body::Body::from_stream(log_stream(sim.clone(), id, build, start));
    Ok(([(header::CONTENT_TYPE, "text/event-stream"), (header::CACHE_CONTROL, "no-cache")], body).into_response())
}

/// Seconds between keep-alives (empty `data:` lines, hub-api.md §7) on an idle log stream.
const KEEPALIVE: std::time::Duration = std::time::Duration::from_secs(15);

/// The events of a log from `start` (generation, index): the lines so far, then each new
/// line as the build or app writes it. The stream never ends while the Space exists (the Hub's
/// logs are "auth-only SSE", followed: hub-constraints.md §5); a rebuild starts a new log,
/// which the stream follows from its first line.
fn log_stream(sim: Arc<Sim>, id: RepoId, build: bool, start: (u64, usize)) -> impl futures::Stream<Item = Result<bytes::Bytes, std::io::Error>> {
    let rx = sim.changes.subscribe();
    futures::stream::unfold((sim, rx, start), move |(sim, mut rx, (mut generation, mut next))| {
        let id = id.clone();
        async move {
            loop {
                let fresh = {
                    let w = sim.world();
                    let space = w.repo(RepoType::Space, &id).and_then(|r| r.space.as_ref())?;
                    if space.generation != generation {
                        generation = space.generation;
                        next = 0;
                    }
                    let lines = if build { &space.build_log } else { &space.run_log };
                    next = next.min(lines.len());
                    let now = iso(OffsetDateTime::now_utc());
                    let out: String = lines[next..].iter().map(|l| format!("data: {}\n\n", json!({ "data": l, "timestamp": now }))).collect();
                    next = lines.len();
                    out
                };
                if !fresh.is_empty() {
                    return Some((Ok(bytes::Bytes::from(fresh)), (sim, rx, (generation, next))));
                }
                match tokio::time::timeout(KEEPALIVE, rx.changed()).await {
                    Ok(Ok(())) => continue,
                    Ok(Err(_)) => return None,
                    Err(_) => return Some((Ok(bytes::Bytes::from_static(b"data: \n\n")), (sim, rx, (generation, next)))),
                }
            }
        }
    })
}

/// `{"KEY": {...}}` maps for secrets and variables.
pub(crate) fn map_json<T>(m: &BTreeMap<String, T>, f: impl Fn(&T) -> Value) -> Value {
    Value::Object(m.iter().map(|(k, v)| (k.clone(), f(v))).collect())
}
