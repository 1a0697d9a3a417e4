//! Hub client settings: endpoint, token, timeouts and retry budget. Filled by the config layer.

use std::time::Duration;

use serde::{Deserialize, Deserializer};
use url::Url;

use super::secret::Secret;

/// The default Hub endpoint.
pub const DEFAULT_ENDPOINT: &str = "https://huggingface.co";

/// How the Hub client is built. Every key is optional (`#[serde(default)]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HubSettings {
    /// `endpoint`: base URL of the Hub (`HF_ENDPOINT`). Default `https://huggingface.co`.
    pub endpoint: Url,
    /// `token`: Hub access token (`HF_TOKEN`); anonymous when absent. Never logged.
    pub token: Option<Secret>,
    /// `timeout`: per-request timeout, in seconds (integer or fraction). Default 30.
    #[serde(deserialize_with = "seconds")]
    pub timeout: Duration,
    /// `max_retries`: retries of a transient failure (5xx, 429, timeout). Default 4.
    pub max_retries: u32,
    /// `user_agent`: sent on every request. Default `lora-space-bot/<version>; rust; reqwest/0.12`.
    pub user_agent: String,
    /// `retry_min_delay`: first backoff delay, in seconds; doubles with jitter. Default 1.
    #[serde(deserialize_with = "seconds")]
    pub retry_min_delay: Duration,
    /// `max_retry_wait`: longest wait the client accepts before retrying (a longer
    /// `Retry-After` is returned as [`super::HubError::RateLimited`]). In seconds. Default 60.
    #[serde(deserialize_with = "seconds")]
    pub max_retry_wait: Duration,
}

impl Default for HubSettings {
    fn default() -> Self {
        Self {
            endpoint: default_endpoint(),
            token: None,
            timeout: Duration::from_secs(30),
            max_retries: 4,
            user_agent: format!("lora-space-bot/{}; rust; reqwest/0.12", env!("CARGO_PKG_VERSION")),
            retry_min_delay: Duration::from_secs(1),
            max_retry_wait: Duration::from_secs(60),
        }
    }
}

#[allow(clippy::expect_used)]
fn default_endpoint() -> Url {
    Url::parse(DEFAULT_ENDPOINT).expect("the default endpoint is a valid URL")
}

fn seconds<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    let secs = f64::deserialize(d)?;
    Duration::try_from_secs_f64(secs).map_err(serde::de::Error::custom)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_deserialise_from_partial_toml_with_seconds() {
        let s: HubSettings = toml::from_str("endpoint = \"http://127.0.0.1:9/\"\ntimeout = 2.5\ntoken = \"hf_x\"")
            .expect("valid settings");
        assert_eq!(s.endpoint.as_str(), "http://127.0.0.1:9/");
        assert_eq!(s.timeout, Duration::from_millis(2500));
        assert_eq!(s.max_retries, 4);
        assert_eq!(s.token.as_ref().map(Secret::expose), Some("hf_x"));
    }

    #[test]
    fn unknown_keys_are_rejected() {
        assert!(toml::from_str::<HubSettings>("endpiont = \"x\"").is_err());
    }
}
