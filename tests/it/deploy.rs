//! The deployment files (Dockerfile, deploy/compose.yaml, deploy/systemd, deploy/k8s,
//! deploy/rabbitmq) against the code: every `lora-space-bot` invocation they contain parses
//! with the real CLI, every environment variable they set is one the config layer reads,
//! every config file they name exists and loads, and definitions.json is the topology the
//! deployed configuration declares. Pure file checks: no broker, no network.
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
const PENDING_SUBCOMMANDS: &[&str] = &["healthcheck"];

/// Variables the config layer reads by name (src/config.rs, src/cli.rs); any other must be
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

// ---- definitions.json -----------------------------------------------------------------------

fn arg_json(a: &Arg) -> Value {
    match a {
        Arg::Str(s) => json!(s),
        Arg::Owned(s) => json!(s),
        Arg::Int(i) => json!(i),
        Arg::Bool(b) => json!(b),
    }
}

/// The definitions RabbitMQ needs to hold exactly what `t` declares (vhost `/`).
fn expected_definitions(t: &Topology) -> Value {
    let exchanges: Vec<Value> = t.exchanges().iter().map(|e| json!({"name": e.name, "vhost": "/", "type": e.kind, "durable": true, "auto_delete": false, "internal": false, "arguments": {}})).collect();
    let queues: Vec<Value> = t
        .queues()
        .iter()
        .map(|q| json!({"name": q.name, "vhost": "/", "durable": true, "auto_delete": false, "arguments": q.args.iter().map(|(k, v)| ((*k).to_owned(), arg_json(v))).collect::<serde_json::Map<_, _>>()}))
        .collect();
    let bindings: Vec<Value> = t.queues().iter().map(|q| json!({"source": q.exchange, "vhost": "/", "destination": q.name, "destination_type": "queue", "routing_key": q.routing_key, "arguments": {}})).collect();
    json!({"vhosts": [{"name": "/"}], "exchanges": exchanges, "queues": queues, "bindings": bindings})
}

fn sorted(v: &Value, key: &str) -> Vec<Value> {
    let mut items = v.get(key).and_then(Value::as_array).cloned().unwrap_or_default();
    items.sort_by_key(|i| i.to_string());
    items
}

fn definitions() -> Value {
    serde_json::from_str(&read("deploy/rabbitmq/definitions.json")).expect("definitions.json is JSON")
}

/// The topology every deployment runs with (they all layer production.toml and site.toml).
fn deployed_topology() -> Topology {
    let argv = ["lora-space-bot", "--config", INSTALLED_CONFIG[0].0, "--config", INSTALLED_CONFIG[1].0, "work"].map(str::to_owned);
    topology_of(&load_settings("production config", &argv, &placeholder_secrets(), &from_repo))
}

#[test]
fn definitions_json_declares_exactly_the_topology_of_the_deployed_configuration() {
    let expected = expected_definitions(&deployed_topology());
    let actual = definitions();
    let same = ["vhosts", "exchanges", "queues", "bindings"].iter().all(|k| sorted(&expected, k) == sorted(&actual, k));
    if !same && std::env::var("LSB_BLESS").is_ok_and(|v| v == "1") {
        let text = serde_json::to_string_pretty(&expected).expect("json") + "\n";
        std::fs::write(repo().join("deploy/rabbitmq/definitions.json"), text).expect("write definitions.json");
        return;
    }
    for k in ["vhosts", "exchanges", "queues", "bindings"] {
        assert_eq!(sorted(&actual, k), sorted(&expected, k), "definitions.json `{k}` differ from the code's topology; regenerate with LSB_BLESS=1 cargo test --test it deploy");
    }
}

#[test]
fn definitions_json_carries_no_users_or_permissions() {
    let d = definitions();
    for k in ["users", "permissions", "topic_permissions"] {
        assert!(d.get(k).and_then(Value::as_array).is_none_or(Vec::is_empty), "credentials belong in the git-ignored users.json, not in definitions.json `{k}`");
    }
}

