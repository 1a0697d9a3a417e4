//! Environment overrides: the Hub's own variables (`HF_ENDPOINT`), `AMQP_URL`, and any key as
//! `LSB__SECTION__KEY=value`, applied over the merged files and recorded as each key's origin.

use std::collections::HashMap;

use super::ConfigError;

/// Applies the well-known variables and `LSB__SECTION__KEY` overrides.
pub(super) fn apply_env(t: &mut toml::Table, env: &HashMap<String, String>, origins: &mut std::collections::BTreeMap<String, String>) -> Result<(), ConfigError> {
    let known = [("HF_ENDPOINT", "hub", "endpoint"), ("AMQP_URL", "amqp", "url")];
    for (var, section, key) in known {
        if let Some(v) = env.get(var) {
            set(t, section, key, toml::Value::String(v.clone()));
            origins.insert(format!("{section}.{key}"), format!("env {var}"));
        }
    }
    let mut generic: Vec<_> = env.iter().filter_map(|(k, v)| k.strip_prefix("LSB__").map(|rest| (rest.to_ascii_lowercase(), v))).collect();
    generic.sort();
    for (path, v) in generic {
        let (section, key) = path.split_once("__").ok_or_else(|| ConfigError::Shape(format!("LSB__{}: use LSB__SECTION__KEY, e.g. LSB__WORKER__CONCURRENCY=8", path.to_uppercase())))?;
        set(t, section, key, env_value(v));
        origins.insert(format!("{section}.{key}"), format!("env LSB__{}", path.to_uppercase()));
    }
    Ok(())
}

/// Env values are typed by their shape: integers, booleans, else strings.
fn env_value(v: &str) -> toml::Value {
    if let Ok(i) = v.parse::<i64>() {
        toml::Value::Integer(i)
    } else if let Ok(b) = v.parse::<bool>() {
        toml::Value::Boolean(b)
    } else {
        toml::Value::String(v.to_owned())
    }
}

fn set(t: &mut toml::Table, section: &str, key: &str, v: toml::Value) {
    let entry = t.entry(section.to_owned()).or_insert_with(|| toml::Value::Table(toml::Table::new()));
    if let toml::Value::Table(s) = entry {
        s.insert(key.to_owned(), v);
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{BASE_ENV, env};
    use super::super::{Secret, Settings};

    #[test]
    fn hub_conventions_and_generic_overrides_apply() {
        let mut e = env(BASE_ENV);
        e.insert("HF_ENDPOINT".into(), "http://127.0.0.1:9/".into());
        e.insert("LSB__WORKER__CONCURRENCY".into(), "7".into());
        e.insert("HF_TOKEN".into(), "hf_x".into());
        let s = Settings::load(&[], &e).expect("load");
        assert_eq!(s.hub.endpoint.as_str(), "http://127.0.0.1:9/");
        assert_eq!(s.worker.concurrency, 7);
        assert_eq!(s.hub_token.as_ref().map(Secret::expose), Some("hf_x"));
    }
}
