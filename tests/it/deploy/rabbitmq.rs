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

/// Imports definitions.json (renamed to a unique prefix) with `rabbitmqctl`, as the broker
/// does at boot, then lets the app declare the same topology over it: RabbitMQ refuses a
/// declaration whose arguments differ from an existing queue's, so this proves the file's
/// JSON arguments are equivalent to the app's AMQP ones. Needs the local broker's
/// `rabbitmqctl` (installed with it by scripts/rabbitmq.sh) and root or the rabbitmq user.
#[tokio::test]
async fn definitions_json_imported_into_rabbitmq_is_exactly_what_the_app_declares() {
    use lora_space_bot::queue::amqp::declare;
    use std::os::unix::fs::PermissionsExt;
    use std::time::Duration;

    let t = Topology { prefix: crate::helpers::unique_prefix("deploy"), ..deployed_topology() };
    let _cleanup = crate::helpers::TopologyCleanup(t.clone());
    let renamed = read("deploy/rabbitmq/definitions.json").replace("\"lsb.", &format!("\"{}.", t.prefix));
    // rabbitmqctl reads the file as the rabbitmq user.
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("definitions.json");
    std::fs::write(&file, renamed).expect("write");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let out = std::process::Command::new("rabbitmqctl").arg("import_definitions").arg(&file).output().expect("rabbitmqctl on PATH (scripts/rabbitmq.sh install)");
    assert!(out.status.success(), "rabbitmqctl import_definitions failed: {}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));

    let conn = lapin::Connection::connect(&crate::helpers::amqp_url(), lapin::ConnectionProperties::default()).await.expect("connect");
    let last = t.queues().last().expect("queues").name.clone();
    let passive = lapin::options::QueueDeclareOptions { passive: true, ..Default::default() };
    let mut imported = false;
    for _ in 0..40 {
        let ch = conn.create_channel().await.expect("channel");
        if ch.queue_declare(last.as_str().into(), passive, lapin::types::FieldTable::default()).await.is_ok() {
            imported = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(imported, "the import did not create {last}");
    let same = declare(&conn.create_channel().await.expect("channel"), &t, Duration::from_secs(5)).await;
    let other = Topology { delivery_limit: t.delivery_limit + 1, ..t.clone() };
    let different = declare(&conn.create_channel().await.expect("channel"), &other, Duration::from_secs(5)).await;
    let _ = conn.close(200, "bye".into()).await;
    assert!(same.is_ok(), "the app's declaration conflicts with the imported definitions: {:?}", same.err());
    assert!(different.is_err(), "a different x-delivery-limit must be refused over the imported queues");
}