#[test]
fn rabbitmq_conf_sets_consumer_timeout_and_loads_the_directory_compose_mounts_definitions_into() {
    let conf: HashMap<String, String> = read("deploy/rabbitmq/rabbitmq.conf")
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .filter_map(|l| l.split_once('=').map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned())))
        .collect();
    assert_eq!(conf.get("consumer_timeout").map(String::as_str), Some("1800000"));
    let dir = conf.get("load_definitions").expect("load_definitions is set");
    let mounts = compose_service("rabbitmq").volumes;
    for file in ["definitions.json", "users.json"] {
        let target = format!("{dir}/{file}");
        assert!(mounts.iter().any(|m| m.split(':').nth(1) == Some(target.as_str())), "compose does not mount {file} at {target}: {mounts:?}");
    }
}

#[test]
fn users_example_lets_the_amqp_url_user_reach_every_declared_name() {
    let users: Value = serde_json::from_str(&read("deploy/rabbitmq/users.json.example")).expect("users.json.example is JSON");
    let example = env_file("deploy/secrets.env.example");
    let url = url::Url::parse(example.get("AMQP_URL").expect("AMQP_URL in secrets.env.example")).expect("AMQP_URL is a URL");
    let perm = users["permissions"].as_array().expect("permissions").iter().find(|p| p["user"] == url.username()).expect("permissions for the AMQP_URL user");
    assert!(users["users"].as_array().expect("users").iter().any(|u| u["name"] == url.username() && u["password"] == url.password().unwrap_or_default()));
    let names: Vec<String> = definitions()["queues"].as_array().expect("queues").iter().chain(definitions()["exchanges"].as_array().expect("exchanges")).map(|q| q["name"].as_str().expect("name").to_owned()).collect();
    for access in ["configure", "write", "read"] {
        let re = regex::Regex::new(perm[access].as_str().expect("a regex")).expect("valid regex");
        let denied: Vec<&String> = names.iter().filter(|n| !re.is_match(n)).collect();
        assert!(denied.is_empty(), "`{access}` permission of {} misses {denied:?}", url.username());
    }
}

// ---- Dockerfile ---------------------------------------------------------------------------

#[derive(Debug, Clone, Default)]
struct Stage {
    entrypoint: Vec<String>,
    cmd: Vec<String>,
    healthcheck: Option<Vec<String>>,
    env: BTreeMap<String, String>,
    copies: Vec<(String, String)>,
    user: Option<String>,
}

/// Stage name -> effective settings (inherited through `FROM <stage>`).
fn dockerfile_stages() -> BTreeMap<String, Stage> {
    let joined = read("Dockerfile").replace("\\\n", " ");
    let mut stages: BTreeMap<String, Stage> = BTreeMap::new();
    let mut current: Option<(String, Stage)> = None;
    let array = |s: &str| serde_json::from_str::<Vec<String>>(s.trim()).unwrap_or_else(|e| panic!("Dockerfile: `{s}` is not an exec-form JSON array: {e}"));
    for line in joined.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
        let (instr, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
        if instr == "FROM" {
            if let Some((n, s)) = current.take() {
                stages.insert(n, s);
            }
            let words: Vec<&str> = rest.split_whitespace().collect();
            let name = words.last().expect("stage name").to_string();
            current = Some((name, stages.get(words[0]).cloned().unwrap_or_default()));
            continue;
        }
        let Some((_, s)) = current.as_mut() else { continue };
        match instr {
            "ENTRYPOINT" => s.entrypoint = array(rest),
            "CMD" => s.cmd = array(rest),
            "USER" => s.user = Some(rest.trim().to_owned()),
            "HEALTHCHECK" if rest.trim() == "NONE" => s.healthcheck = None,
            "HEALTHCHECK" => s.healthcheck = Some(array(rest.split_once("CMD").expect("HEALTHCHECK CMD").1)),
            "ENV" => s.env.extend(rest.split_whitespace().filter_map(|kv| kv.split_once('=')).map(|(k, v)| (k.to_owned(), v.to_owned()))),
            "COPY" if !rest.contains("--from") => {
                let w: Vec<&str> = rest.split_whitespace().collect();
                s.copies.push((w[0].to_owned(), w[w.len() - 1].to_owned()));
            }
            _ => {}
        }
    }
    if let Some((n, s)) = current {
        stages.insert(n, s);
    }
    stages
}

