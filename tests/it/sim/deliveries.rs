//! Webhook deliveries: payload fields, secrets, domains, event order.

use lora_space_bot::domain::RepoType;
use lora_space_bot::hub::Secret;

use super::{WAIT, client, files, receiver, rid, spawn_sim};

#[tokio::test]
async fn a_commit_to_a_watched_repo_is_delivered_with_secret_head_sha_and_updated_refs() {
    let sim = spawn_sim().await;
    let id = rid("sim-user/lora");
    let old = sim.seed_repo(RepoType::Model, &id, files(&[("a", "1")]), false);
    let api = client(&sim, Some(sim.token()));
    let url = receiver().await;
    let spec = lora_space_bot::hub::WebhookSpec {
        watched: vec![lora_space_bot::hub::WatchedItem { kind: "model".into(), name: id.to_string() }],
        url: url.clone(),
        domains: vec![lora_space_bot::hub::WebhookDomain::Repo],
        secret: Some(Secret::new("s3cret")),
    };
    api.create_webhook(&spec).await.expect("webhook created");
    let new = sim.commit_as("sim-user", RepoType::Model, &id, files(&[("a", "2")]), "update");
    let got = sim.wait_for_deliveries(1, WAIT).await;
    assert_eq!(got.len(), 1);
    let d = &got[0];
    assert_eq!((d.url.as_str(), d.secret.as_deref(), d.status), (url.as_str(), Some("s3cret"), Some(200)));
    assert_eq!(d.scope(), "repo.content");
    assert_eq!(d.payload["event"]["action"], "update");
    assert_eq!(d.payload["repo"]["headSha"], new.as_str());
    assert_eq!(d.payload["repo"]["name"], id.to_string());
    assert_eq!(d.payload["updatedRefs"][0]["ref"], "refs/heads/main");
    assert_eq!(d.payload["updatedRefs"][0]["oldSha"], old.as_str());
    assert_eq!(d.payload["updatedRefs"][0]["newSha"], new.as_str());
    assert_eq!(d.payload["webhook"]["version"], 3);
}

#[tokio::test]
async fn discussion_events_reach_discussion_domain_hooks_but_not_repo_only_hooks() {
    let sim = spawn_sim().await;
    let id = rid("sim-user/lora");
    sim.seed_repo(RepoType::Model, &id, files(&[("a", "1")]), false);
    let api = client(&sim, Some(sim.token()));
    let url = receiver().await;
    let watched = vec![lora_space_bot::hub::WatchedItem { kind: "model".into(), name: id.to_string() }];
    for domain in [lora_space_bot::hub::WebhookDomain::Discussion, lora_space_bot::hub::WebhookDomain::Repo] {
        let spec = lora_space_bot::hub::WebhookSpec { watched: watched.clone(), url: url.clone(), domains: vec![domain], secret: None };
        api.create_webhook(&spec).await.expect("created");
    }
    let num = api.create_discussion(RepoType::Model, &id, "A question", "hello", false).await.expect("created");
    api.comment(RepoType::Model, &id, num, "a reply").await.expect("commented");
    let got = sim.wait_for_deliveries(2, WAIT).await;
    let scopes: Vec<&str> = got.iter().map(|d| d.scope()).collect();
    assert_eq!(scopes, ["discussion", "discussion.comment"]);
    assert_eq!(got[0].payload["comment"]["content"], "hello", "creation carries the first comment");
    let comment = &got[1];
    assert_eq!(comment.payload["comment"]["content"], "a reply");
    assert_eq!(comment.payload["discussion"]["num"], num);
    assert!(comment.payload["repo"].get("headSha").is_none());
}

#[tokio::test]
async fn opening_a_pr_by_commit_delivers_discussion_create_and_the_new_pr_ref() {
    let sim = spawn_sim().await;
    let id = rid("sim-user/demo");
    sim.seed_repo(RepoType::Space, &id, files(&[("app.py", "v1")]), false);
    let api = client(&sim, Some(sim.token()));
    let url = receiver().await;
    let watched = vec![lora_space_bot::hub::WatchedItem { kind: "space".into(), name: id.to_string() }];
    let domains = vec![lora_space_bot::hub::WebhookDomain::Repo, lora_space_bot::hub::WebhookDomain::Discussion];
    api.create_webhook(&lora_space_bot::hub::WebhookSpec { watched, url, domains, secret: None }).await.expect("webhook");
    let req = lora_space_bot::hub::CommitRequest {
        summary: "Bot update".into(),
        description: String::new(),
        parent_commit: None,
        operations: vec![lora_space_bot::hub::CommitOperation::Upload { path: "app.py".into(), content: bytes::Bytes::from_static(b"v2") }],
    };
    let out = api.commit(RepoType::Space, &id, lora_space_bot::hub::CommitTarget::NewPullRequest, &req).await.expect("pr");
    let got = sim.wait_for_deliveries(2, WAIT).await;
    assert_eq!(got.iter().map(|d| d.scope()).collect::<Vec<_>>(), ["discussion", "repo.content"], "delivered in event order");
    let created = &got[0];
    assert_eq!((created.payload["event"]["action"].as_str(), created.payload["discussion"]["isPullRequest"].as_bool()), (Some("create"), Some(true)));
    assert_eq!(created.payload["discussion"]["status"], "open");
    let content = got.iter().find(|d| d.scope() == "repo.content").expect("content delivery");
    assert_eq!(content.payload["updatedRefs"][0]["ref"], "refs/pr/1");
    assert!(content.payload["updatedRefs"][0]["oldSha"].is_null());
    assert_eq!(content.payload["updatedRefs"][0]["newSha"], out.commit.as_str());
}

#[tokio::test]
async fn a_visibility_change_is_delivered_as_repo_config_with_updated_config() {
    let sim = spawn_sim().await;
    let id = rid("sim-user/lora");
    sim.seed_repo(RepoType::Model, &id, files(&[("a", "1")]), false);
    let api = client(&sim, Some(sim.token()));
    let watched = vec![lora_space_bot::hub::WatchedItem { kind: "model".into(), name: id.to_string() }];
    let spec = lora_space_bot::hub::WebhookSpec { watched, url: receiver().await, domains: vec![lora_space_bot::hub::WebhookDomain::Repo], secret: None };
    api.create_webhook(&spec).await.expect("webhook");
    let url = sim.base_url().join("api/models/sim-user/lora/settings").expect("url");
    let r = reqwest::Client::new().put(url).bearer_auth(sim.token()).json(&serde_json::json!({ "visibility": "private" })).send().await.expect("put");
    assert_eq!(r.status(), 200);
    let got = sim.wait_for_deliveries(1, WAIT).await;
    assert_eq!(got[0].scope(), "repo.config");
    assert_eq!(got[0].payload["updatedConfig"], serde_json::json!({ "private": true }));
    assert_eq!(got[0].payload["repo"]["private"], true);
}
