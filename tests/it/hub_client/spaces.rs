//! Space runtime and controls: runtime stages, restart, pause, hardware, sleep time,
//! duplicate, secrets, variables, logs.

use lora_space_bot::domain::RepoType;
use lora_space_bot::hub::{DuplicateSpace, HubError, LogKind, Secret, SpaceStage, Visibility};
use lora_space_bot::sim::BuildOutcome;

use crate::sim::{OTHER_TOKEN, WAIT, client, files, rid, spawn_sim};

#[tokio::test]
async fn a_space_commit_builds_then_runs() {
    let sim = spawn_sim().await;
    let id = rid("sim-user/demo");
    sim.seed_repo(RepoType::Space, &id, files(&[("app.py", "import gradio")]), false);
    assert!(sim.wait_until(WAIT, |s| s.space_stage(&id).as_deref() == Some("RUNNING")).await);
    let rt = client(&sim, None).space_runtime(&id).await.expect("runtime");
    assert_eq!(rt.stage, SpaceStage::Running);
    assert_eq!(rt.hardware.current.as_deref(), Some("cpu-basic"));
}

#[tokio::test]
async fn a_scripted_runtime_error_shows_in_the_runtime_and_run_log() {
    let sim = spawn_sim().await;
    let id = rid("sim-user/demo");
    sim.seed_repo(RepoType::Space, &id, files(&[("README.md", "x")]), false);
    sim.script_build(&id, BuildOutcome::RuntimeError(vec!["Traceback: boom".into()]));
    let api = client(&sim, Some(sim.token()));
    let rt = api.restart_space(&id, false).await.expect("restart");
    assert_eq!(rt.stage, SpaceStage::NoAppFile);
    sim.commit_as("sim-user", RepoType::Space, &id, files(&[("app.py", "import gradio")]), "app");
    assert!(sim.wait_until(WAIT, |s| s.space_stage(&id).as_deref() == Some("RUNTIME_ERROR")).await);
    let rt = api.space_runtime(&id).await.expect("runtime");
    assert_eq!(rt.stage, SpaceStage::RuntimeError);
    assert!(rt.error_message.is_some());
    let run = api.space_logs(&id, LogKind::Run).await.expect("logs");
    assert!(run.iter().any(|l| l.data.contains("Traceback: boom")));
}

#[tokio::test]
async fn restart_pause_hardware_and_sleep_time_change_the_runtime() {
    let sim = spawn_sim().await;
    let id = rid("sim-user/demo");
    sim.seed_repo(RepoType::Space, &id, files(&[("app.py", "import gradio")]), false);
    sim.set_plan("sim-user", lora_space_bot::sim::Plan::Pro); // t4-small needs a payment method
    let api = client(&sim, Some(sim.token()));
    assert_eq!(api.restart_space(&id, true).await.expect("restart").stage, SpaceStage::Building);
    assert_eq!(api.pause_space(&id).await.expect("pause").stage, SpaceStage::Paused);
    assert!(matches!(api.set_space_sleep_time(&id, 600).await, Err(HubError::BadRequest { .. })), "not on cpu-basic");
    assert_eq!(api.request_space_hardware(&id, "t4-small").await.expect("hw").hardware.requested.as_deref(), Some("t4-small"));
    assert_eq!(api.set_space_sleep_time(&id, 600).await.expect("sleep").gc_timeout, Some(600));
    let err = client(&sim, Some(OTHER_TOKEN)).pause_space(&id).await.expect_err("403");
    assert!(matches!(err, HubError::Forbidden { .. }), "{err}");
}

#[tokio::test]
async fn secrets_are_write_only_and_variables_are_listed_with_values() {
    let sim = spawn_sim().await;
    let id = rid("sim-user/demo");
    sim.seed_repo(RepoType::Space, &id, files(&[("app.py", "x")]), false);
    let api = client(&sim, Some(sim.token()));
    api.add_space_secret(&id, "HF_TOKEN", &Secret::new("hf_abc"), Some("for gated models")).await.expect("secret");
    let secrets = api.list_space_secrets(&id).await.expect("secrets");
    assert_eq!(secrets.get("HF_TOKEN").and_then(|s| s.description.as_deref()), Some("for gated models"));
    api.delete_space_secret(&id, "HF_TOKEN").await.expect("deleted");
    assert!(api.list_space_secrets(&id).await.expect("secrets").is_empty());
    let vars = api.add_space_variable(&id, "MODEL_ID", "a/b", None).await.expect("var");
    assert_eq!(vars.get("MODEL_ID").map(|v| v.value.as_str()), Some("a/b"));
    assert!(api.delete_space_variable(&id, "MODEL_ID").await.expect("deleted").is_empty());
}

#[tokio::test]
async fn duplicating_a_space_copies_files_and_variables_but_not_secrets() {
    let sim = spawn_sim().await;
    let id = rid("sim-user/demo");
    sim.seed_repo(RepoType::Space, &id, files(&[("app.py", "import gradio")]), false);
    let owner = client(&sim, Some(sim.token()));
    owner.add_space_variable(&id, "K", "v", None).await.expect("var");
    owner.add_space_secret(&id, "S", &Secret::new("x"), None).await.expect("secret");
    sim.set_plan("other-user", lora_space_bot::sim::Plan::Pro); // a Gradio Space needs a paid plan
    let other = client(&sim, Some(OTHER_TOKEN));
    let req = DuplicateSpace { to: rid("other-user/preview"), visibility: Visibility::Private, hardware: None };
    let url = other.duplicate_space(&id, &req).await.expect("duplicated");
    assert!(url.ends_with("spaces/other-user/preview"), "{url}");
    assert_eq!(sim.file(RepoType::Space, &req.to, "main", "app.py").as_deref(), Some(&b"import gradio"[..]));
    assert!(other.list_space_variables(&req.to).await.expect("vars").contains_key("K"));
    assert!(other.list_space_secrets(&req.to).await.expect("secrets").is_empty());
    assert!(matches!(other.duplicate_space(&id, &req).await, Err(HubError::Conflict { .. })));
}