/// Environment variables the images set that are not the bot's configuration, and why.
const IMAGE_ONLY_ENV: &[&str] = &["PATH", "PYTHONPATH"]; // worker-smoke: the harness venv and package

fn runtime_stages() -> Vec<(String, Stage)> {
    let stages = dockerfile_stages();
    ["runtime", "worker-smoke"].iter().map(|n| ((*n).to_owned(), stages.get(*n).unwrap_or_else(|| panic!("Dockerfile has no `{n}` stage")).clone())).collect()
}

#[test]
fn dockerfile_entrypoint_cmd_and_healthcheck_are_real_invocations() {
    for (name, s) in runtime_stages() {
        assert_eq!(s.entrypoint, ["lora-space-bot"], "stage {name}");
        assert_invocation(&format!("Dockerfile {name} ENTRYPOINT+CMD"), &[s.entrypoint.clone(), s.cmd.clone()].concat());
        if let Some(h) = &s.healthcheck {
            assert_invocation(&format!("Dockerfile {name} HEALTHCHECK"), h);
        }
    }
    assert!(dockerfile_stages()["runtime"].healthcheck.is_some(), "the receiver image needs a HEALTHCHECK");
}

#[test]
fn dockerfile_images_run_as_non_root_with_the_config_they_name_copied_in() {
    for (name, s) in runtime_stages() {
        let uid = s.user.as_deref().and_then(|u| u.split(':').next()).and_then(|u| u.parse::<u32>().ok());
        assert!(uid.is_some_and(|u| u != 0), "stage {name} must end as a numeric non-root USER, got {:?}", s.user);
        assert_known_env(&format!("Dockerfile {name}"), s.env.keys().map(String::as_str).filter(|k| !IMAGE_ONLY_ENV.contains(k)));
        for path in config_files(&[], &s.env.clone().into_iter().collect()) {
            let rel = repo_file_of(&path);
            assert!(s.copies.iter().any(|(src, dst)| src == rel && *dst == path), "stage {name}: LSB_CONFIG names {path} but nothing copies {rel} there");
        }
    }
}

#[test]
fn dockerignore_lets_every_copied_source_into_the_build_context() {
    let rules: Vec<String> = read(".dockerignore").lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).map(str::to_owned).collect();
    assert_eq!(rules.first().map(String::as_str), Some("*"), ".dockerignore is an allow-list");
    for (src, _) in dockerfile_stages().values().flat_map(|s| s.copies.clone()) {
        let allowed = src == "." || rules.iter().any(|r| r.strip_prefix('!').is_some_and(|a| src.trim_end_matches('/') == a.trim_end_matches('/') || src.starts_with(a)));
        assert!(allowed, "COPY {src}: excluded from the build context by .dockerignore");
    }
}

// ---- compose --------------------------------------------------------------------------------

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Service {
    image: Option<String>,
    command: Vec<String>,
    environment: BTreeMap<String, String>,
    env_file: Option<String>,
    volumes: Vec<String>,
    depends_on: BTreeMap<String, Value>,
    healthcheck: Option<Value>,
    stop_signal: Option<String>,
    stop_grace_period: Option<String>,
}

fn compose() -> BTreeMap<String, Service> {
    #[derive(Deserialize)]
    struct Compose {
        services: BTreeMap<String, Service>,
    }
    serde_norway::from_str::<Compose>(&read("deploy/compose.yaml")).expect("compose.yaml parses").services
}

fn compose_service(name: &str) -> Service {
    compose().remove(name).unwrap_or_else(|| panic!("compose has no service {name}"))
}

