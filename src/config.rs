//! Typed configuration: TOML files layered in order, then environment overrides, validated
//! once at start-up. Loading takes an explicit env map so tests never touch the process env.
//!
//! Environment overrides: the Hub's own conventions (`HF_TOKEN`, `HF_TOKEN_PATH`, `HF_ENDPOINT`),
//! `WEBHOOK_SECRET`, `AMQP_URL`, `LSB_SIGNING_KEY`, and any key as `LSB__SECTION__KEY=value`
//! (e.g. `LSB__WORKER__CONCURRENCY=8`).
//!
//! In the order data flows: `sections` (the typed keys), `load` (files layered over the
//! embedded defaults), `env_overrides`, `secrets`, `validate`, `roles` (what each process needs),
//! `origin` (where each key was set, for errors) and `print` (`check-config`).

use std::path::PathBuf;
use std::time::Duration;

use crate::domain::RepoId;
use crate::space::GeneratorSettings;

pub use crate::hub::Secret;
pub use origin::mask_url_password;
pub use roles::{MIN_WEBHOOK_SECRET_BYTES, Role};
pub use sections::{AmqpConfig, HubConfig, Link, LogFormat, ReceiverConfig, SmokeConfig, TelemetryConfig, WorkerConfig};

mod env_overrides;
mod load;
mod origin;
mod print;
mod roles;
mod secrets;
mod sections;
mod validate;

use secrets::SecretProblem;

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

/// The documented defaults, embedded so the binary runs with no files at all.
pub const DEFAULT_TOML: &str = include_str!("../config/default.toml");

impl Settings {
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

    /// The Spaces linked to `lora`.
    pub fn spaces_for(&self, lora: &RepoId) -> Vec<RepoId> {
        self.links.iter().filter(|l| &l.lora == lora).map(|l| l.space.clone()).collect()
    }

    /// Publish confirm timeout.
    pub fn publish_timeout(&self) -> Duration {
        Duration::from_millis(self.receiver.publish_timeout_ms)
    }
}

/// Helpers shared by the unit tests of the config modules.
#[cfg(test)]
mod test_support {
    use std::collections::HashMap;

    pub(super) fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    pub(super) const BASE_ENV: &[(&str, &str)] = &[("WEBHOOK_SECRET", "s3cret"), ("LSB_SIGNING_KEY", "k")];
}
