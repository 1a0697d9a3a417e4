//! Pure: the smoke report — each gate with its verdict, time and details — as the PR comment
//! (found again by a hidden marker, edited in place) and as the PR body's smoke section.

use std::fmt::Write;
use std::time::Duration;

use crate::publish::pr_body::SMOKE_HEADING;

/// Hidden marker of the bot's smoke comment on a PR.
pub const SMOKE_MARKER: &str = "<!-- lora-space-bot:smoke v1 -->";

/// The gates, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    /// Static checks of the PR's files.
    Static,
    /// The preview Space reaches RUNNING.
    Running,
    /// The preview's API against the live Space's.
    Contract,
    /// One inference per example, output sniffed.
    Inference,
}

impl Gate {
    /// Every gate, in order.
    pub const ALL: [Gate; 4] = [Gate::Static, Gate::Running, Gate::Contract, Gate::Inference];

    /// Its name in reports.
    pub fn name(self) -> &'static str {
        match self {
            Self::Static => "static checks",
            Self::Running => "preview reaches RUNNING",
            Self::Contract => "API contract",
            Self::Inference => "inference",
        }
    }
}

/// A gate's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Not run yet.
    Pending,
    /// Passed.
    Pass,
    /// Failed.
    Fail,
    /// Not applicable (e.g. no live Space to compare with), or not run after a failure.
    Skipped,
}

impl Verdict {
    fn label(self) -> &'static str {
        match self {
            Self::Pending => "⏳ pending",
            Self::Pass => "✅ pass",
            Self::Fail => "❌ fail",
            Self::Skipped => "➖ skipped",
        }
    }
}

/// One gate's result.
#[derive(Debug, Clone, PartialEq, Eq)]
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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmokeReport {
    /// The Space under test.
    pub space: String,
    /// The PR number, if the run is for a PR.
    pub pr: Option<u64>,
    /// The preview Space's web URL.
    pub preview_url: Option<String>,
    /// Where its logs are.
    pub logs_url: Option<String>,
    /// One result per gate, in order.
    pub gates: Vec<GateResult>,
}

impl SmokeReport {
    /// A report with every gate pending.
    pub fn new(space: &str, pr: Option<u64>) -> Self {
        let gates = Gate::ALL.iter().map(|&gate| GateResult { gate, verdict: Verdict::Pending, elapsed: None, details: Vec::new() }).collect();
        Self { space: space.to_owned(), pr, preview_url: None, logs_url: None, gates }
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

    /// Marks every still-pending gate as skipped (after a failure).
    pub fn skip_pending(&mut self, why: &str) {
        for g in &mut self.gates {
            if g.verdict == Verdict::Pending {
                g.verdict = Verdict::Skipped;
                g.details = vec![why.to_owned()];
            }
        }
    }

    /// The overall verdict: a failure if any gate failed, pending while any is pending.
    pub fn overall(&self) -> Verdict {
        if self.gates.iter().any(|g| g.verdict == Verdict::Fail) {
            Verdict::Fail
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
        match (self.overall(), self.failed_gate()) {
            (Verdict::Fail, Some(g)) => format!("❌ **failed** at gate *{}*", g.name()),
            (Verdict::Pass, _) => "✅ **passed**: every gate".to_owned(),
            _ => "⏳ running".to_owned(),
        }
    }

    /// The PR comment (Markdown, with the hidden marker).
    pub fn comment(&self) -> String {
        let mut s = format!("{SMOKE_MARKER}\n### Smoke test: {}\n\n", self.summary());
        let _ = writeln!(s, "| gate | verdict | time | details |\n|---|---|---|---|");
        for g in &self.gates {
            let time = g.elapsed.map_or_else(String::new, |d| format!("{:.1} s", d.as_secs_f64()));
            let first = g.details.first().map(|d| cell(d)).unwrap_or_default();
            let _ = writeln!(s, "| {} | {} | {time} | {first} |", g.gate.name(), g.verdict.label());
        }
        for g in self.gates.iter().filter(|g| g.details.len() > 1) {
            let _ = writeln!(s, "\n<details><summary>{}</summary>\n\n```\n{}\n```\n</details>", g.gate.name(), g.details[1..].join("\n").replace("```", "'''"));
        }
        let links: Vec<String> = [("preview Space", &self.preview_url), ("logs", &self.logs_url)]
            .into_iter()
            .filter_map(|(label, url)| url.as_ref().map(|u| format!("[{label}]({u})")))
            .collect();
        if !links.is_empty() {
            let _ = writeln!(s, "\n{}", links.join(" · "));
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
    fn a_body_without_the_section_gets_it_appended() {
        assert_eq!(mirror_into_body("text\n", "⏳ running"), "text\n\n## Smoke test\n\n⏳ running\n\n");
    }
}
