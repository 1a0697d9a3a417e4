//! What every job needs, built once per worker process and shared.

use crate::hub::{HubClient, HubError};
use crate::space::GeneratorSettings;

/// Clients and settings shared by all jobs of a worker process.
pub struct WorkerContext {
    /// The Hub client (the bot's token).
    pub hub: HubClient,
    /// The bot's Hub user name (author of its PRs), from whoami.
    pub bot_user: String,
    /// Generator settings (Gradio sdk version, ...).
    pub generator: GeneratorSettings,
    /// Attempts before a transiently failing job is dead-lettered.
    pub max_attempts: u32,
    /// Metrics registry.
    pub metrics: std::sync::Arc<crate::metrics::Metrics>,
}

impl WorkerContext {
    /// Builds the context; asks the Hub who the token belongs to once.
    pub async fn build(hub: HubClient, generator: GeneratorSettings, max_attempts: u32, metrics: std::sync::Arc<crate::metrics::Metrics>) -> Result<Self, HubError> {
        let bot_user = hub.whoami().await?.name;
        Ok(Self { hub, bot_user, generator, max_attempts, metrics })
    }
}
