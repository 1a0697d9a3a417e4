//! The bounded load test (issue 7): 100,000 webhooks (`LSB_LOAD_WEBHOOKS` to change) against a
//! `serve` process on the real broker. Every 202 names job ids that are in RabbitMQ exactly
//! once, nothing else is there, and nothing but 202 comes back while the broker is healthy.
//!
//! Ignored in the main run (it saturates the machine, which would distort the timing of the
//! other tests); `scripts/test` runs it on its own afterwards.

use std::collections::HashMap;
use std::net::TcpListener as StdListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures::StreamExt;
use lapin::options::{BasicConsumeOptions, QueueDeclareOptions};
use lapin::types::FieldTable;
use lapin::{Connection, ConnectionProperties};

use crate::helpers::*;

const LORAS: usize = 8;

struct Serve(Child);

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-TERM", &self.0.id().to_string()]).status();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    StdListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

fn spawn_serve(prefix: &str, port: u16, dir: &std::path::Path) -> Serve {
    let mut links = String::new();
    for i in 0..LORAS {
        links.push_str(&format!("[[links]]\nlora = \"load/lora-{i}\"\nspace = \"load/space-{i}\"\n\n"));
    }
    let extra = dir.join("links.toml");
    std::fs::write(&extra, links).expect("write links");
    let child = Command::new(env!("CARGO_BIN_EXE_lora-space-bot"))
        .args(["--config", concat!(env!("CARGO_MANIFEST_DIR"), "/config/test.toml"), "--config", extra.to_str().expect("utf-8 path"), "serve"])
        .env("WEBHOOK_SECRET", SECRET)
        .env("LSB_SIGNING_KEY", SIGNING_KEY)
        .env("AMQP_URL", amqp_url())
        .env("LSB__AMQP__PREFIX", prefix)
        .env("LSB__AMQP__SHARDS", "4")
        .env("LSB__RECEIVER__LISTEN", format!("127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.join("serve.log")).expect("log file"))
        .spawn()
        .expect("spawn serve");
    Serve(child)
}

/// A `repo.content` update of `load/lora-{i % LORAS}` to a head no other delivery uses, so
/// every accepted delivery has its own job id.
fn payload(i: usize) -> String {
    let sha = format!("{i:040x}");
    serde_json::json!({
        "event": { "action": "update", "scope": "repo.content" },
        "repo": { "type": "model", "name": format!("load/lora-{}", i % LORAS), "id": "66a1f0c2d4e5b6a7c8d9e0f1", "private": false, "headSha": sha, "tags": ["lora"], "owner": { "id": "61d2000c3c2083e1c08af22d" } },
        "updatedRefs": [{ "ref": "refs/heads/main", "oldSha": format!("{i:039x}f"), "newSha": sha }],
        "webhook": { "id": "6390e855e30d9209411de93b", "version": 3 }
    })
    .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "load test: scripts/test runs it alone after the suite"]
async fn every_202_of_100k_webhooks_is_exactly_one_message() {
    let n: usize = std::env::var("LSB_LOAD_WEBHOOKS").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000);
    let concurrency: usize = std::env::var("LSB_LOAD_CONCURRENCY").ok().and_then(|v| v.parse().ok()).unwrap_or(32);
    let prefix = unique_prefix("load");
    let topo = topology(&prefix, 4);
    let _cleanup = TopologyCleanup(topo.clone());
    let dir = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    let _serve = spawn_serve(&prefix, port, dir.path());
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::builder().pool_max_idle_per_host(concurrency).timeout(Duration::from_secs(30)).build().expect("client");
    assert!(
        eventually(Duration::from_secs(30), || async { client.get(format!("{base}/readyz")).send().await.is_ok_and(|r| r.status() == 200) }).await,
        "serve did not become ready; log: {}",
        std::fs::read_to_string(dir.path().join("serve.log")).unwrap_or_default()
    );

    let url = format!("{base}/webhooks/hub");
    let started = Instant::now();
    let mut statuses: HashMap<String, usize> = HashMap::new();
    let mut accepted: Vec<String> = Vec::with_capacity(n);
    let mut answers = futures::stream::iter(0..n)
        .map(|i| {
            let (client, url) = (client.clone(), url.clone());
            async move {
                let r = client.post(url).header("content-type", "application/json").header("x-webhook-secret", SECRET).body(payload(i)).send().await;
                match r {
                    Err(e) => (format!("transport error: {e}"), Vec::new()),
                    Ok(r) => {
                        let status = r.status().as_u16().to_string();
                        let body: serde_json::Value = r.json().await.unwrap_or_default();
                        let ids = body["job_ids"].as_array().map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect()).unwrap_or_default();
                        (status, ids)
                    }
                }
            }
        })
        .buffer_unordered(concurrency);
    while let Some((status, ids)) = answers.next().await {
        if status == "202" {
            assert_eq!(ids.len(), 1, "a linked LoRA update names one job");
            accepted.extend(ids);
        }
        *statuses.entry(status).or_default() += 1;
    }
    let elapsed = started.elapsed();
    eprintln!("{n} webhooks in {elapsed:?} ({:.0}/s): {statuses:?}", n as f64 / elapsed.as_secs_f64());
    assert_eq!(statuses.get("202").copied(), Some(n), "every delivery answered 202 while the broker was healthy: {statuses:?}");

    // Drain every shard queue and count message ids.
    let conn = Connection::connect(&amqp_url(), ConnectionProperties::default()).await.expect("connect");
    let mut seen: HashMap<String, u32> = HashMap::with_capacity(n);
    let mut streams = Vec::new();
    for k in 0..topo.shards {
        let ch = conn.create_channel().await.expect("channel");
        let q = topo.shard_queue(k);
        ch.queue_declare(q.as_str().into(), QueueDeclareOptions { passive: true, ..QueueDeclareOptions::default() }, FieldTable::default()).await.expect("queue exists");
        let consumer = ch
            .basic_consume(q.as_str().into(), format!("load-drain-{k}").into(), BasicConsumeOptions { no_ack: true, ..BasicConsumeOptions::default() }, FieldTable::default())
            .await
            .expect("consume");
        streams.push((ch, consumer));
    }
    let mut all = futures::stream::select_all(streams.into_iter().map(|(ch, c)| c.map(move |d| (ch.clone(), d)).boxed()));
    let mut total = 0usize;
    // Until every accepted job arrived, then a quiet second to catch anything extra.
    loop {
        let wait = if total >= n { Duration::from_secs(1) } else { Duration::from_secs(30) };
        match tokio::time::timeout(wait, all.next()).await {
            Ok(Some((_, Ok(d)))) => {
                let id = d.properties.message_id().as_ref().map(|s| s.as_str().to_owned()).unwrap_or_default();
                *seen.entry(id).or_default() += 1;
                total += 1;
            }
            Ok(Some((_, Err(e)))) => panic!("consumer error: {e}"),
            Ok(None) | Err(_) => break,
        }
    }
    let _ = conn.close(200, "bye".into()).await;

    let missing: Vec<_> = accepted.iter().filter(|id| !seen.contains_key(*id)).take(5).collect();
    let duplicated: Vec<_> = seen.iter().filter(|(_, c)| **c > 1).take(5).collect();
    let accepted_set: std::collections::HashSet<&String> = accepted.iter().collect();
    let unexpected: Vec<_> = seen.keys().filter(|id| !accepted_set.contains(id)).take(5).collect();
    assert_eq!(accepted_set.len(), n, "each delivery got its own job id");
    assert!(missing.is_empty(), "202 answered but no message: {missing:?}");
    assert!(duplicated.is_empty(), "job published twice: {duplicated:?}");
    assert!(unexpected.is_empty(), "message without a 202: {unexpected:?}");
    assert_eq!(total, n);
}
