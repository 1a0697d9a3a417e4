//! deploy/compose.yaml: real subcommands, known env, a configuration that loads, a healthy broker first.

use super::*;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct Service {
    pub(super) image: Option<String>,
    pub(super) command: Vec<String>,
    pub(super) environment: BTreeMap<String, String>,
    pub(super) env_file: Option<String>,
    pub(super) volumes: Vec<String>,
    pub(super) depends_on: BTreeMap<String, Value>,
    pub(super) healthcheck: Option<Value>,
    pub(super) stop_signal: Option<String>,
    pub(super) stop_grace_period: Option<String>,
}

pub(super) fn compose() -> BTreeMap<String, Service> {
    #[derive(Deserialize)]
    struct Compose {
        services: BTreeMap<String, Service>,
    }
    serde_norway::from_str::<Compose>(&read("deploy/compose.yaml")).expect("compose.yaml parses").services
}

pub(super) fn compose_service(name: &str) -> Service {
    compose().remove(name).unwrap_or_else(|| panic!("compose has no service {name}"))
}

pub(super) fn bot_services() -> Vec<(String, Service)> {
    let bots: Vec<_> = compose().into_iter().filter(|(_, s)| s.image.as_deref().is_some_and(|i| i.starts_with("lora-space-bot"))).collect();
    assert!(bots.len() >= 2, "compose runs the receiver and the workers from the lora-space-bot image");
    bots
}

pub(super) fn env_file(rel: &str) -> HashMap<String, String> {
    read(rel).lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).filter_map(|l| l.split_once('=')).map(|(k, v)| (k.to_owned(), v.to_owned())).collect()
}

/// The env a compose bot service runs with: its env_file (the committed example, secrets
/// filled with placeholders) and `environment`.
pub(super) fn compose_env(s: &Service) -> HashMap<String, String> {
    let mut env = HashMap::new();
    if let Some(f) = &s.env_file {
        let example = env_file(&format!("deploy/{f}.example"));
        env.extend(example.into_iter().map(|(k, v)| (k.clone(), if v.is_empty() { format!("test-{k}") } else { v })));
    }
    env.extend(s.environment.clone());
    env
}

pub(super) fn compose_argv(s: &Service) -> Vec<String> {
    [dockerfile_stages()["runtime"].entrypoint.clone(), s.command.clone()].concat()
}

#[test]
pub(super) fn compose_runs_only_real_subcommands_and_checks_health_on_each_roles_port() {
    for (name, s) in bot_services() {
        let argv = compose_argv(&s);
        assert_invocation(&format!("compose {name}"), &argv);
        let health = s.healthcheck.as_ref().unwrap_or_else(|| panic!("compose {name}: set a healthcheck"));
        let test = strs(health.get("test"));
        assert_eq!(test.first().map(String::as_str), Some("CMD"), "compose {name}: exec-form healthcheck");
        assert_invocation(&format!("compose {name} healthcheck"), &test[1..]);
        let settings = assert_deployed(&format!("compose {name}"), &argv, &compose_env(&s), &from_repo);
        let listen = if subcommand(&argv) == Some("serve") { settings.receiver.listen } else { settings.worker.listen };
        let url = test.iter().skip_while(|a| *a != "--url").nth(1).unwrap_or_else(|| panic!("compose {name}: healthcheck --url"));
        assert!(url.starts_with(&format!("http://127.0.0.1:{}/", listen.port())), "compose {name}: {url} is not the role's listen port {}", listen.port());
    }
}

#[test]
pub(super) fn compose_sets_only_known_env_vars_and_runs_a_configuration_that_loads() {
    for (name, s) in bot_services() {
        let env = compose_env(&s);
        assert_known_env(&format!("compose {name}"), env.keys().map(String::as_str));
        assert_deployed(&format!("compose {name}"), &compose_argv(&s), &env, &from_repo);
    }
}

#[test]
pub(super) fn compose_bots_start_after_a_healthy_broker_and_mount_files_that_exist() {
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
