//! The simulator's in-memory world: users, repos (git-like commits and refs), discussions,
//! Space runtimes, webhooks, and the records tests read (calls, deliveries).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::sync::Arc;

use bytes::Bytes;
use time::OffsetDateTime;

use crate::domain::{RepoId, RepoType};

use super::faults::FaultRule;
use super::record::{CallRecord, Delivery};

/// A file in a commit: its git blob id and bytes.
#[derive(Debug, Clone)]
pub(crate) struct FileEntry {
    pub oid: String,
    pub data: Bytes,
}

/// One commit: full snapshot of the files, like a git tree.
#[derive(Debug)]
pub(crate) struct Commit {
    pub oid: String,
    pub parent: Option<String>,
    pub files: BTreeMap<String, FileEntry>,
    pub title: String,
    pub message: String,
    pub author: String,
    pub date: OffsetDateTime,
}

/// A discussion or PR event.
#[derive(Debug, Clone)]
pub(crate) struct Event {
    pub id: String,
    pub author: String,
    pub created_at: OffsetDateTime,
    pub data: EventData,
}

/// What happened.
#[derive(Debug, Clone)]
pub(crate) enum EventData {
    /// A comment; `history` holds every version, newest first.
    Comment { history: Vec<(String, OffsetDateTime, String)>, hidden: bool },
    /// A status change.
    Status(String),
    /// A commit pushed to the PR ref.
    Commit { subject: String, oid: String },
    /// A rename.
    Title { from: String, to: String },
}

/// A discussion or pull request.
#[derive(Debug, Clone)]
pub(crate) struct Discussion {
    pub num: u64,
    pub id: String,
    pub title: String,
    pub is_pr: bool,
    pub status: String,
    pub author: String,
    pub created_at: OffsetDateTime,
    pub events: Vec<Event>,
    /// PRs: the main commit the PR was based on.
    pub base_oid: Option<String>,
    /// PRs: the merge commit, once merged.
    pub merge_commit: Option<String>,
}

/// How the next build of a Space ends (scriptable by tests).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum BuildOutcome {
    /// BUILDING then RUNNING.
    #[default]
    Running,
    /// BUILDING then BUILD_ERROR, with these build log lines.
    BuildError(Vec<String>),
    /// BUILDING then RUNTIME_ERROR, with these run log lines.
    RuntimeError(Vec<String>),
}

/// A Space's runtime and settings.
#[derive(Debug, Clone, Default)]
pub(crate) struct SpaceState {
    pub sdk: String,
    pub stage: String,
    pub hardware: String,
    pub sleep_time: Option<i64>,
    pub error_message: Option<String>,
    pub generation: u64,
    pub outcome: BuildOutcome,
    pub build_log: Vec<String>,
    pub run_log: Vec<String>,
    /// Where the running app answers (harness runs only).
    pub host: Option<String>,
    /// The hardware the running app got (`hardware` is the requested one): set once a build
    /// runs, as the Hub applies hardware after the build (hub-constraints.md §3).
    pub current_hardware: Option<String>,
    pub secrets: BTreeMap<String, (Option<String>, String)>,
    /// Secret values (write-only on the API; the app's environment when the harness runs it).
    pub secret_values: BTreeMap<String, String>,
    pub variables: BTreeMap<String, (String, Option<String>, String)>,
}

/// A repository.
#[derive(Debug)]
pub(crate) struct Repo {
    pub ty: RepoType,
    pub id: RepoId,
    pub object_id: String,
    pub private: bool,
    pub created_at: OffsetDateTime,
    pub commits: HashMap<String, Arc<Commit>>,
    /// `refs/heads/main`, `refs/pr/N` → commit oid.
    pub refs: BTreeMap<String, String>,
    pub discussions: Vec<Discussion>,
    pub space: Option<SpaceState>,
    /// `auto` or `manual` when downloads need approval.
    pub gated: Option<String>,
    /// Users approved for a gated repo (the owner always is).
    pub gate_grants: Vec<String>,
}

/// A registered webhook.
#[derive(Debug, Clone)]
pub(crate) struct Webhook {
    pub id: String,
    pub owner: String,
    pub url: String,
    pub watched: Vec<(String, String)>,
    pub domains: Vec<String>,
    pub secret: Option<String>,
    pub disabled: bool,
}

