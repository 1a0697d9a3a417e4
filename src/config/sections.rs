//! The typed sections of the configuration (`[receiver]`, `[amqp]`, …), one struct each, as
//! deserialized from the merged TOML; every key documented.

use std::net::SocketAddr;
use std::path::PathBuf;

use serde::Deserialize;

use crate::domain::RepoId;
use crate::space::GeneratorSettings;

/// Logs format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// `[telemetry]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TelemetryConfig {
    /// `text` or `json`.
    pub format: LogFormat,
    /// A `tracing` env-filter directive, e.g. `info,lora_space_bot=debug`.
    pub filter: String,
}

/// `[receiver]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReceiverConfig {
    /// Address the webhook receiver listens on.
    pub listen: SocketAddr,
    /// Largest accepted webhook body in bytes; larger gets 413.
    pub max_body_bytes: usize,
    /// File holding the webhook secret (used when `WEBHOOK_SECRET` is not set).
    #[serde(default)]
    pub secret_file: Option<PathBuf>,
    /// Start without a webhook secret (every delivery accepted). Loudly logged; never in production.
    #[serde(default)]
    pub insecure_no_secret: bool,
    /// How long to wait for the broker's confirm before answering 503, in milliseconds.
    pub publish_timeout_ms: u64,
    /// Debounce window in seconds (rounded up to a delay tier: 1, 5, 30, 120, 600); 0 = none.
    pub debounce_secs: u64,
    /// Open connections at most; past it, new connections wait in the listen backlog.
    pub max_connections: usize,
    /// Seconds a client has to send a complete request head (slow-header clients are cut).
    pub header_read_timeout_secs: u64,
    /// Seconds a connection may stay silent with no request in flight before it is closed.
    pub idle_timeout_secs: u64,
    /// Seconds a client has to send the request body.
    pub body_timeout_secs: u64,
    /// 401 answers one source address may earn per window before it gets 429; 0 = no limit.
    pub max_unauthorized_per_source: u32,
    /// That window, in seconds.
    pub unauthorized_window_secs: u64,
}

/// `[amqp]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AmqpConfig {
    /// Broker URL (`AMQP_URL` overrides).
    pub url: String,
    /// Prefix of every exchange and queue name (tests use a unique one each).
    pub prefix: String,
    /// Number of shard queues; all jobs for one Space go to one shard.
    pub shards: u16,
    /// `x-delivery-limit` on shard queues: deliveries beyond it dead-letter the job.
    pub delivery_limit: u32,
    /// File holding the envelope signing key (used when `LSB_SIGNING_KEY` is not set).
    #[serde(default)]
    pub signing_key_file: Option<PathBuf>,
    /// How often both roles read the queues' depths into `lsb_queue_depth`, in seconds.
    pub queue_depth_interval_secs: u64,
}

/// `[worker]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkerConfig {
    /// Jobs processed at once by one worker process (also the prefetch).
    pub concurrency: u16,
    /// Attempts of a transiently failing job before it is dead-lettered.
    pub max_attempts: u32,
    /// Where `work` serves `/healthz`, `/readyz` and `/metrics` (`run` uses the receiver's port).
    pub listen: SocketAddr,
    /// Log every Hub write instead of making it (`--dry-run` sets it).
    #[serde(default)]
    pub dry_run: bool,
    /// PRs one worker process may open per hour; 0 = unlimited.
    pub max_prs_per_hour: u32,
    /// Milliseconds between two shard rebalances of a worker (jittered ±25 %).
    pub rebalance_ms: u64,
}

/// `[hub]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HubConfig {
    /// Hub base URL (`HF_ENDPOINT` overrides).
    pub endpoint: url::Url,
    /// File holding the Hub token (used when `HF_TOKEN` is not set; `HF_TOKEN_PATH` overrides).
    #[serde(default)]
    pub token_file: Option<PathBuf>,
    /// Per-request timeout in seconds.
    pub timeout_secs: u64,
    /// Retries of transient errors (5xx, 429, timeouts) per call.
    pub max_retries: u32,
}

/// `[smoke]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmokeConfig {
    /// From a smoke job's first delivery to its verdict, in seconds.
    pub deadline_secs: u64,
    /// Between two reads of the preview's stage, in seconds.
    pub poll_secs: u64,
    /// Added to the app's declared `@spaces.GPU` duration for the inference call's deadline, in seconds.
    pub queue_margin_secs: u64,
    /// Deadline of the other Gradio requests (config, info, upload), in seconds.
    pub call_deadline_secs: u64,
    /// `off`, `zero-gpu` or a hardware flavour: whether live previews run, and on what.
    pub preview: String,
    /// File holding the read-only token set as the preview's `HF_TOKEN` (`LSB_PREVIEW_TOKEN` overrides).
    #[serde(default)]
    pub preview_token_file: Option<PathBuf>,
    /// The Python with the harness requirements, for the local gate.
    pub harness_python: PathBuf,
    /// The directory holding `lsb_harness/`.
    pub harness_dir: PathBuf,
    /// Longest the harness's `check` and `smoke` may take each, in seconds.
    pub harness_timeout_secs: u64,
    /// Deliveries of one smoke job at most (polls and retries) before its verdict is posted.
    pub max_steps: u32,
    /// Namespace of preview Spaces (default: the bot's).
    #[serde(default)]
    pub preview_namespace: Option<String>,
    /// Preview name pattern (`{space}`, `{owner}`, `{n}`).
    pub preview_pattern: String,
    /// Prompts for the inference gate when the app has no examples.
    pub prompts: Vec<String>,
    /// Period of the receiver's preview sweep, in seconds; 0 = off.
    pub sweep_interval_secs: u64,
}

/// One `[[links]]` entry: which LoRA repo feeds which Space.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Link {
    /// The LoRA model repo.
    pub lora: RepoId,
    /// Its demo Space.
    pub space: RepoId,
}

/// Every section as deserialized from the merged files and env, before validation.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSettings {
    pub(super) telemetry: TelemetryConfig,
    pub(super) receiver: ReceiverConfig,
    pub(super) amqp: AmqpConfig,
    pub(super) worker: WorkerConfig,
    pub(super) hub: HubConfig,
    pub(super) smoke: SmokeConfig,
    #[serde(default)]
    pub(super) generator: GeneratorSettings,
    #[serde(default)]
    pub(super) links: Vec<Link>,
}
