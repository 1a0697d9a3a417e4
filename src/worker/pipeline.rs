//! The ONLY place that sequences I/O for a sync job, one call per stage:
//! fetch LoRA → fetch Space → weights headers → analyze → base card → generate → diff → publish.
//! Everything between the calls is pure (lora, space, publish::pr_body).

use std::collections::BTreeMap;
use std::fmt;

use crate::domain::{CommitSha, Job, RepoId, RepoType};
use crate::hub::HubError;
use crate::lora::tensors::WeightsProfile;
use crate::lora::{AnalyzeInput, LoraProfile, analyze_with_headers};
use crate::publish::{self, Previous, PublishError, Published, pr_body};
use crate::space::overrides::{OVERRIDES_FILE, Overrides, OverridesError, parse_overrides};
use crate::space::{Generation, generate};

use super::WorkerContext;

/// Files the generator owns in a Space.
pub const GENERATED_FILES: [&str; 3] = ["app.py", "requirements.txt", "README.md"];

/// Why a sync job failed.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// A Hub call failed.
    #[error("hub: {0}")]
    Hub(#[from] HubError),
    /// The LoRA repo does not exist or the token cannot read it.
    #[error("LoRA repo {0} not found or not readable by the bot's token")]
    LoraNotFound(RepoId),
    /// The Space does not exist.
    #[error("Space {0} not found or not visible to the bot's token; create the Space on the Hub (the bot never creates it) or fix the link, then `jobs dead replay` this job")]
    SpaceNotFound(RepoId),
    /// The LoRA has no commit on main.
    #[error("LoRA repo {0} has no main branch head")]
    NoHead(RepoId),
    /// The Space's overrides file is invalid.
    #[error("{OVERRIDES_FILE} in the Space is invalid: {0}")]
    Overrides(#[from] OverridesError),
    /// The PRs-per-hour cap is reached.
    #[error("{0}")]
    Capped(PublishError),
    /// A job kind this worker does not run yet.
    #[error("job kind {0} is not supported by this worker")]
    Unsupported(&'static str),
}

impl PipelineError {
    /// Whether trying again later may succeed.
    pub fn is_transient(&self) -> bool {
        match self {
            // The next attempt looks for the bot's PR before opening one, so retrying is safe.
            Self::Hub(HubError::PullRequestOutcomeUnknown { .. }) | Self::Capped(_) => true,
            Self::Hub(e) => e.is_transient(),
            _ => false,
        }
    }
    /// The wait the Hub asked for, if any.
    pub fn retry_after(&self) -> Option<std::time::Duration> {
        match self {
            Self::Hub(HubError::PullRequestOutcomeUnknown { source }) => source.retry_after(),
            Self::Hub(e) => e.retry_after(),
            Self::Capped(PublishError::Capped(_, wait)) => Some(*wait),
            _ => None,
        }
    }
}

/// What a sync job did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Report {
    /// The Space's main already has exactly these files.
    SpaceUpToDate { lora_sha: CommitSha },
    /// A PR was opened, updated, or already had these files.
    Published(Published),
    /// The card is too thin: a discussion asks for what is missing (`None` in dry-run).
    NeedsInput { discussion: Option<u64> },
    /// A commit on the Space's main left `lora-space.toml` as it was: nothing to do.
    SpaceMainUnrelated { space_sha: CommitSha },
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::SpaceUpToDate { lora_sha } => write!(f, "Space already matches LoRA {}", lora_sha.short()),
            Self::Published(p) => write!(f, "{p}"),
            Self::NeedsInput { discussion: Some(n) } => write!(f, "asked for input in discussion #{n}"),
            Self::NeedsInput { discussion: None } => write!(f, "would ask for input (dry run)"),
            Self::SpaceMainUnrelated { space_sha } => write!(f, "Space commit {} does not touch {OVERRIDES_FILE}; nothing to do", space_sha.short()),
        }
    }
}

