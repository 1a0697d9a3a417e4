//! The smoke stage on the Hub's terms: a preview only when it can run the app, honest
//! "skipped" / "inconclusive" verdicts when it cannot, no smoke for a human's PR, and the
//! Gradio token kept on the Space's own host.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use lora_space_bot::domain::RepoType;
use lora_space_bot::queue::Outcome;
use lora_space_bot::sim::{Fault, FaultRule};
use lora_space_bot::smoke::gradio::GradioClient;
use lora_space_bot::smoke::job::{SmokeSettings, smoke_job};
use lora_space_bot::smoke::preview::PreviewMode;
use lora_space_bot::smoke::report::{Gate, SMOKE_MARKER, Verdict};

use crate::helpers::{BOT, OWNER, OWNER_TOKEN, hub_client, id};
use crate::smoke::{SmokeWorld, edited, golden, live_settings, settled};

const CORGI: (&str, &str, &[&str]) = ("02-flux-dev-dreambooth-corgi", "tkato/corgi-dreambooth-flux-lora", &["README.md", "pytorch_lora_weights.safetensors"]);

fn on(mode: PreviewMode) -> SmokeSettings {
    let mut s = live_settings();
    s.preview.mode = mode;
    s
}

#[tokio::test(flavor = "multi_thread")]
async fn a_gpu_app_is_not_tried_on_a_cpu_basic_preview_and_the_comment_says_why() {
    let (golden_name, lora, files) = CORGI;
    let w = SmokeWorld::new(golden_name, lora, files, &format!("{OWNER}/corgi-cpu")).await;
    let pr = w.open_bot_pr(edited(golden_name, |a| format!("{a}\n# regenerated\n"))).await;
    let report = w.run_smoke_with(pr, on(PreviewMode::Hardware("cpu-basic".into()))).await;
    let (comment, _) = w.comment_and_body(pr);
    assert_eq!(report.gate(Gate::Local).map(|g| g.verdict), Some(Verdict::Pass), "{comment}");
    assert_eq!(report.gate(Gate::Running).map(|g| g.verdict), Some(Verdict::Skipped), "{comment}");
    assert!(comment.contains("the app needs a GPU") && comment.contains("cpu-basic"), "{comment}");
    assert_eq!(w.sim.space_stage(&id(&format!("{BOT}/{OWNER}_corgi-cpu-pr-{pr}"))), None, "no preview was created");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_402_at_preview_creation_gives_a_skipped_comment_and_no_dead_letter() {
    let (golden_name, lora, files) = CORGI;
    let w = SmokeWorld::new(golden_name, lora, files, &format!("{OWNER}/corgi-402")).await;
    let pr = w.open_bot_pr(edited(golden_name, |a| format!("{a}\n# regenerated\n"))).await;
    w.sim.inject(FaultRule::new(Some("POST"), "/api/repos/create", Fault::Status(402)));
    let job = smoke_job(w.lora.clone(), w.space.clone(), pr, "0123456789abcdef", time::OffsetDateTime::now_utc());
    let outcome = lora_space_bot::smoke::job::run(&w.hub, BOT, &on(PreviewMode::ZeroGpu), &job).await;
    assert_eq!(outcome, Outcome::Done, "a refused preview is a verdict, not a dead letter");
    let (comment, body) = w.comment_and_body(pr);
    assert!(comment.contains("the preview Space could not be created") && comment.contains("402"), "{comment}");
    assert!(comment.contains("| preview reaches RUNNING | ➖ skipped |"), "{comment}");
    assert!(comment.contains("| local harness | ✅ pass |"), "the local gate still gives its verdict: {comment}");
    assert!(comment.contains("Tested PR head `0123456789ab`"), "{comment}");
    assert!(body.contains("✅ **passed**: every gate that ran"), "{body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_humans_pr_commit_on_the_space_triggers_no_smoke() {
    use crate::helpers::{SECRET, amqp_url, spawn_receiver, spawn_worker, topology, unique_prefix};
    use lora_space_bot::hub::{CommitOperation, CommitRequest, CommitTarget, WatchedItem, WebhookDomain, WebhookSpec};
    let (golden_name, lora, files) = CORGI;
    let w = SmokeWorld::new(golden_name, lora, files, &format!("{OWNER}/corgi-human")).await;
    let receiver = spawn_receiver(&amqp_url(), &[(&w.lora.to_string(), &w.space.to_string())], topology(&unique_prefix("smoke-human"), 1)).await;
    let owner = hub_client(&w.sim, OWNER_TOKEN);
    let spec = WebhookSpec {
        watched: vec![WatchedItem { kind: "space".into(), name: w.space.to_string() }],
        url: format!("{}/webhooks/hub", receiver.url),
        domains: vec![WebhookDomain::Repo, WebhookDomain::Discussion],
        secret: Some(SECRET.into()),
    };
    owner.create_webhook(&spec).await.expect("webhook registered");
    let mut done = spawn_worker(&w.sim, lora_space_bot::queue::Broker::Amqp(receiver.broker.clone()), &receiver.shutdown).await;
    w.sim.clear_calls();
    let req = CommitRequest {
        summary: "A typo fix".into(),
        description: "by hand".into(),
        parent_commit: None,
        operations: vec![CommitOperation::Upload { path: "app.py".into(), content: edited(golden_name, |a| format!("{a}\n# mine\n"))["app.py"].clone().into() }],
    };
    let pr = owner.commit(RepoType::Space, &w.space, CommitTarget::NewPullRequest, &req).await.expect("human PR").pull_request.expect("PR").num;
    let (job, outcome) = crate::helpers::next_outcome(&mut done, Duration::from_secs(60)).await;
    assert_eq!((job.kind.as_str(), outcome), ("smoke", Outcome::Done));
    let d = w.sim.discussions(RepoType::Space, &w.space).into_iter().find(|d| d.num == pr).expect("the PR");
    assert!(d.comments.iter().all(|c| !c.starts_with(SMOKE_MARKER)), "the bot says nothing on a human's PR: {:?}", d.comments);
    let bot_calls: Vec<_> = w.sim.calls().into_iter().filter(|c| c.user.as_deref() == Some(BOT)).map(|c| format!("{} {}", c.method, c.path)).collect();
    assert!(bot_calls.len() <= 2, "one read of the PR decides (plus whoami): {bot_calls:?}");
    assert!(bot_calls.iter().all(|c| c.starts_with("GET")), "{bot_calls:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_gradio_token_never_crosses_a_redirect_or_goes_to_another_host() {
    use axum::extract::State;
    use axum::http::HeaderMap;
    use axum::response::{IntoResponse, Redirect};
    use axum::routing::get;
    type Seen = Arc<Mutex<Vec<(String, bool)>>>;
    async fn record(State(seen): State<Seen>, uri: axum::http::Uri, h: HeaderMap) -> axum::response::Response {
        seen.lock().expect("lock").push((uri.path().to_owned(), h.contains_key("x-hf-authorization")));
        axum::Json(serde_json::json!({"version": "6.31.0", "api_prefix": "/gradio_api"})).into_response()
    }
    let seen: Seen = Arc::default();
    let other = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let other_addr = other.local_addr().expect("addr");
    tokio::spawn(axum::serve(other, axum::Router::new().fallback(record).with_state(seen.clone())).into_future());
    let space = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let space_addr = space.local_addr().expect("addr");
    let elsewhere = format!("http://localhost:{}/config", other_addr.port());
    let app = axum::Router::new()
        .route("/config", get(move || async move { Redirect::temporary(&elsewhere) }))
        .route("/gradio_api/file=x.png", get(|| async { "png" }))
        .fallback(record)
        .with_state(seen.clone());
    tokio::spawn(axum::serve(space, app).into_future());
    let err = GradioClient::connect(&format!("http://127.0.0.1:{}", space_addr.port()), Some("hf_preview_token".into()), Default::default()).await.expect_err("a redirect off the host is not followed");
    assert!(err.to_string().contains("307"), "{err}");
    assert!(seen.lock().expect("lock").is_empty(), "nothing reached the other host: {:?}", seen.lock().expect("lock"));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_local_gate_is_skipped_not_failed_when_the_harness_is_not_installed() {
    let (golden_name, lora, files) = CORGI;
    let w = SmokeWorld::new(golden_name, lora, files, &format!("{OWNER}/corgi-noharness")).await;
    assert_eq!(settled(&w.sim, &w.space).await, "RUNNING");
    let pr = w.open_bot_pr(golden(golden_name)).await;
    let mut settings = SmokeSettings::default();
    settings.local.python = "/nonexistent/python3".into();
    let report = w.run_smoke_with(pr, settings).await;
    let (comment, _) = w.comment_and_body(pr);
    assert_eq!(report.gate(Gate::Local).map(|g| g.verdict), Some(Verdict::Skipped), "{comment}");
    assert!(comment.contains("skipped: harness not installed"), "{comment}");
    assert_ne!(report.overall(), Verdict::Fail, "{comment}");
}
