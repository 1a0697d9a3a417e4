//! Secrets loading: each secret from its env variable or else its file, and the problems of
//! unreadable ones kept for the roles that need them.

use std::collections::HashMap;
use std::path::Path;

use super::{ConfigError, Secret};

/// A secret source that failed to load, reported only by the roles that use it.
#[derive(Debug, Clone)]
pub(super) struct SecretProblem {
    pub(super) key: &'static str,
    pub(super) problem: String,
    pub(super) fix: &'static str,
}

/// The secret from env variable `var` if set, else from `file`; `key` names the file's config key.
pub(super) fn secret_from(env: &HashMap<String, String>, var: &str, file: Option<&Path>, key: &'static str) -> Result<Option<Secret>, ConfigError> {
    if let Some(v) = env.get(var).filter(|v| !v.trim().is_empty()) {
        return Ok(Some(Secret::new(v.trim())));
    }
    let Some(path) = file else { return Ok(None) };
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Invalid {
        key,
        problem: format!("cannot read {}: {e}", path.display()),
        fix: "point it at a readable file holding only the secret",
    })?;
    let v = text.trim();
    if v.is_empty() {
        return Err(ConfigError::Invalid { key, problem: format!("{} is empty", path.display()), fix: "write the secret into the file" });
    }
    Ok(Some(Secret::new(v)))
}

/// A secret that failed to load: kept for the roles that need it.
pub(super) fn defer(e: ConfigError, problems: &mut Vec<SecretProblem>) -> Option<Secret> {
    if let ConfigError::Invalid { key, problem, fix } = e {
        problems.push(SecretProblem { key, problem, fix });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::super::Settings;
    use super::super::test_support::{BASE_ENV, env};

    #[test]
    fn secrets_never_show_in_debug_output() {
        let s = Settings::load(&[], &env(BASE_ENV)).expect("load");
        let text = format!("{s:?}");
        assert!(!text.contains("s3cret"), "{text}");
    }
}
