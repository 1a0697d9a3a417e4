//! The Hub's rate limits (hub-constraints.md §2) against a real worker: a job that runs into
//! the quota waits for the reset the `RateLimit` header names and succeeds; a wait beyond the
//! client's budget goes back to the queue (then, out of attempts, to the dead letters).

use std::time::{Duration, Instant};

use lora_space_bot::queue::Outcome;
use lora_space_bot::sim::RateLimits;
use lora_space_bot::worker::WorkerPolicy;

use crate::helpers::*;

/// The calls of the job run, as `(method path, status)`.
fn calls(w: &LoraWorld) -> Vec<(String, Option<u16>)> {
    w.sim.calls().into_iter().map(|c| (format!("{} {}", c.method, c.path), c.status)).collect()
}

#[tokio::test]
async fn a_job_over_a_tiny_quota_waits_for_the_window_reset_and_succeeds_without_dead_letters() {
    let w = LoraWorld::new("ratelimit-ok").await;
    // A job makes 6 api calls (info, tree, Space info, Space tree, discussions, the PR commit;
    // the worker's start-up whoami makes 7) and 4 resolver calls (two READMEs, the weights'
    // header, the base card): both quotas run out within 2 s windows.
    w.sim.set_rate_limits(RateLimits { api: Some(4), resolvers: Some(1), window: Duration::from_secs(2) });
    w.sim.clear_calls();
    let metrics = lora_space_bot::metrics::Metrics::new();
    let mut done = spawn_worker_metered(&w.sim, w.broker(), &w.receiver.shutdown, WorkerPolicy { max_attempts: 6, ..Default::default() }, metrics.clone()).await;
    let started = Instant::now();
    w.push_card("\nrate limited\n");

    let mut outcomes = Vec::new();
    loop {
        let (job, outcome) = next_outcome(&mut done, Duration::from_secs(90)).await;
        eprintln!("attempt {}: {outcome:?} at {:?}", job.attempt, started.elapsed());
        let finished = !matches!(outcome, Outcome::Retry { .. });
        outcomes.push(outcome);
        if finished {
            break;
        }
    }
    let took = started.elapsed();
    let log = calls(&w);
    let limited: Vec<&(String, Option<u16>)> = log.iter().filter(|(_, s)| *s == Some(429)).collect();
    eprintln!("{} calls, {} answered 429, in {took:?}: {limited:?}", log.len(), limited.len());
    assert_eq!(outcomes.last(), Some(&Outcome::Done), "{outcomes:?} {log:?}");
    assert!(!limited.is_empty(), "the tiny quotas were reached: {log:?}");
    assert!(limited.iter().any(|(c, _)| c.contains("/resolve/")) && limited.iter().any(|(c, _)| c.contains("/api/")), "both buckets: {limited:?}");
    assert_eq!(w.prs().len(), 1, "one PR opened");
    // The client's own backoff starts at 20 ms and doubles (4 retries, under half a second in
    // all), within one 2 s window: a blind retry would get 429 again. Only waiting for the
    // `t=` the 429 named reaches the next window, so the same call never gets two 429s running.
    for (i, (call, status)) in log.iter().enumerate() {
        if *status == Some(429) {
            let next = log[i + 1..].iter().find(|(c, _)| c == call).map(|(_, s)| *s);
            assert!(matches!(next, Some(Some(200..=299))), "after the 429 of {call}, the next try succeeded: {next:?} ({log:?})");
        }
    }
    assert!(took >= Duration::from_secs(1), "waited for a reset (t >= 1 s): {took:?}");
    let text = metrics.render();
    let metered: u64 = text.lines().filter(|l| l.starts_with("lsb_hub_calls_total") && l.contains("status=\"429\"")).filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok()).sum();
    assert_eq!(metered as usize, limited.len(), "metrics count every 429: {text}");
    assert!(text.lines().any(|l| l == "lsb_dead_letters_total 0"), "nothing dead-lettered: {text}");
}

/// A job under a Hub-sized window (300 s) with a quota it cannot finish within: the reset is
/// further than the client's `max_retry_wait` (60 s), so the client gives the 429 back at once.
async fn over_the_wait_budget(name: &str, max_attempts: u32) -> (LoraWorld, Outcome) {
    let w = LoraWorld::new(name).await;
    w.sim.set_rate_limits(RateLimits { api: Some(2), resolvers: None, window: Duration::from_secs(300) });
    w.sim.clear_calls();
    let mut done = spawn_worker_with(&w.sim, w.broker(), &w.receiver.shutdown, WorkerPolicy { max_attempts, ..Default::default() }).await;
    w.push_card("\nlong wait\n");
    let (job, outcome) = next_outcome(&mut done, Duration::from_secs(30)).await;
    eprintln!("job attempt {} outcome {outcome:?}", job.attempt);
    let limited = calls(&w).into_iter().filter(|(_, s)| *s == Some(429)).count();
    assert_eq!(limited, 1, "no retry within the client, the wait is over its budget: {:?}", calls(&w));
    (w, outcome)
}

#[tokio::test]
async fn a_reset_beyond_the_clients_wait_budget_sends_the_job_back_to_the_queue_for_after_the_reset() {
    let (_w, outcome) = over_the_wait_budget("ratelimit-later", 3).await;
    let Outcome::Retry { after, error } = outcome else { panic!("attempts left: a delayed retry, got {outcome:?}") };
    assert!(after > Duration::from_secs(60) && after <= Duration::from_secs(301), "retried after the named reset (+1 s): {after:?}");
    assert!(error.contains("quota of 2 api requests per 5 minutes period"), "{error}");
}

#[tokio::test]
async fn a_reset_beyond_the_clients_wait_budget_on_the_last_attempt_is_dead_lettered_with_the_quota_in_the_reason() {
    let (_w, outcome) = over_the_wait_budget("ratelimit-dead", 1).await;
    let Outcome::DeadLetter { reason } = outcome else { panic!("out of attempts: dead letter, got {outcome:?}") };
    assert!(reason.starts_with("gave up after 1 attempts: "), "{reason}");
    assert!(reason.contains("rate limited") && reason.contains("429") && reason.contains("quota of 2 api requests per 5 minutes period"), "{reason}");
}
