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
        /// The job id, or any prefix of it that only one parked job has (as `jobs dead list` shows).
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
    let shutdown = CancellationToken::new();
    let broker = AmqpBroker::start(amqp_settings(s).context("configuration")?, shutdown.clone());
    let result = run_on(s, &broker, cmd).await;
    shutdown.cancel();
    let _ = tokio::time::timeout(Duration::from_secs(2), async {
        while broker.is_ready() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    result
}

async fn run_on(s: &Settings, broker: &AmqpBroker, cmd: JobsCommand) -> anyhow::Result<()> {
    use crate::queue::dead;
    let ready = broker.wait_ready_or_fatal(Duration::from_secs(15)).await.context("RabbitMQ refused this configuration")?;
    anyhow::ensure!(ready, "cannot reach RabbitMQ at {} (amqp.url / AMQP_URL) within 15 s; is it running there? (locally: scripts/rabbitmq.sh start)", crate::config::mask_url_password(&s.amqp.url));
    let key = s.signing_key()?.expose().as_bytes().to_vec();
    match cmd {
        JobsCommand::Enqueue { lora, space } => {
            anyhow::ensure!(s.spaces_for(&lora).contains(&space), "{lora} is not linked to {space} in [[links]]; add the link (workers refuse jobs for unlinked pairs)");
            let job = crate::domain::Job::sync(lora, None, space, "manual", time::OffsetDateTime::now_utc());
            Broker::Amqp(broker.clone()).publish(&job).await?;
            println!("enqueued {}", job.id);
            Ok(())
        }
        JobsCommand::Dead(DeadCommand::List { limit }) => {
            let letters = dead::list(broker, &s.amqp.url, &key, limit).await?;
            println!("{} dead letter(s)", letters.len());
            for d in letters {
                let what = d.job.as_ref().map_or_else(|| "(unverifiable envelope)".to_owned(), |j| format!("{} -> {}", j.lora, j.space));
                println!("{}  {}  attempt {}  {}\n    reason: {}", d.id, d.dead_at.as_deref().unwrap_or("-"), d.attempt.as_deref().unwrap_or("-"), what, d.reason);
            }
            Ok(())
        }
        JobsCommand::Dead(DeadCommand::Show { id }) => {
            let letters = dead::list(broker, &s.amqp.url, &key, usize::MAX).await?;
            let d = pick_by_prefix(letters, &id, |d| d.id.as_str())?;
            println!("id:       {}\nreason:   {}\nattempt:  {}\ndead at:  {}\nverified: {}\nbody:     {}", d.id, d.reason, d.attempt.unwrap_or_default(), d.dead_at.unwrap_or_default(), d.job.is_some(), d.body);
            Ok(())
        }
        JobsCommand::Dead(DeadCommand::Replay { ids, all }) => {
            anyhow::ensure!(all || !ids.is_empty(), "name the job ids to replay, or pass --all");
            let replayed = dead::replay(broker, &s.amqp.url, &key, if all { None } else { Some(&ids) }).await?;
            println!("replayed {} job(s): {}", replayed.len(), replayed.join(", "));
            Ok(())
        }
        JobsCommand::Dead(DeadCommand::Purge { yes }) => {
            anyhow::ensure!(yes, "purging deletes every dead letter for good; pass --yes");
            println!("purged {} dead letter(s)", dead::purge(broker, &s.amqp.url).await?);
            Ok(())
        }
    }
}


/// The one item whose id starts with `prefix`: none or several is an error naming them.
fn pick_by_prefix<T>(items: Vec<T>, prefix: &str, id: impl Fn(&T) -> &str) -> anyhow::Result<T> {
    anyhow::ensure!(!prefix.is_empty(), "give a job id (or a prefix of one)");
    let mut found: Vec<T> = items.into_iter().filter(|t| id(t).starts_with(prefix)).collect();
    match found.len() {
        0 => anyhow::bail!("no dead letter with an id starting with {prefix} (see `jobs dead list`)"),
        1 => Ok(found.remove(0)),
        n => {
            let ids: Vec<&str> = found.iter().map(id).collect();
            anyhow::bail!("{n} dead letters have ids starting with {prefix}: {}; give more characters", ids.join(", "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::pick_by_prefix;

    #[test]
    fn a_unique_prefix_picks_one_and_an_ambiguous_or_unknown_one_says_so() {
        let ids = || vec!["ab12".to_owned(), "ab34".to_owned(), "cd56".to_owned()];
        assert_eq!(pick_by_prefix(ids(), "cd", |s| s.as_str()).expect("unique"), "cd56");
        assert_eq!(pick_by_prefix(ids(), "ab12", |s| s.as_str()).expect("full id"), "ab12");
        let err = pick_by_prefix(ids(), "ab", |s| s.as_str()).expect_err("ambiguous").to_string();
        assert!(err.contains("ab12") && err.contains("ab34"), "{err}");
        assert!(pick_by_prefix(ids(), "zz", |s| s.as_str()).is_err());
    }
}
