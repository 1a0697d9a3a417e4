//! A pull request the approver can merge with confidence, on a Space whose owner stays in
//! charge (issue 13): the body describes the PR's head, shows before → after, keeps the
//! owner's README, follows `lora-space.toml` commits without looping, and is honest about
//! hardware. Real RabbitMQ, the simulator over HTTP, the receiver and a worker.

use std::collections::BTreeMap;
use std::time::Duration;

use lora_space_bot::domain::{Job, JobKind, RepoType};
use lora_space_bot::hub::{WatchedItem, WebhookDomain, WebhookSpec};
use lora_space_bot::queue::Outcome;
use lora_space_bot::sim::DiscussionView;
use tokio::sync::mpsc::UnboundedReceiver;

use crate::helpers::*;

type Done = UnboundedReceiver<(Job, Outcome)>;

/// The next finished sync job (smoke / cleanup jobs the Space's own events cause are skipped).
async fn next_sync(done: &mut Done) -> Job {
    loop {
        let (job, outcome) = next_outcome(done, Duration::from_secs(40)).await;
        if job.kind == JobKind::Sync {
            assert_eq!(outcome, Outcome::Done, "{job:?}");
            return job;
        }
    }
}

fn body(pr: &DiscussionView) -> &str {
    pr.comments.first().map_or("", String::as_str)
}

fn pr_file(w: &LoraWorld, pr: &DiscussionView, path: &str) -> String {
    String::from_utf8(w.sim.file(RepoType::Space, &w.space, &format!("refs/pr/{}", pr.num), path).expect(path)).expect("utf-8")
}

#[tokio::test]
async fn three_prose_only_pushes_leave_title_body_and_marker_on_the_same_newest_sha() {
    let w = LoraWorld::new("prose-only").await;
    let mut done = spawn_worker(&w.sim, w.broker(), &w.receiver.shutdown).await;
    let first = w.push_card("\nfirst note\n");
    next_sync(&mut done).await;
    let head = w.prs().pop().expect("a PR").head;
    let mut last = first.clone();
    for extra in ["\nfirst note\n\nsecond note\n", "\nfirst note\n\nsecond note\n\nthird note\n"] {
        last = w.push_card(extra);
        next_sync(&mut done).await;
    }
    let pr = w.prs().pop().expect("a PR");
    assert_eq!(pr.head, head, "prose-only pushes change no file, so no commit");
    assert!(pr.title.ends_with(last.short()), "title: {}", pr.title);
    let b = body(&pr);
    assert!(b.contains(&format!("lora_sha={last}")), "marker names the newest sha:\n{b}");
    assert!(b.contains(&format!("→ [`{}`]", last.short())), "the LoRA commit line ends at the newest sha:\n{b}");
    assert!(!b.contains(&format!("lora_sha={first}")));
    assert!(b.contains("no inferred value and no file changed"), "{b}");
}

#[tokio::test]
async fn a_steps_change_shows_24_to_20_marked_changed_with_the_update_diff_first() {
    let w = LoraWorld::new("steps").await;
    let mut done = spawn_worker(&w.sim, w.broker(), &w.receiver.shutdown).await;
    w.push_card("\nWe recommend 24 inference steps.\n");
    next_sync(&mut done).await;
    assert!(body(&w.prs()[0]).contains("| steps | | 24 |"), "first PR: no before value\n{}", body(&w.prs()[0]));
    w.push_card("\nWe recommend 20 inference steps.\n");
    next_sync(&mut done).await;
    let prs = w.prs();
    assert_eq!(prs.len(), 1);
    let b = body(&prs[0]);
    println!("---- PR body after the steps change ----\n{b}\n----");
    let lead = b.lines().find(|l| l.starts_with("**What changed since your last look**")).expect("a lead line");
    assert!(lead.contains("previous version of this pull request") && lead.contains("steps 24 → 20") && lead.contains("`app.py` modified (+1 / -1 lines)"), "{lead}");
    assert!(b.contains("| steps **(changed)** | 24 | 20 | card text: We recommend 20 inference steps. |"), "{b}");
    assert!(b.contains("- `app.py`: modified (+1 / -1 lines)") && b.contains("- `README.md`: unchanged"), "files of this update:\n{b}");
    assert!(!b.contains("Yaml:") && !b.contains("BaseDefault") && b.contains("card YAML: instance_prompt"), "evidence in words:\n{b}");
}

const OWNER_README: &str = "---\ntitle: Pixel Art Demo\nemoji: 🎮\ncolorFrom: pink\ncolorTo: gray\nsdk: gradio\nsdk_version: 4.44.0\napp_file: app.py\nlicense: other\nlicense_name: pixel-license\nlicense_link: LICENSE.md\npinned: true\n---\n\n# Pixel Art Demo\n\nMy own words about this demo, with a [link](https://example.com).\n";

