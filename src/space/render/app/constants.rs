//! `app.py`'s constants: every card-derived value (repos, weights, trigger or template,
//! defaults, sizes, video timing) as a Python literal through [`py_str`] and friends.

use crate::lora::profile::Task;
use crate::space::plan::{PromptPlan, SpacePlan};
use crate::space::pyliteral::{py_float, py_int, py_str};

pub(super) fn constants(plan: &SpacePlan, out: &mut Vec<String>) {
    out.push(format!("BASE_MODEL = {}", py_str(&plan.base_model)));
    out.push(format!("LORA_REPO = {}", py_str(&plan.lora)));
    out.push(format!("WEIGHT_NAME = {}", py_str(&plan.weight_name)));
    if let Some(w2) = &plan.weight_name_2 {
        out.push(format!("WEIGHT_NAME_2 = {}", py_str(w2)));
    }
    if let Some(vae) = &plan.vae_repo {
        out.push(format!("VAE_REPO = {}", py_str(vae)));
    }
    match &plan.prompt {
        PromptPlan::Free { trigger } => out.push(format!("TRIGGER = {}", py_str(trigger.as_deref().unwrap_or("")))),
        PromptPlan::Template { template } => {
            out.push(format!("PROMPT_PREFIX = {}", py_str(&template.prefix)));
            out.push(format!("PROMPT_SUFFIX = {}", py_str(&template.suffix)));
        }
        PromptPlan::FixedInstruction { instruction } => out.push(format!("INSTRUCTION = {}", py_str(instruction))),
    }
    if let Some(neg) = &plan.negative_prompt {
        out.push(format!("NEGATIVE_PROMPT = {}", py_str(neg)));
    }
    out.push(format!("DEFAULT_STEPS = {}", py_int(plan.steps)));
    if plan.pass_guidance {
        out.push(format!("DEFAULT_GUIDANCE = {}", py_float(plan.guidance)));
    }
    if uses_lora_scale(plan) {
        out.push(format!("LORA_SCALE = {}", py_float(plan.lora_scale)));
    }
    out.push("MAX_SEED = 2**31 - 1".into());
    out.push("HF_TOKEN = os.environ.get(\"HF_TOKEN\")".into());
    size_constants(plan, out);
    if let Some(v) = &plan.video {
        out.push(format!("FPS = {}", py_int(v.fps)));
        out.push(format!("FRAME_STEP = {}", py_int(v.frame_step)));
        out.push(format!("DEFAULT_SECONDS = {}", py_float(v.default_seconds)));
    }
    out.push(String::new());
}

/// `LORA_SCALE` is defined only when something reads it: the slider's default, or
/// `set_adapters` for a fixed weight other than 1.0 (the adapter's default).
pub fn uses_lora_scale(plan: &SpacePlan) -> bool {
    plan.scale_slider.is_some() || fixed_adapter_weight(plan)
}

pub(super) fn fixed_adapter_weight(plan: &SpacePlan) -> bool {
    plan.scale_slider.is_none() && (plan.lora_scale - 1.0).abs() > f64::EPSILON
}

fn size_constants(plan: &SpacePlan, out: &mut Vec<String>) {
    let r = plan.resolution;
    if plan.task.needs_image() || plan.task == Task::VideoToVideo {
        out.push(format!("MAX_AREA = {} * {}", py_int(r.width), py_int(r.height)));
        out.push(format!("MULTIPLE = {}", py_int(plan.multiple)));
    } else if plan.aspect_presets.len() > 1 {
        out.push("ASPECT_RATIOS = {".into());
        for (label, size) in &plan.aspect_presets {
            out.push(format!("    {}: ({}, {}),", py_str(label), py_int(size.width), py_int(size.height)));
        }
        out.push("}".into());
        out.push("DEFAULT_ASPECT = next(iter(ASPECT_RATIOS))".into());
    } else {
        out.push(format!("WIDTH, HEIGHT = {}, {}", py_int(r.width), py_int(r.height)));
    }
}

#[cfg(test)]
mod tests {
    use super::super::render_app;
    use crate::space::test_plan;

    const FLUX: &str = "---\nbase_model: black-forest-labs/FLUX.1-dev\ninstance_prompt: zk style\n---\n";

    #[test]
    fn lora_scale_is_defined_only_when_something_reads_it() {
        let app = render_app(&test_plan(FLUX, &["lora.safetensors"]));
        assert!(!app.contains("LORA_SCALE"), "1.0 without a slider: no constant");
        let mut plan = test_plan(FLUX, &["lora.safetensors"]);
        plan.lora_scale = 0.8;
        let app = render_app(&plan);
        assert!(app.contains("LORA_SCALE = 0.8") && app.contains("adapter_weights=[LORA_SCALE]"));
        plan.scale_slider = Some((0.6, 1.0));
        let app = render_app(&plan);
        assert!(app.contains("value=LORA_SCALE") && !app.contains("set_adapters"));
    }
}
