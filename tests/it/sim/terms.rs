//! The Hub's other terms over real HTTP (hub-constraints.md): never-ending log streams (§5),
//! 409 for overlapping operations (§6), gated downloads (§4), the webhook trigger cap (§1),
//! and the `/_sim` admin routes.

use std::time::Duration;

use lora_space_bot::domain::RepoType;
use lora_space_bot::hub::{LogKind, Secret, WatchedItem, WebhookDomain, WebhookSpec};
use lora_space_bot::sim::SimConfig;

use super::{OTHER_TOKEN, OTHER_USER, WAIT, client, files, header, raw, receiver, rid, spawn_sim, spawn_sim_with};

#[tokio::test]
async fn run_logs_are_an_sse_stream_that_replays_then_follows_and_never_ends() {
    let sim = spawn_sim().await;
    let id = rid("sim-user/demo");
    sim.seed_repo(RepoType::Space, &id, files(&[("app.py", "import gradio")]), false);
    assert!(sim.wait_until(WAIT, |s| s.space_stage(&id).as_deref() == Some("RUNNING")).await);
    let mut resp = raw(&sim, reqwest::Method::GET, "api/spaces/sim-user/demo/logs/run", Some(sim.token()), None).await;
    assert_eq!(header(&resp, "content-type").as_deref(), Some("text/event-stream"));
    let first = resp.chunk().await.expect("chunk").expect("the replay");
    assert!(String::from_utf8_lossy(&first).starts_with("data: {\"data\":\"* Running on local URL"), "{first:?}");
    let idle = tokio::time::timeout(Duration::from_millis(700), resp.chunk()).await;
    assert!(idle.is_err(), "the stream stays open once replayed: {idle:?}");
    sim.commit_as("sim-user", RepoType::Space, &id, files(&[("app.py", "import gradio # v2")]), "v2");
    let next = tokio::time::timeout(WAIT, resp.chunk()).await.expect("the rebuild's lines arrive").expect("chunk").expect("bytes");
    assert!(String::from_utf8_lossy(&next).contains("Running on local URL"), "{next:?}");
    let ended = tokio::time::timeout(Duration::from_millis(700), resp.chunk()).await;
    assert!(ended.is_err(), "still open after the rebuild");
}

#[tokio::test]
async fn logs_need_auth_and_tail_keeps_the_last_lines_while_the_hub_client_stops_when_idle() {
    let sim = spawn_sim().await;
    let id = rid("sim-user/demo");
    sim.seed_repo(RepoType::Space, &id, files(&[("app.py", "import gradio")]), false);
    assert!(sim.wait_until(WAIT, |s| s.space_stage(&id).as_deref() == Some("RUNNING")).await);
    assert_eq!(raw(&sim, reqwest::Method::GET, "api/spaces/sim-user/demo/logs/build", None, None).await.status(), 401);
    let mut tail = raw(&sim, reqwest::Method::GET, "api/spaces/sim-user/demo/logs/build?tail=1", Some(sim.token()), None).await;
    let text = String::from_utf8_lossy(&tail.chunk().await.expect("chunk").expect("bytes")).into_owned();
    assert_eq!(text.matches("data: ").count(), 1, "{text}");
    assert!(text.contains("Successfully built"), "{text}");
    let started = std::time::Instant::now();
    let lines = client(&sim, Some(sim.token())).space_logs(&id, LogKind::Build).await.expect("logs");
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(started.elapsed() < Duration::from_secs(4), "read until idle, not until a timeout: {:?}", started.elapsed());
}

fn create_body(name: &str) -> String {
    serde_json::json!({ "name": name, "type": "model" }).to_string()
}

async fn post_json(sim: &lora_space_bot::sim::SimHandle, path: &str, body: String) -> reqwest::Response {
    let url = sim.base_url().join(path).expect("url");
    reqwest::Client::new().post(url).bearer_auth(sim.token()).header("content-type", "application/json").body(body).send().await.expect("response")
}

#[tokio::test]
async fn a_second_creation_by_the_same_user_while_one_is_in_progress_is_409() {
    let sim = spawn_sim_with(SimConfig { op_window: Duration::from_millis(400), ..SimConfig::default() }).await;
    let (a, b) = tokio::join!(post_json(&sim, "api/repos/create", create_body("one")), async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        post_json(&sim, "api/repos/create", create_body("two")).await
    });
    assert_eq!(a.status(), 200);
    assert_eq!(b.status(), 409);
    assert_eq!(header(&b, "x-error-message").as_deref(), Some("Cannot create repo: another conflicting operation is in progress"));
    assert_eq!(post_json(&sim, "api/repos/create", create_body("two")).await.status(), 200, "free again once the first is done");
}

#[tokio::test]
async fn a_second_commit_to_a_repo_while_one_is_in_progress_is_409() {
    let sim = spawn_sim_with(SimConfig { op_window: Duration::from_millis(400), ..SimConfig::default() }).await;
    let id = rid("sim-user/lora");
    sim.seed_repo(RepoType::Model, &id, files(&[("a", "1")]), false);
    let commit = |n: &str| format!("{{\"key\":\"header\",\"value\":{{\"summary\":\"c{n}\"}}}}\n{{\"key\":\"file\",\"value\":{{\"path\":\"f{n}\",\"content\":\"eA==\",\"encoding\":\"base64\"}}}}\n");
    let (a, b) = tokio::join!(raw(&sim, reqwest::Method::POST, "api/models/sim-user/lora/commit/main", Some(sim.token()), Some(commit("1"))), async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        raw(&sim, reqwest::Method::POST, "api/models/sim-user/lora/commit/main", Some(sim.token()), Some(commit("2"))).await
    });
    assert_eq!((a.status().as_u16(), b.status().as_u16()), (200, 409));
    assert_eq!(header(&b, "x-error-message").as_deref(), Some("Another commit operation is in progress for this repository"));
    assert!(sim.file(RepoType::Model, &id, "main", "f2").is_none());
}

