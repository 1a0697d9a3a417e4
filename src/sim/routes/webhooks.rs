//! `/api/settings/webhooks`: per-user webhook CRUD (update is a POST; enable/disable).

use std::sync::Arc;

use axum::Json;
use axum::extract::{Extension, Path, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::sim::access::Caller;
use crate::sim::error::ApiError;
use crate::sim::shared::Sim;
use crate::sim::state::Webhook;

type Ctx = State<Arc<Sim>>;

fn to_json(h: &Webhook) -> Value {
    json!({
        "id": h.id, "url": h.url, "secret": h.secret, "disabled": h.disabled, "domains": h.domains,
        "watched": h.watched.iter().map(|(t, n)| json!({ "type": t, "name": n })).collect::<Vec<_>>(),
    })
}

#[derive(Deserialize)]
pub(crate) struct Watched {
    #[serde(rename = "type")]
    kind: String,
    name: String,
}

#[derive(Deserialize)]
pub(crate) struct Spec {
    watched: Vec<Watched>,
    url: Option<String>,
    domains: Option<Vec<String>>,
    secret: Option<String>,
}

fn check(spec: &Spec) -> Result<(), ApiError> {
    if spec.watched.is_empty() {
        return Err(ApiError::bad_request("\"watched\" must contain at least 1 item"));
    }
    if let Some(w) = spec.watched.iter().find(|w| !["model", "dataset", "space", "user", "org"].contains(&w.kind.as_str())) {
        return Err(ApiError::bad_request(format!("\"watched[].type\" {:?} must be one of [dataset, model, org, space, user]", w.kind)));
    }
    if let Some(d) = spec.domains.iter().flatten().find(|d| !["repo", "discussion", "discussions"].contains(&d.as_str())) {
        return Err(ApiError::bad_request(format!("\"domains[]\" {d:?} must be one of [repo, discussion]")));
    }
    Ok(())
}

pub(crate) async fn list(State(sim): Ctx, Extension(caller): Extension<Caller>) -> Result<Response, ApiError> {
    let user = caller.require()?;
    let w = sim.world();
    let hooks: Vec<Value> = w.webhooks.iter().filter(|h| h.owner == user).map(to_json).collect();
    Ok(Json(hooks).into_response())
}

pub(crate) async fn create(State(sim): Ctx, Extension(caller): Extension<Caller>, Json(spec): Json<Spec>) -> Result<Response, ApiError> {
    let user = caller.require()?.to_owned();
    check(&spec)?;
    let url = spec.url.ok_or_else(|| ApiError::bad_request("\"url\" is required"))?;
    let mut w = sim.world();
    let id = w.next_object_id();
    let hook = Webhook {
        id,
        owner: user,
        url,
        watched: spec.watched.into_iter().map(|x| (x.kind, x.name)).collect(),
        domains: spec.domains.unwrap_or_else(|| vec!["repo".into(), "discussion".into()]),
        secret: spec.secret,
        disabled: false,
    };
    let v = to_json(&hook);
    w.webhooks.push(hook);
    Ok(Json(json!({ "webhook": v })).into_response())
}

#[derive(Deserialize)]
pub(crate) struct IdPath {
    id: String,
}

fn with_hook(sim: &Sim, caller: &Caller, id: &str, f: impl FnOnce(&mut Webhook)) -> Result<Response, ApiError> {
    let user = caller.require()?;
    let mut w = sim.world();
    let hook = w.webhooks.iter_mut().find(|h| h.id == id && h.owner == user).ok_or_else(|| ApiError::not_found("Webhook not found"))?;
    f(hook);
    Ok(Json(json!({ "webhook": to_json(hook) })).into_response())
}

pub(crate) async fn get_one(State(sim): Ctx, Extension(caller): Extension<Caller>, Path(p): Path<IdPath>) -> Result<Response, ApiError> {
    with_hook(&sim, &caller, &p.id, |_| {})
}

pub(crate) async fn update(State(sim): Ctx, Extension(caller): Extension<Caller>, Path(p): Path<IdPath>, Json(spec): Json<Spec>) -> Result<Response, ApiError> {
    check(&spec)?;
    with_hook(&sim, &caller, &p.id, |h| {
        h.watched = spec.watched.into_iter().map(|x| (x.kind, x.name)).collect();
        if let Some(u) = spec.url {
            h.url = u;
        }
        if let Some(d) = spec.domains {
            h.domains = d;
        }
        if spec.secret.is_some() {
            h.secret = spec.secret;
        }
    })
}

#[derive(Deserialize)]
pub(crate) struct TogglePath {
    id: String,
    action: String,
}

pub(crate) async fn toggle(State(sim): Ctx, Extension(caller): Extension<Caller>, Path(p): Path<TogglePath>) -> Result<Response, ApiError> {
    let disabled = match p.action.as_str() {
        "enable" => false,
        "disable" => true,
        _ => return Err(ApiError::not_found("Not Found")),
    };
    with_hook(&sim, &caller, &p.id, |h| h.disabled = disabled)
}

pub(crate) async fn delete(State(sim): Ctx, Extension(caller): Extension<Caller>, Path(p): Path<IdPath>) -> Result<Response, ApiError> {
    let user = caller.require()?.to_owned();
    let mut w = sim.world();
    let before = w.webhooks.len();
    w.webhooks.retain(|h| !(h.id == p.id && h.owner == user));
    if w.webhooks.len() == before {
        return Err(ApiError::not_found("Webhook not found"));
    }
    Ok(Json(json!({})).into_response())
}
