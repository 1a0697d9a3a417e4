//! Space secrets (write-only values) and variables; deletes carry a JSON body.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Extension, Path, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use time::OffsetDateTime;

use super::spaces::map_json;
use super::{RepoPath, iso};
use crate::domain::RepoType;
use crate::sim::access::{self, Caller};
use crate::sim::error::ApiError;
use crate::sim::shared::Sim;
use crate::sim::state::SpaceState;

type Ctx = State<Arc<Sim>>;

#[derive(Deserialize)]
pub(crate) struct KeyValue {
    key: String,
    #[serde(default)]
    value: String,
    description: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct KeyOnly {
    key: String,
}

fn edit<T>(sim: &Arc<Sim>, caller: &Caller, p: &RepoPath, f: impl FnOnce(&mut SpaceState) -> T) -> Result<T, ApiError> {
    let (ty, id) = p.parse()?;
    if ty != RepoType::Space {
        return Err(ApiError::not_found("Not Found"));
    }
    let mut w = sim.world();
    let space = access::writable_mut(&mut w, caller, ty, &id)?.space.as_mut().ok_or_else(ApiError::repo_not_found)?;
    Ok(f(space))
}

fn secrets_json(s: &SpaceState) -> serde_json::Value {
    map_json(&s.secrets, |(d, at)| json!({ "description": d, "updatedAt": at }))
}

fn variables_json(s: &SpaceState) -> serde_json::Value {
    map_json(&s.variables, |(v, d, at)| json!({ "value": v, "description": d, "updatedAt": at }))
}

pub(crate) async fn list_secrets(State(sim): Ctx, Extension(caller): Extension<Caller>, p: Path<RepoPath>) -> Result<Response, ApiError> {
    Ok(Json(edit(&sim, &caller, &p, |s| secrets_json(s))?).into_response())
}

/// Adds a secret: its value becomes the app's environment, and the app restarts
/// (hub-constraints.md §3 "Secret or hardware changes restart the app", §4).
pub(crate) async fn add_secret(State(sim): Ctx, Extension(caller): Extension<Caller>, p: Path<RepoPath>, Json(b): Json<KeyValue>) -> Result<Response, ApiError> {
    edit(&sim, &caller, &p, |s| {
        s.secret_values.insert(b.key.clone(), b.value);
        s.secrets.insert(b.key, (b.description, iso(OffsetDateTime::now_utc())))
    })?;
    restart(&sim, &p);
    Ok(Json(json!({})).into_response())
}

pub(crate) async fn delete_secret(State(sim): Ctx, Extension(caller): Extension<Caller>, p: Path<RepoPath>, Json(b): Json<KeyOnly>) -> Result<Response, ApiError> {
    edit(&sim, &caller, &p, |s| {
        s.secret_values.remove(&b.key);
        s.secrets.remove(&b.key)
    })?;
    restart(&sim, &p);
    Ok(Json(json!({})).into_response())
}

fn restart(sim: &Arc<Sim>, p: &RepoPath) {
    if let Ok((_, id)) = p.parse() {
        super::spaces::restart_app(sim, &id);
    }
}

pub(crate) async fn list_variables(State(sim): Ctx, Extension(caller): Extension<Caller>, p: Path<RepoPath>) -> Result<Response, ApiError> {
    Ok(Json(edit(&sim, &caller, &p, |s| variables_json(s))?).into_response())
}

pub(crate) async fn add_variable(State(sim): Ctx, Extension(caller): Extension<Caller>, p: Path<RepoPath>, Json(b): Json<KeyValue>) -> Result<Response, ApiError> {
    let v = edit(&sim, &caller, &p, |s| {
        s.variables.insert(b.key, (b.value, b.description, iso(OffsetDateTime::now_utc())));
        variables_json(s)
    })?;
    Ok(Json(v).into_response())
}

pub(crate) async fn delete_variable(State(sim): Ctx, Extension(caller): Extension<Caller>, p: Path<RepoPath>, Json(b): Json<KeyOnly>) -> Result<Response, ApiError> {
    let v = edit(&sim, &caller, &p, |s| {
        s.variables.remove(&b.key);
        variables_json(s)
    })?;
    Ok(Json(v).into_response())
}
