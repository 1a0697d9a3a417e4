//! Seeding from directories and card fixtures, Space builds, the commit log.

use lora_space_bot::domain::RepoType;
use lora_space_bot::sim::{BuildOutcome, SimConfig};

use super::{OTHER_USER, WAIT, client, files, rid, spawn_sim, spawn_sim_with};

#[tokio::test]
async fn seeding_a_directory_creates_repos_owned_by_their_namespace() {
    let dir = tempfile::tempdir().expect("tempdir");
    let lora = dir.path().join("models/alice/pixel-lora");
    std::fs::create_dir_all(lora.join("samples")).expect("mkdir");
    std::fs::write(lora.join("README.md"), "---\ntags: [lora]\n---\n# Pixel").expect("write");
    std::fs::write(lora.join("samples/cat.png"), b"png").expect("write");
    std::fs::create_dir_all(dir.path().join("spaces/alice/pixel-demo")).expect("mkdir");
    std::fs::write(dir.path().join("spaces/alice/pixel-demo/app.py"), "import gradio").expect("write");
    let sim = spawn_sim_with(SimConfig { seed: Some(dir.path().to_owned()), ..SimConfig::default() }).await;
    let id = rid("alice/pixel-lora");
    assert_eq!(sim.file(RepoType::Model, &id, "main", "samples/cat.png").as_deref(), Some(&b"png"[..]));
    assert!(sim.wait_until(WAIT, |s| s.space_stage(&rid("alice/pixel-demo")).as_deref() == Some("RUNNING")).await);
    let info = client(&sim, None).model_info(&id, None).await.expect("public info");
    assert_eq!(info.author.as_deref(), Some("alice"));
    let alice = client(&sim, Some(&lora_space_bot::sim::seed_token("alice")));
    assert_eq!(alice.whoami().await.expect("seeded users can sign in").name, "alice");
    assert_eq!(info.card_data.as_ref().and_then(|c| c["tags"][0].as_str()), Some("lora"));
}

#[tokio::test]
async fn a_card_fixture_becomes_a_lora_repo_with_every_listed_file() {
    let sim = spawn_sim().await;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures/cards/02-flux-dev-dreambooth-corgi");
    let dir = if dir.exists() { dir } else { std::path::PathBuf::from("/work/shared/fixtures/cards/02-flux-dev-dreambooth-corgi") };
    let (id, _) = sim.seed_card_fixture(&dir).expect("fixture seeds");
    assert_eq!(id, rid("tkato/corgi-dreambooth-flux-lora"));
    let listed = client(&sim, None).list_files(RepoType::Model, &id, "main").await.expect("files");
    let expected: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).expect("read")).expect("json");
    let mut want: Vec<String> = expected["files"].as_array().expect("files").iter().filter_map(|v| v.as_str().map(str::to_owned)).collect();
    want.sort();
    let mut got = listed.clone();
    got.sort();
    assert_eq!(got, want);
    let readme = sim.file(RepoType::Model, &id, "main", "README.md").expect("readme");
    assert_eq!(readme, std::fs::read(dir.join("README.md")).expect("read"));
}

#[tokio::test]
async fn a_scripted_build_error_ends_the_build_with_its_log() {
    let sim = spawn_sim().await;
    let id = rid("sim-user/demo");
    sim.seed_repo(RepoType::Space, &id, files(&[("README.md", "---\nsdk: gradio\n---\n")]), false);
    sim.script_build(&id, BuildOutcome::BuildError(vec!["ERROR: No matching distribution found for torch==9".into()]));
    sim.commit_as("sim-user", RepoType::Space, &id, files(&[("app.py", "import gradio")]), "add app");
    assert!(sim.wait_until(WAIT, |s| s.space_stage(&id).as_deref() == Some("BUILD_ERROR")).await);
    let logs = client(&sim, Some(sim.token())).space_logs(&id, lora_space_bot::hub::LogKind::Build).await.expect("logs");
    assert!(logs.len() > 1 && logs.iter().any(|l| l.data.contains("No matching distribution")), "{logs:?}");
    let url = sim.base_url().join("api/spaces/sim-user/demo/logs/build?tail=1").expect("url");
    // The stream never ends (hub-constraints.md §5): read what the replay sent.
    let mut resp = reqwest::Client::new().get(url).bearer_auth(sim.token()).send().await.expect("tail");
    let body = String::from_utf8_lossy(&resp.chunk().await.expect("chunk").expect("the replay")).into_owned();
    assert_eq!(body.matches("data: ").count(), 1, "{body}");
    assert!(body.contains("No matching distribution"), "the last line: {body}");
}

