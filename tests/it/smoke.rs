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
use lora_space_bot::queue::Outcome;
use lora_space_bot::smoke::job::{SmokeSettings, Step, cleanup_job, smoke_job, step};
use lora_space_bot::smoke::preview::{self, PreviewMode};
use lora_space_bot::smoke::report::{Gate, SMOKE_MARKER, SmokeReport, Verdict};
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
        // Gradio previews need a paid plan (hub-constraints.md §3); tests of a free bot set it back.
        plans: vec![(BOT.into(), lora_space_bot::sim::Plan::Pro)],
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
    sim.set_space_hardware(&space, "zero-a10g"); // a ZeroGPU app needs ZeroGPU hardware (hub-constraints.md §3)
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
    sim.set_space_hardware(&space, "zero-a10g"); // a ZeroGPU app needs ZeroGPU hardware (hub-constraints.md §3)
    assert_eq!(settled(&sim, &space).await, "RUNTIME_ERROR");
    let hub = hub_client(&sim, BOT_TOKEN);
    let log: String = hub.space_logs(&space, LogKind::Run).await.expect("run log").into_iter().map(|l| l.data).collect();
    assert!(log.contains("does not appear to have a file named pytorch_lora_weights.safetensors"), "{log}");
    assert!(hub.space_info(&space, None).await.expect("info").host.is_some_and(|h| h.ends_with(".not-served-by-the-sim.invalid")));
}

/// A LoRA, its live Space (owned by the LoRA owner, running the golden app) and the bot.
pub struct SmokeWorld {
    pub sim: SimHandle,
    pub hub: lora_space_bot::hub::HubClient,
    pub lora: RepoId,
    pub space: RepoId,
}

impl SmokeWorld {
    pub async fn new(golden_name: &str, lora: &str, lora_files: &[&str], space: &str) -> Self {
        let sim = spawn_sim_with_harness().await;
        let lora = seed_lora(&sim, lora, lora_files);
        let space = id(space);
        sim.commit_as(OWNER, RepoType::Space, &space, golden(golden_name), "live app");
        sim.set_space_hardware(&space, "zero-a10g"); // the live Space runs on ZeroGPU
        let hub = hub_client(&sim, BOT_TOKEN);
        Self { sim, hub, lora, space }
    }

    /// The bot opens its PR with these files (as the sync stage would).
    pub async fn open_bot_pr(&self, files: BTreeMap<String, Vec<u8>>) -> u64 {
        use lora_space_bot::hub::{CommitOperation, CommitRequest, CommitTarget};
        let operations = files.into_iter().map(|(path, content)| CommitOperation::Upload { path, content: content.into() }).collect();
        let req = CommitRequest {
            summary: format!("{} Sync with {}@abcdef1", lora_space_bot::publish::pr_body::TITLE_TAG, self.lora),
            description: "Regenerated demo.\n\n## Smoke test\n\n_Pending: the smoke test reports here and in a comment._\n\n## Steering the bot\n\n- ...\n".to_owned(),
            parent_commit: None,
            operations,
        };
        let out = self.hub.commit(RepoType::Space, &self.space, CommitTarget::NewPullRequest, &req).await.expect("PR opened");
        out.pull_request.expect("a PR").num
    }

    /// Runs smoke steps until a verdict, as the queue would redeliver them, with a ZeroGPU
    /// preview; between polls it awaits the preview's next stage instead of the delay tier.
    pub async fn run_smoke(&self, pr: u64) -> SmokeReport {
        self.run_smoke_with(pr, live_settings()).await
    }