#[tokio::test]
async fn a_gated_base_downloads_only_with_a_token_of_a_granted_user() {
    let sim = spawn_sim_with(SimConfig { gated: vec!["black-forest-labs/FLUX.1-dev".into()], grants: vec![(OTHER_USER.into(), "black-forest-labs/FLUX.1-dev".into())], ..SimConfig::default() }).await;
    let path = "black-forest-labs/FLUX.1-dev/resolve/main/README.md";
    let anon = raw(&sim, reqwest::Method::GET, path, None, None).await;
    assert_eq!((anon.status().as_u16(), header(&anon, "x-error-code").as_deref()), (401, Some("GatedRepo")));
    let denied = raw(&sim, reqwest::Method::GET, path, Some(sim.token()), None).await;
    assert_eq!((denied.status().as_u16(), header(&denied, "x-error-code").as_deref()), (403, Some("GatedRepo")));
    assert_eq!(raw(&sim, reqwest::Method::GET, path, Some(OTHER_TOKEN), None).await.status(), 200);
}

#[tokio::test]
async fn a_webhook_past_its_daily_cap_is_refused_and_counted_until_the_day_rolls() {
    let sim = spawn_sim_with(SimConfig { webhook_daily_cap: 3, ..SimConfig::default() }).await;
    let id = rid("sim-user/lora");
    sim.seed_repo(RepoType::Model, &id, files(&[("a", "0")]), false);
    let spec = WebhookSpec { watched: vec![WatchedItem { kind: "model".into(), name: id.to_string() }], url: receiver().await, domains: vec![WebhookDomain::Repo], secret: Some(Secret::new("s")) };
    let hook = client(&sim, Some(sim.token())).create_webhook(&spec).await.expect("webhook");
    for i in 1..=5 {
        sim.commit_as("sim-user", RepoType::Model, &id, files(&[("a", &i.to_string())]), "push");
    }
    assert!(sim.wait_until(WAIT, |s| s.trigger_counts().get(&hook.id).is_some_and(|c| c.total + c.refused == 5)).await);
    assert_eq!(sim.deliveries().len(), 3);
    let counts = sim.trigger_counts()[&hook.id];
    assert_eq!((counts.last_24h, counts.total, counts.refused), (3, 3, 2));
    let admin: serde_json::Value = reqwest::get(sim.base_url().join("_sim/triggers").expect("url")).await.expect("admin").json().await.expect("json");
    assert_eq!(admin[&hook.id]["refused"], 2);
    sim.advance_clock(Duration::from_secs(24 * 3600));
    sim.commit_as("sim-user", RepoType::Model, &id, files(&[("a", "6")]), "push");
    assert!(sim.wait_for_deliveries(4, WAIT).await.len() == 4, "a day later the webhook delivers again");
}

#[tokio::test]
async fn the_admin_routes_set_plans_gates_grants_and_faults_outside_the_call_log() {
    let sim = spawn_sim().await;
    let admin = |p: &str| sim.base_url().join(p).expect("url");
    let http = reqwest::Client::new();
    let space = serde_json::json!({ "name": "app", "type": "space", "sdk": "gradio" }).to_string();
    assert_eq!(post_json(&sim, "api/repos/create", space.clone()).await.status(), 402);
    http.post(admin("_sim/plans")).json(&serde_json::json!({ "user": "sim-user", "plan": "pro" })).send().await.expect("plan");
    assert_eq!(post_json(&sim, "api/repos/create", space).await.status(), 200);
    http.post(admin("_sim/gated")).json(&serde_json::json!({ "repo": "org/base" })).send().await.expect("gate");
    assert_eq!(raw(&sim, reqwest::Method::HEAD, "org/base/resolve/main/README.md", Some(OTHER_TOKEN), None).await.status(), 403);
    http.post(admin("_sim/grants")).json(&serde_json::json!({ "user": OTHER_USER, "repo": "org/base" })).send().await.expect("grant");
    assert_eq!(raw(&sim, reqwest::Method::HEAD, "org/base/resolve/main/README.md", Some(OTHER_TOKEN), None).await.status(), 200);
    http.post(admin("_sim/faults")).json(&serde_json::json!({ "method": "GET", "path": "/api/whoami-v2", "status": 503, "times": 2 })).send().await.expect("fault");
    for _ in 0..2 {
        assert_eq!(raw(&sim, reqwest::Method::GET, "api/whoami-v2", Some(sim.token()), None).await.status(), 503);
    }
    assert_eq!(raw(&sim, reqwest::Method::GET, "api/whoami-v2", Some(sim.token()), None).await.status(), 200);
    assert!(sim.calls().iter().all(|c| !c.path.starts_with("/_sim")), "admin calls are not Hub calls");
    let state: serde_json::Value = http.get(admin("_sim/state")).send().await.expect("state").json().await.expect("json");
    assert_eq!(state["plans"]["sim-user"], "pro");
    assert_eq!(state["gated"][0]["grants"][0], OTHER_USER);
}
