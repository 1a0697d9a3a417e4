//! deploy/k8s: containers, ConfigMap, Secret mounts, probes, PodDisruptionBudgets and the KEDA overlay.

use super::*;

/// Every manifest of a kustomization directory, following directory resources.
pub(super) fn kustomize(dir: &str) -> Vec<Value> {
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

pub(super) fn k8s_docs() -> Vec<Value> {
    kustomize("deploy/k8s/keda")
}

pub(super) fn k8s_kind(kind: &str) -> Vec<Value> {
    k8s_docs().into_iter().filter(|d| d["kind"] == kind).collect()
}

/// (deployment name, pod spec, container) for every container.
pub(super) fn k8s_containers() -> Vec<(String, Value, Value)> {
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

pub(super) fn k8s_argv(c: &Value) -> Vec<String> {
    let command = strs(c.get("command"));
    let entry = if command.is_empty() { dockerfile_stages()["runtime"].entrypoint.clone() } else { command };
    [entry, strs(c.get("args"))].concat()
}

pub(super) fn k8s_env(c: &Value) -> HashMap<String, String> {
    c["env"].as_array().into_iter().flatten().map(|e| (text(e, "/name").to_owned(), e.get("value").and_then(Value::as_str).unwrap_or("from-a-secret").to_owned())).collect()
}

pub(super) fn configmap_data(name: &str) -> serde_json::Map<String, Value> {
    let cm = k8s_kind("ConfigMap").into_iter().find(|c| c["metadata"]["name"] == name).unwrap_or_else(|| panic!("no ConfigMap {name}"));
    cm["data"].as_object().expect("data").clone()
}

/// The volume mounted at `dir` in container `c` of pod `pod`.
pub(super) fn volume_at(pod: &Value, c: &Value, dir: &str) -> Option<Value> {
    let mount = c["volumeMounts"].as_array()?.iter().find(|m| m["mountPath"] == dir)?;
    pod["volumes"].as_array()?.iter().find(|v| v["name"] == mount["name"]).cloned()
}

#[test]
pub(super) fn k8s_containers_run_real_subcommands_with_known_env_and_a_configuration_that_loads() {
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
pub(super) fn k8s_configmap_holds_production_toml_verbatim_and_a_site_toml_that_parses() {
    let data = configmap_data("lora-space-bot-config");
    assert_eq!(data["production.toml"].as_str(), Some(read("config/production.toml").as_str()), "copy config/production.toml into deploy/k8s/base/configmap.yaml");
    data["site.toml"].as_str().expect("site.toml").parse::<toml::Table>().expect("site.toml is TOML");
}

#[test]
pub(super) fn k8s_secret_volumes_put_every_secret_file_where_production_toml_reads_it() {
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
pub(super) fn k8s_probes_hit_readyz_and_healthz_on_each_roles_configured_listen_port() {
    let prod = toml::from_str::<toml::Table>(&read("config/production.toml")).expect("toml");
    for (role, section, port_name) in [("serve", "receiver", "http"), ("work", "worker", "metrics")] {
        let (_, _, c) = k8s_containers().into_iter().find(|(_, _, c)| subcommand(&k8s_argv(c)) == Some(role)).unwrap_or_else(|| panic!("a {role} container"));
        let port = c["ports"].as_array().expect("ports").iter().find(|p| p["name"] == port_name).unwrap_or_else(|| panic!("{role}: {port_name} port"))["containerPort"].as_u64();
        let listen: std::net::SocketAddr = prod[section]["listen"].as_str().expect("listen").parse().expect("addr");
        assert_eq!(port, Some(u64::from(listen.port())), "{role}: container port vs {section}.listen");
        assert!(listen.ip().is_unspecified(), "{role}: {section}.listen must accept the kubelet's probes");
        assert_eq!(text(&c, "/readinessProbe/httpGet/path"), "/readyz");
        assert_eq!(text(&c, "/livenessProbe/httpGet/path"), "/healthz");
    }
}

#[test]
pub(super) fn keda_overlay_adds_only_the_autoscaler_to_the_base() {
    let kinds = |docs: Vec<Value>| docs.iter().map(|d| format!("{}/{}", d["kind"], d["metadata"]["name"])).collect::<BTreeSet<_>>();
    let (base, all) = (kinds(kustomize("deploy/k8s/base")), kinds(k8s_docs()));
    assert!(base.is_subset(&all), "the keda overlay must include the whole base");
    let extra: BTreeSet<String> = all.difference(&base).map(|k| k.split('/').next().unwrap_or_default().trim_matches('"').to_owned()).collect();
    assert_eq!(extra, BTreeSet::from(["ScaledObject".to_owned(), "TriggerAuthentication".to_owned()]));
}

#[test]
pub(super) fn pod_disruption_budgets_select_existing_deployments() {
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
pub(super) fn keda_scales_the_worker_deployment_on_exactly_the_shard_queues_up_to_the_shard_count() {
    let t = deployed_topology();
    let so = k8s_kind("ScaledObject").remove(0);
    let target = text(&so, "/spec/scaleTargetRef/name");
    let worker = k8s_containers().into_iter().find(|(_, _, c)| subcommand(&k8s_argv(c)) == Some("work")).expect("a work container").0;
    assert_eq!(target, worker);
    assert_eq!(so["spec"]["maxReplicaCount"].as_u64(), Some(u64::from(t.shards)), "replicas beyond the shard count have no shard to claim");
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
