//! The operator's side, probed as an attacker would: slow-header and idle clients are cut at
//! the configured timeouts, the connection cap makes new connections wait while in-flight
//! webhooks finish, a source that keeps failing the secret gets 429, secrets never reach a
//! debug log, JSON logs carry typed fields (`job_ids` an array), and a correctly signed job for
//! an unlinked pair is dead-lettered.

use std::sync::Arc;
use std::time::{Duration, Instant};

use lora_space_bot::config::Secret;
use lora_space_bot::domain::Job;
use lora_space_bot::http::limits::ServerLimits;
use lora_space_bot::http::{self, ReceiverState};
use lora_space_bot::queue::{Broker, Outcome, dead};
use lora_space_bot::worker::WorkerPolicy;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

use crate::helpers::*;

const PAYLOAD: &str = r#"{"event":{"action":"update","scope":"repo.content"},"repo":{"type":"model","name":"tkato/other","id":"x","private":false,"url":{"web":"w"},"owner":{"id":"o"},"headSha":"575db8b7a51b6f85eb06eee540738584589f131c"},"updatedRefs":[{"ref":"refs/heads/main","oldSha":null,"newSha":"575db8b7a51b6f85eb06eee540738584589f131c"}],"webhook":{"id":"w","version":3}}"#;

/// A receiver under `limits` (memory broker: these tests are about the HTTP edge).
async fn receiver(limits: ServerLimits, shutdown: &CancellationToken) -> std::net::SocketAddr {
    let state = ReceiverState {
        secret: Some(Secret::new(SECRET)),
        links: Arc::new(vec![]),
        broker: Broker::Memory(lora_space_bot::queue::memory::MemoryBroker::new(topology("mem", 1))),
        max_body_bytes: 64 * 1024,
        publish_timeout: Duration::from_secs(3),
        metrics: lora_space_bot::metrics::Metrics::new(),
        debounce: Duration::ZERO,
    };
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(http::serve_with(listener, state, limits, shutdown.clone()));
    addr
}

/// Seconds until the server closes `s` (reads return 0 or an error), at most `limit`.
async fn closed_after(s: &mut TcpStream, limit: Duration) -> Option<Duration> {
    let t = Instant::now();
    let mut buf = [0u8; 1024];
    loop {
        match tokio::time::timeout(limit.saturating_sub(t.elapsed()), s.read(&mut buf)).await {
            Err(_) => return None,
            Ok(Ok(0) | Err(_)) => return Some(t.elapsed()),
            Ok(Ok(_)) => {}
        }
    }
}

fn webhook_head(secret: &str, len: usize) -> String {
    format!("POST /webhooks/hub HTTP/1.1\r\nhost: x\r\nx-webhook-secret: {secret}\r\ncontent-type: application/json\r\ncontent-length: {len}\r\n\r\n")
}