fn bot_services() -> Vec<(String, Service)> {
    let bots: Vec<_> = compose().into_iter().filter(|(_, s)| s.image.as_deref().is_some_and(|i| i.starts_with("lora-space-bot"))).collect();
    assert!(bots.len() >= 2, "compose runs the receiver and the workers from the lora-space-bot image");
    bots
}

fn env_file(rel: &str) -> HashMap<String, String> {
    read(rel).lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).filter_map(|l| l.split_once('=')).map(|(k, v)| (k.to_owned(), v.to_owned())).collect()
}

/// The env a compose bot service runs with: its env_file (the committed example, secrets
/// filled with placeholders) and `environment`.
fn compose_env(s: &Service) -> HashMap<String, String> {
    let mut env = HashMap::new();
    if let Some(f) = &s.env_file {
        let example = env_file(&format!("deploy/{f}.example"));
        env.extend(example.into_iter().map(|(k, v)| (k.clone(), if v.is_empty() { format!("test-{k}") } else { v })));
    }
    env.extend(s.environment.clone());
    env
}

fn compose_argv(s: &Service) -> Vec<String> {
    [dockerfile_stages()["runtime"].entrypoint.clone(), s.command.clone()].concat()
}

#[test]
fn compose_runs_only_real_subcommands_and_checks_health_only_where_there_is_a_port() {
    for (name, s) in bot_services() {
        assert_invocation(&format!("compose {name}"), &compose_argv(&s));
        let health = s.healthcheck.as_ref().unwrap_or_else(|| panic!("compose {name}: set a healthcheck or disable the image's"));
        let serves = subcommand(&compose_argv(&s)) == Some("serve");
        if serves {
            let test = strs(health.get("test"));
            assert_eq!(test.first().map(String::as_str), Some("CMD"), "compose {name}: exec-form healthcheck");
            assert_invocation(&format!("compose {name} healthcheck"), &test[1..]);
        } else {
            assert_eq!(health.get("disable"), Some(&Value::Bool(true)), "compose {name}: a worker has no HTTP port; disable the image's receiver HEALTHCHECK");
        }
    }
}

#[test]
fn compose_sets_only_known_env_vars_and_runs_a_configuration_that_loads() {
    for (name, s) in bot_services() {
        let env = compose_env(&s);
        assert_known_env(&format!("compose {name}"), env.keys().map(String::as_str));
        assert_deployed(&format!("compose {name}"), &compose_argv(&s), &env, &from_repo);
    }
}

#[test]
fn compose_bots_start_after_a_healthy_broker_and_mount_files_that_exist() {
    let services = compose();
    assert!(services["rabbitmq"].healthcheck.is_some(), "rabbitmq needs a healthcheck for service_healthy");
    for (name, s) in services.iter().filter(|(n, _)| *n != "rabbitmq") {
        assert_eq!(s.depends_on.get("rabbitmq").and_then(|d| d.get("condition")).and_then(Value::as_str), Some("service_healthy"), "compose {name}");
    }
    let ignored = read("deploy/.gitignore");
    for (name, s) in &services {
        for src in s.volumes.iter().filter_map(|v| v.split(':').next()).filter(|v| v.starts_with("./")) {
            let rel = format!("deploy/{}", &src[2..]);
            let committed_example = ignored.lines().any(|l| l == &src[1..]) && repo().join(format!("{rel}.example")).is_file();
            assert!(repo().join(&rel).is_file() || committed_example, "compose {name} mounts {rel}, which is neither in the repo nor a git-ignored site file with a committed .example");
        }
    }
}

// ---- systemd --------------------------------------------------------------------------------

fn unit(rel: &str) -> Vec<(String, String)> {
    read(rel).lines().map(str::trim).filter(|l| !l.starts_with('#') && !l.starts_with('[')).filter_map(|l| l.split_once('=')).map(|(k, v)| (k.to_owned(), v.to_owned())).collect()
}

