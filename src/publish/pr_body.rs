//! Pure: the PR title and body an approver reads — the LoRA commit before → after, what
//! changed in the inferred profile with the evidence behind each value, the files changed,
//! the smoke-test section, and how to steer the bot.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::Change;
use super::pr_values::{self, Values};
use crate::domain::CommitSha;
use crate::space::diff::{SpaceDiff, diff};
use crate::space::readme_merge::LineEdit;
use crate::space::render::readme::md_code;

/// Title prefix that marks the bot's PRs and discussions.
pub const TITLE_TAG: &str = "[lora-space-bot]";
/// Hidden marker opening the bot's PR bodies; followed by ` lora_sha=<sha> -->`.
pub const PR_MARKER: &str = "<!-- lora-space-bot:pr v1";
/// Hidden marker in the bot's input requests.
pub const INPUT_MARKER: &str = "<!-- lora-space-bot:needs-input v1 -->";
/// Hidden marker in the bot's "a human edited this PR" comments.
pub const HUMAN_EDIT_MARKER: &str = "<!-- lora-space-bot:human-edit v1 -->";
/// Heading of the section the smoke stage fills in.
pub const SMOKE_HEADING: &str = "## Smoke test";

/// `[lora-space-bot] Sync with alice/lora@abc1234`.
pub fn title(c: &Change<'_>) -> String {
    format!("{TITLE_TAG} Sync with {}@{}", c.lora, c.lora_sha.short())
}

/// The LoRA sha recorded in a bot PR body's marker.
pub fn marker_sha(body: &str) -> Option<&str> {
    let rest = &body[body.find(PR_MARKER)? + PR_MARKER.len()..];
    let sha = rest.trim_start().strip_prefix("lora_sha=")?.get(..40)?;
    sha.bytes().all(|b| b.is_ascii_hexdigit()).then_some(sha)
}

/// What this version of the body compares with.
pub enum Since<'a> {
    /// A new PR: compared with the Space's main (`Change::previous` and `Change::current`).
    Main,
    /// An update of the bot's open PR: what its body and files said before this update.
    Pr {
        /// The LoRA commit the PR was generated from (its marker).
        lora_sha: Option<CommitSha>,
        /// The values its table showed (its values marker; `None` for older bodies).
        values: Option<Values>,
        /// The PR's files before this update.
        files: &'a BTreeMap<String, String>,
    },
}

struct Baseline<'a> {
    lora_sha: Option<&'a CommitSha>,
    values: Option<&'a Values>,
    files: &'a BTreeMap<String, String>,
    name: &'static str,
}

fn baseline<'a>(c: &'a Change<'_>, since: &'a Since<'_>) -> Baseline<'a> {
    match since {
        Since::Main => Baseline { lora_sha: c.previous.map(|p| &p.lora_sha), values: c.previous.map(|p| &p.values), files: c.current, name: "the Space's main" },
        Since::Pr { lora_sha, values, files } => Baseline { lora_sha: lora_sha.as_ref(), values: values.as_ref(), files, name: "the previous version of this pull request" },
    }
}

/// The Markdown body of the PR: it always describes the PR's head (the LoRA commit in the
/// title, the "LoRA commit" line and the marker are the same), compared with `since`.
pub fn render(c: &Change<'_>, since: &Since<'_>) -> String {
    let base = baseline(c, since);
    let rows = pr_values::rows(c.profile);
    let update = diff(base.files, &c.generated.files);
    let mut s = String::new();
    let _ = writeln!(s, "This pull request regenerates the demo for the LoRA [{lora}](https://huggingface.co/{lora}).\n", lora = c.lora);
    let _ = writeln!(s, "**What changed since your last look** {}\n", since_line(c, &base, &rows, &update));
    let _ = writeln!(s, "LoRA commit: {}\n", commit_line(c, &base));
    if let Some(note) = c.hardware_note {
        let _ = writeln!(s, "> **Hardware:** {}\n", one_line(note));
    }
    profile_table(&mut s, base.values, &rows);
    files_section(&mut s, c, &base, &update, matches!(since, Since::Pr { .. }));
    readme_section(&mut s, c.readme_edits);
    if !c.generated.notes.is_empty() {
        s.push_str("\n## Notes\n\n");
        c.generated.notes.iter().for_each(|n| {
            let _ = writeln!(s, "- {}", one_line(n));
        });
    }
    let _ = writeln!(s, "\n{SMOKE_HEADING}\n\n_Pending: the smoke test reports here and in a comment._\n");
    s.push_str("## Steering the bot\n\n- To correct an inferred value, add or edit `lora-space.toml` in this Space (task, base_model, weights_file, trigger_words, steps, guidance, lora_scale, examples, leave_alone); a commit to it on main updates this PR by itself.\n- `README.md` stays yours: the bot sets only the keys the app needs (sdk, sdk_version, app_file, python_version, models, suggested_hardware) and the section between its `lora-space-bot:readme` markers; list `README.md` under `leave_alone` to keep it entirely.\n- Closing this PR means \"not this version\": the bot will not reopen it for the same LoRA commit; a newer LoRA commit opens a new one.\n- Pushing your own commit to this PR makes the bot stop updating it (it will comment instead).\n- A new commit on the LoRA updates this PR in place. To ask for a regeneration, push to the LoRA or ask the operator to run `lora-space-bot jobs enqueue`.\n\n");
    let _ = writeln!(s, "{}", pr_values::marker(&pr_values::values(c.profile)));
    let _ = writeln!(s, "{PR_MARKER} lora_sha={} -->", c.lora_sha);
    s
}