#[tokio::test]
async fn a_slow_header_client_is_cut_at_the_header_read_timeout() {
    let shutdown = CancellationToken::new();
    let limits = ServerLimits { header_read_timeout: Duration::from_secs(1), idle_timeout: Duration::from_secs(20), ..ServerLimits::default() };
    let addr = receiver(limits, &shutdown).await;
    let mut s = TcpStream::connect(addr).await.expect("connect");
    let head = webhook_head(SECRET, PAYLOAD.len());
    let (mut r, mut w) = s.split();
    let drip = async {
        for b in head.as_bytes() {
            if w.write_all(&[*b]).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    };
    let mut buf = [0u8; 256];
    let t = Instant::now();
    let cut = tokio::select! {
        _ = drip => None,
        r = tokio::time::timeout(Duration::from_secs(10), async { loop { match r.read(&mut buf).await { Ok(0) | Err(_) => return, Ok(_) => {} } } }) => r.ok().map(|_| t.elapsed()),
    };
    let cut = cut.expect("the server closed the slow client before it finished its headers");
    assert!(cut >= Duration::from_millis(900) && cut < Duration::from_secs(3), "cut after {cut:?}, header timeout 1 s");
    shutdown.cancel();
}

#[tokio::test]
async fn idle_connections_are_cut_at_the_idle_timeout_fresh_or_kept_alive() {
    let shutdown = CancellationToken::new();
    let limits = ServerLimits { header_read_timeout: Duration::from_secs(20), idle_timeout: Duration::from_secs(1), ..ServerLimits::default() };
    let addr = receiver(limits, &shutdown).await;
    let mut silent = TcpStream::connect(addr).await.expect("connect");
    let mut kept = TcpStream::connect(addr).await.expect("connect");
    kept.write_all(b"GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n").await.expect("write");
    let mut buf = [0u8; 256];
    let n = kept.read(&mut buf).await.expect("answer");
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"), "{}", String::from_utf8_lossy(&buf[..n]));
    let (a, b) = tokio::join!(closed_after(&mut silent, Duration::from_secs(10)), closed_after(&mut kept, Duration::from_secs(10)));
    for (what, took) in [("silent", a), ("kept-alive", b)] {
        let took = took.unwrap_or_else(|| panic!("the {what} connection was never closed"));
        assert!(took >= Duration::from_millis(700) && took < Duration::from_secs(3), "{what} connection closed after {took:?}, idle timeout 1 s");
    }
    shutdown.cancel();
}

#[tokio::test]
async fn past_the_connection_cap_new_connections_wait_while_in_flight_webhooks_finish() {
    let shutdown = CancellationToken::new();
    let limits = ServerLimits { max_connections: 2, idle_timeout: Duration::from_secs(30), header_read_timeout: Duration::from_secs(30), ..ServerLimits::default() };
    let addr = receiver(limits, &shutdown).await;
    // Two connections hold the cap: one webhook in flight (half its body sent), one idle.
    let mut in_flight = TcpStream::connect(addr).await.expect("connect");
    in_flight.write_all(webhook_head(SECRET, PAYLOAD.len()).as_bytes()).await.expect("head");
    in_flight.write_all(&PAYLOAD.as_bytes()[..40]).await.expect("half a body");
    let idle = TcpStream::connect(addr).await.expect("connect");
    tokio::time::sleep(Duration::from_millis(200)).await;
    // A third connection is not served while the cap is reached.
    let mut third = TcpStream::connect(addr).await.expect("the kernel backlog takes it");
    third.write_all(b"GET /healthz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n").await.expect("write");
    let mut buf = vec![0u8; 1024];
    assert!(tokio::time::timeout(Duration::from_millis(800), third.read(&mut buf)).await.is_err(), "the third connection must wait past the cap");
    // The in-flight webhook finishes normally.
    in_flight.write_all(&PAYLOAD.as_bytes()[40..]).await.expect("rest of the body");
    let n = tokio::time::timeout(Duration::from_secs(5), in_flight.read(&mut buf)).await.expect("answered").expect("read");
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 202"), "{}", String::from_utf8_lossy(&buf[..n]));
    // Once a slot frees, the waiting connection is served.
    drop(in_flight);
    let n = tokio::time::timeout(Duration::from_secs(5), third.read(&mut buf)).await.expect("served once a slot freed").expect("read");
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"), "{}", String::from_utf8_lossy(&buf[..n]));
    drop(idle);
    shutdown.cancel();
}

#[tokio::test]
async fn a_source_that_keeps_failing_the_secret_gets_429_and_others_are_not_affected() {
    let shutdown = CancellationToken::new();
    let limits = ServerLimits { max_unauthorized: 3, unauthorized_window: Duration::from_secs(60), ..ServerLimits::default() };
    let addr = receiver(limits, &shutdown).await;
    let client = reqwest::Client::new();
    let post = |secret: &'static str| client.post(format!("http://{addr}/webhooks/hub")).header("x-webhook-secret", secret).header("content-type", "application/json").body(PAYLOAD).send();
    for _ in 0..3 {
        assert_eq!(post("wrong-guess").await.expect("post").status(), 401);
    }
    let blocked = post(SECRET).await.expect("post");
    assert_eq!(blocked.status(), 429, "even the right secret waits once the source is over its limit");
    assert!(blocked.headers().get("retry-after").is_some());
    shutdown.cancel();
}

/// A `serve` process on a free port logging to `log`, with `configs` after config/test.toml and
/// `envs`; returns it and its base URL once ready.
async fn serve_process(prefix: &str, log: &std::path::Path, configs: &[&std::path::Path], envs: &[(&str, &str)]) -> (std::process::Child, String) {
    let port = TcpListener::bind("127.0.0.1:0").await.expect("bind").local_addr().expect("addr").port();
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_lora-space-bot"));
    cmd.args(["--config", concat!(env!("CARGO_MANIFEST_DIR"), "/config/test.toml")]);
    for c in configs {
        cmd.arg("--config").arg(c);
    }
    let child = cmd
        .arg("serve")
        .env("WEBHOOK_SECRET", SECRET)
        .env("LSB_SIGNING_KEY", SIGNING_KEY)
        .env("AMQP_URL", amqp_url())
        .env("LSB__AMQP__PREFIX", prefix)
        .env("LSB__RECEIVER__LISTEN", format!("127.0.0.1:{port}"))
        .envs(envs.iter().copied())
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(log).expect("log"))
        .spawn()
        .expect("spawn serve");
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    assert!(eventually(Duration::from_secs(20), || async { client.get(format!("{base}/readyz")).send().await.is_ok_and(|r| r.status().is_success()) }).await, "serve became ready");
    (child, base)
}

