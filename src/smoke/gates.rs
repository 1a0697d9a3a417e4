//! The I/O side of the gates: static checks of a revision's files, the preview's runtime
//! (with the log tail on failure), the API contract against the live Space, and inference
//! with the output bytes sniffed. Each returns a verdict for the [`SmokeReport`].

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::SmokeError;
use super::contract;
use super::gradio::{ApiInfo, GradioClient, GradioConfig, GradioSettings};
use super::inputs;
use super::report::{Gate, SmokeReport, Verdict};
use super::sniff::{MediaKind, sniff};
use super::terms;
use crate::domain::{RepoId, RepoType};
use crate::hub::{HubClient, LogKind, LogLine, Secret, SpaceStage};

/// The last lines of a log that explain a failure: from the last traceback on, at most `max`.
pub fn log_tail(lines: &[String], max: usize) -> Vec<String> {
    let from = lines.iter().rposition(|l| l.starts_with("Traceback")).unwrap_or(0);
    let tail = &lines[from..];
    let skip = tail.len().saturating_sub(max);
    tail[skip..].iter().map(|l| l.trim_end().to_owned()).filter(|l| !l.is_empty()).collect()
}

/// Runs the static checks on the Space's generated files at `revision`.
pub async fn static_checks(hub: &HubClient, space: &RepoId, revision: &str, report: &mut SmokeReport) -> Result<bool, SmokeError> {
    static_checks_of(&files_at(hub, space, revision).await?, report)
}

