//! The receiver against a real RabbitMQ, driven over HTTP exactly as the Hub drives it.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::*;

const PAYLOAD: &str = include_str!("../../../shared/fixtures/webhooks/repo-content-update.json");
const LORA: &str = "acme-labs/sdxl-lora-watercolor";
const SPACE: &str = "acme-labs/watercolor-demo";

fn payload_with(edit: impl FnOnce(&mut Value)) -> String {
    let mut v: Value = serde_json::from_str(PAYLOAD).expect("fixture");
    edit(&mut v);
    v.to_string()
}

async fn post(url: &str, secret: Option<&str>, body: String) -> (StatusCode, Value) {
    let mut req = reqwest::Client::new().post(format!("{url}/webhooks/hub")).header("content-type", "application/json").body(body);
    if let Some(s) = secret {
        req = req.header("X-Webhook-Secret", s);
    }
    let resp = req.send().await.expect("request");
    let status = resp.status();
    (status, resp.json().await.unwrap_or(Value::Null))
}

async fn linked_receiver(name: &str) -> TestReceiver {
    spawn_receiver(&amqp_url(), &[(LORA, SPACE)], topology(&unique_prefix(name), 2)).await
}

#[tokio::test]
async fn webhook_with_wrong_or_missing_secret_is_rejected_with_401_and_nothing_published() {
    let r = linked_receiver("secret").await;
    assert_eq!(post(&r.url, Some("wrong"), PAYLOAD.into()).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(post(&r.url, None, PAYLOAD.into()).await.0, StatusCode::UNAUTHORIZED);
    let resp = reqwest::Client::new().post(format!("{}/webhooks/hub?secret=wrong", r.url)).body(PAYLOAD).send().await.expect("send");
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(shard_depth(&r.topology).await, 0);
}

#[tokio::test]
async fn secret_in_the_query_string_is_accepted() {
    let r = linked_receiver("query").await;
    let resp = reqwest::Client::new().post(format!("{}/webhooks/hub?secret={SECRET}", r.url)).body(PAYLOAD).send().await.expect("send");
    assert_eq!(resp.status(), StatusCode::ACCEPTED);
    assert_eq!(shard_depth(&r.topology).await, 1);
}

#[tokio::test]
async fn oversized_body_is_rejected_with_413() {
    let r = linked_receiver("big").await;
    let big = payload_with(|v| v["padding"] = "x".repeat(70 * 1024).into());
    assert_eq!(post(&r.url, Some(SECRET), big).await.0, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(shard_depth(&r.topology).await, 0);
}

#[tokio::test]
async fn malformed_json_or_missing_fields_is_rejected_with_400() {
    let r = linked_receiver("malformed").await;
    let (status, body) = post(&r.url, Some(SECRET), "{not json".into()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["error"].as_str().unwrap_or_default().contains("malformed"), "{body}");
    let no_repo = payload_with(|v| {
        v.as_object_mut().expect("object").remove("repo");
    });
    assert_eq!(post(&r.url, Some(SECRET), no_repo).await.0, StatusCode::BAD_REQUEST);
    assert_eq!(shard_depth(&r.topology).await, 0);
}

#[tokio::test]
async fn unlinked_repo_pr_ref_and_unknown_scope_are_acknowledged_and_not_published() {
    let r = linked_receiver("ignored").await;
    let cases = [
        payload_with(|v| v["repo"]["name"] = "someone/unlinked".into()),
        payload_with(|v| v["updatedRefs"][0]["ref"] = "refs/pr/4".into()),
        payload_with(|v| v["event"]["scope"] = "repo.config.dois".into()),
    ];
    for body in cases {
        let (status, resp) = post(&r.url, Some(SECRET), body).await;
        assert_eq!(status, StatusCode::ACCEPTED);
        assert!(resp["ignored"].is_string(), "{resp}");
    }
    assert_eq!(shard_depth(&r.topology).await, 0);
}

#[tokio::test]
async fn valid_update_is_confirmed_with_202_and_its_job_id_on_exactly_the_spaces_shard() {
    let r = linked_receiver("valid").await;
    let (status, body) = post(&r.url, Some(SECRET), PAYLOAD.into()).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let expected = lora_space_bot::domain::job::sync_job_id(&id(LORA), Some(&"575db8b7a51b6f85eb06eee540738584589f131c".parse().expect("sha")), &id(SPACE));
    assert_eq!(body["job_ids"], serde_json::json!([expected]));
    let shard = r.topology.shard_of(&id(SPACE));
    let names: Vec<String> = (0..r.topology.shards).map(|k| r.topology.shard_queue(k)).collect();
    let d = depths(&names).await;
    for (k, n) in d.iter().enumerate() {
        assert_eq!(*n, u32::from(k == usize::from(shard)), "shard {k} depth {n}");
    }
}

#[tokio::test]
async fn broker_unreachable_gives_503_and_the_next_webhook_after_recovery_succeeds() {
    let proxy = CuttableProxy::start().await;
    let r = spawn_receiver(&proxy.url(), &[(LORA, SPACE)], topology(&unique_prefix("outage"), 2)).await;
    proxy.cut();
    assert!(eventually(Duration::from_secs(5), || async { !r.broker.is_ready() }).await, "broker still ready after the cut");
    let (status, _) = post(&r.url, Some(SECRET), PAYLOAD.into()).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    let ready = reqwest::get(format!("{}/readyz", r.url)).await.expect("readyz").status();
    assert_eq!(ready, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(shard_depth(&r.topology).await, 0);

    proxy.restore();
    assert!(r.broker.wait_ready(Duration::from_secs(15)).await, "broker did not come back");
    let (status, _) = post(&r.url, Some(SECRET), PAYLOAD.into()).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(shard_depth(&r.topology).await, 1);
}

#[tokio::test]
async fn metrics_count_webhooks_by_outcome_and_publish_latency() {
    let r = linked_receiver("metrics").await;
    assert_eq!(post(&r.url, Some(SECRET), PAYLOAD.into()).await.0, StatusCode::ACCEPTED);
    assert_eq!(post(&r.url, Some("nope"), PAYLOAD.into()).await.0, StatusCode::UNAUTHORIZED);
    let text = reqwest::get(format!("{}/metrics", r.url)).await.expect("metrics").text().await.expect("text");
    for needle in ["lsb_webhooks_total{outcome=\"accepted\"} 1", "lsb_webhooks_total{outcome=\"unauthorized\"} 1", "lsb_publish_seconds_count 1"] {
        assert!(text.contains(needle), "{needle} missing from\n{text}");
    }
    // The depth poller reads the real broker: the accepted job waits on its shard.
    r.broker.watch_depths(r.metrics.clone(), Duration::from_millis(100));
    let shard = r.topology.shard_queue(r.topology.shard_of(&id(SPACE)));
    let needle = format!("lsb_queue_depth{{queue=\"{shard}\"}} 1");
    let url = format!("{}/metrics", r.url);
    let seen = eventually(Duration::from_secs(10), || async { reqwest::get(&url).await.expect("metrics").text().await.expect("text").contains(&needle) }).await;
    assert!(seen, "{needle} never appeared");
}

#[tokio::test]
async fn healthz_answers_while_the_process_is_up() {
    let r = linked_receiver("health").await;
    assert_eq!(reqwest::get(format!("{}/healthz", r.url)).await.expect("healthz").status(), StatusCode::OK);
    assert_eq!(reqwest::get(format!("{}/readyz", r.url)).await.expect("readyz").status(), StatusCode::OK);
}
