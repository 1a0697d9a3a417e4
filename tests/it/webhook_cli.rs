//! `webhook register|list|delete` and `links check` against the simulator, as users run them.

use std::collections::BTreeMap;
use std::process::{Command, Output};

use lora_space_bot::domain::RepoType;

use crate::helpers::*;

fn bin(sim_url: &str, token: &str, config: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lora-space-bot"))
        .args(["--config", config.to_str().expect("utf8")])
        .args(args)
        .env("HF_ENDPOINT", sim_url)
        .env("HF_TOKEN", token)
        .env("WEBHOOK_SECRET", "owner-secret")
        .output()
        .expect("run")
}

fn config(dir: &std::path::Path, space: &str) -> std::path::PathBuf {
    let p = dir.join("links.toml");
    std::fs::write(&p, format!("[[links]]\nlora = \"tkato/corgi\"\nspace = \"{space}\"\n")).expect("write");
    p
}

#[tokio::test]
async fn webhook_register_is_idempotent_lists_and_deletes() {
    let sim = spawn_sim().await;
    sim.add_user("tkato", "hf_tkato");
    sim.seed_repo(RepoType::Model, &id("tkato/corgi"), BTreeMap::from([("README.md".to_owned(), b"# corgi\n".to_vec())]), false);
    let dir = tempfile::tempdir().expect("tmp");
    let cfg = config(dir.path(), "tkato/corgi-demo");
    let url = sim.base_url().to_string();
    let hook = "https://bot.example.com/webhooks/hub";
    let run = |args: Vec<&'static str>| {
        let (url, cfg) = (url.clone(), cfg.clone());
        tokio::task::spawn_blocking(move || bin(&url, "hf_tkato", &cfg, &args))
    };
    let empty = run(vec!["webhook", "list"]).await.expect("join");
    let says = String::from_utf8_lossy(&empty.stdout);
    assert!(empty.status.success(), "{}", String::from_utf8_lossy(&empty.stderr));
    assert!(says.starts_with("No webhooks:") && says.contains(&url) && says.contains("webhook register --lora"), "an empty list says so and how to fix it: {says:?}");
    for _ in 0..2 {
        let out = run(vec!["webhook", "register", "--lora", "tkato/corgi", "--url", "https://bot.example.com/webhooks/hub"]).await.expect("join");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let hooks = hub_client(&sim, "hf_tkato").list_webhooks().await.expect("list");
    let ours: Vec<_> = hooks.iter().filter(|w| w.url.as_deref() == Some(hook)).collect();
    assert_eq!(ours.len(), 1, "registering twice updates, never duplicates: {hooks:?}");
    let watched: Vec<(String, String)> = ours[0].watched.iter().map(|w| (w.kind.clone(), w.name.clone())).collect();
    assert_eq!(watched, vec![("model".to_owned(), "tkato/corgi".to_owned())], "the LoRA's webhook watches the LoRA only");
    assert_eq!(ours[0].secret.as_ref().map(|s| s.expose().to_owned()).as_deref(), Some("owner-secret"));
    let spaces_hook = format!("{hook}?watch=spaces");
    let spaces: Vec<_> = hooks.iter().filter(|w| w.url.as_deref() == Some(spaces_hook.as_str())).collect();
    assert_eq!(spaces.len(), 1, "a separate webhook watches the Spaces, so the bot's comments never use the LoRA's trigger budget: {hooks:?}");
    let watched: Vec<(String, String)> = spaces[0].watched.iter().map(|w| (w.kind.clone(), w.name.clone())).collect();
    assert_eq!(watched, vec![("space".to_owned(), "tkato/corgi-demo".to_owned())]);

    let listed = run(vec!["webhook", "list"]).await.expect("join");
    assert!(String::from_utf8_lossy(&listed.stdout).contains(hook));
    let deleted = run(vec!["webhook", "delete", "--url", "https://bot.example.com/webhooks/hub"]).await.expect("join");
    assert!(deleted.status.success(), "{}", String::from_utf8_lossy(&deleted.stderr));
    assert!(hub_client(&sim, "hf_tkato").list_webhooks().await.expect("list").iter().all(|w| w.url.as_deref() != Some(hook) && w.url.as_deref() != Some(spaces_hook.as_str())));
}

