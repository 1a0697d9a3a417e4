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

#[tokio::test]
async fn a_broker_outage_mid_run_gives_503_while_down_and_every_accepted_job_ends_done() {
    let proxy = CuttableProxy::start().await;
    let w = LoraWorld::build("outage-run", Duration::ZERO, &proxy.url()).await;
    let mut done = spawn_worker_with(&w.sim, w.broker(), &w.receiver.shutdown, WorkerPolicy { max_attempts: 6, ..Default::default() }).await;
    let mut last = None;
    for i in 0..30 {
        if i == 10 {
            proxy.cut();
            assert!(eventually(Duration::from_secs(5), || async { !w.receiver.broker.is_ready() }).await);
        }
        if i == 20 {
            proxy.restore();
            assert!(w.receiver.broker.wait_ready(Duration::from_secs(15)).await, "broker back");
        }
        last = Some(w.push_trigger(&format!("a photo of TOK corgi take {i}")));
        assert!(w.sim.wait_until(Duration::from_secs(10), |s| s.deliveries().len() == i + 1 && s.deliveries()[i].status.is_some()).await, "delivery {i} answered");
    }
    let statuses: Vec<Option<u16>> = w.sim.deliveries().iter().map(|d| d.status).collect();
    assert!(statuses[10..20].iter().all(|s| *s == Some(503)), "503 while the broker is away: {statuses:?}");
    assert!(statuses[..10].iter().chain(&statuses[20..]).all(|s| *s == Some(202)), "{statuses:?}");

    // Every accepted job (20 of them) is finished: none vanished in the outage.
    let mut finished = std::collections::HashSet::new();
    while finished.len() < 20 {
        let (job, outcome) = next_outcome(&mut done, Duration::from_secs(60)).await;
        if outcome == Outcome::Done {
            finished.insert(job.id);
        }
    }
    let prs = w.prs();
    assert_eq!(prs.len(), 1, "{prs:?}");
    let newest = last.expect("pushed").short().to_owned();
    assert!(prs[0].title.ends_with(&newest), "PR follows the newest head {newest}: {}", prs[0].title);
}