fn unit_values<'a>(u: &'a [(String, String)], key: &str) -> Vec<&'a str> {
    u.iter().filter(|(k, _)| k == key).map(|(_, v)| v.as_str()).collect()
}

const UNITS: &[&str] = &["deploy/systemd/lora-space-bot-serve.service", "deploy/systemd/lora-space-bot-work@.service"];

#[test]
fn systemd_units_run_real_subcommands_with_a_configuration_that_loads_from_their_credentials() {
    for rel in UNITS {
        let u = unit(rel);
        let argv: Vec<String> = unit_values(&u, "ExecStart").first().expect("ExecStart").split_whitespace().map(str::to_owned).collect();
        assert_invocation(rel, &argv);
        // Materialise the credentials directory (%d) with the credentials the unit loads.
        let creds = tempfile::tempdir().expect("tmp");
        for c in unit_values(&u, "LoadCredential") {
            std::fs::write(creds.path().join(c.split(':').next().expect("name")), "test-secret").expect("write credential");
        }
        let env: HashMap<String, String> = unit_values(&u, "Environment").iter().flat_map(|e| e.split_whitespace()).filter_map(|kv| kv.split_once('=')).map(|(k, v)| (k.to_owned(), v.replace("%d", &creds.path().display().to_string()))).collect();
        assert_known_env(rel, env.keys().map(String::as_str));
        let s = assert_deployed(rel, &argv, &env, &from_repo);
        assert!(s.webhook_secret.is_some() && s.hub_token.is_some(), "{rel}: secrets must come from the loaded credentials");
    }
}

#[test]
fn systemd_units_are_hardened_and_restart_on_failure() {
    for rel in UNITS {
        let u = unit(rel);
        let one = |k: &str| unit_values(&u, k).first().copied().unwrap_or_else(|| panic!("{rel}: {k}= missing"));
        assert_eq!(one("ProtectSystem"), "strict", "{rel}");
        assert_eq!(one("NoNewPrivileges"), "yes", "{rel}");
        assert_eq!(one("Restart"), "on-failure", "{rel}");
        assert_eq!(one("KillSignal"), "SIGTERM", "{rel}");
        assert!(unit_values(&u, "DynamicUser") == ["yes"] || !unit_values(&u, "User").is_empty(), "{rel}: run as an unprivileged user");
        assert!(!unit_values(&u, "TimeoutStopSec").is_empty(), "{rel}: TimeoutStopSec");
    }
}

// ---- Kubernetes -----------------------------------------------------------------------------

/// Every manifest of a kustomization directory, following directory resources.
fn kustomize(dir: &str) -> Vec<Value> {
    let kustomization = yaml_docs(&format!("{dir}/kustomization.yaml")).remove(0);
    strs(kustomization.get("resources"))
        .iter()
        .flat_map(|r| {
            let path = format!("{dir}/{r}");
            let resolved = repo().join(&path).canonicalize().unwrap_or_else(|e| panic!("{path}: {e}"));
            // kustomize refuses a base that contains the overlay ("cycle detected").
            assert!(!repo().join(dir).canonicalize().expect("dir").starts_with(&resolved) || !resolved.is_dir(), "{dir} uses {r}, a directory that contains it");
            if resolved.is_dir() { kustomize(path.trim_end_matches('/')) } else { yaml_docs(&path) }
        })
        .collect()
}

fn k8s_docs() -> Vec<Value> {
    kustomize("deploy/k8s/keda")
}

fn k8s_kind(kind: &str) -> Vec<Value> {
    k8s_docs().into_iter().filter(|d| d["kind"] == kind).collect()
}

/// (deployment name, pod spec, container) for every container.
fn k8s_containers() -> Vec<(String, Value, Value)> {
    let list: Vec<_> = k8s_kind("Deployment")
        .into_iter()
        .flat_map(|d| {
            let pod = d["spec"]["template"]["spec"].clone();
            let name = text(&d, "/metadata/name").to_owned();
            pod["containers"].as_array().expect("containers").iter().map(|c| (name.clone(), pod.clone(), c.clone())).collect::<Vec<_>>()
        })
        .collect();
    assert!(list.len() >= 2, "k8s runs the receiver and the workers");
    list
}

