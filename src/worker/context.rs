//! What every job needs, built once per worker process and shared.

use std::sync::Arc;

use crate::hub::{HubClient, HubError};
use crate::metrics::Metrics;
use crate::publish::{Publisher, rate::HourlyCap};
use crate::smoke::job::SmokeSettings;
use crate::space::GeneratorSettings;

/// Worker policies from the config.
#[derive(Debug, Clone)]
pub struct WorkerPolicy {
    /// Attempts before a transiently failing job is dead-lettered.
    pub max_attempts: u32,
    /// Log Hub writes instead of making them.
    pub dry_run: bool,
    /// PRs one worker process may open per hour (0 = unlimited).
    pub max_prs_per_hour: u32,
    /// How `smoke` and `cleanup` jobs run.
    pub smoke: SmokeSettings,
}

impl Default for WorkerPolicy {
    fn default() -> Self {
        Self { max_attempts: 6, dry_run: false, max_prs_per_hour: 0, smoke: SmokeSettings::default() }
    }
}

/// Clients and settings shared by all jobs of a worker process.
pub struct WorkerContext {
    /// The Hub client (the bot's token).
    pub hub: HubClient,
    /// PR lifecycle with the bot's identity and policies.
    pub publisher: Publisher,
    /// Generator settings (Gradio sdk version, ...).
    pub generator: GeneratorSettings,
    /// Attempts before a transiently failing job is dead-lettered.
    pub max_attempts: u32,
    /// Metrics registry.
    pub metrics: Arc<Metrics>,
    /// How `smoke` and `cleanup` jobs run.
    pub smoke: SmokeSettings,
}

impl WorkerContext {
    /// Builds the context; asks the Hub who the token belongs to once.
    pub async fn build(hub: HubClient, generator: GeneratorSettings, policy: WorkerPolicy, metrics: Arc<Metrics>) -> Result<Self, HubError> {
        let hub = hub.with_metrics(metrics.clone());
        let bot = hub.whoami().await?.name;
        let publisher = Publisher { hub: hub.clone(), bot, dry_run: policy.dry_run, rate: HourlyCap::new(policy.max_prs_per_hour) };
        Ok(Self { hub, publisher, generator, max_attempts: policy.max_attempts, metrics, smoke: policy.smoke })
    }

    /// The bot's Hub user name.
    pub fn bot_user(&self) -> &str {
        &self.publisher.bot
    }
}
