//! The binary as users run it.

use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_lora-space-bot"))
}

#[test]
fn demo_exits_zero_and_prints_the_opened_pull_request() {
    let out = bin().arg("demo").env_remove("HF_TOKEN").env("HF_ENDPOINT", "http://127.0.0.1:9").output().expect("run demo");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "demo failed: {}\n{}", stdout, String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("Pull request #1 opened on demo-user/pixel-art-demo by lora-space-bot"), "{stdout}");
    assert!(stdout.contains("Title:  [lora-space-bot] Sync with demo-user/pixel-art-flux-lora@"), "{stdout}");
    assert!(stdout.contains("--- smoke comment on the PR ---") && stdout.contains("| local harness | ✅ pass |"), "the local gate's verdict: {stdout}");
    assert!(stdout.contains("✅ **passed**") && !stdout.contains("transport error"), "{stdout}");
    for f in ["app.py: added", "requirements.txt: added", "README.md: modified"] {
        assert!(stdout.contains(f), "{f} not in\n{stdout}");
    }
    assert!(stdout.contains("WEIGHT_NAME = \"pixel-art-v2.safetensors\""), "the PR should follow the pushed card: {stdout}");
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
    for args in [&["serve"][..], &["work"], &["run"], &["demo"], &["check-config"], &["sim", "--listen", "127.0.0.1:0"], &["jobs", "dead", "list"], &["jobs", "dead", "replay", "--all"], &["jobs", "enqueue", "--lora", "a/b", "--space", "a/c"], &["healthcheck"], &["plan", "--from-dir", "d"], &["webhook", "register", "--lora", "a/b", "--url", "https://x/webhooks/hub"], &["webhook", "list"], &["webhook", "delete", "--id", "1"], &["links", "check"]] {
        let argv = std::iter::once("lora-space-bot").chain(args.iter().copied());
        assert!(<lora_space_bot::cli::Cli as clap::Parser>::try_parse_from(argv).is_ok(), "{args:?} does not parse");
    }
}
