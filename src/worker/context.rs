//! What every job needs, built once per worker process and shared.

use std::collections::HashSet;
use std::sync::Arc;

use crate::domain::RepoId;
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
    /// The LoRA → Space pairs jobs may name (`[[links]]`); any other pair is dead-lettered, so
    /// the signing key alone cannot reach every Space the token can write. `None` only for
    /// library callers that check pairs themselves (the CLI always sets it).
    pub links: Option<Vec<(RepoId, RepoId)>>,
}

impl Default for WorkerPolicy {
    fn default() -> Self {
        Self { max_attempts: 6, dry_run: false, max_prs_per_hour: 0, smoke: SmokeSettings::default(), links: None }
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
    /// The pairs jobs may name (see [`WorkerPolicy::links`]).
    pub links: Option<HashSet<(RepoId, RepoId)>>,
}

impl WorkerContext {
    /// Builds the context; asks the Hub who the token belongs to once.
    pub async fn build(hub: HubClient, generator: GeneratorSettings, policy: WorkerPolicy, metrics: Arc<Metrics>) -> Result<Self, HubError> {
        let hub = hub.with_metrics(metrics.clone());
        let bot = hub.whoami().await?.name;
        let publisher = Publisher { hub: hub.clone(), bot, dry_run: policy.dry_run, rate: HourlyCap::new(policy.max_prs_per_hour) };
        let links = policy.links.map(|l| l.into_iter().collect());
        Ok(Self { hub, publisher, generator, max_attempts: policy.max_attempts, metrics, smoke: policy.smoke, links })
    }

    /// Why a job for `lora` → `space` must not run, if it must not.
    pub fn refusal(&self, lora: &RepoId, space: &RepoId) -> Option<String> {
        let links = self.links.as_ref()?;
        (!links.contains(&(lora.clone(), space.clone()))).then(|| {
            format!("refused: {lora} -> {space} is not in this worker's [[links]]; add the link to the workers' configuration (and the receivers'), then replay this job")
        })
    }

    /// The bot's Hub user name.
    pub fn bot_user(&self) -> &str {
        &self.publisher.bot
    }
}
