//! Scale-out benchmark (bench/scaleout.sh): throughput of 1, 2, 3 worker processes
//! (concurrency 1 each) draining the same N jobs from the same shard queues on a real RabbitMQ,
//! with a CPU-bound handler, so the number is about how the shards are shared, not the Hub.
//! Each worker process is this binary in `worker` mode: the queue layer `work` uses
//! ([`Broker::consume`]: membership, claims, one consumer per claimed shard), with the job
//! handler replaced by SHA-256 rounds.
//! Usage: bench_scaleout [--jobs N] [--shards S] [--iters I] [--runs R] [--max-procs P]

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use futures::{FutureExt, StreamExt};
use lapin::options::{ExchangeDeleteOptions, QueueDeleteOptions};
use lora_space_bot::config::Secret;
use lora_space_bot::domain::{Job, RepoId};
use lora_space_bot::queue::amqp::{AmqpBroker, AmqpSettings};
use lora_space_bot::queue::topology::Topology;
use lora_space_bot::queue::{Broker, Handler, Outcome};
use sha2::{Digest, Sha256};
use tokio_util::sync::CancellationToken;

const KEY: &str = "bench-scaleout";

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1).cloned())
}

fn num(name: &str, default: u64) -> u64 {
    arg(name).and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn amqp_url() -> String {
    std::env::var("AMQP_URL").unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".into())
}

fn settings(prefix: &str, shards: u16) -> AmqpSettings {
    AmqpSettings {
        url: amqp_url(),
        topology: Topology { prefix: prefix.to_owned(), shards, delivery_limit: 5 },
        signing_key: Secret::new(KEY),
        confirm_timeout: Duration::from_secs(5),
        rebalance: Duration::from_millis(500),
    }
}

/// The CPU-bound job: `iters` chained SHA-256 rounds.
fn burn(iters: u64) -> u8 {
    let mut h = [0u8; 32];
    for _ in 0..iters {
        h = Sha256::digest(h).into();
    }
    h[0]
}

/// Worker mode: consume until killed; print `owned N` when the claimed count changes and
/// `done` after each job.
async fn worker(prefix: String, shards: u16, iters: u64) {
    let shutdown = CancellationToken::new();
    let broker = AmqpBroker::start(settings(&prefix, shards), shutdown.clone());
    let metrics = lora_space_bot::metrics::Metrics::for_roles(false, true);
    broker.report_shards_to(&metrics);
    let gauge = metrics.shards_owned.clone();
    tokio::spawn(async move {
        let mut last = -1;
        loop {
            let now = gauge.get();
            if now != last {
                println!("owned {now}");
                let _ = std::io::stdout().flush();
                last = now;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    });
    let handler: Handler = Arc::new(move |_job| {
        async move {
            let _ = tokio::task::spawn_blocking(move || burn(iters)).await;
            println!("done");
            let _ = std::io::stdout().flush();
            Outcome::Done
        }
        .boxed()
    });
    let _ = Broker::Amqp(broker).consume(handler, 1, shutdown).await;
}

struct Run {
    secs: f64,
    per_process: Vec<u64>,
    /// CPU cores the worker processes used on average while the jobs ran.
    cores: f64,
    /// How long publishing the jobs took (they are consumed while it runs).
    publish_secs: f64,
}

/// One measurement: `procs` workers, settled on the shards, then N jobs published and drained.
async fn run(procs: usize, jobs: u64, shards: u16, iters: u64, round: u64) -> Run {
    let prefix = format!("lsb-bench-so-{}-{procs}-{round}", std::process::id());
    let shutdown = CancellationToken::new();
    let publisher = AmqpBroker::start(settings(&prefix, shards), shutdown.clone());
    assert!(publisher.wait_ready(Duration::from_secs(15)).await, "RabbitMQ is not reachable at {}", amqp_url());
    let exe = std::env::current_exe().expect("own path");
    let (tx, rx) = mpsc::channel::<(usize, String)>();
    let mut children: Vec<Child> = (0..procs)
        .map(|i| {
            let mut child = Command::new(&exe)
                .args(["worker", "--prefix", &prefix, "--shards", &shards.to_string(), "--iters", &iters.to_string()])
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .expect("spawn worker");
            let out = BufReader::new(child.stdout.take().expect("stdout"));
            let tx = tx.clone();
            std::thread::spawn(move || out.lines().map_while(Result::ok).for_each(|l| drop(tx.send((i, l)))));
            child
        })
        .collect();
    // Settled: every shard claimed, nobody above ceil(shards / procs).
    let share = lora_space_bot::queue::claims::target(shards, procs as u32) as i64;
    let mut owned = vec![0i64; procs];
    let deadline = Instant::now() + Duration::from_secs(60);
    while !(owned.iter().sum::<i64>() == i64::from(shards) && owned.iter().all(|o| *o <= share && *o > 0)) {
        assert!(Instant::now() < deadline, "workers did not settle: {owned:?}");
        if let Ok((i, line)) = rx.recv_timeout(Duration::from_millis(100))
            && let Some(n) = line.strip_prefix("owned ").and_then(|n| n.parse().ok())
        {
            owned[i] = n;
        }
    }
    let spaces = spread_spaces(&broker_topology(&prefix, shards));
    let cpu_before: f64 = children.iter().map(|c| cpu_secs(c.id())).sum();
    let broker = Broker::Amqp(publisher);
    let t0 = Instant::now();
    // 64 publishes in flight: one at a time, each waiting for its quorum-queue confirm (an
    // fsync), the publisher itself was the limit (~37 jobs/s on this machine).
    let publishing = {
        let broker = broker.clone();
        tokio::spawn(async move {
            let job = |j: u64| {
                // The same number of jobs on every shard (round robin), so the measure is of the
                // sharing, not of how 64 names happen to hash.
                let space = spaces[(j % spaces.len() as u64) as usize].clone();
                Job::sync("bench/lora".parse().expect("id"), None, space, &format!("bench {j}"), time::OffsetDateTime::now_utc())
            };
            futures::stream::iter(0..jobs)
                .map(|j| {
                    let (broker, job) = (broker.clone(), job(j));
                    async move { broker.publish(&job).await.expect("publish") }
                })
                .buffer_unordered(64)
                .collect::<Vec<()>>()
                .await;
            t0.elapsed().as_secs_f64()
        })
    };
    let mut per_process = vec![0u64; procs];
    let mut done = 0;
    while done < jobs {
        let (i, line) = rx.recv_timeout(Duration::from_secs(120)).expect("jobs keep finishing");
        if line == "done" {
            per_process[i] += 1;
            done += 1;
        }
    }
    let secs = t0.elapsed().as_secs_f64();
    let cpu: f64 = children.iter().map(|c| cpu_secs(c.id())).sum();
    let publish_secs = publishing.await.unwrap_or(f64::NAN);
    for c in &mut children {
        let _ = c.kill();
        let _ = c.wait();
    }
    cleanup(&broker_topology(&prefix, shards)).await;
    shutdown.cancel();
    Run { secs, per_process, cores: (cpu - cpu_before) / secs, publish_secs }
}

/// Eight Spaces per shard, listed shard by shard interleaved: `[s0, s1, ..., s7, s0', ...]`.
fn spread_spaces(t: &Topology) -> Vec<RepoId> {
    let mut by_shard: Vec<Vec<RepoId>> = vec![Vec::new(); usize::from(t.shards)];
    for i in 0.. {
        let space: RepoId = format!("bench/space-{i}").parse().expect("id");
        let k = usize::from(t.shard_of(&space));
        if by_shard[k].len() < 8 {
            by_shard[k].push(space);
        }
        if by_shard.iter().all(|v| v.len() == 8) {
            break;
        }
    }
    (0..8).flat_map(|n| by_shard.iter().map(move |v| v[n].clone())).collect()
}

/// User + system CPU seconds of a process so far (`/proc/<pid>/stat`, clock ticks of 1/100 s).
fn cpu_secs(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let fields: Vec<&str> = stat.rsplit_once(") ").map(|(_, rest)| rest.split_whitespace().collect()).unwrap_or_default();
    // After the command: state is field 3, utime 14 and stime 15 (1-based, proc(5)).
    let tick = |i: usize| fields.get(i - 3).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (tick(14) + tick(15)) / 100.0
}

fn broker_topology(prefix: &str, shards: u16) -> Topology {
    settings(prefix, shards).topology
}

async fn cleanup(t: &Topology) {
    let Ok(conn) = lora_space_bot::queue::amqp::connect(&amqp_url()).await else { return };
    let Ok(ch) = conn.create_channel().await else { return };
    for q in t.queues().into_iter().map(|q| q.name).chain([t.members()]) {
        let _ = ch.queue_delete(q.as_str().into(), QueueDeleteOptions::default()).await;
    }
    for e in t.exchanges() {
        let _ = ch.exchange_delete(e.name.as_str().into(), ExchangeDeleteOptions::default()).await;
    }
    let _ = conn.close(200, "bye".into()).await;
}

#[tokio::main]
async fn main() {
    let shards = num("--shards", 8) as u16;
    let iters = num("--iters", 500_000);
    if std::env::args().nth(1).as_deref() == Some("worker") {
        worker(arg("--prefix").expect("--prefix"), shards, iters).await;
        return;
    }
    let jobs = num("--jobs", 300);
    let runs = num("--runs", 3).max(1);
    let max_procs = num("--max-procs", 3).max(1) as usize;
    let t = Instant::now();
    let reps = 20;
    let sink: u32 = (0..reps).map(|_| u32::from(burn(iters))).sum();
    std::hint::black_box(sink);
    let job_ms = t.elapsed().as_secs_f64() * 1000.0 / f64::from(reps);
    println!("CPU per job: {job_ms:.1} ms ({iters} SHA-256 rounds); {jobs} jobs on {shards} shards; {runs} runs per row, median shown; {} cores", std::thread::available_parallelism().map_or(0, |n| n.get()));
    println!("\n| worker processes | jobs/s (median) | min–max | speed-up | jobs per process (median run) | CPU cores the workers got | jobs per worker CPU-second | all jobs published after (s) | 1-min load before the row |\n|---|---|---|---|---|---|---|---|---|");
    let mut base = None;
    for procs in 1..=max_procs {
        // Other users of the machine show here: the cores this benchmark could not have.
        let load = std::fs::read_to_string("/proc/loadavg").ok().and_then(|l| l.split_whitespace().next().map(str::to_owned)).unwrap_or_default();
        let mut results = Vec::new();
        for round in 0..runs {
            results.push(run(procs, jobs, shards, iters, round).await);
        }
        results.sort_by(|a, b| a.secs.total_cmp(&b.secs));
        let rate = |r: &Run| jobs as f64 / r.secs;
        let median = &results[results.len() / 2];
        let (lo, hi) = (rate(&results[results.len() - 1]), rate(&results[0]));
        let b = *base.get_or_insert(rate(median));
        let per_cpu = rate(median) / median.cores.max(f64::EPSILON);
        println!("| {procs} | {:.1} | {lo:.1}–{hi:.1} | {:.2}× | {:?} | {:.2} | {per_cpu:.1} | {:.2} | {load} |", rate(median), rate(median) / b, median.per_process, median.cores, median.publish_secs);
    }
}