#[tokio::test]
async fn links_check_names_each_problem_and_its_fix_and_passes_when_all_is_well() {
    let sim = spawn_sim().await;
    sim.add_user("tkato", "hf_tkato");
    sim.seed_repo(RepoType::Model, &id("tkato/corgi"), BTreeMap::from([("README.md".to_owned(), b"# corgi\n".to_vec())]), false);
    let dir = tempfile::tempdir().expect("tmp");
    let cfg = config(dir.path(), "tkato/missing-space");
    let url = sim.base_url().to_string();
    let (u, c) = (url.clone(), cfg.clone());
    let bad = tokio::task::spawn_blocking(move || bin(&u, BOT_TOKEN, &c, &["links", "check"])).await.expect("join");
    let stdout = String::from_utf8_lossy(&bad.stdout);
    assert!(!bad.status.success());
    assert!(stdout.contains("problem: tkato/corgi -> tkato/missing-space") && stdout.contains("create the Space"), "{stdout}");

    sim.seed_repo(RepoType::Space, &id("tkato/corgi-demo"), BTreeMap::from([("README.md".to_owned(), b"---\nsdk: gradio\n---\n".to_vec())]), false);
    let cfg = config(dir.path(), "tkato/corgi-demo");
    let good = tokio::task::spawn_blocking(move || bin(&url, BOT_TOKEN, &cfg, &["links", "check"])).await.expect("join");
    assert!(good.status.success(), "{}{}", String::from_utf8_lossy(&good.stdout), String::from_utf8_lossy(&good.stderr));
    let stdout = String::from_utf8_lossy(&good.stdout);
    assert!(stdout.contains("1 link(s) OK for lsb-bot"), "{stdout}");
    assert!(stdout.contains("plan of lsb-bot (preview namespace): free") && stdout.contains("previews (off): can run"), "{stdout}");
}

#[tokio::test]
async fn links_check_reads_the_bots_plan_from_whoami_and_says_whether_paid_previews_can_run() {
    let sim = spawn_sim().await;
    sim.add_user("tkato", "hf_tkato");
    sim.seed_repo(RepoType::Model, &id("tkato/corgi"), BTreeMap::from([("README.md".to_owned(), b"# corgi\n".to_vec())]), false);
    sim.seed_repo(RepoType::Space, &id("tkato/corgi-demo"), BTreeMap::from([("README.md".to_owned(), b"---\nsdk: gradio\n---\n".to_vec())]), false);
    let dir = tempfile::tempdir().expect("tmp");
    let cfg = config(dir.path(), "tkato/corgi-demo");
    let text = std::fs::read_to_string(&cfg).expect("read");
    std::fs::write(&cfg, format!("{text}\n[smoke]\npreview = \"t4-small\"\n")).expect("write");
    let url = sim.base_url().to_string();
    let (u, c) = (url.clone(), cfg.clone());
    let free = tokio::task::spawn_blocking(move || bin(&u, BOT_TOKEN, &c, &["links", "check"])).await.expect("join");
    let stdout = String::from_utf8_lossy(&free.stdout);
    assert!(!free.status.success(), "a free account cannot create Gradio previews: {stdout}");
    assert!(stdout.contains("plan of lsb-bot (preview namespace): free") && stdout.contains("402"), "{stdout}");

    sim.set_plan(BOT, lora_space_bot::sim::Plan::Pro);
    let pro = tokio::task::spawn_blocking(move || bin(&url, BOT_TOKEN, &cfg, &["links", "check"])).await.expect("join");
    let stdout = String::from_utf8_lossy(&pro.stdout);
    assert!(pro.status.success(), "{stdout}{}", String::from_utf8_lossy(&pro.stderr));
    assert!(stdout.contains("plan of lsb-bot (preview namespace): PRO") && stdout.contains("previews (t4-small): can run"), "{stdout}");
}