/// The LoRA as read at its current main head.
pub struct LoraSnapshot {
    /// Head of main when read.
    pub sha: CommitSha,
    /// Every file path.
    pub files: Vec<String>,
    /// README.md text ("" when absent).
    pub card: String,
}

/// The Space as read at its main head.
pub struct SpaceSnapshot {
    /// Head of main.
    pub sha: Option<CommitSha>,
    /// Every file path.
    pub files: Vec<String>,
    /// Current content of the generated files that exist.
    pub generated: BTreeMap<String, String>,
    /// The overrides file, if present.
    pub overrides: Option<Overrides>,
    /// The live Space's hardware (running / requested), when the Hub reported it.
    pub hardware: Option<crate::hub::SpaceHardware>,
}

/// Regenerates the Space for `job.lora` at its current main head and opens or updates the PR.
pub async fn sync(ctx: &WorkerContext, job: &Job) -> Result<Report, PipelineError> {
    if let Some(moved) = &job.space_main
        && !overrides_changed(ctx, &job.space, moved).await? {
            return Ok(Report::SpaceMainUnrelated { space_sha: moved.new.clone() });
        }
    let t = std::time::Instant::now();
    let lora = fetch_lora(ctx, &job.lora).await?;
    let space = match fetch_space(ctx, &job.space).await {
        Err(PipelineError::Overrides(e)) => return report_bad_overrides(ctx, job, &e).await,
        other => other?,
    };
    ctx.metrics.stage("fetch", t.elapsed());
    let t = std::time::Instant::now();
    let headers = fetch_headers(ctx, &job.lora, &lora.sha, &lora.files).await?;
    ctx.metrics.stage("headers", t.elapsed());
    let t = std::time::Instant::now();
    let profile = analyze_with_headers(&AnalyzeInput { lora: &job.lora, card: &lora.card, files: &lora.files, overrides: space.overrides.as_ref() }, &headers);
    ctx.metrics.stage("analyze", t.elapsed());
    let base_card = fetch_base_card(ctx, &profile).await;
    let t = std::time::Instant::now();
    let generation = generate(&profile, base_card.as_deref(), &ctx.generator);
    ctx.metrics.stage("generate", t.elapsed());
    let t = std::time::Instant::now();
    let report = publish_stage(ctx, job, &lora, &space, &profile, generation).await;
    ctx.metrics.stage("publish", t.elapsed());
    report
}

async fn publish_stage(ctx: &WorkerContext, job: &Job, lora: &LoraSnapshot, space: &SpaceSnapshot, profile: &LoraProfile, generation: Generation) -> Result<Report, PipelineError> {
    match generation {
        Generation::NeedsInput(need) => {
            let num = ctx.publisher.ask_for_input(&job.space, &need).await?;
            Ok(Report::NeedsInput { discussion: num })
        }
        Generation::Ready(mut generated) => {
            let readme_edits = merge_owner_readme(&mut generated, space);
            if generated.files.iter().all(|(path, content)| space.generated.get(path) == Some(content)) {
                return Ok(Report::SpaceUpToDate { lora_sha: lora.sha.clone() });
            }
            let prs = ctx.publisher.bot_prs(&job.space).await?;
            let previous = fetch_previous(ctx, job, space, &prs).await;
            let hardware_note = publish::hardware::note(&generated.plan.readme.hardware, space.hardware.as_ref());
            let change = publish::Change {
                space: &job.space,
                lora: &job.lora,
                lora_sha: &lora.sha,
                profile,
                previous: previous.as_ref(),
                current: &space.generated,
                generated: &generated,
                readme_edits: &readme_edits,
                hardware_note: hardware_note.as_deref(),
            };
            match ctx.publisher.open_or_update(&change, &prs).await {
                Ok(p) => Ok(Report::Published(p)),
                Err(PublishError::Hub(e)) => Err(PipelineError::Hub(e)),
                Err(capped) => Err(PipelineError::Capped(capped)),
            }
        }
    }
}

