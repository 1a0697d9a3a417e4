//! Hub-budget benchmark (issue 11 part 5): what one job costs the Hub, counted by the
//! simulator — API calls (`/api/…`), resolver calls (any `/resolve/` URL: file downloads,
//! counted apart) and webhook triggers caused by the bot (deliveries to a webhook watching the
//! Space with the `repo` and `discussion` domains, as `webhook register` sets up) — for a sync
//! job that opens a PR, one that updates it, and a no-op; printed beside the targets.
//! It prints figures and asserts nothing: `cargo run --example hub_budget`.

use std::collections::BTreeMap;
use std::sync::Arc;

use lora_space_bot::domain::{Job, RepoId, RepoType};
use lora_space_bot::hub::{HubClient, HubSettings, Secret, WatchedItem, WebhookDomain, WebhookSpec};
use lora_space_bot::queue::Outcome;
use lora_space_bot::sim::{SimConfig, SimHandle};
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
    let config = SimConfig { user: BOT.into(), token: BOT_TOKEN.into(), build_delay: std::time::Duration::from_millis(20), ..SimConfig::default() };
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

    println!("| Job | API calls | Resolver calls | Bot-made webhook triggers | Target | Outcome |");
    println!("|---|---|---|---|---|---|");
    let row = |name: &str, c: &Cost, target: &str| println!("| {name} | {} | {} | {} | {target} | {} |", c.api, c.resolver, c.triggers, c.outcome);
    row("sync: open a PR", &open, "≤ 6 API calls (downloads apart)");
    row("sync: update the PR", &update, "—");
    row("sync: no-op", &noop, "—");
    println!("| PR update + full smoke run | TODO | TODO | TODO | ≤ 30 API calls, ≤ 2 triggers | not measured: needs the smoke stage of issue 11 part 3 (branch smoke-honest) on main |");
    sim.shutdown().await;
}
