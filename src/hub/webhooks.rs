//! Webhook settings (hub-api.md §8): list, create, get, update (a POST), enable, disable, delete.

use reqwest::Method;

use super::client::{Call, HubClient};
use super::error::HubError;
use super::retry::Replay;
use super::types::webhook::{WebhookEnvelope, WebhookInfo, WebhookSpec};

impl HubClient {
    /// `GET /api/settings/webhooks`.
    pub async fn list_webhooks(&self) -> Result<Vec<WebhookInfo>, HubError> {
        self.json(Call::get("/api/settings/webhooks", self.url(&["api", "settings", "webhooks"]))).await
    }

    /// `GET /api/settings/webhooks/{id}`.
    pub async fn get_webhook(&self, id: &str) -> Result<WebhookInfo, HubError> {
        let url = self.url(&["api", "settings", "webhooks", id]);
        Ok(self.json::<WebhookEnvelope>(Call::get("/api/settings/webhooks/{id}", url)).await?.webhook)
    }

    /// `POST /api/settings/webhooks`.
    pub async fn create_webhook(&self, spec: &WebhookSpec) -> Result<WebhookInfo, HubError> {
        let url = self.url(&["api", "settings", "webhooks"]);
        let body = serde_json::to_value(spec).map_err(|e| HubError::InvalidRequest(e.to_string()))?;
        Ok(self.json::<WebhookEnvelope>(Call::json(Method::POST, "/api/settings/webhooks", url, body, Replay::Never)).await?.webhook)
    }

    /// `POST /api/settings/webhooks/{id}` (the Hub updates with POST, not PUT).
    pub async fn update_webhook(&self, id: &str, spec: &WebhookSpec) -> Result<WebhookInfo, HubError> {
        let url = self.url(&["api", "settings", "webhooks", id]);
        let body = serde_json::to_value(spec).map_err(|e| HubError::InvalidRequest(e.to_string()))?;
        Ok(self.json::<WebhookEnvelope>(Call::json(Method::POST, "/api/settings/webhooks/{id}", url, body, Replay::Safe)).await?.webhook)
    }

    /// `POST /api/settings/webhooks/{id}/enable`.
    pub async fn enable_webhook(&self, id: &str) -> Result<WebhookInfo, HubError> {
        self.toggle_webhook(id, "enable").await
    }

    /// `POST /api/settings/webhooks/{id}/disable`.
    pub async fn disable_webhook(&self, id: &str) -> Result<WebhookInfo, HubError> {
        self.toggle_webhook(id, "disable").await
    }

    async fn toggle_webhook(&self, id: &str, action: &str) -> Result<WebhookInfo, HubError> {
        let url = self.url(&["api", "settings", "webhooks", id, action]);
        let call = Call::empty(Method::POST, "/api/settings/webhooks/{id}/{enable|disable}", url, Replay::Safe);
        Ok(self.json::<WebhookEnvelope>(call).await?.webhook)
    }

    /// `DELETE /api/settings/webhooks/{id}`.
    pub async fn delete_webhook(&self, id: &str) -> Result<(), HubError> {
        let url = self.url(&["api", "settings", "webhooks", id]);
        self.send(Call::empty(Method::DELETE, "/api/settings/webhooks/{id}", url, Replay::Safe)).await?;
        Ok(())
    }
}
