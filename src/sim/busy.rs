//! Operations "in progress" (hub-constraints.md §6): with a non-zero `op_window`, a repo
//! creation holds its user, and a commit its repo, for that long; a second creation by the
//! same user, or a second commit to the same repo, arriving meanwhile gets the Hub's 409.

use std::sync::Arc;

use axum::http::StatusCode;

use super::error::ApiError;
use super::shared::Sim;
use super::state::RepoTypeKey;
use crate::domain::{RepoId, RepoType};

/// What an operation holds.
#[derive(Debug, Clone)]
enum Key {
    Creator(String),
    Repo(RepoTypeKey, RepoId),
}

/// Holds a key until dropped.
pub(crate) struct Busy {
    sim: Arc<Sim>,
    key: Key,
}

impl Drop for Busy {
    fn drop(&mut self) {
        let mut w = self.sim.world();
        match &self.key {
            Key::Creator(u) => w.creating.remove(u),
            Key::Repo(t, id) => w.committing.remove(&(*t, id.clone())),
        };
    }
}

/// "Cannot create repo: another conflicting operation is in progress" (HH hf_api.py create_repo).
pub(crate) fn creating(sim: &Arc<Sim>, user: &str) -> Result<Option<Busy>, ApiError> {
    if sim.config.op_window.is_zero() {
        return Ok(None);
    }
    if !sim.world().creating.insert(user.to_owned()) {
        return Err(ApiError::new(StatusCode::CONFLICT, "Cannot create repo: another conflicting operation is in progress"));
    }
    Ok(Some(Busy { sim: sim.clone(), key: Key::Creator(user.to_owned()) }))
}

/// "Another commit operation is in progress for this repository" (observed,
/// evaleval/every_eval_ever#263; HH never retries a 409: utils/_http.py).
pub(crate) fn committing(sim: &Arc<Sim>, ty: RepoType, id: &RepoId) -> Result<Option<Busy>, ApiError> {
    if sim.config.op_window.is_zero() {
        return Ok(None);
    }
    if !sim.world().committing.insert((ty.into(), id.clone())) {
        return Err(ApiError::new(StatusCode::CONFLICT, "Another commit operation is in progress for this repository"));
    }
    Ok(Some(Busy { sim: sim.clone(), key: Key::Repo(ty.into(), id.clone()) }))
}

/// Holds the operation for the configured window (before it takes effect).
pub(crate) async fn hold(sim: &Sim) {
    if !sim.config.op_window.is_zero() {
        tokio::time::sleep(sim.config.op_window).await;
    }
}
