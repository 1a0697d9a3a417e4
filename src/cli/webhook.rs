//! For LoRA owners: `webhook register|list|delete` (the Hub's webhook settings, with the
//! user's token) and `links check` (is every link usable by the bot's token?).

use std::path::PathBuf;

use anyhow::Context;
use clap::Subcommand;

use super::hub_settings;
use crate::config::{Secret, Settings};
use crate::domain::RepoId;
use crate::hub::{HubClient, HubError, WatchedItem, WebhookDomain, WebhookInfo, WebhookSpec};
use crate::smoke::preview::PreviewMode;
use crate::smoke::terms::{Account, previews_can_run};

/// `webhook …`
#[derive(Debug, Subcommand)]
pub enum WebhookCommand {
    /// Register (or update) the webhooks that tell the bot about a LoRA. Idempotent: an
    /// existing webhook for the same URL is updated, not duplicated. Two webhooks: one watches
    /// the LoRA (repo events, at --url), the other its linked Spaces (repo events — a commit
    /// to `lora-space.toml` on main resyncs — and discussion events, at --url with
    /// `?watch=spaces`), so the bot's own comments on the Spaces count against the Spaces
    /// webhook's 1,000 triggers a day, never the LoRA's.
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

/// The LoRA's webhook: its repo events only.
pub fn spec_for(lora: &RepoId, url: &str, secret: Secret) -> WebhookSpec {
    WebhookSpec { watched: vec![WatchedItem { kind: "model".into(), name: lora.to_string() }], url: url.to_owned(), domains: vec![WebhookDomain::Repo], secret: Some(secret) }
}

/// The URL of the Spaces webhook: the receiver's URL with `watch=spaces` (the Hub tells
/// webhooks apart by URL; the receiver ignores the parameter).
pub fn spaces_url(url: &str) -> String {
    format!("{url}{}watch=spaces", if url.contains('?') { '&' } else { '?' })
}

/// The Spaces webhook: the linked Spaces' repo events (commits on the bot's PR refs) and
/// discussion events (merge/close, for preview clean-up); `None` without linked Spaces.
pub fn spaces_spec_for(s: &Settings, lora: &RepoId, url: &str, secret: Secret) -> Option<WebhookSpec> {
    let watched: Vec<WatchedItem> = s.spaces_for(lora).into_iter().map(|space| WatchedItem { kind: "space".into(), name: space.to_string() }).collect();
    (!watched.is_empty()).then(|| WebhookSpec { watched, url: spaces_url(url), domains: vec![WebhookDomain::Repo, WebhookDomain::Discussion], secret: Some(secret) })
}

/// Creates the webhook for `spec.url`, or updates the one there (keeping what it watches of
/// `keep_kind`, since one URL serves several LoRAs).
async fn upsert(hub: &HubClient, spec: WebhookSpec, keep_kind: &str) -> anyhow::Result<()> {
    let existing = hub.list_webhooks().await?.into_iter().find(|w| w.url.as_deref() == Some(spec.url.as_str()));
    let url = spec.url.clone();
    let hook = match existing {
        Some(w) => {
            let merged = WebhookSpec { watched: merge_watched(&w, spec.watched, keep_kind), ..spec };
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
            upsert(&hub, spec_for(&lora, &url, secret.clone()), "model").await?;
            if let Some(spaces) = spaces_spec_for(s, &lora, &url, secret) {
                upsert(&hub, spaces, "space").await?;
            }
            Ok(())
        }
        WebhookCommand::List => {
            let hooks = hub.list_webhooks().await?;
            if hooks.is_empty() {
                println!("{}", no_webhooks(&s.hub.endpoint));
            }
            for w in hooks {
                println!("{}  {}  {}{}", w.id, w.url.as_deref().unwrap_or("(job)"), describe(&w), if w.disabled { "  [disabled]" } else { "" });
            }
            Ok(())
        }
        WebhookCommand::Delete { id, url } => {
            let ids: Vec<String> = match (id, url) {
                (Some(id), _) => vec![id],
                (None, Some(url)) => {
                    let both = [url.clone(), spaces_url(&url)];
                    hub.list_webhooks().await?.into_iter().filter(|w| w.url.as_ref().is_some_and(|u| both.contains(u))).map(|w| w.id).collect()
                }
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

/// What `webhook list` says when the token's account has no webhook.
fn no_webhooks(endpoint: &url::Url) -> String {
    format!(
        "No webhooks: the account of this token (HF_TOKEN) has none on the Hub at {endpoint}.\n\
         Register one per LoRA with: lora-space-bot webhook register --lora OWNER/NAME --url https://HOST/webhooks/hub"
    )
}

/// One URL serves several LoRAs: keep what the webhook already watches of `kind` (a LoRA
/// webhook registered before the split drops its Spaces: they move to the Spaces webhook).
fn merge_watched(existing: &WebhookInfo, new: Vec<WatchedItem>, kind: &str) -> Vec<WatchedItem> {
    let mut all: Vec<WatchedItem> = existing.watched.iter().filter(|w| w.kind == kind).cloned().collect();
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
    let ns = s.smoke.preview_namespace.clone().unwrap_or_else(|| me.name.clone());
    let account = match me.orgs.iter().find(|o| o.name == ns) {
        Some(org) => Account { org: true, paid: org.can_pay || org.plan.as_deref().is_some_and(|p| p != "free"), can_pay: org.can_pay },
        None => Account { org: false, paid: me.is_pro, can_pay: me.can_pay },
    };
    let mode = PreviewMode::parse(&s.smoke.preview).unwrap_or_default();
    let (ok, why) = previews_can_run(&mode, account);
    println!("plan of {ns} (preview namespace): {}", account.plan());
    println!("previews ({}): {} — {why}", s.smoke.preview, if ok { "can run" } else { "cannot run" });
    if mode != PreviewMode::Off {
        match &s.preview_token {
            Some(_) => println!("preview token: set (the previews' HF_TOKEN; gated bases load if its account was granted access)"),
            None => println!("preview token: not set: gated bases (FLUX.1-dev, Kontext, SD3.5) will not load in previews; set smoke.preview_token_file to a read-only token"),
        }
    }
    if !ok {
        problems.push(format!("[smoke] preview = {:?} cannot run for {ns}: {why}; fix: change the plan, or set preview = \"off\" (the local gate still runs)", s.smoke.preview));
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
