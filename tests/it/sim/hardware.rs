//! Space hardware as the Hub assigns it (hub-constraints.md §3): cpu-basic unless requested at
//! creation or through the hardware API; README `suggested_hardware` assigns nothing; and, with
//! the harness, a ZeroGPU app's module-level `.to("cuda")` fails on cpu-basic but starts on
//! zero-a10g.

use std::time::Duration;

use lora_space_bot::domain::RepoType;
use lora_space_bot::hub::{CreateRepo, LogKind, SpaceStage, Visibility};
use lora_space_bot::sim::{HarnessSettings, Plan, SimConfig, SimHandle};

use super::{WAIT, client, files, rid, spawn_sim_with};

async fn pro_sim() -> SimHandle {
    spawn_sim_with(SimConfig { plans: vec![("sim-user".into(), Plan::Pro)], ..SimConfig::default() }).await
}

fn space(name: &str, hardware: Option<&str>) -> CreateRepo {
    CreateRepo { repo_type: RepoType::Space, id: rid(name), visibility: Visibility::Private, sdk: Some("gradio".into()), hardware: hardware.map(str::to_owned) }
}

const README_ZERO: &str = "---\ntitle: x\nsdk: gradio\nsuggested_hardware: zero-a10g\n---\n";

#[tokio::test]
async fn a_space_created_without_hardware_runs_on_cpu_basic_whatever_its_readme_suggests() {
    let sim = pro_sim().await;
    let api = client(&sim, Some(sim.token()));
    let id = rid("sim-user/plain");
    api.create_repo(&space("sim-user/plain", None)).await.expect("create");
    sim.commit_as("sim-user", RepoType::Space, &id, files(&[("README.md", README_ZERO), ("app.py", "import gradio")]), "app");
    assert!(sim.wait_until(WAIT, |s| s.space_stage(&id).as_deref() == Some("RUNNING")).await);
    let rt = api.space_runtime(&id).await.expect("runtime");
    assert_eq!(rt.hardware.requested.as_deref(), Some("cpu-basic"));
    assert_eq!(rt.hardware.current.as_deref(), Some("cpu-basic"));
}

#[tokio::test]
async fn hardware_requested_at_creation_is_current_once_the_build_runs() {
    let sim = pro_sim().await;
    let api = client(&sim, Some(sim.token()));
    let id = rid("sim-user/zero");
    api.create_repo(&space("sim-user/zero", Some("zero-a10g"))).await.expect("create");
    assert_eq!(api.space_runtime(&id).await.expect("runtime").hardware.requested.as_deref(), Some("zero-a10g"));
    sim.commit_as("sim-user", RepoType::Space, &id, files(&[("app.py", "import gradio")]), "app");
    assert!(sim.wait_until(WAIT, |s| s.space_stage(&id).as_deref() == Some("RUNNING")).await);
    assert_eq!(api.space_runtime(&id).await.expect("runtime").hardware.current.as_deref(), Some("zero-a10g"));
}

#[tokio::test]
async fn requesting_hardware_restarts_the_app_which_then_runs_on_it() {
    let sim = pro_sim().await;
    let api = client(&sim, Some(sim.token()));
    let id = rid("sim-user/demo");
    sim.seed_repo(RepoType::Space, &id, files(&[("app.py", "import gradio")]), false);
    assert!(sim.wait_until(WAIT, |s| s.space_stage(&id).as_deref() == Some("RUNNING")).await);
    let rt = api.request_space_hardware(&id, "zero-a10g").await.expect("hardware");
    assert_eq!(rt.stage, SpaceStage::Building, "a hardware change restarts the app");
    assert_eq!((rt.hardware.requested.as_deref(), rt.hardware.current.as_deref()), (Some("zero-a10g"), None));
    assert!(sim.wait_until(WAIT, |s| s.space_hardware(&id).is_some_and(|h| h.1.as_deref() == Some("zero-a10g"))).await);
}

/// A ZeroGPU app as the generator writes it: module-level `pipe.to("cuda")`.
pub(crate) const ZERO_GPU_APP: &str = r#"import spaces
import gradio as gr
import torch
from diffusers import FluxPipeline

pipe = FluxPipeline.from_pretrained("black-forest-labs/FLUX.1-dev", torch_dtype=torch.bfloat16)
pipe.to("cuda")


@spaces.GPU(duration=60)
def generate(prompt: str):
    """Generate."""
    return prompt


