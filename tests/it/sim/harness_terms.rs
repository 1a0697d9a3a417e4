//! Terms the harness-run app meets (hub-constraints.md §3, §4, §7): the caller's ZeroGPU daily
//! quota with the real `gr.Error` texts, seen through the app's Gradio API; a gated base that
//! loads only when the Space has an `HF_TOKEN` secret of a granted user.

use std::time::Duration;

use lora_space_bot::domain::{RepoId, RepoType};
use lora_space_bot::hub::{CreateRepo, LogKind, Secret, Visibility};
use lora_space_bot::sim::{HarnessSettings, SimConfig, SimHandle};

use super::{OTHER_TOKEN, OTHER_USER, client, files, rid, spawn_sim_with};

async fn harness_sim(config: SimConfig) -> Option<SimHandle> {
    let Some(mut harness) = HarnessSettings::from_env() else {
        eprintln!("skipped: no harness venv (python3 -m venv .venv && .venv/bin/pip install -r harness/requirements.txt)");
        return None;
    };
    harness.startup_timeout = Duration::from_secs(280); // two shared cores under parallel tests
    Some(spawn_sim_with(SimConfig { harness: Some(harness), ..config }).await)
}

async fn settled(sim: &SimHandle, id: &RepoId) -> String {
    let done = |h: &SimHandle| h.space_stage(id).is_some_and(|s| !matches!(s.as_str(), "BUILDING" | "APP_STARTING" | "NO_APP_FILE"));
    assert!(sim.wait_until(Duration::from_secs(300), done).await, "stuck at {:?}", sim.space_stage(id));
    sim.space_stage(id).unwrap_or_default()
}

/// A free user may host two ZeroGPU Gradio Spaces: the main user creates one.
async fn zero_gpu_space(sim: &SimHandle, name: &str, app: &str) -> RepoId {
    let id = rid(&format!("sim-user/{name}"));
    let req = CreateRepo { repo_type: RepoType::Space, id: id.clone(), visibility: Visibility::Public, sdk: Some("gradio".into()), hardware: Some("zero-a10g".into()) };
    client(sim, Some(sim.token())).create_repo(&req).await.expect("create");
    sim.commit_as("sim-user", RepoType::Space, &id, files(&[("app.py", app)]), "app");
    id
}

const QUOTA_APP: &str = r#"import spaces
import gradio as gr


@spaces.GPU(duration=150)
def generate(prompt: str):
    """Echo."""
    return prompt


@spaces.GPU(duration=400)
def huge(prompt: str):
    """Asks too much."""
    return prompt


with gr.Blocks() as demo:
    t = gr.Textbox(label="Prompt")
    o = gr.Textbox(label="Out")
    gr.Button("Go").click(generate, t, o, api_name="generate")
    gr.Button("Huge").click(huge, t, o, api_name="huge")

demo.launch()
"#;

/// One call through Gradio's `/call` API, as an API client makes it; the SSE result text.
async fn call(host: &str, api: &str, token: Option<&str>) -> String {
    let http = reqwest::Client::new();
    let with_token = |r: reqwest::RequestBuilder| match token {
        Some(t) => r.header("x-hf-authorization", format!("Bearer {t}")),
        None => r,
    };
    let start: serde_json::Value = with_token(http.post(format!("{host}/gradio_api/call/{api}")).json(&serde_json::json!({ "data": ["hi"] })))
        .send()
        .await
        .expect("call")
        .json()
        .await
        .expect("event id");
    let event = start["event_id"].as_str().expect("event_id").to_owned();
    with_token(http.get(format!("{host}/gradio_api/call/{api}/{event}"))).send().await.expect("result").text().await.expect("text")
}

#[tokio::test(flavor = "multi_thread")]
async fn the_callers_zero_gpu_quota_is_charged_per_declared_duration_with_the_real_error_texts() {
    let Some(sim) = harness_sim(SimConfig::default()).await else { return };
    let id = zero_gpu_space(&sim, "quota", QUOTA_APP).await;
    assert_eq!(settled(&sim, &id).await, "RUNNING");
    let host = client(&sim, None).space_info(&id, None).await.expect("info").host.expect("host");
    for _ in 0..2 {
        let ok = call(&host, "generate", Some(OTHER_TOKEN)).await;
        assert!(ok.contains("event: complete"), "{ok}");
    }
    assert_eq!(sim.zero_gpu_used(Some(OTHER_USER)), 300, "a free user's 5 minutes are spent");
    let spent = call(&host, "generate", Some(OTHER_TOKEN)).await;
    assert!(spent.contains("event: error"), "{spent}");
    assert!(spent.contains("You have exceeded your free ZeroGPU quota (150s requested vs. 0s left). Try again in 23:59:"), "{spent}");
    let anonymous = call(&host, "generate", None).await;
    assert!(anonymous.contains("(150s requested vs. 120s left)"), "anonymous callers have 2 minutes: {anonymous}");
    let illegal = call(&host, "huge", Some(sim.token())).await;
    assert!(illegal.contains("The requested GPU duration (400s) is larger than the maximum allowed"), "{illegal}");
    sim.advance_clock(Duration::from_secs(24 * 3600));
    assert!(call(&host, "generate", Some(OTHER_TOKEN)).await.contains("event: complete"), "the quota resets 24 h after first use");
}

/// The ZeroGPU app of the hardware tests, loading a gated base instead.
fn gated_app() -> String {
    super::hardware::ZERO_GPU_APP.replace("black-forest-labs/FLUX.1-dev", "gated-org/flux-base")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_gated_base_loads_only_once_the_space_has_an_hf_token_secret_of_a_granted_user() {
    let config = SimConfig { gated: vec!["gated-org/flux-base".into()], grants: vec![(OTHER_USER.into(), "gated-org/flux-base".into())], ..SimConfig::default() };
    let Some(sim) = harness_sim(config).await else { return };
    let id = zero_gpu_space(&sim, "gated", &gated_app()).await;
    assert_eq!(settled(&sim, &id).await, "RUNTIME_ERROR");
    let api = client(&sim, Some(sim.token()));
    let log: String = api.space_logs(&id, LogKind::Run).await.expect("run log").into_iter().map(|l| l.data).collect();
    assert!(log.contains("Cannot access gated repo") && log.contains("gated-org/flux-base"), "{log}");
    api.add_space_secret(&id, "HF_TOKEN", &Secret::new(sim.token()), None).await.expect("secret");
    assert_eq!(settled(&sim, &id).await, "RUNTIME_ERROR", "the owner's token is not granted");
    api.add_space_secret(&id, "HF_TOKEN", &Secret::new(OTHER_TOKEN), None).await.expect("secret");
    assert_eq!(settled(&sim, &id).await, "RUNNING", "a granted user's token loads the base");
}
