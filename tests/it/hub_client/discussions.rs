//! Discussions and PRs: list with filters and pagination, details, create, comment, edit,
//! status, rename, merge (moves main, sets the merge commit), and their permissions.

use bytes::Bytes;
use lora_space_bot::domain::RepoType;
use lora_space_bot::hub::{
    CommitOperation, CommitRequest, CommitTarget, DiscussionFilter, DiscussionKindFilter, DiscussionStatus, DiscussionStatusFilter, EventKind, HubError,
    NewStatus,
};

use crate::sim::{OTHER_TOKEN, client, files, rid, spawn_sim};

#[tokio::test]
async fn listing_filters_by_kind_status_and_author_and_pages_past_fifty() {
    let sim = spawn_sim().await;
    let id = rid("sim-user/lora");
    sim.seed_repo(RepoType::Model, &id, files(&[("a", "1")]), false);
    let me = client(&sim, Some(sim.token()));
    let other = client(&sim, Some(OTHER_TOKEN));
    for i in 0..52 {
        me.create_discussion(RepoType::Model, &id, &format!("Question {i}"), "body", false).await.expect("created");
    }
    let pr = other.create_discussion(RepoType::Model, &id, "A draft PR", "body", true).await.expect("pr");
    let all = me.list_discussions(RepoType::Model, &id, &DiscussionFilter::default()).await.expect("all");
    assert_eq!(all.len(), 53);
    assert_eq!(all[0].num, pr, "newest first");
    let prs = me.list_discussions(RepoType::Model, &id, &DiscussionFilter { kind: DiscussionKindFilter::PullRequest, ..Default::default() }).await.expect("prs");
    assert_eq!(prs.iter().map(|d| (d.num, d.status)).collect::<Vec<_>>(), [(pr, DiscussionStatus::Draft)]);
    let open = DiscussionFilter { status: DiscussionStatusFilter::Open, author: Some("other-user".into()), ..Default::default() };
    assert_eq!(me.list_discussions(RepoType::Model, &id, &open).await.expect("open").len(), 1, "open includes drafts");
    let closed = DiscussionFilter { status: DiscussionStatusFilter::Closed, ..Default::default() };
    assert!(me.list_discussions(RepoType::Model, &id, &closed).await.expect("closed").is_empty());
}

#[tokio::test]
async fn comments_edits_renames_and_status_changes_show_up_as_events() {
    let sim = spawn_sim().await;
    let id = rid("sim-user/lora");
    sim.seed_repo(RepoType::Model, &id, files(&[("a", "1")]), false);
    let api = client(&sim, Some(OTHER_TOKEN));
    let num = api.create_discussion(RepoType::Model, &id, "Broken demo", "It fails", false).await.expect("created");
    let c = api.comment(RepoType::Model, &id, num, "more details").await.expect("comment");
    let edited = api.edit_comment(RepoType::Model, &id, num, &c.id.to_uppercase(), "even more details").await.expect("edit");
    assert_eq!(edited.kind(), EventKind::Comment { raw: "even more details".into(), edited: true, hidden: false });
    api.rename_discussion(RepoType::Model, &id, num, "Demo broken").await.expect("renamed");
    let closed = api.change_discussion_status(RepoType::Model, &id, num, NewStatus::Closed, Some("fixed")).await.expect("closed");
    assert_eq!(closed.kind(), EventKind::StatusChange { status: DiscussionStatus::Closed });
    let d = api.discussion_details(RepoType::Model, &id, num).await.expect("details");
    assert_eq!((d.discussion.title.as_str(), d.discussion.status), ("Demo broken", DiscussionStatus::Closed));
    let types: Vec<&str> = d.events.iter().map(|e| e.event_type.as_str()).collect();
    assert_eq!(types, ["comment", "comment", "title-change", "comment", "status-change"]);
    assert_eq!(d.events[0].author_name(), "other-user");
    let hidden = api.hide_comment(RepoType::Model, &id, num, &c.id).await.expect("hidden");
    assert_eq!(hidden.kind(), EventKind::Comment { raw: "even more details".into(), edited: true, hidden: true });
    let err = client(&sim, None).hide_comment(RepoType::Model, &id, num, &c.id).await.expect_err("anonymous");
    assert!(matches!(err, HubError::Unauthorized { .. }), "{err}");
}

