//! `lora-space-bot sim`: runs the simulator until shutdown, printing its address and token.

use std::net::SocketAddr;
use std::path::PathBuf;

use tokio_util::sync::CancellationToken;

use super::{SimConfig, SimError, start};

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
    /// Entries per page of tree listings (the Hub uses 1000; small values exercise `Link` paging).
    #[arg(long, default_value_t = 1000)]
    pub tree_page_size: usize,
    /// More users, as `NAME=TOKEN` (repeatable).
    #[arg(long = "extra-user", value_parser = parse_user)]
    pub extra_users: Vec<(String, String)>,
}

fn parse_user(s: &str) -> Result<(String, String), String> {
    let (name, token) = s.split_once('=').ok_or_else(|| format!("{s:?}: expected NAME=TOKEN"))?;
    Ok((name.to_owned(), token.to_owned()))
}

/// Runs until `shutdown` is cancelled. Prints `listening on http://ADDR`, then one
/// `user NAME token TOKEN` line per user (seeded namespaces get `hf_seed_<ns>`).
pub async fn run(args: SimArgs, shutdown: CancellationToken) -> Result<(), SimError> {
    let token = args.token.unwrap_or_else(|| format!("hf_sim_{}", uuid::Uuid::new_v4().simple()));
    let config = SimConfig { user: args.user.clone(), token: token.clone(), seed: args.seed, extra_users: args.extra_users, tree_page_size: args.tree_page_size, ..SimConfig::default() };
    let handle = start(args.listen, config).await?;
    println!("listening on http://{}", handle.addr());
    for (user, token) in handle.users() {
        println!("user {user} token {token}");
    }
    shutdown.cancelled().await;
    handle.shutdown().await;
    Ok(())
}
