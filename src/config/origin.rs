//! Where each key was set, and errors that name the key, that place and a valid example.

use std::collections::BTreeMap;

use super::ConfigError;

/// `url` with the password of its userinfo (if any) replaced by `****`.
pub fn mask_url_password(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else { return url.to_owned() };
    let rest = &url[scheme_end..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let Some(at) = rest[..authority_end].rfind('@') else { return url.to_owned() };
    match rest[..at].find(':') {
        Some(colon) => format!("{}{}:****{}", &url[..scheme_end], &rest[..colon], &rest[at..]),
        None => url.to_owned(),
    }
}

/// Records `origin` for every `section.key` (and top-level array such as `links`) of `layer`.
pub(super) fn note_origins(origins: &mut BTreeMap<String, String>, layer: &toml::Table, origin: &str) {
    for (section, v) in layer {
        match v {
            toml::Value::Table(t) => {
                for key in t.keys() {
                    origins.insert(format!("{section}.{key}"), origin.to_owned());
                }
            }
            _ => {
                origins.insert(section.clone(), origin.to_owned());
            }
        }
    }
}

/// Where `key` (`section.key`, `links[0].lora`...) was set.
fn origin_of(origins: &BTreeMap<String, String>, key: &str) -> String {
    let mut k = key.to_owned();
    loop {
        if let Some(o) = origins.get(&k) {
            return o.clone();
        }
        match k.rfind(['.', '[']) {
            Some(i) => k.truncate(i),
            None => return "the merged configuration".into(),
        }
    }
}

/// A valid example for `key`: its default, or a hand-written one for keys without a default.
fn example_for(key: &str, defaults: &toml::Table) -> String {
    let name = key.rsplit('.').next().unwrap_or(key);
    let mut parts = key.split('.');
    if let (Some(section), Some(k), None) = (parts.next(), parts.next(), parts.next())
        && let Some(v) = defaults.get(section).and_then(|t| t.get(k)) {
            return format!("{k} = {v} (the default, in [{section}])");
        }
    match key {
        "receiver.secret_file" | "amqp.signing_key_file" | "hub.token_file" => format!("{name} = \"/run/secrets/{}\"", name.trim_end_matches("_file")),
        "smoke.preview_namespace" => "preview_namespace = \"my-org\"".into(),
        k if k.starts_with("links") => "[[links]] lora = \"alice/pixel-lora\" space = \"alice/pixel-lora-demo\"".into(),
        _ => "see config/default.toml, which lists every key with its default".into(),
    }
}

pub(super) fn key_error(e: &serde_path_to_error::Error<toml::de::Error>, origins: &BTreeMap<String, String>, defaults: &toml::Table) -> ConfigError {
    let path = e.path().to_string();
    let message = e.inner().message().to_owned();
    // serde reports an unknown key at its parent: name the key itself.
    let key = match message.strip_prefix("unknown field `").and_then(|m| m.split('`').next()) {
        Some(field) if path == "." => field.to_owned(),
        Some(field) if path == field || path.ends_with(&format!(".{field}")) => path,
        Some(field) => format!("{path}.{field}"),
        None => path,
    };
    let example = if message.starts_with("unknown field") {
        format!("one of the keys config/default.toml lists ({message})")
    } else {
        example_for(&key, defaults)
    };
    let problem = if message.starts_with("unknown field") { "unknown key (a typo?)".into() } else { message };
    ConfigError::Key { origin: origin_of(origins, &key), key, problem, example }
}

/// Adds where its key was set to a validation error.
pub(super) fn locate(e: ConfigError, origins: &BTreeMap<String, String>) -> ConfigError {
    match &e {
        ConfigError::Invalid { key, .. } if origins.contains_key(*key) || *key == "links" => ConfigError::Located { origin: origin_of(origins, key), inner: Box::new(e) },
        _ => e,
    }
}


#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::path::PathBuf;

    use super::super::Settings;
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    fn load_file(body: &str, extra_env: &[(&str, &str)]) -> (String, PathBuf) {
        let dir = tempfile::tempdir().expect("tmp");
        let p = dir.path().join("site.toml");
        std::fs::write(&p, body).expect("write");
        let mut e = env(&[("LSB_SIGNING_KEY", "k")]);
        e.extend(env(extra_env));
        let err = Settings::load(std::slice::from_ref(&p), &e).expect_err("must be refused");
        (err.to_string(), p)
    }

    #[test]
    fn a_type_error_names_the_key_the_file_and_a_valid_example() {
        let (msg, p) = load_file("[worker]\nconcurrency = \"lots\"\n", &[]);
        assert!(msg.contains("`worker.concurrency`"), "{msg}");
        assert!(msg.contains(&p.display().to_string()), "{msg}");
        assert!(msg.contains("concurrency = 4"), "{msg}");
    }

    #[test]
    fn an_unparsable_address_or_url_names_its_key_and_an_example() {
        let (msg, _) = load_file("[receiver]\nlisten = \"localhost:8080\"\n", &[]);
        assert!(msg.contains("`receiver.listen`") && msg.contains("listen = \"127.0.0.1:8080\""), "{msg}");
        let (msg, _) = load_file("[hub]\nendpoint = \"127.0.0.1:17861\"\n", &[]);
        assert!(msg.contains("`hub.endpoint`") && msg.contains("endpoint = \"https://huggingface.co\""), "{msg}");
    }

    #[test]
    fn an_env_override_is_named_as_the_origin() {
        let (msg, _) = load_file("", &[("LSB__WORKER__CONCURRENCY", "lots")]);
        assert!(msg.contains("env LSB__WORKER__CONCURRENCY") && msg.contains("`worker.concurrency`"), "{msg}");
        let (msg, _) = load_file("", &[("AMQP_URL", "http://rabbit:15672/")]);
        assert!(msg.contains("`amqp.url`") && msg.contains("env AMQP_URL") && msg.contains("amqp://"), "{msg}");
    }

    #[test]
    fn an_unknown_key_is_named_with_its_file() {
        let (msg, p) = load_file("[worker]\nconcurency = 3\n", &[]);
        assert!(msg.contains("`worker.concurency`") && msg.contains(&p.display().to_string()), "{msg}");
    }

    #[test]
    fn a_bad_link_names_the_links_and_an_example() {
        let (msg, p) = load_file("[[links]]\nlora = \"not a repo id\"\nspace = \"a/s\"\n", &[]);
        assert!(msg.contains("links") && msg.contains(&p.display().to_string()) && msg.contains("[[links]] lora = "), "{msg}");
    }

    #[test]
    fn the_password_of_a_url_is_masked_and_nothing_else() {
        assert_eq!(mask_url_password("amqp://lsb:hunter2@rabbit:5672/%2f"), "amqp://lsb:****@rabbit:5672/%2f");
        assert_eq!(mask_url_password("amqp://rabbit:5672/%2f"), "amqp://rabbit:5672/%2f");
        assert_eq!(mask_url_password("amqp://lsb@rabbit/%2f"), "amqp://lsb@rabbit/%2f");
        assert_eq!(mask_url_password("amqps://u:p%40ss@h/v?x=a@b"), "amqps://u:****@h/v?x=a@b");
    }
}
