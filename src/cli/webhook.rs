//! For LoRA owners: `webhook register|list|delete` (the Hub's webhook settings, with the
//! user's token) and `links check` (is every link usable by the bot's token?).

use std::path::PathBuf;

use anyhow::Context;
use clap::Subcommand;

use super::hub_settings;
use crate::config::{Secret, Settings};
use crate::domain::RepoId;
use crate::hub::{HubClient, HubError, WatchedItem, WebhookDomain, WebhookInfo, WebhookSpec};

/// `webhook …`
#[derive(Debug, Subcommand)]
pub enum WebhookCommand {
    /// Register (or update) the webhook that tells the bot about a LoRA. Idempotent: an
    /// existing webhook for the same URL is updated, not duplicated. Watches the LoRA (repo
    /// events) and its linked Spaces (discussion events, for preview clean-up).
    Register {
        /// The LoRA repo, `owner/name`.
        #[arg(long)]
        lora: RepoId,
        /// The receiver's public URL, e.g. https://bot.example.com/webhooks/hub.
        #[arg(long)]
        url: String,
        /// File holding the webhook secret (default: WEBHOOK_SECRET or receiver.secret_file).
        #[arg(long)]
        secret_file: Option<PathBuf>,
    },
    /// List the token owner's webhooks.
    List,
    /// Delete a webhook by id, or every webhook pointing at a URL.
    Delete {
        /// Webhook id.
        #[arg(long, required_unless_present = "url")]
        id: Option<String>,
        /// Target URL.
        #[arg(long)]
        url: Option<String>,
    },
}

fn client(s: &Settings) -> anyhow::Result<HubClient> {
    anyhow::ensure!(s.hub_token.is_some(), "set HF_TOKEN to a token of the LoRA's owner (webhooks belong to a user account)");
    Ok(HubClient::new(&hub_settings(s))?)
}

/// The watched list and domains for a LoRA and its linked Spaces.
pub fn spec_for(s: &Settings, lora: &RepoId, url: &str, secret: Secret) -> WebhookSpec {
    let mut watched = vec![WatchedItem { kind: "model".into(), name: lora.to_string() }];
    watched.extend(s.spaces_for(lora).into_iter().map(|space| WatchedItem { kind: "space".into(), name: space.to_string() }));
    WebhookSpec { watched, url: url.to_owned(), domains: vec![WebhookDomain::Repo, WebhookDomain::Discussion], secret: Some(secret) }
}

/// Runs a `webhook` subcommand.
pub async fn run(s: &Settings, cmd: WebhookCommand) -> anyhow::Result<()> {
    let hub = client(s)?;
    match cmd {
        WebhookCommand::Register { lora, url, secret_file } => {
            let secret = match secret_file {
                Some(f) => Secret::new(std::fs::read_to_string(&f).with_context(|| format!("reading {}", f.display()))?.trim()),
                None => s.webhook_secret.clone().context("set WEBHOOK_SECRET (or receiver.secret_file, or --secret-file) to the receiver's secret")?,
            };
            anyhow::ensure!(url.starts_with("https://") || url.starts_with("http://127.0.0.1") || url.starts_with("http://localhost"), "--url must be https:// (the Hub sends the secret in a header)");
            if s.spaces_for(&lora).is_empty() {
                eprintln!("warning: {lora} is not in [[links]]; the receiver will acknowledge its webhooks and do nothing");
            }
            let spec = spec_for(s, &lora, &url, secret);
            let existing = hub.list_webhooks().await?.into_iter().find(|w| w.url.as_deref() == Some(url.as_str()));
            let hook = match existing {
                Some(w) => {
                    let merged = WebhookSpec { watched: merge_watched(&w, spec.watched), ..spec };
                    let h = hub.update_webhook(&w.id, &merged).await?;
                    println!("updated webhook {} -> {url}", h.id);
                    h
                }
                None => {
                    let h = hub.create_webhook(&spec).await?;
                    println!("created webhook {} -> {url}", h.id);
                    h
                }
            };
            println!("watching: {}", describe(&hook));
            Ok(())
        }
        WebhookCommand::List => {
            for w in hub.list_webhooks().await? {
                println!("{}  {}  {}{}", w.id, w.url.as_deref().unwrap_or("(job)"), describe(&w), if w.disabled { "  [disabled]" } else { "" });
            }
            Ok(())
        }
        WebhookCommand::Delete { id, url } => {
            let ids: Vec<String> = match (id, url) {
                (Some(id), _) => vec![id],
                (None, Some(url)) => hub.list_webhooks().await?.into_iter().filter(|w| w.url.as_deref() == Some(url.as_str())).map(|w| w.id).collect(),
                (None, None) => vec![],
            };
            anyhow::ensure!(!ids.is_empty(), "no webhook matches");
            for id in ids {
                hub.delete_webhook(&id).await?;
                println!("deleted webhook {id}");
            }
            Ok(())
        }
    }
}

