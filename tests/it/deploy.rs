//! The deployment files (Dockerfile, deploy/compose.yaml, deploy/systemd, deploy/k8s,
//! deploy/rabbitmq) against the code: every `lora-space-bot` invocation they contain parses
//! with the real CLI, every environment variable they set is one the config layer reads,
//! every config file they name exists and loads, and definitions.json is the topology the
//! deployed configuration declares. File checks, plus one on the local broker: definitions.json
//! imported with `rabbitmqctl` and declared over by the app.
//!
//! `LSB_BLESS=1 cargo test --test it deploy` rewrites deploy/rabbitmq/definitions.json from
//! the code (after a change to the topology or to config/production.toml).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;

use clap::Parser;
use clap::error::ErrorKind;
use lora_space_bot::cli::Cli;
use lora_space_bot::config::Settings;
use lora_space_bot::queue::topology::{Arg, Topology};
use serde::Deserialize;
use serde_json::{Value, json};

/// Subcommands the deployment files already call but the CLI does not have yet. Each entry
/// must still be missing (see `pending_subcommands_are_still_missing_from_the_cli`).
const PENDING_SUBCOMMANDS: &[&str] = &[];

/// Variables the config layer reads by name (src/config/, src/cli.rs); any other must be
/// `LSB__SECTION__KEY` for a key documented in config/default.toml.
const WELL_KNOWN_ENV: &[&str] = &["HF_TOKEN", "HF_TOKEN_PATH", "HF_ENDPOINT", "WEBHOOK_SECRET", "AMQP_URL", "LSB_SIGNING_KEY", "LSB_CONFIG"];

/// Where the deployments install config files, and the repository file each one is.
const INSTALLED_CONFIG: &[(&str, &str)] =
    &[("/etc/lora-space-bot/production.toml", "config/production.toml"), ("/etc/lora-space-bot/site.toml", "deploy/site.toml")];

/// The worker's stop timeout, the same for every supervisor.
const WORKER_STOP_SECS: u64 = 300;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(repo().join(rel)).unwrap_or_else(|e| panic!("cannot read {rel}: {e}"))
}

fn yaml_docs(rel: &str) -> Vec<Value> {
    let text = read(rel);
    serde_norway::Deserializer::from_str(&text)
        .map(|doc| Value::deserialize(doc).unwrap_or_else(|e| panic!("{rel} is not valid YAML: {e}")))
        .filter(|v| !v.is_null())
        .collect()
}

fn strs(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array).map(|a| a.iter().map(|s| s.as_str().expect("a string").to_owned()).collect()).unwrap_or_default()
}

fn text<'a>(v: &'a Value, pointer: &str) -> &'a str {
    v.pointer(pointer).and_then(Value::as_str).unwrap_or_else(|| panic!("missing string at {pointer} in {v}"))
}

mod compose;
mod docker;
mod k8s;
mod rabbitmq;
mod systemd;

use self::{compose::*, docker::*, k8s::*, rabbitmq::*, systemd::*};

// ---- what the code accepts ----------------------------------------------------------------

/// `section.key` for every key config/default.toml documents, set or commented out.
fn documented_keys() -> BTreeSet<String> {
    let header = regex::Regex::new(r"^#?\s*\[\[?([a-z_]+)\]\]?\s*$").expect("regex");
    let assignment = regex::Regex::new(r"^#?\s*([a-z_]+)\s*=").expect("regex");
    let mut section = None;
    let mut keys = BTreeSet::new();
    for line in read("config/default.toml").lines() {
        if let Some(c) = header.captures(line) {
            section = Some(c[1].to_owned());
        } else if let (Some(s), Some(c)) = (&section, assignment.captures(line)) {
            keys.insert(format!("{s}.{}", &c[1]));
        }
    }
    keys
}

/// Why `name` is not a variable the config layer reads, if it is not.
fn unknown_env(name: &str, documented: &BTreeSet<String>) -> Option<String> {
    if WELL_KNOWN_ENV.contains(&name) {
        return None;
    }
    let Some(rest) = name.strip_prefix("LSB__") else { return Some(format!("{name} is not read by the config layer")) };
    match rest.to_ascii_lowercase().split_once("__") {
        Some((s, k)) if documented.contains(&format!("{s}.{k}")) => None,
        _ => Some(format!("{name}: no key {} in config/default.toml", rest.to_ascii_lowercase().replace("__", "."))),
    }
}

fn assert_known_env<'a>(origin: &str, names: impl IntoIterator<Item = &'a str>) {
    let documented = documented_keys();
    let bad: Vec<String> = names.into_iter().filter_map(|n| unknown_env(n, &documented)).collect();
    assert!(bad.is_empty(), "{origin} sets variables the config layer does not read: {bad:?}");
}

fn subcommand(argv: &[String]) -> Option<&str> {
    let mut args = argv.iter().skip(1);
    while let Some(a) = args.next() {
        if a == "--config" || a == "-c" {
            args.next();
        } else if !a.starts_with('-') {
            return Some(a);
        }
    }
    None
}

