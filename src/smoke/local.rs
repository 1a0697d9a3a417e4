//! The local gate: the worker runs the PR's app itself through the harness
//! (`python -m lsb_harness check`, then `smoke`; harness/README.md), with the LoRA's real file
//! list. Free, seconds long, and the verdict when no preview Space is configured. A missing
//! Python or harness makes the gate "skipped", never a failure. The app runs in a temp dir
//! with a cleared environment: no token of the bot ever reaches it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::Value;
use tokio::process::Command;

use super::report::Verdict;
use crate::domain::RepoId;

/// Where the harness is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalHarness {
    /// The Python with the harness requirements (`[smoke] harness_python`).
    pub python: PathBuf,
    /// The directory holding `lsb_harness/` (`[smoke] harness_dir`).
    pub dir: PathBuf,
    /// Longest `check` and `smoke` may take each.
    pub timeout: Duration,
}

impl Default for LocalHarness {
    fn default() -> Self {
        Self::located(PathBuf::from(".venv/bin/python"), PathBuf::from("harness"), Duration::from_secs(180))
    }
}

impl LocalHarness {
    /// The configured paths; relative ones that do not exist from the working directory fall
    /// back to this source tree's (`.venv/bin/python`, `harness/` of a checkout running
    /// `cargo run` from elsewhere). Images and installs set absolute paths.
    pub fn located(python: PathBuf, dir: PathBuf, timeout: Duration) -> Self {
        let tree = Path::new(env!("CARGO_MANIFEST_DIR"));
        let pick = |p: PathBuf, exists: fn(&Path) -> bool| if p.is_relative() && !exists(&p) && exists(&tree.join(&p)) { tree.join(p) } else { p };
        Self { python: pick(python, Path::is_file), dir: pick(dir, Path::is_dir), timeout }
    }
}

/// What the local gate found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalFindings {
    /// The gate's verdict.
    pub verdict: Verdict,
    /// One line each.
    pub details: Vec<String>,
    /// The longest `@spaces.GPU(duration=…)` of an event handler, in seconds (None: unknown).
    pub gpu_duration: Option<u64>,
}

/// Violations that make the app fail on the Space (the others are reported as warnings).
const HARD: &[&str] = &[
    "missing_requirement",
    "missing_backend",
    "platform_requirement",
    "no_launch",
    "no_blocks",
    "event_arity",
    "examples_arity",
    "call_outside_gpu",
    "lora_kwarg_ignored",
    "torch_pin",
    "diffusers_too_old",
    "cuda_device_id",
    "device_map",
];

#[derive(Debug, Deserialize, Default)]
struct CheckVerdict {
    #[serde(default)]
    ok: bool,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    error_kind: Option<String>,
    #[serde(default)]
    gpu_functions: Vec<Value>,
    #[serde(default)]
    violations: Vec<Violation>,
}

#[derive(Debug, Deserialize)]
struct Violation {
    code: String,
    message: String,
}

/// Whether the app needs a GPU at start-up or per call (pure text scan: `@spaces.GPU`, `.to("cuda")`).
pub fn needs_gpu(app_py: &str) -> bool {
    app_py.contains("@spaces.GPU") || app_py.contains(".to(\"cuda\")") || app_py.contains(".to('cuda')") || app_py.contains("device=\"cuda\"")
}

/// The longest declared duration of the event-bound GPU functions (`duration` is a number, or
/// "callable" which counts as the 60 s default).
fn gpu_duration(v: &CheckVerdict) -> Option<u64> {
    v.gpu_functions
        .iter()
        .map(|f| f.get("duration").and_then(Value::as_f64).map_or(60, |d| d.ceil().max(1.0) as u64))
        .max()
}

