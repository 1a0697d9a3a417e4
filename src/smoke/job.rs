//! The `smoke` and `cleanup` job kinds (DESIGN §6). A smoke job tests one head of the bot's
//! PR and carries its state from delivery to delivery ([`Progress`] in `Job::progress`):
//! - the first delivery checks that the PR is the bot's (a human's PR triggers nothing), reads
//!   the PR's files once, runs the static checks and the local harness gate, and — when a
//!   preview is configured and can run the app — deploys the preview;
//! - each later delivery reads the preview's stage once (no other call) and either continues
//!   after the poll interval or runs the live gates;
//! - the verdict is posted once, naming the head it tested (so the comment and the PR body are
//!   edited once per PR head), then the preview is deleted.
//!
//! Every path ends in a verdict: the job deadline and an attempt cap bound it, Hub refusals
//! (plan, cap, conflict) and GPU limits are "skipped" / "inconclusive", never a dead letter.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use super::SmokeError;
use super::gates;
use super::gradio::GradioSettings;
use super::live::{self, Poll};
use super::local::{self, LocalHarness};
use super::preview::{self, PreviewMode, PreviewSettings};
use super::publish::{Published, publish};
use super::report::{Gate, SmokeReport, Verdict};
use super::terms;
use crate::domain::job::ENVELOPE_VERSION;
use crate::domain::{Job, JobKind, RepoId, RepoType};
use crate::hub::{DiscussionDetails, DiscussionStatus, EventKind, HubClient, Secret};
use crate::publish::etiquette::{self, BotPr};
use crate::queue::Outcome;

/// How smoke jobs behave.
#[derive(Debug, Clone)]
pub struct SmokeSettings {
    /// Preview naming, hardware and token.
    pub preview: PreviewSettings,
    /// From the job's first delivery to a verdict, on every path.
    pub deadline: Duration,
    /// Between two polls of the preview's stage (the config keeps it ≥ 30 s).
    pub poll_every: Duration,
    /// Gradio client settings (deadline of the non-inference requests).
    pub gradio: GradioSettings,
    /// Sent as `X-HF-Authorization` to the preview's own host (the read-only preview token).
    pub gradio_token: Option<Secret>,
    /// Added to the app's declared GPU duration for the inference call's deadline.
    pub queue_margin: Duration,
    /// Prompts for the inference call when the app declares no examples (the first is used).
    pub prompts: Vec<String>,
    /// The local harness.
    pub local: LocalHarness,
    /// Deliveries of one smoke job at most (polls and retries); past it the verdict is posted.
    pub max_steps: u32,
    /// How long a log read waits for one more event.
    pub log_idle: Duration,
}

impl Default for SmokeSettings {
    fn default() -> Self {
        Self {
            preview: PreviewSettings::default(),
            deadline: Duration::from_secs(20 * 60),
            poll_every: Duration::from_secs(30),
            gradio: GradioSettings { call_deadline: Duration::from_secs(40), ..GradioSettings::default() },
            gradio_token: None,
            queue_margin: Duration::from_secs(60),
            prompts: vec!["a photo".to_owned()],
            local: LocalHarness::default(),
            max_steps: 60,
            log_idle: gates::LOG_IDLE,
        }
    }
}

/// What a smoke job carries between deliveries.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    /// The PR under test.
    pub pr: Option<u64>,
    /// The PR head it tests.
    pub head: Option<String>,
    /// The report so far (set once the first delivery ran the local gates).
    #[serde(default)]
    pub report: Option<SmokeReport>,
    /// Deadline of the inference call, in seconds.
    #[serde(default)]
    pub call_secs: u64,
}

/// What one smoke step ended with.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// Not finished: run the next step with this progress after this delay.
    Poll {
        /// The delay.
        after: Duration,
        /// The preview's stage.
        stage: String,
        /// What the next delivery starts from.
        progress: Box<Progress>,
    },
    /// Every gate has a verdict (the report is posted, unless a newer head's already is).
    Finished(SmokeReport),
    /// No open bot PR on the Space, or the PR is not the bot's.
    NothingToDo(String),
}

