//! Pull requests an approver trusts: updated in place, never overwriting a human, never
//! reopened for a commit a human declined, one PR for a burst of pushes.

use std::time::Duration;

use lora_space_bot::domain::RepoType;
use lora_space_bot::hub::NewStatus;
use lora_space_bot::queue::Outcome;

use crate::helpers::*;

#[tokio::test]
async fn a_newer_lora_commit_updates_the_open_pr_in_place() {
    let w = LoraWorld::new("update").await;
    let mut done = spawn_worker(&w.sim, w.broker(), &w.receiver.shutdown).await;
    w.push_card("\nfirst\n");
    assert_eq!(next_outcome(&mut done, Duration::from_secs(30)).await.1, Outcome::Done);
    let pr = w.prs().pop().expect("a PR");
    let head_before = pr.head.clone();

    let sha = w.push_trigger("a photo of TOK corgi, pixel style");
    assert_eq!(next_outcome(&mut done, Duration::from_secs(30)).await.1, Outcome::Done);
    let prs = w.prs();
    assert_eq!(prs.len(), 1, "updated in place, not stacked: {prs:?}");
    assert_ne!(prs[0].head, head_before, "a commit was pushed to refs/pr/N");
    assert!(prs[0].title.ends_with(sha.short()), "title names the newest LoRA commit: {}", prs[0].title);
}

#[tokio::test]
async fn a_human_commit_on_the_bot_pr_gets_a_comment_and_no_push() {
    let w = LoraWorld::new("human-commit").await;
    let mut done = spawn_worker(&w.sim, w.broker(), &w.receiver.shutdown).await;
    w.push_card("\nfirst\n");
    assert_eq!(next_outcome(&mut done, Duration::from_secs(30)).await.1, Outcome::Done);
    let pr = w.prs().pop().expect("a PR");

    let tkato = hub_client(&w.sim, "hf_tkato");
    let req = lora_space_bot::hub::CommitRequest {
        summary: "Tweak the title".into(),
        description: String::new(),
        parent_commit: None,
        operations: vec![lora_space_bot::hub::CommitOperation::Upload { path: "app.py".into(), content: "print('mine')\n".into() }],
    };
    tkato.commit(RepoType::Space, &w.space, lora_space_bot::hub::CommitTarget::PullRequest(pr.num), &req).await.expect("human commit");
    let head_after_human = w.prs().pop().expect("pr").head;

    w.push_card("\nsecond\n");
    assert_eq!(next_outcome(&mut done, Duration::from_secs(30)).await.1, Outcome::Done);
    let after = w.prs().pop().expect("pr");
    assert_eq!(after.head, head_after_human, "the bot must not push over a human's commit");
    assert_eq!(w.sim.file(RepoType::Space, &w.space, &format!("refs/pr/{}", pr.num), "app.py").as_deref(), Some(&b"print('mine')\n"[..]));
    assert!(after.comments.iter().any(|c| c.contains("lora-space-bot:human-edit")), "{:?}", after.comments);
    assert_eq!(w.prs().len(), 1);
}

#[tokio::test]
async fn a_human_closed_pr_is_not_reopened_for_the_same_sha_but_a_newer_sha_opens_one() {
    let w = LoraWorld::new("closed").await;
    let mut done = spawn_worker(&w.sim, w.broker(), &w.receiver.shutdown).await;
    w.push_card("\nfirst\n");
    assert_eq!(next_outcome(&mut done, Duration::from_secs(30)).await.1, Outcome::Done);
    let pr = w.prs().pop().expect("a PR");
    hub_client(&w.sim, "hf_tkato").change_discussion_status(RepoType::Space, &w.space, pr.num, NewStatus::Closed, Some("not this one")).await.expect("close");

    let delivery = w.sim.deliveries().into_iter().find(|d| d.scope() == "repo.content").expect("delivery");
    let resp = reqwest::Client::new().post(format!("{}/webhooks/hub", w.receiver.url)).header("X-Webhook-Secret", SECRET).json(&delivery.payload).send().await.expect("replay");
    assert_eq!(resp.status(), reqwest::StatusCode::ACCEPTED);
    assert_eq!(next_outcome(&mut done, Duration::from_secs(30)).await.1, Outcome::Done);
    assert_eq!(w.prs().iter().filter(|p| p.status == "open").count(), 0, "no new PR for the declined sha");

    w.push_card("\nnewer\n");
    assert_eq!(next_outcome(&mut done, Duration::from_secs(30)).await.1, Outcome::Done);
    let open: Vec<_> = w.prs().into_iter().filter(|p| p.status == "open").collect();
    assert_eq!(open.len(), 1, "a newer sha opens a new PR");
    assert_ne!(open[0].num, pr.num);
}

#[tokio::test]
async fn a_burst_of_twenty_commits_within_the_debounce_window_yields_one_pr_with_one_commit() {
    let w = LoraWorld::with_debounce("burst", Duration::from_secs(5)).await;
    let mut done = spawn_worker(&w.sim, w.broker(), &w.receiver.shutdown).await;
    for i in 0..20 {
        w.push_trigger(&format!("a photo of TOK corgi v{i}"));
    }
    assert!(w.sim.wait_until(Duration::from_secs(10), |s| s.deliveries().iter().filter(|d| d.status == Some(202)).count() == 20).await, "20 webhooks accepted");
    for _ in 0..20 {
        assert_eq!(next_outcome(&mut done, Duration::from_secs(40)).await.1, Outcome::Done);
    }
    let prs = w.prs();
    assert_eq!(prs.len(), 1, "{prs:?}");
    assert_eq!(prs[0].events.iter().filter(|e| *e == "commit").count(), 1, "one commit on the PR: {:?}", prs[0].events);
    let app = w.sim.file(RepoType::Space, &w.space, &format!("refs/pr/{}", prs[0].num), "app.py").expect("app.py");
    assert!(String::from_utf8_lossy(&app).contains("TOK corgi v19"), "the PR carries the newest head");
}
