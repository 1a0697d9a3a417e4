//! The golden apps run under `lsb_harness check --strict` (real Gradio, diffusers signatures,
//! stand-in torch/spaces): they import, build their Blocks, bind the `@spaces.GPU` function
//! and load the LoRA without a single violation. Needs the `.venv` that `.ci/run` creates;
//! on a developer machine without it the test says so and skips (under CI it fails instead).

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use super::fixtures;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

#[test]
fn golden_apps_pass_the_harness_check_without_violations() {
    let python = Path::new(ROOT).join(".venv/bin/python");
    if !python.is_file() {
        assert!(std::env::var_os("CI").is_none(), "CI must provide .venv with the harness requirements");
        eprintln!("skipped: {} not found (run .ci/run to create it)", python.display());
        return;
    }
    let mut checked = 0;
    for f in fixtures() {
        let golden = Path::new(ROOT).join("tests/golden").join(&f.name);
        if !golden.join("app.py").is_file() {
            continue;
        }
        // Copies: the check writes Gradio caches next to app.py.
        let dir = tempfile::tempdir().expect("tempdir");
        for file in ["app.py", "requirements.txt"] {
            std::fs::copy(golden.join(file), dir.path().join(file)).expect("copy golden file");
        }
        let files = dir.path().join("files.txt");
        std::fs::write(&files, f.files.join("\n")).expect("files.txt");
        let out = Command::new(&python)
            .args(["-m", "lsb_harness", "check", "--strict", "--app"])
            .arg(dir.path().join("app.py"))
            .arg("--files")
            .arg(&files)
            .current_dir(Path::new(ROOT).join("harness"))
            .output()
            .expect("run the harness");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let verdict: Value = serde_json::from_str(stdout.trim()).unwrap_or_else(|e| {
            panic!("{}: harness output is not JSON ({e}):\n{stdout}\n{}", f.name, String::from_utf8_lossy(&out.stderr))
        });
        assert_eq!(verdict["ok"], Value::Bool(true), "{}: {verdict:#}", f.name);
        assert_eq!(verdict["violations"], Value::Array(vec![]), "{}: {verdict:#}", f.name);
        // No warnings either: e.g. a UI helper lambda left as a public API endpoint warns.
        assert_eq!(verdict["warnings"], Value::Array(vec![]), "{}: {verdict:#}", f.name);
        assert_eq!(verdict["gpu_functions"][0]["bound_to_event"], Value::Bool(true), "{}", f.name);
        checked += 1;
    }
    assert!(checked >= 6, "checked only {checked} golden apps");
}
