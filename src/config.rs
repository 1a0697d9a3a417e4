//! Typed configuration: TOML files layered in order, then environment overrides, validated
//! once at start-up. Loading takes an explicit env map so tests never touch the process env.
//!
//! Environment overrides: the Hub's own conventions (`HF_TOKEN`, `HF_TOKEN_PATH`, `HF_ENDPOINT`),
//! `WEBHOOK_SECRET`, `AMQP_URL`, `LSB_SIGNING_KEY`, and any key as `LSB__SECTION__KEY=value`
//! (e.g. `LSB__WORKER__CONCURRENCY=8`).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::domain::RepoId;
use crate::space::GeneratorSettings;

pub use crate::hub::Secret;
pub use origin::mask_url_password;

mod origin;
mod print;

use origin::{key_error, locate, note_origins};

/// Why the configuration is unusable; every variant names the key and the fix.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A file could not be read.
    #[error("cannot read config file {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    /// A file is not valid TOML.
    #[error("config file {path} is not valid TOML: {source}")]
    Toml { path: PathBuf, source: Box<toml::de::Error> },
    /// A key has the wrong type or an unknown name.
    #[error("invalid configuration: {0}")]
    Shape(String),
    /// A key has a value that fails validation.
    #[error("config key `{key}`: {problem}; fix: {fix}")]
    Invalid { key: &'static str, problem: String, fix: &'static str },
    /// A key has the wrong type, an unknown name or a value that does not parse: which key,
    /// where it was set, what is wrong, and a valid example.
    #[error("config key `{key}` (set in {origin}): {problem}; a valid example: {example}")]
    Key { key: String, origin: String, problem: String, example: String },
    /// Another error, with where its key was set.
    #[error("{inner} (set in {origin})")]
    Located { origin: String, inner: Box<ConfigError> },
}

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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSettings {
    telemetry: TelemetryConfig,
    receiver: ReceiverConfig,
    amqp: AmqpConfig,
    worker: WorkerConfig,
    hub: HubConfig,
    smoke: SmokeConfig,
    #[serde(default)]
    generator: GeneratorSettings,
    #[serde(default)]
    links: Vec<Link>,
}

/// The validated configuration of one process.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Logging.
    pub telemetry: TelemetryConfig,
    /// Webhook receiver.
    pub receiver: ReceiverConfig,
    /// Broker.
    pub amqp: AmqpConfig,
    /// Workers.
    pub worker: WorkerConfig,
    /// Hub client.
    pub hub: HubConfig,
    /// Smoke tests of the bot's PRs.
    pub smoke: SmokeConfig,
    /// Generator (Gradio sdk version, Python version, hardware).
    pub generator: GeneratorSettings,
    /// LoRA → Space links.
    pub links: Vec<Link>,
    /// The webhook secret (`WEBHOOK_SECRET` or `receiver.secret_file`); `None` only when insecure.
    pub webhook_secret: Option<Secret>,
    /// The Hub token (`HF_TOKEN`, `HF_TOKEN_PATH` or `hub.token_file`).
    pub hub_token: Option<Secret>,
    /// Key of the HMAC signature on job envelopes (required by every role that uses the broker).
    pub signing_key: Option<Secret>,
    /// The read-only token of smoke previews (`LSB_PREVIEW_TOKEN` or `smoke.preview_token_file`).
    pub preview_token: Option<Secret>,
    /// The merged configuration as loaded (files, then env), for `check-config`; secrets are
    /// never in it, the broker URL's password is masked when printed.
    pub effective: toml::Table,
    /// Where each `section.key` was last set (a file, an env variable or the defaults).
    pub origins: std::collections::BTreeMap<String, String>,
    /// Secret files that could not be read: an error only for the roles that need them.
    secret_problems: Vec<SecretProblem>,
}

/// A secret source that failed to load, reported only by the roles that use it.
#[derive(Debug, Clone)]
struct SecretProblem {
    key: &'static str,
    problem: String,
    fix: &'static str,
}

/// Which process the configuration is for: each role asks only for its own secrets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Role {
    /// The webhook receiver: webhook secret and signing key.
    Serve,
    /// Workers: signing key and Hub token.
    Work,
    /// Both in one process.
    Run,
}

/// Webhook secrets shorter than this are refused.
pub const MIN_WEBHOOK_SECRET_BYTES: usize = 16;

