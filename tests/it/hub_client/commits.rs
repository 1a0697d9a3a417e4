//! Commits: a new PR (`create_pr=1`), commits to `refs/pr/N` (URL-encoded), `parentCommit`
//! (412 when stale), deletions, permissions, and the never-retried PR creation.

use bytes::Bytes;
use lora_space_bot::domain::{CommitSha, RepoType};
use lora_space_bot::hub::{CommitOperation, CommitRequest, CommitTarget, EventKind, HubError};
use lora_space_bot::sim::{Fault, FaultRule};

use crate::sim::{OTHER_TOKEN, client, files, rid, spawn_sim};

fn upload(path: &str, content: &str) -> CommitOperation {
    CommitOperation::Upload { path: path.into(), content: Bytes::copy_from_slice(content.as_bytes()) }
}

fn request(ops: Vec<CommitOperation>, parent: Option<CommitSha>) -> CommitRequest {
    CommitRequest { summary: "Update demo".into(), description: "by the bot".into(), parent_commit: parent, operations: ops }
}

#[tokio::test]
async fn a_new_pull_request_commit_opens_a_pr_and_leaves_main_alone() {
    let sim = spawn_sim().await;
    let id = rid("sim-user/demo");
    let main = sim.seed_repo(RepoType::Space, &id, files(&[("app.py", "v1")]), false);
    let out = client(&sim, Some(OTHER_TOKEN)).commit(RepoType::Space, &id, CommitTarget::NewPullRequest, &request(vec![upload("app.py", "v2")], None)).await.expect("pr");
    let pr = out.pull_request.expect("a PR");
    assert_eq!(pr.num, 1);
    assert_eq!(sim.head(RepoType::Space, &id, "main"), Some(main));
    assert_eq!(sim.file(RepoType::Space, &id, "refs/pr/1", "app.py").as_deref(), Some(&b"v2"[..]));
    let d = &sim.discussions(RepoType::Space, &id)[0];
    assert_eq!((d.is_pull_request, d.status.as_str(), d.author.as_str()), (true, "open", "other-user"));
    assert_eq!(d.head, Some(out.commit));
    assert!(sim.calls().iter().any(|c| c.query.as_deref() == Some("create_pr=1")));
}

#[tokio::test]
async fn a_commit_to_a_pr_goes_to_the_url_encoded_pr_ref_and_records_a_commit_event_with_its_author() {
    let sim = spawn_sim().await;
    let id = rid("sim-user/demo");
    sim.seed_repo(RepoType::Space, &id, files(&[("app.py", "v1")]), false);
    let api = client(&sim, Some(OTHER_TOKEN));
    let first = api.commit(RepoType::Space, &id, CommitTarget::NewPullRequest, &request(vec![upload("app.py", "v2")], None)).await.expect("pr");
    let num = first.pull_request.expect("pr").num;
    let second = api.commit(RepoType::Space, &id, CommitTarget::PullRequest(num), &request(vec![upload("README.md", "r")], Some(first.commit.clone()))).await.expect("pushed");
    assert!(sim.calls().iter().any(|c| c.path == format!("/api/spaces/sim-user/demo/commit/refs%2Fpr%2F{num}")));
    assert_eq!(sim.head(RepoType::Space, &id, &format!("refs/pr/{num}")), Some(second.commit.clone()));
    let details = api.discussion_details(RepoType::Space, &id, num).await.expect("details");
    let commits: Vec<(String, String)> = details.events.iter().filter_map(|e| match e.kind() {
        EventKind::Commit { oid, .. } => Some((oid, e.author_name().to_owned())),
        _ => None,
    }).collect();
    assert_eq!(commits, [(first.commit.to_string(), "other-user".to_owned()), (second.commit.to_string(), "other-user".to_owned())]);
}

#[tokio::test]
async fn a_stale_parent_commit_is_a_precondition_failure() {
    let sim = spawn_sim().await;
    let id = rid("sim-user/demo");
    let old = sim.seed_repo(RepoType::Space, &id, files(&[("app.py", "v1")]), false);
    let api = client(&sim, Some(sim.token()));
    let pr = api.commit(RepoType::Space, &id, CommitTarget::NewPullRequest, &request(vec![upload("app.py", "v2")], None)).await.expect("pr");
    let num = pr.pull_request.expect("pr").num;
    let err = api.commit(RepoType::Space, &id, CommitTarget::PullRequest(num), &request(vec![upload("app.py", "v3")], Some(old))).await.expect_err("412");
    assert!(matches!(err, HubError::PreconditionFailed { .. }), "{err}");
    assert_eq!(err.status(), Some(412));
}

#[tokio::test]
async fn deletions_remove_files_and_folders_on_the_pr() {
    let sim = spawn_sim().await;
    let id = rid("sim-user/demo");
    sim.seed_repo(RepoType::Space, &id, files(&[("app.py", "v1"), ("old.txt", "x"), ("assets/a.png", "p"), ("assets/b.png", "q")]), false);
    let ops = vec![CommitOperation::Delete { path: "old.txt".into() }, CommitOperation::DeleteFolder { path: "assets".into() }];
    let out = client(&sim, Some(sim.token())).commit(RepoType::Space, &id, CommitTarget::NewPullRequest, &request(ops, None)).await.expect("pr");
    let files = client(&sim, None).list_files(RepoType::Space, &id, out.commit.as_str()).await.expect("files");
    assert_eq!(files, [".gitattributes", "app.py"]);
}

