//! Who is calling and what they may do: tokens → users, read access (401 anonymously, 404
//! when authenticated), write access (the namespace owner only).

use axum::http::HeaderMap;

use super::error::{ApiError, INVALID_CREDENTIALS};
use super::state::{Repo, World};
use crate::domain::{RepoId, RepoType};

/// The caller of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Caller {
    Anonymous,
    User(String),
}

impl Caller {
    /// The user name, if authenticated.
    pub fn name(&self) -> Option<&str> {
        match self {
            Self::Anonymous => None,
            Self::User(n) => Some(n),
        }
    }

    /// The user name, or 401.
    pub fn require(&self) -> Result<&str, ApiError> {
        self.name().ok_or_else(|| ApiError::unauthorized("Invalid username or password."))
    }

    fn is(&self, user: &str) -> bool {
        self.name() == Some(user)
    }
}

/// Reads the `Authorization` header: none → anonymous; a token the simulator does not
/// know → 401 with the Hub's `Invalid credentials…` message.
pub(crate) fn caller(world: &World, headers: &HeaderMap) -> Result<Caller, ApiError> {
    let Some(value) = headers.get("authorization") else { return Ok(Caller::Anonymous) };
    let token = value.to_str().ok().and_then(|v| v.strip_prefix("Bearer ")).map(str::trim);
    match token.and_then(|t| world.tokens.get(t)) {
        Some(user) => Ok(Caller::User(user.clone())),
        None => Err(ApiError::unauthorized(INVALID_CREDENTIALS)),
    }
}

fn hidden(caller: &Caller) -> ApiError {
    match caller {
        Caller::Anonymous => ApiError::anonymous_repo(),
        Caller::User(_) => ApiError::repo_not_found(),
    }
}

fn can_read(repo: &Repo, caller: &Caller) -> bool {
    !repo.private || caller.is(repo.owner())
}

/// The repo if the caller may read it.
pub(crate) fn readable<'a>(w: &'a World, caller: &Caller, ty: RepoType, id: &RepoId) -> Result<&'a Repo, ApiError> {
    match w.repo(ty, id) {
        Some(r) if can_read(r, caller) => Ok(r),
        _ => Err(hidden(caller)),
    }
}

/// The repo, mutably, if the caller may read it (for PR and discussion writes).
pub(crate) fn readable_mut<'a>(w: &'a mut World, caller: &Caller, ty: RepoType, id: &RepoId) -> Result<&'a mut Repo, ApiError> {
    match w.repo_mut(ty, id) {
        Some(r) if can_read(r, caller) => Ok(r),
        _ => Err(hidden(caller)),
    }
}

/// The repo, mutably, if the caller owns it; 403 for other readers.
pub(crate) fn writable_mut<'a>(w: &'a mut World, caller: &Caller, ty: RepoType, id: &RepoId) -> Result<&'a mut Repo, ApiError> {
    let repo = readable_mut(w, caller, ty, id)?;
    match caller {
        Caller::Anonymous => Err(ApiError::unauthorized("Invalid username or password.")),
        Caller::User(u) if u == repo.owner() => Ok(repo),
        Caller::User(_) => Err(ApiError::forbidden(format!("You don't have write access to {}", repo.id))),
    }
}

/// The repo if the caller may download its files: readable, and for a gated repo the
/// owner or an approved user (else 401 anonymously, 403 `GatedRepo` when authenticated).
pub(crate) fn downloadable<'a>(w: &'a World, caller: &Caller, ty: RepoType, id: &RepoId) -> Result<&'a Repo, ApiError> {
    let repo = readable(w, caller, ty, id)?;
    if repo.gated.is_none() || caller.is(repo.owner()) || caller.name().is_some_and(|u| repo.gate_grants.iter().any(|g| g == u)) {
        return Ok(repo);
    }
    let status = if caller.name().is_some() { axum::http::StatusCode::FORBIDDEN } else { axum::http::StatusCode::UNAUTHORIZED };
    Err(ApiError::new(status, format!("Access to {} {id} is restricted. You must have access to it and be authenticated to access it.", ty.as_str())).code("GatedRepo"))
}

/// Whether the caller may write to the repo.
pub(crate) fn is_writer(repo: &Repo, caller: &Caller) -> bool {
    caller.is(repo.owner())
}
