//! Faults lose nothing: Hub error storms are retried (honouring Retry-After), permanent
//! errors are dead-lettered with their reason and can be replayed.

use std::time::Duration;

use lora_space_bot::queue::{Outcome, dead};
use lora_space_bot::sim::{Fault, FaultRule};
use lora_space_bot::worker::WorkerPolicy;

use crate::helpers::*;

#[tokio::test]
async fn a_500_then_429_storm_on_the_commit_route_is_retried_honouring_retry_after_then_succeeds() {
    let w = LoraWorld::new("storm").await;
    w.sim.inject(FaultRule::new(Some("POST"), "/api/spaces/*/commit/*", Fault::Status(500)));
    w.sim.inject(FaultRule::new(Some("POST"), "/api/spaces/*/commit/*", Fault::RateLimited { retry_after_secs: 2 }));
    let mut done = spawn_worker_with(&w.sim, w.broker(), &w.receiver.shutdown, WorkerPolicy { max_attempts: 6, ..Default::default() }).await;
    w.push_card("\nstorm\n");

    let (_, first) = next_outcome(&mut done, Duration::from_secs(30)).await;
    assert!(matches!(first, Outcome::Retry { .. }), "500 on create_pr: retried as a job, not blindly: {first:?}");
    let (_, second) = next_outcome(&mut done, Duration::from_secs(30)).await;
    let Outcome::Retry { after, .. } = second else { panic!("429 must be retried: {second:?}") };
    assert!(after >= Duration::from_secs(2), "Retry-After honoured: {after:?}");
    let (job, third) = next_outcome(&mut done, Duration::from_secs(30)).await;
    assert_eq!(third, Outcome::Done);
    assert_eq!(job.attempt, 2);

    let commits: Vec<_> = w.sim.calls().into_iter().filter(|c| c.method == "POST" && c.path.contains("/commit/")).map(|c| c.status).collect();
    assert_eq!(commits, vec![Some(500), Some(429), Some(200)], "each attempt sent the create_pr commit once");
    assert_eq!(w.prs().len(), 1, "exactly one PR after the storm");
}

#[tokio::test]
async fn a_missing_lora_is_dead_lettered_with_its_reason_and_replay_brings_it_back() {
    let sim = spawn_sim().await;
    let topo = topology(&unique_prefix("dead"), 2);
    let r = spawn_receiver(&amqp_url(), &[("tkato/gone-lora", "tkato/some-space")], topo.clone()).await;
    let mut done = spawn_worker(&sim, lora_space_bot::queue::Broker::Amqp(r.broker.clone()), &r.shutdown).await;
    let payload = serde_json::json!({
        "event": {"action": "update", "scope": "repo.content"},
        "repo": {"type": "model", "name": "tkato/gone-lora", "id": "x", "private": false, "url": {"web": "w"}, "owner": {"id": "o"}, "headSha": "575db8b7a51b6f85eb06eee540738584589f131c"},
        "updatedRefs": [{"ref": "refs/heads/main", "oldSha": null, "newSha": "575db8b7a51b6f85eb06eee540738584589f131c"}],
        "webhook": {"id": "w", "version": 3}
    });
    let resp = reqwest::Client::new().post(format!("{}/webhooks/hub", r.url)).header("X-Webhook-Secret", SECRET).json(&payload).send().await.expect("post");
    assert_eq!(resp.status(), reqwest::StatusCode::ACCEPTED);
    let (job, outcome) = next_outcome(&mut done, Duration::from_secs(30)).await;
    let Outcome::DeadLetter { reason } = outcome else { panic!("404 LoRA is permanent: {outcome:?}") };
    assert!(reason.contains("tkato/gone-lora") && reason.contains("not found"), "{reason}");

    let key = SIGNING_KEY.as_bytes();
    assert!(eventually(Duration::from_secs(5), || async { dead::list(&r.broker, &amqp_url(), key, 10).await.map(|l| l.len()).unwrap_or(0) == 1 }).await);
    let letters = dead::list(&r.broker, &amqp_url(), key, 10).await.expect("list");
    assert_eq!(letters[0].id, job.id);
    assert!(letters[0].reason.contains("not found"), "{}", letters[0].reason);
    assert_eq!(letters[0].job.as_ref().map(|j| j.lora.to_string()).as_deref(), Some("tkato/gone-lora"));

    let replayed = dead::replay(&r.broker, &amqp_url(), key, Some(std::slice::from_ref(&job.id))).await.expect("replay");
    assert_eq!(replayed, vec![job.id.clone()]);
    let (again, _) = next_outcome(&mut done, Duration::from_secs(30)).await;
    assert_eq!(again.id, job.id);
    assert_eq!(again.reason, "replay");
    assert_eq!(again.attempt, 0);
}
