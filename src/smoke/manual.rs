//! `lora-space-bot smoke --space OWNER/NAME [--revision refs/pr/N]`: the gates run by hand.
//! With a PR revision, the PR's files go to a preview Space (as the smoke job does) and the
//! preview is compared with the live Space; without one, the Space itself is checked as it
//! is. The local gate runs first, as in the worker's smoke job, when the Space is linked to a
//! LoRA (its file list is what `load_lora_weights` is checked against). The report is printed,
//! not posted; the preview is kept until the PR's cleanup.

use std::time::{Duration, Instant};

use super::SmokeError;
use super::gates::{self, Runtime};
use super::job::SmokeSettings;
use super::local;
use super::live::{call_deadline, probe};
use super::preview;
use super::report::{Gate, SmokeReport, Verdict};
use crate::domain::{RepoId, RepoType};
use crate::hub::HubClient;

/// Flags of `smoke`.
#[derive(Debug, Clone, clap::Args)]
pub struct SmokeArgs {
    /// The Space, `OWNER/NAME`.
    #[arg(long)]
    pub space: RepoId,
    /// `refs/pr/N` to test a pull request through a preview Space; the Space's `main` otherwise.
    #[arg(long)]
    pub revision: Option<String>,
    /// Print one line per gate instead of the PR comment's Markdown.
    #[arg(long)]
    pub plain: bool,
}

/// The PR number of a `refs/pr/N` revision.
pub fn pr_number(revision: &str) -> Option<u64> {
    revision.strip_prefix("refs/pr/")?.parse().ok()
}

/// Runs every gate on `space` (at `revision`), waiting for the runtime up to the deadline;
/// `lora` is the LoRA the Space is linked to (the local gate needs its file list).
pub async fn run(hub: &HubClient, bot: &str, settings: &SmokeSettings, space: &RepoId, revision: Option<&str>, lora: Option<&RepoId>) -> Result<SmokeReport, SmokeError> {
    let pr = match revision {
        Some(r) => Some(pr_number(r).ok_or_else(|| SmokeError::Config(format!("--revision {r}: expected refs/pr/N")))?),
        None => None,
    };
    let mut report = SmokeReport::new(&space.to_string(), pr);
    let rev = revision.unwrap_or("main");
    let files = match pr {
        Some(n) => preview::pr_files(hub, space, n).await?,
        None => gates::files_at(hub, space, rev).await?,
    };
    if !gates::static_checks_of(&files, &mut report)? {
        report.skip_pending("not run: the static checks failed");
        return Ok(report);
    }
    match lora {
        Some(lora) => {
            let lora_files = hub.list_files(RepoType::Model, lora, "main").await?;
            let (found, took) = local::run(&settings.local, &files, lora, &lora_files).await;
            let failed = found.verdict == Verdict::Fail;
            report.set(Gate::Local, found.verdict, Some(took), found.details);
            if failed {
                report.skip_pending("not run after a failed gate");
                return Ok(report);
            }
        }
        None => report.skip(&[Gate::Local], &format!("skipped: {space} is not linked to a LoRA in [[links]] (the harness checks the app against the LoRA's files)")),
    }
    if pr.is_some() && settings.preview.mode == preview::PreviewMode::Off {
        // A preview on the default cpu-basic would fail any GPU app: not the app's fault.
        report.skip_pending("skipped: [smoke] preview = \"off\"; set it to \"zero-gpu\" or a hardware flavour to test a PR through a preview");
        return Ok(report);
    }
    let target = match pr {
        Some(n) => preview::deploy(hub, &settings.preview, bot, space, n).await?.id().clone(),
        None => space.clone(),
    };
    let started = Instant::now();
    let mut every = tokio::time::interval(Duration::from_secs(2));
    let host = loop {
        every.tick().await;
        match gates::runtime(hub, &target).await? {
            Runtime::Waiting(_) if started.elapsed() < settings.deadline => continue,
            Runtime::Waiting(stage) => {
                report.set(Gate::Running, Verdict::Fail, Some(started.elapsed()), vec![format!("still {stage} after {:?}", settings.deadline)]);
                break None;
            }
            Runtime::Failed(stage, tail) => {
                let mut details = vec![format!("{stage}: see the log excerpt")];
                details.extend(tail);
                report.set(Gate::Running, Verdict::Fail, Some(started.elapsed()), details);
                break None;
            }
            Runtime::Running(host) => {
                report.set(Gate::Running, Verdict::Pass, Some(started.elapsed()), vec![format!("RUNNING at {host}")]);
                break Some(host);
            }
        }
    };
    if let Some(host) = host {
        probe(hub, settings, space, &host, call_deadline(None, settings.queue_margin), &mut report).await;
        if pr.is_none() {
            report.set(Gate::Contract, Verdict::Skipped, None, vec!["no revision given: the Space is its own live version".to_owned()]);
        }
    }
    report.skip_pending("not run after a failed gate");
    Ok(report)
}

/// One line per gate.
pub fn plain(report: &SmokeReport) -> String {
    let mut out = format!("{}: {}\n", report.space, report.summary());
    for g in &report.gates {
        let time = g.elapsed.map_or_else(String::new, |d| format!(" ({:.1} s)", d.as_secs_f64()));
        out.push_str(&format!("{:<24} {:?}{time}\n", g.gate.name(), g.verdict));
        for d in &g.details {
            out.push_str(&format!("    {d}\n"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_pr_refs_name_a_pr() {
        assert_eq!(pr_number("refs/pr/12"), Some(12));
        assert_eq!(pr_number("main"), None);
        assert_eq!(pr_number("refs/pr/x"), None);
    }
}