/// Pure: the gate's verdict from `check`'s JSON (and, when it passed, `smoke`'s).
pub fn judge(check: &str, smoke: Option<&str>) -> LocalFindings {
    let Ok(v) = serde_json::from_str::<CheckVerdict>(check.trim()) else {
        return LocalFindings { verdict: Verdict::Skipped, details: vec![format!("skipped: the harness gave no verdict ({})", last_line(check))], gpu_duration: None };
    };
    let gpu = gpu_duration(&v);
    let hard: Vec<&Violation> = v.violations.iter().filter(|x| HARD.contains(&x.code.as_str())).collect();
    let soft: Vec<String> = v.violations.iter().filter(|x| !HARD.contains(&x.code.as_str())).map(|x| format!("warning ({}): {}", x.code, x.message)).collect();
    if !v.ok {
        let error = v.error.clone().unwrap_or_else(|| "the app failed to build".to_owned());
        return match v.error_kind.as_deref() {
            Some("stand_in_gap") => LocalFindings { verdict: Verdict::Skipped, details: vec![format!("skipped: the harness cannot simulate this app: {error}")], gpu_duration: gpu },
            Some("usage") => LocalFindings { verdict: Verdict::Skipped, details: vec![format!("skipped: {error}")], gpu_duration: gpu },
            _ => {
                let mut details = vec![format!("start-up fails: {error}")];
                details.extend(hard.iter().map(|x| format!("{}: {}", x.code, x.message)));
                LocalFindings { verdict: Verdict::Fail, details, gpu_duration: gpu }
            }
        };
    }
    if !hard.is_empty() {
        let mut details: Vec<String> = hard.iter().map(|x| format!("{}: {}", x.code, x.message)).collect();
        details.extend(soft);
        return LocalFindings { verdict: Verdict::Fail, details, gpu_duration: gpu };
    }
    let Some(smoke) = smoke else {
        let mut details = vec!["check passed (the app was not served)".to_owned()];
        details.extend(soft);
        return LocalFindings { verdict: Verdict::Pass, details, gpu_duration: gpu };
    };
    let mut out = judge_smoke(smoke);
    out.details.extend(soft);
    out.gpu_duration = gpu;
    out
}

fn judge_smoke(smoke: &str) -> LocalFindings {
    let Ok(r) = serde_json::from_str::<Value>(smoke.trim()) else {
        return LocalFindings { verdict: Verdict::Skipped, details: vec![format!("skipped: the harness smoke run gave no report ({})", last_line(smoke))], gpu_duration: None };
    };
    if r.get("startup_ok").and_then(Value::as_bool) != Some(true) {
        let why = r.get("error").and_then(Value::as_str).unwrap_or("startup failed");
        let mut details = vec![format!("the app does not start: {why}")];
        let tail: Vec<String> = r.get("log_tail").and_then(Value::as_str).unwrap_or_default().lines().map(str::to_owned).collect();
        details.extend(super::gates::log_tail(&tail, 20));
        return LocalFindings { verdict: Verdict::Fail, details, gpu_duration: None };
    }
    let mut details = Vec::new();
    let mut failed = false;
    for ep in r.get("endpoints").and_then(Value::as_array).into_iter().flatten() {
        let api = ep.get("api_name").and_then(Value::as_str).unwrap_or("?");
        if ep.get("event").and_then(Value::as_str) == Some("complete") {
            let outs: Vec<String> = ep
                .get("outputs")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|o| o.get("sniff").map(|s| format!("{} ({} bytes)", s.as_str().unwrap_or("unknown").to_ascii_uppercase(), o.get("bytes").and_then(Value::as_u64).unwrap_or(0))))
                .collect();
            details.push(format!("/{api}: {}", if outs.is_empty() { "completed".to_owned() } else { outs.join(", ") }));
        } else {
            failed = true;
            let err = ep.get("error").map(|e| e.get("error").and_then(Value::as_str).map_or_else(|| e.to_string(), str::to_owned)).unwrap_or_default();
            details.push(format!("/{api}: the app raised: {err}"));
        }
    }
    let ok = r.get("ok").and_then(Value::as_bool) == Some(true) && !failed;
    if !ok && details.is_empty() {
        details.push("no endpoint answered".to_owned());
    }
    details.insert(0, if ok { "served under the harness; every endpoint answered".to_owned() } else { "served under the harness; a call failed".to_owned() });
    LocalFindings { verdict: if ok { Verdict::Pass } else { Verdict::Fail }, details, gpu_duration: None }
}

fn last_line(text: &str) -> String {
    text.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("no output").chars().take(200).collect()
}