fn stop(mut child: std::process::Child) {
    let _ = std::process::Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    let _ = child.wait();
}

#[tokio::test]
async fn a_debug_log_of_a_secret_in_the_query_holds_no_secret() {
    let dir = tempfile::tempdir().expect("tmp");
    let log = dir.path().join("serve.log");
    let prefix = unique_prefix("redact");
    let _cleanup = TopologyCleanup(topology(&prefix, 2));
    let (child, base) = serve_process(&prefix, &log, &[], &[("LSB__TELEMETRY__FILTER", "trace")]).await;
    let client = reqwest::Client::new();
    let wrong = "wrong-guess-0123456789";
    for secret in [SECRET, wrong] {
        let _ = client.post(format!("{base}/webhooks/hub?x=1&secret={secret}")).header("content-type", "application/json").body(PAYLOAD).send().await.expect("post");
    }
    stop(child);
    let text = std::fs::read_to_string(&log).expect("log");
    assert!(text.contains("secret=[redacted]"), "the request span was logged at this level:\n{text}");
    assert!(!text.contains(SECRET) && !text.contains(wrong), "a secret reached the log:\n{text}");
}

#[tokio::test]
async fn json_logs_carry_a_webhooks_job_ids_as_a_json_array() {
    let dir = tempfile::tempdir().expect("tmp");
    let (log, links) = (dir.path().join("serve.log"), dir.path().join("links.toml"));
    std::fs::write(&links, "[[links]]\nlora = \"tkato/other\"\nspace = \"tkato/other-demo\"\n").expect("links");
    let prefix = unique_prefix("jsonlog");
    let _cleanup = TopologyCleanup(topology(&prefix, 2));
    let envs = [("LSB__TELEMETRY__FORMAT", "json"), ("LSB__TELEMETRY__FILTER", "lora_space_bot=info")];
    let (child, base) = serve_process(&prefix, &log, &[&links], &envs).await;
    let resp = reqwest::Client::new().post(format!("{base}/webhooks/hub")).header("x-webhook-secret", SECRET).header("content-type", "application/json").body(PAYLOAD).send().await.expect("post");
    assert_eq!(resp.status(), 202);
    let answered: serde_json::Value = resp.json().await.expect("json");
    stop(child);
    let text = std::fs::read_to_string(&log).expect("log");
    let lines: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not one JSON object per line ({e}): {l}"))).collect();
    let webhook = lines.iter().find(|l| l["message"] == "webhook" && l["outcome"] == "accepted").unwrap_or_else(|| panic!("no accepted webhook line:\n{text}"));
    assert!(webhook["job_ids"].is_array(), "job_ids must be a JSON array, not a string: {webhook}");
    assert_eq!(webhook["job_ids"], answered["job_ids"], "the ids the answer named");
    assert_eq!(webhook["jobs"], 1);
}

