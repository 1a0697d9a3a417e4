//! `jobs …`: enqueue by hand; list, show, replay and purge dead letters.

use std::time::Duration;

use anyhow::Context;
use clap::Subcommand;
use tokio_util::sync::CancellationToken;

use super::amqp_settings;
use crate::config::Settings;
use crate::queue::Broker;
use crate::queue::amqp::AmqpBroker;

/// `jobs …`
#[derive(Debug, Subcommand)]
pub enum JobsCommand {
    /// Enqueue a sync job by hand (regenerate the Space for the LoRA's current head).
    Enqueue {
        /// The LoRA repo, `owner/name`.
        #[arg(long)]
        lora: crate::domain::RepoId,
        /// The Space, `owner/name` (the pair must be in [[links]]: workers refuse any other).
        #[arg(long)]
        space: crate::domain::RepoId,
    },
    /// Dead-lettered jobs.
    #[command(subcommand)]
    Dead(DeadCommand),
}

/// `jobs dead …`
#[derive(Debug, Subcommand)]
pub enum DeadCommand {
    /// List parked jobs with their reasons (nothing is removed).
    List {
        /// At most this many.
        #[arg(long, default_value_t = 100)]
        limit: usize,
    },
    /// Show one parked job in full.
    Show {
        /// The job id.
        id: String,
    },
    /// Put parked jobs back on their shard (attempt count reset).
    Replay {
        /// The job ids to replay.
        ids: Vec<String>,
        /// Replay every parked job.
        #[arg(long, conflicts_with = "ids")]
        all: bool,
    },
    /// Delete every parked job.
    Purge {
        /// Required: purging cannot be undone.
        #[arg(long)]
        yes: bool,
    },
}

/// Runs a `jobs` subcommand.
pub async fn run(s: &Settings, cmd: JobsCommand) -> anyhow::Result<()> {
    use crate::queue::dead;
    let shutdown = CancellationToken::new();
    let broker = AmqpBroker::start(amqp_settings(s).context("configuration")?, shutdown.clone());
    anyhow::ensure!(broker.wait_ready(Duration::from_secs(15)).await, "cannot reach RabbitMQ at amqp.url (AMQP_URL); is it running?");
    let key = s.signing_key()?.expose().as_bytes().to_vec();
    let result = match cmd {
        JobsCommand::Enqueue { lora, space } => {
            anyhow::ensure!(s.spaces_for(&lora).contains(&space), "{lora} is not linked to {space} in [[links]]; add the link (workers refuse jobs for unlinked pairs)");
            let job = crate::domain::Job::sync(lora, None, space, "manual", time::OffsetDateTime::now_utc());
            Broker::Amqp(broker.clone()).publish(&job).await?;
            println!("enqueued {}", job.id);
            Ok(())
        }
        JobsCommand::Dead(DeadCommand::List { limit }) => {
            let letters = dead::list(&broker, &s.amqp.url, &key, limit).await?;
            println!("{} dead letter(s)", letters.len());
            for d in letters {
                let what = d.job.as_ref().map_or_else(|| "(unverifiable envelope)".to_owned(), |j| format!("{} -> {}", j.lora, j.space));
                println!("{}  {}  attempt {}  {}\n    reason: {}", d.id, d.dead_at.as_deref().unwrap_or("-"), d.attempt.as_deref().unwrap_or("-"), what, d.reason);
            }
            Ok(())
        }
        JobsCommand::Dead(DeadCommand::Show { id }) => {
            let letters = dead::list(&broker, &s.amqp.url, &key, usize::MAX).await?;
            let d = letters.into_iter().find(|d| d.id == id).with_context(|| format!("no dead letter with id {id}"))?;
            println!("id:       {}\nreason:   {}\nattempt:  {}\ndead at:  {}\nverified: {}\nbody:     {}", d.id, d.reason, d.attempt.unwrap_or_default(), d.dead_at.unwrap_or_default(), d.job.is_some(), d.body);
            Ok(())
        }
        JobsCommand::Dead(DeadCommand::Replay { ids, all }) => {
            anyhow::ensure!(all || !ids.is_empty(), "name the job ids to replay, or pass --all");
            let replayed = dead::replay(&broker, &s.amqp.url, &key, if all { None } else { Some(&ids) }).await?;
            println!("replayed {} job(s): {}", replayed.len(), replayed.join(", "));
            Ok(())
        }
        JobsCommand::Dead(DeadCommand::Purge { yes }) => {
            anyhow::ensure!(yes, "purging deletes every dead letter for good; pass --yes");
            println!("purged {} dead letter(s)", dead::purge(&broker, &s.amqp.url).await?);
            Ok(())
        }
    };
    shutdown.cancel();
    result
}

