//! Worker processes as operators run them: several `work` processes on one broker, SIGTERM
//! drains in-flight jobs, per-Space processing never overlaps.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use lora_space_bot::domain::{RepoId, RepoType};
use lora_space_bot::hub::{WatchedItem, WebhookDomain, WebhookSpec};
use lora_space_bot::sim::{Fault, FaultRule, SimHandle};

use crate::helpers::*;

const CORGI_CARD: &str = include_str!("../../../shared/fixtures/cards/02-flux-dev-dreambooth-corgi/README.md");

/// A config file next to `log` linking `pairs` (workers refuse jobs for unlinked pairs).
fn links_file(log: &Path, pairs: &[(RepoId, RepoId)]) -> std::path::PathBuf {
    let path = log.with_extension("links.toml");
    let body: String = pairs.iter().map(|(l, s)| format!("[[links]]\nlora = \"{l}\"\nspace = \"{s}\"\n")).collect();
    std::fs::write(&path, body).expect("links file");
    path
}

fn work_process(sim: &SimHandle, prefix: &str, log: &Path, pairs: &[(RepoId, RepoId)]) -> Child {
    work_process_with(sim, prefix, log, pairs, &[])
}

/// A `work` process like [`work_process`], with more `LSB__...` settings.
pub(crate) fn work_process_with(sim: &SimHandle, prefix: &str, log: &Path, pairs: &[(RepoId, RepoId)], env: &[(&str, &str)]) -> Child {
    let links = links_file(log, pairs);
    Command::new(env!("CARGO_BIN_EXE_lora-space-bot"))
        .args(["--config", concat!(env!("CARGO_MANIFEST_DIR"), "/config/test.toml"), "--config", links.to_str().expect("utf-8"), "work"])
        .env("HF_ENDPOINT", sim.base_url().as_str())
        .env("HF_TOKEN", BOT_TOKEN)
        .env("WEBHOOK_SECRET", SECRET)
        .env("LSB_SIGNING_KEY", SIGNING_KEY)
        .env("AMQP_URL", amqp_url())
        .env("LSB__AMQP__PREFIX", prefix)
        .env("LSB__TELEMETRY__FORMAT", "json")
        .env("LSB__TELEMETRY__FILTER", "lora_space_bot=info")
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log).expect("log file"))
        .spawn()
        .expect("spawn work")
}

pub(crate) fn seed_pair(sim: &SimHandle, i: usize) -> (RepoId, RepoId) {
    let lora = id(&format!("tkato/corgi-{i}"));
    let space = id(&format!("tkato/corgi-demo-{i}"));
    let files = BTreeMap::from([("README.md".to_owned(), CORGI_CARD.as_bytes().to_vec()), ("pytorch_lora_weights.safetensors".to_owned(), vec![1, 2, 3])]);
    sim.seed_repo(RepoType::Model, &lora, files, false);
    sim.seed_repo(RepoType::Space, &space, BTreeMap::from([("README.md".to_owned(), b"---\nsdk: gradio\n---\n".to_vec())]), false);
    (lora, space)
}

pub(crate) fn push(sim: &SimHandle, lora: &RepoId, trigger: &str) -> lora_space_bot::domain::CommitSha {
    let card = CORGI_CARD.replace("a photo of TOK corgi", trigger);
    sim.commit_as("tkato", RepoType::Model, lora, BTreeMap::from([("README.md".to_owned(), card.into_bytes())]), "new trigger")
}

async fn setup(name: &str, pairs: usize) -> (SimHandle, Vec<(RepoId, RepoId)>, TestReceiver) {
    let sim = spawn_sim().await;
    sim.add_user("tkato", "hf_tkato");
    sim.add_user("black-forest-labs", "hf_bfl");
    let seeded: Vec<_> = (0..pairs).map(|i| seed_pair(&sim, i)).collect();
    let links: Vec<(String, String)> = seeded.iter().map(|(l, s)| (l.to_string(), s.to_string())).collect();
    let link_refs: Vec<(&str, &str)> = links.iter().map(|(l, s)| (l.as_str(), s.as_str())).collect();
    let receiver = spawn_receiver(&amqp_url(), &link_refs, topology(&unique_prefix(name), 2)).await;
    let owner = hub_client(&sim, "hf_tkato");
    for (lora, _) in &seeded {
        let spec = WebhookSpec {
            watched: vec![WatchedItem { kind: "model".into(), name: lora.to_string() }],
            url: format!("{}/webhooks/hub", receiver.url),
            domains: vec![WebhookDomain::Repo],
            secret: Some(SECRET.into()),
        };
        owner.create_webhook(&spec).await.expect("webhook");
    }
    (sim, seeded, receiver)
}

/// `(space, start, end)` of every job in a JSON log, from its "job started"/"job done" lines.
pub(crate) fn job_intervals(log: &str) -> Vec<(String, String, String)> {
    let mut open: HashMap<String, String> = HashMap::new();
    let mut out = Vec::new();
    for line in log.lines().filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok()) {
        let (Some(msg), Some(ts), Some(space)) = (line["message"].as_str(), line["timestamp"].as_str(), line["span"]["space"].as_str()) else { continue };
        match msg {
            "job started" => {
                open.insert(space.to_owned(), ts.to_owned());
            }
            "job done" | "job not done" => {
                if let Some(start) = open.remove(space) {
                    out.push((space.to_owned(), start, ts.to_owned()));
                }
            }
            _ => {}
        }
    }
    out
}

