//! The command line: `serve`, `work`, `run`, `sim`, `demo`, `plan`, `jobs`, `check-config`,
//! `healthcheck`, `smoke`. This module and `main.rs` are the only places `anyhow` is used.

mod jobs;
mod plan;
pub mod webhook;

pub use jobs::{DeadCommand, JobsCommand};
pub use plan::PlanArgs;
pub use webhook::WebhookCommand;

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
    Work(WorkArgs),
    /// Run the receiver and workers in one process.
    Run(WorkArgs),
    /// Run the Hub simulator (for local development and tests).
    Sim(crate::sim::cli::SimArgs),
    /// Run the whole flow against an embedded simulator, with no network and no token.
    Demo(crate::demo::DemoArgs),
    /// Load and validate the configuration of a role, print it as TOML without secrets, and exit.
    CheckConfig {
        /// The role to check: its sections are printed and only its secrets are required.
        #[arg(long, value_enum, default_value = "run")]
        role: crate::config::Role,
    },
    /// Dry run: show the profile, plan and files the bot would generate; touches nothing.
    Plan(PlanArgs),
    /// Register, list or delete the Hub webhook of a LoRA (with the LoRA owner's HF_TOKEN).
    #[command(subcommand)]
    Webhook(WebhookCommand),
    /// Check the configured links with the bot's token.
    #[command(subcommand)]
    Links(LinksCommand),
    /// Run the smoke gates on a Space (or a PR through a preview Space) and print the report.
    Smoke(crate::smoke::manual::SmokeArgs),
    /// Inspect and steer the job queue.
    #[command(subcommand)]
    Jobs(JobsCommand),
    /// Probe a health endpoint and exit 0 when it answers 2xx (for container HEALTHCHECKs).
    Healthcheck {
        /// The URL to probe.
        #[arg(long, default_value = "http://127.0.0.1:8080/healthz")]
        url: String,
    },
}

/// `links …`
#[derive(Debug, Subcommand)]
pub enum LinksCommand {
    /// For every link: the LoRA is readable, the Space exists, the token can open PRs.
    Check,
}

/// Flags of `work` and `run`.
#[derive(Debug, Clone, Copy, clap::Args)]
pub struct WorkArgs {
    /// Log every Hub write (PR, commit, comment, status change) instead of making it.
    #[arg(long)]
    pub dry_run: bool,
}

/// Runs a parsed command line.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let env: HashMap<String, String> = std::env::vars().collect();
    match cli.command {
        Command::Sim(args) => {
            init_plain_logs();
            Ok(crate::sim::cli::run(args, crate::shutdown::on_signals()).await?)
        }
        Command::Demo(args) => {
            init_plain_logs();
            crate::demo::run(args, crate::shutdown::on_signals()).await
        }
        Command::CheckConfig { role } => {
            let s = Settings::load(&cli.config, &env)?;
            s.validate_role(role)?;
            print!("{}", s.to_toml(role));
            Ok(())
        }
        Command::Healthcheck { url } => {
            let client = reqwest::Client::builder().timeout(Duration::from_secs(3)).build()?;
            let status = client.get(&url).send().await.with_context(|| format!("GET {url}"))?.status();
            anyhow::ensure!(status.is_success(), "{url} answered {status}");
            Ok(())
        }
        Command::Plan(args) => {
            let settings = Settings::load(&cli.config, &env).context("configuration")?;
            plan::run(&settings, args).await
        }
        Command::Webhook(cmd) => {
            let settings = Settings::load(&cli.config, &env).context("configuration")?;
            webhook::run(&settings, cmd).await
        }
        Command::Links(LinksCommand::Check) => {
            let settings = Settings::load(&cli.config, &env).context("configuration")?;
            webhook::check_links(&settings).await
        }
        Command::Smoke(args) => {
            init_plain_logs();
            let settings = Settings::load(&cli.config, &env).context("configuration")?;
            let hub = HubClient::new(&hub_settings(&settings))?;
            let bot = hub.whoami().await.context("asking the Hub who the token belongs to (whoami)")?.name;
            let smoke = smoke_settings(&settings);
            let lora = settings.links.iter().find(|l| l.space == args.space).map(|l| l.lora.clone());
            let report = crate::smoke::manual::run(&hub, &bot, &smoke, &args.space, args.revision.as_deref(), lora.as_ref()).await?;
            print!("{}", if args.plain { crate::smoke::manual::plain(&report) } else { report.comment() });
            anyhow::ensure!(report.overall() == crate::smoke::report::Verdict::Pass, "smoke test failed");
            Ok(())
        }
        Command::Jobs(cmd) => {
            let settings = Settings::load(&cli.config, &env).context("configuration")?;
            jobs::run(&settings, cmd).await
        }
        Command::Serve | Command::Work(_) | Command::Run(_) => {
            let mut settings = Settings::load(&cli.config, &env).context("configuration")?;
            crate::telemetry::init(&settings.telemetry);
            let shutdown = crate::shutdown::on_signals();
            let (serve, work) = match cli.command {
                Command::Serve => (true, None),
                Command::Work(a) => (false, Some(a)),
                Command::Run(a) => (true, Some(a)),
                _ => (false, None),
            };
            settings.worker.dry_run |= work.is_some_and(|a| a.dry_run);
            let role = match (serve, work.is_some()) {
                (true, false) => crate::config::Role::Serve,
                (false, true) => crate::config::Role::Work,
                _ => crate::config::Role::Run,
            };
            settings.validate_role(role).context("configuration")?;
            run_roles(&settings, serve, work.is_some(), shutdown).await
        }
    }
}

