//! Hub simulator (axum): the Hub's HTTP contract (shared/reference/hub-api.md) over
//! in-memory, git-like state, for tests, `demo` and `sim`.
//!
//! [`start`] binds a port (0 allowed) and returns a [`SimHandle`] to seed repos, inject
//! faults ([`FaultRule`]), script Space builds, and read the call log and webhook deliveries.
//!
//! Choices where the reference marks the Hub's behaviour UNCONFIRMED (change them here if the
//! real Hub disagrees): a PR opened by `create_pr=1` starts `open` (one opened through the
//! discussions API starts `draft`); a draft, closed or merged PR cannot be merged (400); a
//! closed or merged PR ref refuses commits (403); besides writers, a PR's author may push to
//! its ref; a merge with conflicting files answers 409 with `filesWithConflicts`; files over
//! 10 MB are answered `lfs` by preupload but the LFS batch API is not served; gated repos show
//! their metadata and tree to everyone and gate only downloads.

mod access;
mod admin;
mod busy;
pub mod cli;
mod error;
mod faults;
mod git;
mod handle;
mod hooks;
mod ops;
mod payload;
mod rate;
mod record;
mod routes;
mod runtime;
mod seed;
mod server;
mod shared;
mod spaces_run;
mod state;
mod terms;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

pub use error::SimError;
pub use faults::{Fault, FaultRule};
pub use handle::{CommitView, DiscussionView, SimHandle, TriggerCount};
pub use record::{CallRecord, Delivery};
pub use seed::seed_token;
pub use spaces_run::HarnessSettings;
pub use state::BuildOutcome;
pub use rate::RateLimits;
pub use terms::Plan;

/// How the simulator starts.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// The main user (default `sim-user`).
    pub user: String,
    /// The main user's token.
    pub token: String,
    /// More users: `(name, token)`.
    pub extra_users: Vec<(String, String)>,
    /// A directory of `models/<ns>/<name>/**` and `spaces/<ns>/<name>/**` to load.
    pub seed: Option<PathBuf>,
    /// How long a Space build takes (BUILDING → final stage).
    pub build_delay: Duration,
    /// Entries per page of tree listings and of `/api/models|datasets|spaces` (the Hub uses 1000).
    pub tree_page_size: usize,
    /// Run Spaces' apps through the local harness (off by default: builds are simulated).
    pub harness: Option<HarnessSettings>,
    /// Account plans, as `(account, plan)`; accounts not listed are free (hub-constraints.md §3).
    pub plans: Vec<(String, Plan)>,
    /// Model repos whose downloads are gated (`ns/name`; applied after seeding, mode `manual`).
    pub gated: Vec<String>,
    /// `(user, repo)`: users granted access to a gated repo.
    pub grants: Vec<(String, String)>,
    /// `(space, flavour)`: hardware requested for seeded Spaces after seeding, as their owner
    /// would through the hardware API, under the owner's plan (402/403 as the Hub answers).
    pub space_hardware: Vec<(String, String)>,
    /// Webhook triggers per webhook per rolling 24 h before refusals (the Hub: 1,000).
    pub webhook_daily_cap: u32,
    /// How long a repo creation or a commit stays "in progress": a second creation by the same
    /// user, or a second commit to the same repo, arriving meanwhile gets the Hub's 409
    /// (hub-constraints.md §6). Zero: operations are instantaneous and never overlap.
    pub op_window: Duration,
    /// Rate limits per caller and bucket over fixed windows: the Hub's by plan
    /// (hub-constraints.md §2) unless shrunk for tests.
    pub rate_limits: RateLimits,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            user: "sim-user".to_owned(),
            token: "hf_sim_token".to_owned(),
            extra_users: Vec::new(),
            seed: None,
            build_delay: Duration::from_millis(200),
            tree_page_size: 1000,
            harness: None,
            plans: Vec::new(),
            gated: Vec::new(),
            grants: Vec::new(),
            space_hardware: Vec::new(),
            webhook_daily_cap: terms::WEBHOOK_DAILY_CAP,
            op_window: Duration::ZERO,
            rate_limits: RateLimits::default(),
        }
    }
}

/// Starts the simulator on `listen` (port 0 picks a free port).
pub async fn start(listen: SocketAddr, config: SimConfig) -> Result<SimHandle, SimError> {
    server::start(listen, config).await
}
