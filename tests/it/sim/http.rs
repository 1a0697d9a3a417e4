//! The simulator's HTTP contract: auth semantics, permissions, resolve, tree paths, faults, call log.

use lora_space_bot::domain::RepoType;
use lora_space_bot::sim::{Fault, FaultRule};

use super::{OTHER_TOKEN, OTHER_USER, files, header, raw, rid, spawn_sim};

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
async fn clearing_the_call_log_keeps_only_later_calls() {
    let sim = spawn_sim().await;
    raw(&sim, reqwest::Method::GET, "api/whoami-v2", Some(OTHER_TOKEN), None).await;
    sim.clear_calls();
    raw(&sim, reqwest::Method::GET, "api/models/a/b", Some(OTHER_TOKEN), None).await;
    let calls = sim.calls();
    assert_eq!(calls.iter().map(|c| (c.path.as_str(), c.status)).collect::<Vec<_>>(), [("/api/models/a/b", Some(404))]);
}

#[tokio::test]
async fn info_with_expand_keeps_only_those_fields_and_rejects_unknown_values() {
    let sim = spawn_sim().await;
    sim.seed_repo(RepoType::Model, &rid("sim-user/lora"), files(&[("a", "1")]), false);
    let r = raw(&sim, reqwest::Method::GET, "api/models/sim-user/lora?expand=sha&expand=private", None, None).await;
    let v: serde_json::Value = r.json().await.expect("json");
    let mut keys: Vec<&str> = v.as_object().expect("object").keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(keys, ["_id", "id", "private", "sha"]);
    let bad = raw(&sim, reqwest::Method::GET, "api/models/sim-user/lora?expand=nope", None, None).await;
    assert_eq!(bad.status(), 400);
}

#[tokio::test]
async fn paths_info_returns_only_existing_paths_from_a_form_body() {
    let sim = spawn_sim().await;
    sim.seed_repo(RepoType::Model, &rid("sim-user/lora"), files(&[("a.txt", "1"), ("d/b.txt", "2")]), false);
    let url = sim.base_url().join("api/models/sim-user/lora/paths-info/main").expect("url");
    let r = reqwest::Client::new().post(url).form(&[("paths", "a.txt"), ("paths", "d"), ("paths", "missing"), ("expand", "false")]).send().await.expect("response");
    let v: serde_json::Value = r.json().await.expect("json");
    let got: Vec<(&str, &str)> = v.as_array().expect("array").iter().map(|e| (e["path"].as_str().unwrap_or(""), e["type"].as_str().unwrap_or(""))).collect();
    assert_eq!(got, [("a.txt", "file"), ("d", "directory")]);
}
