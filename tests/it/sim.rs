//! The simulator over real HTTP: auth semantics, permissions, webhook deliveries, seeding,
//! Space builds, fault injection and the call log. Also the helpers other modules use.

use std::collections::BTreeMap;
use std::time::Duration;

use lora_space_bot::domain::{RepoId, RepoType};
use lora_space_bot::hub::{HubClient, HubSettings, Secret};
use lora_space_bot::sim::{self, BuildOutcome, Fault, FaultRule, SimConfig, SimHandle};

pub const OTHER_USER: &str = "other-user";
pub const OTHER_TOKEN: &str = "hf_other_token";
pub const WAIT: Duration = Duration::from_secs(10);

/// A simulator on a free port with the main user and `other-user`.
pub async fn spawn_sim() -> SimHandle {
    spawn_sim_with(SimConfig::default()).await
}

pub async fn spawn_sim_with(mut config: SimConfig) -> SimHandle {
    config.extra_users.push((OTHER_USER.to_owned(), OTHER_TOKEN.to_owned()));
    config.build_delay = Duration::from_millis(50);
    sim::start("127.0.0.1:0".parse().expect("addr"), config).await.expect("sim starts")
}

/// Client settings for tests: fast backoff, short timeout.
pub fn settings(sim: &SimHandle, token: Option<&str>) -> HubSettings {
    HubSettings {
        endpoint: sim.base_url(),
        token: token.map(Secret::new),
        timeout: Duration::from_secs(5),
        max_retries: 3,
        retry_min_delay: Duration::from_millis(10),
        max_retry_wait: Duration::from_secs(5),
        ..HubSettings::default()
    }
}

pub fn client(sim: &SimHandle, token: Option<&str>) -> HubClient {
    HubClient::new(&settings(sim, token)).expect("client builds")
}

pub fn rid(s: &str) -> RepoId {
    s.parse().expect("repo id")
}

pub fn files(pairs: &[(&str, &str)]) -> BTreeMap<String, Vec<u8>> {
    pairs.iter().map(|(p, c)| ((*p).to_owned(), c.as_bytes().to_vec())).collect()
}

/// A local webhook receiver answering 200; returns its URL.
pub async fn receiver() -> String {
    let app = axum::Router::new().route("/hook", axum::routing::post(|| async { "ok" }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}/hook")
}

async fn raw(sim: &SimHandle, method: reqwest::Method, path: &str, token: Option<&str>, body: Option<String>) -> reqwest::Response {
    let url = sim.base_url().join(path).expect("url");
    let mut req = reqwest::Client::new().request(method, url);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req.header("content-type", "application/x-ndjson").body(b);
    }
    req.send().await.expect("response")
}

fn header(r: &reqwest::Response, name: &str) -> Option<String> {
    r.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned)
}

#[tokio::test]
async fn unknown_token_is_401_with_the_hubs_invalid_credentials_message() {
    let sim = spawn_sim().await;
    sim.seed_repo(RepoType::Model, &rid("sim-user/lora"), files(&[("a", "1")]), false);
    let r = raw(&sim, reqwest::Method::GET, "api/models/sim-user/lora", Some("hf_nope"), None).await;
    assert_eq!(r.status(), 401);
    assert_eq!(header(&r, "x-error-message").as_deref(), Some("Invalid credentials in Authorization header"));
}

#[tokio::test]
async fn anonymous_read_of_missing_repo_is_401_but_authenticated_is_404_repo_not_found() {
    let sim = spawn_sim().await;
    let anon = raw(&sim, reqwest::Method::GET, "api/models/nobody/missing", None, None).await;
    assert_eq!(anon.status(), 401);
    let authed = raw(&sim, reqwest::Method::GET, "api/models/nobody/missing", Some(sim.token()), None).await;
    assert_eq!(authed.status(), 404);
    assert_eq!(header(&authed, "x-error-code").as_deref(), Some("RepoNotFound"));
    assert!(header(&authed, "x-request-id").is_some());
}

#[tokio::test]
async fn private_repo_is_hidden_from_other_users_as_404() {
    let sim = spawn_sim().await;
    sim.seed_repo(RepoType::Model, &rid("sim-user/secret"), files(&[("a", "1")]), true);
    let other = raw(&sim, reqwest::Method::GET, "api/models/sim-user/secret", Some(OTHER_TOKEN), None).await;
    assert_eq!(other.status(), 404);
    let owner = raw(&sim, reqwest::Method::GET, "api/models/sim-user/secret", Some(sim.token()), None).await;
    assert_eq!(owner.status(), 200);
}