/// Everything, behind one mutex.
#[derive(Debug, Default)]
pub(crate) struct World {
    /// token → user name.
    pub tokens: HashMap<String, String>,
    /// Known user names.
    pub users: Vec<String>,
    pub repos: BTreeMap<(RepoTypeKey, RepoId), Repo>,
    pub webhooks: Vec<Webhook>,
    /// Calls with their sequence number (stable across `clear_calls`).
    pub calls: Vec<(u64, CallRecord)>,
    pub call_seq: u64,
    pub deliveries: Vec<Delivery>,
    pub faults: Vec<FaultRule>,
    pub counter: u64,
    /// Account plans (absent: free). See [`super::terms::Plan`].
    pub plans: HashMap<String, super::terms::Plan>,
    /// ZeroGPU use per caller (user name, or `""` for anonymous callers).
    pub gpu_quota: HashMap<String, super::terms::QuotaUse>,
    /// Trigger times per webhook id in the last 24 h (simulator clock).
    pub trigger_window: HashMap<String, VecDeque<std::time::Duration>>,
    /// Triggers counted / refused per webhook id since start.
    pub trigger_totals: BTreeMap<String, (u64, u64)>,
    /// Users with a repo creation in flight, and repos with a commit in flight (409s).
    pub creating: HashSet<String>,
    pub committing: BTreeSet<(RepoTypeKey, RepoId)>,
    /// The trigger cap set through `/_sim` (else `SimConfig::webhook_daily_cap`).
    pub trigger_cap: Option<u32>,
    /// Added to the simulator's clock (tests and `/_sim/clock` move time forward).
    pub clock_offset: std::time::Duration,
    /// Rate limits set through `/_sim` (else `SimConfig::rate_limits`).
    pub rate_limits: Option<super::rate::RateLimits>,
    /// Requests per (caller, bucket) in the current window.
    pub rate_counters: super::rate::Counters,
    /// Old name → new name of moved repos (downloads of the old name redirect).
    pub moved: BTreeMap<(RepoTypeKey, RepoId), RepoId>,
}

/// `RepoType` as an ordered map key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct RepoTypeKey(pub u8);

impl From<RepoType> for RepoTypeKey {
    fn from(t: RepoType) -> Self {
        Self(match t {
            RepoType::Model => 0,
            RepoType::Dataset => 1,
            RepoType::Space => 2,
        })
    }
}

impl World {
    /// A fresh 24-hex object id (like the Hub's Mongo ids).
    pub fn next_object_id(&mut self) -> String {
        self.counter += 1;
        let digest = super::git::sha1_hex(format!("object-{}", self.counter).as_bytes());
        digest[..24].to_owned()
    }

    /// The repo, if it exists.
    pub fn repo(&self, ty: RepoType, id: &RepoId) -> Option<&Repo> {
        self.repos.get(&(ty.into(), id.clone()))
    }

    /// The repo, mutably.
    pub fn repo_mut(&mut self, ty: RepoType, id: &RepoId) -> Option<&mut Repo> {
        self.repos.get_mut(&(ty.into(), id.clone()))
    }

    /// An account's plan (free unless set).
    pub fn plan(&self, user: &str) -> super::terms::Plan {
        self.plans.get(user).copied().unwrap_or_default()
    }

    /// How many Spaces of `ns` request ZeroGPU, leaving out `except`.
    pub fn zero_gpu_hosted(&self, ns: &str, except: Option<&RepoId>) -> usize {
        self.repos
            .values()
            .filter(|r| r.owner() == ns && Some(&r.id) != except)
            .filter(|r| r.space.as_ref().is_some_and(|s| s.hardware == super::terms::ZERO_GPU))
            .count()
    }

    /// Adds a user (idempotent).
    pub fn ensure_user(&mut self, name: &str) {
        if !self.users.iter().any(|u| u == name) {
            self.users.push(name.to_owned());
        }
    }
}

impl Repo {
    /// The owner: the namespace (every namespace is a user in the simulator).
    pub fn owner(&self) -> &str {
        self.id.namespace()
    }

    /// The head of `main`.
    pub fn main_head(&self) -> Option<&str> {
        self.refs.get("refs/heads/main").map(String::as_str)
    }

    /// The commit an oid names.
    pub fn commit(&self, oid: &str) -> Option<&Arc<Commit>> {
        self.commits.get(oid)
    }

    /// The discussion `num`.
    pub fn discussion_mut(&mut self, num: u64) -> Option<&mut Discussion> {
        self.discussions.iter_mut().find(|d| d.num == num)
    }

    /// The next discussion number (discussions and PRs share the sequence).
    pub fn next_discussion_num(&self) -> u64 {
        self.discussions.iter().map(|d| d.num).max().unwrap_or(0) + 1
    }
}