/// Why the harness cannot run here, if it cannot (checked before writing anything).
pub fn missing(h: &LocalHarness) -> Option<String> {
    if !h.dir.join("lsb_harness").join("__main__.py").is_file() {
        return Some(format!("skipped: harness not installed (no lsb_harness in {}; the operator sets [smoke] harness_dir)", shown(&h.dir)));
    }
    let bare = h.python.components().count() == 1;
    if !bare && !h.python.is_file() {
        return Some(format!("skipped: harness not installed (no Python at {}; the operator sets [smoke] harness_python)", shown(&h.python)));
    }
    None
}

/// A path as the operator can find it: relative paths resolved against the working directory.
fn shown(p: &Path) -> String {
    match (p.is_relative(), std::env::current_dir()) {
        (true, Ok(cwd)) => cwd.join(p).display().to_string(),
        _ => p.display().to_string(),
    }
}

fn write_app(dir: &Path, files: &BTreeMap<String, Vec<u8>>, lora_files: &[String]) -> std::io::Result<PathBuf> {
    for (path, data) in files {
        if path.contains("..") || path.starts_with('/') {
            continue;
        }
        let target = dir.join(path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(target, data)?;
    }
    let list = dir.join(".lsb-lora-files.txt");
    std::fs::write(&list, lora_files.join("\n"))?;
    Ok(list)
}

/// Runs one harness command; `Err` is a reason to skip (could not start, timed out).
async fn harness(h: &LocalHarness, dir: &Path, cmd: &str, list: &Path, lora: &RepoId) -> Result<String, String> {
    // A relative path is the worker's (the child runs in the app's temp dir); absolutized, not
    // canonicalized: a venv's python is a symlink whose location selects the venv.
    let python = if h.python.is_relative() && h.python.components().count() > 1 { std::env::current_dir().map(|d| d.join(&h.python)).unwrap_or_else(|_| h.python.clone()) } else { h.python.clone() };
    let mut c = Command::new(&python);
    c.arg("-m").arg("lsb_harness").arg(cmd).arg("--app").arg(dir.join("app.py")).arg("--files").arg(format!("{lora}={}", list.display()));
    if cmd == "smoke" {
        c.arg("--timeout").arg(h.timeout.as_secs().to_string());
    }
    let dir_abs = std::path::absolute(&h.dir).unwrap_or_else(|_| h.dir.clone());
    c.current_dir(dir).env_clear().env("PYTHONPATH", dir_abs).env("PYTHONUNBUFFERED", "1").env("HOME", dir);
    if let Some(path) = std::env::var_os("PATH") {
        c.env("PATH", path);
    }
    c.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).kill_on_drop(true);
    let child = c.spawn().map_err(|e| format!("skipped: harness not installed ({}: {e})", h.python.display()))?;
    match tokio::time::timeout(h.timeout + Duration::from_secs(30), child.wait_with_output()).await {
        Err(_) => Err(format!("skipped: the harness {cmd} did not finish within {:?}", h.timeout)),
        Ok(Err(e)) => Err(format!("skipped: the harness {cmd} failed to run: {e}")),
        Ok(Ok(out)) => Ok(String::from_utf8_lossy(&out.stdout).into_owned()),
    }
}

/// Runs the local gate on the PR's `files` (path → bytes) with the LoRA's file list.
pub async fn run(h: &LocalHarness, files: &BTreeMap<String, Vec<u8>>, lora: &RepoId, lora_files: &[String]) -> (LocalFindings, Duration) {
    let t = Instant::now();
    let skipped = |why: String| LocalFindings { verdict: Verdict::Skipped, details: vec![why], gpu_duration: None };
    if let Some(why) = missing(h) {
        return (skipped(why), t.elapsed());
    }
    if !files.contains_key("app.py") {
        return (skipped("skipped: the PR has no app.py".to_owned()), t.elapsed());
    }
    let dir = std::env::temp_dir().join(format!("lsb-local-{}", uuid::Uuid::new_v4().simple()));
    let _cleanup = RemoveOnDrop(dir.clone());
    let list = match std::fs::create_dir_all(&dir).and_then(|()| write_app(&dir, files, lora_files)) {
        Ok(l) => l,
        Err(e) => return (skipped(format!("skipped: cannot write the app: {e}")), t.elapsed()),
    };
    let check = match harness(h, &dir, "check", &list, lora).await {
        Ok(out) => out,
        Err(why) => return (skipped(why), t.elapsed()),
    };
    let first = judge(&check, None);
    if first.verdict != Verdict::Pass {
        return (first, t.elapsed());
    }
    let smoke = match harness(h, &dir, "smoke", &list, lora).await {
        Ok(out) => out,
        Err(why) => return (skipped(why), t.elapsed()),
    };
    (judge(&check, Some(&smoke)), t.elapsed())
}

