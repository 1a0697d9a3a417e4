//! A linked LoRA moved (renamed / transferred) on the Hub, as the simulator does it
//! (`POST /api/repos/move`, src/sim/routes/moves.rs): the Hub sends the LoRA's webhook one
//! `repo` `move` event naming the new name; the receiver tells the operator what to change and
//! enqueues nothing; downloads of the old name redirect, API calls on it fail, and the webhook,
//! which watches the old name, hears nothing of the moved repo's next push.

use std::time::Duration;

use lora_space_bot::domain::RepoType;
use lora_space_bot::hub::HubError;
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn a_moved_lora_is_reported_as_a_stale_link_and_nothing_is_enqueued() {
    let w = LoraWorld::new("moved").await;
    let new_name = id("tkato/corgi-lora-v2");
    let resp = reqwest::Client::new()
        .post(format!("{}api/repos/move", w.sim.base_url()))
        .bearer_auth("hf_tkato")
        .json(&json!({ "fromRepo": w.lora.to_string(), "toRepo": new_name.to_string(), "type": "model" }))
        .send()
        .await
        .expect("move");
    assert_eq!(resp.status(), reqwest::StatusCode::OK);

    let deliveries = w.sim.wait_for_deliveries(1, Duration::from_secs(10)).await;
    assert_eq!(deliveries.len(), 1, "{deliveries:?}");
    let d = &deliveries[0];
    assert_eq!((d.payload["event"]["scope"].as_str(), d.payload["event"]["action"].as_str()), (Some("repo"), Some("move")));
    assert_eq!(d.payload["repo"]["name"], w.lora.to_string(), "sent under the old name");
    assert_eq!(d.payload["movedTo"]["name"], new_name.to_string());
    assert_eq!(d.status, Some(202));

    // Replayed by hand, the receiver's answer names the new name and what to do.
    let body: serde_json::Value = reqwest::Client::new()
        .post(format!("{}/webhooks/hub", w.receiver.url))
        .header("X-Webhook-Secret", SECRET)
        .json(&d.payload)
        .send()
        .await
        .expect("replay")
        .json()
        .await
        .expect("json");
    let reason = body["ignored"].as_str().unwrap_or_default();
    assert!(reason.contains("lora = \"tkato/corgi-lora-v2\"") && reason.contains("webhook register --lora tkato/corgi-lora-v2"), "{body}");
    let metrics = w.receiver.metrics.render();
    assert!(metrics.contains("lsb_webhooks_total{outcome=\"stale_link\"} 2"), "{metrics}");
    assert_eq!(shard_depth(&w.receiver.topology).await, 0, "a stale link enqueues nothing");

    // Downloads of the old name follow the Hub's relative redirect; API calls on it fail.
    let hub = hub_client(&w.sim, "hf_tkato");
    let card = hub.download_text(RepoType::Model, &w.lora, "main", "README.md").await.expect("download").expect("card");
    assert!(card.contains("corgi"), "{card}");
    let err = hub.model_info(&w.lora, None).await.expect_err("the old name is gone from the API");
    assert!(matches!(err, HubError::NotFound { .. }), "{err:?}");

    // The webhook watches the old name: the moved repo's next push is not delivered.
    w.sim.commit_as("tkato", RepoType::Model, &new_name, std::collections::BTreeMap::from([("notes.md".to_owned(), b"v2".to_vec())]), "after the move");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(w.sim.deliveries().len(), 1, "no delivery after the move");
}

#[tokio::test]
async fn moving_needs_write_access_and_a_free_name_in_the_callers_namespace() {
    let w = LoraWorld::new("move-rules").await;
    w.sim.add_user("mallory", "hf_mallory");
    let mv = |token: &'static str, to: &str| {
        let (url, from, to) = (format!("{}api/repos/move", w.sim.base_url()), w.lora.to_string(), to.to_owned());
        async move { reqwest::Client::new().post(url).bearer_auth(token).json(&json!({ "fromRepo": from, "toRepo": to })).send().await.expect("move").status().as_u16() }
    };
    assert_eq!(mv("hf_mallory", "mallory/stolen").await, 403, "only a writer may move it");
    assert_eq!(mv("hf_tkato", "black-forest-labs/corgi").await, 403, "not into another namespace");
    w.sim.seed_repo(RepoType::Model, &id("tkato/taken"), Default::default(), false);
    assert_eq!(mv("hf_tkato", "tkato/taken").await, 409, "the new name is taken");
    assert!(w.sim.deliveries().is_empty(), "a refused move sends nothing");
}