async fn fetch_lora(ctx: &WorkerContext, lora: &RepoId) -> Result<LoraSnapshot, PipelineError> {
    let info = ctx.hub.model_info(lora, None).await.map_err(|e| not_found_as(e, || PipelineError::LoraNotFound(lora.clone())))?;
    let sha = info.sha.ok_or_else(|| PipelineError::NoHead(lora.clone()))?;
    let files = ctx.hub.list_files(RepoType::Model, lora, sha.as_str()).await?;
    let card = if files.iter().any(|f| f == "README.md") { ctx.hub.download_text(RepoType::Model, lora, sha.as_str(), "README.md").await?.unwrap_or_default() } else { String::new() };
    Ok(LoraSnapshot { sha, files, card })
}

async fn fetch_space(ctx: &WorkerContext, space: &RepoId) -> Result<SpaceSnapshot, PipelineError> {
    let info = ctx.hub.space_info(space, None).await.map_err(|e| not_found_as(e, || PipelineError::SpaceNotFound(space.clone())))?;
    let rev = info.sha.as_ref().map_or("main", CommitSha::as_str).to_owned();
    let files = ctx.hub.list_files(RepoType::Space, space, &rev).await?;
    let mut generated = BTreeMap::new();
    for path in GENERATED_FILES.iter().filter(|p| files.iter().any(|f| f == *p)) {
        if let Some(text) = ctx.hub.download_text(RepoType::Space, space, &rev, path).await? {
            generated.insert((*path).to_owned(), text);
        }
    }
    let overrides = match files.iter().any(|f| f == OVERRIDES_FILE) {
        true => ctx.hub.download_text(RepoType::Space, space, &rev, OVERRIDES_FILE).await?.map(|t| parse_overrides(&t)).transpose()?,
        false => None,
    };
    let hardware = info.runtime.map(|r| r.hardware);
    Ok(SpaceSnapshot { sha: info.sha, files, generated, overrides, hardware })
}

/// The owner's README stays theirs: the generated one is merged into it (pure, see
/// [`crate::space::readme_merge`]); returns the existing lines the merge changes.
fn merge_owner_readme(generated: &mut crate::space::GeneratedSpace, space: &SpaceSnapshot) -> Vec<crate::space::readme_merge::LineEdit> {
    let Some(text) = generated.files.get_mut("README.md") else { return vec![] };
    let merged = crate::space::readme_merge::merge_readme(space.generated.get("README.md").map(String::as_str), text);
    *text = merged.text;
    merged.edits
}

/// Whether the commit that moved the Space's main changed `lora-space.toml` (its text at
/// the old head against the new; a missing file reads as `None`).
async fn overrides_changed(ctx: &WorkerContext, space: &RepoId, moved: &crate::domain::job::SpaceMainMove) -> Result<bool, PipelineError> {
    let new = ctx.hub.download_text(RepoType::Space, space, moved.new.as_str(), OVERRIDES_FILE).await?;
    let old = match &moved.old {
        Some(old) => ctx.hub.download_text(RepoType::Space, space, old.as_str(), OVERRIDES_FILE).await?,
        None => None,
    };
    Ok(old != new)
}

/// An unreadable `lora-space.toml` is the maintainer's to fix: say so in the bot's one
/// discussion instead of guessing or dead-lettering.
async fn report_bad_overrides(ctx: &WorkerContext, job: &Job, e: &OverridesError) -> Result<Report, PipelineError> {
    let need = crate::space::NeedsInput {
        missing: vec![format!("a valid {OVERRIDES_FILE}")],
        title: format!("{OVERRIDES_FILE} could not be read"),
        body_markdown: format!(
            "The bot could not read `{OVERRIDES_FILE}` in this Space, so it did not regenerate the demo for [{lora}](https://huggingface.co/{lora}):\n\n```\n{e}\n```\n\nFix the file (keys: task, base_model, weights_file, trigger_words, steps, guidance, lora_scale, examples, negative_prompt, resolution, leave_alone) and the bot will pick it up on the next LoRA update, or ask the operator to re-run it.",
            lora = job.lora
        ),
    };
    Ok(Report::NeedsInput { discussion: ctx.publisher.ask_for_input(&job.space, &need).await? })
}

