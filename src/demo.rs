//! `lora-space-bot demo`: the whole flow on the embedded default, with no network, no token
//! and no broker — the Hub simulator seeded with a sample FLUX.1-dev LoRA and its Space, the
//! receiver and a worker in one process over the in-memory queue. A webhook registered on the
//! LoRA fires exactly as the Hub would when a new model card is pushed; the demo waits for the
//! pull request and prints it, then for the smoke verdict on it (the local gate: the worker runs
//! the PR's app through the harness; "skipped" when the harness venv is not installed).
//! The PR body, the generated files and the smoke comment are written to `--out`; with
//! `--keep` the simulator (and the bot) stay up until Ctrl-C, and the demo prints how to look
//! at the PR with curl and huggingface_hub.

mod output;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio_util::sync::CancellationToken;

use crate::config::Secret;
use crate::domain::{RepoId, RepoType};
use crate::http::{self, ReceiverState};
use crate::hub::{HubClient, HubSettings, WatchedItem, WebhookDomain, WebhookSpec};
use crate::queue::Broker;
use crate::queue::memory::MemoryBroker;
use crate::queue::topology::Topology;
use crate::sim::{self, SimConfig, SimHandle};
use crate::smoke::report::SMOKE_MARKER;
use crate::space::GeneratorSettings;
use crate::worker::{self, WorkerContext};

const LORA: &str = "demo-user/pixel-art-flux-lora";
const SPACE: &str = "demo-user/pixel-art-demo";
const BASE: &str = "black-forest-labs/FLUX.1-dev";

/// Flags of `demo`.
#[derive(Debug, Clone, clap::Args)]
pub struct DemoArgs {
    /// Keep the simulator (and the bot) running after the demo, until Ctrl-C, so the PR can be
    /// browsed; prints how.
    #[arg(long)]
    pub keep: bool,
    /// Folder the PR body, the generated files and the smoke comment are written to.
    #[arg(long, default_value = "demo-out")]
    pub out: std::path::PathBuf,
    /// Address of the simulator (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:0")]
    pub listen: std::net::SocketAddr,
}

