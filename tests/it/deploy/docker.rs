//! Dockerfile and .dockerignore: entrypoint, CMD and HEALTHCHECK parse; non-root; the config LSB_CONFIG names is copied in.

use super::*;

#[derive(Debug, Clone, Default)]
pub(super) struct Stage {
    pub(super) entrypoint: Vec<String>,
    pub(super) cmd: Vec<String>,
    pub(super) healthcheck: Option<Vec<String>>,
    pub(super) env: BTreeMap<String, String>,
    pub(super) copies: Vec<(String, String)>,
    pub(super) user: Option<String>,
}

/// Stage name -> effective settings (inherited through `FROM <stage>`).
pub(super) fn dockerfile_stages() -> BTreeMap<String, Stage> {
    let joined = read("Dockerfile").replace("\\\n", " ");
    let mut stages: BTreeMap<String, Stage> = BTreeMap::new();
    let mut current: Option<(String, Stage)> = None;
    let array = |s: &str| serde_json::from_str::<Vec<String>>(s.trim()).unwrap_or_else(|e| panic!("Dockerfile: `{s}` is not an exec-form JSON array: {e}"));
    for line in joined.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
        let (instr, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
        if instr == "FROM" {
            if let Some((n, s)) = current.take() {
                stages.insert(n, s);
            }
            let words: Vec<&str> = rest.split_whitespace().collect();
            let name = words.last().expect("stage name").to_string();
            current = Some((name, stages.get(words[0]).cloned().unwrap_or_default()));
            continue;
        }
        let Some((_, s)) = current.as_mut() else { continue };
        match instr {
            "ENTRYPOINT" => s.entrypoint = array(rest),
            "CMD" => s.cmd = array(rest),
            "USER" => s.user = Some(rest.trim().to_owned()),
            "HEALTHCHECK" if rest.trim() == "NONE" => s.healthcheck = None,
            "HEALTHCHECK" => s.healthcheck = Some(array(rest.split_once("CMD").expect("HEALTHCHECK CMD").1)),
            "ENV" => s.env.extend(rest.split_whitespace().filter_map(|kv| kv.split_once('=')).map(|(k, v)| (k.to_owned(), v.to_owned()))),
            "COPY" if !rest.contains("--from") => {
                let w: Vec<&str> = rest.split_whitespace().collect();
                s.copies.push((w[0].to_owned(), w[w.len() - 1].to_owned()));
            }
            _ => {}
        }
    }
    if let Some((n, s)) = current {
        stages.insert(n, s);
    }
    stages
}

/// Environment variables the images set that are not the bot's configuration, and why.
pub(super) const IMAGE_ONLY_ENV: &[&str] = &["PATH", "PYTHONPATH", "HOME"]; // worker-smoke: the harness venv, its package, a writable home

pub(super) fn runtime_stages() -> Vec<(String, Stage)> {
    let stages = dockerfile_stages();
    ["runtime", "worker-smoke"].iter().map(|n| ((*n).to_owned(), stages.get(*n).unwrap_or_else(|| panic!("Dockerfile has no `{n}` stage")).clone())).collect()
}

#[test]
pub(super) fn dockerfile_entrypoint_cmd_and_healthcheck_are_real_invocations() {
    for (name, s) in runtime_stages() {
        assert_eq!(s.entrypoint, ["lora-space-bot"], "stage {name}");
        assert_invocation(&format!("Dockerfile {name} ENTRYPOINT+CMD"), &[s.entrypoint.clone(), s.cmd.clone()].concat());
        if let Some(h) = &s.healthcheck {
            assert_invocation(&format!("Dockerfile {name} HEALTHCHECK"), h);
        }
    }
    assert!(dockerfile_stages()["runtime"].healthcheck.is_some(), "the receiver image needs a HEALTHCHECK");
}

#[test]
pub(super) fn dockerfile_images_run_as_non_root_with_the_config_they_name_copied_in() {
    for (name, s) in runtime_stages() {
        let uid = s.user.as_deref().and_then(|u| u.split(':').next()).and_then(|u| u.parse::<u32>().ok());
        assert!(uid.is_some_and(|u| u != 0), "stage {name} must end as a numeric non-root USER, got {:?}", s.user);
        assert_known_env(&format!("Dockerfile {name}"), s.env.keys().map(String::as_str).filter(|k| !IMAGE_ONLY_ENV.contains(k)));
        for path in config_files(&[], &s.env.clone().into_iter().collect()) {
            let rel = repo_file_of(&path);
            assert!(s.copies.iter().any(|(src, dst)| src == rel && *dst == path), "stage {name}: LSB_CONFIG names {path} but nothing copies {rel} there");
        }
    }
}

#[test]
pub(super) fn dockerignore_lets_every_copied_source_into_the_build_context() {
    let rules: Vec<String> = read(".dockerignore").lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).map(str::to_owned).collect();
    assert_eq!(rules.first().map(String::as_str), Some("*"), ".dockerignore is an allow-list");
    for (src, _) in dockerfile_stages().values().flat_map(|s| s.copies.clone()) {
        let allowed = src == "." || rules.iter().any(|r| r.strip_prefix('!').is_some_and(|a| src.trim_end_matches('/') == a.trim_end_matches('/') || src.starts_with(a)));
        assert!(allowed, "COPY {src}: excluded from the build context by .dockerignore");
    }
}