/// Panics unless `argv` parses with the real CLI (or calls a subcommand listed as pending).
fn assert_invocation(origin: &str, argv: &[String]) {
    assert!(argv.first().is_some_and(|p| p == "lora-space-bot" || p.ends_with("/lora-space-bot")), "{origin}: {argv:?} does not run lora-space-bot");
    match Cli::try_parse_from(argv) {
        Ok(_) => {}
        Err(e) if e.kind() == ErrorKind::InvalidSubcommand && subcommand(argv).is_some_and(|s| PENDING_SUBCOMMANDS.contains(&s)) => {}
        Err(e) => panic!("{origin}: `{}` is not a valid command line:\n{e}", argv.join(" ")),
    }
}

/// The config files an invocation layers: `--config` arguments, else `LSB_CONFIG`.
fn config_files(argv: &[String], env: &HashMap<String, String>) -> Vec<String> {
    let flags: Vec<String> = argv.windows(2).filter(|w| w[0] == "--config" || w[0] == "-c").map(|w| w[1].clone()).collect();
    let list = if flags.is_empty() { env.get("LSB_CONFIG").cloned().into_iter().collect() } else { flags };
    list.iter().flat_map(|s| s.split(',')).map(str::to_owned).collect()
}

fn repo_file_of(installed: &str) -> &'static str {
    let (_, rel) = INSTALLED_CONFIG.iter().find(|(p, _)| *p == installed).unwrap_or_else(|| panic!("{installed} is not an installed config path {INSTALLED_CONFIG:?}"));
    assert!(repo().join(rel).is_file() && (rel.starts_with("config/") || *rel == "deploy/site.toml"), "{rel} must be a file in config/ (or the site file)");
    rel
}

/// The repository file an installed config path is (Dockerfile COPY, compose and systemd).
fn from_repo(installed: &str) -> PathBuf {
    repo().join(repo_file_of(installed))
}

/// Loads the settings an invocation would run with, reading each config path it names from
/// `resolve(path)`.
fn load_settings(origin: &str, argv: &[String], env: &HashMap<String, String>, resolve: &dyn Fn(&str) -> PathBuf) -> Settings {
    let files: Vec<PathBuf> = config_files(argv, env).iter().map(|p| resolve(p)).collect();
    assert!(!files.is_empty(), "{origin}: names no config file, so it would run on loopback defaults");
    let mut env = env.clone();
    env.remove("LSB_CONFIG");
    Settings::load(&files, &env).unwrap_or_else(|e| panic!("{origin}: configuration does not load: {e}"))
}

fn placeholder_secrets() -> HashMap<String, String> {
    ["WEBHOOK_SECRET", "LSB_SIGNING_KEY", "HF_TOKEN"].iter().map(|k| ((*k).to_owned(), format!("test-{k}"))).collect()
}

fn topology_of(s: &Settings) -> Topology {
    Topology { prefix: s.amqp.prefix.clone(), shards: s.amqp.shards, delivery_limit: s.amqp.delivery_limit }
}

/// Loads an invocation's settings and checks it declares the topology definitions.json holds.
fn assert_deployed(origin: &str, argv: &[String], env: &HashMap<String, String>, resolve: &dyn Fn(&str) -> PathBuf) -> Settings {
    let s = load_settings(origin, argv, env, resolve);
    assert_eq!(topology_of(&s), deployed_topology(), "{origin}: runs a topology other than deploy/rabbitmq/definitions.json's");
    s
}

// ---- across supervisors --------------------------------------------------------------------

#[test]
fn worker_stop_timeouts_agree_across_compose_systemd_and_k8s() {
    let compose_worker = bot_services().into_iter().find(|(_, s)| subcommand(&compose_argv(s)) == Some("work")).expect("a compose worker").1;
    assert_eq!(compose_worker.stop_grace_period.as_deref(), Some(format!("{WORKER_STOP_SECS}s").as_str()));
    assert_eq!(compose_worker.stop_signal.as_deref(), Some("SIGTERM"));
    let u = unit("deploy/systemd/lora-space-bot-work@.service");
    assert_eq!(unit_values(&u, "TimeoutStopSec"), [format!("{WORKER_STOP_SECS}s")]);
    let (_, pod, _) = k8s_containers().into_iter().find(|(_, _, c)| subcommand(&k8s_argv(c)) == Some("work")).expect("a k8s worker");
    assert_eq!(pod["terminationGracePeriodSeconds"].as_u64(), Some(WORKER_STOP_SECS));
}

#[test]
fn pending_subcommands_are_still_missing_from_the_cli() {
    for sub in PENDING_SUBCOMMANDS {
        let err = Cli::try_parse_from(["lora-space-bot", sub]).err().map(|e| e.kind());
        assert_eq!(err, Some(ErrorKind::InvalidSubcommand), "`{sub}` exists now: remove it from PENDING_SUBCOMMANDS in tests/it/deploy.rs");
    }
}

#[test]
fn an_unknown_subcommand_or_env_var_is_caught_by_these_checks() {
    let bad = std::panic::catch_unwind(|| assert_invocation("self-test", &["lora-space-bot".into(), "serv".into()]));
    assert!(bad.is_err(), "a misspelt subcommand must fail the invocation check");
    let documented = documented_keys();
    assert!(unknown_env("LSB__WORKER__CONCURENCY", &documented).is_some());
    assert!(unknown_env("RUST_LOG", &documented).is_some());
    assert!(unknown_env("LSB__RECEIVER__SECRET_FILE", &documented).is_none(), "commented-out keys are documented keys");
}
