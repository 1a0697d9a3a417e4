//! Hub-budget benchmark (issue 11 part 5): what one job costs the Hub, counted by the
//! simulator — API calls (`/api/…`), resolver calls (any `/resolve/` URL: file downloads,
//! counted apart) and webhook triggers caused by the bot (deliveries to a webhook watching the
//! Space with the `repo` and `discussion` domains, as `webhook register` sets up) — for a sync
//! job that opens a PR, one that updates it, and a no-op; then one PR update followed by a full
//! smoke run (local gate, ZeroGPU preview created, polled until RUNNING, API contract, one
//! inference, verdict comment, preview deleted), which needs the harness venv (`scripts/setup`):
//! the simulator runs the preview's app through it. Printed beside the targets.
//! It prints figures and asserts nothing: `cargo run --example hub_budget`.
//!
//! Polls: the real Hub builds a preview for minutes and the bot polls every ≥ 30 s, so a real
//! run makes more polls than this one (the simulator builds in seconds); the per-poll cost is
//! printed so the figure can be scaled.

use std::collections::BTreeMap;
use std::sync::Arc;

use lora_space_bot::domain::{Job, RepoId, RepoType};
use lora_space_bot::hub::{HubClient, HubSettings, Secret, WatchedItem, WebhookDomain, WebhookSpec};
use lora_space_bot::queue::Outcome;
use lora_space_bot::sim::{HarnessSettings, Plan, SimConfig, SimHandle};
use lora_space_bot::smoke::job::{SmokeSettings, Step, smoke_job, step};
use lora_space_bot::smoke::preview::PreviewMode;
use lora_space_bot::worker::{WorkerContext, WorkerPolicy};

const CORGI: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/fixtures/cards/02-flux-dev-dreambooth-corgi");
const BASE_CARD: &str = include_str!("../demo/base-flux-dev.md");
const BOT: &str = "lsb-bot";
const BOT_TOKEN: &str = "hf_budget_bot";

/// What one phase cost.
struct Cost {
    api: usize,
    resolver: usize,
    triggers: u64,
    outcome: String,
}

fn client(sim: &SimHandle, token: &str) -> HubClient {
    let settings = HubSettings { endpoint: sim.base_url(), token: Some(Secret::new(token)), ..HubSettings::default() };
    HubClient::new(&settings).expect("client")
}

