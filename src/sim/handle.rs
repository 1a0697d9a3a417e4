//! `SimHandle`: what tests and `demo` use in process — seed repos, commit as a user, inject
//! faults, script Space builds, read the call log, deliveries, discussions and files.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use url::Url;

use super::error::SimError;
use super::faults::FaultRule;
use super::git::{self, Change};
use super::ops::{self, Push};
use super::record::{CallRecord, Delivery};
use super::shared::Sim;
use super::state::{BuildOutcome, EventData};
use super::seed;
use crate::domain::{CommitSha, RepoId, RepoType};

/// A running simulator.
pub struct SimHandle {
    sim: Arc<Sim>,
    addr: SocketAddr,
    stop: CancellationToken,
    task: JoinHandle<()>,
}

/// A discussion as tests see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscussionView {
    /// Number.
    pub num: u64,
    /// Title.
    pub title: String,
    /// Whether it is a PR.
    pub is_pull_request: bool,
    /// `draft`, `open`, `closed`, `merged`.
    pub status: String,
    /// Opened by.
    pub author: String,
    /// Event types, oldest first (`comment`, `commit`, `status-change`, `title-change`).
    pub events: Vec<String>,
    /// Comment texts, oldest first (latest version of each).
    pub comments: Vec<String>,
    /// Head of `refs/pr/{num}` (PRs).
    pub head: Option<CommitSha>,
}

/// A webhook's trigger counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct TriggerCount {
    /// Delivered in the last 24 h (what the cap is measured against).
    pub last_24h: u64,
    /// Delivered since the simulator started.
    pub total: u64,
    /// Refused for being over the cap.
    pub refused: u64,
}

/// A commit as tests see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitView {
    /// Its id.
    pub oid: CommitSha,
    /// Its parent.
    pub parent: Option<CommitSha>,
    /// First line of the message.
    pub title: String,
    /// The description.
    pub message: String,
    /// Who pushed it.
    pub author: String,
}

fn sha(oid: &str) -> CommitSha {
    CommitSha::try_from(oid.to_owned()).unwrap_or_else(|_| unreachable!("the simulator makes 40-hex oids"))
}

impl SimHandle {
    pub(crate) fn new(sim: Arc<Sim>, addr: SocketAddr, stop: CancellationToken, task: JoinHandle<()>) -> Self {
        Self { sim, addr, stop, task }
    }

    /// `http://127.0.0.1:PORT/`.
    pub fn base_url(&self) -> Url {
        self.sim.base.clone()
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The main user's token.
    pub fn token(&self) -> &str {
        &self.sim.config.token
    }

    /// Every user with a token, as `(name, token)`, sorted by name.
    pub fn users(&self) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = self.sim.world().tokens.iter().map(|(t, u)| (u.clone(), t.clone())).collect();
        out.sort();
        out
    }

    /// Adds a user with a token.
    pub fn add_user(&self, name: &str, token: &str) {
        let mut w = self.sim.world();
        w.tokens.insert(token.to_owned(), name.to_owned());
        w.ensure_user(name);
    }

    /// Creates the repo if needed (owned by its namespace) and commits `files` to `main` as
    /// the owner. Returns the new head.
    pub fn seed_repo(&self, ty: RepoType, id: &RepoId, files: BTreeMap<String, Vec<u8>>, private: bool) -> CommitSha {
        {
            let mut w = self.sim.world();
            if w.repo(ty, id).is_none() {
                let attrs = BTreeMap::from([(".gitattributes".to_owned(), Bytes::from_static(seed::GITATTRIBUTES.as_bytes()))]);
                let _ = ops::create_repo(&self.sim, &mut w, ty, id, private, None, attrs);
            }
        }
        self.commit_as(id.namespace(), ty, id, files, "Upload files")
    }

    /// Commits `files` (added or replaced) to `main` as `user`, as a push would: webhooks
    /// fire and a Space rebuilds. A missing repo is created first (public, owned by its namespace).
    pub fn commit_as(&self, user: &str, ty: RepoType, id: &RepoId, files: BTreeMap<String, Vec<u8>>, message: &str) -> CommitSha {
        let changes: Vec<Change> = files.into_iter().map(|(p, d)| Change::Put(p, Bytes::from(d))).collect();
        let mut w = self.sim.world();
        w.ensure_user(user);
        if w.repo(ty, id).is_none() {
            let attrs = BTreeMap::from([(".gitattributes".to_owned(), Bytes::from_static(seed::GITATTRIBUTES.as_bytes()))]);
            let _ = ops::create_repo(&self.sim, &mut w, ty, id, false, None, attrs);
        }
        let push = Push { ref_name: "refs/heads/main".into(), parent: None, changes: &changes, author: user, title: message, message: "" };
        let oid = ops::push(&self.sim, &mut w, ty, id, push).unwrap_or_else(|e| unreachable!("adding files to an existing repo cannot fail: {}", e.message));
        sha(&oid)
    }