#[tokio::test]
async fn fifty_webhooks_for_ten_spaces_on_three_worker_processes_leave_ten_prs_at_the_newest_heads_without_overlap() {
    let (sim, pairs, receiver) = setup("three-workers", 10).await;
    let dir = tempfile::tempdir().expect("tmp");
    let logs: Vec<_> = (0..3).map(|i| dir.path().join(format!("work-{i}.log"))).collect();
    let mut workers: Vec<Child> = logs.iter().map(|l| work_process(&sim, &receiver.topology.prefix, l, &pairs)).collect();

    let mut newest = HashMap::new();
    for round in 0..5 {
        for (lora, space) in &pairs {
            newest.insert(space.clone(), push(&sim, lora, &format!("a photo of TOK corgi round {round}")));
        }
    }
    assert!(sim.wait_until(Duration::from_secs(30), |s| s.deliveries().iter().filter(|d| d.status == Some(202)).count() == 50).await, "50 webhooks accepted");
    let settled = sim
        .wait_until(Duration::from_secs(90), |s| {
            newest.iter().all(|(space, sha)| {
                let prs: Vec<_> = s.discussions(RepoType::Space, space).into_iter().filter(|d| d.is_pull_request).collect();
                prs.len() == 1 && prs[0].title.ends_with(sha.short())
            })
        })
        .await;
    let _ = tokio::time::timeout(Duration::from_secs(20), async {
        while shard_depth(&receiver.topology).await > 0 {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    for w in &mut workers {
        let _ = Command::new("kill").args(["-TERM", &w.id().to_string()]).status();
    }
    for w in &mut workers {
        let _ = w.wait();
    }
    assert!(settled, "every Space has exactly one bot PR at its LoRA's newest head");

    let mut intervals: Vec<(String, String, String)> = logs.iter().flat_map(|l| job_intervals(&std::fs::read_to_string(l).unwrap_or_default())).collect();
    assert!(intervals.len() >= 10, "the workers logged their jobs: {}", intervals.len());
    intervals.sort();
    for pair in intervals.windows(2) {
        let ((s1, _, end1), (s2, start2, _)) = (&pair[0], &pair[1]);
        if s1 == s2 {
            assert!(end1 <= start2, "jobs for {s1} overlapped: {:?} and {:?}", pair[0], pair[1]);
        }
    }
    let busy = logs.iter().filter(|l| std::fs::read_to_string(l).unwrap_or_default().contains("job started")).count();
    assert!(busy >= 1, "at least one worker process did work");
}

#[tokio::test]
async fn sigterm_lets_the_in_flight_job_finish_and_the_worker_exits_zero() {
    let (sim, pairs, receiver) = setup("sigterm", 1).await;
    let dir = tempfile::tempdir().expect("tmp");
    let log = dir.path().join("work.log");
    let mut worker = work_process(&sim, &receiver.topology.prefix, &log, &pairs);
    sim.inject(FaultRule::new(Some("POST"), "/api/spaces/*/commit/*", Fault::Latency(Duration::from_secs(3))));
    let (lora, space) = &pairs[0];
    push(&sim, lora, "a photo of TOK corgi, slow");
    let started = eventually(Duration::from_secs(30), || async { std::fs::read_to_string(&log).unwrap_or_default().contains("job started") }).await;
    assert!(started, "the worker picked the job up");
    tokio::time::sleep(Duration::from_millis(800)).await;
    let _ = Command::new("kill").args(["-TERM", &worker.id().to_string()]).status();
    let status = tokio::task::spawn_blocking(move || worker.wait()).await.expect("join").expect("wait");
    assert!(status.success(), "exit status {status:?}; log:\n{}", std::fs::read_to_string(&log).unwrap_or_default());
    let prs: Vec<_> = sim.discussions(RepoType::Space, space).into_iter().filter(|d| d.is_pull_request).collect();
    assert_eq!(prs.len(), 1, "the in-flight job finished before exit");
    assert_eq!(shard_depth(&receiver.topology).await, 0, "and was acked");
}

#[tokio::test]
async fn sigkill_after_the_pr_commit_but_before_the_ack_redelivers_the_job_and_still_leaves_one_pr() {
    let (sim, pairs, receiver) = setup("sigkill", 1).await;
    let dir = tempfile::tempdir().expect("tmp");
    let log = dir.path().join("work-1.log");
    let mut first = work_process(&sim, &receiver.topology.prefix, &log, &pairs);
    // The commit opens the PR at once, but its answer is held: the worker never acks.
    sim.inject(FaultRule::new(Some("POST"), "/api/spaces/*/commit/*", Fault::LatencyAfter(Duration::from_secs(30))));
    let (lora, space) = &pairs[0];
    push(&sim, lora, "a photo of TOK corgi, killed");
    let pr_opened = sim.wait_until(Duration::from_secs(30), |s| s.discussions(RepoType::Space, space).iter().any(|d| d.is_pull_request)).await;
    assert!(pr_opened, "the commit reached the Hub");
    first.kill().expect("SIGKILL");
    let _ = first.wait();
    sim.clear_faults();

    let log2 = dir.path().join("work-2.log");
    let mut second = work_process(&sim, &receiver.topology.prefix, &log2, &pairs);
    let redelivered = eventually(Duration::from_secs(60), || async { std::fs::read_to_string(&log2).unwrap_or_default().contains("job done") }).await;
    let _ = Command::new("kill").args(["-TERM", &second.id().to_string()]).status();
    let _ = second.wait();
    assert!(redelivered, "the unacked job was redelivered to the next worker; log:\n{}", std::fs::read_to_string(&log2).unwrap_or_default());
    let prs: Vec<_> = sim.discussions(RepoType::Space, space).into_iter().filter(|d| d.is_pull_request).collect();
    assert_eq!(prs.len(), 1, "still exactly one PR: {prs:?}");
    assert!(std::fs::read_to_string(&log2).unwrap_or_default().contains("already up to date"), "the redelivered job found its PR");
    assert_eq!(shard_depth(&receiver.topology).await, 0);
}
