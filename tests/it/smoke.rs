//! Smoke tests: Spaces run for real through the harness inside the simulator, called through
//! the Gradio client; the smoke gates on bot PRs.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use lora_space_bot::domain::{RepoId, RepoType};
use lora_space_bot::hub::LogKind;
use lora_space_bot::sim::{HarnessSettings, SimConfig, SimHandle};
use lora_space_bot::smoke::gradio::{GradioClient, GradioSettings};
use lora_space_bot::smoke::inputs;
use lora_space_bot::smoke::sniff::{MediaKind, sniff};

use crate::helpers::{BOT, BOT_TOKEN, OWNER, OWNER_TOKEN, hub_client, id};

/// The simulator running Spaces through the harness (the venv must exist).
pub async fn spawn_sim_with_harness() -> SimHandle {
    let harness = HarnessSettings::from_env().expect("a harness venv: python3 -m venv .venv && .venv/bin/pip install -r harness/requirements.txt");
    let config = SimConfig {
        user: BOT.into(),
        token: BOT_TOKEN.into(),
        extra_users: vec![(OWNER.into(), OWNER_TOKEN.into())],
        build_delay: Duration::from_millis(20),
        harness: Some(harness),
        ..SimConfig::default()
    };
    lora_space_bot::sim::start(([127, 0, 0, 1], 0).into(), config).await.expect("sim starts")
}

/// The files of a golden generated Space.
pub fn golden(name: &str) -> BTreeMap<String, Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden").join(name);
    ["app.py", "requirements.txt", "README.md"]
        .into_iter()
        .map(|f| (f.to_owned(), std::fs::read(dir.join(f)).expect("golden file")))
        .collect()
}

/// Seeds a LoRA model repo with these files.
pub fn seed_lora(sim: &SimHandle, repo: &str, files: &[&str]) -> RepoId {
    let lora = id(repo);
    let files = files.iter().map(|f| ((*f).to_owned(), b"weights".to_vec())).collect();
    sim.seed_repo(RepoType::Model, &lora, files, false);
    lora
}

/// Waits until the Space's stage is final (RUNNING or an error).
pub async fn settled(sim: &SimHandle, space: &RepoId) -> String {
    let done = |h: &SimHandle| h.space_stage(space).is_some_and(|s| !matches!(s.as_str(), "BUILDING" | "APP_STARTING" | "NO_APP_FILE"));
    assert!(sim.wait_until(Duration::from_secs(150), done).await, "stage stuck at {:?}", sim.space_stage(space));
    sim.space_stage(space).unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_generated_text_to_image_space_runs_under_the_harness_and_returns_a_png() {
    let sim = spawn_sim_with_harness().await;
    seed_lora(&sim, "tkato/corgi-dreambooth-flux-lora", &["README.md", "pytorch_lora_weights.safetensors"]);
    let space = id(&format!("{BOT}/corgi-demo"));
    sim.seed_repo(RepoType::Space, &space, golden("02-flux-dev-dreambooth-corgi"), false);
    assert_eq!(settled(&sim, &space).await, "RUNNING");

    let hub = hub_client(&sim, BOT_TOKEN);
    let host = hub.space_info(&space, None).await.expect("space info").host.expect("a host");
    assert!(host.starts_with("http://127.0.0.1:"), "{host}");
    let (gradio, config) = GradioClient::connect(&host, Some(BOT_TOKEN.into()), GradioSettings::default()).await.expect("config");
    assert_eq!(config.api_prefix.as_deref(), Some("/gradio_api"));
    let info = gradio.info().await.expect("info");
    let generate = info.named_endpoints.get("/generate").expect("a /generate endpoint");
    assert_eq!(generate.parameters[0].name(), "text");
    let mut args = inputs::build(generate, Some("a corgi"));
    args[2] = 7.into();
    args[3] = false.into();
    let out = gradio.call("/generate", args).await.expect("call");
    assert_eq!(out[1], 7);
    let png = gradio.download(&out[0]).await.expect("download");
    assert_eq!(sniff(&png), Some(MediaKind::Png));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_weights_file_name_ends_in_runtime_error_with_the_explaining_log() {
    let sim = spawn_sim_with_harness().await;
    seed_lora(&sim, "tkato/corgi-dreambooth-flux-lora", &["README.md", "corgi_final.safetensors"]);
    let space = id(&format!("{BOT}/corgi-broken"));
    sim.seed_repo(RepoType::Space, &space, golden("02-flux-dev-dreambooth-corgi"), false);
    assert_eq!(settled(&sim, &space).await, "RUNTIME_ERROR");
    let hub = hub_client(&sim, BOT_TOKEN);
    let log: String = hub.space_logs(&space, LogKind::Run).await.expect("run log").into_iter().map(|l| l.data).collect();
    assert!(log.contains("does not appear to have a file named pytorch_lora_weights.safetensors"), "{log}");
    assert!(hub.space_info(&space, None).await.expect("info").host.is_some_and(|h| h.ends_with(".hf.space")));
}
