//! The spine end to end: the simulator fires a real webhook when the LoRA changes; the receiver
//! publishes to RabbitMQ; a worker opens exactly one PR on the Space; main is never written.

use std::collections::BTreeMap;
use std::time::Duration;

use lora_space_bot::domain::{RepoId, RepoType};
use lora_space_bot::hub::{WatchedItem, WebhookDomain, WebhookSpec};
use lora_space_bot::queue::{Broker, Outcome};
use lora_space_bot::sim::SimHandle;

use crate::helpers::*;

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/fixtures/cards/02-flux-dev-dreambooth-corgi");
const BASE_CARD: &str = include_str!("../../demo/base-flux-dev.md");

struct World {
    sim: SimHandle,
    lora: RepoId,
    space: RepoId,
    receiver: TestReceiver,
}

async fn world(name: &str) -> World {
    let sim = spawn_sim().await;
    sim.add_user("black-forest-labs", "hf_bfl");
    sim.seed_repo(RepoType::Model, &id("black-forest-labs/FLUX.1-dev"), BTreeMap::from([("README.md".to_owned(), BASE_CARD.as_bytes().to_vec())]), false);
    sim.add_user("tkato", "hf_tkato");
    let (lora, _) = sim.seed_card_fixture(std::path::Path::new(FIXTURE)).expect("fixture seeds");
    let space = id("tkato/corgi-demo");
    sim.seed_repo(RepoType::Space, &space, BTreeMap::from([("README.md".to_owned(), b"---\nsdk: gradio\n---\n".to_vec())]), false);
    let receiver = spawn_receiver(&amqp_url(), &[(&lora.to_string(), &space.to_string())], topology(&unique_prefix(name), 2)).await;
    let owner = hub_client(&sim, "hf_tkato");
    let spec = WebhookSpec {
        watched: vec![WatchedItem { kind: "model".into(), name: lora.to_string() }],
        url: format!("{}/webhooks/hub", receiver.url),
        domains: vec![WebhookDomain::Repo],
        secret: Some(SECRET.into()),
    };
    owner.create_webhook(&spec).await.expect("webhook registered");
    World { sim, lora, space, receiver }
}

fn push_card(w: &World, text: &str) {
    let mut card = std::fs::read_to_string(format!("{FIXTURE}/README.md")).expect("card");
    card.push_str(text);
    w.sim.commit_as("tkato", RepoType::Model, &w.lora, BTreeMap::from([("README.md".to_owned(), card.into_bytes())]), "Update card");
}

#[tokio::test]
async fn lora_update_webhook_opens_exactly_one_pr_with_three_files_and_main_unchanged() {
    let w = world("spine").await;
    let main_before = w.sim.head(RepoType::Space, &w.space, "main").expect("main");
    let mut done = spawn_worker(&w.sim, Broker::Amqp(w.receiver.broker.clone()), &w.receiver.shutdown).await;

    push_card(&w, "\nMore examples soon.\n");
    let (job, outcome) = next_outcome(&mut done, Duration::from_secs(30)).await;
    assert_eq!(outcome, Outcome::Done);
    assert_eq!(job.space, w.space);

    let prs: Vec<_> = w.sim.discussions(RepoType::Space, &w.space).into_iter().filter(|d| d.is_pull_request).collect();
    assert_eq!(prs.len(), 1, "{prs:?}");
    assert_eq!(prs[0].author, BOT);
    let rev = format!("refs/pr/{}", prs[0].num);
    for f in ["app.py", "requirements.txt", "README.md"] {
        assert!(w.sim.file(RepoType::Space, &w.space, &rev, f).is_some(), "{f} missing from the PR");
    }
    let app = String::from_utf8(w.sim.file(RepoType::Space, &w.space, &rev, "app.py").expect("app.py")).expect("utf8");
    assert!(app.contains("FluxPipeline") && app.contains("pytorch_lora_weights.safetensors"), "{app}");
    assert_eq!(w.sim.head(RepoType::Space, &w.space, "main"), Some(main_before), "main must not move");
}

#[tokio::test]
async fn the_same_webhook_delivered_twice_still_yields_one_pr() {
    let w = world("replay").await;
    let mut done = spawn_worker(&w.sim, Broker::Amqp(w.receiver.broker.clone()), &w.receiver.shutdown).await;
    push_card(&w, "\nv2\n");
    assert_eq!(next_outcome(&mut done, Duration::from_secs(30)).await.1, Outcome::Done);

    let delivery = w.sim.deliveries().into_iter().next().expect("the sim delivered the webhook");
    let resp = reqwest::Client::new()
        .post(format!("{}/webhooks/hub", w.receiver.url))
        .header("X-Webhook-Secret", SECRET)
        .json(&delivery.payload)
        .send()
        .await
        .expect("replay");
    assert_eq!(resp.status(), reqwest::StatusCode::ACCEPTED);
    assert_eq!(next_outcome(&mut done, Duration::from_secs(30)).await.1, Outcome::Done);
    let prs = w.sim.discussions(RepoType::Space, &w.space).into_iter().filter(|d| d.is_pull_request).count();
    assert_eq!(prs, 1);
}