/// The documented defaults, embedded so the binary runs with no files at all.
pub const DEFAULT_TOML: &str = include_str!("../config/default.toml");

impl Settings {
    /// Loads the embedded defaults, then `files` in order, then `env`, and validates.
    pub fn load(files: &[PathBuf], env: &HashMap<String, String>) -> Result<Self, ConfigError> {
        let defaults = parse_toml(DEFAULT_TOML, Path::new("<embedded default.toml>"))?;
        let mut origins = std::collections::BTreeMap::new();
        note_origins(&mut origins, &defaults, "the embedded defaults (config/default.toml)");
        let mut merged = defaults.clone();
        for path in files {
            let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.clone(), source })?;
            let layer = parse_toml(&text, path)?;
            note_origins(&mut origins, &layer, &format!("file {}", path.display()));
            merge(&mut merged, layer);
        }
        apply_env(&mut merged, env, &mut origins)?;
        let raw: RawSettings = serde_path_to_error::deserialize(toml::Value::Table(merged.clone())).map_err(|e| key_error(&e, &origins, &defaults))?;
        let mut s = Self::validate(raw, env).map_err(|e| locate(e, &origins))?;
        s.effective = merged;
        s.origins = origins;
        Ok(s)
    }

    fn validate(raw: RawSettings, env: &HashMap<String, String>) -> Result<Self, ConfigError> {
        let mut secret_problems = Vec::new();
        let webhook_secret = secret_from(env, "WEBHOOK_SECRET", raw.receiver.secret_file.as_deref(), "receiver.secret_file").unwrap_or_else(|e| defer(e, &mut secret_problems));
        let token_file = env.get("HF_TOKEN_PATH").map(PathBuf::from).or_else(|| raw.hub.token_file.clone());
        let hub_token = secret_from(env, "HF_TOKEN", token_file.as_deref(), "hub.token_file").unwrap_or_else(|e| defer(e, &mut secret_problems));
        let signing_key = secret_from(env, "LSB_SIGNING_KEY", raw.amqp.signing_key_file.as_deref(), "amqp.signing_key_file").unwrap_or_else(|e| defer(e, &mut secret_problems));
        check(valid_amqp_url(&raw.amqp.url), "amqp.url", "must be an amqp:// or amqps:// URL", "amqp://user:password@rabbitmq:5672/%2f (AMQP_URL=amqp://…, not http://…)")?;
        check(raw.amqp.queue_depth_interval_secs >= 1, "amqp.queue_depth_interval_secs", "must be at least 1", "10 is a good default")?;
        check(raw.amqp.shards >= 1, "amqp.shards", "must be at least 1", "use 1 or more shard queues")?;
        let preview_token = secret_from(env, "LSB_PREVIEW_TOKEN", raw.smoke.preview_token_file.as_deref(), "smoke.preview_token_file")?;
        check(raw.smoke.poll_secs >= 30 && raw.smoke.deadline_secs >= raw.smoke.poll_secs, "smoke.poll_secs", "must be at least 30 and at most smoke.deadline_secs", "use 30: every poll is a Hub API call")?;
        check(raw.smoke.max_steps >= 2, "smoke.max_steps", "must be at least 2", "use 60")?;
        check(["{owner}", "{space}", "{n}"].iter().all(|k| raw.smoke.preview_pattern.contains(k)), "smoke.preview_pattern", "must contain {owner}, {space} and {n}", "use \"{owner}_{space}-pr-{n}\" (alice/demo and bob/demo must not share a preview)")?;
        check(crate::smoke::preview::PreviewMode::parse(&raw.smoke.preview).is_ok(), "smoke.preview", "is not off, zero-gpu or a hardware flavour", "use \"off\", \"zero-gpu\" or e.g. \"t4-small\"")?;
        let same_token = matches!((&preview_token, &hub_token), (Some(p), Some(h)) if p.expose() == h.expose());
        check(!same_token, "smoke.preview_token_file", "holds the bot's write token", "create a separate read-only token: the preview runs the PR's code with it as HF_TOKEN")?;
        check(raw.worker.concurrency >= 1, "worker.concurrency", "must be at least 1", "use 1 or more")?;
        check(raw.receiver.max_body_bytes >= 1024, "receiver.max_body_bytes", "is below 1 KiB", "Hub payloads are a few KiB; use 262144")?;
        check(raw.receiver.max_connections >= 1, "receiver.max_connections", "must be at least 1", "max_connections = 16384")?;
        check(raw.receiver.header_read_timeout_secs >= 1, "receiver.header_read_timeout_secs", "must be at least 1", "header_read_timeout_secs = 10")?;
        check(raw.receiver.idle_timeout_secs >= 1, "receiver.idle_timeout_secs", "must be at least 1", "idle_timeout_secs = 30")?;
        check(raw.receiver.body_timeout_secs >= 1, "receiver.body_timeout_secs", "must be at least 1", "body_timeout_secs = 10")?;
        check(raw.receiver.unauthorized_window_secs >= 1, "receiver.unauthorized_window_secs", "must be at least 1", "unauthorized_window_secs = 60")?;
        check((100..=60_000).contains(&raw.worker.rebalance_ms), "worker.rebalance_ms", "must be 100 to 60000", "rebalance_ms = 3000")?;
        check(valid_prefix(&raw.amqp.prefix), "amqp.prefix", "must be 1-64 characters of letters, digits, `.`, `-`, `_`", "e.g. lsb")?;
        check_links(&raw.links)?;
        let mut raw = raw;
        raw.amqp.url = normalize_amqp_url(&raw.amqp.url);
        Ok(Self {
            telemetry: raw.telemetry,
            receiver: raw.receiver,
            amqp: raw.amqp,
            worker: raw.worker,
            hub: raw.hub,
            smoke: raw.smoke,
            generator: raw.generator,
            links: raw.links,
            webhook_secret,
            hub_token,
            signing_key,
            preview_token,
            effective: toml::Table::new(),
            origins: std::collections::BTreeMap::new(),
            secret_problems,
        })
    }

    /// Checks that `role` has every secret it needs (and only those), readable and sound.
    pub fn validate_role(&self, role: Role) -> Result<(), ConfigError> {
        let needs: &[&str] = match role {
            Role::Serve => &["receiver.secret_file", "amqp.signing_key_file"],
            Role::Work => &["amqp.signing_key_file", "hub.token_file"],
            Role::Run => &["receiver.secret_file", "amqp.signing_key_file", "hub.token_file"],
        };
        if let Some(p) = self.secret_problems.iter().find(|p| needs.contains(&p.key)) {
            return Err(ConfigError::Invalid { key: p.key, problem: p.problem.clone(), fix: p.fix });
        }
        if role != Role::Work {
            self.validate_receiver()?;
        }
        self.signing_key()?;
        if role != Role::Serve && self.hub_token.is_none() {
            return Err(ConfigError::Invalid {
                key: "hub.token_file",
                problem: "workers need a Hub token and none is configured".into(),
                fix: "set HF_TOKEN (a token of the bot's account with write access to the linked Spaces) or hub.token_file",
            });
        }
        Ok(())
    }

    /// The receiver's connection limits from `[receiver]`.
    pub fn server_limits(&self) -> crate::http::limits::ServerLimits {
        let r = &self.receiver;
        crate::http::limits::ServerLimits {
            max_connections: r.max_connections,
            header_read_timeout: Duration::from_secs(r.header_read_timeout_secs),
            idle_timeout: Duration::from_secs(r.idle_timeout_secs),
            body_timeout: Duration::from_secs(r.body_timeout_secs),
            max_unauthorized: r.max_unauthorized_per_source,
            unauthorized_window: Duration::from_secs(r.unauthorized_window_secs),
        }
    }

    /// Checks what the receiver role needs: a webhook secret, unless explicitly insecure.
    pub fn validate_receiver(&self) -> Result<(), ConfigError> {
        if let Some(p) = self.secret_problems.iter().find(|p| p.key == "receiver.secret_file") {
            return Err(ConfigError::Invalid { key: p.key, problem: p.problem.clone(), fix: p.fix });
        }
        if let Some(secret) = &self.webhook_secret {
            let n = secret.expose().len();
            if n < MIN_WEBHOOK_SECRET_BYTES {
                return Err(ConfigError::Invalid {
                    key: "receiver.secret_file",
                    problem: format!("the webhook secret (WEBHOOK_SECRET or receiver.secret_file) is {n} bytes; at least {MIN_WEBHOOK_SECRET_BYTES} are required"),
                    fix: "make one with `openssl rand -hex 32`, set it as WEBHOOK_SECRET (or in receiver.secret_file) and enter the same value in the Hub webhook settings",
                });
            }
        }
        if self.webhook_secret.is_none() && !self.receiver.insecure_no_secret {
            return Err(ConfigError::Invalid {
                key: "receiver.secret_file",
                problem: "no webhook secret is configured".into(),
                fix: "set WEBHOOK_SECRET (the secret entered in the Hub's webhook settings) or receiver.secret_file; only for local experiments, receiver.insecure_no_secret = true",
            });
        }
        Ok(())
    }

    /// The envelope signing key, required by every role that touches the broker.
    pub fn signing_key(&self) -> Result<&Secret, ConfigError> {
        if let Some(p) = self.secret_problems.iter().find(|p| p.key == "amqp.signing_key_file") {
            return Err(ConfigError::Invalid { key: p.key, problem: p.problem.clone(), fix: p.fix });
        }
        self.signing_key.as_ref().ok_or(ConfigError::Invalid {
            key: "amqp.signing_key_file",
            problem: "no envelope signing key is configured".into(),
            fix: "set LSB_SIGNING_KEY (a long random string shared by receivers and workers) or amqp.signing_key_file",
        })
    }

    /// The Spaces linked to `lora`.
    pub fn spaces_for(&self, lora: &RepoId) -> Vec<RepoId> {
        self.links.iter().filter(|l| &l.lora == lora).map(|l| l.space.clone()).collect()
    }

    /// Publish confirm timeout.
    pub fn publish_timeout(&self) -> Duration {
        Duration::from_millis(self.receiver.publish_timeout_ms)
    }
}

