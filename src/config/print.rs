//! `check-config`: the configuration a role runs with, as TOML, without secrets.

use super::{Role, Secret, Settings, mask_url_password};

impl Settings {
    /// The configuration `role` runs with, as TOML: that role's sections only, the broker
    /// URL's password masked, and one comment per secret the role needs saying whether it is
    /// set (never its value).
    pub fn to_toml(&self, role: Role) -> String {
        let sections: &[&str] = match role {
            Role::Serve => &["telemetry", "receiver", "amqp", "smoke", "links"],
            Role::Work => &["telemetry", "amqp", "worker", "hub", "smoke", "generator", "links"],
            Role::Run => &["telemetry", "receiver", "amqp", "worker", "hub", "smoke", "generator", "links"],
        };
        let mut t: toml::Table = self.effective.iter().filter(|(k, _)| sections.contains(&k.as_str())).map(|(k, v)| (k.clone(), v.clone())).collect();
        if let Some(toml::Value::Table(amqp)) = t.get_mut("amqp") {
            amqp.insert("url".into(), toml::Value::String(mask_url_password(&self.amqp.url)));
        }
        let state = |s: &Option<Secret>| if s.is_some() { "set" } else { "NOT SET" };
        let mut out = format!("# lora-space-bot configuration for `{}` (secrets are never printed)\n", match role { Role::Serve => "serve", Role::Work => "work", Role::Run => "run" });
        if role != Role::Work {
            out.push_str(&format!("# webhook secret (WEBHOOK_SECRET or receiver.secret_file): {}\n", state(&self.webhook_secret)));
        }
        out.push_str(&format!("# envelope signing key (LSB_SIGNING_KEY or amqp.signing_key_file): {}\n", state(&self.signing_key)));
        if role != Role::Serve {
            out.push_str(&format!("# Hub token (HF_TOKEN, HF_TOKEN_PATH or hub.token_file): {}\n", state(&self.hub_token)));
        }
        out.push('\n');
        out.push_str(&toml::to_string(&t).unwrap_or_else(|e| format!("# cannot render: {e}\n")));
        out
    }

}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::super::{ConfigError, Role, Settings};

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn the_printed_toml_parses_has_the_role_sections_and_no_password() {
        let e = env(&[("AMQP_URL", "amqp://lsb:hunter2-password@rabbit:5672/%2f"), ("LSB_SIGNING_KEY", "signing-key-value"), ("HF_TOKEN", "hf_tokenvalue")]);
        let s = Settings::load(&[], &e).expect("load");
        let work = s.to_toml(Role::Work);
        for leaked in ["hunter2-password", "signing-key-value", "hf_tokenvalue"] {
            assert!(!work.contains(leaked), "{leaked} in\n{work}");
        }
        let parsed: toml::Table = work.parse().expect("valid TOML");
        assert_eq!(parsed["amqp"]["url"].as_str(), Some("amqp://lsb:****@rabbit:5672/%2f"));
        assert!(parsed.contains_key("worker") && !parsed.contains_key("receiver"), "{work}");
        assert!(!work.contains("webhook secret"), "a worker is not asked for the webhook secret:\n{work}");
        let serve = s.to_toml(Role::Serve);
        assert!(serve.contains("[receiver]") && !serve.contains("[worker]") && !serve.contains("Hub token"), "{serve}");
    }

    #[test]
    fn each_role_asks_only_for_its_own_secrets() {
        let dir = tempfile::tempdir().expect("tmp");
        let missing = dir.path().join("no-such-token");
        let e = env(&[("WEBHOOK_SECRET", "0123456789abcdef0123"), ("LSB_SIGNING_KEY", "k"), ("HF_TOKEN_PATH", missing.to_str().expect("utf-8"))]);
        let s = Settings::load(&[], &e).expect("an unreadable token file is only the worker's problem");
        assert!(s.validate_role(Role::Serve).is_ok());
        let err = s.validate_role(Role::Work).expect_err("the worker needs its token");
        assert!(err.to_string().contains("hub.token_file"), "{err}");
        let s = Settings::load(&[], &env(&[("LSB_SIGNING_KEY", "k"), ("HF_TOKEN", "hf_x")])).expect("load");
        assert!(s.validate_role(Role::Work).is_ok(), "a worker needs no webhook secret");
        assert!(matches!(s.validate_role(Role::Serve), Err(ConfigError::Invalid { key: "receiver.secret_file", .. })));
    }

    #[test]
    fn a_short_webhook_secret_is_refused_saying_how_to_make_one() {
        let s = Settings::load(&[], &env(&[("WEBHOOK_SECRET", "x"), ("LSB_SIGNING_KEY", "k")])).expect("load");
        let err = s.validate_role(Role::Serve).expect_err("1 byte is guessable");
        assert!(err.to_string().contains("openssl rand -hex 32") && err.to_string().contains("16"), "{err}");
        let s = Settings::load(&[], &env(&[("WEBHOOK_SECRET", "0123456789abcdef"), ("LSB_SIGNING_KEY", "k")])).expect("load");
        assert!(s.validate_role(Role::Serve).is_ok(), "16 bytes are enough");
    }
}
