//! `lora-space-bot sim`: runs the simulator until shutdown, printing its address and token.

use std::net::SocketAddr;
use std::path::PathBuf;

use tokio_util::sync::CancellationToken;

use super::{HarnessSettings, Plan, RateLimits, SimConfig, SimError, start};

/// Arguments of the `sim` subcommand.
#[derive(Debug, Clone, clap::Args)]
pub struct SimArgs {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:7861")]
    pub listen: SocketAddr,
    /// Name of the main user.
    #[arg(long, default_value = "sim-user")]
    pub user: String,
    /// The main user's token (generated and printed when absent).
    #[arg(long, env = "SIM_TOKEN")]
    pub token: Option<String>,
    /// Seed directory (`models/<ns>/<name>/**`, `spaces/<ns>/<name>/**`).
    #[arg(long)]
    pub seed: Option<PathBuf>,
    /// Entries per page of tree and repo listings (the Hub uses 1000; small values exercise `Link` paging).
    #[arg(long, default_value_t = 1000)]
    pub tree_page_size: usize,
    /// More users, as `NAME=TOKEN` (repeatable).
    #[arg(long = "extra-user", value_parser = parse_user)]
    pub extra_users: Vec<(String, String)>,
    /// Run Spaces' apps through the local harness (`LSB_HARNESS_PYTHON` / `.venv`): a running
    /// Space's host is then its local app.
    #[arg(long)]
    pub run_spaces: bool,
    /// An account's plan, as `USER=free|pro|team|enterprise` (repeatable; others are free).
    #[arg(long = "plan", value_parser = parse_plan)]
    pub plans: Vec<(String, Plan)>,
    /// A gated model repo `NS/NAME` (created empty if not seeded; repeatable).
    #[arg(long)]
    pub gated: Vec<String>,
    /// Grants a user access to a gated repo, as `USER:NS/NAME` (repeatable).
    #[arg(long = "grant", value_parser = parse_grant)]
    pub grants: Vec<(String, String)>,
    /// Hardware of a seeded Space, as `NS/NAME=FLAVOUR` (e.g. `zero-a10g`; repeatable): requested
    /// under the owner's plan as through the hardware API (a seeded Space is cpu-basic otherwise).
    #[arg(long = "space-hardware", value_parser = parse_hardware)]
    pub space_hardware: Vec<(String, String)>,
    /// Milliseconds a repo creation or commit stays in progress (a parallel one gets 409).
    #[arg(long, default_value_t = 0)]
    pub op_window_ms: u64,
    /// Webhook triggers per webhook per 24 h before refusals (the Hub: 1000).
    #[arg(long, default_value_t = 1000)]
    pub webhook_daily_cap: u32,
    /// Every caller's quota per window instead of the plan's, as `api=N,resolvers=N` (either
    /// or both; for tests). Default: the Hub's per plan (free 1000 api / 5000 resolvers …).
    #[arg(long, value_parser = RateLimits::parse_quotas)]
    pub rate_limits: Option<(Option<u32>, Option<u32>)>,
    /// Rate-limit window in seconds (the Hub: 300).
    #[arg(long, default_value_t = 300)]
    pub rate_window_secs: u64,
}

fn parse_plan(s: &str) -> Result<(String, Plan), String> {
    let (user, plan) = s.split_once('=').ok_or_else(|| format!("{s:?}: expected USER=PLAN"))?;
    Ok((user.to_owned(), plan.parse()?))
}

fn parse_hardware(s: &str) -> Result<(String, String), String> {
    let (space, flavour) = s.split_once('=').ok_or_else(|| format!("{s:?}: expected NS/NAME=FLAVOUR"))?;
    Ok((space.to_owned(), flavour.to_owned()))
}

fn parse_grant(s: &str) -> Result<(String, String), String> {
    let (user, repo) = s.split_once(':').ok_or_else(|| format!("{s:?}: expected USER:NS/NAME"))?;
    Ok((user.to_owned(), repo.to_owned()))
}

fn parse_user(s: &str) -> Result<(String, String), String> {
    let (name, token) = s.split_once('=').ok_or_else(|| format!("{s:?}: expected NAME=TOKEN"))?;
    Ok((name.to_owned(), token.to_owned()))
}

/// Runs until `shutdown` is cancelled. Prints `listening on http://ADDR`, then one
/// `user NAME token TOKEN` line per user (seeded namespaces get `hf_seed_<ns>`).
pub async fn run(args: SimArgs, shutdown: CancellationToken) -> Result<(), SimError> {
    let token = args.token.unwrap_or_else(|| format!("hf_sim_{}", uuid::Uuid::new_v4().simple()));
    let harness = if args.run_spaces {
        let h = HarnessSettings::from_env().ok_or_else(|| SimError::Io(std::io::Error::other("--run-spaces: no harness Python (set LSB_HARNESS_PYTHON, or create .venv with harness/requirements.txt)")))?;
        Some(h)
    } else {
        None
    };
    let config = SimConfig {
        user: args.user.clone(),
        token: token.clone(),
        seed: args.seed,
        extra_users: args.extra_users,
        tree_page_size: args.tree_page_size,
        harness,
        plans: args.plans,
        gated: args.gated,
        grants: args.grants,
        space_hardware: args.space_hardware,
        op_window: std::time::Duration::from_millis(args.op_window_ms),
        webhook_daily_cap: args.webhook_daily_cap,
        rate_limits: RateLimits {
            api: args.rate_limits.and_then(|q| q.0),
            resolvers: args.rate_limits.and_then(|q| q.1),
            window: std::time::Duration::from_secs(args.rate_window_secs.max(1)),
        },
        ..SimConfig::default()
    };
    let handle = start(args.listen, config).await?;
    println!("listening on http://{}", handle.addr());
    for (user, token) in handle.users() {
        println!("user {user} token {token}");
    }
    shutdown.cancelled().await;
    handle.shutdown().await;
    Ok(())
}
