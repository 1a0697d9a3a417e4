//! whoami, model and Space info, tree listing (paginated), downloads, YAML validation,
//! repo creation and deletion.

use lora_space_bot::domain::RepoType;
use lora_space_bot::hub::{CreateRepo, EntryKind, HubError, NotFoundKind, Visibility};
use lora_space_bot::sim::SimConfig;

use crate::sim::{client, files, rid, spawn_sim, spawn_sim_with};

#[tokio::test]
async fn whoami_names_the_owner_of_the_token() {
    let sim = spawn_sim().await;
    let me = client(&sim, Some(sim.token())).whoami().await.expect("whoami");
    assert_eq!(me.name, "sim-user");
    assert_eq!(me.auth.and_then(|a| a.access_token).and_then(|t| t.role).as_deref(), Some("write"));
}

#[tokio::test]
async fn model_info_returns_sha_siblings_and_parsed_card_data() {
    let sim = spawn_sim().await;
    let id = rid("sim-user/lora");
    let head = sim.seed_repo(RepoType::Model, &id, files(&[("README.md", "---\nbase_model: x/y\npipeline_tag: text-to-image\n---\nhi"), ("w.safetensors", "w")]), false);
    let info = client(&sim, None).model_info(&id, None).await.expect("info");
    assert_eq!(info.sha, Some(head));
    assert_eq!(info.pipeline_tag.as_deref(), Some("text-to-image"));
    assert_eq!(info.card_data.as_ref().and_then(|c| c["base_model"].as_str()), Some("x/y"));
    let names: Vec<&str> = info.siblings.iter().map(|s| s.rfilename.as_str()).collect();
    assert_eq!(names, [".gitattributes", "README.md", "w.safetensors"]);
    assert!(!info.private && !info.is_gated());
}

#[tokio::test]
async fn model_info_at_a_revision_describes_that_commit() {
    let sim = spawn_sim().await;
    let id = rid("sim-user/lora");
    let first = sim.seed_repo(RepoType::Model, &id, files(&[("a", "1")]), false);
    sim.commit_as("sim-user", RepoType::Model, &id, files(&[("b", "2")]), "add b");
    let old = client(&sim, None).model_info(&id, Some(first.as_str())).await.expect("info");
    assert_eq!(old.sha, Some(first));
    assert!(old.siblings.iter().all(|s| s.rfilename != "b"));
}

#[tokio::test]
async fn space_info_carries_sdk_host_and_runtime() {
    let sim = spawn_sim().await;
    let id = rid("sim-user/demo");
    sim.seed_repo(RepoType::Space, &id, files(&[("app.py", "import gradio")]), false);
    let info = client(&sim, None).space_info(&id, None).await.expect("info");
    assert_eq!(info.sdk.as_deref(), Some("gradio"));
    assert_eq!(info.host.as_deref(), Some("https://sim-user-demo.not-served-by-the-sim.invalid"));
    assert!(info.runtime.is_some());
}

#[tokio::test]
async fn an_unknown_revision_is_revision_not_found() {
    let sim = spawn_sim().await;
    let id = rid("sim-user/lora");
    sim.seed_repo(RepoType::Model, &id, files(&[("a", "1")]), false);
    let err = client(&sim, None).model_info(&id, Some("no-such-branch")).await.expect_err("404");
    assert!(err.is_not_found(NotFoundKind::RevisionNotFound), "{err}");
}

#[tokio::test]
async fn a_tree_listing_follows_link_pagination_to_the_last_page() {
    let sim = spawn_sim_with(SimConfig { tree_page_size: 2, ..SimConfig::default() }).await;
    let id = rid("sim-user/lora");
    sim.seed_repo(RepoType::Model, &id, files(&[("a", "1"), ("b", "2"), ("d/c", "3"), ("d/e", "4")]), false);
    let entries = client(&sim, None).list_tree(RepoType::Model, &id, "main", "", true).await.expect("tree");
    let paths: Vec<&str> = entries.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(paths, ["d", ".gitattributes", "a", "b", "d/c", "d/e"]);
    assert_eq!(entries[0].kind, EntryKind::Directory);
    let pages = sim.calls().iter().filter(|c| c.path.contains("/tree/")).count();
    assert_eq!(pages, 3);
}

