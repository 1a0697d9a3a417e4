//! Roles: which secrets each process (`serve`, `work`, `run`) needs, and the checks that it
//! has them, readable and sound.

use super::{ConfigError, Secret, Settings};

/// Which process the configuration is for: each role asks only for its own secrets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Role {
    /// The webhook receiver: webhook secret and signing key.
    Serve,
    /// Workers: signing key and Hub token.
    Work,
    /// Both in one process.
    Run,
}

/// Webhook secrets shorter than this are refused.
pub const MIN_WEBHOOK_SECRET_BYTES: usize = 16;

impl Settings {
    /// Checks that `role` has every secret it needs (and only those), readable and sound.
    pub fn validate_role(&self, role: Role) -> Result<(), ConfigError> {
        let needs: &[&str] = match role {
            Role::Serve => &["receiver.secret_file", "amqp.signing_key_file"],
            Role::Work => &["amqp.signing_key_file", "hub.token_file"],
            Role::Run => &["receiver.secret_file", "amqp.signing_key_file", "hub.token_file"],
        };
        if let Some(p) = self.secret_problems.iter().find(|p| needs.contains(&p.key)) {
            return Err(ConfigError::Invalid { key: p.key, problem: p.problem.clone(), fix: p.fix });
        }
        if role != Role::Work {
            self.validate_receiver()?;
        }
        self.signing_key()?;
        if role != Role::Serve && self.hub_token.is_none() {
            return Err(ConfigError::Invalid {
                key: "hub.token_file",
                problem: "workers need a Hub token and none is configured".into(),
                fix: "set HF_TOKEN (a token of the bot's account with write access to the linked Spaces) or hub.token_file",
            });
        }
        Ok(())
    }

    /// Checks what the receiver role needs: a webhook secret, unless explicitly insecure.
    pub fn validate_receiver(&self) -> Result<(), ConfigError> {
        if let Some(p) = self.secret_problems.iter().find(|p| p.key == "receiver.secret_file") {
            return Err(ConfigError::Invalid { key: p.key, problem: p.problem.clone(), fix: p.fix });
        }
        if let Some(secret) = &self.webhook_secret {
            let n = secret.expose().len();
            if n < MIN_WEBHOOK_SECRET_BYTES {
                return Err(ConfigError::Invalid {
                    key: "receiver.secret_file",
                    problem: format!("the webhook secret (WEBHOOK_SECRET or receiver.secret_file) is {n} bytes; at least {MIN_WEBHOOK_SECRET_BYTES} are required"),
                    fix: "make one with `openssl rand -hex 32`, set it as WEBHOOK_SECRET (or in receiver.secret_file) and enter the same value in the Hub webhook settings",
                });
            }
        }
        if self.webhook_secret.is_none() && !self.receiver.insecure_no_secret {
            return Err(ConfigError::Invalid {
                key: "receiver.secret_file",
                problem: "no webhook secret is configured".into(),
                fix: "set WEBHOOK_SECRET (the secret entered in the Hub's webhook settings) or receiver.secret_file; only for local experiments, receiver.insecure_no_secret = true",
            });
        }
        Ok(())
    }

    /// The envelope signing key, required by every role that touches the broker.
    pub fn signing_key(&self) -> Result<&Secret, ConfigError> {
        if let Some(p) = self.secret_problems.iter().find(|p| p.key == "amqp.signing_key_file") {
            return Err(ConfigError::Invalid { key: p.key, problem: p.problem.clone(), fix: p.fix });
        }
        self.signing_key.as_ref().ok_or(ConfigError::Invalid {
            key: "amqp.signing_key_file",
            problem: "no envelope signing key is configured".into(),
            fix: "set LSB_SIGNING_KEY (a long random string shared by receivers and workers) or amqp.signing_key_file",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::Settings;
    use super::super::test_support::env;

    #[test]
    fn missing_webhook_secret_is_refused_for_the_receiver_naming_the_fix() {
        let s = Settings::load(&[], &env(&[("LSB_SIGNING_KEY", "k")])).expect("workers need no webhook secret");
        let err = s.validate_receiver().expect_err("the receiver does");
        assert!(err.to_string().contains("WEBHOOK_SECRET"), "{err}");
    }
}