fn k8s_argv(c: &Value) -> Vec<String> {
    let command = strs(c.get("command"));
    let entry = if command.is_empty() { dockerfile_stages()["runtime"].entrypoint.clone() } else { command };
    [entry, strs(c.get("args"))].concat()
}

fn k8s_env(c: &Value) -> HashMap<String, String> {
    c["env"].as_array().into_iter().flatten().map(|e| (text(e, "/name").to_owned(), e.get("value").and_then(Value::as_str).unwrap_or("from-a-secret").to_owned())).collect()
}

fn configmap_data(name: &str) -> serde_json::Map<String, Value> {
    let cm = k8s_kind("ConfigMap").into_iter().find(|c| c["metadata"]["name"] == name).unwrap_or_else(|| panic!("no ConfigMap {name}"));
    cm["data"].as_object().expect("data").clone()
}

/// The volume mounted at `dir` in container `c` of pod `pod`.
fn volume_at(pod: &Value, c: &Value, dir: &str) -> Option<Value> {
    let mount = c["volumeMounts"].as_array()?.iter().find(|m| m["mountPath"] == dir)?;
    pod["volumes"].as_array()?.iter().find(|v| v["name"] == mount["name"]).cloned()
}

#[test]
fn k8s_containers_run_real_subcommands_with_known_env_and_a_configuration_that_loads() {
    for (name, pod, c) in k8s_containers() {
        let (argv, mut env) = (k8s_argv(&c), k8s_env(&c));
        assert_invocation(&format!("k8s {name}"), &argv);
        assert_known_env(&format!("k8s {name}"), env.keys().map(String::as_str));
        // Materialise the mounted ConfigMap files; the settings load from them.
        let mounted = tempfile::tempdir().expect("tmp");
        for path in config_files(&argv, &env) {
            repo_file_of(&path);
            let (dir, file) = path.rsplit_once('/').expect("absolute path");
            let vol = volume_at(&pod, &c, dir).unwrap_or_else(|| panic!("k8s {name}: nothing mounted at {dir} for {path}"));
            let data = configmap_data(text(&vol, "/configMap/name"));
            let content = data.get(file).and_then(Value::as_str).unwrap_or_else(|| panic!("k8s {name}: the ConfigMap mounted at {dir} has no {file}"));
            std::fs::write(mounted.path().join(file), content).expect("write");
        }
        env.remove("AMQP_URL");
        env.extend(placeholder_secrets());
        let resolve = |p: &str| mounted.path().join(p.rsplit_once('/').expect("absolute path").1);
        assert_deployed(&format!("k8s {name}"), &argv, &env, &resolve);
    }
}

#[test]
fn k8s_configmap_holds_production_toml_verbatim_and_a_site_toml_that_parses() {
    let data = configmap_data("lora-space-bot-config");
    assert_eq!(data["production.toml"].as_str(), Some(read("config/production.toml").as_str()), "copy config/production.toml into deploy/k8s/base/configmap.yaml");
    data["site.toml"].as_str().expect("site.toml").parse::<toml::Table>().expect("site.toml is TOML");
}

#[test]
fn k8s_secret_volumes_put_every_secret_file_where_production_toml_reads_it() {
    let prod: toml::Table = read("config/production.toml").parse().expect("toml");
    let wanted: Vec<&str> = [("receiver", "secret_file"), ("amqp", "signing_key_file"), ("hub", "token_file")].iter().map(|(s, k)| prod[*s][*k].as_str().expect("a path")).collect();
    for (name, pod, c) in k8s_containers() {
        for path in &wanted {
            let (dir, file) = path.rsplit_once('/').expect("absolute path");
            let vol = volume_at(&pod, &c, dir).unwrap_or_else(|| panic!("k8s {name}: no volume at {dir} for {path}"));
            let items = vol["secret"]["items"].as_array().unwrap_or_else(|| panic!("k8s {name}: {dir} is not a Secret volume with items"));
            assert!(items.iter().any(|i| i["path"] == *file), "k8s {name}: {path} is not mounted");
        }
    }
}