/// The generated files (`app.py`, `requirements.txt`, `README.md`) of `space` at `revision`;
/// absent ones are left out.
pub async fn files_at(hub: &HubClient, space: &RepoId, revision: &str) -> Result<BTreeMap<String, Vec<u8>>, SmokeError> {
    let mut files = BTreeMap::new();
    for name in ["app.py", "requirements.txt", "README.md"] {
        match hub.download(RepoType::Space, space, revision, name).await {
            Ok(f) => {
                files.insert(name.to_owned(), f.bytes.to_vec());
            }
            Err(e) if e.status() == Some(404) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(files)
}

/// The static checks on files already read (path → bytes).
pub fn static_checks_of(all: &BTreeMap<String, Vec<u8>>, report: &mut SmokeReport) -> Result<bool, SmokeError> {
    let t = Instant::now();
    let files: BTreeMap<String, String> = ["app.py", "requirements.txt", "README.md"]
        .into_iter()
        .filter_map(|n| all.get(n).map(|b| (n.to_owned(), String::from_utf8_lossy(b).into_owned())))
        .collect();
    let lora = RepoId::from_parts("unknown", "unknown").map_err(|e| SmokeError::Config(e.to_string()))?;
    let profile = crate::lora::analyze(&crate::lora::AnalyzeInput { lora: &lora, card: "", files: &[], overrides: None });
    let issues = crate::space::validate::validate_generated(&files, &profile);
    let ok = issues.is_empty();
    let details = if ok { vec![format!("{} files checked", files.len())] } else { issues.iter().map(ToString::to_string).collect() };
    report.set(Gate::Static, if ok { Verdict::Pass } else { Verdict::Fail }, Some(t.elapsed()), details);
    Ok(ok)
}

/// Where the preview is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Runtime {
    /// Still building or starting.
    Waiting(String),
    /// Running at this host.
    Running(String),
    /// Failed: the stage and the log tail.
    Failed(String, Vec<String>),
}

fn lines(log: Vec<LogLine>) -> Vec<String> {
    log.into_iter().map(|l| l.data).collect()
}

/// How long a log read waits for one more event before keeping what arrived.
pub const LOG_IDLE: Duration = Duration::from_secs(5);

/// Reads the preview's stage; on a failed stage, the tail of the log that explains it (read
/// with an idle timeout: the Hub's log streams never end).
pub async fn runtime(hub: &HubClient, preview: &RepoId) -> Result<Runtime, SmokeError> {
    runtime_with(hub, preview, LOG_IDLE).await
}

/// [`runtime`] with this idle timeout for the log read.
pub async fn runtime_with(hub: &HubClient, preview: &RepoId, idle: Duration) -> Result<Runtime, SmokeError> {
    let rt = hub.space_runtime(preview).await?;
    match rt.stage {
        SpaceStage::Running => {
            let host = hub.space_info(preview, None).await?.host.ok_or_else(|| SmokeError::Config(format!("{preview} has no host")))?;
            Ok(Runtime::Running(host))
        }
        SpaceStage::Building | SpaceStage::AppStarting | SpaceStage::RunningBuilding | SpaceStage::RunningAppStarting | SpaceStage::NoAppFile => {
            Ok(Runtime::Waiting(rt.stage.as_str().to_owned()))
        }
        stage => {
            let which = if stage == SpaceStage::BuildError { LogKind::Build } else { LogKind::Run };
            let log = hub.space_logs_until_idle(preview, which, 200, idle, idle * 3).await?;
            let mut tail = log_tail(&lines(log), 30);
            if let Some(m) = rt.error_message {
                tail.insert(0, m);
            }
            Ok(Runtime::Failed(stage.as_str().to_owned(), tail))
        }
    }
}

/// Compares the preview's API with the live Space's; skipped when the live Space is not running.
pub async fn contract_gate(hub: &HubClient, live: &RepoId, preview: &ApiInfo, token: Option<Secret>, settings: &GradioSettings, report: &mut SmokeReport) {
    let t = Instant::now();
    let live_host = match hub.space_runtime(live).await {
        Ok(rt) if rt.stage == SpaceStage::Running => hub.space_info(live, None).await.ok().and_then(|i| i.host),
        _ => None,
    };
    let Some(host) = live_host else {
        report.set(Gate::Contract, Verdict::Skipped, Some(t.elapsed()), vec![format!("the live Space {live} is not running: nothing to compare with")]);
        return;
    };
    let live_info = async {
        let (client, _) = GradioClient::connect(&host, token, settings.clone()).await?;
        client.info().await
    };
    match live_info.await {
        Err(e) => report.set(Gate::Contract, Verdict::Skipped, Some(t.elapsed()), vec![format!("the live Space's API could not be read: {e}")]),
        Ok(live_info) => {
            let breaks = contract::compare(&live_info, preview);
            if breaks.is_empty() {
                let n = live_info.named_endpoints.len();
                report.set(Gate::Contract, Verdict::Pass, Some(t.elapsed()), vec![format!("{n} live endpoint(s) unchanged for callers")]);
            } else {
                report.set(Gate::Contract, Verdict::Fail, Some(t.elapsed()), breaks.iter().map(ToString::to_string).collect());
            }
        }
    }
}

/// The file value in an output: an Image/Video FileData, or the last item of a Gallery or an
/// ImageSlider pair (the "after" image).
fn first_file(v: &Value) -> Option<&Value> {
    match v {
        Value::Object(o) if o.contains_key("path") || o.contains_key("url") => Some(v),
        Value::Object(o) => o.get("image").or_else(|| o.get("video")).and_then(first_file),
        Value::Array(items) => items.iter().rev().find_map(first_file),
        _ => None,
    }
}

fn expected(component: Option<&str>) -> Option<fn(MediaKind) -> bool> {
    match component.map(str::to_ascii_lowercase).as_deref() {
        Some("image" | "gallery" | "imageslider") => Some(MediaKind::is_image),
        Some("video") => Some(MediaKind::is_video),
        _ => None,
    }
}

/// On the first endpoint that returns media, ONE call (a ZeroGPU call spends the token's daily
/// quota): the app's first declared example, else the first prompt, else Gradio's example
/// inputs; each output fetched, non-empty, and of the expected kind. An error that names a
/// limit outside the app (quota, GPU limit, illegal duration, no GPU, full queue) makes the
/// gate inconclusive, not failed.
pub async fn inference_gate(client: &GradioClient, config: &GradioConfig, info: &ApiInfo, prompts: &[String], deadline: Duration, report: &mut SmokeReport) {
    let t = Instant::now();
    let mut details = Vec::new();
    let mut failed = false;
    let endpoints: Vec<_> = info.named_endpoints.iter().filter(|(_, ep)| ep.returns.iter().any(|r| expected(r.component.as_deref()).is_some())).collect();
    if endpoints.is_empty() {
        report.set(Gate::Inference, Verdict::Fail, Some(t.elapsed()), vec!["no endpoint returns an image or a video".to_owned()]);
        return;
    }
    'calls: for (name, ep) in endpoints.into_iter().take(1) {
        let declared = inputs::examples(config, name);
        let cases: Vec<(String, Vec<Value>)> = if let Some(ex) = declared.first() {
            vec![(format!("{name} example 1"), inputs::build_example(ep, ex))]
        } else if let Some(p) = prompts.first() {
            vec![(format!("{name} \"{p}\""), inputs::build(ep, Some(p)))]
        } else {
            vec![(format!("{name} (example inputs)"), inputs::build(ep, None))]
        };
        for (label, args) in cases {
            let outcome = tokio::time::timeout(deadline, client.call(name, args)).await;
            let out = match outcome {
                Err(_) => Err(format!("no result within {deadline:?}")),
                Ok(r) => r.map_err(|e| e.to_string()),
            };
            let out = match out {
                Ok(out) => out,
                Err(e) => {
                    if let Some(why) = terms::environmental(&e) {
                        report.set(Gate::Inference, Verdict::Inconclusive, Some(t.elapsed()), vec![why.to_owned(), format!("{label}: {e}")]);
                        return;
                    }
                    failed = true;
                    details.push(format!("{label}: {e}"));
                    break 'calls;
                }
            };
            for (i, ret) in ep.returns.iter().enumerate() {
                let Some(is_kind) = expected(ret.component.as_deref()) else { continue };
                let Some(file) = out.get(i).and_then(first_file) else {
                    failed = true;
                    details.push(format!("{label}: output {} ({}) has no file", i + 1, ret.component.as_deref().unwrap_or("?")));
                    continue;
                };
                match client.download(file).await {
                    Err(e) => {
                        failed = true;
                        details.push(format!("{label}: cannot fetch the output: {e}"));
                    }
                    Ok(bytes) => match sniff(&bytes) {
                        Some(kind) if is_kind(kind) => details.push(format!("{label}: {kind}, {} bytes", bytes.len())),
                        Some(kind) => {
                            failed = true;
                            details.push(format!("{label}: got {kind}, expected a {}", ret.component.as_deref().unwrap_or("?")));
                        }
                        None => {
                            failed = true;
                            details.push(format!("{label}: {} bytes that are no known image or video", bytes.len()));
                        }
                    },
                }
            }
        }
    }
    report.set(Gate::Inference, if failed { Verdict::Fail } else { Verdict::Pass }, Some(t.elapsed()), details);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_log_tail_starts_at_the_last_traceback() {
        let log: Vec<String> = ["boot\n", "Traceback (most recent call last):\n", "  x\n", "old\n", "Traceback (most recent call last):\n", "  File app.py\n", "OSError: no file\n"]
            .into_iter()
            .map(str::to_owned)
            .collect();
        assert_eq!(log_tail(&log, 30), vec!["Traceback (most recent call last):", "  File app.py", "OSError: no file"]);
        assert_eq!(log_tail(&log, 1), vec!["OSError: no file"]);
    }

    #[test]
    fn file_values_are_found_in_images_and_galleries() {
        let img = json!({ "path": "/tmp/a.png", "url": "http://h/a.png" });
        assert_eq!(first_file(&img), Some(&img));
        let gallery = json!([{ "image": img.clone(), "caption": null }]);
        assert_eq!(first_file(&gallery), Some(&img));
        let after = json!({ "path": "/tmp/b.png" });
        assert_eq!(first_file(&json!([img.clone(), after.clone()])), Some(&after));
        assert!(expected(Some("Imageslider")).is_some() && expected(Some("Textbox")).is_none());
        assert_eq!(first_file(&json!(42)), None);
    }
}