/// Runs the demo, prints the pull request it produced and the smoke verdict, and writes them
/// to `args.out`.
pub async fn run(args: DemoArgs, signals: CancellationToken) -> anyhow::Result<()> {
    let shutdown = CancellationToken::new();
    let token = format!("hf_demo_{}", uuid::Uuid::new_v4().simple());
    let owner_token = format!("hf_owner_{}", uuid::Uuid::new_v4().simple());
    let config = SimConfig {
        user: "lora-space-bot".into(),
        token: token.clone(),
        extra_users: vec![("demo-user".into(), owner_token.clone())],
        build_delay: Duration::from_millis(50),
        ..SimConfig::default()
    };
    let hub_sim = sim::start(args.listen, config).await.context("starting the Hub simulator")?;
    let (lora, space) = seed(&hub_sim)?;
    println!("Hub simulator at {} (LoRA {lora}, Space {space})", hub_sim.base_url());

    let secret = Secret::new(uuid::Uuid::new_v4().simple().to_string());
    let broker = Broker::Memory(MemoryBroker::new(Topology { prefix: "demo".into(), shards: 2, delivery_limit: 3 }));
    let receiver_url = start_receiver(&broker, &lora, &space, &secret, &shutdown).await?;
    let hub = HubClient::new(&HubSettings { endpoint: hub_sim.base_url(), token: Some(Secret::new(&token)), ..HubSettings::default() })?;
    let ctx = Arc::new(WorkerContext::build(hub.clone(), GeneratorSettings::default(), crate::worker::WorkerPolicy::default(), crate::metrics::Metrics::new()).await?);
    let (b, sd) = (broker.clone(), shutdown.clone());
    let worker = tokio::spawn(async move { worker::run(ctx, &b, 2, sd).await });

    let spec = WebhookSpec {
        watched: vec![WatchedItem { kind: "model".into(), name: lora.to_string() }],
        url: format!("{receiver_url}{}", http::WEBHOOK_PATH),
        domains: vec![WebhookDomain::Repo],
        secret: Some(secret),
    };
    let owner = HubClient::new(&HubSettings { endpoint: hub_sim.base_url(), token: Some(Secret::new(&owner_token)), ..HubSettings::default() })?;
    owner.create_webhook(&spec).await.context("registering the webhook as the LoRA owner")?;
    println!("Webhook registered on {lora} -> {}", spec.url);
    // The Spaces webhook, separate from the LoRA's, as `webhook register` makes it.
    let spaces = WebhookSpec {
        watched: vec![WatchedItem { kind: "space".into(), name: space.to_string() }],
        url: crate::cli::webhook::spaces_url(&spec.url),
        domains: vec![WebhookDomain::Repo, WebhookDomain::Discussion],
        secret: spec.secret.clone(),
    };
    owner.create_webhook(&spaces).await.context("registering the Spaces webhook")?;

    let v2 = BTreeMap::from([("README.md".to_owned(), include_bytes!("../demo/lora-card-v2.md").to_vec()), ("pixel-art-v2.safetensors".to_owned(), fake_weights(2))]);
    let sha = hub_sim.commit_as("demo-user", RepoType::Model, &lora, v2, "Retrain: v2 weights, new trigger, 24 steps");
    println!("Pushed {} to {lora}: the Hub sends the webhook...", sha.short());

    let found = hub_sim.wait_until(Duration::from_secs(60), |s| s.discussions(RepoType::Space, &space).iter().any(|d| d.is_pull_request)).await;
    if !found {
        shutdown.cancel();
        let _ = worker.await;
        anyhow::bail!("no pull request appeared within 60 s");
    }
    let pr = output::pull_request(&hub_sim, &space)?;
    output::print_pr(&hub_sim, &space, &pr);
    println!("\nThe commit on the PR ref fires the Spaces webhook: the worker smoke-tests the PR (local gate)...");
    let smoke = |s: &SimHandle| s.discussions(RepoType::Space, &space).into_iter().filter(|d| d.is_pull_request).flat_map(|d| d.comments).find(|c| c.starts_with(SMOKE_MARKER));
    let verdict = hub_sim.wait_until(Duration::from_secs(300), |s| smoke(s).is_some()).await;
    if !verdict {
        shutdown.cancel();
        let _ = worker.await;
        anyhow::bail!("no smoke verdict within 300 s");
    }
    let comment = smoke(&hub_sim).unwrap_or_default();
    output::print_smoke(&comment);
    // The body as it is now: the bot writes the smoke summary into it too.
    let pr = output::pull_request(&hub_sim, &space)?;
    let written = output::write_out(&hub_sim, &space, &pr, &comment, &args.out)?;
    println!("\nWrote {written} files to {}", args.out.display());
    if args.keep {
        output::print_keep(&hub_sim, &space, pr.num, &token);
        signals.cancelled().await;
        println!("Stopping the demo.");
    }
    shutdown.cancel();
    let _ = worker.await;
    Ok(())
}

fn seed(hub_sim: &SimHandle) -> anyhow::Result<(RepoId, RepoId)> {
    let (lora, space, base): (RepoId, RepoId, RepoId) = (LORA.parse()?, SPACE.parse()?, BASE.parse()?);
    hub_sim.add_user("black-forest-labs", &format!("hf_bfl_{}", uuid::Uuid::new_v4().simple()));
    hub_sim.seed_repo(RepoType::Model, &base, BTreeMap::from([("README.md".to_owned(), include_bytes!("../demo/base-flux-dev.md").to_vec())]), false);
    let lora_files = BTreeMap::from([
        ("README.md".to_owned(), include_bytes!("../demo/lora-card-v1.md").to_vec()),
        ("pixel-art-v1.safetensors".to_owned(), fake_weights(1)),
        ("images/lighthouse.png".to_owned(), b"\x89PNG\r\n\x1a\n".to_vec()),
    ]);
    hub_sim.seed_repo(RepoType::Model, &lora, lora_files, false);
    hub_sim.seed_repo(RepoType::Space, &space, BTreeMap::from([("README.md".to_owned(), include_bytes!("../demo/space-readme.md").to_vec())]), false);
    Ok((lora, space))
}

async fn start_receiver(broker: &Broker, lora: &RepoId, space: &RepoId, secret: &Secret, shutdown: &CancellationToken) -> anyhow::Result<String> {
    let state = ReceiverState {
        secret: Some(secret.clone()),
        links: Arc::new(vec![(lora.clone(), space.clone())]),
        broker: broker.clone(),
        max_body_bytes: 256 * 1024,
        publish_timeout: Duration::from_secs(5),
        metrics: crate::metrics::Metrics::new(),
        debounce: Duration::ZERO,
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    tokio::spawn(http::serve(listener, state, shutdown.clone()));
    Ok(url)
}

fn fake_weights(version: u8) -> Vec<u8> {
    let mut v = b"{\"__metadata__\":{\"demo\":\"1\"}}".to_vec();
    v.push(version);
    v
}
