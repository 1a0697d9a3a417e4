//! Workers: consume jobs with manual acks, run the pipeline for each inside a span carrying
//! the job id, LoRA and Space, and map its result to an [`Outcome`] the queue makes durable.

pub mod context;
pub mod pipeline;
pub mod retry;

use std::sync::Arc;

use futures::FutureExt;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

pub use context::{WorkerContext, WorkerPolicy};

use crate::domain::{Job, JobKind};
use crate::queue::{Broker, Handler, Outcome, QueueError};

/// Runs one job to an outcome; never panics out (a panic becomes a dead letter).
pub async fn handle(ctx: Arc<WorkerContext>, job: Job) -> Outcome {
    let span = tracing::info_span!("job", job_id = %job.id, kind = job.kind.as_str(), lora = %job.lora, space = %job.space, attempt = job.attempt);
    async move {
        if let Some(reason) = ctx.refusal(&job.lora, &job.space) {
            tracing::warn!(%reason, "job refused");
            ctx.metrics.dead_letters.inc();
            ctx.metrics.job(job.kind.as_str(), "dead_letter");
            return Outcome::DeadLetter { reason };
        }
        tracing::info!("job started");
        if matches!(job.kind, JobKind::Smoke | JobKind::Cleanup) {
            let run = std::panic::AssertUnwindSafe(crate::smoke::job::run(&ctx.hub, ctx.bot_user(), &ctx.smoke, &job)).catch_unwind().await;
            let outcome = run.unwrap_or_else(|_| Outcome::DeadLetter { reason: "the worker panicked on this job".into() });
            record(&ctx, &job, &outcome);
            return outcome;
        }
        let run = std::panic::AssertUnwindSafe(run_job(&ctx, &job)).catch_unwind().await;
        let outcome = match run {
            Ok(Ok(report)) => {
                tracing::info!(result = %report, "job done");
                Outcome::Done
            }
            Ok(Err(e)) => retry::classify(&e, job.attempt, ctx.max_attempts),
            Err(_) => Outcome::DeadLetter { reason: "the worker panicked on this job".into() },
        };
        record(&ctx, &job, &outcome);
        outcome
    }
    .instrument(span)
    .await
}

/// Counts a finished job exactly once (`lsb_jobs_total`, and `lsb_retries_total` /
/// `lsb_dead_letters_total` for every retry and dead letter of any kind) and logs its outcome
/// with plain fields.
fn record(ctx: &WorkerContext, job: &Job, outcome: &Outcome) {
    let label = match outcome {
        Outcome::Done => "done",
        Outcome::Continue { .. } => "continue",
        Outcome::Retry { after, error } => {
            ctx.metrics.retries.inc();
            tracing::warn!(outcome = "retry", after_secs = after.as_secs(), error = %error, "job not done");
            "retry"
        }
        Outcome::DeadLetter { reason } => {
            ctx.metrics.dead_letters.inc();
            tracing::warn!(outcome = "dead_letter", reason = %reason, "job not done");
            "dead_letter"
        }
    };
    ctx.metrics.job(job.kind.as_str(), label);
}

async fn run_job(ctx: &WorkerContext, job: &Job) -> Result<pipeline::Report, pipeline::PipelineError> {
    match job.kind {
        JobKind::Sync => pipeline::sync(ctx, job).await,
        JobKind::Smoke | JobKind::Cleanup => Err(pipeline::PipelineError::Unsupported(job.kind.as_str())),
    }
}

/// Consumes until `shutdown`; in-flight jobs finish first.
pub async fn run(ctx: Arc<WorkerContext>, broker: &Broker, concurrency: usize, shutdown: CancellationToken) -> Result<(), QueueError> {
    let handler: Handler = Arc::new(move |job| handle(ctx.clone(), job).boxed());
    broker.consume(handler, concurrency, shutdown).await
}