async fn receiver() -> String {
    let app = axum::Router::new().route("/hook", axum::routing::post(|| async { "ok" }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}/hook")
}

fn triggers(sim: &SimHandle) -> u64 {
    sim.trigger_counts().values().map(|c| c.total + c.refused).sum()
}

/// What the smoke run cost beyond its sync job.
struct SmokeCost {
    cost: Cost,
    steps: u32,
    poll_api: usize,
}

/// The bot's open PR number on the Space.
fn bot_pr(sim: &SimHandle, space: &RepoId) -> Option<u64> {
    sim.discussions(RepoType::Space, space).into_iter().filter(|d| d.is_pull_request && d.status == "open").map(|d| d.num).max()
}

/// Runs a smoke job for the bot's PR to its verdict, stepping again once the preview's build
/// settled (each step is one delivery of the job), and counts what the whole run cost.
async fn measure_smoke(sim: &SimHandle, hub: &HubClient, space: &RepoId, lora: &RepoId) -> Result<SmokeCost, String> {
    let pr = bot_pr(sim, space).ok_or("no bot PR")?;
    let head = sim.head(RepoType::Space, space, &format!("refs/pr/{pr}")).map(|h| h.to_string()).ok_or("no PR head")?;
    let mut settings = SmokeSettings { deadline: std::time::Duration::from_secs(240), ..SmokeSettings::default() };
    settings.preview.mode = PreviewMode::ZeroGpu;
    let preview = lora_space_bot::smoke::preview::preview_id(&settings.preview, BOT, space, pr).map_err(|e| e.to_string())?;
    let before = triggers(sim);
    sim.clear_calls();
    let mut job = smoke_job(lora.clone(), space.clone(), pr, &head, time::OffsetDateTime::now_utc());
    let (mut steps, mut poll_api) = (0, 0);
    loop {
        steps += 1;
        let calls_before = sim.calls().len();
        match step(hub, BOT, &settings, &job, time::OffsetDateTime::now_utc()).await.map_err(|e| e.to_string())? {
            Step::Finished(report) => {
                tokio::time::sleep(std::time::Duration::from_millis(500)).await;
                let calls = sim.calls();
                let api = calls.iter().filter(|c| c.path.starts_with("/api/")).count();
                let resolver = calls.iter().filter(|c| c.path.contains("/resolve/")).count();
                let outcome = format!("{:?}, {}", report.overall(), if sim.space_stage(&preview).is_none() { "preview deleted" } else { "preview left" });
                return Ok(SmokeCost { cost: Cost { api, resolver, triggers: triggers(sim) - before, outcome }, steps, poll_api });
            }
            Step::NothingToDo(why) => return Err(why),
            Step::Poll { progress, .. } => {
                if steps > 1 {
                    poll_api = poll_api.max(sim.calls()[calls_before..].iter().filter(|c| c.path.starts_with("/api/")).count());
                }
                job.attempt += 1;
                job.progress = serde_json::to_value(*progress).ok();
                let settled = |h: &SimHandle| h.space_stage(&preview).is_some_and(|s| !matches!(s.as_str(), "BUILDING" | "APP_STARTING" | "NO_APP_FILE"));
                if !sim.wait_until(std::time::Duration::from_secs(150), settled).await {
                    return Err(format!("preview stuck at {:?}", sim.space_stage(&preview)));
                }
            }
        }
        if steps > 20 {
            return Err("no verdict after 20 steps".into());
        }
    }
}

/// Runs one sync job and counts what it cost (deliveries are awaited: they leave after the job).
async fn measure(sim: &SimHandle, ctx: &Arc<WorkerContext>, lora: &RepoId, space: &RepoId, reason: &str) -> Cost {
    sim.clear_calls();
    let before = triggers(sim);
    let job = Job::sync(lora.clone(), None, space.clone(), reason, time::OffsetDateTime::now_utc());
    let outcome = match lora_space_bot::worker::handle(ctx.clone(), job).await {
        Outcome::Done => "done".to_owned(),
        other => format!("{other:?}"),
    };
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let calls = sim.calls();
    let resolver = calls.iter().filter(|c| c.path.contains("/resolve/")).count();
    let api = calls.iter().filter(|c| c.path.starts_with("/api/")).count();
    Cost { api, resolver, triggers: triggers(sim) - before, outcome }
}

#[tokio::main]
async fn main() {
    let harness = HarnessSettings::from_env();
    let plans = vec![(BOT.into(), Plan::Pro)];
    let config = SimConfig { user: BOT.into(), token: BOT_TOKEN.into(), build_delay: std::time::Duration::from_millis(20), harness: harness.clone(), plans, ..SimConfig::default() };
    let sim = lora_space_bot::sim::start(([127, 0, 0, 1], 0).into(), config).await.expect("sim");
    sim.add_user("black-forest-labs", "hf_bfl");
    sim.seed_repo(RepoType::Model, &"black-forest-labs/FLUX.1-dev".parse().expect("id"), BTreeMap::from([("README.md".to_owned(), BASE_CARD.as_bytes().to_vec())]), false);
    sim.add_user("tkato", "hf_tkato");
    let (lora, _) = sim.seed_card_fixture(std::path::Path::new(CORGI)).expect("fixture");
    let space: RepoId = "tkato/corgi-demo".parse().expect("id");
    sim.seed_repo(RepoType::Space, &space, BTreeMap::from([("README.md".to_owned(), b"---\nsdk: gradio\n---\n".to_vec())]), false);
    let spec = WebhookSpec {
        watched: vec![WatchedItem { kind: "space".into(), name: space.to_string() }],
        url: receiver().await,
        domains: vec![WebhookDomain::Repo, WebhookDomain::Discussion],
        secret: Some(Secret::new("s")),
    };
    client(&sim, "hf_tkato").create_webhook(&spec).await.expect("webhook");
    let ctx = Arc::new(WorkerContext::build(client(&sim, BOT_TOKEN), Default::default(), WorkerPolicy::default(), lora_space_bot::metrics::Metrics::new()).await.expect("worker"));

    let open = measure(&sim, &ctx, &lora, &space, "budget-open").await;
    let card = std::fs::read_to_string(format!("{CORGI}/README.md")).expect("card").replace("a photo of TOK corgi", "a photo of ZZK corgi");
    sim.commit_as("tkato", RepoType::Model, &lora, BTreeMap::from([("README.md".to_owned(), card.into_bytes())]), "New trigger");
    let update = measure(&sim, &ctx, &lora, &space, "budget-update").await;
    let noop = measure(&sim, &ctx, &lora, &space, "budget-noop").await;
    let smoke = if harness.is_some() {
        let card = std::fs::read_to_string(format!("{CORGI}/README.md")).expect("card").replace("a photo of TOK corgi", "a photo of QQK corgi");
        sim.commit_as("tkato", RepoType::Model, &lora, BTreeMap::from([("README.md".to_owned(), card.into_bytes())]), "Newer trigger");
        let sync = measure(&sim, &ctx, &lora, &space, "budget-update-2").await;
        Some(measure_smoke(&sim, &client(&sim, BOT_TOKEN), &space, &lora).await.map(|s| (sync, s)))
    } else {
        None
    };

    println!("| Job | API calls | Resolver calls | Bot-made webhook triggers | Target | Outcome |");
    println!("|---|---|---|---|---|---|");
    let row = |name: &str, c: &Cost, target: &str| println!("| {name} | {} | {} | {} | {target} | {} |", c.api, c.resolver, c.triggers, c.outcome);
    row("sync: open a PR", &open, "≤ 6 API calls (downloads apart)");
    row("sync: update the PR", &update, "—");
    row("sync: no-op", &noop, "—");
    match smoke {
        Some(Ok((sync, s))) => {
            let total = Cost { api: sync.api + s.cost.api, resolver: sync.resolver + s.cost.resolver, triggers: sync.triggers + s.cost.triggers, outcome: String::new() };
            let outcome = format!("sync {}, smoke {} after {} deliveries ({} polls; one more 30 s poll costs {} API calls)", sync.outcome, s.cost.outcome, s.steps, s.steps - 1, s.poll_api.max(1));
            row("PR update + full smoke run", &total, "≤ 30 API calls, ≤ 2 triggers");
            println!("|  of which the smoke run | {} | {} | {} | — | {outcome} |", s.cost.api, s.cost.resolver, s.cost.triggers);
        }
        Some(Err(e)) => println!("| PR update + full smoke run | — | — | — | ≤ 30 API calls, ≤ 2 triggers | failed: {e} |"),
        None => println!("| PR update + full smoke run | — | — | — | ≤ 30 API calls, ≤ 2 triggers | not measured: no harness venv (run scripts/setup) |"),
    }
    sim.shutdown().await;
}