struct RemoveOnDrop(PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_app_error_fails_and_a_stand_in_gap_or_garbage_only_skips() {
        let app = judge(r#"{"ok": false, "error": "ValueError: PEFT backend is required for this method.", "error_kind": "app", "violations": [{"code": "missing_backend", "message": "no peft"}]}"#, None);
        assert_eq!(app.verdict, Verdict::Fail);
        assert!(app.details[0].contains("PEFT backend is required") && app.details[1].starts_with("missing_backend"), "{:?}", app.details);
        let gap = judge(r#"{"ok": false, "error": "StandInGap: snapshot_download", "error_kind": "stand_in_gap"}"#, None);
        assert_eq!(gap.verdict, Verdict::Skipped);
        let garbage = judge("Traceback...\nModuleNotFoundError: No module named 'gradio'\n", None);
        assert_eq!(garbage.verdict, Verdict::Skipped);
        assert!(garbage.details[0].contains("No module named 'gradio'"), "{:?}", garbage.details);
    }

    #[test]
    fn hard_violations_fail_soft_ones_are_warnings_and_the_gpu_duration_is_read() {
        let check = r#"{"ok": true, "gpu_functions": [{"duration": 120}, {"duration": "callable"}], "violations": [{"code": "import_order", "message": "x"}]}"#;
        let smoke = r#"{"ok": true, "startup_ok": true, "endpoints": [{"api_name": "generate", "event": "complete", "outputs": [{"sniff": "png", "bytes": 210}, {"value": 3}]}]}"#;
        let out = judge(check, Some(smoke));
        assert_eq!(out.verdict, Verdict::Pass, "{:?}", out.details);
        assert_eq!(out.gpu_duration, Some(120));
        assert!(out.details.iter().any(|d| d == "/generate: PNG (210 bytes)"), "{:?}", out.details);
        assert!(out.details.iter().any(|d| d.starts_with("warning (import_order)")));
        let hard = judge(r#"{"ok": true, "violations": [{"code": "missing_requirement", "message": "imageio"}]}"#, Some(smoke));
        assert_eq!(hard.verdict, Verdict::Fail);
    }

    #[test]
    fn a_failed_call_or_start_up_in_the_smoke_run_fails_the_gate() {
        let call = judge(r#"{"ok": true}"#, Some(r#"{"ok": false, "startup_ok": true, "endpoints": [{"api_name": "generate", "event": "error", "error": {"error": "TypeError: bad kwarg"}}]}"#));
        assert_eq!(call.verdict, Verdict::Fail);
        assert!(call.details.iter().any(|d| d.contains("TypeError: bad kwarg")), "{:?}", call.details);
        let start = judge(r#"{"ok": true}"#, Some(r#"{"ok": false, "startup_ok": false, "error": "startup failed", "log_tail": "Traceback (most recent call last):\nOSError: no file\n"}"#));
        assert_eq!(start.verdict, Verdict::Fail);
        assert!(start.details.iter().any(|d| d == "OSError: no file"), "{:?}", start.details);
    }

    #[test]
    fn a_missing_harness_is_a_skip_reason() {
        let h = LocalHarness { python: "/nonexistent/python".into(), dir: "/nonexistent".into(), timeout: Duration::from_secs(1) };
        assert!(missing(&h).is_some_and(|w| w.contains("harness not installed")));
    }

    #[test]
    fn gpu_apps_are_recognised_from_their_source() {
        assert!(needs_gpu("@spaces.GPU(duration=60)\ndef f(): ..."));
        assert!(needs_gpu("pipe.to(\"cuda\")"));
        assert!(!needs_gpu("import gradio as gr\n"));
    }
}
