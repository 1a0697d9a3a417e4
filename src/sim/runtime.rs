//! Space runtimes: a change to `main` (or a restart) starts a build, BUILDING until the
//! configured delay passes, then RUNNING, or the scripted BUILD_ERROR / RUNTIME_ERROR with
//! its log. The runtime JSON has the shape of the Hub's recorded responses. With harness
//! settings, builds that are not scripted to fail run the app for real ([`super::spaces_run`]).

use std::sync::Arc;

use serde_json::{Value, json};

use super::shared::Sim;
use super::state::{BuildOutcome, SpaceState, World};
use crate::domain::{RepoId, RepoType};

fn app_file(sdk: &str) -> &'static str {
    match sdk {
        "docker" => "Dockerfile",
        "static" => "index.html",
        _ => "app.py",
    }
}

/// Starts a build of the Space's `main` (or NO_APP_FILE without an app file).
pub(crate) fn on_main_changed(sim: &Arc<Sim>, w: &mut World, id: &RepoId) {
    let Some(repo) = w.repo_mut(RepoType::Space, id) else { return };
    let head = repo.main_head().map(str::to_owned).unwrap_or_default();
    let has_app = repo.commit(&head).is_some_and(|c| {
        let sdk = repo.space.as_ref().map_or("gradio", |s| s.sdk.as_str());
        c.files.contains_key(app_file(sdk))
    });
    let Some(space) = repo.space.as_mut() else { return };
    space.generation += 1;
    space.error_message = None;
    if !has_app {
        space.stage = "NO_APP_FILE".to_owned();
        return;
    }
    space.stage = "BUILDING".to_owned();
    space.build_log = vec![format!("===== Build Queued for {} =====\n", &head[..7.min(head.len())])];
    space.run_log.clear();
    space.host = None;
    let generation = space.generation;
    if let (Some(settings), BuildOutcome::Running) = (sim.config.harness.clone(), &space.outcome) {
        super::spaces_run::start(sim, w, settings, id, generation);
        return;
    }
    let (sim2, id2, delay) = (sim.clone(), id.clone(), sim.config.build_delay);
    sim.rt.spawn(async move {
        tokio::time::sleep(delay).await;
        finish_build(&sim2, &id2, generation);
    });
}

fn finish_build(sim: &Sim, id: &RepoId, generation: u64) {
    {
        let mut w = sim.world();
        let Some(space) = w.repo_mut(RepoType::Space, id).and_then(|r| r.space.as_mut()) else { return };
        if space.generation != generation || space.stage != "BUILDING" {
            return;
        }
        apply_outcome(space);
    }
    sim.bump();
}

fn apply_outcome(space: &mut SpaceState) {
    match space.outcome.clone() {
        BuildOutcome::Running => {
            space.current_hardware = Some(space.hardware.clone());
            space.build_log.push("Successfully built the image\n".to_owned());
            space.run_log.push("* Running on local URL:  http://0.0.0.0:7860\n".to_owned());
            space.stage = "RUNNING".to_owned();
        }
        BuildOutcome::BuildError(log) => {
            space.build_log.extend(log.iter().map(|l| format!("{l}\n")));
            space.error_message = Some("Build failed with exit code: 1".to_owned());
            space.stage = "BUILD_ERROR".to_owned();
        }
        BuildOutcome::RuntimeError(log) => {
            space.build_log.push("Successfully built the image\n".to_owned());
            space.run_log.extend(log.iter().map(|l| format!("{l}\n")));
            space.error_message = Some("Exit code: 1. Reason: application crashed".to_owned());
            space.stage = "RUNTIME_ERROR".to_owned();
        }
    }
}

/// The runtime object of `GET /api/spaces/{id}/runtime`: `hardware.requested` is what was
/// asked for (cpu-basic by default), `hardware.current` what the running app got — null
/// until a build runs (hub-api.md §7 runtime cassettes; hub-constraints.md §3 "applied after
/// the build").
pub(crate) fn runtime_json(space: &SpaceState) -> Value {
    let running = space.stage.starts_with("RUNNING");
    let mut v = json!({
        "stage": space.stage,
        "hardware": { "current": if running { space.current_hardware.as_ref() } else { None }, "requested": space.hardware },
        "storage": null,
        "gcTimeout": space.sleep_time,
        "replicas": { "requested": 1 },
        "devMode": false,
        "domains": [],
    });
    if let Some(m) = &space.error_message {
        v["errorMessage"] = json!(m);
    }
    v
}