    /// [`Self::run_smoke`] with these settings; prints each step's duration.
    pub async fn run_smoke_with(&self, pr: u64, settings: SmokeSettings) -> SmokeReport {
        let preview = preview::preview_id(&settings.preview, BOT, &self.space, pr).expect("preview id");
        let head = self.sim.head(RepoType::Space, &self.space, &format!("refs/pr/{pr}")).map(|h| h.to_string()).unwrap_or_else(|| "head".into());
        let mut job = smoke_job(self.lora.clone(), self.space.clone(), pr, &head, time::OffsetDateTime::now_utc());
        for _ in 0..20 {
            let started = std::time::Instant::now();
            let step = step(&self.hub, BOT, &settings, &job, time::OffsetDateTime::now_utc()).await.expect("smoke step");
            eprintln!("smoke step {} took {:?}", job.attempt, started.elapsed());
            assert!(started.elapsed() < Duration::from_secs(120), "a smoke step held the delivery for {:?}", started.elapsed());
            match step {
                Step::Finished(report) => return report,
                Step::NothingToDo(why) => panic!("no smoke test: {why}"),
                Step::Poll { progress, .. } => {
                    job.attempt += 1;
                    job.progress = serde_json::to_value(*progress).ok();
                    settled(&self.sim, &preview).await;
                }
            }
        }
        panic!("no verdict after 20 steps")
    }

    /// The bot's smoke comment and the PR body.
    pub fn comment_and_body(&self, pr: u64) -> (String, String) {
        let d = self.sim.discussions(RepoType::Space, &self.space).into_iter().find(|d| d.num == pr).expect("the PR");
        let comment = d.comments.iter().find(|c| c.starts_with(SMOKE_MARKER)).cloned().unwrap_or_default();
        (comment, d.comments.first().cloned().unwrap_or_default())
    }
}

/// Smoke settings with a ZeroGPU preview and short polls (the queue's delay tiers are skipped).
pub fn live_settings() -> SmokeSettings {
    let mut s = SmokeSettings { poll_every: Duration::from_secs(1), deadline: Duration::from_secs(240), ..SmokeSettings::default() };
    s.preview.mode = PreviewMode::ZeroGpu;
    s
}

pub fn edited(name: &str, f: impl Fn(&str) -> String) -> BTreeMap<String, Vec<u8>> {
    let mut files = golden(name);
    let app = String::from_utf8(files["app.py"].clone()).expect("utf-8");
    files.insert("app.py".into(), f(&app).into_bytes());
    files
}

const CORGI: (&str, &str, &[&str]) = ("02-flux-dev-dreambooth-corgi", "tkato/corgi-dreambooth-flux-lora", &["README.md", "pytorch_lora_weights.safetensors"]);
const PLUSHIE: (&str, &str, &[&str]) = ("11-kontext-dreambooth-plushie", "felt-factory/kontext-plushie-lora", &["README.md", "pytorch_lora_weights.safetensors"]);

