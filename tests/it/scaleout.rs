//! Scale-out (README, Scaling): `work` processes share the shards through exclusive claim
//! queues; a killed worker's shards are claimed by the others and its jobs are not lost.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::Duration;

use lapin::options::QueueDeclareOptions;
use lapin::types::FieldTable;
use lapin::{Connection, ConnectionProperties};
use lora_space_bot::domain::{Job, RepoId};
use lora_space_bot::queue::Broker;
use lora_space_bot::queue::topology::Topology;
use lora_space_bot::sim::{Fault, FaultRule, SimHandle};

use crate::helpers::*;
use crate::processes::{job_intervals, push, seed_pair, work_process_with};

const SHARDS: u16 = 8;

fn log_lines(log: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(log).unwrap_or_default().lines().filter_map(|l| serde_json::from_str(l).ok()).collect()
}

/// The shards a worker holds by its own log: "shard claimed" minus "shard released".
fn owned_by_log(log: &Path) -> BTreeSet<u16> {
    let mut owned = BTreeSet::new();
    for line in log_lines(log) {
        let Some(k) = line["shard"].as_u64().and_then(|k| u16::try_from(k).ok()) else { continue };
        match line["message"].as_str() {
            Some("shard claimed") => {
                owned.insert(k);
            }
            Some("shard released") => {
                owned.remove(&k);
            }
            _ => {}
        }
    }
    owned
}

/// Whether the owned sets are disjoint, non-empty and cover every shard.
fn partition(sets: &[BTreeSet<u16>]) -> bool {
    let total: usize = sets.iter().map(BTreeSet::len).sum();
    let union: BTreeSet<u16> = sets.iter().flatten().copied().collect();
    sets.iter().all(|s| !s.is_empty()) && total == usize::from(SHARDS) && union == (0..SHARDS).collect()
}

/// Shards whose claim queue another connection holds, read on the broker: a declare of an
/// exclusive queue someone else declared is refused with RESOURCE_LOCKED (405).
async fn claims_held(t: &Topology) -> BTreeSet<u16> {
    let conn = Connection::connect(&amqp_url(), ConnectionProperties::default()).await.expect("connect");
    let mut held = BTreeSet::new();
    for k in 0..t.shards {
        let ch = conn.create_channel().await.expect("channel");
        let opts = QueueDeclareOptions { passive: true, ..QueueDeclareOptions::default() };
        if let Err(e) = ch.queue_declare(t.claim(k).as_str().into(), opts, FieldTable::default()).await
            && lora_space_bot::queue::fatal::reply_code(&e) == Some(405)
        {
            held.insert(k);
        }
    }
    let _ = conn.close(200, "bye".into()).await;
    held
}

