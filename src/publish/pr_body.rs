//! Pure: the PR title and body an approver reads — what changed, from which LoRA commit,
//! with the evidence behind each inferred value, and how to steer the bot.

use std::fmt::Write;

use super::Change;

/// Title prefix that marks the bot's PRs and discussions.
pub const TITLE_TAG: &str = "[lora-space-bot]";
/// Hidden marker in the bot's PR bodies.
pub const PR_MARKER: &str = "<!-- lora-space-bot:pr v1 -->";
/// Hidden marker in the bot's input requests.
pub const INPUT_MARKER: &str = "<!-- lora-space-bot:needs-input v1 -->";

/// `[lora-space-bot] Sync with alice/lora@abc1234`.
pub fn title(c: &Change<'_>) -> String {
    format!("{TITLE_TAG} Sync with {}@{}", c.lora, c.lora_sha.short())
}

/// The Markdown body of the PR.
pub fn render(c: &Change<'_>) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "This pull request regenerates the demo for the LoRA [{lora}](https://huggingface.co/{lora}) at commit `{}`.\n", c.lora_sha.short(), lora = c.lora);
    s.push_str("## What the bot inferred\n\n| field | value | evidence |\n|---|---|---|\n");
    let p = c.profile;
    let row = |s: &mut String, field: &str, value: String, evidence: String| {
        let _ = writeln!(s, "| {field} | {} | {} |", cell(&value), cell(&evidence));
    };
    if let Some(b) = &p.base_model {
        row(&mut s, "base model", b.value.clone(), format!("{:?}: {}", b.evidence.source, b.evidence.detail));
    }
    if let Some(t) = &p.task {
        row(&mut s, "task", t.value.as_str().to_owned(), format!("{:?}: {}", t.evidence.source, t.evidence.detail));
    }
    if let Some(w) = &p.weight_name {
        row(&mut s, "weights file", w.value.clone(), format!("{:?}: {}", w.evidence.source, w.evidence.detail));
    }
    row(&mut s, "trigger words", p.trigger_words.value.join(", "), format!("{:?}: {}", p.trigger_words.evidence.source, p.trigger_words.evidence.detail));
    s.push_str("\n## Files\n\n");
    for (path, content) in &c.generated.files {
        let state = match c.current.get(path) {
            None => "added".to_owned(),
            Some(old) if old == content => "unchanged".to_owned(),
            Some(old) => format!("modified (+{} / -{} lines)", added(old, content), added(content, old)),
        };
        let _ = writeln!(s, "- `{path}`: {state}");
    }
    s.push_str("\n## Steering the bot\n\n- To correct an inferred value, add or edit `lora-space.toml` in this Space; the bot reads it on every run.\n- Closing this PR means \"not this version\": the bot will not reopen it for the same LoRA commit.\n- A new commit on the LoRA updates this PR in place.\n\n");
    s.push_str(PR_MARKER);
    s.push('\n');
    s
}

fn added(from: &str, to: &str) -> usize {
    let old: std::collections::HashSet<&str> = from.lines().collect();
    to.lines().filter(|l| !old.contains(l)).count()
}

fn cell(v: &str) -> String {
    v.replace('|', "\\|").replace('\n', " ")
}
