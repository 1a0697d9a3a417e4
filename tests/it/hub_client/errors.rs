//! Error classes (401, 403, 404, 409, 412, 429, 5xx, timeout) and retry decisions, asserted
//! through the simulator's call log.

use std::time::{Duration, Instant};

use lora_space_bot::domain::RepoType;
use lora_space_bot::hub::{HubClient, HubError, NotFoundKind};
use lora_space_bot::sim::{Fault, FaultRule};

use crate::sim::{client, files, rid, settings, spawn_sim};

fn calls_to(sim: &lora_space_bot::sim::SimHandle, fragment: &str) -> usize {
    sim.calls().iter().filter(|c| c.path.contains(fragment)).count()
}

#[tokio::test]
async fn an_unknown_token_is_unauthorized_and_not_retried() {
    let sim = spawn_sim().await;
    let err = client(&sim, Some("hf_wrong")).whoami().await.expect_err("401");
    assert!(matches!(&err, HubError::Unauthorized { ctx } if ctx.message.as_deref() == Some("Invalid credentials in Authorization header")), "{err}");
    assert!(err.request_id().is_some());
    assert_eq!(sim.calls().len(), 1);
}

#[tokio::test]
async fn anonymous_read_of_private_repo_is_401() {
    let sim = spawn_sim().await;
    let id = rid("sim-user/private-lora");
    sim.seed_repo(RepoType::Model, &id, files(&[("a", "1")]), true);
    let err = client(&sim, None).model_info(&id, None).await.expect_err("401");
    assert!(matches!(err, HubError::Unauthorized { .. }), "{err}");
    assert_eq!(err.status(), Some(401));
}

#[tokio::test]
async fn authenticated_read_of_a_missing_repo_is_404_repo_not_found_after_one_call() {
    let sim = spawn_sim().await;
    let err = client(&sim, Some(sim.token())).model_info(&rid("ghost/nothing"), None).await.expect_err("404");
    assert!(err.is_not_found(NotFoundKind::RepoNotFound), "{err}");
    assert!(!err.is_transient());
    assert_eq!(sim.calls().len(), 1);
}

#[tokio::test]
async fn two_503s_then_success_make_three_calls() {
    let sim = spawn_sim().await;
    let id = rid("sim-user/lora");
    sim.seed_repo(RepoType::Model, &id, files(&[("a", "1")]), false);
    sim.inject(FaultRule::new(Some("GET"), "/api/models/*", Fault::Status(503)).times(2));
    let info = client(&sim, None).model_info(&id, None).await.expect("third call succeeds");
    assert_eq!(info.id, "sim-user/lora");
    let statuses: Vec<Option<u16>> = sim.calls().iter().map(|c| c.status).collect();
    assert_eq!(statuses, [Some(503), Some(503), Some(200)]);
}

#[tokio::test]
async fn persistent_5xx_exhausts_the_retry_budget_and_is_a_server_error() {
    let sim = spawn_sim().await;
    sim.inject(FaultRule::new(None, "/api/whoami-v2", Fault::Status(502)).times(10));
    let err = client(&sim, Some(sim.token())).whoami().await.expect_err("5xx");
    assert!(matches!(err, HubError::Server { .. }) && err.is_transient(), "{err}");
    assert_eq!(sim.calls().len(), 4, "one call plus max_retries=3");
}

#[tokio::test]
async fn a_429_is_retried_after_the_retry_after_seconds() {
    let sim = spawn_sim().await;
    sim.inject(FaultRule::new(None, "/api/whoami-v2", Fault::RateLimited { retry_after_secs: 1 }));
    let started = Instant::now();
    client(&sim, Some(sim.token())).whoami().await.expect("retried");
    assert!(started.elapsed() >= Duration::from_secs(1), "waited {:?}", started.elapsed());
    assert_eq!(sim.calls().len(), 2);
}

#[tokio::test]
async fn a_429_asking_for_longer_than_the_budget_is_returned_with_its_wait() {
    let sim = spawn_sim().await;
    sim.inject(FaultRule::new(None, "/api/whoami-v2", Fault::RateLimited { retry_after_secs: 600 }));
    let err = client(&sim, Some(sim.token())).whoami().await.expect_err("429");
    // `RateLimit: …;r=0;t=600` names the reset; the wait is one second past it (huggingface_hub's).
    assert!(matches!(err, HubError::RateLimited { retry_after: Some(d), .. } if d == Duration::from_secs(601)), "{err}");
    assert_eq!(err.retry_after(), Some(Duration::from_secs(601)));
    assert_eq!(sim.calls().len(), 1);
}

