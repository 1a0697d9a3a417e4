//! `lora-space-bot plan`: a dry run on every shared fixture, offline and against the simulator.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use lora_space_bot::domain::RepoType;
use serde_json::Value;

use crate::helpers::*;

const CARDS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/fixtures/cards");
const CORE: [&str; 9] = ["base_model", "task", "pipeline_class", "weight_name", "trigger_words", "steps", "guidance", "lora_scale", "needs_user_input"];

fn fixtures() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(CARDS).expect("fixtures").filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.join("expected.json").exists()).collect();
    dirs.sort();
    dirs
}

fn expected(dir: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).expect("expected.json")).expect("json")
}

fn plan(args: &[&str], env: &[(&str, &str)]) -> Value {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_lora-space-bot"));
    cmd.arg("plan").args(args).args(["--format", "json"]).env_remove("HF_TOKEN");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run plan");
    assert!(out.status.success(), "plan {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("plan printed no JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)))
}

fn assert_core(name: &str, got: &Value, want: &Value, card: &str) {
    for field in CORE {
        let (g, w) = (&got[field], &want[field]);
        let same = match (g.as_f64(), w.as_f64()) {
            (Some(a), Some(b)) => (a - b).abs() < 1e-9,
            _ => g == w,
        };
        assert!(same, "{name}: {field} is {g}, expected {w}");
    }
    // Examples quoted verbatim in the card must come through; the expected file may also
    // describe prompts written from example media, which no generator can reproduce verbatim.
    let want_ex = want["examples"].as_array().cloned().unwrap_or_default();
    for ex in want_ex.iter().filter(|ex| ex.as_str().is_some_and(|e| card.contains(e))) {
        assert!(got["examples"].as_array().is_some_and(|a| a.contains(ex)), "{name}: example {ex} missing from {}", got["examples"]);
    }
    assert_eq!(want_ex.is_empty(), got["examples"].as_array().is_none_or(|a| a.is_empty()), "{name}: examples {}", got["examples"]);
}

#[test]
fn plan_from_dir_matches_expected_json_on_the_core_fields_for_every_shared_fixture() {
    for dir in fixtures() {
        let want = expected(&dir);
        let tmp = tempfile::tempdir().expect("tmp");
        std::fs::copy(dir.join("README.md"), tmp.path().join("README.md")).expect("card");
        let files: Vec<&str> = want["files"].as_array().expect("files").iter().filter_map(Value::as_str).collect();
        std::fs::write(tmp.path().join("files.txt"), files.join("\n")).expect("files.txt");
        let lora = want["lora_repo"].as_str().expect("lora_repo");
        let out = tmp.path().join("out");
        let got = plan(&["--from-dir", tmp.path().to_str().expect("utf8"), "--lora", lora, "--out", out.to_str().expect("utf8")], &[]);
        let card = std::fs::read_to_string(dir.join("README.md")).expect("card");
        assert_core(&dir.display().to_string(), &got, &want, &card);
        let wrote = out.join("app.py").exists();
        let ready = !want["needs_user_input"].as_bool().unwrap_or(false);
        assert_eq!(wrote, ready, "{}: files written only when ready", dir.display());
        // What people would read: the approver's PR description, or the owner's discussion.
        let read = |f: &str| std::fs::read_to_string(out.join(f)).unwrap_or_default();
        if ready {
            let body = read("pr-body.md");
            assert!(body.starts_with(&format!("# [lora-space-bot] Sync with {lora}@0000000")), "{}: {body}", dir.display());
            let weights = got["weight_name"].as_str().expect("weights");
            assert!(body.contains(&format!("| weights file |  | {weights} |")), "{}: {body}", dir.display());
            assert!(!out.join("needs-input.md").exists());
        } else {
            let ask = read("needs-input.md");
            assert!(ask.starts_with("# [lora-space-bot]") && ask.contains(lora), "{}: {ask}", dir.display());
            assert!(!out.join("pr-body.md").exists());
        }
    }
}

#[tokio::test]
async fn plan_reads_the_lora_from_the_simulator_and_diffs_against_the_space_without_writing() {
    let sim = spawn_sim().await;
    sim.add_user("tkato", "hf_tkato");
    let dir = Path::new(CARDS).join("02-flux-dev-dreambooth-corgi");
    let (lora, _) = sim.seed_card_fixture(&dir).expect("seed");
    let space = id("tkato/corgi-demo");
    sim.seed_repo(RepoType::Space, &space, BTreeMap::from([("README.md".to_owned(), b"---\nsdk: gradio\n---\n".to_vec())]), false);
    let calls_before = sim.calls().len();
    let endpoint = sim.base_url().to_string();
    let out = tempfile::tempdir().expect("tmp");
    let out_dir = out.path().to_str().expect("utf8").to_owned();
    let lora_id = lora.clone();
    let got = tokio::task::spawn_blocking(move || plan(&["--lora", &lora_id.to_string(), "--space", "tkato/corgi-demo", "--out", &out_dir], &[("HF_ENDPOINT", &endpoint)])).await.expect("join");
    let head = sim.head(RepoType::Model, &lora, "main").expect("head");
    let body = std::fs::read_to_string(out.path().join("pr-body.md")).expect("pr-body.md");
    assert!(body.contains(&format!("lora_sha={}", head.as_str())) && body.contains("Compared with the Space's main"), "{body}");
    let readme = std::fs::read_to_string(out.path().join("README.md")).expect("README.md");
    assert!(readme.starts_with("---\nsdk: gradio\n"), "the README is merged into the Space's, key order kept: {readme}");
    assert_core("02 via the simulator", &got, &expected(&dir), &std::fs::read_to_string(dir.join("README.md")).expect("card"));
    assert!(got["space_diff"].as_str().is_some_and(|d| d.contains("app.py: added")), "{}", got["space_diff"]);
    let writes = sim.calls()[calls_before..].iter().filter(|c| c.method != "GET" && c.method != "HEAD").count();
    assert_eq!(writes, 0, "plan must not write to the Hub");
}
