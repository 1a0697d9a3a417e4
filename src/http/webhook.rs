//! `POST /webhooks/hub`: secret → size cap → JSON → classification → confirmed publish.

use axum::Json;
use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use serde_json::json;
use time::OffsetDateTime;
use tracing::Instrument;

use super::ReceiverState;
use super::error::ReceiverError;
use super::verify::verify;
use crate::domain::link_event::stale_link;
use crate::domain::{Job, RepoId, RepoType};
use crate::domain::hub_event::{Decision, WebhookPayload, classify, closed_space_pr, space_main_update, space_pr_update};

/// Handles one delivery. The body is read only after the secret verified. Its log line (and
/// every line under it) carries the repo, the event and the revision once the body is parsed,
/// one `job published` line per job with its id, and the `webhook` line lists them all as
/// `job_ids` (a JSON array in JSON logs).
pub async fn receive(
    State(state): State<ReceiverState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Body,
) -> Result<(StatusCode, Json<serde_json::Value>), ReceiverError> {
    let span = tracing::info_span!("webhook", repo = tracing::field::Empty, event = tracing::field::Empty, revision = tracing::field::Empty);
    async move {
        let result = handle(&state, &headers, query.as_deref(), body).await;
        match &result {
            Ok((_, Json(body))) => match body.get("ignored").and_then(|r| r.as_str()) {
                Some(reason) if body.get("stale_link").is_some() => {
                    state.metrics.webhook("stale_link");
                    tracing::warn!(outcome = "stale_link", reason, "webhook");
                }
                Some(reason) => {
                    state.metrics.webhook("ignored");
                    tracing::info!(outcome = "ignored", reason, "webhook");
                }
                None => {
                    state.metrics.webhook("accepted");
                    let ids: Vec<&str> = body.get("job_ids").and_then(|v| v.as_array()).map(|a| a.iter().filter_map(|v| v.as_str()).collect()).unwrap_or_default();
                    for id in &ids {
                        tracing::info!(job_id = id, "job published");
                    }
                    tracing::info!(outcome = "accepted", jobs = ids.len(), job_ids = %crate::telemetry::list(&ids), "webhook");
                }
            },
            Err(e) => {
                state.metrics.webhook(e.outcome());
                tracing::warn!(outcome = e.outcome(), status = e.status().as_u16(), error = %e, "webhook");
            }
        }
        result
    }
    .instrument(span)
    .await
}

/// Records what the delivery is about on the current `webhook` span.
fn record_event(payload: &WebhookPayload) {
    let span = tracing::Span::current();
    span.record("repo", format!("{}/{}", payload.repo.kind, payload.repo.name));
    span.record("event", format!("{}.{}", payload.event.scope, payload.event.action));
    let revision = payload.updated_refs.iter().find(|r| r.reference == "refs/heads/main").and_then(|r| r.new_sha.clone()).or_else(|| payload.repo.head_sha.clone());
    if let Some(rev) = revision {
        span.record("revision", rev);
    }
}