#[tokio::test]
async fn list_files_is_recursive_and_keeps_only_files() {
    let sim = spawn_sim().await;
    let id = rid("sim-user/lora");
    sim.seed_repo(RepoType::Model, &id, files(&[("x/y/z.txt", "1")]), false);
    let got = client(&sim, None).list_files(RepoType::Model, &id, "main").await.expect("files");
    assert_eq!(got, [".gitattributes", "x/y/z.txt"]);
}

#[tokio::test]
async fn a_tree_of_a_missing_folder_is_entry_not_found() {
    let sim = spawn_sim().await;
    let id = rid("sim-user/lora");
    sim.seed_repo(RepoType::Model, &id, files(&[("a", "1")]), false);
    let err = client(&sim, None).list_tree(RepoType::Model, &id, "main", "nope", false).await.expect_err("404");
    assert!(err.is_not_found(NotFoundKind::EntryNotFound), "{err}");
}

#[tokio::test]
async fn download_returns_the_bytes_and_the_resolved_commit() {
    let sim = spawn_sim().await;
    let id = rid("sim-user/demo");
    let head = sim.seed_repo(RepoType::Space, &id, files(&[("src/app.py", "print(1)")]), false);
    let got = client(&sim, None).download(RepoType::Space, &id, "main", "src/app.py").await.expect("download");
    assert_eq!(&got.bytes[..], b"print(1)");
    assert_eq!(got.commit, Some(head));
}

#[tokio::test]
async fn download_of_a_missing_file_is_entry_not_found_and_not_retried() {
    let sim = spawn_sim().await;
    let id = rid("sim-user/lora");
    sim.seed_repo(RepoType::Model, &id, files(&[("a", "1")]), false);
    let err = client(&sim, None).download(RepoType::Model, &id, "main", "missing.txt").await.expect_err("404");
    assert!(err.is_not_found(NotFoundKind::EntryNotFound), "{err}");
    assert_eq!(sim.calls().len(), 1);
}

#[tokio::test]
async fn validate_yaml_accepts_good_space_metadata_and_rejects_a_long_short_description() {
    let sim = spawn_sim().await;
    let api = client(&sim, Some(sim.token()));
    let ok = api.validate_yaml(RepoType::Space, "---\nsdk: gradio\ncolorFrom: blue\n---\n").await.expect("valid");
    assert!(ok.is_empty());
    let long = format!("---\nsdk: gradio\nshort_description: {}\n---\n", "x".repeat(61));
    let err = api.validate_yaml(RepoType::Space, &long).await.expect_err("400");
    assert!(matches!(&err, HubError::BadRequest { ctx } if ctx.message.as_deref().is_some_and(|m| m.contains("short_description"))), "{err}");
}

#[tokio::test]
async fn create_repo_makes_a_space_and_a_second_create_is_a_conflict_and_delete_removes_it() {
    let sim = spawn_sim().await;
    sim.set_plan("sim-user", lora_space_bot::sim::Plan::Pro); // a Gradio Space needs a paid plan
    let api = client(&sim, Some(sim.token()));
    let req = CreateRepo { repo_type: RepoType::Space, id: rid("sim-user/new-space"), visibility: Visibility::Private, sdk: Some("gradio".into()), hardware: None };
    let url = api.create_repo(&req).await.expect("created");
    assert_eq!(url, format!("{}spaces/sim-user/new-space", sim.base_url()));
    assert!(matches!(api.create_repo(&req).await, Err(HubError::Conflict { .. })));
    let info = api.space_info(&req.id, None).await.expect("info");
    assert!(info.private);
    api.delete_repo(RepoType::Space, &req.id).await.expect("deleted");
    assert!(api.space_info(&req.id, None).await.expect_err("gone").is_not_found(NotFoundKind::RepoNotFound));
}

#[tokio::test]
async fn creating_a_repo_in_another_namespace_is_forbidden() {
    let sim = spawn_sim().await;
    let req = CreateRepo { repo_type: RepoType::Model, id: rid("someone-else/x"), visibility: Visibility::Public, sdk: None, hardware: None };
    let err = client(&sim, Some(sim.token())).create_repo(&req).await.expect_err("403");
    assert!(matches!(err, HubError::Forbidden { .. }), "{err}");
}
