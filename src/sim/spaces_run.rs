//! Running Spaces for real through the local harness (`python -m lsb_harness serve`):
//! a build writes the Space's `main` files to a temp dir, starts the app on a free port
//! (APP_STARTING), and goes RUNNING when the harness prints its ready line, with the
//! Space's `host` pointing at it; RUNTIME_ERROR with the process's output as the run log
//! when it exits. A newer build or a deleted Space stops the old process.
//!
//! The app's environment is the Space's, as on the Hub: its variables and secrets (secrets are
//! the app's env vars: hub-constraints.md §4), `SPACE_ID`, `HF_ENDPOINT` (the simulator), and
//! the hardware: `LSB_HARNESS_HARDWARE=<flavour>` makes the harness's torch stand-in have no
//! CUDA on CPU flavours, and `SPACES_ZERO_GPU=true` is set on zero-a10g only (§3: without it
//! `@spaces.GPU` is a no-op and module-level `.to("cuda")` fails on cpu-basic).
//! `LSB_SIM_URL` lets the `spaces` stand-in charge the caller's ZeroGPU quota at
//! `/_sim/zero-gpu/charge` (see `routes::admin`). The operator's own `HF_TOKEN` never leaks in.
//!
//! Off unless [`HarnessSettings`] is given in [`super::SimConfig::harness`].

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

use super::shared::Sim;
use super::state::World;
use crate::domain::{RepoId, RepoType};

/// Where the harness lives and how long an app may take to start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HarnessSettings {
    /// The Python with the harness requirements installed.
    pub python: PathBuf,
    /// The `harness/` directory (put on `PYTHONPATH`).
    pub harness_dir: PathBuf,
    /// How long an app may take to answer before RUNTIME_ERROR.
    pub startup_timeout: Duration,
}

impl HarnessSettings {
    /// `LSB_HARNESS_PYTHON` / `LSB_HARNESS_DIR`, else `.venv/bin/python` and `harness/` of
    /// this source tree, when that Python exists.
    pub fn from_env() -> Option<Self> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let python = std::env::var_os("LSB_HARNESS_PYTHON").map(PathBuf::from).unwrap_or_else(|| root.join(".venv/bin/python"));
        let harness_dir = std::env::var_os("LSB_HARNESS_DIR").map(PathBuf::from).unwrap_or_else(|| root.join("harness"));
        python.exists().then_some(Self { python, harness_dir, startup_timeout: Duration::from_secs(120) })
    }
}

/// What a build needs, read under the lock.
struct Job {
    files: Vec<(String, Bytes)>,
    /// The Space's environment (variables, then secrets), as `(key, value)`.
    env: Vec<(String, String)>,
    /// The requested hardware flavour.
    hardware: String,
    /// `(lora repo, its file list)` for every model repo (the app loads one of them).
    file_lists: Vec<(String, String)>,
}

/// Collects the Space's files and the model repos' file lists (called under the lock).
fn collect(w: &World, id: &RepoId) -> Option<Job> {
    let repo = w.repo(RepoType::Space, id)?;
    let head = repo.commit(repo.main_head()?)?;
    let files = head.files.iter().map(|(p, e)| (p.clone(), e.data.clone())).collect();
    let space = repo.space.as_ref()?;
    let env = space.variables.iter().map(|(k, (v, _, _))| (k.clone(), v.clone())).chain(space.secret_values.iter().map(|(k, v)| (k.clone(), v.clone()))).collect();
    let hardware = space.hardware.clone();
    let file_lists = w
        .repos
        .values()
        .filter(|r| r.ty == RepoType::Model)
        .filter_map(|r| {
            let c = r.commit(r.main_head()?)?;
            Some((r.id.to_string(), c.files.keys().cloned().collect::<Vec<_>>().join("\n")))
        })
        .collect();
    Some(Job { files, env, hardware, file_lists })
}

fn still_current(sim: &Sim, id: &RepoId, generation: u64) -> bool {
    sim.world().repo(RepoType::Space, id).and_then(|r| r.space.as_ref()).is_some_and(|s| s.generation == generation)
}

/// Applies `f` to the Space when the build is still the current one, then wakes waiters.
fn update(sim: &Sim, id: &RepoId, generation: u64, f: impl FnOnce(&mut super::state::SpaceState)) {
    {
        let mut w = sim.world();
        let Some(space) = w.repo_mut(RepoType::Space, id).and_then(|r| r.space.as_mut()) else { return };
        if space.generation != generation {
            return;
        }
        f(space);
    }
    sim.bump();
}

/// Starts the build of generation `generation` (called under the lock, from `on_main_changed`).
pub(crate) fn start(sim: &Arc<Sim>, w: &World, settings: HarnessSettings, id: &RepoId, generation: u64) {
    let Some(job) = collect(w, id) else { return };
    let (sim, id) = (sim.clone(), id.clone());
    sim.rt.clone().spawn(async move {
        if let Err(message) = run(&sim, &settings, &id, generation, job).await {
            update(&sim, &id, generation, |s| {
                s.run_log.push(format!("{message}\n"));
                s.error_message = Some("Exit code: 1. Reason: application crashed".to_owned());
                s.stage = "RUNTIME_ERROR".to_owned();
                s.host = None;
            });
        }
    });
}

