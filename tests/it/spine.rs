//! The spine end to end: the simulator fires a real webhook when the LoRA changes; the receiver
//! publishes to RabbitMQ; a worker opens exactly one PR on the Space; main is never written.

use std::time::Duration;

use lora_space_bot::domain::RepoType;
use lora_space_bot::queue::Outcome;

use crate::helpers::*;

#[tokio::test]
async fn lora_update_webhook_opens_exactly_one_pr_with_three_files_and_main_unchanged() {
    let w = LoraWorld::new("spine").await;
    let main_before = w.sim.head(RepoType::Space, &w.space, "main").expect("main");
    let mut done = spawn_worker(&w.sim, w.broker(), &w.receiver.shutdown).await;

    w.push_card("\nMore examples soon.\n");
    let (job, outcome) = next_outcome(&mut done, Duration::from_secs(30)).await;
    assert_eq!(outcome, Outcome::Done);
    assert_eq!(job.space, w.space);

    let prs = w.prs();
    assert_eq!(prs.len(), 1, "{prs:?}");
    assert_eq!(prs[0].author, BOT);
    let rev = format!("refs/pr/{}", prs[0].num);
    for f in ["app.py", "requirements.txt", "README.md"] {
        assert!(w.sim.file(RepoType::Space, &w.space, &rev, f).is_some(), "{f} missing from the PR");
    }
    let app = String::from_utf8(w.sim.file(RepoType::Space, &w.space, &rev, "app.py").expect("app.py").to_vec()).expect("utf8");
    assert!(app.contains("FluxPipeline") && app.contains("pytorch_lora_weights.safetensors"), "{app}");
    assert_eq!(w.sim.head(RepoType::Space, &w.space, "main"), Some(main_before), "main must not move");
}

#[tokio::test]
async fn the_same_webhook_delivered_twice_still_yields_one_pr() {
    let w = LoraWorld::new("replay").await;
    let mut done = spawn_worker(&w.sim, w.broker(), &w.receiver.shutdown).await;
    w.push_card("\nv2\n");
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
    assert_eq!(w.prs().len(), 1);
}
