//! The worker handles every task end to end (simulator + RabbitMQ): each shared card and two
//! local cards (text-to-video, video-to-video) become a PR whose app.py loads the right
//! pipeline class and weights file — or, for a card too thin to decide, one discussion.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use lora_space_bot::domain::{Job, RepoId, RepoType};
use lora_space_bot::queue::{Broker, Outcome};
use lora_space_bot::sim::{SimConfig, SimHandle};
use serde_json::Value;

use crate::helpers::*;

const SHARED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/fixtures/cards");
const LOCAL: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/cards");
const HUB_SEED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/hub");

struct Case {
    lora: RepoId,
    task: Option<String>,
    class: Option<String>,
    weight: Option<String>,
}

fn dirs(root: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root).expect("dir").filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.join("README.md").exists()).collect();
    v.sort();
    v
}

fn seed_shared(sim: &SimHandle, dir: &Path) -> Case {
    let want: Value = serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).expect("expected")).expect("json");
    let lora: RepoId = want["lora_repo"].as_str().expect("repo").parse().expect("id");
    sim.add_user(lora.namespace(), &format!("hf_{}", lora.namespace()));
    sim.seed_card_fixture(dir).expect("seed");
    let s = |k: &str| want[k].as_str().map(str::to_owned);
    Case { lora, task: s("task"), class: s("pipeline_class"), weight: s("weight_name") }
}

fn seed_local(sim: &SimHandle, dir: &Path, expect: (&str, &str, &str)) -> Case {
    let name = dir.file_name().and_then(|n| n.to_str()).expect("name");
    let lora = id(&format!("studio/{name}"));
    sim.add_user("studio", "hf_studio");
    let mut files: BTreeMap<String, Vec<u8>> = std::fs::read_to_string(dir.join("files.txt")).expect("files").lines().map(|p| (p.to_owned(), b"placeholder".to_vec())).collect();
    files.insert("README.md".into(), std::fs::read(dir.join("README.md")).expect("card"));
    sim.seed_repo(RepoType::Model, &lora, files, false);
    Case { lora, task: Some(expect.0.into()), class: Some(expect.1.into()), weight: Some(expect.2.into()) }
}

#[tokio::test]
async fn every_card_becomes_a_tailored_pr_or_one_discussion_asking_for_input() {
    let config = SimConfig {
        user: BOT.into(),
        token: BOT_TOKEN.into(),
        seed: Some(PathBuf::from(HUB_SEED)),
        build_delay: Duration::from_millis(20),
        ..SimConfig::default()
    };
    let sim = lora_space_bot::sim::start(([127, 0, 0, 1], 0).into(), config).await.expect("sim");
    let mut cases: Vec<Case> = dirs(SHARED).iter().map(|d| seed_shared(&sim, d)).collect();
    for d in dirs(LOCAL) {
        let expect = if d.ends_with("t2v-wan21-claymation") {
            ("text-to-video", "WanPipeline", "claymation_wan21_t2v.safetensors")
        } else {
            ("video-to-video", "LTXConditionPipeline", "ltxv_095_watercolor_v2v.safetensors")
        };
        cases.push(seed_local(&sim, &d, expect));
    }
    let tasks: std::collections::HashSet<_> = cases.iter().filter_map(|c| c.task.clone()).collect();
    assert_eq!(tasks.len(), 5, "all five tasks are covered: {tasks:?}");

    let topo = topology(&unique_prefix("tasks"), 2);
    let r = spawn_receiver(&amqp_url(), &[], topo).await;
    let broker = Broker::Amqp(r.broker.clone());
    let mut done = spawn_worker(&sim, broker.clone(), &r.shutdown).await;
    for c in &cases {
        let space = id(&format!("{}-demo", c.lora));
        sim.seed_repo(RepoType::Space, &space, BTreeMap::from([("README.md".to_owned(), b"---\nsdk: gradio\n---\n".to_vec())]), false);
        broker.publish(&Job::sync(c.lora.clone(), None, space, "test", time::OffsetDateTime::now_utc())).await.expect("publish");
    }
    for _ in &cases {
        let (job, outcome) = next_outcome(&mut done, Duration::from_secs(60)).await;
        assert_eq!(outcome, Outcome::Done, "{}", job.lora);
    }
    for c in &cases {
        let space = id(&format!("{}-demo", c.lora));
        let threads = sim.discussions(RepoType::Space, &space);
        match &c.class {
            Some(class) => {
                let pr = threads.iter().find(|d| d.is_pull_request).unwrap_or_else(|| panic!("{}: no PR ({threads:?})", c.lora));
                let app = String::from_utf8_lossy(&sim.file(RepoType::Space, &space, &format!("refs/pr/{}", pr.num), "app.py").expect("app.py")).into_owned();
                assert!(app.contains(&format!("from diffusers import {class}")) || app.contains(&format!(" {class},")) || app.contains(&format!("import {class}")), "{}: {class} not imported", c.lora);
                let weight = c.weight.as_deref().expect("weight");
                assert!(app.contains(&format!("\"{weight}\"")), "{}: weights {weight} not loaded", c.lora);
            }
            None => {
                assert!(threads.iter().all(|d| !d.is_pull_request), "{}: no PR for a thin card", c.lora);
                let ask = threads.iter().find(|d| !d.is_pull_request).unwrap_or_else(|| panic!("{}: no discussion", c.lora));
                assert!(ask.comments.iter().any(|m| m.contains("lora-space.toml")), "{}: the discussion says how to settle it", c.lora);
            }
        }
    }
}
