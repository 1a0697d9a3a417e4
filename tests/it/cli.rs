//! The binary as users run it.

use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_lora-space-bot"))
}

#[test]
fn demo_exits_zero_prints_the_pr_and_its_verdict_and_writes_the_files() {
    let out_dir = tempfile::tempdir().expect("tmp");
    let out = bin().arg("demo").arg("--out").arg(out_dir.path()).env_remove("HF_TOKEN").env("HF_ENDPOINT", "http://127.0.0.1:9").output().expect("run demo");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "demo failed: {}\n{}", stdout, String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("Pull request #1 opened on demo-user/pixel-art-demo by lora-space-bot"), "{stdout}");
    assert!(stdout.contains("Title:  [lora-space-bot] Sync with demo-user/pixel-art-flux-lora@"), "{stdout}");
    assert!(stdout.contains("--- smoke comment on the PR ---") && stdout.contains("| local harness | ✅ pass |"), "the local gate's verdict: {stdout}");
    assert!(stdout.contains("Smoke verdict: ✅ **passed**") && !stdout.contains("transport error"), "{stdout}");
    for f in ["app.py: added", "requirements.txt: added", "README.md: modified"] {
        assert!(stdout.contains(f), "{f} not in\n{stdout}");
    }
    let read = |name: &str| std::fs::read_to_string(out_dir.path().join(name)).unwrap_or_else(|e| panic!("{name} not written: {e}"));
    let body = read("pr-body.md");
    assert!(stdout.contains("--- PR body ---\nThis pull request regenerates the demo") && stdout.contains("## What the bot inferred"), "the PR body is printed: {stdout}");
    assert!(body.starts_with("This pull request regenerates the demo") && body.contains("## What the bot inferred"), "and written: {body}");
    assert!(read("app.py").contains("WEIGHT_NAME = \"pixel-art-v2.safetensors\""), "the PR's app.py follows the pushed card");
    assert!(read("smoke-comment.md").contains("| local harness | ✅ pass |"));
    assert!(read("README.md").contains("sdk: gradio") && !read("requirements.txt").is_empty());
}

#[tokio::test]
async fn demo_keep_leaves_the_simulator_and_the_pr_browsable_until_a_signal() {
    use std::io::BufRead;
    let out_dir = tempfile::tempdir().expect("tmp");
    let mut child = bin()
        .args(["demo", "--keep", "--out"])
        .arg(out_dir.path())
        .env_remove("HF_TOKEN")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn demo");
    let (tx, rx) = std::sync::mpsc::channel();
    let stdout = child.stdout.take().expect("stdout");
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(300);
    let mut printed = Vec::new();
    let endpoint = loop {
        let line = rx.recv_timeout(deadline.saturating_duration_since(std::time::Instant::now())).unwrap_or_else(|_| panic!("the demo never said it stays up:\n{}", printed.join("\n")));
        printed.push(line.clone());
        if let Some(rest) = line.strip_prefix("The Hub simulator stays up at ") {
            break rest.split_whitespace().next().expect("an endpoint").to_owned();
        }
    };
    // The instructions follow; read them, then use what they say.
    while let Ok(line) = rx.recv_timeout(std::time::Duration::from_secs(2)) {
        printed.push(line);
    }
    let text = printed.join("\n");
    let api = format!("{endpoint}/api/spaces/demo-user/pixel-art-demo/discussions/1");
    assert!(text.contains(&format!("curl -s {api}")) && text.contains(&format!("HfApi(endpoint=\"{endpoint}\")")), "{text}");
    let pr: serde_json::Value = reqwest::get(&api).await.expect("the simulator is still up").json().await.expect("json");
    assert_eq!(pr["isPullRequest"], true);
    let app = reqwest::get(format!("{endpoint}/spaces/demo-user/pixel-art-demo/resolve/refs%2Fpr%2F1/app.py")).await.expect("get").text().await.expect("text");
    assert_eq!(app, std::fs::read_to_string(out_dir.path().join("app.py")).expect("app.py written"), "the written file is the PR's");
    let _ = std::process::Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    assert!(child.wait().expect("wait").success(), "Ctrl-C / SIGTERM ends the kept demo cleanly");
}

#[test]
fn check_config_refuses_a_missing_secret_naming_the_fix() {
    let out = bin().args(["check-config"]).env_remove("WEBHOOK_SECRET").env("LSB_SIGNING_KEY", "k").output().expect("run");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("WEBHOOK_SECRET"), "{stderr}");
}

#[test]
fn check_config_masks_secrets() {
    let out = bin()
        .args(["--config", concat!(env!("CARGO_MANIFEST_DIR"), "/config/local.toml"), "check-config"])
        .env("WEBHOOK_SECRET", "very-secret-value")
        .env("LSB_SIGNING_KEY", "signing-key-value")
        .env("HF_TOKEN", "hf_tokenvalue")
        .env("AMQP_URL", "amqp://lsb:amqp-password-value@rabbit:5672/%2f")
        .output()
        .expect("run");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("sim-user/pixel-lora-demo"), "{stdout}");
    assert!(stdout.contains("amqp://lsb:****@rabbit:5672/%2f"), "{stdout}");
    for s in ["very-secret-value", "signing-key-value", "hf_tokenvalue", "amqp-password-value"] {
        assert!(!stdout.contains(s), "{s} leaked");
    }
}

#[test]
fn every_documented_subcommand_parses() {
    for args in [&["serve"][..], &["work"], &["run"], &["demo"], &["demo", "--keep", "--out", "d", "--listen", "127.0.0.1:0"], &["check-config"], &["sim", "--listen", "127.0.0.1:0"], &["jobs", "dead", "list"], &["jobs", "dead", "replay", "--all"], &["jobs", "enqueue", "--lora", "a/b", "--space", "a/c"], &["healthcheck"], &["plan", "--from-dir", "d"], &["webhook", "register", "--lora", "a/b", "--url", "https://x/webhooks/hub"], &["webhook", "list"], &["webhook", "delete", "--id", "1"], &["links", "check"]] {
        let argv = std::iter::once("lora-space-bot").chain(args.iter().copied());
        assert!(<lora_space_bot::cli::Cli as clap::Parser>::try_parse_from(argv).is_ok(), "{args:?} does not parse");
    }
}