    /// Seeds a LoRA from a card fixture dir (`README.md` + `expected.json`).
    pub fn seed_card_fixture(&self, dir: &Path) -> Result<(RepoId, CommitSha), SimError> {
        let (id, files) = seed::card_fixture_files(dir)?;
        let head = self.seed_repo(RepoType::Model, &id, files, false);
        Ok((id, head))
    }

    /// Adds a fault rule.
    pub fn inject(&self, fault: FaultRule) {
        self.sim.world().faults.push(fault);
    }

    /// Removes every fault rule.
    pub fn clear_faults(&self) {
        self.sim.world().faults.clear();
    }

    /// Every call so far, in arrival order.
    pub fn calls(&self) -> Vec<CallRecord> {
        self.sim.world().calls.iter().map(|(_, c)| c.clone()).collect()
    }

    /// Forgets the calls so far (to assert on what follows a setup).
    pub fn clear_calls(&self) {
        self.sim.world().calls.clear();
    }

    /// Every answered (or failed) webhook delivery so far.
    pub fn deliveries(&self) -> Vec<Delivery> {
        self.sim.world().deliveries.clone()
    }

    /// Waits until `cond` holds (re-checked on every change), up to `timeout`.
    pub async fn wait_until(&self, timeout: Duration, cond: impl Fn(&Self) -> bool) -> bool {
        let mut rx = self.sim.changes.subscribe();
        let wait = async {
            loop {
                if cond(self) {
                    return;
                }
                if rx.changed().await.is_err() {
                    return;
                }
            }
        };
        tokio::time::timeout(timeout, wait).await.is_ok() && cond(self)
    }

    /// Waits for at least `n` deliveries (up to `timeout`) and returns them all.
    pub async fn wait_for_deliveries(&self, n: usize, timeout: Duration) -> Vec<Delivery> {
        self.wait_until(timeout, |h| h.sim.world().deliveries.len() >= n).await;
        self.deliveries()
    }

    /// How the next builds of a Space end.
    pub fn script_build(&self, id: &RepoId, outcome: BuildOutcome) {
        if let Some(s) = self.sim.world().repo_mut(RepoType::Space, id).and_then(|r| r.space.as_mut()) {
            s.outcome = outcome;
        }
    }

    /// Gates a repo's downloads (`Some("auto")`, `Some("manual")`) or ungates it (`None`).
    pub fn set_gated(&self, ty: RepoType, id: &RepoId, mode: Option<&str>) {
        if let Some(r) = self.sim.world().repo_mut(ty, id) {
            r.gated = mode.map(str::to_owned);
        }
    }

    /// Approves `user` for a gated repo.
    pub fn grant_gate(&self, ty: RepoType, id: &RepoId, user: &str) {
        if let Some(r) = self.sim.world().repo_mut(ty, id) {
            r.gate_grants.push(user.to_owned());
        }
    }

    /// Sets a Space's requested hardware as the owner would through the hardware API (the app
    /// restarts when the flavour changes), e.g. for a seeded live Space on `zero-a10g`.
    pub fn set_space_hardware(&self, id: &RepoId, flavour: &str) {
        let changed = {
            let mut w = self.sim.world();
            let Some(s) = w.repo_mut(RepoType::Space, id).and_then(|r| r.space.as_mut()) else { return };
            let changed = s.hardware != flavour;
            s.hardware = flavour.to_owned();
            changed
        };
        if changed {
            super::routes::restart_app(&self.sim, id);
        }
    }

    /// A Space's `(requested, current)` hardware.
    pub fn space_hardware(&self, id: &RepoId) -> Option<(String, Option<String>)> {
        self.sim.world().repo(RepoType::Space, id).and_then(|r| r.space.as_ref()).map(|s| (s.hardware.clone(), s.current_hardware.clone()))
    }

    /// A Space's secrets as the app sees them (name → value).
    pub fn space_secrets(&self, id: &RepoId) -> BTreeMap<String, String> {
        self.sim.world().repo(RepoType::Space, id).and_then(|r| r.space.as_ref()).map(|s| s.secret_values.clone()).unwrap_or_default()
    }

