//! deploy/systemd: real subcommands, credentials behind every *_file variable, hardening.

use super::*;

pub(super) fn unit(rel: &str) -> Vec<(String, String)> {
    read(rel).lines().map(str::trim).filter(|l| !l.starts_with('#') && !l.starts_with('[')).filter_map(|l| l.split_once('=')).map(|(k, v)| (k.to_owned(), v.to_owned())).collect()
}

pub(super) fn unit_values<'a>(u: &'a [(String, String)], key: &str) -> Vec<&'a str> {
    u.iter().filter(|(k, _)| k == key).map(|(_, v)| v.as_str()).collect()
}

pub(super) const UNITS: &[&str] = &["deploy/systemd/lora-space-bot-serve.service", "deploy/systemd/lora-space-bot-work@.service"];

#[test]
pub(super) fn systemd_units_run_real_subcommands_with_a_configuration_that_loads_from_their_credentials() {
    for rel in UNITS {
        let u = unit(rel);
        let argv: Vec<String> = unit_values(&u, "ExecStart").first().expect("ExecStart").split_whitespace().map(str::to_owned).collect();
        assert_invocation(rel, &argv);
        // Materialise the credentials directory (%d) with the credentials the unit loads.
        let creds = tempfile::tempdir().expect("tmp");
        for c in unit_values(&u, "LoadCredential") {
            std::fs::write(creds.path().join(c.split(':').next().expect("name")), "test-secret").expect("write credential");
        }
        let env: HashMap<String, String> = unit_values(&u, "Environment").iter().flat_map(|e| e.split_whitespace()).filter_map(|kv| kv.split_once('=')).map(|(k, v)| (k.to_owned(), v.replace("%d", &creds.path().display().to_string()).replace("%i", "9091"))).collect();
        assert_known_env(rel, env.keys().map(String::as_str));
        let s = assert_deployed(rel, &argv, &env, &from_repo);
        assert!(s.webhook_secret.is_some() && s.hub_token.is_some(), "{rel}: secrets must come from the loaded credentials");
    }
}

#[test]
pub(super) fn systemd_units_are_hardened_and_restart_on_failure() {
    for rel in UNITS {
        let u = unit(rel);
        let one = |k: &str| unit_values(&u, k).first().copied().unwrap_or_else(|| panic!("{rel}: {k}= missing"));
        assert_eq!(one("ProtectSystem"), "strict", "{rel}");
        assert_eq!(one("NoNewPrivileges"), "yes", "{rel}");
        assert_eq!(one("Restart"), "on-failure", "{rel}");
        assert_eq!(one("KillSignal"), "SIGTERM", "{rel}");
        assert!(unit_values(&u, "DynamicUser") == ["yes"] || !unit_values(&u, "User").is_empty(), "{rel}: run as an unprivileged user");
        assert!(!unit_values(&u, "TimeoutStopSec").is_empty(), "{rel}: TimeoutStopSec");
    }
}
