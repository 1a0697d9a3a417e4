//! The `smoke` and `cleanup` job kinds (DESIGN §6). A smoke job is stateless and short:
//! its first delivery runs the static checks and deploys the preview of the bot's open PR;
//! each later delivery reads the preview's stage once and either asks to be re-enqueued
//! through a delay tier ([`Step::Poll`]) or runs the remaining gates and finishes. The
//! report comment and the PR body section are rewritten at every step. A cleanup job deletes
//! the previews of the Space's bot PRs that are no longer open (merge, close, or a sweep).

use std::time::Duration;

use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use super::SmokeError;
use super::gates::{self, Runtime};
use super::gradio::{GradioClient, GradioSettings};
use super::preview::{self, PreviewSettings};
use super::report::{Gate, SMOKE_MARKER, SmokeReport, Verdict, mirror_into_body};
use crate::domain::job::ENVELOPE_VERSION;
use crate::domain::{Job, JobKind, RepoId, RepoType};
use crate::hub::{DiscussionStatus, EventKind, HubClient, Secret};
use crate::publish::etiquette::{self, BotPr};
use crate::queue::Outcome;

/// How smoke jobs behave.
#[derive(Debug, Clone)]
pub struct SmokeSettings {
    /// Preview naming.
    pub preview: PreviewSettings,
    /// From the job's first delivery to a verdict.
    pub deadline: Duration,
    /// Between two polls of the preview's stage (rounded up to a delay tier by the queue).
    pub poll_every: Duration,
    /// Gradio client settings.
    pub gradio: GradioSettings,
    /// Sent as `X-HF-Authorization` to the preview (read access to the bot's previews).
    pub gradio_token: Option<Secret>,
    /// Longest a probing step (contract + inference) may hold its delivery; gates without a
    /// verdict by then fail.
    pub step_budget: Duration,
    /// Prompts for the inference gate when the app declares no examples (one call each);
    /// empty → Gradio's example inputs.
    pub prompts: Vec<String>,
}

impl Default for SmokeSettings {
    fn default() -> Self {
        Self {
            preview: PreviewSettings::default(),
            deadline: Duration::from_secs(20 * 60),
            poll_every: Duration::from_secs(5),
            step_budget: Duration::from_secs(50),
            gradio: GradioSettings { call_deadline: Duration::from_secs(40), ..GradioSettings::default() },
            gradio_token: None,
            prompts: vec!["a photo".to_owned()],
        }
    }
}

/// What one smoke step ended with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Not finished: enqueue again after this delay.
    Poll {
        /// The delay.
        after: Duration,
        /// The preview's stage.
        stage: String,
    },
    /// Every gate has a verdict (the report is posted).
    Finished(SmokeReport),
    /// No open bot PR on the Space.
    NothingToDo,
}

fn job_id(kind: &str, space: &RepoId, key: &str) -> String {
    hex::encode(Sha256::digest(format!("{kind}:{space}#{key}")))
}

/// A `smoke` job for the bot's open PR on `space` (its head `pr_head` makes the id).
pub fn smoke_job(lora: RepoId, space: RepoId, pr_head: &str, now: OffsetDateTime) -> Job {
    Job { v: ENVELOPE_VERSION, kind: JobKind::Smoke, id: job_id("smoke", &space, pr_head), lora, revision: None, space, reason: "smoke".to_owned(), received_at: now, attempt: 0, space_main: None }
}

/// A `cleanup` job for `space` (`why`: `merged`, `closed`, `sweep`).
pub fn cleanup_job(lora: RepoId, space: RepoId, why: &str, now: OffsetDateTime) -> Job {
    let key = format!("{why}@{}", now.unix_timestamp());
    Job { v: ENVELOPE_VERSION, kind: JobKind::Cleanup, id: job_id("cleanup", &space, &key), lora, revision: None, space, reason: why.to_owned(), received_at: now, attempt: 0, space_main: None }
}

async fn bot_prs(hub: &HubClient, bot: &str, space: &RepoId) -> Result<Vec<BotPr>, SmokeError> {
    let filter = crate::hub::DiscussionFilter {
        kind: crate::hub::DiscussionKindFilter::PullRequest,
        status: crate::hub::DiscussionStatusFilter::All,
        author: Some(bot.to_owned()),
    };
    let all = hub.list_discussions(RepoType::Space, space, &filter).await?;
    Ok(etiquette::bot_prs(&all, bot))
}

