//! `POST /api/repos/move` `{"fromRepo","toRepo","type"}`: rename a repo in its namespace or
//! transfer it (hub-docs api.md "Move a repository"; huggingface_hub `move_repo`).
//! - The watchers of the old name get one `repo` `move` event with `movedTo {name, owner}`
//!   (hub-api.md §9; hub-constraints.md §1), sent before the rename takes effect. Webhooks
//!   watch names, so later changes reach only webhooks watching the new name (whether the Hub
//!   re-points watches on a move is unverified; the simulator does not).
//! - Downloads (`/resolve/`) of the old name answer a relative redirect to the new one
//!   (hub-api.md §"Redirects": "a relative path for a renamed repo"); the API answers the old
//!   name with 404 `RepoNotFound` (API redirects on a move: unverified).
//! - Only a writer of the repo may move it, and only into their own namespace; an existing
//!   target is a 409.

use std::sync::Arc;

use axum::extract::{Extension, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;

use crate::domain::{RepoId, RepoType};
use crate::sim::access::{self, Caller};
use crate::sim::error::ApiError;
use crate::sim::hooks::{self, Trigger};
use crate::sim::shared::Sim;
use crate::sim::state::World;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct MoveBody {
    from_repo: String,
    to_repo: String,
    #[serde(rename = "type")]
    kind: Option<String>,
}

pub(crate) async fn move_repo(State(sim): State<Arc<Sim>>, Extension(caller): Extension<Caller>, Json(b): Json<MoveBody>) -> Result<Response, ApiError> {
    let user = caller.require()?.to_owned();
    let ty: RepoType = b.kind.as_deref().unwrap_or("model").parse().map_err(|e: crate::domain::IdError| ApiError::bad_request(e.to_string()))?;
    let from: RepoId = b.from_repo.parse().map_err(|_| ApiError::repo_not_found())?;
    let to: RepoId = b.to_repo.parse().map_err(|e: crate::domain::IdError| ApiError::bad_request(format!("Invalid toRepo: {e}")))?;
    let mut w = sim.world();
    access::writable_mut(&mut w, &caller, ty, &from)?;
    if to.namespace() != user && to.namespace() != from.namespace() {
        return Err(ApiError::forbidden(format!("You don't have the rights to move a repo to the namespace \"{}\"", to.namespace())));
    }
    if w.repo(ty, &to).is_some() {
        return Err(ApiError::new(StatusCode::CONFLICT, format!("You already have a {} repo named {to}", ty.as_str())));
    }
    hooks::fire(&sim, &w, ty, &from, Trigger::Moved { to: to.clone() });
    let Some(mut repo) = w.repos.remove(&(ty.into(), from.clone())) else { return Err(ApiError::repo_not_found()) };
    repo.id = to.clone();
    w.repos.insert((ty.into(), to.clone()), repo);
    w.moved.retain(|_, now| *now != from);
    w.moved.insert((ty.into(), from), to);
    Ok((StatusCode::OK, "OK").into_response())
}

/// Where a download of a moved repo's old name goes now (`None`: the name is in use, or was
/// never moved, or its repo is gone).
pub(crate) fn moved_to(w: &World, ty: RepoType, id: &RepoId) -> Option<RepoId> {
    if w.repo(ty, id).is_some() {
        return None;
    }
    w.moved.get(&(ty.into(), id.clone())).filter(|to| w.repo(ty, to).is_some()).cloned()
}
