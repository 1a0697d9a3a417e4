//! The state every route shares: the world behind a mutex, the public base URL, settings,
//! the HTTP client for webhook deliveries, and a change counter tests can await.

use std::sync::{Mutex, MutexGuard};

use tokio::sync::{mpsc, watch};
use url::Url;

use super::SimConfig;
use super::record::Delivery;
use super::state::World;
use crate::domain::{RepoId, RepoType};

/// Shared simulator context (behind an `Arc`).
pub(crate) struct Sim {
    world: Mutex<World>,
    pub base: Url,
    pub config: SimConfig,
    pub http: reqwest::Client,
    pub changes: watch::Sender<u64>,
    pub rt: tokio::runtime::Handle,
    /// Deliveries waiting to be POSTed, in event order.
    pub outbox: mpsc::UnboundedSender<Delivery>,
    /// The simulator clock's origin (see [`Sim::now`]).
    pub started: std::time::Instant,
}

impl Sim {
    /// The context and the receiving end of its delivery outbox.
    pub fn new(world: World, base: Url, config: SimConfig) -> (Self, mpsc::UnboundedReceiver<Delivery>) {
        let (outbox, rx) = mpsc::unbounded_channel();
        let sim = Self {
            world: Mutex::new(world),
            base,
            config,
            http: reqwest::Client::new(),
            changes: watch::channel(0).0,
            rt: tokio::runtime::Handle::current(),
            outbox,
            started: std::time::Instant::now(),
        };
        (sim, rx)
    }

    /// Locks the world (a panicked holder does not poison it for good).
    pub fn world(&self) -> MutexGuard<'_, World> {
        self.world.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The simulator clock: time since start plus the offset tests add (`advance_clock`).
    pub fn now(&self, w: &World) -> std::time::Duration {
        self.started.elapsed() + w.clock_offset
    }

    /// Wakes whoever awaits a change (deliveries, stages, calls).
    pub fn bump(&self) {
        self.changes.send_modify(|v| *v += 1);
    }

    /// `{base}/{prefix}{id}` (the web URL).
    pub fn web_url(&self, ty: RepoType, id: &RepoId) -> String {
        format!("{}{}{}", self.base_str(), ty.url_prefix(), id)
    }

    /// `{base}/api/{type}s/{id}`.
    pub fn api_url(&self, ty: RepoType, id: &RepoId) -> String {
        format!("{}api/{}/{}", self.base_str(), ty.api_plural(), id)
    }

    /// The base URL with a trailing slash.
    pub fn base_str(&self) -> String {
        let s = self.base.as_str();
        if s.ends_with('/') { s.to_owned() } else { format!("{s}/") }
    }
}
