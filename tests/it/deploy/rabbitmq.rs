//! deploy/rabbitmq: definitions.json is the code's topology; rabbitmq.conf and the users example fit compose and the AMQP URL.

use super::*;

pub(super) fn arg_json(a: &Arg) -> Value {
    match a {
        Arg::Str(s) => json!(s),
        Arg::Owned(s) => json!(s),
        Arg::Int(i) => json!(i),
        Arg::Bool(b) => json!(b),
    }
}

/// The definitions RabbitMQ needs to hold exactly what `t` declares (vhost `/`).
pub(super) fn expected_definitions(t: &Topology) -> Value {
    let exchanges: Vec<Value> = t.exchanges().iter().map(|e| json!({"name": e.name, "vhost": "/", "type": e.kind, "durable": true, "auto_delete": false, "internal": false, "arguments": {}})).collect();
    let queues: Vec<Value> = t
        .queues()
        .iter()
        .map(|q| json!({"name": q.name, "vhost": "/", "durable": true, "auto_delete": false, "arguments": q.args.iter().map(|(k, v)| ((*k).to_owned(), arg_json(v))).collect::<serde_json::Map<_, _>>()}))
        .collect();
    let bindings: Vec<Value> = t.queues().iter().map(|q| json!({"source": q.exchange, "vhost": "/", "destination": q.name, "destination_type": "queue", "routing_key": q.routing_key, "arguments": {}})).collect();
    json!({"vhosts": [{"name": "/"}], "exchanges": exchanges, "queues": queues, "bindings": bindings})
}

pub(super) fn sorted(v: &Value, key: &str) -> Vec<Value> {
    let mut items = v.get(key).and_then(Value::as_array).cloned().unwrap_or_default();
    items.sort_by_key(|i| i.to_string());
    items
}

pub(super) fn definitions() -> Value {
    serde_json::from_str(&read("deploy/rabbitmq/definitions.json")).expect("definitions.json is JSON")
}

/// The topology every deployment runs with (they all layer production.toml and site.toml).
pub(super) fn deployed_topology() -> Topology {
    let argv = ["lora-space-bot", "--config", INSTALLED_CONFIG[0].0, "--config", INSTALLED_CONFIG[1].0, "work"].map(str::to_owned);
    topology_of(&load_settings("production config", &argv, &placeholder_secrets(), &from_repo))
}

#[test]
pub(super) fn definitions_json_declares_exactly_the_topology_of_the_deployed_configuration() {
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
pub(super) fn definitions_json_carries_no_users_or_permissions() {
    let d = definitions();
    for k in ["users", "permissions", "topic_permissions"] {
        assert!(d.get(k).and_then(Value::as_array).is_none_or(Vec::is_empty), "credentials belong in the git-ignored users.json, not in definitions.json `{k}`");
    }
}

#[test]
pub(super) fn rabbitmq_conf_sets_consumer_timeout_and_loads_the_directory_compose_mounts_definitions_into() {
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
pub(super) fn users_example_lets_the_amqp_url_user_reach_every_declared_name() {
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