fn init_plain_logs() {
    crate::telemetry::init(&crate::config::TelemetryConfig { format: crate::config::LogFormat::Text, filter: "warn".into() });
}

async fn run_roles(settings: &Settings, serve: bool, work: bool, shutdown: CancellationToken) -> anyhow::Result<()> {
    let broker = AmqpBroker::start(amqp_settings(settings).context("configuration")?, shutdown.clone());
    let result = run_roles_on(settings, &broker, serve, work, shutdown.clone()).await;
    // Every exit path closes the broker connections before the runtime goes away.
    shutdown.cancel();
    let _ = tokio::time::timeout(Duration::from_secs(2), async {
        while broker.is_ready() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    match broker.fatal() {
        Some(fix) => Err(anyhow::anyhow!("RabbitMQ refused this configuration: {fix}")),
        None => result,
    }
}

async fn run_roles_on(settings: &Settings, broker: &AmqpBroker, serve: bool, work: bool, shutdown: CancellationToken) -> anyhow::Result<()> {
    let metrics = crate::metrics::Metrics::for_roles(serve, work);
    broker.watch_depths(metrics.clone(), std::time::Duration::from_secs(settings.amqp.queue_depth_interval_secs));
    broker.report_shards_to(&metrics);
    let mut tasks = tokio::task::JoinSet::new();
    if serve {
        let state = receiver_state(settings, Broker::Amqp(broker.clone()), metrics.clone());
        let listener = tokio::net::TcpListener::bind(settings.receiver.listen).await.with_context(|| format!("binding receiver.listen {}", settings.receiver.listen))?;
        tracing::info!(listen = %settings.receiver.listen, links = settings.links.len(), "receiver listening");
        let sd = shutdown.clone();
        let limits = settings.server_limits();
        tasks.spawn(async move { http::serve_with(listener, state, limits, sd).await.context("receiver") });
        if settings.smoke.sweep_interval_secs > 0 && !settings.links.is_empty() {
            let links = settings.links.iter().map(|l| (l.lora.clone(), l.space.clone())).collect();
            let every = std::time::Duration::from_secs(settings.smoke.sweep_interval_secs);
            tokio::spawn(crate::smoke::schedule::run(Broker::Amqp(broker.clone()), links, every, shutdown.clone()));
        }
    }
    if work {
        if !serve {
            let listener = tokio::net::TcpListener::bind(settings.worker.listen).await.with_context(|| format!("binding worker.listen {}", settings.worker.listen))?;
            let (m, b, sd) = (metrics.clone(), Broker::Amqp(broker.clone()), shutdown.clone());
            tasks.spawn(async move { http::serve_worker_health(listener, m, b, sd).await.context("worker health port") });
        }
        let ctx = Arc::new(worker_context(settings, metrics.clone()).await?);
        let (b, sd, n) = (Broker::Amqp(broker.clone()), shutdown.clone(), usize::from(settings.worker.concurrency));
        tracing::info!(bot = %ctx.bot_user(), concurrency = n, dry_run = settings.worker.dry_run, "worker started");
        if let Some(why) = crate::smoke::local::missing(&ctx.smoke.local) {
            tracing::warn!(reason = %why, "the local smoke gate will be skipped on every PR until the harness is installed (scripts/setup, or the worker-smoke image)");
        }
        tasks.spawn(async move { worker::run(ctx, &b, n, sd).await.context("worker") });
    }
    while let Some(r) = tasks.join_next().await {
        r.context("task panicked")??;
    }
    tracing::info!("stopped");
    Ok(())
}

/// Broker settings from the config.
pub fn amqp_settings(s: &Settings) -> Result<AmqpSettings, crate::config::ConfigError> {
    Ok(AmqpSettings {
        url: s.amqp.url.clone(),
        topology: Topology { prefix: s.amqp.prefix.clone(), shards: s.amqp.shards, delivery_limit: s.amqp.delivery_limit },
        signing_key: s.signing_key()?.clone(),
        confirm_timeout: s.publish_timeout(),
        rebalance: Duration::from_millis(s.worker.rebalance_ms),
    })
}

/// Receiver state from the config.
pub fn receiver_state(s: &Settings, broker: Broker, metrics: Arc<crate::metrics::Metrics>) -> ReceiverState {
    if s.webhook_secret.is_none() {
        tracing::warn!("INSECURE: receiver.insecure_no_secret is set; every webhook delivery is accepted without a secret");
    }
    ReceiverState {
        secret: s.webhook_secret.clone(),
        links: Arc::new(s.links.iter().map(|l| (l.lora.clone(), l.space.clone())).collect()),
        broker,
        max_body_bytes: s.receiver.max_body_bytes,
        publish_timeout: s.publish_timeout(),
        metrics,
        debounce: Duration::from_secs(s.receiver.debounce_secs),
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

async fn worker_context(s: &Settings, metrics: Arc<crate::metrics::Metrics>) -> anyhow::Result<WorkerContext> {
    anyhow::ensure!(s.hub_token.is_some(), "workers need a Hub token: set HF_TOKEN (a token with write access to the linked Spaces) or hub.token_file");
    let hub = HubClient::new(&hub_settings(s))?;
    WorkerContext::build(hub, s.generator.clone(), worker_policy(s), metrics).await.map_err(|e| anyhow::anyhow!(webhook::whoami_problem(&s.hub.endpoint, &e)))
}

fn worker_policy(s: &Settings) -> crate::worker::WorkerPolicy {
    crate::worker::WorkerPolicy {
        max_attempts: s.worker.max_attempts,
        dry_run: s.worker.dry_run,
        max_prs_per_hour: s.worker.max_prs_per_hour,
        smoke: smoke_settings(s),
        links: Some(s.links.iter().map(|l| (l.lora.clone(), l.space.clone())).collect()),
    }
}

/// Smoke settings from `[smoke]`: previews get the read-only preview token (as their
/// `HF_TOKEN` secret and as `X-HF-Authorization` on their own host), never the bot's token.
pub fn smoke_settings(s: &Settings) -> crate::smoke::job::SmokeSettings {
    use std::time::Duration;
    let c = &s.smoke;
    let mode = crate::smoke::preview::PreviewMode::parse(&c.preview).unwrap_or_default();
    crate::smoke::job::SmokeSettings {
        preview: crate::smoke::preview::PreviewSettings { namespace: c.preview_namespace.clone(), pattern: c.preview_pattern.clone(), mode, token: s.preview_token.clone() },
        deadline: Duration::from_secs(c.deadline_secs),
        poll_every: Duration::from_secs(c.poll_secs),
        gradio: crate::smoke::gradio::GradioSettings { call_deadline: Duration::from_secs(c.call_deadline_secs), ..Default::default() },
        gradio_token: s.preview_token.clone(),
        queue_margin: Duration::from_secs(c.queue_margin_secs),
        prompts: c.prompts.clone(),
        local: crate::smoke::local::LocalHarness::located(c.harness_python.clone(), c.harness_dir.clone(), Duration::from_secs(c.harness_timeout_secs)),
        max_steps: c.max_steps,
        log_idle: crate::smoke::gates::LOG_IDLE,
    }
}
