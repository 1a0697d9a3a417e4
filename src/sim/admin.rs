//! World-level administration shared by `SimConfig`, the test handle and the `/_sim` HTTP
//! routes: plans, gates and grants, the clock.

use std::collections::BTreeMap;
use std::sync::Arc;

use bytes::Bytes;

use super::error::ApiError;
use super::ops;
use super::state::World;
use super::terms;
use super::seed::GITATTRIBUTES;
use super::shared::Sim;
use crate::domain::{RepoId, RepoType};

/// The plan rules for a new Space of `ns` (create or duplicate): 402 / 403 as in [`terms::may_host`].
pub(crate) fn check_new_space(w: &World, ns: &str, sdk: &str, hardware: Option<&str>) -> Result<(), ApiError> {
    let flavour = hardware.unwrap_or(terms::CPU_BASIC);
    terms::may_host(w.plan(ns), sdk, flavour, w.zero_gpu_hosted(ns, None)).map_err(refusal)
}

/// The plan rules for moving an existing Space to `flavour` ([`terms::may_use_flavour`]).
pub(crate) fn check_flavour(w: &World, id: &RepoId, sdk: &str, flavour: &str) -> Result<(), ApiError> {
    terms::may_use_flavour(w.plan(id.namespace()), sdk, flavour, w.zero_gpu_hosted(id.namespace(), Some(id))).map_err(refusal)
}

/// Requests `flavour` for an existing Space as its owner would through the hardware API:
/// the owner's plan decides ([`check_flavour`], as the route does); the app restarts
/// when the flavour changes.
pub(crate) fn request_hardware(sim: &Arc<Sim>, space: &str, flavour: &str) -> Result<(), String> {
    let id: RepoId = space.parse().map_err(|e| format!("{e}"))?;
    let changed = {
        let mut w = sim.world();
        let sdk = w.repo(RepoType::Space, &id).and_then(|r| r.space.as_ref()).map(|s| s.sdk.clone()).ok_or_else(|| format!("no Space {id} (seed it first)"))?;
        check_flavour(&w, &id, &sdk, flavour).map_err(|e| format!("{} {}", e.status.as_u16(), e.message))?;
        let s = w.repo_mut(RepoType::Space, &id).and_then(|r| r.space.as_mut()).ok_or_else(|| format!("no Space {id}"))?;
        let changed = s.hardware != flavour;
        s.hardware = flavour.to_owned();
        changed
    };
    if changed {
        super::routes::restart_app(sim, &id);
    }
    Ok(())
}

fn refusal(r: terms::Refusal) -> ApiError {
    ApiError::new(r.status, r.message)
}

/// Gates model repos (creating an empty one owned by its namespace when missing, so a gated
/// base can be checked without its weights) and grants users access.
pub(crate) fn apply_gates(sim: &Arc<Sim>, gated: &[String], grants: &[(String, String)]) {
    for repo in gated {
        set_gated(sim, repo, Some("manual"));
    }
    for (user, repo) in grants {
        grant(sim, user, repo);
    }
}

/// Gates (`Some(mode)`) or ungates a model repo; creates a missing one when gating.
pub(crate) fn set_gated(sim: &Arc<Sim>, repo: &str, mode: Option<&str>) -> bool {
    let Ok(id) = repo.parse::<RepoId>() else { return false };
    let mut w = sim.world();
    if w.repo(RepoType::Model, &id).is_none() && mode.is_some() {
        let files = BTreeMap::from([
            (".gitattributes".to_owned(), Bytes::from_static(GITATTRIBUTES.as_bytes())),
            ("README.md".to_owned(), Bytes::from(format!("---\nlicense: other\n---\n# {id}\n"))),
        ]);
        let _ = ops::create_repo(sim, &mut w, RepoType::Model, &id, false, None, files);
    }
    match w.repo_mut(RepoType::Model, &id) {
        Some(r) => {
            r.gated = mode.map(str::to_owned);
            true
        }
        None => false,
    }
}

/// Grants `user` access to the gated model `repo` (per user, never per org: hub-constraints.md §4).
pub(crate) fn grant(sim: &Arc<Sim>, user: &str, repo: &str) -> bool {
    let Ok(id) = repo.parse::<RepoId>() else { return false };
    let mut w = sim.world();
    match w.repo_mut(RepoType::Model, &id) {
        Some(r) => {
            if !r.gate_grants.iter().any(|g| g == user) {
                r.gate_grants.push(user.to_owned());
            }
            true
        }
        None => false,
    }
}