#[tokio::test]
async fn non_owner_push_to_main_is_403_and_changes_nothing() {
    let sim = spawn_sim().await;
    let id = rid("sim-user/demo");
    let head = sim.seed_repo(RepoType::Space, &id, files(&[("app.py", "x")]), false);
    let body = "{\"key\":\"header\",\"value\":{\"summary\":\"hack\",\"description\":\"\"}}\n{\"key\":\"file\",\"value\":{\"path\":\"app.py\",\"content\":\"eQ==\",\"encoding\":\"base64\"}}\n";
    let r = raw(&sim, reqwest::Method::POST, "api/spaces/sim-user/demo/commit/main", Some(OTHER_TOKEN), Some(body.into())).await;
    assert_eq!(r.status(), 403);
    assert_eq!(sim.head(RepoType::Space, &id, "main"), Some(head));
}

#[tokio::test]
async fn resolve_answers_head_requests_with_commit_etag_and_length() {
    let sim = spawn_sim().await;
    let id = rid("sim-user/lora");
    let head = sim.seed_repo(RepoType::Model, &id, files(&[("dir/w.txt", "hello\n")]), false);
    let r = raw(&sim, reqwest::Method::HEAD, "sim-user/lora/resolve/main/dir/w.txt", None, None).await;
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "x-repo-commit"), Some(head.to_string()));
    assert_eq!(header(&r, "etag").as_deref(), Some("\"ce013625030ba8dba906f756967f9e9ca394464a\""));
    assert_eq!(header(&r, "content-length").as_deref(), Some("6"));
}

#[tokio::test]
async fn tree_accepts_percent_encoded_and_raw_slashes_in_the_path() {
    let sim = spawn_sim().await;
    sim.seed_repo(RepoType::Model, &rid("sim-user/lora"), files(&[("a/b/c.txt", "1")]), false);
    for path in ["api/models/sim-user/lora/tree/main/a%2Fb", "api/models/sim-user/lora/tree/main/a/b"] {
        let r = raw(&sim, reqwest::Method::GET, path, None, None).await;
        assert_eq!(r.status(), 200, "{path}");
        let v: serde_json::Value = r.json().await.expect("json");
        assert_eq!(v[0]["path"], "a/b/c.txt", "{path}");
    }
}

#[tokio::test]
async fn a_commit_to_a_watched_repo_is_delivered_with_secret_head_sha_and_updated_refs() {
    let sim = spawn_sim().await;
    let id = rid("sim-user/lora");
    let old = sim.seed_repo(RepoType::Model, &id, files(&[("a", "1")]), false);
    let api = client(&sim, Some(sim.token()));
    let url = receiver().await;
    let spec = lora_space_bot::hub::WebhookSpec {
        watched: vec![lora_space_bot::hub::WatchedItem { kind: "model".into(), name: id.to_string() }],
        url: url.clone(),
        domains: vec![lora_space_bot::hub::WebhookDomain::Repo],
        secret: Some(Secret::new("s3cret")),
    };
    api.create_webhook(&spec).await.expect("webhook created");
    let new = sim.commit_as("sim-user", RepoType::Model, &id, files(&[("a", "2")]), "update");
    let got = sim.wait_for_deliveries(1, WAIT).await;
    assert_eq!(got.len(), 1);
    let d = &got[0];
    assert_eq!((d.url.as_str(), d.secret.as_deref(), d.status), (url.as_str(), Some("s3cret"), Some(200)));
    assert_eq!(d.scope(), "repo.content");
    assert_eq!(d.payload["event"]["action"], "update");
    assert_eq!(d.payload["repo"]["headSha"], new.as_str());
    assert_eq!(d.payload["repo"]["name"], id.to_string());
    assert_eq!(d.payload["updatedRefs"][0]["ref"], "refs/heads/main");
    assert_eq!(d.payload["updatedRefs"][0]["oldSha"], old.as_str());
    assert_eq!(d.payload["updatedRefs"][0]["newSha"], new.as_str());
    assert_eq!(d.payload["webhook"]["version"], 3);
}

