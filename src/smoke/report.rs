//! Pure: the smoke report — each gate with its verdict, time and details — as the PR comment
//! (found again by a hidden marker, edited in place) and as the PR body's smoke section.

use std::fmt::Write;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::publish::pr_body::SMOKE_HEADING;

/// Hidden marker of the bot's smoke comment on a PR.
pub const SMOKE_MARKER: &str = "<!-- lora-space-bot:smoke v1 -->";

/// Hidden line naming the PR head a report tested and when its job started (unix seconds).
pub const HEAD_MARKER: &str = "<!-- lora-space-bot:smoke-head";

/// The gates, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Gate {
    /// Static checks of the PR's files.
    Static,
    /// The PR's app run by the worker itself through the local harness (`check` + `smoke`).
    Local,
    /// The preview Space reaches RUNNING.
    Running,
    /// The preview's API against the live Space's.
    Contract,
    /// One inference per example, output sniffed.
    Inference,
}

impl Gate {
    /// Every gate, in order.
    pub const ALL: [Gate; 5] = [Gate::Static, Gate::Local, Gate::Running, Gate::Contract, Gate::Inference];

    /// The gates that need a live preview Space.
    pub const LIVE: [Gate; 3] = [Gate::Running, Gate::Contract, Gate::Inference];

    /// Its name in reports.
    pub fn name(self) -> &'static str {
        match self {
            Self::Static => "static checks",
            Self::Local => "local harness",
            Self::Running => "preview reaches RUNNING",
            Self::Contract => "API contract",
            Self::Inference => "inference",
        }
    }
}

/// A gate's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Verdict {
    /// Not run yet.
    Pending,
    /// Passed.
    Pass,
    /// Failed.
    Fail,
    /// Not applicable (e.g. no live Space to compare with), or not run after a failure.
    Skipped,
    /// No verdict for a reason outside the app (a GPU quota, a plan, a busy Hub): retry later.
    Inconclusive,
}

impl Verdict {
    fn label(self) -> &'static str {
        match self {
            Self::Pending => "⏳ pending",
            Self::Pass => "✅ pass",
            Self::Fail => "❌ fail",
            Self::Skipped => "➖ skipped",
            Self::Inconclusive => "⚠️ inconclusive",
        }
    }
}

/// One gate's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GateResult {
    /// Which gate.
    pub gate: Gate,
    /// Its verdict.
    pub verdict: Verdict,
    /// How long it took.
    pub elapsed: Option<Duration>,
    /// What it found (one line each; a log excerpt may span lines).
    pub details: Vec<String>,
}

/// The whole report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmokeReport {
    /// The Space under test.
    pub space: String,
    /// The PR number, if the run is for a PR.
    pub pr: Option<u64>,
    /// The PR head commit the gates tested.
    #[serde(default)]
    pub head: Option<String>,
    /// When the job that wrote it started (unix seconds): of two reports on one PR, the later wins.
    #[serde(default)]
    pub started: i64,
    /// The preview Space's web URL (`…/spaces/{preview id}`).
    pub preview_url: Option<String>,
    /// One result per gate, in order.
    pub gates: Vec<GateResult>,
}

impl SmokeReport {
    /// A report with every gate pending.
    pub fn new(space: &str, pr: Option<u64>) -> Self {
        let gates = Gate::ALL.iter().map(|&gate| GateResult { gate, verdict: Verdict::Pending, elapsed: None, details: Vec::new() }).collect();
        Self { space: space.to_owned(), pr, head: None, started: 0, preview_url: None, gates }
    }

    /// Records a gate's result.
    pub fn set(&mut self, gate: Gate, verdict: Verdict, elapsed: Option<Duration>, details: Vec<String>) {
        if let Some(g) = self.gates.iter_mut().find(|g| g.gate == gate) {
            *g = GateResult { gate, verdict, elapsed, details };
        }
    }

    /// The result of a gate.
    pub fn gate(&self, gate: Gate) -> Option<&GateResult> {
        self.gates.iter().find(|g| g.gate == gate)
    }