/// One URL serves several LoRAs: keep what the webhook already watches.
fn merge_watched(existing: &WebhookInfo, new: Vec<WatchedItem>) -> Vec<WatchedItem> {
    let mut all = existing.watched.clone();
    for item in new {
        if !all.iter().any(|w| w.kind == item.kind && w.name == item.name) {
            all.push(item);
        }
    }
    all
}

fn describe(w: &WebhookInfo) -> String {
    let watched: Vec<String> = w.watched.iter().map(|i| format!("{} {}", i.kind, i.name)).collect();
    format!("{} (domains: {:?})", watched.join(", "), w.domains)
}

/// `links check`: one line per problem, each with its fix; an error when any.
pub async fn check_links(s: &Settings) -> anyhow::Result<()> {
    anyhow::ensure!(!s.links.is_empty(), "no [[links]] configured: add `[[links]] lora = \"owner/lora\" space = \"owner/space\"` to the config");
    anyhow::ensure!(s.hub_token.is_some(), "set HF_TOKEN to the bot's token (the links are checked with it)");
    let hub = HubClient::new(&hub_settings(s))?;
    let me = hub.whoami().await.map_err(|e| anyhow::anyhow!(whoami_problem(&s.hub.endpoint, &e)))?;
    let role = me.auth.as_ref().and_then(|a| a.access_token.as_ref()).and_then(|t| t.role.clone()).unwrap_or_default();
    let mut problems = Vec::new();
    if role == "read" {
        problems.push(format!("token of {} is read-only: create a write token (or a fine-grained token with repo.write and discussion.write on the Spaces)", me.name));
    }
    for link in &s.links {
        if let Err(e) = hub.model_info(&link.lora, None).await {
            problems.push(format!("{} -> {}: the LoRA is not readable by {} ({}); fix: check the repo id, or give the token read access if it is private/gated", link.lora, link.space, me.name, short(&e)));
        }
        if let Err(e) = hub.space_info(&link.space, None).await {
            problems.push(format!("{} -> {}: the Space does not exist or is not visible to {} ({}); fix: create the Space or correct the link", link.lora, link.space, me.name, short(&e)));
        }
    }
    for p in &problems {
        println!("problem: {p}");
    }
    anyhow::ensure!(problems.is_empty(), "{} problem(s) in the links", problems.len());
    println!("{} link(s) OK for {} (token role: {})", s.links.len(), me.name, if role.is_empty() { "unknown" } else { &role });
    Ok(())
}

/// Why `whoami` failed, telling an unreachable endpoint from a refused token, with the fix.
pub fn whoami_problem(endpoint: &url::Url, e: &HubError) -> String {
    match e {
        HubError::Unauthorized { .. } | HubError::Forbidden { .. } => format!(
            "token invalid: the Hub at {endpoint} refused the token ({}); fix: create a new token for the bot's account (write access to the linked Spaces) and set HF_TOKEN or hub.token_file",
            short(e)
        ),
        HubError::Transport { .. } | HubError::Timeout { .. } => {
            format!("endpoint unreachable: no answer from the Hub at {endpoint} ({e}); fix: check hub.endpoint / HF_ENDPOINT (for the simulator: is `lora-space-bot sim` running there?) and the network")
        }
        other => format!("the Hub at {endpoint} did not answer whoami as expected ({other}); fix: check hub.endpoint / HF_ENDPOINT points at a Hub"),
    }
}

fn short(e: &HubError) -> String {
    e.status().map_or_else(|| e.to_string(), |s| format!("HTTP {s}"))
}
