//! Webhook deliveries: when a watched repo changes, POST the v3 payload with
//! `X-Webhook-Secret` to every enabled webhook whose domains cover the change. Deliveries
//! leave one at a time, in event order, from an outbox task, and are recorded (URL, payload,
//! receiver status) once answered.
//!
//! Every delivery is one trigger of its webhook (hub-constraints.md §1: "One delivery = one
//! trigger", unverified): past the cap (1,000 per webhook per rolling 24 h, HD webhooks.md) a
//! delivery is refused — not sent, not recorded as a delivery, counted as refused.

use std::sync::Arc;

use serde_json::{Value, json};
use tokio::sync::mpsc::UnboundedReceiver;
use tokio_util::sync::CancellationToken;

use super::payload;
use super::record::Delivery;
use super::shared::Sim;
use super::state::{Repo, Webhook, World};
use crate::domain::{RepoId, RepoType};

/// What changed.
#[derive(Debug, Clone)]
pub(crate) enum Trigger {
    /// `repo` scope: create / delete.
    Repo { action: &'static str },
    /// `repo` scope, `move`: renamed or transferred to `to` (sent under the old name).
    Moved { to: RepoId },
    /// `repo.config`: settings changed (`updatedConfig`).
    RepoConfig { updated: Value },
    /// `repo.content`: refs moved (`ref`, old, new).
    RepoContent { updated: Vec<(String, Option<String>, Option<String>)> },
    /// `discussion`: create (with its first comment) / update.
    Discussion { num: u64, action: &'static str, comment: Option<String> },
    /// `discussion.comment`: create / update.
    Comment { num: u64, event_id: String, action: &'static str },
}

impl Trigger {
    fn domain(&self) -> &'static str {
        match self {
            Self::Repo { .. } | Self::Moved { .. } | Self::RepoConfig { .. } | Self::RepoContent { .. } => "repo",
            Self::Discussion { .. } | Self::Comment { .. } => "discussion",
        }
    }
}

fn watches(h: &Webhook, repo: &Repo, domain: &str) -> bool {
    let name = repo.id.to_string();
    !h.disabled
        && h.domains.iter().any(|d| d.trim_end_matches('s') == domain)
        && h.watched.iter().any(|(t, n)| (t == repo.ty.as_str() && *n == name) || ((t == "user" || t == "org") && n == repo.owner()))
}

/// Sends the payload of `trigger` to every webhook watching the repo.
pub(crate) fn fire(sim: &Arc<Sim>, w: &World, ty: RepoType, id: &RepoId, trigger: Trigger) {
    let Some(repo) = w.repo(ty, id) else { return };
    for hook in w.webhooks.iter().filter(|h| watches(h, repo, trigger.domain())) {
        let Some(body) = build(sim, repo, &trigger, &hook.id) else { continue };
        let delivery = Delivery { webhook_id: hook.id.clone(), url: hook.url.clone(), payload: body, secret: hook.secret.clone(), status: None };
        if sim.outbox.send(delivery).is_err() {
            tracing::debug!("sim stopped: webhook delivery dropped");
        }
    }
}

/// Fires a `repo` delete for a repo about to be removed.
pub(crate) fn fire_deleted(sim: &Arc<Sim>, w: &World, ty: RepoType, id: &RepoId) {
    fire(sim, w, ty, id, Trigger::Repo { action: "delete" });
}

fn build(sim: &Sim, repo: &Repo, trigger: &Trigger, hook_id: &str) -> Option<Value> {
    Some(match trigger {
        Trigger::Repo { action } => payload::envelope(action, "repo", payload::repo(sim, repo, true), hook_id),
        Trigger::Moved { to } => {
            let mut v = payload::envelope("move", "repo", payload::repo(sim, repo, true), hook_id);
            v["movedTo"] = json!({ "name": to.to_string(), "owner": { "id": payload::user_id(to.namespace()) } });
            v
        }
        Trigger::RepoConfig { updated } => {
            let mut v = payload::envelope("update", "repo.config", payload::repo(sim, repo, true), hook_id);
            v["updatedConfig"] = updated.clone();
            v
        }
        Trigger::RepoContent { updated } => {
            let mut v = payload::envelope("update", "repo.content", payload::repo(sim, repo, true), hook_id);
            v["updatedRefs"] = updated.iter().map(|(r, o, n)| json!({ "ref": r, "oldSha": o, "newSha": n })).collect();
            v
        }
        Trigger::Discussion { num, action, comment } => {
            let d = repo.discussions.iter().find(|d| d.num == *num)?;
            let mut v = payload::envelope(action, "discussion", payload::repo(sim, repo, false), hook_id);
            v["discussion"] = payload::discussion(sim, repo, d);
            if let Some(e) = comment.as_ref().and_then(|c| d.events.iter().find(|e| e.id == *c)) {
                v["comment"] = payload::comment(sim, repo, d, e);
            }
            v
        }
        Trigger::Comment { num, event_id, action } => {
            let d = repo.discussions.iter().find(|d| d.num == *num)?;
            let e = d.events.iter().find(|e| e.id == *event_id)?;
            let mut v = payload::envelope(action, "discussion.comment", payload::repo(sim, repo, false), hook_id);
            v["discussion"] = payload::discussion(sim, repo, d);
            v["comment"] = payload::comment(sim, repo, d, e);
            v
        }
    })
}

/// Sends queued deliveries in order until `stop`.
pub(crate) async fn run_outbox(sim: Arc<Sim>, mut rx: UnboundedReceiver<Delivery>, stop: CancellationToken) {
    loop {
        let next = tokio::select! {
            () = stop.cancelled() => return,
            next = rx.recv() => next,
        };
        match next {
            Some(d) => deliver(&sim, d).await,
            None => return,
        }
    }
}

/// Counts the trigger; `false` when the webhook is over its daily cap.
fn admit(sim: &Sim, webhook: &str) -> bool {
    let mut w = sim.world();
    let now = sim.now(&w);
    let cap = w.trigger_cap.unwrap_or(sim.config.webhook_daily_cap);
    let window = w.trigger_window.entry(webhook.to_owned()).or_default();
    let ok = super::terms::admit_trigger(window, now, cap);
    let totals = w.trigger_totals.entry(webhook.to_owned()).or_default();
    if ok { totals.0 += 1 } else { totals.1 += 1 }
    ok
}

async fn deliver(sim: &Sim, mut d: Delivery) {
    if !admit(sim, &d.webhook_id) {
        tracing::debug!(webhook = %d.webhook_id, "sim webhook over its daily trigger cap: delivery refused");
        sim.bump();
        return;
    }
    let mut req = sim.http.post(&d.url).json(&d.payload).timeout(std::time::Duration::from_secs(10));
    if let Some(s) = &d.secret {
        req = req.header("x-webhook-secret", s);
    }
    d.status = match req.send().await {
        Ok(resp) => Some(resp.status().as_u16()),
        Err(e) => {
            tracing::debug!(url = %d.url, error = %e, "sim webhook delivery failed");
            None
        }
    };
    sim.world().deliveries.push(d);
    sim.bump();
}
