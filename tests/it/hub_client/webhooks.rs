//! Webhook settings: create, list, get, update (POST), disable, enable, delete.

use lora_space_bot::hub::{HubError, Secret, WatchedItem, WebhookDomain, WebhookSpec};

use crate::sim::{OTHER_TOKEN, client, spawn_sim};

fn spec(name: &str, url: &str) -> WebhookSpec {
    WebhookSpec { watched: vec![WatchedItem { kind: "model".into(), name: name.into() }], url: url.into(), domains: vec![WebhookDomain::Repo], secret: Some(Secret::new("s")) }
}

#[tokio::test]
async fn a_webhook_goes_through_its_whole_lifecycle() {
    let sim = spawn_sim().await;
    let api = client(&sim, Some(sim.token()));
    let created = api.create_webhook(&spec("sim-user/lora", "http://127.0.0.1:9/a")).await.expect("created");
    assert_eq!((created.url.as_deref(), created.disabled), (Some("http://127.0.0.1:9/a"), false));
    assert_eq!(created.secret.as_ref().map(Secret::expose), Some("s"));
    let mut changed = spec("sim-user/other", "http://127.0.0.1:9/b");
    changed.domains = vec![WebhookDomain::Repo, WebhookDomain::Discussion];
    let updated = api.update_webhook(&created.id, &changed).await.expect("updated");
    assert_eq!(updated.watched[0].name, "sim-user/other");
    assert_eq!(updated.domains, [WebhookDomain::Repo, WebhookDomain::Discussion]);
    assert!(sim.calls().iter().any(|c| c.method == "POST" && c.path == format!("/api/settings/webhooks/{}", created.id)));
    assert!(api.disable_webhook(&created.id).await.expect("disabled").disabled);
    assert!(!api.enable_webhook(&created.id).await.expect("enabled").disabled);
    assert_eq!(api.get_webhook(&created.id).await.expect("get").url.as_deref(), Some("http://127.0.0.1:9/b"));
    assert_eq!(api.list_webhooks().await.expect("list").len(), 1);
    assert!(client(&sim, Some(OTHER_TOKEN)).list_webhooks().await.expect("other list").is_empty(), "webhooks are per user");
    api.delete_webhook(&created.id).await.expect("deleted");
    assert!(matches!(api.get_webhook(&created.id).await, Err(HubError::NotFound { .. })));
}

#[tokio::test]
async fn an_anonymous_webhook_listing_is_unauthorized() {
    let sim = spawn_sim().await;
    assert!(matches!(client(&sim, None).list_webhooks().await, Err(HubError::Unauthorized { .. })));
}
