//! Validation: every key checked once, with the key, the problem and the fix in each error; the
//! secrets loaded; the broker URL normalized.

use std::collections::HashMap;
use std::path::PathBuf;

use super::secrets::{defer, secret_from};
use super::sections::{Link, RawSettings};
use super::{ConfigError, Settings};

impl Settings {
    /// Checks every key of `raw` and loads the secrets (deferring unreadable ones to the roles).
    pub(super) fn validate(raw: RawSettings, env: &HashMap<String, String>) -> Result<Self, ConfigError> {
        let mut secret_problems = Vec::new();
        let webhook_secret = secret_from(env, "WEBHOOK_SECRET", raw.receiver.secret_file.as_deref(), "receiver.secret_file").unwrap_or_else(|e| defer(e, &mut secret_problems));
        let token_file = env.get("HF_TOKEN_PATH").map(PathBuf::from).or_else(|| raw.hub.token_file.clone());
        let hub_token = secret_from(env, "HF_TOKEN", token_file.as_deref(), "hub.token_file").unwrap_or_else(|e| defer(e, &mut secret_problems));
        let signing_key = secret_from(env, "LSB_SIGNING_KEY", raw.amqp.signing_key_file.as_deref(), "amqp.signing_key_file").unwrap_or_else(|e| defer(e, &mut secret_problems));
        check(valid_amqp_url(&raw.amqp.url), "amqp.url", "must be an amqp:// or amqps:// URL", "amqp://user:password@rabbitmq:5672/%2f (AMQP_URL=amqp://…, not http://…)")?;
        check(raw.amqp.queue_depth_interval_secs >= 1, "amqp.queue_depth_interval_secs", "must be at least 1", "10 is a good default")?;
        check(raw.amqp.shards >= 1, "amqp.shards", "must be at least 1", "use 1 or more shard queues")?;
        let preview_token = secret_from(env, "LSB_PREVIEW_TOKEN", raw.smoke.preview_token_file.as_deref(), "smoke.preview_token_file")?;
        check(raw.smoke.poll_secs >= 30 && raw.smoke.deadline_secs >= raw.smoke.poll_secs, "smoke.poll_secs", "must be at least 30 and at most smoke.deadline_secs", "use 30: every poll is a Hub API call")?;
        check(raw.smoke.max_steps >= 2, "smoke.max_steps", "must be at least 2", "use 60")?;
        check(["{owner}", "{space}", "{n}"].iter().all(|k| raw.smoke.preview_pattern.contains(k)), "smoke.preview_pattern", "must contain {owner}, {space} and {n}", "use \"{owner}_{space}-pr-{n}\" (alice/demo and bob/demo must not share a preview)")?;
        check(crate::smoke::preview::PreviewMode::parse(&raw.smoke.preview).is_ok(), "smoke.preview", "is not off, zero-gpu or a hardware flavour", "use \"off\", \"zero-gpu\" or e.g. \"t4-small\"")?;
        let same_token = matches!((&preview_token, &hub_token), (Some(p), Some(h)) if p.expose() == h.expose());
        check(!same_token, "smoke.preview_token_file", "holds the bot's write token", "create a separate read-only token: the preview runs the PR's code with it as HF_TOKEN")?;
        check(raw.worker.concurrency >= 1, "worker.concurrency", "must be at least 1", "use 1 or more")?;
        check(raw.receiver.max_body_bytes >= 1024, "receiver.max_body_bytes", "is below 1 KiB", "Hub payloads are a few KiB; use 262144")?;
        check(raw.receiver.max_connections >= 1, "receiver.max_connections", "must be at least 1", "max_connections = 16384")?;
        check(raw.receiver.header_read_timeout_secs >= 1, "receiver.header_read_timeout_secs", "must be at least 1", "header_read_timeout_secs = 10")?;
        check(raw.receiver.idle_timeout_secs >= 1, "receiver.idle_timeout_secs", "must be at least 1", "idle_timeout_secs = 30")?;
        check(raw.receiver.body_timeout_secs >= 1, "receiver.body_timeout_secs", "must be at least 1", "body_timeout_secs = 10")?;
        check(raw.receiver.unauthorized_window_secs >= 1, "receiver.unauthorized_window_secs", "must be at least 1", "unauthorized_window_secs = 60")?;
        check((100..=60_000).contains(&raw.worker.rebalance_ms), "worker.rebalance_ms", "must be 100 to 60000", "rebalance_ms = 3000")?;
        check(valid_prefix(&raw.amqp.prefix), "amqp.prefix", "must be 1-64 characters of letters, digits, `.`, `-`, `_`", "e.g. lsb")?;
        check_links(&raw.links)?;
        let mut raw = raw;
        raw.amqp.url = normalize_amqp_url(&raw.amqp.url);
        Ok(Self {
            telemetry: raw.telemetry,
            receiver: raw.receiver,
            amqp: raw.amqp,
            worker: raw.worker,
            hub: raw.hub,
            smoke: raw.smoke,
            generator: raw.generator,
            links: raw.links,
            webhook_secret,
            hub_token,
            signing_key,
            preview_token,
            effective: toml::Table::new(),
            origins: std::collections::BTreeMap::new(),
            secret_problems,
        })
    }
}