fn write_files(dir: &Path, job: &Job) -> std::io::Result<Vec<String>> {
    for (path, data) in &job.files {
        let target = dir.join(path);
        if !target.starts_with(dir) || path.contains("..") {
            continue;
        }
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(target, data)?;
    }
    let lists = dir.join(".lsb-files");
    std::fs::create_dir_all(&lists)?;
    let mut args = Vec::new();
    for (i, (repo, list)) in job.file_lists.iter().enumerate() {
        let f = lists.join(format!("{i}.txt"));
        std::fs::write(&f, list)?;
        args.push(format!("{repo}={}", f.display()));
    }
    if args.is_empty() {
        let f = lists.join("none.txt");
        std::fs::write(&f, "")?;
        args.push(f.display().to_string());
    }
    Ok(args)
}

fn free_port() -> std::io::Result<u16> {
    Ok(std::net::TcpListener::bind(("127.0.0.1", 0))?.local_addr()?.port())
}

async fn run(sim: &Arc<Sim>, settings: &HarnessSettings, id: &RepoId, generation: u64, job: Job) -> Result<(), String> {
    let dir = std::env::temp_dir().join(format!("lsb-sim-space-{}-{}-{generation}-{}", id.namespace(), id.name(), uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create the app dir: {e}"))?;
    let _cleanup = RemoveOnDrop(dir.clone());
    let file_args = write_files(&dir, &job).map_err(|e| format!("cannot write the Space files: {e}"))?;
    let port = free_port().map_err(|e| format!("no free port: {e}"))?;
    let mut cmd = Command::new(&settings.python);
    cmd.arg("-m").arg("lsb_harness").arg("serve").arg("--app").arg(dir.join("app.py")).arg("--port").arg(port.to_string());
    for f in &file_args {
        cmd.arg("--files").arg(f);
    }
    cmd.current_dir(&dir).env("PYTHONPATH", &settings.harness_dir).env("PYTHONUNBUFFERED", "1");
    for key in ["HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "SPACES_ZERO_GPU", "HF_ENDPOINT", "LSB_HARNESS_HARDWARE", "LSB_SIM_URL", "SPACE_ID"] {
        cmd.env_remove(key);
    }
    let base = sim.base_str();
    cmd.env("LSB_HARNESS_HARDWARE", &job.hardware).env("SPACE_ID", id.to_string()).env("HF_ENDPOINT", base.trim_end_matches('/')).env("LSB_SIM_URL", &base);
    if job.hardware == super::terms::ZERO_GPU {
        cmd.env("SPACES_ZERO_GPU", "true");
    }
    cmd.envs(job.env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).kill_on_drop(true);
    let mut child = cmd.spawn().map_err(|e| format!("cannot start {}: {e}", settings.python.display()))?;
    update(sim, id, generation, |s| {
        s.build_log.push("Successfully built the image\n".to_owned());
        s.stage = "APP_STARTING".to_owned();
    });
    let host = format!("http://127.0.0.1:{port}");
    let (stdout, stderr) = (child.stdout.take(), child.stderr.take());
    let out_task = stdout.map(|o| tokio::spawn(pump(sim.clone(), id.clone(), generation, BufReader::new(o), Some(host.clone()))));
    let err_task = stderr.map(|e| tokio::spawn(pump(sim.clone(), id.clone(), generation, BufReader::new(e), None)));
    let mut changes = sim.changes.subscribe();
    let deadline = tokio::time::sleep(settings.startup_timeout);
    tokio::pin!(deadline);
    let status = loop {
        tokio::select! {
            status = child.wait() => break status,
            () = &mut deadline, if !is_running(sim, id, generation) => {
                let _ = child.kill().await;
                return Err(format!("the app did not answer within {:?}", settings.startup_timeout));
            }
            changed = changes.changed() => {
                if changed.is_err() || !still_current(sim, id, generation) {
                    let _ = child.kill().await;
                    return Ok(());
                }
            }
        }
    };
    for t in [out_task, err_task].into_iter().flatten() {
        let _ = t.await;
    }
    let code = status.ok().and_then(|s| s.code());
    update(sim, id, generation, |s| {
        s.error_message = Some(format!("Exit code: {}. Reason: application exited", code.map_or("?".to_owned(), |c| c.to_string())));
        s.stage = "RUNTIME_ERROR".to_owned();
        s.host = None;
    });
    Ok(())
}

fn is_running(sim: &Sim, id: &RepoId, generation: u64) -> bool {
    sim.world().repo(RepoType::Space, id).and_then(|r| r.space.as_ref()).is_some_and(|s| s.generation == generation && s.stage == "RUNNING")
}

/// Copies the process's lines into the run log; on stdout, the ready line makes it RUNNING.
async fn pump<R: tokio::io::AsyncBufRead + Unpin>(sim: Arc<Sim>, id: RepoId, generation: u64, reader: R, ready_host: Option<String>) {
    let mut lines = reader.lines();
    while let Ok(Some(line)) = lines.next_line().await {
        let ready = ready_host.as_ref().filter(|_| line.starts_with("LSB_HARNESS_READY"));
        update(&sim, &id, generation, |s| {
            s.run_log.push(format!("{line}\n"));
            if let Some(host) = ready {
                s.host = Some(host.clone());
                s.current_hardware = Some(s.hardware.clone());
                s.stage = "RUNNING".to_owned();
            }
        });
    }
}

struct RemoveOnDrop(PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