#[tokio::test]
async fn a_hand_written_readme_keeps_its_title_colours_licence_and_text_and_the_body_names_changed_lines() {
    let w = LoraWorld::with_space_readme("owner-readme", Some(OWNER_README)).await;
    let mut done = spawn_worker(&w.sim, w.broker(), &w.receiver.shutdown).await;
    w.push_card("\n");
    next_sync(&mut done).await;
    let pr = w.prs().pop().expect("a PR");
    let readme = pr_file(&w, &pr, "README.md");
    println!("---- README.md proposed ----\n{readme}\n----");
    for kept in ["title: Pixel Art Demo\nemoji: 🎮\ncolorFrom: pink\ncolorTo: gray\n", "license: other\nlicense_name: pixel-license\nlicense_link: LICENSE.md\npinned: true\n", "\n# Pixel Art Demo\n\nMy own words about this demo, with a [link](https://example.com).\n"] {
        assert!(readme.contains(kept), "kept {kept:?}:\n{readme}");
    }
    assert!(readme.contains("sdk_version: \"6.31.0\"") && readme.contains("suggested_hardware: \"zero-a10g\"") && readme.contains("- \"black-forest-labs/FLUX.1-dev\""), "{readme}");
    assert!(readme.contains("lora-space-bot:readme-start") && readme.matches("title:").count() == 1, "{readme}");
    let b = body(&pr);
    println!("---- PR body ----\n{b}\n----");
    assert!(b.contains("## Lines of your README.md this PR changes") && b.contains("- `sdk_version: 4.44.0` → `sdk_version: \"6.31.0\"`"), "{b}");
    assert!(!b.contains("`title:"), "an unchanged human line is not listed:\n{b}");
}

#[tokio::test]
async fn a_space_without_a_readme_gets_a_full_one_titled_from_the_cards_heading() {
    let w = LoraWorld::with_space_readme("no-readme", None).await;
    let mut done = spawn_worker(&w.sim, w.broker(), &w.receiver.shutdown).await;
    w.push_card("\n");
    next_sync(&mut done).await;
    let pr = w.prs().pop().expect("a PR");
    let readme = pr_file(&w, &pr, "README.md");
    assert!(readme.starts_with("---\ntitle: \"Flux DreamBooth LoRA\"\nemoji: "), "{readme}");
    assert!(readme.contains("\n# Flux DreamBooth LoRA\n") && readme.contains("colorFrom: ") && readme.contains("lora-space-bot:readme-end"), "{readme}");
    assert!(!body(&pr).contains("Lines of your README.md"), "nothing of a human's was changed");
}

/// A second webhook on the Space's repo events, as `webhook register` sets up for linked Spaces.
async fn watch_space(w: &LoraWorld) {
    let spec = WebhookSpec {
        watched: vec![WatchedItem { kind: "space".into(), name: w.space.to_string() }],
        url: format!("{}/webhooks/hub", w.receiver.url),
        domains: vec![WebhookDomain::Repo],
        secret: Some(SECRET.into()),
    };
    hub_client(&w.sim, "hf_tkato").create_webhook(&spec).await.expect("Space webhook");
}

#[tokio::test]
async fn a_lora_space_toml_commit_on_main_opens_the_pr_and_merging_it_does_not_loop() {
    let w = LoraWorld::new("overrides").await;
    watch_space(&w).await;
    let mut done = spawn_worker(&w.sim, w.broker(), &w.receiver.shutdown).await;
    w.sim.commit_as("tkato", RepoType::Space, &w.space, BTreeMap::from([("lora-space.toml".to_owned(), b"steps = 20\n".to_vec())]), "Pin steps");
    let job = next_sync(&mut done).await;
    assert_eq!(job.reason, "space-main");
    let pr = w.prs().pop().expect("the override opened a PR");
    let b = body(&pr);
    assert!(b.contains("| steps | | 20 | lora-space.toml override: steps in lora-space.toml |"), "override shown as evidence:\n{b}");
    assert!(pr_file(&w, &pr, "app.py").contains("20"));

    w.sim.commit_as("tkato", RepoType::Space, &w.space, BTreeMap::from([("notes.txt".to_owned(), b"unrelated\n".to_vec())]), "Unrelated");
    next_sync(&mut done).await;
    hub_client(&w.sim, "hf_tkato").merge_pull_request(RepoType::Space, &w.space, pr.num, None).await.expect("merge");
    let after_merge = next_sync(&mut done).await;
    assert_eq!(after_merge.reason, "space-main", "the merge moved main: one no-op job");
    let extra = tokio::time::timeout(Duration::from_secs(4), async {
        loop {
            let (job, _) = next_outcome(&mut done, Duration::from_secs(10)).await;
            if job.kind == JobKind::Sync {
                return job;
            }
        }
    })
    .await;
    assert!(extra.is_err(), "no further sync job after the merge: {extra:?}");
    let prs = w.prs();
    assert_eq!(prs.len(), 1, "no new PR after the merge: {prs:?}");
    assert_eq!(prs[0].status, "merged");
}

#[tokio::test]
async fn a_space_on_cpu_basic_gets_the_hardware_note_and_one_on_zerogpu_does_not() {
    let cpu = LoraWorld::new("hw-cpu").await;
    let mut done = spawn_worker(&cpu.sim, cpu.broker(), &cpu.receiver.shutdown).await;
    cpu.push_card("\n");
    next_sync(&mut done).await;
    let b = body(&cpu.prs()[0]).to_owned();
    assert!(b.contains("> **Hardware:** this Space runs on `cpu-basic`") && b.contains("**ZeroGPU**"), "{b}");

    let zero = LoraWorld::new("hw-zero").await;
    hub_client(&zero.sim, "hf_tkato").request_space_hardware(&zero.space, "zero-a10g").await.expect("hardware");
    let mut done = spawn_worker(&zero.sim, zero.broker(), &zero.receiver.shutdown).await;
    zero.push_card("\n");
    next_sync(&mut done).await;
    let b = body(&zero.prs()[0]).to_owned();
    assert!(!b.contains("**Hardware:**"), "{b}");
}
