//! Account plans (hub-constraints.md §3): Gradio/Docker Spaces need a paid plan (402), static
//! is free, a free user may still host 2 Gradio Spaces on ZeroGPU, and ZeroGPU hosting is
//! capped per plan (free 2, PRO 10, Team/Enterprise org 50).

use lora_space_bot::domain::RepoType;
use lora_space_bot::hub::{CreateRepo, DuplicateSpace, HubError, Visibility};
use lora_space_bot::sim::{Plan, SimConfig};

use super::{OTHER_TOKEN, OTHER_USER, client, files, rid, spawn_sim, spawn_sim_with};

fn space(name: &str, sdk: &str, hardware: Option<&str>) -> CreateRepo {
    CreateRepo { repo_type: RepoType::Space, id: rid(name), visibility: Visibility::Public, sdk: Some(sdk.into()), hardware: hardware.map(str::to_owned) }
}

#[tokio::test]
async fn a_free_user_gets_402_for_a_gradio_or_docker_space_and_nothing_is_created() {
    let sim = spawn_sim().await;
    let api = client(&sim, Some(sim.token()));
    for sdk in ["gradio", "docker"] {
        let err = api.create_repo(&space(&format!("sim-user/{sdk}-app"), sdk, None)).await.expect_err("402");
        assert_eq!(err.status(), Some(402), "{err}");
        assert!(matches!(err, HubError::BadRequest { .. }), "{err}");
        assert!(sim.space_stage(&rid(&format!("sim-user/{sdk}-app"))).is_none());
    }
    api.create_repo(&space("sim-user/page", "static", None)).await.expect("static Spaces are free");
}

#[tokio::test]
async fn a_free_user_may_host_two_gradio_spaces_on_zero_gpu_but_not_a_third() {
    let sim = spawn_sim().await;
    let api = client(&sim, Some(sim.token()));
    api.create_repo(&space("sim-user/z1", "gradio", Some("zero-a10g"))).await.expect("first");
    api.create_repo(&space("sim-user/z2", "gradio", Some("zero-a10g"))).await.expect("second");
    let err = api.create_repo(&space("sim-user/z3", "gradio", Some("zero-a10g"))).await.expect_err("cap");
    assert_eq!(err.status(), Some(403), "{err}");
    assert!(err.to_string().contains("maximum number of ZeroGPU Spaces"), "{err}");
}

#[tokio::test]
async fn pro_accounts_create_gradio_spaces_and_host_ten_on_zero_gpu() {
    let sim = spawn_sim_with(SimConfig { plans: vec![("sim-user".into(), Plan::Pro)], ..SimConfig::default() }).await;
    let api = client(&sim, Some(sim.token()));
    api.create_repo(&space("sim-user/cpu", "gradio", None)).await.expect("PRO creates Gradio Spaces");
    for i in 0..10 {
        api.create_repo(&space(&format!("sim-user/z{i}"), "gradio", Some("zero-a10g"))).await.expect("within the PRO cap");
    }
    let err = api.request_space_hardware(&rid("sim-user/cpu"), "zero-a10g").await.expect_err("an eleventh ZeroGPU Space");
    assert_eq!(err.status(), Some(403), "{err}");
    sim.set_plan("sim-user", Plan::Team);
    api.request_space_hardware(&rid("sim-user/cpu"), "zero-a10g").await.expect("a Team org hosts 50");
}

#[tokio::test]
async fn duplicating_into_a_free_account_is_402_unless_on_zero_gpu() {
    let sim = spawn_sim().await;
    let from = rid("sim-user/live");
    sim.seed_repo(RepoType::Space, &from, files(&[("app.py", "import gradio")]), false);
    let other = client(&sim, Some(OTHER_TOKEN));
    let plain = DuplicateSpace { to: rid(&format!("{OTHER_USER}/copy")), visibility: Visibility::Public, hardware: None };
    let err = other.duplicate_space(&from, &plain).await.expect_err("402");
    assert_eq!(err.status(), Some(402), "{err}");
    let zero = DuplicateSpace { to: rid(&format!("{OTHER_USER}/copy")), visibility: Visibility::Public, hardware: Some("zero-a10g".into()) };
    other.duplicate_space(&from, &zero).await.expect("a free user may host a ZeroGPU Gradio Space");
}

#[tokio::test]
async fn paid_gpu_hardware_needs_a_paid_plan() {
    let sim = spawn_sim().await;
    let id = rid("sim-user/demo");
    sim.seed_repo(RepoType::Space, &id, files(&[("app.py", "import gradio")]), false);
    let api = client(&sim, Some(sim.token()));
    assert_eq!(api.request_space_hardware(&id, "t4-small").await.expect_err("402").status(), Some(402));
    sim.set_plan("sim-user", Plan::Pro);
    api.request_space_hardware(&id, "t4-small").await.expect("PRO pays");
}