#[tokio::test(flavor = "multi_thread")]
async fn a_text_to_image_bot_pr_passes_every_gate_with_a_png_output() {
    let (golden_name, lora, files) = CORGI;
    let w = SmokeWorld::new(golden_name, lora, files, &format!("{OWNER}/corgi-demo")).await;
    assert_eq!(settled(&w.sim, &w.space).await, "RUNNING");
    let pr = w.open_bot_pr(edited(golden_name, |a| format!("{a}\n# regenerated\n"))).await;
    w.sim.clear_calls();
    let report = w.run_smoke(pr).await;
    assert_eq!(report.overall(), Verdict::Pass, "{}", report.comment());
    let calls: Vec<String> = w.sim.calls().into_iter().filter(|c| c.user.as_deref() == Some(BOT)).map(|c| format!("{} {}", c.method, c.path)).collect();
    let api: Vec<&String> = calls.iter().filter(|c| !c.contains("/resolve/")).collect();
    let writes: Vec<&String> = calls.iter().filter(|c| c.starts_with("POST") && c.contains("/comment")).collect();
    eprintln!("one full smoke run: {} API calls, {} resolver calls, {} comment writes: {api:#?}", api.len(), calls.len() - api.len(), writes.len());
    assert!(api.len() <= 30, "a full smoke run stays within 30 Hub API calls: {api:#?}");
    assert!(writes.len() <= 2, "the comment and the PR body are written once each (≤ 2 webhook triggers): {writes:?}");
    let (comment, body) = w.comment_and_body(pr);
    assert!(comment.contains("/generate example 1: PNG"), "the app's declared example is called: {comment}");
    assert!(comment.contains("| API contract | ✅ pass |"), "{comment}");
    assert!(body.contains("## Smoke test\n\n✅ **passed**"), "{body}");
    assert!(comment.contains("| local harness | ✅ pass |"), "{comment}");
    let preview = id(&format!("{BOT}/{OWNER}_corgi-demo-pr-{pr}"));
    assert_eq!(w.sim.space_stage(&preview), None, "the preview is deleted once its verdict is posted");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_image_to_image_bot_pr_passes_every_gate_with_an_image_output() {
    let (golden_name, lora, files) = PLUSHIE;
    let w = SmokeWorld::new(golden_name, lora, files, &format!("{OWNER}/plushie-demo")).await;
    assert_eq!(settled(&w.sim, &w.space).await, "RUNNING");
    let pr = w.open_bot_pr(edited(golden_name, |a| format!("{a}\n# regenerated\n"))).await;
    let report = w.run_smoke(pr).await;
    assert_eq!(report.overall(), Verdict::Pass, "{}", report.comment());
    let inference = report.gate(Gate::Inference).expect("inference gate");
    assert!(inference.details.iter().any(|d| d.contains("PNG") || d.contains("JPEG") || d.contains("WEBP")), "{:?}", inference.details);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_pipeline_kwarg_fails_the_local_gate_naming_the_kwarg_before_any_preview() {
    let (golden_name, lora, files) = CORGI;
    let w = SmokeWorld::new(golden_name, lora, files, &format!("{OWNER}/corgi-kwarg")).await;
    let pr = w.open_bot_pr(edited(golden_name, |a| a.replace("num_inference_steps=", "num_inference_step="))).await;
    let report = w.run_smoke(pr).await;
    assert_eq!(report.failed_gate(), Some(Gate::Local), "{}", report.comment());
    assert_eq!(w.sim.space_stage(&id(&format!("{BOT}/{OWNER}_corgi-kwarg-pr-{pr}"))), None, "no preview was created");
    let (comment, _) = w.comment_and_body(pr);
    assert!(comment.contains("unexpected keyword argument 'num_inference_step'"), "{comment}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_weights_file_name_fails_the_local_gate_with_the_explaining_error() {
    let (golden_name, lora, files) = CORGI;
    let w = SmokeWorld::new(golden_name, lora, files, &format!("{OWNER}/corgi-weights")).await;
    let pr = w.open_bot_pr(edited(golden_name, |a| a.replace("WEIGHT_NAME = \"pytorch_lora_weights.safetensors\"", "WEIGHT_NAME = \"corgi.safetensors\""))).await;
    let report = w.run_smoke(pr).await;
    assert_eq!(report.failed_gate(), Some(Gate::Local), "{}", report.comment());
    let (comment, body) = w.comment_and_body(pr);
    assert!(comment.contains("does not appear to have a file named corgi.safetensors"), "{comment}");
    assert!(body.contains("failed** at gate *local harness*"), "{body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_import_fails_a_gate_with_the_explaining_message() {
    let (golden_name, lora, files) = CORGI;
    let w = SmokeWorld::new(golden_name, lora, files, &format!("{OWNER}/corgi-import")).await;
    let pr = w.open_bot_pr(edited(golden_name, |a| a.replace("import random\n", "import random\nimport imageio\n"))).await;
    let report = w.run_smoke(pr).await;
    let (comment, _) = w.comment_and_body(pr);
    assert_eq!(report.failed_gate(), Some(Gate::Static), "{comment}");
    assert!(comment.contains("import imageio is not covered by requirements.txt"), "{comment}");
    assert!(!comment.contains("preview Space"), "no preview was deployed: {comment}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_import_of_a_name_diffusers_lacks_fails_the_local_gate_with_the_import_error() {
    let (golden_name, lora, files) = CORGI;
    let w = SmokeWorld::new(golden_name, lora, files, &format!("{OWNER}/corgi-badname")).await;
    let pr = w.open_bot_pr(edited(golden_name, |a| a.replace("from diffusers import FluxPipeline", "from diffusers import FluxPipeline, FluxLoraPipeline"))).await;
    let report = w.run_smoke(pr).await;
    let (comment, _) = w.comment_and_body(pr);
    assert_eq!(report.failed_gate(), Some(Gate::Local), "{comment}");
    assert!(comment.contains("ImportError: cannot import name 'FluxLoraPipeline' from 'diffusers'"), "{comment}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_api_contract_break_against_the_live_space_is_reported() {
    let (golden_name, lora, files) = CORGI;
    let w = SmokeWorld::new(golden_name, lora, files, &format!("{OWNER}/corgi-contract")).await;
    assert_eq!(settled(&w.sim, &w.space).await, "RUNNING");
    let pr = w.open_bot_pr(edited(golden_name, |a| a.replace("api_name=\"generate\"", "api_name=\"run\""))).await;
    let report = w.run_smoke(pr).await;
    assert_eq!(report.failed_gate(), Some(Gate::Contract), "{}", report.comment());
    let (comment, _) = w.comment_and_body(pr);
    assert!(comment.contains("endpoint `/generate` was removed"), "{comment}");
}

#[tokio::test(flavor = "multi_thread")]
async fn merging_the_pr_and_running_the_cleanup_job_deletes_the_preview() {
    let (golden_name, lora, files) = CORGI;
    let w = SmokeWorld::new(golden_name, lora, files, &format!("{OWNER}/corgi-merge")).await;
    let pr = w.open_bot_pr(golden(golden_name)).await;
    let settings = SmokeSettings::default();
    let preview = preview::deploy(&w.hub, &settings.preview, BOT, &w.space, pr).await.expect("preview deployed");
    assert!(w.sim.space_stage(preview.id()).is_some());
    assert!(w.sim.file(RepoType::Space, preview.id(), "main", "app.py").is_some(), "the PR's files are on the preview's main");
    hub_client(&w.sim, OWNER_TOKEN).merge_pull_request(RepoType::Space, &w.space, pr, None).await.expect("merged");
    let job = cleanup_job(w.lora.clone(), w.space.clone(), "merged", time::OffsetDateTime::now_utc());
    assert_eq!(lora_space_bot::smoke::job::run(&w.hub, BOT, &settings, &job).await, Outcome::Done);
    assert_eq!(w.sim.space_stage(preview.id()), None, "the preview is deleted");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_preview_orphaned_by_a_closed_pr_is_swept_and_an_open_prs_preview_is_kept() {
    let (golden_name, lora, files) = CORGI;
    let w = SmokeWorld::new(golden_name, lora, files, &format!("{OWNER}/corgi-orphan")).await;
    let settings = SmokeSettings::default();
    let closed = w.open_bot_pr(golden(golden_name)).await;
    let orphan = preview::deploy(&w.hub, &settings.preview, BOT, &w.space, closed).await.expect("preview deployed");
    hub_client(&w.sim, OWNER_TOKEN)
        .change_discussion_status(RepoType::Space, &w.space, closed, lora_space_bot::hub::NewStatus::Closed, None)
        .await
        .expect("closed");
    let open = w.open_bot_pr(edited(golden_name, |a| format!("{a}\n# newer\n"))).await;
    let kept = preview::deploy(&w.hub, &settings.preview, BOT, &w.space, open).await.expect("preview deployed");
    let swept = lora_space_bot::smoke::job::cleanup(&w.hub, BOT, &settings, &w.space).await.expect("sweep");
    assert_eq!(swept, vec![orphan.id().clone()]);
    assert_eq!(w.sim.space_stage(orphan.id()), None);
    assert!(w.sim.space_stage(kept.id()).is_some());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_smoke_job_through_rabbitmq_reaches_a_verdict_in_short_re_enqueued_deliveries() {
    use crate::helpers::{TopologyCleanup, amqp_url, broker, topology, unique_prefix};
    let (golden_name, lora, files) = CORGI;
    let w = SmokeWorld::new(golden_name, lora, files, &format!("{OWNER}/corgi-queue")).await;
    assert_eq!(settled(&w.sim, &w.space).await, "RUNNING");
    let pr = w.open_bot_pr(edited(golden_name, |a| format!("{a}\n# regenerated\n"))).await;
    let topo = topology(&unique_prefix("smoke"), 1);
    let _cleanup = TopologyCleanup(topo.clone());
    let shutdown = tokio_util::sync::CancellationToken::new();
    let amqp = lora_space_bot::queue::Broker::Amqp(broker(&amqp_url(), &topo, &shutdown).await);
    let policy = lora_space_bot::worker::WorkerPolicy { max_attempts: 3, smoke: live_settings(), ..Default::default() };
    let mut done = crate::helpers::spawn_worker_with(&w.sim, amqp.clone(), &shutdown, policy).await;
    let job = smoke_job(w.lora.clone(), w.space.clone(), pr, "head", time::OffsetDateTime::now_utc());
    amqp.publish(&job).await.expect("published");
    let mut steps = Vec::new();
    loop {
        let (job, outcome) = crate::helpers::next_outcome(&mut done, Duration::from_secs(120)).await;
        steps.push((job.attempt, outcome.clone()));
        match outcome {
            Outcome::Done => break,
            Outcome::Retry { .. } | Outcome::Continue { .. } => assert!(steps.len() < 40, "no verdict: {steps:?}"),
            Outcome::DeadLetter { reason } => panic!("dead-lettered: {reason}"),
        }
    }
    shutdown.cancel();
    assert!(steps.iter().any(|(_, o)| matches!(o, Outcome::Continue { .. })), "polls continue the job with its progress: {steps:?}");
    assert!(steps.len() >= 2, "deploy and probe are separate deliveries: {steps:?}");
    let (comment, body) = w.comment_and_body(pr);
    assert!(comment.contains("✅ **passed**") && comment.contains("PNG"), "{comment}");
    assert!(body.contains("✅ **passed**"), "{body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_smoke_command_checks_a_pr_through_a_preview_and_prints_every_gate() {
    let (golden_name, lora, files) = CORGI;
    let w = SmokeWorld::new(golden_name, lora, files, &format!("{OWNER}/corgi-manual")).await;
    assert_eq!(settled(&w.sim, &w.space).await, "RUNNING");
    let pr = w.open_bot_pr(edited(golden_name, |a| a.replace("api_name=\"generate\"", "api_name=\"run\""))).await;
    let revision = format!("refs/pr/{pr}");
    let off = lora_space_bot::smoke::manual::run(&w.hub, BOT, &SmokeSettings::default(), &w.space, Some(&revision), None).await.expect("smoke runs");
    assert_eq!(off.failed_gate(), None, "no preview configured: nothing fails");
    assert!(lora_space_bot::smoke::manual::plain(&off).contains("is not linked to a LoRA"), "an unlinked Space skips the local gate saying why");
    assert!(lora_space_bot::smoke::manual::plain(&off).contains("preview = \"off\""), "it says why the live gates were skipped");
    let settings = live_settings();
    let revision = format!("refs/pr/{pr}");
    let report = lora_space_bot::smoke::manual::run(&w.hub, BOT, &settings, &w.space, Some(&revision), Some(&w.lora)).await.expect("smoke runs");
    let text = lora_space_bot::smoke::manual::plain(&report);
    assert_eq!(report.gate(Gate::Local).map(|g| g.verdict), Some(Verdict::Pass), "the local gate runs on the PR's files: {text}");
    assert_eq!(report.failed_gate(), Some(Gate::Contract), "{text}");
    assert!(text.contains("endpoint `/generate` was removed"), "{text}");
    assert_eq!(report.gate(Gate::Inference).map(|g| g.verdict), Some(Verdict::Pass), "{text}");
    assert!(w.sim.discussions(RepoType::Space, &w.space)[0].comments.iter().all(|c| !c.starts_with(SMOKE_MARKER)), "nothing is posted");
}

#[tokio::test(flavor = "multi_thread")]
async fn closing_the_bot_pr_on_the_space_sends_a_webhook_whose_cleanup_job_deletes_the_preview() {
    use crate::helpers::{SECRET, amqp_url, spawn_receiver, spawn_worker, topology, unique_prefix};
    use lora_space_bot::hub::{NewStatus, WatchedItem, WebhookDomain, WebhookSpec};
    let (golden_name, lora, files) = CORGI;
    let w = SmokeWorld::new(golden_name, lora, files, &format!("{OWNER}/corgi-closed")).await;
    let receiver = spawn_receiver(&amqp_url(), &[(&w.lora.to_string(), &w.space.to_string())], topology(&unique_prefix("smoke-cleanup"), 1)).await;
    let spec = WebhookSpec {
        watched: vec![WatchedItem { kind: "space".into(), name: w.space.to_string() }],
        url: format!("{}/webhooks/hub", receiver.url),
        domains: vec![WebhookDomain::Discussion],
        secret: Some(SECRET.into()),
    };
    let owner = hub_client(&w.sim, OWNER_TOKEN);
    owner.create_webhook(&spec).await.expect("webhook registered");
    let mut done = spawn_worker(&w.sim, lora_space_bot::queue::Broker::Amqp(receiver.broker.clone()), &receiver.shutdown).await;
    let pr = w.open_bot_pr(golden(golden_name)).await;
    let preview = preview::deploy(&w.hub, &SmokeSettings::default().preview, BOT, &w.space, pr).await.expect("preview deployed");
    owner.change_discussion_status(RepoType::Space, &w.space, pr, NewStatus::Closed, Some("not this one")).await.expect("closed");
    let (job, outcome) = crate::helpers::next_outcome(&mut done, Duration::from_secs(30)).await;
    assert_eq!((job.kind.as_str(), job.reason.as_str(), outcome), ("cleanup", "closed", Outcome::Done));
    assert_eq!(w.sim.space_stage(preview.id()), None, "the preview is deleted");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_bot_opening_its_pr_triggers_a_smoke_job_whose_comment_reports_every_gate_passed() {
    use crate::helpers::{SECRET, amqp_url, spawn_receiver, spawn_worker, topology, unique_prefix};
    use lora_space_bot::hub::{WatchedItem, WebhookDomain, WebhookSpec};
    let (golden_name, lora, files) = CORGI;
    let w = SmokeWorld::new(golden_name, lora, files, &format!("{OWNER}/corgi-trigger")).await;
    assert_eq!(settled(&w.sim, &w.space).await, "RUNNING");
    let receiver = spawn_receiver(&amqp_url(), &[(&w.lora.to_string(), &w.space.to_string())], topology(&unique_prefix("smoke-trigger"), 1)).await;
    let spec = WebhookSpec {
        watched: vec![WatchedItem { kind: "space".into(), name: w.space.to_string() }],
        url: format!("{}/webhooks/hub", receiver.url),
        domains: vec![WebhookDomain::Repo, WebhookDomain::Discussion],
        secret: Some(SECRET.into()),
    };
    hub_client(&w.sim, OWNER_TOKEN).create_webhook(&spec).await.expect("webhook registered");
    let mut done = spawn_worker(&w.sim, lora_space_bot::queue::Broker::Amqp(receiver.broker.clone()), &receiver.shutdown).await;
    let pr = w.open_bot_pr(edited(golden_name, |a| format!("{a}\n# regenerated\n"))).await;
    let mut steps = 0;
    loop {
        let (job, outcome) = crate::helpers::next_outcome(&mut done, Duration::from_secs(120)).await;
        assert_eq!(job.kind.as_str(), "smoke");
        steps += 1;
        match outcome {
            Outcome::Done => break,
            Outcome::Retry { .. } | Outcome::Continue { .. } => assert!(steps < 40, "no verdict after {steps} steps"),
            Outcome::DeadLetter { reason } => panic!("dead-lettered: {reason}"),
        }
    }
    let (comment, body) = w.comment_and_body(pr);
    assert!(comment.contains("✅ **passed**") && comment.contains("PNG"), "the local gate's verdict: {comment}");
    assert!(comment.contains("| local harness | ✅ pass |") && comment.contains("no live preview configured"), "{comment}");
    assert!(body.contains("## Smoke test\n\n✅ **passed**"), "{body}");
}
