//! The live gates against a preview Space: one read of its stage per poll, then — once it runs —
//! the API contract and ONE inference call under a deadline of the app's declared GPU duration
//! plus a queue margin, the whole probe bounded by what is left of the job's deadline.

use std::time::Duration;

use super::gates::{self, Runtime};
use super::gradio::GradioClient;
use super::job::SmokeSettings;
use super::report::{Gate, SmokeReport, Verdict};
use super::terms;
use super::SmokeError;
use crate::domain::RepoId;
use crate::hub::HubClient;

/// What one poll of the preview found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Poll {
    /// Still building or starting.
    Waiting(String),
    /// The live gates have verdicts.
    Done,
}

/// The deadline of the inference call: the declared `@spaces.GPU` duration (60 s by default,
/// hub-constraints.md §3) plus the queue margin.
pub fn call_deadline(gpu_duration: Option<u64>, margin: Duration) -> Duration {
    Duration::from_secs(gpu_duration.unwrap_or(60)) + margin
}

/// Reads the preview's stage once; when it runs, probes it (bounded by `left`). `waited` is the
/// time since the job started, for the report.
pub async fn poll(hub: &HubClient, settings: &SmokeSettings, live: &RepoId, preview: &RepoId, call: Duration, left: Duration, waited: Duration, report: &mut SmokeReport) -> Result<Poll, SmokeError> {
    match gates::runtime_with(hub, preview, settings.log_idle).await? {
        Runtime::Waiting(stage) => Ok(Poll::Waiting(stage)),
        Runtime::Failed(stage, tail) => {
            let joined = tail.join("\n");
            let mut details = vec![format!("{stage}: see the log excerpt")];
            details.extend(tail);
            match terms::environmental(&joined) {
                Some(why) => {
                    details.insert(0, why.to_owned());
                    report.set(Gate::Running, Verdict::Inconclusive, Some(waited), details);
                }
                None => report.set(Gate::Running, Verdict::Fail, Some(waited), details),
            }
            Ok(Poll::Done)
        }
        Runtime::Running(host) => {
            report.set(Gate::Running, Verdict::Pass, Some(waited), vec![format!("RUNNING at {host}")]);
            probe_within(hub, settings, live, &host, call, left, report).await;
            Ok(Poll::Done)
        }
    }
}

/// [`probe`] bounded by `left`: gates still pending when it runs out are inconclusive (the
/// job's deadline, not the app, ended them).
pub async fn probe_within(hub: &HubClient, settings: &SmokeSettings, live: &RepoId, host: &str, call: Duration, left: Duration, report: &mut SmokeReport) {
    let mut scratch = report.clone();
    let finished = tokio::time::timeout(left, probe(hub, settings, live, host, call, &mut scratch)).await.is_ok();
    *report = scratch;
    if !finished {
        for gate in [Gate::Contract, Gate::Inference] {
            if report.gate(gate).is_some_and(|g| g.verdict == Verdict::Pending) {
                report.set(gate, Verdict::Inconclusive, Some(left), vec![format!("no verdict within the smoke deadline (probe cut after {left:?})")]);
            }
        }
    }
}

/// The contract and inference gates against a running preview at `host`.
pub async fn probe(hub: &HubClient, settings: &SmokeSettings, live: &RepoId, host: &str, call: Duration, report: &mut SmokeReport) {
    let t = std::time::Instant::now();
    let mut gradio = settings.gradio.clone();
    gradio.call_deadline = gradio.call_deadline.max(call);
    let connected = async {
        let (client, config) = GradioClient::connect(host, settings.gradio_token.clone(), gradio).await?;
        let info = client.info().await?;
        Ok::<_, super::gradio::GradioError>((client, config, info))
    };
    match connected.await {
        Err(e) => {
            let text = e.to_string();
            let verdict = if terms::environmental(&text).is_some() { Verdict::Inconclusive } else { Verdict::Fail };
            report.set(Gate::Contract, verdict, Some(t.elapsed()), vec![format!("the preview's API could not be read: {text}")]);
        }
        Ok((client, config, info)) => {
            gates::contract_gate(hub, live, &info, settings.gradio_token.clone(), &settings.gradio, report).await;
            gates::inference_gate(&client, &config, &info, &settings.prompts, call, report).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_call_deadline_is_the_declared_duration_plus_the_margin() {
        assert_eq!(call_deadline(Some(120), Duration::from_secs(60)), Duration::from_secs(180));
        assert_eq!(call_deadline(None, Duration::from_secs(30)), Duration::from_secs(90), "ZeroGPU's default duration is 60 s");
    }
}