fn link(c: &Change<'_>, sha: &CommitSha) -> String {
    format!("[`{}`](https://huggingface.co/{}/commit/{sha})", sha.short(), c.lora)
}

fn commit_line(c: &Change<'_>, base: &Baseline<'_>) -> String {
    match base.lora_sha {
        Some(old) if old != c.lora_sha => format!("{} → {}", link(c, old), link(c, c.lora_sha)),
        Some(_) => format!("{} (unchanged)", link(c, c.lora_sha)),
        None => format!("{} (first version generated by the bot)", link(c, c.lora_sha)),
    }
}

/// One sentence: the LoRA commit move, the values that changed, the files this update changes.
fn since_line(c: &Change<'_>, base: &Baseline<'_>, rows: &[pr_values::Row], update: &SpaceDiff) -> String {
    if base.lora_sha.is_none() && base.values.is_none() {
        return "— nothing to compare with: this is the bot's first pull request for this Space, every value and file below is new.".to_owned();
    }
    let mut parts = Vec::new();
    if let Some(old) = base.lora_sha.filter(|old| *old != c.lora_sha) {
        parts.push(format!("LoRA `{}` → `{}`", old.short(), c.lora_sha.short()));
    }
    let changed = base.values.map(|v| pr_values::changed(v, rows)).unwrap_or_default();
    parts.extend(changed.iter().map(|(f, b, a)| format!("{f} {} → {}", cell(b), cell(a))));
    let files: Vec<String> = update.changed().map(|f| format!("`{}` {}", f.path, f.describe())).collect();
    match (changed.is_empty(), files.is_empty()) {
        (true, true) => parts.push("no inferred value and no file changed".to_owned()),
        (true, false) => parts.push("no inferred value changed".to_owned()),
        (false, true) => parts.push("no file changed".to_owned()),
        (false, false) => {}
    }
    parts.extend(files);
    format!("(compared with {}): {}.", base.name, parts.join("; "))
}

fn profile_table(s: &mut String, before: Option<&Values>, rows: &[pr_values::Row]) {
    s.push_str("## What the bot inferred\n\n| field | before | after | evidence |\n|---|---|---|---|\n");
    for r in rows {
        let old = before.and_then(|b| b.get(r.field)).map_or("", String::as_str);
        let changed = if before.is_some_and(|b| b.get(r.field).is_some_and(|o| *o != r.value)) { " **(changed)**" } else { "" };
        let _ = writeln!(s, "| {}{changed} | {} | {} | {} |", r.field, cell(old), cell(&r.value), cell(&r.evidence));
    }
}

fn files_section(s: &mut String, c: &Change<'_>, base: &Baseline<'_>, update: &SpaceDiff, is_update: bool) {
    let _ = writeln!(s, "\n## Files in this update\n\nCompared with {}:\n", base.name);
    for f in &update.files {
        let _ = writeln!(s, "- `{}`: {}", f.path, f.describe());
    }
    if is_update {
        let main: Vec<String> = diff(c.current, &c.generated.files).changed().map(|f| format!("`{}` {}", f.path, f.describe())).collect();
        let main = if main.is_empty() { "no file changes".to_owned() } else { main.join(", ") };
        let _ = writeln!(s, "\nThe whole pull request, compared with the Space's main: {main}.");
    }
}

fn readme_section(s: &mut String, edits: &[LineEdit]) {
    if edits.is_empty() {
        return;
    }
    s.push_str("\n## Lines of your README.md this PR changes\n\nYour title, emoji, colours, licence and text are kept; the bot changes only these existing lines, which the app needs:\n\n");
    for e in edits {
        let _ = writeln!(s, "- {} → {}", md_code(&e.before), md_code(&e.after));
    }
}

/// The content of a body's smoke section (between its heading and the next section).
fn smoke_summary(body: &str) -> Option<&str> {
    let start = body.find(SMOKE_HEADING)? + SMOKE_HEADING.len();
    let rest = &body[start..];
    let end = rest.find("\n## ").or_else(|| rest.find("\n<!--")).unwrap_or(rest.len());
    Some(rest[..end].trim())
}

/// `new` with the smoke section of `old`: the files did not change, so the verdict the
/// smoke stage wrote for them still holds.
pub fn keep_smoke_section(old: &str, new: &str) -> String {
    match smoke_summary(old) {
        Some(summary) if !summary.is_empty() => crate::smoke::report::mirror_into_body(new, summary),
        _ => new.to_owned(),
    }
}

/// The comment left when a human committed to the bot's PR.
pub fn human_edit_comment(c: &Change<'_>) -> String {
    format!(
        "Someone other than the bot pushed commits to this pull request, so the bot will not overwrite them. The LoRA is now at `{}`; close this PR to let the bot open a fresh one, or carry the changes over by hand.\n\n{HUMAN_EDIT_MARKER}",
        c.lora_sha.short()
    )
}

fn one_line(v: &str) -> String {
    v.replace(['\n', '\r'], " ")
}

fn cell(v: &str) -> String {
    one_line(v).replace('|', "\\|")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marker_sha_reads_back_the_full_sha() {
        let sha = "575db8b7a51b6f85eb06eee540738584589f131c";
        assert_eq!(marker_sha(&format!("body\n{PR_MARKER} lora_sha={sha} -->\n")), Some(sha));
        assert_eq!(marker_sha("no marker"), None);
        assert_eq!(marker_sha(&format!("{PR_MARKER} lora_sha=zz -->")), None);
    }
}
