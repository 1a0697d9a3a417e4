//! What the demo shows: the PR (title, files, body), the smoke verdict, the files it writes to
//! `--out`, and with `--keep` how to look at the PR while the simulator stays up.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context;

use crate::domain::{RepoId, RepoType};
use crate::sim::{DiscussionView, SimHandle};
use crate::worker::pipeline::GENERATED_FILES;

/// The PR the bot opened on `space`.
pub fn pull_request(hub_sim: &SimHandle, space: &RepoId) -> anyhow::Result<DiscussionView> {
    hub_sim.discussions(RepoType::Space, space).into_iter().find(|d| d.is_pull_request).context("pull request vanished")
}

fn pr_ref(num: u64) -> String {
    format!("refs/pr/{num}")
}

/// The generated files at `rev` of `space`.
fn generated(hub_sim: &SimHandle, space: &RepoId, rev: &str) -> BTreeMap<String, String> {
    GENERATED_FILES
        .iter()
        .filter_map(|path| hub_sim.file(RepoType::Space, space, rev, path).map(|b| ((*path).to_owned(), String::from_utf8_lossy(&b).into_owned())))
        .collect()
}

/// Title, status, the files it changes and its body (the PR's description).
pub fn print_pr(hub_sim: &SimHandle, space: &RepoId, pr: &DiscussionView) {
    println!("\nPull request #{} opened on {space} by {}", pr.num, pr.author);
    println!("  API:    {}api/spaces/{space}/discussions/{}", hub_sim.base_url(), pr.num);
    println!("  Title:  {}", pr.title);
    println!("  Status: {}", pr.status);
    let (old, new) = (generated(hub_sim, space, "main"), generated(hub_sim, space, &pr_ref(pr.num)));
    println!("  Files:");
    for f in crate::space::diff::diff(&old, &new).files {
        println!("    {}: {}", f.path, f.describe());
    }
    println!("\n--- PR body ---\n{}", pr.comments.first().map_or("", String::as_str).trim_end());
    println!("--- end of PR body ---");
    println!("\nmain of {space} is unchanged: the PR awaits a human's review.");
}

/// The `### Smoke test: …` summary of a smoke comment.
pub fn verdict(comment: &str) -> &str {
    comment.lines().find_map(|l| l.strip_prefix("### Smoke test: ")).unwrap_or("(no summary line)")
}

/// The verdict line, then the whole comment.
pub fn print_smoke(comment: &str) {
    println!("\nSmoke verdict: {}", verdict(comment));
    println!("\n--- smoke comment on the PR ---\n{}", comment.trim_end());
}

/// Writes `pr-body.md`, `smoke-comment.md` and the PR's generated files (as on `refs/pr/N`)
/// into `out`; returns how many files it wrote.
pub fn write_out(hub_sim: &SimHandle, space: &RepoId, pr: &DiscussionView, comment: &str, out: &Path) -> anyhow::Result<usize> {
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let mut files = generated(hub_sim, space, &pr_ref(pr.num));
    files.insert("pr-body.md".into(), pr.comments.first().cloned().unwrap_or_default());
    files.insert("smoke-comment.md".into(), comment.to_owned());
    for (name, text) in &files {
        let path = out.join(name);
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(files.len())
}

/// How to look at the kept simulator: URLs, curl lines, a huggingface_hub snippet.
pub fn print_keep(hub_sim: &SimHandle, space: &RepoId, num: u64, token: &str) {
    let base = hub_sim.base_url();
    let endpoint = base.as_str().trim_end_matches('/');
    println!(
        "\nThe Hub simulator stays up at {endpoint} until Ctrl-C (the bot's token: {token}; the Space is public, reads need none).
Look at the pull request with curl:
  curl -s {endpoint}/api/spaces/{space}/discussions/{num}                 # title, status, events (body, commits, smoke comment)
  curl -s '{endpoint}/api/spaces/{space}/discussions/{num}?diff=1'        # the same with the unified diff
  curl -s {endpoint}/spaces/{space}/resolve/refs%2Fpr%2F{num}/app.py      # a file as the PR has it
  curl -s {endpoint}/api/spaces/{space}/tree/refs%2Fpr%2F{num}            # the PR's files
  curl -s '{endpoint}/api/spaces?author={ns}'                               # the Spaces of {ns}
or with huggingface_hub (pip install huggingface_hub):
  python3 - <<'PY'
from huggingface_hub import HfApi, hf_hub_download
api = HfApi(endpoint=\"{endpoint}\")
pr = api.get_discussion_details(\"{space}\", {num}, repo_type=\"space\")
print(pr.title, pr.status, [e.type for e in pr.events])
print(pr.diff)
print(open(hf_hub_download(\"{space}\", \"app.py\", repo_type=\"space\", revision=\"refs/pr/{num}\", endpoint=\"{endpoint}\")).read())
PY",
        ns = space.namespace()
    );
}

#[cfg(test)]
mod tests {
    use super::verdict;

    #[test]
    fn the_verdict_is_the_summary_line_of_the_smoke_comment() {
        assert_eq!(verdict("<!-- m -->\n### Smoke test: ✅ **passed**\n\n| gate |"), "✅ **passed**");
        assert_eq!(verdict("no summary"), "(no summary line)");
    }
}