fn elapsed_since(start: OffsetDateTime, now: OffsetDateTime) -> Duration {
    (now - start).try_into().unwrap_or_default()
}

/// Runs one step of the smoke test of the bot's open PR on `job.space`.
pub async fn step(hub: &HubClient, bot: &str, settings: &SmokeSettings, job: &Job, now: OffsetDateTime) -> Result<Step, SmokeError> {
    let prs = bot_prs(hub, bot, &job.space).await?;
    let Some(pr) = prs.iter().find(|p| matches!(p.status, DiscussionStatus::Open | DiscussionStatus::Draft)).map(|p| p.num) else {
        return Ok(Step::NothingToDo);
    };
    let preview_id = preview::preview_id(&settings.preview, bot, &job.space, pr)?;
    let mut report = SmokeReport::new(&job.space.to_string(), Some(pr));
    let web = hub.endpoint().join(&format!("spaces/{preview_id}")).map(|u| u.to_string()).ok();
    report.logs_url = web.as_ref().map(|w| format!("{w}?logs=container"));
    report.preview_url = web;
    let revision = format!("refs/pr/{pr}");
    if !gates::static_checks(hub, &job.space, &revision, &mut report).await? {
        report.skip_pending("not run: the static checks failed");
        report.preview_url = None;
        report.logs_url = None;
        publish(hub, bot, &job.space, pr, &report).await?;
        return Ok(Step::Finished(report));
    }
    if job.attempt == 0 {
        preview::deploy(hub, &settings.preview, bot, &job.space, pr).await?;
        publish(hub, bot, &job.space, pr, &report).await?;
        return Ok(Step::Poll { after: settings.poll_every, stage: "BUILDING".to_owned() });
    }
    let waited = elapsed_since(job.received_at, now);
    let host = match gates::runtime(hub, &preview_id).await? {
        Runtime::Waiting(stage) if waited < settings.deadline => {
            publish(hub, bot, &job.space, pr, &report).await?;
            return Ok(Step::Poll { after: settings.poll_every, stage });
        }
        Runtime::Waiting(stage) => {
            report.set(Gate::Running, Verdict::Fail, Some(waited), vec![format!("still {stage} after {:?}", settings.deadline)]);
            None
        }
        Runtime::Failed(stage, tail) => {
            let mut details = vec![format!("{stage}: see the log excerpt")];
            details.extend(tail);
            report.set(Gate::Running, Verdict::Fail, Some(waited), details);
            None
        }
        Runtime::Running(host) => {
            report.set(Gate::Running, Verdict::Pass, Some(waited), vec![format!("RUNNING at {host}")]);
            Some(host)
        }
    };
    if let Some(host) = host {
        probe_within_budget(hub, settings, &job.space, &host, &mut report).await;
    }
    report.skip_pending("not run after a failed gate");
    publish(hub, bot, &job.space, pr, &report).await?;
    Ok(Step::Finished(report))
}

/// [`probe`], bounded by the step budget so that no delivery is held long; gates still
/// pending when it runs out fail.
pub async fn probe_within_budget(hub: &HubClient, settings: &SmokeSettings, live: &RepoId, host: &str, report: &mut SmokeReport) {
    let mut scratch = report.clone();
    let finished = tokio::time::timeout(settings.step_budget, probe(hub, settings, live, host, &mut scratch)).await.is_ok();
    *report = scratch;
    if !finished {
        for gate in [Gate::Contract, Gate::Inference] {
            if report.gate(gate).is_some_and(|g| g.verdict == Verdict::Pending) {
                report.set(gate, Verdict::Fail, Some(settings.step_budget), vec![format!("no verdict within the step budget of {:?}", settings.step_budget)]);
            }
        }
    }
}