/// `amqp://host:5672/` names the empty vhost in the AMQP URI spec, which RabbitMQ never has;
/// every other client reads it as the default vhost `/`, so do the same.
fn normalize_amqp_url(url: &str) -> String {
    match url.strip_suffix('/') {
        Some(base) if base.matches('/').count() == 2 => base.to_owned(),
        _ => url.to_owned(),
    }
}

fn valid_amqp_url(url: &str) -> bool {
    url.starts_with("amqp://") || url.starts_with("amqps://")
}

/// A secret that failed to load: kept for the roles that need it.
fn defer(e: ConfigError, problems: &mut Vec<SecretProblem>) -> Option<Secret> {
    if let ConfigError::Invalid { key, problem, fix } = e {
        problems.push(SecretProblem { key, problem, fix });
    }
    None
}

fn check(ok: bool, key: &'static str, problem: &str, fix: &'static str) -> Result<(), ConfigError> {
    if ok { Ok(()) } else { Err(ConfigError::Invalid { key, problem: problem.to_owned(), fix }) }
}

fn valid_prefix(p: &str) -> bool {
    !p.is_empty() && p.len() <= 64 && p.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
}

fn check_links(links: &[Link]) -> Result<(), ConfigError> {
    let mut seen = std::collections::HashSet::new();
    let mut lora_of = std::collections::HashMap::new();
    for l in links {
        if !seen.insert((&l.lora, &l.space)) {
            return Err(ConfigError::Invalid {
                key: "links",
                problem: format!("{} -> {} is listed twice", l.lora, l.space),
                fix: "remove the duplicate [[links]] entry",
            });
        }
        // The bot generates a Space's whole app from one LoRA and keeps one open PR per Space:
        // two LoRAs on one Space would overwrite each other's PR on every push.
        if let Some(other) = lora_of.insert(&l.space, &l.lora) {
            return Err(ConfigError::Invalid {
                key: "links",
                problem: format!("{} is linked to two LoRAs ({other} and {}); a Space demos one LoRA", l.space, l.lora),
                fix: "link each LoRA to its own Space (one LoRA may feed several Spaces)",
            });
        }
    }
    Ok(())
}