#[tokio::test]
async fn a_slow_answer_times_out_and_the_retry_succeeds() {
    let sim = spawn_sim().await;
    sim.inject(FaultRule::new(None, "/api/whoami-v2", Fault::Latency(Duration::from_secs(3))));
    let api = HubClient::new(&lora_space_bot::hub::HubSettings { timeout: Duration::from_millis(300), ..settings(&sim, Some(sim.token())) }).expect("client");
    api.whoami().await.expect("second attempt is fast");
    assert_eq!(sim.calls().len(), 2);
}

#[tokio::test]
async fn a_timeout_without_retries_left_is_a_timeout_error() {
    let sim = spawn_sim().await;
    sim.inject(FaultRule::new(None, "/api/whoami-v2", Fault::Latency(Duration::from_secs(3))));
    let s = lora_space_bot::hub::HubSettings { timeout: Duration::from_millis(300), max_retries: 0, ..settings(&sim, Some(sim.token())) };
    let err = HubClient::new(&s).expect("client").whoami().await.expect_err("timeout");
    assert!(matches!(err, HubError::Timeout { .. }) && err.is_transient(), "{err}");
}

#[tokio::test]
async fn a_dropped_connection_on_a_read_is_retried() {
    let sim = spawn_sim().await;
    sim.inject(FaultRule::new(None, "/api/whoami-v2", Fault::Drop));
    client(&sim, Some(sim.token())).whoami().await.expect("retry succeeds");
    assert_eq!(calls_to(&sim, "whoami"), 2);
}

#[tokio::test]
async fn errors_never_contain_the_token() {
    let sim = spawn_sim().await;
    sim.inject(FaultRule::new(None, "/api/whoami-v2", Fault::Status(500)).times(10));
    let token = "hf_very_secret_value";
    sim.add_user("x", token);
    let api = client(&sim, Some(token));
    let err = api.whoami().await.expect_err("500");
    assert!(!format!("{err} {err:?} {api:?}").contains(token));
}

#[tokio::test]
async fn a_gated_repo_shows_its_metadata_but_downloads_need_approval() {
    let sim = spawn_sim().await;
    let id = rid("sim-user/gated-base");
    sim.seed_repo(RepoType::Model, &id, files(&[("model_index.json", "{}")]), false);
    sim.set_gated(RepoType::Model, &id, Some("manual"));
    let other = client(&sim, Some(crate::sim::OTHER_TOKEN));
    assert!(other.model_info(&id, None).await.expect("metadata is public").is_gated());
    let denied = other.download(RepoType::Model, &id, "main", "model_index.json").await.expect_err("403");
    assert!(matches!(denied, HubError::Forbidden { .. }) && denied.is_gated_repo(), "{denied}");
    let anon = client(&sim, None).download(RepoType::Model, &id, "main", "model_index.json").await.expect_err("401");
    assert!(matches!(anon, HubError::Unauthorized { .. }) && anon.is_gated_repo(), "{anon}");
    sim.grant_gate(RepoType::Model, &id, crate::sim::OTHER_USER);
    other.download(RepoType::Model, &id, "main", "model_index.json").await.expect("approved");
}

#[tokio::test]
async fn every_exchange_including_retries_is_counted_by_route_and_status() {
    let sim = spawn_sim().await;
    let id = rid("sim-user/lora");
    sim.seed_repo(RepoType::Model, &id, files(&[("a", "1")]), false);
    sim.inject(FaultRule::new(Some("GET"), "/api/models/*", Fault::Status(503)).times(1));
    let metrics = lora_space_bot::metrics::Metrics::new();
    let hub = client(&sim, Some(sim.token())).with_metrics(metrics.clone());
    hub.model_info(&id, None).await.expect("second call succeeds");
    hub.model_info(&rid("ghost/nothing"), None).await.expect_err("404");
    let text = metrics.render();
    for needle in [
        "lsb_hub_calls_total{route=\"GET /api/models/{id}\",status=\"503\"} 1",
        "lsb_hub_calls_total{route=\"GET /api/models/{id}\",status=\"200\"} 1",
        "lsb_hub_calls_total{route=\"GET /api/models/{id}\",status=\"404\"} 1",
    ] {
        assert!(text.contains(needle), "{needle} missing from\n{text}");
    }
}