/// The contract and inference gates against a running preview at `host`.
pub async fn probe(hub: &HubClient, settings: &SmokeSettings, live: &RepoId, host: &str, report: &mut SmokeReport) {
    let t = std::time::Instant::now();
    let connected = async {
        let (client, config) = GradioClient::connect(host, settings.gradio_token.clone(), settings.gradio.clone()).await?;
        let info = client.info().await?;
        Ok::<_, super::gradio::GradioError>((client, config, info))
    };
    match connected.await {
        Err(e) => {
            report.set(Gate::Contract, Verdict::Fail, Some(t.elapsed()), vec![format!("the preview's API could not be read: {e}")]);
        }
        Ok((client, config, info)) => {
            gates::contract_gate(hub, live, &info, settings.gradio_token.clone(), &settings.gradio, report).await;
            gates::inference_gate(&client, &config, &info, &settings.prompts, settings.gradio.call_deadline, report).await;
        }
    }
}

/// Writes the report: the bot's smoke comment (edited in place) and the PR body section.
pub async fn publish(hub: &HubClient, bot: &str, space: &RepoId, pr: u64, report: &SmokeReport) -> Result<(), SmokeError> {
    let details = hub.discussion_details(RepoType::Space, space, pr).await?;
    let comments: Vec<_> = details
        .events
        .iter()
        .filter_map(|e| match e.kind() {
            EventKind::Comment { raw, .. } => Some((e, raw)),
            _ => None,
        })
        .collect();
    let text = report.comment();
    match comments.iter().find(|(e, raw)| e.author_name() == bot && raw.starts_with(SMOKE_MARKER)) {
        Some((_, raw)) if *raw == text => {}
        Some((e, _)) => {
            hub.edit_comment(RepoType::Space, space, pr, &e.id, &text).await?;
        }
        None => {
            hub.comment(RepoType::Space, space, pr, &text).await?;
        }
    }
    if let Some((first, body)) = comments.first().filter(|(e, _)| e.author_name() == bot) {
        let new_body = mirror_into_body(body, &report.summary());
        if new_body != *body {
            hub.edit_comment(RepoType::Space, space, pr, &first.id, &new_body).await?;
        }
    }
    Ok(())
}

/// Deletes the previews of the Space's bot PRs that are no longer open.
pub async fn cleanup(hub: &HubClient, bot: &str, settings: &SmokeSettings, space: &RepoId) -> Result<Vec<RepoId>, SmokeError> {
    let prs = bot_prs(hub, bot, space).await?;
    preview::sweep(hub, &settings.preview, bot, space, &prs).await
}

/// Runs a `smoke` or `cleanup` job to a queue outcome: a poll is a re-enqueue through a delay
/// tier, a transient Hub error a retry with backoff, anything else a dead letter.
pub async fn run(hub: &HubClient, bot: &str, settings: &SmokeSettings, job: &Job) -> Outcome {
    let result = match job.kind {
        JobKind::Cleanup => cleanup(hub, bot, settings, &job.space).await.map(|gone| {
            tracing::info!(deleted = ?gone.iter().map(ToString::to_string).collect::<Vec<_>>(), "previews torn down");
            Outcome::Done
        }),
        _ => step(hub, bot, settings, job, OffsetDateTime::now_utc()).await.map(|s| match s {
            Step::Poll { after, stage } => Outcome::Retry { after, error: format!("smoke: preview is {stage}") },
            Step::Finished(report) => {
                tracing::info!(verdict = %report.summary(), "smoke test finished");
                Outcome::Done
            }
            Step::NothingToDo => Outcome::Done,
        }),
    };
    result.unwrap_or_else(|e| match &e {
        SmokeError::Hub(h) if h.is_transient() => Outcome::Retry { after: h.retry_after().unwrap_or(settings.poll_every), error: e.to_string() },
        _ => Outcome::DeadLetter { reason: format!("{}: {e}", job.kind.as_str()) },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smoke_job_ids_follow_the_pr_head_and_cleanup_jobs_say_why() {
        let (lora, space): (RepoId, RepoId) = ("a/lora".parse().expect("id"), "a/space".parse().expect("id"));
        let now = OffsetDateTime::UNIX_EPOCH;
        let a = smoke_job(lora.clone(), space.clone(), "abc", now);
        assert_eq!(a.id, smoke_job(lora.clone(), space.clone(), "abc", now).id);
        assert_ne!(a.id, smoke_job(lora.clone(), space.clone(), "abd", now).id);
        assert_eq!(a.kind, JobKind::Smoke);
        let c = cleanup_job(lora, space, "merged", now);
        assert_eq!((c.kind, c.reason.as_str()), (JobKind::Cleanup, "merged"));
    }
}
