//! The human-readable form of the `plan` dry-run output: each inferred value with where it
//! came from, what is missing, the plan's key decisions and the files that would be written.

use std::fmt::Write;

use super::generate::Generation;
use super::plan_output::PlanOutput;
use crate::lora::profile::{Evidence, Sourced};

fn line(out: &mut String, name: &str, value: &str, e: Option<&Evidence>) {
    let from = e.map_or(String::new(), |e| format!("   [{e}]"));
    // Writing to a String cannot fail.
    let _ = writeln!(out, "  {name:<16} {value}{from}");
}

fn opt<T: std::fmt::Debug>(out: &mut String, name: &str, s: &Option<Sourced<T>>) {
    match s {
        Some(s) => line(out, name, &format!("{:?}", s.value), Some(&s.evidence)),
        None => line(out, name, "—", None),
    }
}

/// Renders the report.
pub fn render(o: &PlanOutput) -> String {
    let p = &o.profile;
    let mut out = format!("LoRA {}\n\nProfile\n", p.lora);
    opt(&mut out, "base_model", &p.base_model);
    line(&mut out, "family", p.family.as_deref().unwrap_or("—"), None);
    match &p.task {
        Some(t) => line(&mut out, "task", t.value.as_str(), Some(&t.evidence)),
        None => line(&mut out, "task", "—", None),
    }
    opt(&mut out, "weight_name", &p.weight_name);
    line(&mut out, "trigger_words", &format!("{:?}", p.triggers()), Some(&p.trigger_words.evidence));
    opt(
        &mut out,
        "prompt_template",
        &p.prompt_template.as_ref().map(|t| Sourced { value: t.value.display(), evidence: t.evidence.clone() }),
    );
    opt(&mut out, "steps", &p.steps);
    opt(&mut out, "guidance", &p.guidance);
    line(&mut out, "guidance_param", p.guidance_param.as_str(), None);
    line(&mut out, "lora_scale", &p.lora_scale.value.to_string(), Some(&p.lora_scale.evidence));
    opt(
        &mut out,
        "resolution",
        &p.resolution
            .as_ref()
            .map(|r| Sourced { value: format!("{}x{}", r.value.width, r.value.height), evidence: r.evidence.clone() }),
    );
    opt(&mut out, "num_frames", &p.num_frames);
    opt(&mut out, "fps", &p.fps);
    opt(&mut out, "negative_prompt", &p.negative_prompt);
    line(&mut out, "examples", &format!("{:?}", p.examples.value), Some(&p.examples.evidence));
    line(&mut out, "example_media", &format!("{:?}", p.example_media), None);
    for f in &p.flags {
        let _ = writeln!(out, "  flag: {}", f.message);
    }
    if let Some(e) = &o.overrides_error {
        let _ = writeln!(out, "  overrides ignored: {e}");
    }
    let _ = writeln!(out, "\nNeeds user input: {}", p.needs_user_input());
    for m in &p.missing {
        let _ = writeln!(out, "  - {}{}", m.question, if m.blocking { "" } else { " (optional)" });
    }
    match &o.generation {
        Generation::Ready(g) => {
            let plan = &g.plan;
            let _ = writeln!(
                out,
                "\nPlan\n  pipeline_class   {}   [{}]",
                plan.pipeline_class.value, plan.pipeline_class.evidence
            );
            let _ = writeln!(
                out,
                "  gpu              @spaces.GPU(duration={}){}",
                plan.gpu_duration,
                plan.gpu_size.as_ref().map_or(String::new(), |s| format!(" size={s}"))
            );
            let _ = writeln!(out, "  examples         {} rows", plan.examples.len());
            for n in &g.notes {
                let _ = writeln!(out, "  note: {n}");
            }
            let _ = writeln!(
                out,
                "\nFiles\n{}",
                g.files
                    .iter()
                    .map(|(k, v)| format!("  {k} ({} lines)", v.lines().count()))
                    .collect::<Vec<_>>()
                    .join("\n")
            );
        }
        Generation::NeedsInput(n) => {
            let _ = writeln!(out, "\nDiscussion: {}\n\n{}", n.title, n.body_markdown);
        }
    }
    out
}