fn secret_from(env: &HashMap<String, String>, var: &str, file: Option<&Path>, key: &'static str) -> Result<Option<Secret>, ConfigError> {
    if let Some(v) = env.get(var).filter(|v| !v.trim().is_empty()) {
        return Ok(Some(Secret::new(v.trim())));
    }
    let Some(path) = file else { return Ok(None) };
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Invalid {
        key,
        problem: format!("cannot read {}: {e}", path.display()),
        fix: "point it at a readable file holding only the secret",
    })?;
    let v = text.trim();
    if v.is_empty() {
        return Err(ConfigError::Invalid { key, problem: format!("{} is empty", path.display()), fix: "write the secret into the file" });
    }
    Ok(Some(Secret::new(v)))
}

fn parse_toml(text: &str, path: &Path) -> Result<toml::Table, ConfigError> {
    text.parse::<toml::Table>().map_err(|e| ConfigError::Toml { path: path.to_owned(), source: Box::new(e) })
}

/// Deep-merges `over` into `base`: tables merge key by key, anything else replaces.
fn merge(base: &mut toml::Table, over: toml::Table) {
    for (k, v) in over {
        match (base.get_mut(&k), v) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o),
            (_, v) => {
                base.insert(k, v);
            }
        }
    }
}

/// Applies the well-known variables and `LSB__SECTION__KEY` overrides.
fn apply_env(t: &mut toml::Table, env: &HashMap<String, String>, origins: &mut std::collections::BTreeMap<String, String>) -> Result<(), ConfigError> {
    let known = [("HF_ENDPOINT", "hub", "endpoint"), ("AMQP_URL", "amqp", "url")];
    for (var, section, key) in known {
        if let Some(v) = env.get(var) {
            set(t, section, key, toml::Value::String(v.clone()));
            origins.insert(format!("{section}.{key}"), format!("env {var}"));
        }
    }
    let mut generic: Vec<_> = env.iter().filter_map(|(k, v)| k.strip_prefix("LSB__").map(|rest| (rest.to_ascii_lowercase(), v))).collect();
    generic.sort();
    for (path, v) in generic {
        let (section, key) = path.split_once("__").ok_or_else(|| ConfigError::Shape(format!("LSB__{}: use LSB__SECTION__KEY, e.g. LSB__WORKER__CONCURRENCY=8", path.to_uppercase())))?;
        set(t, section, key, env_value(v));
        origins.insert(format!("{section}.{key}"), format!("env LSB__{}", path.to_uppercase()));
    }
    Ok(())
}