fn job_id(kind: &str, space: &RepoId, key: &str) -> String {
    hex::encode(Sha256::digest(format!("{kind}:{space}#{key}")))
}

/// A `smoke` job for PR `pr` of `space` at head `pr_head` (the head makes the id).
pub fn smoke_job(lora: RepoId, space: RepoId, pr: u64, pr_head: &str, now: OffsetDateTime) -> Job {
    let progress = Progress { pr: Some(pr), head: Some(pr_head.to_owned()), ..Progress::default() };
    let id = job_id("smoke", &space, pr_head);
    Job { v: ENVELOPE_VERSION, kind: JobKind::Smoke, id, lora, revision: None, space, reason: "smoke".to_owned(), received_at: now, attempt: 0, progress: serde_json::to_value(progress).ok(), space_main: None }
}

/// A `cleanup` job for `space` (`why`: `merged`, `closed`, `sweep`).
pub fn cleanup_job(lora: RepoId, space: RepoId, why: &str, now: OffsetDateTime) -> Job {
    let key = format!("{why}@{}", now.unix_timestamp());
    Job { v: ENVELOPE_VERSION, kind: JobKind::Cleanup, id: job_id("cleanup", &space, &key), lora, revision: None, space, reason: why.to_owned(), received_at: now, attempt: 0, progress: None, space_main: None }
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

fn elapsed_since(start: i64, now: OffsetDateTime) -> Duration {
    Duration::from_secs(u64::try_from(now.unix_timestamp() - start).unwrap_or(0))
}

fn last_commit(details: &DiscussionDetails) -> Option<String> {
    details.events.iter().rev().find_map(|e| match e.kind() {
        EventKind::Commit { oid, .. } if !oid.is_empty() => Some(oid),
        _ => None,
    })
}

/// Runs one step of the smoke test carried by `job`.
pub async fn step(hub: &HubClient, bot: &str, settings: &SmokeSettings, job: &Job, now: OffsetDateTime) -> Result<Step, SmokeError> {
    let mut p: Progress = job.progress.clone().and_then(|v| serde_json::from_value(v).ok()).unwrap_or_default();
    let pr = match p.pr {
        Some(n) => n,
        None => match bot_prs(hub, bot, &job.space).await?.iter().find(|b| matches!(b.status, DiscussionStatus::Open | DiscussionStatus::Draft)) {
            Some(b) => b.num,
            None => return Ok(Step::NothingToDo("no open bot PR".to_owned())),
        },
    };
    p.pr = Some(pr);
    match p.report.take() {
        None => first_step(hub, bot, settings, job, p, pr, now).await,
        Some(report) => poll_step(hub, bot, settings, job, p, report, pr, now).await,
    }
}

async fn first_step(hub: &HubClient, bot: &str, settings: &SmokeSettings, job: &Job, mut p: Progress, pr: u64, now: OffsetDateTime) -> Result<Step, SmokeError> {
    let details = hub.discussion_details(RepoType::Space, &job.space, pr).await?;
    let d = &details.discussion;
    let author = d.author.as_ref().map_or("deleted", |a| a.name.as_str());
    if !d.is_pull_request || author != bot {
        return Ok(Step::NothingToDo(format!("PR #{pr} is {author}'s, not the bot's")));
    }
    if !matches!(d.status, DiscussionStatus::Open | DiscussionStatus::Draft) {
        return Ok(Step::NothingToDo(format!("PR #{pr} is no longer open")));
    }
    let mut report = SmokeReport::new(&job.space.to_string(), Some(pr));
    report.head = p.head.clone().or_else(|| last_commit(&details));
    report.started = now.unix_timestamp();
    let files = preview::pr_files(hub, &job.space, pr).await?;
    if !gates::static_checks_of(&files, &mut report)? {
        report.skip_pending("not run: the static checks failed");
        return finish(hub, bot, settings, &job.space, pr, report, Some(details), false).await;
    }
    let lora_files = hub.list_files(RepoType::Model, &job.lora, "main").await.unwrap_or_default();
    let (found, took) = local::run(&settings.local, &files, &job.lora, &lora_files).await;
    report.set(Gate::Local, found.verdict, Some(took), found.details);
    if found.verdict == Verdict::Fail {
        report.skip_pending("not run after a failed gate");
        return finish(hub, bot, settings, &job.space, pr, report, Some(details), false).await;
    }
    let app = files.get("app.py").map(|b| String::from_utf8_lossy(b).into_owned()).unwrap_or_default();
    match &settings.preview.mode {
        PreviewMode::Off => {
            report.skip(&Gate::LIVE, "skipped: no live preview configured ([smoke] preview = \"off\"); the local gate is the verdict");
            return finish(hub, bot, settings, &job.space, pr, report, Some(details), false).await;
        }
        PreviewMode::Hardware(f) if terms::is_cpu_flavour(f) && local::needs_gpu(&app) => {
            let why = format!("not tried: the app needs a GPU (`@spaces.GPU` / `.to(\"cuda\")`) and previews run on {f}, where it fails at start-up; set [smoke] preview = \"zero-gpu\" or a GPU flavour");
            report.skip(&Gate::LIVE, &why);
            return finish(hub, bot, settings, &job.space, pr, report, Some(details), false).await;
        }
        _ => {}
    }
    let preview_id = preview::preview_id(&settings.preview, bot, &job.space, pr)?;
    let web = hub.endpoint().join(&format!("spaces/{preview_id}")).map(|u| u.to_string()).ok();
    match preview::deploy_files(hub, &settings.preview, bot, &job.space, pr, &files).await {
        Ok(_) => {}
        Err(SmokeError::Hub(e)) if !e.is_transient() || job.attempt + 1 >= settings.max_steps => {
            let why = terms::creation_refusal(&e).unwrap_or_else(|| format!("the Hub refused it: {e}"));
            report.skip(&Gate::LIVE, &format!("skipped: the preview Space could not be created: {why}"));
            return finish(hub, bot, settings, &job.space, pr, report, Some(details), false).await;
        }
        Err(e) => return Err(e),
    }
    report.preview_url = web;
    p.call_secs = live::call_deadline(found.gpu_duration, settings.queue_margin).as_secs();
    p.report = Some(report);
    Ok(Step::Poll { after: settings.poll_every, stage: "BUILDING".to_owned(), progress: Box::new(p) })
}

#[allow(clippy::too_many_arguments)]
async fn poll_step(hub: &HubClient, bot: &str, settings: &SmokeSettings, job: &Job, mut p: Progress, mut report: SmokeReport, pr: u64, now: OffsetDateTime) -> Result<Step, SmokeError> {
    let preview_id = preview::preview_id(&settings.preview, bot, &job.space, pr)?;
    let waited = elapsed_since(report.started, now);
    let left = settings.deadline.saturating_sub(waited);
    if left.is_zero() || job.attempt + 1 >= settings.max_steps {
        let why = if left.is_zero() { format!("no verdict within the smoke deadline of {:?}", settings.deadline) } else { format!("no verdict after {} steps", settings.max_steps) };
        report.set(Gate::Running, Verdict::Inconclusive, Some(waited), vec![why]);
        report.skip_pending("not run: no running preview");
        return finish(hub, bot, settings, &job.space, pr, report, None, true).await;
    }
    let call = Duration::from_secs(p.call_secs.max(1));
    match live::poll(hub, settings, &job.space, &preview_id, call, left, waited, &mut report).await? {
        Poll::Waiting(stage) => {
            p.report = Some(report);
            Ok(Step::Poll { after: settings.poll_every, stage, progress: Box::new(p) })
        }
        Poll::Done => {
            report.skip_pending("not run after a failed gate");
            finish(hub, bot, settings, &job.space, pr, report, None, true).await
        }
    }
}

/// Posts the verdict, then deletes the preview (it costs a hardware slot or a ZeroGPU cap).
#[allow(clippy::too_many_arguments)]
async fn finish(hub: &HubClient, bot: &str, settings: &SmokeSettings, space: &RepoId, pr: u64, report: SmokeReport, details: Option<DiscussionDetails>, deployed: bool) -> Result<Step, SmokeError> {
    let published = publish(hub, bot, space, pr, &report, details).await?;
    if published == Published::Superseded {
        tracing::info!(pr, "a newer head's verdict is already posted; this one is dropped");
    }
    if deployed
        && let Err(e) = preview::teardown(hub, &settings.preview, bot, space, pr).await {
            tracing::warn!(error = %e, "the preview could not be deleted; the sweep will retry");
        }
    Ok(Step::Finished(report))
}

/// Deletes the previews of the Space's bot PRs that are no longer open.
pub async fn cleanup(hub: &HubClient, bot: &str, settings: &SmokeSettings, space: &RepoId) -> Result<Vec<RepoId>, SmokeError> {
    let prs = bot_prs(hub, bot, space).await?;
    preview::sweep(hub, &settings.preview, bot, space, &prs).await
}

/// Runs a `smoke` or `cleanup` job to a queue outcome: a poll continues the job with its
/// progress through a delay tier, a transient Hub error is retried (counted against the
/// attempt cap), anything else a dead letter.
pub async fn run(hub: &HubClient, bot: &str, settings: &SmokeSettings, job: &Job) -> Outcome {
    let result = match job.kind {
        JobKind::Cleanup => cleanup(hub, bot, settings, &job.space).await.map(|gone| {
            tracing::info!(deleted = ?gone.iter().map(ToString::to_string).collect::<Vec<_>>(), "previews torn down");
            Outcome::Done
        }),
        _ => step(hub, bot, settings, job, OffsetDateTime::now_utc()).await.map(|s| match s {
            Step::Poll { after, stage, progress } => {
                tracing::info!(%stage, "preview not ready");
                let next = Job { progress: serde_json::to_value(*progress).ok(), ..job.clone() };
                Outcome::Continue { job: Box::new(next), after }
            }
            Step::Finished(report) => {
                tracing::info!(verdict = %report.summary(), "smoke test finished");
                Outcome::Done
            }
            Step::NothingToDo(why) => {
                tracing::info!(%why, "no smoke test");
                Outcome::Done
            }
        }),
    };
    result.unwrap_or_else(|e| match &e {
        SmokeError::Hub(h) if h.is_transient() && job.attempt + 1 < settings.max_steps => {
            Outcome::Retry { after: h.retry_after().unwrap_or(settings.poll_every), error: e.to_string() }
        }
        _ => Outcome::DeadLetter { reason: format!("{}: {e}", job.kind.as_str()) },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smoke_job_ids_follow_the_pr_head_and_carry_the_pr() {
        let (lora, space): (RepoId, RepoId) = ("a/lora".parse().expect("id"), "a/space".parse().expect("id"));
        let now = OffsetDateTime::UNIX_EPOCH;
        let a = smoke_job(lora.clone(), space.clone(), 3, "abc", now);
        assert_eq!(a.id, smoke_job(lora.clone(), space.clone(), 3, "abc", now).id);
        assert_ne!(a.id, smoke_job(lora.clone(), space.clone(), 3, "abd", now).id);
        assert_eq!(a.kind, JobKind::Smoke);
        let p: Progress = serde_json::from_value(a.progress.expect("progress")).expect("shape");
        assert_eq!((p.pr, p.head.as_deref(), p.report), (Some(3), Some("abc"), None));
        let c = cleanup_job(lora, space, "merged", now);
        assert_eq!((c.kind, c.reason.as_str()), (JobKind::Cleanup, "merged"));
    }

    #[test]
    fn progress_with_a_report_round_trips_through_the_envelope() {
        let mut report = SmokeReport::new("a/space", Some(2));
        report.set(Gate::Local, Verdict::Pass, Some(Duration::from_millis(1500)), vec!["ok".into()]);
        let p = Progress { pr: Some(2), head: Some("h".into()), report: Some(report), call_secs: 120 };
        let back: Progress = serde_json::from_value(serde_json::to_value(&p).expect("json")).expect("parse");
        assert_eq!(back, p);
    }
}