#[tokio::test]
async fn a_correctly_signed_job_for_an_unlinked_pair_is_dead_lettered_with_the_reason() {
    let w = LoraWorld::new("unlinked").await;
    let policy = WorkerPolicy { max_attempts: 3, links: Some(vec![(w.lora.clone(), w.space.clone())]), ..Default::default() };
    let mut done = spawn_worker_with(&w.sim, w.broker(), &w.receiver.shutdown, policy).await;
    // The LoRA is real and the Space writable by the bot: only the link is missing.
    let victim = id("lsb-bot/unrelated-space");
    w.sim.seed_repo(lora_space_bot::domain::RepoType::Space, &victim, std::collections::BTreeMap::from([("README.md".to_owned(), b"---\nsdk: gradio\n---\n".to_vec())]), false);
    let job = Job::sync(w.lora.clone(), None, victim.clone(), "manual", time::OffsetDateTime::now_utc());
    w.broker().publish(&job).await.expect("signed and confirmed");
    let (got, outcome) = next_outcome(&mut done, Duration::from_secs(30)).await;
    assert_eq!(got.id, job.id);
    let Outcome::DeadLetter { reason } = outcome else { panic!("an unlinked pair must not run: {outcome:?}") };
    assert!(reason.contains("[[links]]") && reason.contains("lsb-bot/unrelated-space"), "{reason}");
    let key = SIGNING_KEY.as_bytes();
    assert!(eventually(Duration::from_secs(5), || async { dead::list(&w.receiver.broker, &amqp_url(), key, 10).await.map(|l| l.iter().any(|d| d.id == job.id)).unwrap_or(false) }).await, "parked in the dead-letter queue");
    assert!(w.sim.discussions(lora_space_bot::domain::RepoType::Space, &victim).is_empty(), "no PR was opened on the unlinked Space");
}

fn bin() -> std::process::Command {
    std::process::Command::new(env!("CARGO_BIN_EXE_lora-space-bot"))
}

#[test]
fn a_wrong_broker_password_exits_non_zero_naming_the_fix() {
    let prefix = unique_prefix("badpass");
    let started = Instant::now();
    let out = bin()
        .args(["--config", concat!(env!("CARGO_MANIFEST_DIR"), "/config/test.toml"), "serve"])
        .env("WEBHOOK_SECRET", SECRET)
        .env("LSB_SIGNING_KEY", SIGNING_KEY)
        .env("AMQP_URL", "amqp://guest:not-the-password@127.0.0.1:5672/%2f")
        .env("LSB__AMQP__PREFIX", &prefix)
        .output()
        .expect("run serve");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "serve must not run with a refused login: {stderr}");
    assert!(started.elapsed() < Duration::from_secs(30), "it stops at once, not after retrying: {:?}", started.elapsed());
    assert!(stderr.contains("AMQP_URL") && stderr.contains("password"), "{stderr}");
    assert!(!stderr.contains("not-the-password"), "the password itself is never printed: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn work_without_a_token_exits_non_zero_without_panicking() {
    let out = bin()
        .args(["--config", concat!(env!("CARGO_MANIFEST_DIR"), "/config/test.toml"), "work"])
        .env_remove("HF_TOKEN")
        .env_remove("HF_TOKEN_PATH")
        .env("LSB_SIGNING_KEY", SIGNING_KEY)
        .env("AMQP_URL", amqp_url())
        .output()
        .expect("run work");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("HF_TOKEN") && !stderr.contains("panicked"), "{stderr}");
}

#[tokio::test]
async fn links_check_tells_an_unreachable_endpoint_from_an_invalid_token() {
    let sim = spawn_sim().await;
    let dir = tempfile::tempdir().expect("tmp");
    let links = dir.path().join("links.toml");
    std::fs::write(&links, "[[links]]\nlora = \"a/l\"\nspace = \"a/s\"\n").expect("write");
    let run = |endpoint: String, token: &'static str| {
        let links = links.clone();
        tokio::task::spawn_blocking(move || bin().args(["--config", links.to_str().expect("utf-8"), "links", "check"]).env("HF_ENDPOINT", endpoint).env("HF_TOKEN", token).env_remove("HF_TOKEN_PATH").output().expect("run"))
    };
    let unreachable = run("http://127.0.0.1:9".into(), BOT_TOKEN).await.expect("join");
    let invalid = run(sim.base_url().to_string(), "hf_not_a_token_of_this_hub").await.expect("join");
    let (u, i) = (String::from_utf8_lossy(&unreachable.stderr), String::from_utf8_lossy(&invalid.stderr));
    assert!(!unreachable.status.success() && u.contains("endpoint unreachable") && !u.contains("token invalid"), "{u}");
    assert!(!invalid.status.success() && i.contains("token invalid") && !i.contains("endpoint unreachable"), "{i}");
}