with gr.Blocks() as demo:
    t = gr.Textbox(label="Prompt")
    o = gr.Textbox(label="Out")
    gr.Button("Go").click(generate, t, o, api_name="generate")

demo.launch()
"#;

async fn harness_sim() -> Option<SimHandle> {
    let Some(mut harness) = HarnessSettings::from_env() else {
        eprintln!("skipped: no harness venv (python3 -m venv .venv && .venv/bin/pip install -r harness/requirements.txt)");
        return None;
    };
    harness.startup_timeout = Duration::from_secs(280); // two shared cores under parallel tests
    Some(spawn_sim_with(SimConfig { plans: vec![("sim-user".into(), Plan::Pro)], harness: Some(harness), ..SimConfig::default() }).await)
}

async fn settled(sim: &SimHandle, id: &lora_space_bot::domain::RepoId) -> String {
    let done = |h: &SimHandle| h.space_stage(id).is_some_and(|s| !matches!(s.as_str(), "BUILDING" | "APP_STARTING" | "NO_APP_FILE"));
    assert!(sim.wait_until(Duration::from_secs(300), done).await, "stuck at {:?}", sim.space_stage(id));
    sim.space_stage(id).unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_zero_gpu_app_fails_at_start_up_on_cpu_basic_with_torchs_no_driver_error() {
    let Some(sim) = harness_sim().await else { return };
    let api = client(&sim, Some(sim.token()));
    let id = rid("sim-user/on-cpu");
    api.create_repo(&space("sim-user/on-cpu", None)).await.expect("create");
    sim.commit_as("sim-user", RepoType::Space, &id, files(&[("README.md", README_ZERO), ("app.py", ZERO_GPU_APP)]), "app");
    assert_eq!(settled(&sim, &id).await, "RUNTIME_ERROR");
    let log: String = api.space_logs(&id, LogKind::Run).await.expect("run log").into_iter().map(|l| l.data).collect();
    assert!(log.contains("RuntimeError: Found no NVIDIA driver on your system"), "{log}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_same_app_starts_when_zero_gpu_is_requested_at_creation() {
    let Some(sim) = harness_sim().await else { return };
    let api = client(&sim, Some(sim.token()));
    let id = rid("sim-user/on-zero");
    api.create_repo(&space("sim-user/on-zero", Some("zero-a10g"))).await.expect("create");
    sim.commit_as("sim-user", RepoType::Space, &id, files(&[("README.md", README_ZERO), ("app.py", ZERO_GPU_APP)]), "app");
    assert_eq!(settled(&sim, &id).await, "RUNNING");
    let host = api.space_info(&id, None).await.expect("info").host.expect("host");
    assert!(host.starts_with("http://127.0.0.1:"), "{host}");
}

/// `sim --space-hardware NS/NAME=FLAVOUR` for a seeded Space: requested under the owner's plan,
/// as the owner would through the hardware API — a free owner gets ZeroGPU (2 allowed) but
/// not paid hardware, whose 402 stops the simulator at start-up naming the flag.
#[tokio::test]
async fn seeded_spaces_get_the_hardware_their_owners_plan_allows_and_a_refusal_names_the_flag() {
    let seed = tempfile::tempdir().expect("tmp");
    let dir = seed.path().join("spaces/sim-user/demo");
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(dir.join("README.md"), README_ZERO).expect("write");
    let zero = SimConfig { seed: Some(seed.path().to_owned()), space_hardware: vec![("sim-user/demo".into(), "zero-a10g".into())], ..SimConfig::default() };
    let sim = spawn_sim_with(zero).await;
    assert_eq!(sim.space_hardware(&rid("sim-user/demo")).map(|h| h.0).as_deref(), Some("zero-a10g"));
    let rt = client(&sim, Some(sim.token())).space_runtime(&rid("sim-user/demo")).await.expect("runtime");
    assert_eq!(rt.hardware.requested.as_deref(), Some("zero-a10g"));

    let paid = SimConfig { seed: Some(seed.path().to_owned()), space_hardware: vec![("sim-user/demo".into(), "t4-small".into())], ..SimConfig::default() };
    let err = lora_space_bot::sim::start("127.0.0.1:0".parse().expect("addr"), paid).await.err().expect("a free owner cannot request t4-small");
    let text = err.to_string();
    assert!(text.contains("--space-hardware sim-user/demo=t4-small") && text.contains("402"), "{text}");
}