#[test]
fn k8s_receiver_probes_readyz_and_healthz_on_the_configured_listen_port() {
    let (_, _, c) = k8s_containers().into_iter().find(|(_, _, c)| subcommand(&k8s_argv(c)) == Some("serve")).expect("a serve container");
    let port = c["ports"].as_array().expect("ports").iter().find(|p| p["name"] == "http").expect("http port")["containerPort"].as_u64();
    let listen: std::net::SocketAddr = toml::from_str::<toml::Table>(&read("config/production.toml")).expect("toml")["receiver"]["listen"].as_str().expect("listen").parse().expect("addr");
    assert_eq!(port, Some(u64::from(listen.port())));
    assert_eq!(text(&c, "/readinessProbe/httpGet/path"), "/readyz");
    assert_eq!(text(&c, "/livenessProbe/httpGet/path"), "/healthz");
}

#[test]
fn keda_overlay_adds_only_the_autoscaler_to_the_base() {
    let kinds = |docs: Vec<Value>| docs.iter().map(|d| format!("{}/{}", d["kind"], d["metadata"]["name"])).collect::<BTreeSet<_>>();
    let (base, all) = (kinds(kustomize("deploy/k8s/base")), kinds(k8s_docs()));
    assert!(base.is_subset(&all), "the keda overlay must include the whole base");
    let extra: BTreeSet<String> = all.difference(&base).map(|k| k.split('/').next().unwrap_or_default().trim_matches('"').to_owned()).collect();
    assert_eq!(extra, BTreeSet::from(["ScaledObject".to_owned(), "TriggerAuthentication".to_owned()]));
}

#[test]
fn pod_disruption_budgets_select_existing_deployments() {
    let deployments = k8s_kind("Deployment");
    let pdbs = k8s_kind("PodDisruptionBudget");
    assert_eq!(pdbs.len(), deployments.len(), "one PodDisruptionBudget per Deployment");
    for pdb in pdbs {
        let selector = pdb["spec"]["selector"]["matchLabels"].as_object().expect("matchLabels");
        let hits = deployments.iter().filter(|d| selector.iter().all(|(k, v)| d["spec"]["template"]["metadata"]["labels"][k] == *v)).count();
        assert_eq!(hits, 1, "PodDisruptionBudget {} must select exactly one Deployment", pdb["metadata"]["name"]);
    }
}

#[test]
fn keda_scales_the_worker_deployment_on_exactly_the_shard_queues_up_to_the_shard_count() {
    let t = deployed_topology();
    let so = k8s_kind("ScaledObject").remove(0);
    let target = text(&so, "/spec/scaleTargetRef/name");
    let worker = k8s_containers().into_iter().find(|(_, _, c)| subcommand(&k8s_argv(c)) == Some("work")).expect("a work container").0;
    assert_eq!(target, worker);
    assert_eq!(so["spec"]["maxReplicaCount"].as_u64(), Some(u64::from(t.shards)), "replicas beyond the shard count are idle standbys");
    let trigger = &so["spec"]["triggers"][0];
    assert_eq!(trigger["type"], "rabbitmq");
    assert_eq!(text(trigger, "/metadata/protocol"), "http", "useRegex needs the http protocol");
    let auth = text(trigger, "/authenticationRef/name");
    assert!(k8s_kind("TriggerAuthentication").iter().any(|a| a["metadata"]["name"] == auth), "no TriggerAuthentication {auth}");
    let re = regex::Regex::new(text(trigger, "/metadata/queueName")).expect("queueName is a regex");
    for q in t.queues() {
        let shard = (0..t.shards).any(|k| q.name == t.shard_queue(k));
        assert_eq!(re.is_match(&q.name), shard, "queueName regex vs {}", q.name);
    }
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