/// Env values are typed by their shape: integers, booleans, else strings.
fn env_value(v: &str) -> toml::Value {
    if let Ok(i) = v.parse::<i64>() {
        toml::Value::Integer(i)
    } else if let Ok(b) = v.parse::<bool>() {
        toml::Value::Boolean(b)
    } else {
        toml::Value::String(v.to_owned())
    }
}

fn set(t: &mut toml::Table, section: &str, key: &str, v: toml::Value) {
    let entry = t.entry(section.to_owned()).or_insert_with(|| toml::Value::Table(toml::Table::new()));
    if let toml::Value::Table(s) = entry {
        s.insert(key.to_owned(), v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    const BASE_ENV: &[(&str, &str)] = &[("WEBHOOK_SECRET", "s3cret"), ("LSB_SIGNING_KEY", "k")];

    #[test]
    fn embedded_defaults_load_with_secrets_from_env() {
        let s = Settings::load(&[], &env(BASE_ENV)).expect("defaults load");
        assert_eq!(s.webhook_secret.as_ref().map(Secret::expose), Some("s3cret"));
        assert_eq!(s.hub.endpoint.as_str(), "https://huggingface.co/");
    }

    #[test]
    fn missing_webhook_secret_is_refused_for_the_receiver_naming_the_fix() {
        let s = Settings::load(&[], &env(&[("LSB_SIGNING_KEY", "k")])).expect("workers need no webhook secret");
        let err = s.validate_receiver().expect_err("the receiver does");
        assert!(err.to_string().contains("WEBHOOK_SECRET"), "{err}");
    }

    #[test]
    fn hub_conventions_and_generic_overrides_apply() {
        let mut e = env(BASE_ENV);
        e.insert("HF_ENDPOINT".into(), "http://127.0.0.1:9/".into());
        e.insert("LSB__WORKER__CONCURRENCY".into(), "7".into());
        e.insert("HF_TOKEN".into(), "hf_x".into());
        let s = Settings::load(&[], &e).expect("load");
        assert_eq!(s.hub.endpoint.as_str(), "http://127.0.0.1:9/");
        assert_eq!(s.worker.concurrency, 7);
        assert_eq!(s.hub_token.as_ref().map(Secret::expose), Some("hf_x"));
    }

    #[test]
    fn an_amqp_url_ending_in_a_bare_slash_means_the_default_vhost() {
        assert_eq!(normalize_amqp_url("amqp://guest:guest@127.0.0.1:5672/"), "amqp://guest:guest@127.0.0.1:5672");
        assert_eq!(normalize_amqp_url("amqp://h:5672/%2f"), "amqp://h:5672/%2f");
        assert_eq!(normalize_amqp_url("amqp://h:5672/prod"), "amqp://h:5672/prod");
    }

    #[test]
    fn rebalance_interval_is_bounded() {
        let mut e = env(BASE_ENV);
        assert_eq!(Settings::load(&[], &e).expect("load").worker.rebalance_ms, 3000);
        for bad in ["0", "99", "60001"] {
            e.insert("LSB__WORKER__REBALANCE_MS".into(), bad.into());
            let err = Settings::load(&[], &e).expect_err("out of range");
            assert!(err.to_string().contains("worker.rebalance_ms"), "{err}");
        }
        e.insert("LSB__WORKER__REBALANCE_MS".into(), "250".into());
        assert_eq!(Settings::load(&[], &e).expect("load").worker.rebalance_ms, 250);
    }

    #[test]
    fn unknown_key_is_refused() {
        let mut e = env(BASE_ENV);
        e.insert("LSB__WORKER__CONCURENCY".into(), "7".into());
        let err = Settings::load(&[], &e).expect_err("typo must fail");
        assert!(err.to_string().contains("concurency"), "{err}");
    }

    #[test]
    fn secrets_never_show_in_debug_output() {
        let s = Settings::load(&[], &env(BASE_ENV)).expect("load");
        let text = format!("{s:?}");
        assert!(!text.contains("s3cret"), "{text}");
    }

    #[test]
    fn a_space_linked_to_two_loras_is_refused_naming_both() {
        let link = |lora: &str, space: &str| Link { lora: lora.parse().expect("id"), space: space.parse().expect("id") };
        let err = check_links(&[link("a/l1", "a/s"), link("a/l2", "a/s")]).expect_err("one LoRA per Space");
        let text = err.to_string();
        assert!(text.contains("a/s is linked to two LoRAs (a/l1 and a/l2)"), "{text}");
        check_links(&[link("a/l1", "a/s1"), link("a/l1", "a/s2")]).expect("one LoRA may feed several Spaces");
    }

    #[test]
    fn files_layer_over_defaults_and_links_parse() {
        let dir = tempfile::tempdir().expect("tmp");
        let p = dir.path().join("x.toml");
        std::fs::write(&p, "[worker]\nconcurrency = 3\n[[links]]\nlora = \"a/l\"\nspace = \"a/s\"\n").expect("write");
        let s = Settings::load(&[p], &env(BASE_ENV)).expect("load");
        assert_eq!(s.worker.concurrency, 3);
        assert_eq!(s.spaces_for(&"a/l".parse().expect("id")), vec!["a/s".parse::<RepoId>().expect("id")]);
    }

    #[test]
    fn smoke_settings_come_from_the_config_and_are_checked() {
        let mut e = env(BASE_ENV);
        e.insert("LSB__SMOKE__PREVIEW_NAMESPACE".into(), "acme-previews".into());
        e.insert("LSB__SMOKE__POLL_SECS".into(), "30".into());
        let s = Settings::load(&[], &e).expect("load");
        assert_eq!(s.smoke.preview_namespace.as_deref(), Some("acme-previews"));
        assert_eq!(s.smoke.poll_secs, 30);
        assert_eq!(s.smoke.preview_pattern, "{owner}_{space}-pr-{n}");
        assert_eq!(s.smoke.preview, "off");
        e.insert("LSB__SMOKE__PREVIEW_PATTERN".into(), "{space}-pr-{n}".into());
        let err = Settings::load(&[], &e).expect_err("a pattern without {owner} would share one preview between alice/demo and bob/demo");
        assert!(err.to_string().contains("smoke.preview_pattern"), "{err}");
        e.remove("LSB__SMOKE__PREVIEW_PATTERN");
        e.insert("LSB__SMOKE__POLL_SECS".into(), "5".into());
        assert!(Settings::load(&[], &e).expect_err("polls under 30 s").to_string().contains("smoke.poll_secs"));
        e.insert("LSB__SMOKE__POLL_SECS".into(), "30".into());
        e.insert("LSB_PREVIEW_TOKEN".into(), "hf_x".into());
        e.insert("HF_TOKEN".into(), "hf_x".into());
        assert!(Settings::load(&[], &e).expect_err("the write token as preview token").to_string().contains("preview_token"));
        e.insert("LSB_PREVIEW_TOKEN".into(), "hf_read".into());
        assert_eq!(Settings::load(&[], &e).expect("load").preview_token.as_ref().map(Secret::expose), Some("hf_read"));
    }
}