    /// Triggers per webhook id: counted in the last 24 h, counted since start, refused.
    pub fn trigger_counts(&self) -> BTreeMap<String, TriggerCount> {
        let w = self.sim.world();
        w.trigger_totals
            .iter()
            .map(|(id, (total, refused))| {
                let last_24h = w.trigger_window.get(id).map_or(0, |q| q.len() as u64);
                (id.clone(), TriggerCount { last_24h, total: *total, refused: *refused })
            })
            .collect()
    }

    /// Sets the webhook trigger cap (per webhook per rolling 24 h).
    pub fn set_webhook_daily_cap(&self, cap: u32) {
        self.sim.world().trigger_cap = Some(cap);
    }

    /// Sets the rate limits (every caller's quota per bucket, the window) and restarts the counts.
    pub fn set_rate_limits(&self, limits: super::RateLimits) {
        let mut w = self.sim.world();
        w.rate_limits = Some(limits);
        w.rate_counters.clear();
    }

    /// Moves the simulator's clock forward (quota days, trigger windows).
    pub fn advance_clock(&self, by: Duration) {
        self.sim.world().clock_offset += by;
    }

    /// ZeroGPU seconds charged to a caller today (`None`: anonymous callers).
    pub fn zero_gpu_used(&self, user: Option<&str>) -> u64 {
        self.sim.world().gpu_quota.get(user.unwrap_or_default()).map_or(0, |q| q.used)
    }

    /// Sets an account's plan (accounts start free).
    pub fn set_plan(&self, account: &str, plan: super::Plan) {
        self.sim.world().plans.insert(account.to_owned(), plan);
    }

    /// An account's plan.
    pub fn plan(&self, account: &str) -> super::Plan {
        self.sim.world().plan(account)
    }

    /// The Space's stage, e.g. `RUNNING`.
    pub fn space_stage(&self, id: &RepoId) -> Option<String> {
        self.sim.world().repo(RepoType::Space, id).and_then(|r| r.space.as_ref()).map(|s| s.stage.clone())
    }

    /// Discussions and PRs of a repo, by number.
    pub fn discussions(&self, ty: RepoType, id: &RepoId) -> Vec<DiscussionView> {
        let w = self.sim.world();
        let Some(repo) = w.repo(ty, id) else { return Vec::new() };
        repo.discussions
            .iter()
            .map(|d| DiscussionView {
                num: d.num,
                title: d.title.clone(),
                is_pull_request: d.is_pr,
                status: d.status.clone(),
                author: d.author.clone(),
                events: d.events.iter().map(|e| super::routes::event_type(&e.data).to_owned()).collect(),
                comments: d.events.iter().filter_map(|e| match &e.data { EventData::Comment { history, .. } => history.first().map(|h| h.0.clone()), _ => None }).collect(),
                head: repo.refs.get(&format!("refs/pr/{}", d.num)).map(|o| sha(o)),
            })
            .collect()
    }

    /// A file's bytes at a revision (branch, `refs/pr/N`, or commit).
    pub fn file(&self, ty: RepoType, id: &RepoId, rev: &str, path: &str) -> Option<Vec<u8>> {
        let w = self.sim.world();
        let c = git::resolve(w.repo(ty, id)?, rev)?;
        c.files.get(path).map(|e| e.data.to_vec())
    }

    /// The commit a revision resolves to.
    pub fn head(&self, ty: RepoType, id: &RepoId, rev: &str) -> Option<CommitSha> {
        let w = self.sim.world();
        git::resolve(w.repo(ty, id)?, rev).map(|c| sha(&c.oid))
    }

    /// The commits reachable from a revision, newest first.
    pub fn commit_log(&self, ty: RepoType, id: &RepoId, rev: &str) -> Vec<CommitView> {
        let w = self.sim.world();
        let Some(repo) = w.repo(ty, id) else { return Vec::new() };
        let mut out = Vec::new();
        let mut next = git::resolve(repo, rev).cloned();
        while let Some(c) = next {
            out.push(CommitView { oid: sha(&c.oid), parent: c.parent.as_deref().map(sha), title: c.title.clone(), message: c.message.clone(), author: c.author.clone() });
            next = c.parent.as_deref().and_then(|p| repo.commit(p)).cloned();
        }
        out
    }

    /// Stops serving and waits for the accept loop to end.
    pub async fn shutdown(self) {
        self.stop.cancel();
        let _ = self.task.await;
    }
}
