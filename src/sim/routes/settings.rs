//! `PUT …/settings`: visibility (`visibility` or legacy `private`) and gating, owner only;
//! fires `repo.config` with `updatedConfig` (`{"private": …}`, or `{}` for other keys).

use std::sync::Arc;

use axum::Json;
use axum::extract::{Extension, Path, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::RepoPath;
use crate::sim::access::{self, Caller};
use crate::sim::error::ApiError;
use crate::sim::hooks::{self, Trigger};
use crate::sim::shared::Sim;

#[derive(Deserialize)]
pub(crate) struct SettingsBody {
    gated: Option<Value>,
    visibility: Option<String>,
    private: Option<bool>,
}

fn gated_mode(v: &Value) -> Result<Option<String>, ApiError> {
    match v {
        Value::Bool(false) => Ok(None),
        Value::String(s) if s == "auto" || s == "manual" => Ok(Some(s.clone())),
        _ => Err(ApiError::bad_request("\"gated\" must be one of [auto, manual, false]")),
    }
}

pub(crate) async fn update(State(sim): State<Arc<Sim>>, Extension(caller): Extension<Caller>, p: Path<RepoPath>, Json(b): Json<SettingsBody>) -> Result<Response, ApiError> {
    let (ty, id) = p.parse()?;
    let private = match b.visibility.as_deref() {
        Some("public") => Some(false),
        Some("private" | "protected") => Some(true),
        Some(other) => return Err(ApiError::bad_request(format!("\"visibility\" {other:?} must be one of [public, private, protected]"))),
        None => b.private,
    };
    let gated = b.gated.as_ref().map(gated_mode).transpose()?;
    let mut w = sim.world();
    let repo = access::writable_mut(&mut w, &caller, ty, &id)?;
    let mut updated = json!({});
    if let Some(p) = private {
        if repo.private != p {
            updated["private"] = json!(p);
        }
        repo.private = p;
    }
    if let Some(g) = gated {
        repo.gated = g;
    }
    hooks::fire(&sim, &w, ty, &id, Trigger::RepoConfig { updated });
    Ok(Json(json!({})).into_response())
}
