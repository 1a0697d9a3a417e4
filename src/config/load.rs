//! Loading: the embedded defaults, then each file in order, then the environment, merged into
//! one table, deserialized into the typed sections and validated.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::env_overrides::apply_env;
use super::origin::{key_error, locate, note_origins};
use super::sections::RawSettings;
use super::{ConfigError, DEFAULT_TOML, Settings};

impl Settings {
    /// Loads the embedded defaults, then `files` in order, then `env`, and validates.
    pub fn load(files: &[PathBuf], env: &HashMap<String, String>) -> Result<Self, ConfigError> {
        let defaults = parse_toml(DEFAULT_TOML, Path::new("<embedded default.toml>"))?;
        let mut origins = std::collections::BTreeMap::new();
        note_origins(&mut origins, &defaults, "the embedded defaults (config/default.toml)");
        let mut merged = defaults.clone();
        for path in files {
            let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.clone(), source })?;
            let layer = parse_toml(&text, path)?;
            note_origins(&mut origins, &layer, &format!("file {}", path.display()));
            merge(&mut merged, layer);
        }
        apply_env(&mut merged, env, &mut origins)?;
        let raw: RawSettings = serde_path_to_error::deserialize(toml::Value::Table(merged.clone())).map_err(|e| key_error(&e, &origins, &defaults))?;
        let mut s = Self::validate(raw, env).map_err(|e| locate(e, &origins))?;
        s.effective = merged;
        s.origins = origins;
        Ok(s)
    }
}

fn parse_toml(text: &str, path: &Path) -> Result<toml::Table, ConfigError> {
    text.parse::<toml::Table>().map_err(|e| ConfigError::Toml { path: path.to_owned(), source: Box::new(e) })
}

/// Deep-merges `over` into `base`: tables merge key by key, anything else replaces.
fn merge(base: &mut toml::Table, over: toml::Table) {
    for (k, v) in over {
        match (base.get_mut(&k), v) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o),
            (_, v) => {
                base.insert(k, v);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{BASE_ENV, env};
    use super::super::{Secret, Settings};
    use crate::domain::RepoId;

    #[test]
    fn embedded_defaults_load_with_secrets_from_env() {
        let s = Settings::load(&[], &env(BASE_ENV)).expect("defaults load");
        assert_eq!(s.webhook_secret.as_ref().map(Secret::expose), Some("s3cret"));
        assert_eq!(s.hub.endpoint.as_str(), "https://huggingface.co/");
    }

    #[test]
    fn unknown_key_is_refused() {
        let mut e = env(BASE_ENV);
        e.insert("LSB__WORKER__CONCURENCY".into(), "7".into());
        let err = Settings::load(&[], &e).expect_err("typo must fail");
        assert!(err.to_string().contains("concurency"), "{err}");
    }

    #[test]
    fn files_layer_over_defaults_and_links_parse() {
        let dir = tempfile::tempdir().expect("tmp");
        let p = dir.path().join("x.toml");
        std::fs::write(&p, "[worker]\nconcurrency = 3\n[[links]]\nlora = \"a/l\"\nspace = \"a/s\"\n").expect("write");
        let s = Settings::load(&[p], &env(BASE_ENV)).expect("load");
        assert_eq!(s.worker.concurrency, 3);
        assert_eq!(s.spaces_for(&"a/l".parse().expect("id")), vec!["a/s".parse::<RepoId>().expect("id")]);
    }
}