    /// Marks these gates as skipped when still pending.
    pub fn skip(&mut self, gates: &[Gate], why: &str) {
        for g in self.gates.iter_mut().filter(|g| gates.contains(&g.gate) && g.verdict == Verdict::Pending) {
            g.verdict = Verdict::Skipped;
            g.details = vec![why.to_owned()];
        }
    }

    /// Marks every still-pending gate as skipped (after a failure).
    pub fn skip_pending(&mut self, why: &str) {
        for g in &mut self.gates {
            if g.verdict == Verdict::Pending {
                g.verdict = Verdict::Skipped;
                g.details = vec![why.to_owned()];
            }
        }
    }

    /// The overall verdict: a failure if any gate failed, inconclusive if any gate could not
    /// decide, pending while any is pending.
    pub fn overall(&self) -> Verdict {
        if self.gates.iter().any(|g| g.verdict == Verdict::Fail) {
            Verdict::Fail
        } else if self.gates.iter().any(|g| g.verdict == Verdict::Inconclusive) {
            Verdict::Inconclusive
        } else if self.gates.iter().any(|g| g.verdict == Verdict::Pending) {
            Verdict::Pending
        } else {
            Verdict::Pass
        }
    }

    /// The first failed gate.
    pub fn failed_gate(&self) -> Option<Gate> {
        self.gates.iter().find(|g| g.verdict == Verdict::Fail).map(|g| g.gate)
    }

    /// One line for the PR body.
    pub fn summary(&self) -> String {
        let skipped = self.gates.iter().any(|g| g.verdict == Verdict::Skipped);
        match (self.overall(), self.failed_gate()) {
            (Verdict::Fail, Some(g)) => format!("❌ **failed** at gate *{}*", g.name()),
            (Verdict::Inconclusive, _) => {
                let why = self.gates.iter().find(|g| g.verdict == Verdict::Inconclusive).and_then(|g| g.details.first()).map_or("no verdict", String::as_str);
                format!("⚠️ **inconclusive**: {}, retry later", cell(why))
            }
            (Verdict::Pass, _) if skipped => "✅ **passed**: every gate that ran (see the skipped ones)".to_owned(),
            (Verdict::Pass, _) => "✅ **passed**: every gate".to_owned(),
            _ => "⏳ running".to_owned(),
        }
    }

    /// The verdicts alone (what decides whether the comment is worth an edit).
    pub fn verdicts(&self) -> Vec<Verdict> {
        self.gates.iter().map(|g| g.verdict).collect()
    }

    /// The head and start time written by [`Self::comment`]: `(head, started)`.
    pub fn parse_head(comment: &str) -> Option<(String, i64)> {
        let line = comment.lines().find(|l| l.starts_with(HEAD_MARKER))?;
        let mut parts = line.trim_start_matches(HEAD_MARKER).trim_end_matches("-->").split_whitespace();
        Some((parts.next()?.to_owned(), parts.next()?.parse().ok()?))
    }

    /// The PR comment (Markdown, with the hidden marker).
    pub fn comment(&self) -> String {
        let mut s = format!("{SMOKE_MARKER}\n");
        if let Some(head) = &self.head {
            let _ = writeln!(s, "{HEAD_MARKER} {head} {} -->", self.started);
        }
        let _ = write!(s, "### Smoke test: {}\n\n", self.summary());
        if let Some(head) = &self.head {
            let _ = write!(s, "Tested PR head `{}`.\n\n", head.get(..12).unwrap_or(head));
        }
        let _ = writeln!(s, "| gate | verdict | time | details |\n|---|---|---|---|");
        for g in &self.gates {
            let time = g.elapsed.map_or_else(String::new, |d| format!("{:.1} s", d.as_secs_f64()));
            let first = g.details.first().map(|d| cell(d)).unwrap_or_default();
            let _ = writeln!(s, "| {} | {} | {time} | {first} |", g.gate.name(), g.verdict.label());
        }
        for g in self.gates.iter().filter(|g| g.details.len() > 1) {
            let _ = writeln!(s, "\n<details><summary>{}</summary>\n\n```\n{}\n```\n</details>", g.gate.name(), g.details[1..].join("\n").replace("```", "'''"));
        }
        if let Some(url) = &self.preview_url {
            // The preview is deleted once this verdict is posted (it holds a ZeroGPU slot or paid
            // hardware), so a link would be dead: name it and say how to run it again.
            let name = url.rsplit_once("/spaces/").map_or(url.as_str(), |(_, id)| id.trim_end_matches('/'));
            let rerun = match self.pr {
                Some(pr) => format!("lora-space-bot smoke --space {} --revision refs/pr/{pr}", self.space),
                None => format!("lora-space-bot smoke --space {}", self.space),
            };
            let _ = writeln!(s, "\nThe preview Space `{name}` was deleted after this verdict (it holds a hardware slot); to run it again: `{rerun}`.");
        }
        s
    }
}

fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// `body` with its smoke section's content replaced by `summary` (the section is added at
/// the end when missing). The rest of the body is kept byte for byte.
pub fn mirror_into_body(body: &str, summary: &str) -> String {
    let section = format!("{SMOKE_HEADING}\n\n{summary}\n\n");
    let Some(start) = body.find(SMOKE_HEADING) else {
        return format!("{}\n\n{section}", body.trim_end());
    };
    let after = start + SMOKE_HEADING.len();
    let end = body[after..].find("\n## ").map_or_else(|| body[after..].find("\n<!--").map_or(body.len(), |i| after + i + 1), |i| after + i + 1);
    format!("{}{section}{}", &body[..start], &body[end..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fresh_report_is_pending_and_a_failure_names_its_gate() {
        let mut r = SmokeReport::new("alice/demo", Some(3));
        assert_eq!(r.overall(), Verdict::Pending);
        r.set(Gate::Static, Verdict::Pass, Some(Duration::from_millis(20)), vec![]);
        r.set(Gate::Running, Verdict::Fail, Some(Duration::from_secs(3)), vec!["RUNTIME_ERROR".into(), "OSError: no file x.safetensors".into()]);
        r.skip_pending("not run after a failed gate");
        assert_eq!(r.overall(), Verdict::Fail);
        assert_eq!(r.failed_gate(), Some(Gate::Running));
        let c = r.comment();
        assert!(c.starts_with(SMOKE_MARKER));
        assert!(c.contains("failed** at gate *preview reaches RUNNING*"), "{c}");
        assert!(c.contains("OSError: no file x.safetensors"), "{c}");
        assert!(c.contains("| API contract | ➖ skipped |"), "{c}");
    }

    #[test]
    fn every_gate_passing_is_a_pass() {
        let mut r = SmokeReport::new("alice/demo", None);
        for g in Gate::ALL {
            r.set(g, Verdict::Pass, None, vec!["ok | fine".into()]);
        }
        assert_eq!(r.overall(), Verdict::Pass);
        assert!(r.comment().contains("ok \\| fine"));
    }

    #[test]
    fn the_body_section_is_replaced_and_the_rest_kept() {
        let body = "intro\n\n## Smoke test\n\n_Pending: x._\n\n## Steering the bot\n\n- a\n<!-- lora-space-bot:pr v1 lora_sha=abc -->\n";
        let out = mirror_into_body(body, "✅ passed");
        assert_eq!(out, "intro\n\n## Smoke test\n\n✅ passed\n\n## Steering the bot\n\n- a\n<!-- lora-space-bot:pr v1 lora_sha=abc -->\n");
        assert_eq!(mirror_into_body(&out, "❌ failed"), out.replace("✅ passed", "❌ failed"));
    }

    #[test]
    fn the_comment_names_the_deleted_preview_instead_of_linking_to_it() {
        let mut r = SmokeReport::new("alice/demo", Some(3));
        r.preview_url = Some("https://huggingface.co/spaces/bot/alice_demo-pr-3".to_owned());
        let c = r.comment();
        assert!(c.contains("The preview Space `bot/alice_demo-pr-3` was deleted after this verdict"), "{c}");
        assert!(c.contains("`lora-space-bot smoke --space alice/demo --revision refs/pr/3`"), "{c}");
        assert!(!c.contains("](https://huggingface.co/spaces/bot/alice_demo-pr-3"), "no dead link: {c}");
    }

    #[test]
    fn a_body_without_the_section_gets_it_appended() {
        assert_eq!(mirror_into_body("text\n", "⏳ running"), "text\n\n## Smoke test\n\n⏳ running\n\n");
    }
}