/// The LoRA state behind the Space's current files: the sha in the last merged bot PR's
/// marker, and the values its table showed. Best effort: `None` when unknown.
async fn fetch_previous(ctx: &WorkerContext, job: &Job, space: &SpaceSnapshot, prs: &[crate::publish::etiquette::BotPr]) -> Option<Previous> {
    let merged = prs.iter().find(|p| p.status == crate::hub::DiscussionStatus::Merged)?;
    let details = ctx.hub.discussion_details(RepoType::Space, &job.space, merged.num).await.ok()?;
    let body = details.events.iter().find(|e| e.event_type == "comment").and_then(|e| e.data.pointer("/latest/raw")).and_then(|v| v.as_str())?;
    let sha: CommitSha = pr_body::marker_sha(body)?.parse().ok()?;
    if let Some(values) = publish::pr_values::read_marker(body) {
        return Some(Previous { lora_sha: sha, values });
    }
    // A body written before the values marker: re-infer at that commit (today's rules).
    let files = ctx.hub.list_files(RepoType::Model, &job.lora, sha.as_str()).await.ok()?;
    let card = ctx.hub.download_text(RepoType::Model, &job.lora, sha.as_str(), "README.md").await.ok()?.unwrap_or_default();
    let headers = fetch_headers(ctx, &job.lora, &sha, &files).await.ok()?;
    let profile = analyze_with_headers(&AnalyzeInput { lora: &job.lora, card: &card, files: &files, overrides: space.overrides.as_ref() }, &headers);
    Some(Previous { lora_sha: sha, values: publish::pr_values::values(&profile) })
}

/// At most this many weights files have their header read per LoRA revision.
pub const MAX_HEADER_FILES: usize = 8;

/// The safetensors headers of the candidate weights files (range reads, at most two requests
/// per file, [`MAX_HEADER_FILES`] files). A file that is not a readable safetensors file (a
/// pointer, another format) is skipped; a transient Hub failure fails the job (retried).
async fn fetch_headers(ctx: &WorkerContext, lora: &RepoId, sha: &CommitSha, files: &[String]) -> Result<Vec<WeightsProfile>, PipelineError> {
    Ok(read_headers(&ctx.hub, lora, sha.as_str(), files).await?)
}

/// The headers of a LoRA's candidate weights files at `revision` (also used by `plan`).
pub async fn read_headers(hub: &crate::hub::HubClient, lora: &RepoId, revision: &str, files: &[String]) -> Result<Vec<WeightsProfile>, HubError> {
    let mut out = Vec::new();
    for path in crate::lora::weights::candidates(files).iter().filter(|f| f.ends_with(".safetensors")).take(MAX_HEADER_FILES) {
        match hub.safetensors_header(RepoType::Model, lora, revision, path).await {
            Ok(header) => out.push(crate::lora::tensors::profile(path, &header)),
            Err(crate::hub::HeaderReadError::Hub(e)) if e.is_transient() => return Err(e),
            Err(e) => tracing::info!(file = %path, error = %e, "weights header not readable; the card alone decides"),
        }
    }
    Ok(out)
}

/// The base model's card, for pipeline-class verification; unreadable → `None` (the
/// generator falls back to its knowledge table and says so).
async fn fetch_base_card(ctx: &WorkerContext, profile: &LoraProfile) -> Option<String> {
    let base: RepoId = profile.base_model.as_ref()?.value.parse().ok()?;
    match ctx.hub.download_text(RepoType::Model, &base, "main", "README.md").await {
        Ok(card) => card,
        Err(e) => {
            tracing::info!(base = %base, error = %e, "base model card not readable; using the knowledge table");
            None
        }
    }
}

fn not_found_as(e: HubError, permanent: impl FnOnce() -> PipelineError) -> PipelineError {
    match e {
        HubError::NotFound { .. } | HubError::Unauthorized { .. } | HubError::Forbidden { .. } => permanent(),
        other => PipelineError::Hub(other),
    }
}
