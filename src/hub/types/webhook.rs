//! Webhook settings (hub-api.md §8).

use serde::{Deserialize, Serialize};

use crate::hub::secret::Secret;

/// A watched entity.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct WatchedItem {
    /// `model`, `dataset`, `space`, `user` or `org`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Repo id or account name.
    pub name: String,
}

/// A webhook domain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum WebhookDomain {
    /// Repo changes (`repo`, `repo.content`, `repo.config`).
    Repo,
    /// Discussions, PRs and comments.
    Discussion,
}

/// What to create or update.
#[derive(Debug, Clone, Serialize)]
pub struct WebhookSpec {
    /// Watched entities.
    pub watched: Vec<WatchedItem>,
    /// Target URL.
    pub url: String,
    /// Domains.
    pub domains: Vec<WebhookDomain>,
    /// Sent as `X-Webhook-Secret`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<Secret>,
}

/// A webhook as the Hub returns it.
#[derive(Debug, Clone, Deserialize)]
pub struct WebhookInfo {
    /// Id.
    pub id: String,
    /// Target URL (absent for Job webhooks).
    #[serde(default)]
    pub url: Option<String>,
    /// Watched entities.
    pub watched: Vec<WatchedItem>,
    /// Domains.
    #[serde(default)]
    pub domains: Vec<WebhookDomain>,
    /// The secret.
    #[serde(default)]
    pub secret: Option<Secret>,
    /// Whether deliveries are off.
    #[serde(default)]
    pub disabled: bool,
}

#[derive(Debug, Deserialize)]
pub(crate) struct WebhookEnvelope {
    pub webhook: WebhookInfo,
}