#[tokio::test]
async fn pushing_to_someone_elses_pr_without_write_access_is_forbidden() {
    let sim = spawn_sim().await;
    let id = rid("sim-user/demo");
    sim.seed_repo(RepoType::Space, &id, files(&[("app.py", "v1")]), false);
    let pr = client(&sim, Some(sim.token())).commit(RepoType::Space, &id, CommitTarget::NewPullRequest, &request(vec![upload("a", "1")], None)).await.expect("pr");
    let num = pr.pull_request.expect("pr").num;
    let err = client(&sim, Some(OTHER_TOKEN)).commit(RepoType::Space, &id, CommitTarget::PullRequest(num), &request(vec![upload("a", "2")], None)).await.expect_err("403");
    assert!(matches!(err, HubError::Forbidden { .. }), "{err}");
}

#[tokio::test]
async fn a_new_pr_commit_failing_with_500_is_sent_once_and_reported_as_outcome_unknown() {
    let sim = spawn_sim().await;
    let id = rid("sim-user/demo");
    sim.seed_repo(RepoType::Space, &id, files(&[("app.py", "v1")]), false);
    sim.inject(FaultRule::new(Some("POST"), "*/commit/*", Fault::Status(500)));
    let err = client(&sim, Some(sim.token())).commit(RepoType::Space, &id, CommitTarget::NewPullRequest, &request(vec![upload("a", "1")], None)).await.expect_err("unknown");
    assert!(matches!(&err, HubError::PullRequestOutcomeUnknown { .. }), "{err}");
    assert!(!err.is_transient());
    assert_eq!(sim.calls().iter().filter(|c| c.path.contains("/commit/")).count(), 1);
}

#[tokio::test]
async fn a_new_pr_commit_whose_connection_drops_is_outcome_unknown_and_not_resent() {
    let sim = spawn_sim().await;
    let id = rid("sim-user/demo");
    sim.seed_repo(RepoType::Space, &id, files(&[("app.py", "v1")]), false);
    sim.inject(FaultRule::new(Some("POST"), "*/commit/*", Fault::Drop));
    let err = client(&sim, Some(sim.token())).commit(RepoType::Space, &id, CommitTarget::NewPullRequest, &request(vec![upload("a", "1")], None)).await.expect_err("unknown");
    assert!(matches!(&err, HubError::PullRequestOutcomeUnknown { .. }), "{err}");
    assert_eq!(sim.calls().len(), 1);
}

#[tokio::test]
async fn a_pr_commit_with_a_parent_is_retried_after_a_503() {
    let sim = spawn_sim().await;
    let id = rid("sim-user/demo");
    sim.seed_repo(RepoType::Space, &id, files(&[("app.py", "v1")]), false);
    let api = client(&sim, Some(sim.token()));
    let pr = api.commit(RepoType::Space, &id, CommitTarget::NewPullRequest, &request(vec![upload("a", "1")], None)).await.expect("pr");
    sim.inject(FaultRule::new(Some("POST"), "*/commit/refs%2Fpr%2F1", Fault::Status(503)));
    api.commit(RepoType::Space, &id, CommitTarget::PullRequest(1), &request(vec![upload("a", "2")], Some(pr.commit))).await.expect("retried");
    assert_eq!(sim.calls().iter().filter(|c| c.path.ends_with("refs%2Fpr%2F1")).count(), 2);
}

#[tokio::test]
async fn a_commit_to_a_missing_repo_is_repo_not_found() {
    let sim = spawn_sim().await;
    let err = client(&sim, Some(sim.token())).commit(RepoType::Space, &rid("sim-user/none"), CommitTarget::NewPullRequest, &request(vec![upload("a", "1")], None)).await.expect_err("404");
    assert!(err.is_not_found(lora_space_bot::hub::NotFoundKind::RepoNotFound), "{err}");
}

#[tokio::test]
async fn a_new_pr_commit_rate_limited_is_returned_as_rate_limited_without_a_retry() {
    let sim = spawn_sim().await;
    let id = rid("sim-user/demo");
    sim.seed_repo(RepoType::Space, &id, files(&[("app.py", "v1")]), false);
    sim.inject(FaultRule::new(Some("POST"), "*/commit/*", Fault::RateLimited { retry_after_secs: 1 }));
    let err = client(&sim, Some(sim.token())).commit(RepoType::Space, &id, CommitTarget::NewPullRequest, &request(vec![upload("a", "1")], None)).await.expect_err("429");
    assert!(matches!(err, HubError::RateLimited { .. }), "a 429 means nothing was done: {err}");
    assert_eq!(sim.calls().len(), 1);
    assert!(sim.discussions(RepoType::Space, &id).is_empty());
}

#[tokio::test]
async fn a_file_on_a_pr_ref_downloads_through_the_encoded_revision() {
    let sim = spawn_sim().await;
    let id = rid("sim-user/demo");
    sim.seed_repo(RepoType::Space, &id, files(&[("app.py", "v1")]), false);
    let api = client(&sim, Some(sim.token()));
    let pr = api.commit(RepoType::Space, &id, CommitTarget::NewPullRequest, &request(vec![upload("app.py", "v2")], None)).await.expect("pr");
    let got = api.download(RepoType::Space, &id, "refs/pr/1", "app.py").await.expect("download");
    assert_eq!((&got.bytes[..], got.commit), (&b"v2"[..], Some(pr.commit)));
    assert!(sim.calls().iter().any(|c| c.path == "/spaces/sim-user/demo/resolve/refs%2Fpr%2F1/app.py"));
}
