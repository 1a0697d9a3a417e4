//! The command line: `serve`, `work`, `run`, `sim`, `demo`, `check-config`. This and
//! `main.rs` are the only places `anyhow` is used.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand};
use tokio_util::sync::CancellationToken;

use crate::config::Settings;
use crate::http::{self, ReceiverState};
use crate::hub::{HubClient, HubSettings};
use crate::queue::Broker;
use crate::queue::amqp::{AmqpBroker, AmqpSettings};
use crate::queue::topology::Topology;
use crate::worker::{self, WorkerContext};

/// Keeps the Gradio demo Space of a LoRA in step with the LoRA, through reviewed pull requests.
#[derive(Debug, Parser)]
#[command(name = "lora-space-bot", version, about)]
pub struct Cli {
    /// Config files, layered in order over the embedded defaults (env `LSB_CONFIG`, comma-separated).
    #[arg(long = "config", short = 'c', global = true, env = "LSB_CONFIG", value_delimiter = ',')]
    pub config: Vec<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the webhook receiver.
    Serve,
    /// Run workers that consume jobs and open pull requests.
    Work,
    /// Run the receiver and workers in one process.
    Run,
    /// Run the Hub simulator (for local development and tests).
    Sim(crate::sim::cli::SimArgs),
    /// Run the whole flow against an embedded simulator, with no network and no token.
    Demo,
    /// Load and validate the configuration, print it without secrets, and exit.
    CheckConfig,
}

/// Runs a parsed command line.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let env: HashMap<String, String> = std::env::vars().collect();
    match cli.command {
        Command::Sim(args) => {
            init_plain_logs();
            Ok(crate::sim::cli::run(args, crate::shutdown::on_signals()).await?)
        }
        Command::Demo => {
            init_plain_logs();
            crate::demo::run().await
        }
        Command::CheckConfig => {
            let s = Settings::load(&cli.config, &env)?;
            println!("{s:#?}");
            Ok(())
        }
        Command::Serve | Command::Work | Command::Run => {
            let settings = Settings::load(&cli.config, &env).context("configuration")?;
            crate::telemetry::init(&settings.telemetry);
            let shutdown = crate::shutdown::on_signals();
            let serve = matches!(cli.command, Command::Serve | Command::Run);
            let work = matches!(cli.command, Command::Work | Command::Run);
            run_roles(&settings, serve, work, shutdown).await
        }
    }
}

fn init_plain_logs() {
    crate::telemetry::init(&crate::config::TelemetryConfig { format: crate::config::LogFormat::Text, filter: "warn".into() });
}

async fn run_roles(settings: &Settings, serve: bool, work: bool, shutdown: CancellationToken) -> anyhow::Result<()> {
    let broker = AmqpBroker::start(amqp_settings(settings), shutdown.clone());
    let mut tasks = tokio::task::JoinSet::new();
    if serve {
        let state = receiver_state(settings, Broker::Amqp(broker.clone()));
        let listener = tokio::net::TcpListener::bind(settings.receiver.listen).await.with_context(|| format!("binding receiver.listen {}", settings.receiver.listen))?;
        tracing::info!(listen = %settings.receiver.listen, links = settings.links.len(), "receiver listening");
        let sd = shutdown.clone();
        tasks.spawn(async move { http::serve(listener, state, sd).await.context("receiver") });
    }
    if work {
        let ctx = Arc::new(worker_context(settings).await?);
        let (b, sd, n) = (Broker::Amqp(broker.clone()), shutdown.clone(), usize::from(settings.worker.concurrency));
        tracing::info!(bot = %ctx.bot_user, concurrency = n, "worker started");
        tasks.spawn(async move { worker::run(ctx, &b, n, sd).await.context("worker") });
    }
    while let Some(r) = tasks.join_next().await {
        r.context("task panicked")??;
    }
    tracing::info!("stopped");
    Ok(())
}

/// Broker settings from the config.
pub fn amqp_settings(s: &Settings) -> AmqpSettings {
    AmqpSettings {
        url: s.amqp.url.clone(),
        topology: Topology { prefix: s.amqp.prefix.clone(), shards: s.amqp.shards, delivery_limit: s.amqp.delivery_limit },
        signing_key: s.signing_key.clone(),
        confirm_timeout: s.publish_timeout(),
    }
}

/// Receiver state from the config.
pub fn receiver_state(s: &Settings, broker: Broker) -> ReceiverState {
    if s.webhook_secret.is_none() {
        tracing::warn!("INSECURE: receiver.insecure_no_secret is set; every webhook delivery is accepted without a secret");
    }
    ReceiverState {
        secret: s.webhook_secret.clone(),
        links: Arc::new(s.links.iter().map(|l| (l.lora.clone(), l.space.clone())).collect()),
        broker,
        max_body_bytes: s.receiver.max_body_bytes,
        publish_timeout: s.publish_timeout(),
    }
}

/// Hub client settings from the config.
pub fn hub_settings(s: &Settings) -> HubSettings {
    HubSettings {
        endpoint: s.hub.endpoint.clone(),
        token: s.hub_token.clone(),
        timeout: Duration::from_secs(s.hub.timeout_secs),
        max_retries: s.hub.max_retries,
        ..HubSettings::default()
    }
}

async fn worker_context(s: &Settings) -> anyhow::Result<WorkerContext> {
    anyhow::ensure!(s.hub_token.is_some(), "workers need a Hub token: set HF_TOKEN (a token with write access to the linked Spaces) or hub.token_file");
    let hub = HubClient::new(&hub_settings(s))?;
    Ok(WorkerContext::build(hub, s.generator.clone(), s.worker.max_attempts).await.context("asking the Hub who the token belongs to (whoami)")?)
}