#[tokio::test]
async fn seeded_files_are_readable_at_main_and_the_returned_commit() {
    let sim = spawn_sim().await;
    let id = rid("sim-user/lora");
    let first = sim.seed_repo(RepoType::Model, &id, files(&[("a", "1")]), false);
    sim.commit_as("sim-user", RepoType::Model, &id, files(&[("a", "2")]), "second");
    assert_eq!(sim.file(RepoType::Model, &id, first.as_str(), "a").as_deref(), Some(&b"1"[..]));
    assert_eq!(sim.file(RepoType::Model, &id, "main", "a").as_deref(), Some(&b"2"[..]));
    assert_eq!(sim.file(RepoType::Model, &id, "main", "missing"), None);
}

#[tokio::test]
async fn the_commit_log_names_each_commits_author_and_parent() {
    let sim = spawn_sim().await;
    let id = rid("sim-user/lora");
    let first = sim.seed_repo(RepoType::Model, &id, files(&[("a", "1")]), false);
    let second = sim.commit_as(OTHER_USER, RepoType::Model, &id, files(&[("a", "2")]), "by other");
    let log = sim.commit_log(RepoType::Model, &id, "main");
    assert_eq!(log.len(), 3, "initial commit, seed, update");
    assert_eq!((log[0].oid.clone(), log[0].author.as_str(), log[0].title.as_str()), (second, OTHER_USER, "by other"));
    assert_eq!(log[0].parent, Some(first));
}

#[tokio::test]
async fn the_seed_folder_of_config_local_toml_holds_every_linked_pair_and_its_base() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let sim = spawn_sim_with(SimConfig { seed: Some(root.join("config/seed")), ..SimConfig::default() }).await;
    let env = std::collections::HashMap::from([("LSB_SIGNING_KEY".to_owned(), "k".to_owned())]);
    let settings = lora_space_bot::config::Settings::load(&[root.join("config/local.toml")], &env).expect("config/local.toml loads");
    assert!(!settings.links.is_empty());
    let hub = client(&sim, Some(sim.token()));
    for link in &settings.links {
        let (lora, space) = (&link.lora, &link.space);
        let info = hub.model_info(lora, None).await.unwrap_or_else(|e| panic!("{lora} is not in config/seed: {e}"));
        assert_eq!(info.author.as_deref(), Some(SimConfig::default().user.as_str()), "{lora} belongs to the simulator's main user, whose token `sim` prints");
        let base = info.card_data.as_ref().and_then(|c| c["base_model"].as_str()).expect("the card names its base").to_owned();
        hub.model_info(&rid(&base), None).await.unwrap_or_else(|e| panic!("the base {base} is not in config/seed: {e}"));
        let weights = sim.file(RepoType::Model, lora, "main", "pixel-lora.safetensors").expect("weights");
        let len = u64::from_le_bytes(weights[..8].try_into().expect("8 bytes")) as usize;
        assert_eq!(weights.len(), 8 + len, "a valid safetensors file (header only)");
        serde_json::from_slice::<serde_json::Value>(&weights[8..]).expect("its header is JSON");
        assert!(sim.file(RepoType::Space, space, "main", "README.md").is_some(), "{space} is not in config/seed");
    }
}