#[tokio::test]
async fn a_draft_pr_gets_commits_is_published_and_merged_into_main() {
    let sim = spawn_sim().await;
    let id = rid("sim-user/demo");
    sim.seed_repo(RepoType::Space, &id, files(&[("app.py", "v1")]), false);
    let api = client(&sim, Some(sim.token()));
    let num = api.create_discussion(RepoType::Space, &id, "Bot update", "new files", true).await.expect("draft");
    let req = CommitRequest { summary: "v2".into(), description: String::new(), parent_commit: None, operations: vec![CommitOperation::Upload { path: "app.py".into(), content: Bytes::from_static(b"v2") }] };
    api.commit(RepoType::Space, &id, CommitTarget::PullRequest(num), &req).await.expect("pushed");
    assert!(matches!(api.merge_pull_request(RepoType::Space, &id, num, None).await, Err(HubError::BadRequest { .. })), "a draft cannot be merged");
    api.change_discussion_status(RepoType::Space, &id, num, NewStatus::Open, None).await.expect("published");
    api.merge_pull_request(RepoType::Space, &id, num, Some("thanks")).await.expect("merged");
    let d = api.discussion_details(RepoType::Space, &id, num).await.expect("details");
    assert_eq!(d.discussion.status, DiscussionStatus::Merged);
    let merge = d.changes.and_then(|c| c.merge_commit_id).expect("merge commit");
    assert_eq!(sim.head(RepoType::Space, &id, "main"), Some(merge));
    assert_eq!(sim.file(RepoType::Space, &id, "main", "app.py").as_deref(), Some(&b"v2"[..]));
}

#[tokio::test]
async fn merging_without_write_access_is_forbidden() {
    let sim = spawn_sim().await;
    let id = rid("sim-user/demo");
    sim.seed_repo(RepoType::Space, &id, files(&[("app.py", "v1")]), false);
    let other = client(&sim, Some(OTHER_TOKEN));
    let req = CommitRequest { summary: "mine".into(), description: String::new(), parent_commit: None, operations: vec![CommitOperation::Upload { path: "x".into(), content: Bytes::from_static(b"1") }] };
    let num = other.commit(RepoType::Space, &id, CommitTarget::NewPullRequest, &req).await.expect("pr").pull_request.expect("pr").num;
    let err = other.merge_pull_request(RepoType::Space, &id, num, None).await.expect_err("403");
    assert!(matches!(err, HubError::Forbidden { .. }), "{err}");
}

#[tokio::test]
async fn a_pr_conflicting_with_main_lists_its_files_and_cannot_be_merged() {
    let sim = spawn_sim().await;
    let id = rid("sim-user/demo");
    sim.seed_repo(RepoType::Space, &id, files(&[("app.py", "v1")]), false);
    let api = client(&sim, Some(sim.token()));
    let req = CommitRequest { summary: "pr".into(), description: String::new(), parent_commit: None, operations: vec![CommitOperation::Upload { path: "app.py".into(), content: Bytes::from_static(b"pr") }] };
    let num = api.commit(RepoType::Space, &id, CommitTarget::NewPullRequest, &req).await.expect("pr").pull_request.expect("pr").num;
    sim.commit_as("sim-user", RepoType::Space, &id, files(&[("app.py", "main")]), "direct edit");
    let d = api.discussion_details(RepoType::Space, &id, num).await.expect("details");
    assert_eq!(d.files_with_conflicts, ["app.py"]);
    assert!(d.diff.is_some_and(|t| t.contains("+pr")));
    assert!(matches!(api.merge_pull_request(RepoType::Space, &id, num, None).await, Err(HubError::Conflict { .. })));
}

#[tokio::test]
async fn details_of_a_missing_discussion_are_not_found() {
    let sim = spawn_sim().await;
    let id = rid("sim-user/lora");
    sim.seed_repo(RepoType::Model, &id, files(&[("a", "1")]), false);
    let err = client(&sim, None).discussion_details(RepoType::Model, &id, 9).await.expect_err("404");
    assert_eq!(err.status(), Some(404));
}
