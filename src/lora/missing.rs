//! Analyze stage, last step (knowledge §2.6): decide what is missing and whether it blocks
//! generation, and add the flags the user must hear about (gated base, conflicts).

use super::profile::{Flag, LoraProfile, Missing, MissingField, Task};

fn push(p: &mut LoraProfile, field: MissingField, question: String, blocking: bool) {
    if !p.missing.iter().any(|m| m.field == field) {
        p.missing.push(Missing { field, question, blocking });
    }
}

fn flag(p: &mut LoraProfile, kind: &str, message: String) {
    if !p.flags.iter().any(|f| f.kind == kind) {
        p.flags.push(Flag { kind: kind.to_owned(), message });
    }
}

/// The numbered task choice offered to the user.
pub fn task_choices() -> String {
    Task::ALL.iter().enumerate().map(|(i, t)| format!("{}. {t}", i + 1)).collect::<Vec<_>>().join(", ")
}

/// Fills `missing` and the standard flags.
pub fn assess(p: &mut LoraProfile, conflicts: &[String]) {
    let overridden =
        |p: &LoraProfile| p.base_model.as_ref().is_some_and(|b| b.evidence.source == super::profile::Source::Override);
    match &p.base_model {
        None => push(p, MissingField::BaseModel, "Which base model was this LoRA trained on (e.g. black-forest-labs/FLUX.1-dev, stabilityai/stable-diffusion-xl-base-1.0, Qwen/Qwen-Image)?".into(), true),
        Some(b) if p.family.is_none() => {
            let q = format!("Unsupported base family: base model {} is of a family this bot has no recipe for (it supports FLUX.1, Qwen-Image, SDXL, SD3.5, LTX-Video and Wan), and a LoRA loads only into the family it was trained on. If the card names the wrong base, which supported base was it trained on? Otherwise its demo has to be written by hand.", b.value);
            push(p, MissingField::UnsupportedBaseFamily, q, true);
        }
        Some(b) if p.base_by_analogy => {
            let like = p.family.as_deref().and_then(|id| crate::space::knowledge::knowledge().family(id)).map_or("supported", |f| f.name.as_str());
            let q = format!(
                "Base model {} is not in the knowledge table; its name suggests a {like} model. Confirm it (set base_model in lora-space.toml) to proceed by analogy, or name the right base model.",
                b.value
            );
            push(p, MissingField::UnsupportedBaseFamily, q, true);
        }
        Some(_) => {}
    }
    if !conflicts.is_empty() && !overridden(p) {
        let q = format!(
            "The card names different base models ({}). Which one was the LoRA trained on?",
            conflicts.join("; ")
        );
        push(p, MissingField::AmbiguousBaseModel, q, true);
        flag(p, "conflict", format!("base model sources disagree: {}", conflicts.join("; ")));
    }
    if p.task.is_none() {
        push(p, MissingField::Task, format!("What does the Space do? Pick one: {}", task_choices()), true);
    }
    unserved_task(p);
    weights(p);
    if p.steps.is_none() || p.guidance.is_none() {
        push(p, MissingField::Recipe, "Recommended steps and guidance, if known.".into(), false);
    }
    if p.base_gated {
        let base = p.base_model.as_ref().map_or(String::new(), |b| b.value.clone());
        flag(
            p,
            "gated-base",
            format!(
                "base model {base} is gated: the Space needs an HF_TOKEN secret from an account that accepted its licence"
            ),
        );
    }
    if p.task.as_ref().is_some_and(|t| t.value.needs_image() || t.value == Task::VideoToVideo)
        && p.example_media.is_empty()
    {
        flag(p, "no-example-inputs", "the LoRA repo has no example input media: gr.Examples carries prompts only; add inputs from linoyts/repo-to-space-example-inputs or the LoRA repo".into());
    }
}

/// The card's task is one the base family's recipe does not serve (an img2img app on a
/// text-to-image-only family): unsupported as is, ask instead of building the wrong Space.
fn unserved_task(p: &mut LoraProfile) {
    let k = crate::space::knowledge::knowledge();
    let (Some(task), Some(f)) = (p.task.as_ref().map(|t| t.value), p.family.as_deref().and_then(|id| k.family(id)))
    else {
        return;
    };
    let served = f.tasks();
    if !served.contains(&task) && p.task.as_ref().is_some_and(|t| t.evidence.source != super::profile::Source::Override) {
        let list = served.iter().map(|t| t.as_str()).collect::<Vec<_>>().join(", ");
        let q = format!(
            "Unsupported as is, needs input: the card describes {task}, which the {} recipe here does not serve (it serves {list}). Which task should the Space do?",
            f.name
        );
        push(p, MissingField::Task, q, true);
    }
}

fn weights(p: &mut LoraProfile) {
    if p.weight_name.is_some() {
        return;
    }
    let q = if p.weight_candidates.is_empty() {
        "No weights file (.safetensors) was found in the LoRA repo. Which file should the Space load?".to_owned()
    } else {
        format!(
            "Several weights files look like alternatives: {}. Which one should the Space load?",
            p.weight_candidates.join(", ")
        )
    };
    push(p, MissingField::WeightsFile, q, true);
}