async fn handle(state: &ReceiverState, headers: &HeaderMap, query: Option<&str>, body: Body) -> Result<(StatusCode, Json<serde_json::Value>), ReceiverError> {
    verify(state.secret.as_ref(), headers, query)?;
    let bytes = read_capped(headers, body, state.max_body_bytes).await?;
    let payload: WebhookPayload = serde_json::from_slice(&bytes).map_err(|e| ReceiverError::Malformed(e.to_string()))?;
    record_event(&payload);
    let linked = |kind: RepoType, id: &RepoId| state.links.iter().any(|(l, s)| if kind == RepoType::Space { s == id } else { l == id });
    if let Some(stale) = stale_link(&payload, linked) {
        // Nothing to sync, but the operator must act: logged at WARN and counted apart
        // (`receive`), and returned to the Hub as the reason (its delivery log shows it too).
        return Ok((StatusCode::ACCEPTED, Json(json!({ "ignored": stale.to_string(), "stale_link": true }))));
    }
    if let Some((space, _, status)) = closed_space_pr(&payload) {
        return publish_for_space(state, space, |lora, space, now| crate::smoke::job::cleanup_job(lora, space, &status, now)).await;
    }
    if let Some((space, pr, head)) = space_pr_update(&payload) {
        // The payload does not say whose PR it is: the job carries the PR, and the worker's
        // first read of it drops a human's PR before anything else.
        return publish_for_space(state, space, |lora, space, now| crate::smoke::job::smoke_job(lora, space, pr, &head, now)).await;
    }
    if let Some((space, moved)) = space_main_update(&payload) {
        // The payload has no file list: every commit on a linked Space's main becomes a job,
        // which the worker drops unless `lora-space.toml` changed (see `Job::space_main`).
        return publish_for_space(state, space, |lora, space, now| Job::space_main(lora, space, moved, now)).await;
    }
    let (lora, revision, spaces) = match classify(&payload, |l| state.spaces_for(l)) {
        Decision::Ignore(reason) => return Ok((StatusCode::ACCEPTED, Json(json!({ "ignored": reason.to_string() })))),
        Decision::Sync { lora, revision, spaces } => (lora, revision, spaces),
    };
    let now = OffsetDateTime::now_utc();
    let mut ids = Vec::with_capacity(spaces.len());
    for space in spaces {
        let job = Job::sync(lora.clone(), revision.clone(), space, "webhook", now);
        let started = std::time::Instant::now();
        let publish = async {
            if state.debounce.is_zero() { state.broker.publish(&job).await } else { state.broker.publish_delayed(&job, state.debounce).await }
        };
        tokio::time::timeout(state.publish_timeout, publish)
            .await
            .map_err(|_| ReceiverError::Unavailable("broker confirm timed out".into()))?
            .map_err(|e| ReceiverError::Unavailable(e.to_string()))?;
        state.metrics.publish_seconds.observe(started.elapsed().as_secs_f64());
        ids.push(job.id);
    }
    Ok((StatusCode::ACCEPTED, Json(json!({ "job_ids": ids }))))
}

/// An event on a linked Space's PR: one job (`cleanup` when it was merged or closed, `smoke`
/// when a commit landed on it).
async fn publish_for_space(state: &ReceiverState, space: RepoId, make: impl FnOnce(RepoId, RepoId, OffsetDateTime) -> Job) -> Result<(StatusCode, Json<serde_json::Value>), ReceiverError> {
    let Some(lora) = state.links.iter().find(|(_, s)| *s == space).map(|(l, _)| l.clone()) else {
        return Ok((StatusCode::ACCEPTED, Json(json!({ "ignored": format!("{space} is not a linked Space") }))));
    };
    let job = make(lora, space, OffsetDateTime::now_utc());
    let started = std::time::Instant::now();
    tokio::time::timeout(state.publish_timeout, state.broker.publish(&job))
        .await
        .map_err(|_| ReceiverError::Unavailable("broker confirm timed out".into()))?
        .map_err(|e| ReceiverError::Unavailable(e.to_string()))?;
    state.metrics.publish_seconds.observe(started.elapsed().as_secs_f64());
    Ok((StatusCode::ACCEPTED, Json(json!({ "job_ids": [job.id] }))))
}

async fn read_capped(headers: &HeaderMap, body: Body, cap: usize) -> Result<bytes::Bytes, ReceiverError> {
    let declared = headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > cap) {
        return Err(ReceiverError::TooLarge(cap));
    }
    axum::body::to_bytes(body, cap).await.map_err(|e| if timed_out(&e) { ReceiverError::BodyTimeout } else { ReceiverError::TooLarge(cap) })
}

/// Whether a body error is tower-http's request-body timeout (somewhere in its chain).
fn timed_out(e: &axum::Error) -> bool {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if err.is::<tower_http::timeout::TimeoutError>() {
            return true;
        }
        cur = err.source();
    }
    false
}