#[tokio::test]
async fn discussion_events_reach_discussion_domain_hooks_but_not_repo_only_hooks() {
    let sim = spawn_sim().await;
    let id = rid("sim-user/lora");
    sim.seed_repo(RepoType::Model, &id, files(&[("a", "1")]), false);
    let api = client(&sim, Some(sim.token()));
    let url = receiver().await;
    let watched = vec![lora_space_bot::hub::WatchedItem { kind: "model".into(), name: id.to_string() }];
    for domain in [lora_space_bot::hub::WebhookDomain::Discussion, lora_space_bot::hub::WebhookDomain::Repo] {
        let spec = lora_space_bot::hub::WebhookSpec { watched: watched.clone(), url: url.clone(), domains: vec![domain], secret: None };
        api.create_webhook(&spec).await.expect("created");
    }
    let num = api.create_discussion(RepoType::Model, &id, "A question", "hello", false).await.expect("created");
    api.comment(RepoType::Model, &id, num, "a reply").await.expect("commented");
    let got = sim.wait_for_deliveries(2, WAIT).await;
    let mut scopes: Vec<&str> = got.iter().map(|d| d.scope()).collect();
    scopes.sort();
    assert_eq!(scopes, ["discussion", "discussion.comment"]);
    let comment = got.iter().find(|d| d.scope() == "discussion.comment").expect("comment delivery");
    assert_eq!(comment.payload["comment"]["content"], "a reply");
    assert_eq!(comment.payload["discussion"]["num"], num);
    assert!(comment.payload["repo"].get("headSha").is_none());
}

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
    assert!(logs.iter().any(|l| l.data.contains("No matching distribution")), "{logs:?}");
}

#[tokio::test]
async fn a_dropped_connection_fault_closes_without_an_answer_and_is_logged_without_status() {
    let sim = spawn_sim().await;
    sim.inject(FaultRule::new(Some("GET"), "/api/whoami-v2", Fault::Drop));
    let err = reqwest::Client::new().get(sim.base_url().join("api/whoami-v2").expect("url")).bearer_auth(sim.token()).send().await;
    assert!(err.is_err(), "expected a dropped connection, got {err:?}");
    let calls = sim.calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].status, None);
    let ok = raw(&sim, reqwest::Method::GET, "api/whoami-v2", Some(sim.token()), None).await;
    assert_eq!(ok.status(), 200, "the rule applied to one call only");
}

#[tokio::test]
async fn the_call_log_records_method_path_status_and_user() {
    let sim = spawn_sim().await;
    raw(&sim, reqwest::Method::GET, "api/whoami-v2", Some(OTHER_TOKEN), None).await;
    raw(&sim, reqwest::Method::GET, "api/models/a/b?x=1", None, None).await;
    let calls = sim.calls();
    assert_eq!((calls[0].method.as_str(), calls[0].path.as_str(), calls[0].status, calls[0].user.as_deref()), ("GET", "/api/whoami-v2", Some(200), Some(OTHER_USER)));
    assert_eq!((calls[1].path.as_str(), calls[1].query.as_deref(), calls[1].status, calls[1].user.as_deref()), ("/api/models/a/b", Some("x=1"), Some(401), None));
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
async fn opening_a_pr_by_commit_delivers_discussion_create_and_the_new_pr_ref() {
    let sim = spawn_sim().await;
    let id = rid("sim-user/demo");
    sim.seed_repo(RepoType::Space, &id, files(&[("app.py", "v1")]), false);
    let api = client(&sim, Some(sim.token()));
    let url = receiver().await;
    let watched = vec![lora_space_bot::hub::WatchedItem { kind: "space".into(), name: id.to_string() }];
    let domains = vec![lora_space_bot::hub::WebhookDomain::Repo, lora_space_bot::hub::WebhookDomain::Discussion];
    api.create_webhook(&lora_space_bot::hub::WebhookSpec { watched, url, domains, secret: None }).await.expect("webhook");
    let req = lora_space_bot::hub::CommitRequest {
        summary: "Bot update".into(),
        description: String::new(),
        parent_commit: None,
        operations: vec![lora_space_bot::hub::CommitOperation::Upload { path: "app.py".into(), content: bytes::Bytes::from_static(b"v2") }],
    };
    let out = api.commit(RepoType::Space, &id, lora_space_bot::hub::CommitTarget::NewPullRequest, &req).await.expect("pr");
    let got = sim.wait_for_deliveries(2, WAIT).await;
    let created = got.iter().find(|d| d.scope() == "discussion").expect("discussion delivery");
    assert_eq!((created.payload["event"]["action"].as_str(), created.payload["discussion"]["isPullRequest"].as_bool()), (Some("create"), Some(true)));
    assert_eq!(created.payload["discussion"]["status"], "open");
    let content = got.iter().find(|d| d.scope() == "repo.content").expect("content delivery");
    assert_eq!(content.payload["updatedRefs"][0]["ref"], "refs/pr/1");
    assert!(content.payload["updatedRefs"][0]["oldSha"].is_null());
    assert_eq!(content.payload["updatedRefs"][0]["newSha"], out.commit.as_str());
}