/// `amqp://host:5672/` names the empty vhost in the AMQP URI spec, which RabbitMQ never has;
/// every other client reads it as the default vhost `/`, so do the same.
fn normalize_amqp_url(url: &str) -> String {
    match url.strip_suffix('/') {
        Some(base) if base.matches('/').count() == 2 => base.to_owned(),
        _ => url.to_owned(),
    }
}

fn valid_amqp_url(url: &str) -> bool {
    url.starts_with("amqp://") || url.starts_with("amqps://")
}

fn check(ok: bool, key: &'static str, problem: &str, fix: &'static str) -> Result<(), ConfigError> {
    if ok { Ok(()) } else { Err(ConfigError::Invalid { key, problem: problem.to_owned(), fix }) }
}

fn valid_prefix(p: &str) -> bool {
    !p.is_empty() && p.len() <= 64 && p.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
}

fn check_links(links: &[Link]) -> Result<(), ConfigError> {
    let mut seen = std::collections::HashSet::new();
    let mut lora_of = std::collections::HashMap::new();
    for l in links {
        if !seen.insert((&l.lora, &l.space)) {
            return Err(ConfigError::Invalid {
                key: "links",
                problem: format!("{} -> {} is listed twice", l.lora, l.space),
                fix: "remove the duplicate [[links]] entry",
            });
        }
        // The bot generates a Space's whole app from one LoRA and keeps one open PR per Space:
        // two LoRAs on one Space would overwrite each other's PR on every push.
        if let Some(other) = lora_of.insert(&l.space, &l.lora) {
            return Err(ConfigError::Invalid {
                key: "links",
                problem: format!("{} is linked to two LoRAs ({other} and {}); a Space demos one LoRA", l.space, l.lora),
                fix: "link each LoRA to its own Space (one LoRA may feed several Spaces)",
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::Secret;
    use super::super::test_support::{BASE_ENV, env};
    use super::*;

    #[test]
    fn an_amqp_url_ending_in_a_bare_slash_means_the_default_vhost() {
        assert_eq!(normalize_amqp_url("amqp://guest:guest@127.0.0.1:5672/"), "amqp://guest:guest@127.0.0.1:5672");
        assert_eq!(normalize_amqp_url("amqp://h:5672/%2f"), "amqp://h:5672/%2f");
        assert_eq!(normalize_amqp_url("amqp://h:5672/prod"), "amqp://h:5672/prod");
    }

    #[test]
    fn rebalance_interval_is_bounded() {
        let mut e = env(BASE_ENV);
        assert_eq!(Settings::load(&[], &e).expect("load").worker.rebalance_ms, 3000);
        for bad in ["0", "99", "60001"] {
            e.insert("LSB__WORKER__REBALANCE_MS".into(), bad.into());
            let err = Settings::load(&[], &e).expect_err("out of range");
            assert!(err.to_string().contains("worker.rebalance_ms"), "{err}");
        }
        e.insert("LSB__WORKER__REBALANCE_MS".into(), "250".into());
        assert_eq!(Settings::load(&[], &e).expect("load").worker.rebalance_ms, 250);
    }

    #[test]
    fn a_space_linked_to_two_loras_is_refused_naming_both() {
        let link = |lora: &str, space: &str| Link { lora: lora.parse().expect("id"), space: space.parse().expect("id") };
        let err = check_links(&[link("a/l1", "a/s"), link("a/l2", "a/s")]).expect_err("one LoRA per Space");
        let text = err.to_string();
        assert!(text.contains("a/s is linked to two LoRAs (a/l1 and a/l2)"), "{text}");
        check_links(&[link("a/l1", "a/s1"), link("a/l1", "a/s2")]).expect("one LoRA may feed several Spaces");
    }

    #[test]
    fn smoke_settings_come_from_the_config_and_are_checked() {
        let mut e = env(BASE_ENV);
        e.insert("LSB__SMOKE__PREVIEW_NAMESPACE".into(), "acme-previews".into());
        e.insert("LSB__SMOKE__POLL_SECS".into(), "30".into());
        let s = Settings::load(&[], &e).expect("load");
        assert_eq!(s.smoke.preview_namespace.as_deref(), Some("acme-previews"));
        assert_eq!(s.smoke.poll_secs, 30);
        assert_eq!(s.smoke.preview_pattern, "{owner}_{space}-pr-{n}");
        assert_eq!(s.smoke.preview, "off");
        e.insert("LSB__SMOKE__PREVIEW_PATTERN".into(), "{space}-pr-{n}".into());
        let err = Settings::load(&[], &e).expect_err("a pattern without {owner} would share one preview between alice/demo and bob/demo");
        assert!(err.to_string().contains("smoke.preview_pattern"), "{err}");
        e.remove("LSB__SMOKE__PREVIEW_PATTERN");
        e.insert("LSB__SMOKE__POLL_SECS".into(), "5".into());
        assert!(Settings::load(&[], &e).expect_err("polls under 30 s").to_string().contains("smoke.poll_secs"));
        e.insert("LSB__SMOKE__POLL_SECS".into(), "30".into());
        e.insert("LSB_PREVIEW_TOKEN".into(), "hf_x".into());
        e.insert("HF_TOKEN".into(), "hf_x".into());
        assert!(Settings::load(&[], &e).expect_err("the write token as preview token").to_string().contains("preview_token"));
        e.insert("LSB_PREVIEW_TOKEN".into(), "hf_read".into());
        assert_eq!(Settings::load(&[], &e).expect("load").preview_token.as_ref().map(Secret::expose), Some("hf_read"));
    }
}
