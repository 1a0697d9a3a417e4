//! Worker benchmark (bench/run.sh): throughput, Hub calls per job and peak RSS of a
//! `lora-space-bot work` process against the Hub simulator and a real RabbitMQ, in three
//! phases — open a PR per Space, update each PR after a LoRA change, and no-op repeats.
//! Usage: bench_worker --bin target/release/lora-space-bot [--jobs N]

use std::collections::BTreeMap;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use lora_space_bot::config::Secret;
use lora_space_bot::domain::{Job, RepoId, RepoType};
use lora_space_bot::queue::Broker;
use lora_space_bot::queue::amqp::{AmqpBroker, AmqpSettings};
use lora_space_bot::queue::topology::Topology;
use lora_space_bot::sim::{SimConfig, SimHandle};
use tokio_util::sync::CancellationToken;

const CARD: &str = include_str!("../../shared/fixtures/cards/02-flux-dev-dreambooth-corgi/README.md");
const METRICS: &str = "127.0.0.1:9099";

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1).cloned())
}

fn pair(i: usize) -> (RepoId, RepoId) {
    (format!("studio/corgi-{i}").parse().expect("id"), format!("studio/corgi-demo-{i}").parse().expect("id"))
}

fn card(trigger: &str) -> BTreeMap<String, Vec<u8>> {
    BTreeMap::from([("README.md".to_owned(), CARD.replace("a photo of TOK corgi", trigger).into_bytes())])
}

async fn done_jobs(client: &reqwest::Client) -> u64 {
    let Ok(resp) = client.get(format!("http://{METRICS}/metrics")).send().await else { return 0 };
    let text = resp.text().await.unwrap_or_default();
    text.lines().filter(|l| l.starts_with("lsb_jobs_total{")).filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok()).sum::<f64>() as u64
}

async fn phase(name: &str, sim: &SimHandle, broker: &Broker, n: usize, before: &mut u64, client: &reqwest::Client) -> String {
    let calls0 = sim.calls().len();
    let t0 = Instant::now();
    for i in 0..n {
        let (lora, space) = pair(i);
        broker.publish(&Job::sync(lora, None, space, name, time::OffsetDateTime::now_utc())).await.expect("publish");
    }
    let want = *before + n as u64;
    while done_jobs(client).await < want {
        assert!(t0.elapsed() < Duration::from_secs(600), "{name}: jobs did not finish");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    *before = want;
    let secs = t0.elapsed().as_secs_f64();
    let calls = sim.calls().len() - calls0;
    format!("| {name} | {n} | {secs:.2} | {:.1} | {:.1} |", n as f64 / secs, calls as f64 / n as f64)
}

fn vm_hwm_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| l.split_whitespace().nth(1)).and_then(|v| v.parse().ok()).unwrap_or(0)
}

#[tokio::main]
async fn main() {
    let bin = arg("--bin").unwrap_or_else(|| "target/release/lora-space-bot".into());
    let n: usize = arg("--jobs").and_then(|j| j.parse().ok()).unwrap_or(200);
    let amqp = std::env::var("AMQP_URL").unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".into());
    let seed = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/hub");
    let config = SimConfig { user: "lsb-bot".into(), token: "hf_bench_bot".into(), seed: Some(seed.into()), ..SimConfig::default() };
    let sim = lora_space_bot::sim::start(([127, 0, 0, 1], 0).into(), config).await.expect("sim");
    sim.add_user("studio", "hf_studio");
    for i in 0..n {
        let (lora, space) = pair(i);
        let mut files = card("a photo of TOK corgi");
        files.insert("pytorch_lora_weights.safetensors".into(), vec![0; 64]);
        sim.seed_repo(RepoType::Model, &lora, files, false);
        sim.seed_repo(RepoType::Space, &space, BTreeMap::from([("README.md".to_owned(), b"---\nsdk: gradio\n---\n".to_vec())]), false);
    }
    let prefix = format!("lsb-bench-w{}", std::process::id());
    let topo = Topology { prefix: prefix.clone(), shards: 4, delivery_limit: 5 };
    let shutdown = CancellationToken::new();
    let publisher = AmqpBroker::start(AmqpSettings { url: amqp.clone(), topology: topo, signing_key: Secret::new("bench"), confirm_timeout: Duration::from_secs(5), rebalance: Duration::from_secs(1) }, shutdown.clone());
    assert!(publisher.wait_ready(Duration::from_secs(15)).await, "RabbitMQ is not reachable at {amqp}");
    // Workers run only linked pairs: link every seeded pair.
    let links = std::env::temp_dir().join(format!("{prefix}-links.toml"));
    let body: String = (0..n).map(|i| { let (l, s) = pair(i); format!("[[links]]\nlora = \"{l}\"\nspace = \"{s}\"\n") }).collect();
    std::fs::write(&links, body).expect("links file");
    let mut child = Command::new(&bin)
        .arg("--config")
        .arg(&links)
        .arg("work")
        .env("HF_ENDPOINT", sim.base_url().as_str())
        .env("HF_TOKEN", "hf_bench_bot")
        .env("LSB_SIGNING_KEY", "bench")
        .env("AMQP_URL", &amqp)
        .env("LSB__AMQP__PREFIX", &prefix)
        .env("LSB__AMQP__SHARDS", "4")
        .env("LSB__WORKER__CONCURRENCY", "4")
        .env("LSB__WORKER__LISTEN", METRICS)
        .env("LSB__WORKER__MAX_PRS_PER_HOUR", "0")
        .env("LSB__RECEIVER__DEBOUNCE_SECS", "0")
        .env("LSB__TELEMETRY__FILTER", "warn")
        .stdout(Stdio::null())
        .spawn()
        .expect("spawn work");
    let client = reqwest::Client::new();
    let broker = Broker::Amqp(publisher);
    let mut done = 0;
    while !client.get(format!("http://{METRICS}/readyz")).send().await.is_ok_and(|r| r.status().is_success()) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut rows = vec![phase("open a PR", &sim, &broker, n, &mut done, &client).await];
    for i in 0..n {
        sim.commit_as("studio", RepoType::Model, &pair(i).0, card("a photo of TOK corgi, v2"), "new trigger");
    }
    rows.push(phase("update the PR", &sim, &broker, n, &mut done, &client).await);
    rows.push(phase("no change (repeat)", &sim, &broker, n, &mut done, &client).await);
    let rss = vm_hwm_kib(child.id());
    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    let _ = child.wait();
    shutdown.cancel();
    println!("| phase | jobs | seconds | jobs/s | Hub calls/job |\n|---|---|---|---|---|");
    rows.iter().for_each(|r| println!("{r}"));
    println!("\npeak RSS of `work` (VmHWM): {:.1} MiB (concurrency 4, {n} Spaces)", rss as f64 / 1024.0);
}