/// `lsb_shards_owned` on a worker's `/metrics`.
async fn shards_owned_metric(port: u16) -> Option<i64> {
    let text = reqwest::get(format!("http://127.0.0.1:{port}/metrics")).await.ok()?.text().await.ok()?;
    text.lines().find_map(|l| l.strip_prefix("lsb_shards_owned ")).and_then(|v| v.trim().parse().ok())
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

struct Workers {
    logs: Vec<PathBuf>,
    ports: Vec<u16>,
    children: Vec<Child>,
}

impl Workers {
    fn start(sim: &SimHandle, prefix: &str, dir: &Path, pairs: &[(RepoId, RepoId)], n: usize) -> Self {
        let mut w = Self { logs: Vec::new(), ports: Vec::new(), children: Vec::new() };
        (0..n).for_each(|_| w.add(sim, prefix, dir, pairs));
        w
    }

    /// One more `work` process: 8 shards, concurrency 1, /metrics on a port of its own.
    fn add(&mut self, sim: &SimHandle, prefix: &str, dir: &Path, pairs: &[(RepoId, RepoId)]) {
        let log = dir.join(format!("work-{}.log", self.logs.len()));
        let port = free_port();
        let (shards, listen) = (SHARDS.to_string(), format!("127.0.0.1:{port}"));
        let env = [("LSB__AMQP__SHARDS", shards.as_str()), ("LSB__WORKER__LISTEN", listen.as_str()), ("LSB__WORKER__CONCURRENCY", "1")];
        self.children.push(work_process_with(sim, prefix, &log, pairs, &env));
        self.logs.push(log);
        self.ports.push(port);
    }

    fn owned(&self, which: &[usize]) -> Vec<BTreeSet<u16>> {
        which.iter().map(|i| owned_by_log(&self.logs[*i])).collect()
    }

    fn stop(&mut self) {
        for w in self.children.iter_mut().filter_map(|w| matches!(w.try_wait(), Ok(None)).then_some(w)) {
            let _ = Command::new("kill").args(["-TERM", &w.id().to_string()]).status();
        }
        for w in &mut self.children {
            let _ = w.wait();
        }
    }
}

impl Drop for Workers {
    fn drop(&mut self) {
        if let Ok(keep) = std::env::var("LSB_KEEP_LOGS") {
            for l in &self.logs {
                let _ = std::fs::copy(l, Path::new(&keep).join(l.file_name().unwrap_or_default()));
            }
        }
        for w in &mut self.children {
            let _ = w.kill();
            let _ = w.wait();
        }
    }
}

async fn world(name: &str, pairs: usize) -> (SimHandle, Vec<(RepoId, RepoId)>, TestReceiver) {
    let sim = spawn_sim().await;
    sim.add_user("tkato", "hf_tkato");
    sim.add_user("black-forest-labs", "hf_bfl");
    let seeded: Vec<_> = (0..pairs).map(|i| seed_pair(&sim, i)).collect();
    // The receiver only declares the topology and publishes; no webhooks are registered.
    let receiver = spawn_receiver(&amqp_url(), &[], topology(&unique_prefix(name), SHARDS)).await;
    (sim, seeded, receiver)
}

/// Publishes a sync job for each pair at a new head of its LoRA; returns the job ids.
async fn publish_round(sim: &SimHandle, broker: &Broker, pairs: &[&(RepoId, RepoId)], trigger: &str) -> HashSet<String> {
    let mut ids = HashSet::new();
    for (lora, space) in pairs {
        let sha = push(sim, lora, trigger);
        let job = Job::sync(lora.clone(), Some(sha), space.clone(), "test", time::OffsetDateTime::now_utc());
        broker.publish(&job).await.expect("publish");
        ids.insert(job.id);
    }
    ids
}

/// Ids of the jobs the workers finished, from their "job done" lines.
fn finished(logs: &[PathBuf]) -> HashSet<String> {
    logs.iter().flat_map(|l| log_lines(l)).filter(|v| v["message"] == "job done").filter_map(|v| v["span"]["job_id"].as_str().map(str::to_owned)).collect()
}

/// No two jobs of one Space overlapped in time, across every worker's log.
fn assert_no_overlap(logs: &[PathBuf]) -> BTreeMap<String, usize> {
    let mut intervals: Vec<(String, String, String)> = logs.iter().flat_map(|l| job_intervals(&std::fs::read_to_string(l).unwrap_or_default())).collect();
    intervals.sort();
    for pair in intervals.windows(2) {
        let ((s1, _, end1), (s2, start2, _)) = (&pair[0], &pair[1]);
        if s1 == s2 {
            assert!(end1 <= start2, "jobs for {s1} overlapped: {:?} and {:?}", pair[0], pair[1]);
        }
    }
    intervals.iter().fold(BTreeMap::new(), |mut m, (s, _, _)| {
        *m.entry(s.clone()).or_default() += 1;
        m
    })
}

#[tokio::test]
async fn three_workers_on_eight_shards_each_claim_some_and_together_all_exactly_once() {
    let (sim, pairs, receiver) = world("scale-three", 24).await;
    let topo = receiver.topology.clone();
    let covered: BTreeSet<u16> = pairs.iter().map(|(_, s)| topo.shard_of(s)).collect();
    assert_eq!(covered.len(), usize::from(SHARDS), "the 24 Spaces cover every shard");
    let dir = tempfile::tempdir().expect("tmp");
    // One worker first: it claims every shard, as the only member.
    let mut w = Workers::start(&sim, &topo.prefix, dir.path(), &pairs, 1);
    assert!(eventually(Duration::from_secs(30), || async { w.owned(&[0])[0].len() == usize::from(SHARDS) }).await, "the lone worker claims all: {:?}", w.owned(&[0]));
    // It is busy when two more join (KEDA adding replicas): it must hand shards over after
    // their in-flight jobs.
    sim.inject(FaultRule::new(Some("POST"), "/api/spaces/*/commit/*", Fault::Latency(Duration::from_millis(200))));
    let broker = Broker::Amqp(receiver.broker.clone());
    let all: Vec<&(RepoId, RepoId)> = pairs.iter().collect();
    let mut published = publish_round(&sim, &broker, &all, "a photo of TOK corgi round 0").await;
    w.add(&sim, &topo.prefix, dir.path(), &pairs);
    w.add(&sim, &topo.prefix, dir.path(), &pairs);
    // Settled: a partition of the shards with nobody above ceil(8/3) = 3. (Before that, the
    // first worker's logs can lag behind a claim of a shard it has just released.)
    let settled = |o: &[BTreeSet<u16>]| partition(o) && o.iter().all(|s| s.len() <= 3);
    let done = eventually(Duration::from_secs(30), || async { settled(&w.owned(&[0, 1, 2])) }).await;
    let owned = w.owned(&[0, 1, 2]);
    assert!(done, "each of 3 workers owns 1 to 3 shards, every shard once: {owned:?}");
    assert!(std::fs::read_to_string(&w.logs[0]).unwrap_or_default().contains("shard released"), "the first worker released shards");
    assert_eq!(claims_held(&topo).await, (0..SHARDS).collect(), "the broker holds a claim for every shard");
    let expected: Vec<Option<i64>> = owned.iter().map(|s| Some(s.len() as i64)).collect();
    let metric = || async {
        let mut m = Vec::new();
        for port in &w.ports {
            m.push(shards_owned_metric(*port).await);
        }
        m
    };
    let reported = eventually(Duration::from_secs(10), || async { metric().await == expected }).await;
    assert!(reported, "lsb_shards_owned on each worker's /metrics: {:?}, logs say {expected:?}", metric().await);

    published.extend(publish_round(&sim, &broker, &all, "a photo of TOK corgi round 1").await);
    let all_done = eventually(Duration::from_secs(120), || async { published.is_subset(&finished(&w.logs)) }).await;
    sim.clear_faults();
    w.stop();
    assert!(all_done, "every job finished; missing {:?}", published.difference(&finished(&w.logs)).collect::<Vec<_>>());
    every_worker_active_without_errors(&w.logs);
    assert_no_overlap(&w.logs);
    assert_eq!(shard_depth(&topo).await, 0, "nothing left in the shard queues");
}

#[tokio::test]
async fn a_killed_workers_shards_are_claimed_by_the_others_and_none_of_its_jobs_are_lost_or_overlap() {
    let (sim, pairs, receiver) = world("scale-kill", 24).await;
    let topo = receiver.topology.clone();
    let dir = tempfile::tempdir().expect("tmp");
    let mut w = Workers::start(&sim, &topo.prefix, dir.path(), &pairs, 3);
    assert!(eventually(Duration::from_secs(30), || async { partition(&w.owned(&[0, 1, 2])) }).await, "settled: {:?}", w.owned(&[0, 1, 2]));
    let victim_shards = owned_by_log(&w.logs[0]);
    let on_victim: Vec<&(RepoId, RepoId)> = pairs.iter().filter(|(_, s)| victim_shards.contains(&topo.shard_of(s))).collect();
    assert!(!on_victim.is_empty(), "some of the 24 Spaces hash to the victim's shards {victim_shards:?}");

    // Jobs take a while, so the kill lands with work in flight and more queued.
    sim.inject(FaultRule::new(Some("POST"), "/api/spaces/*/commit/*", Fault::Latency(Duration::from_millis(300))));
    let broker = Broker::Amqp(receiver.broker.clone());
    let all: Vec<&(RepoId, RepoId)> = pairs.iter().collect();
    let mut published = publish_round(&sim, &broker, &all, "a photo of TOK corgi round 0").await;
    published.extend(publish_round(&sim, &broker, &all, "a photo of TOK corgi round 1").await);
    let victim_busy = eventually(Duration::from_secs(30), || async { std::fs::read_to_string(&w.logs[0]).unwrap_or_default().contains("job started") }).await;
    assert!(victim_busy, "the victim was working on its shards");
    w.children[0].kill().expect("SIGKILL");
    let _ = w.children[0].wait();

    let taken_over = eventually(Duration::from_secs(20), || async {
        let survivors = w.owned(&[1, 2]);
        survivors.iter().flatten().copied().collect::<BTreeSet<u16>>() == (0..SHARDS).collect() && survivors[0].is_disjoint(&survivors[1])
    })
    .await;
    assert!(taken_over, "the survivors claimed the victim's shards {victim_shards:?}: {:?}", w.owned(&[1, 2]));
    assert_eq!(claims_held(&topo).await, (0..SHARDS).collect(), "every shard is claimed again");

    published.extend(publish_round(&sim, &broker, &on_victim, "a photo of TOK corgi after the kill").await);
    let all_done = eventually(Duration::from_secs(120), || async { published.is_subset(&finished(&w.logs)) }).await;
    sim.clear_faults();
    w.stop();
    assert!(all_done, "every job finished; missing {:?}", published.difference(&finished(&w.logs)).collect::<Vec<_>>());
    every_worker_active_without_errors(&w.logs);
    let by_space = assert_no_overlap(&w.logs);
    let on_victim_runs: Vec<usize> = on_victim.iter().map(|(_, s)| by_space.get(&s.to_string()).copied().unwrap_or(0)).collect();
    assert!(on_victim_runs.iter().all(|n| *n >= 3), "three jobs ran for each Space on the victim's shards: {on_victim_runs:?}");
    assert_eq!(shard_depth(&topo).await, 0, "nothing left in the shard queues");
    assert_eq!(depths(&[topo.dead()]).await, vec![0], "nothing dead-lettered");
}

/// Every worker started jobs, and none logged an error — but for a lost claim race, which the
/// AMQP client logs at ERROR when the broker refuses a claim another worker just took
/// (RESOURCE_LOCKED, harmless: README, Scaling).
fn every_worker_active_without_errors(logs: &[PathBuf]) {
    for log in logs {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        assert!(text.contains("job started"), "every worker was active on its shards: {}", log.display());
        let errors: Vec<&str> = text.lines().filter(|l| l.contains("\"ERROR\"") && !l.contains("RESOURCE_LOCKED")).collect();
        assert!(errors.is_empty(), "no errors logged in {}: {errors:?}", log.display());
    }
}
