//! Render stage, `app.py`: module header and imports (ZeroGPU order: `spaces` before torch
//! and diffusers), constants (every card-derived string through [`py_str`]), module-level
//! pipeline load with the LoRA, helpers, the `@spaces.GPU` function and the Gradio UI.
//!
//! This module assembles the file in that order; `imports`, `constants`, `load`, `helpers` and
//! `ui` write their parts, [`call`] the `@spaces.GPU` function.
//!
//! [`py_str`]: crate::space::pyliteral::py_str

use super::call;
use crate::space::plan::SpacePlan;

mod constants;
mod helpers;
mod imports;
mod load;
mod ui;

pub use constants::uses_lora_scale;

/// Renders `app.py`.
pub fn render_app(plan: &SpacePlan) -> String {
    let mut out: Vec<String> = Vec::new();
    imports::header(plan, &mut out);
    constants::constants(plan, &mut out);
    load::load(plan, &mut out);
    helpers::helpers(plan, &mut out);
    call::generate_fn(plan, &mut out);
    ui::ui(plan, &mut out);
    let mut text = out.join("\n");
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::space::test_plan;

    const FLUX: &str = "---\nbase_model: black-forest-labs/FLUX.1-dev\ninstance_prompt: zk style\n---\n";

    #[test]
    fn spaces_is_imported_before_torch_and_the_gpu_function_is_bound() {
        let app = render_app(&test_plan(FLUX, &["lora.safetensors"]));
        let (spaces, torch) = (app.find("import spaces"), app.find("import torch"));
        assert!(spaces.zip(torch).is_some_and(|(s, t)| s < t));
        assert!(app.contains("@spaces.GPU(duration=60)\ndef generate("));
        assert!(app.contains("fn=generate,"));
        assert!(app.contains("demo.launch(theme=gr.themes.Citrus()"));
    }

    #[test]
    fn trigger_is_a_constant_prepended_in_code_not_typed_by_the_user() {
        let app = render_app(&test_plan(FLUX, &["lora.safetensors"]));
        assert!(app.contains("TRIGGER = \"zk style\""));
        assert!(app.contains("return TRIGGER + \" \" + text"));
    }

    #[test]
    fn a_base_that_ignores_guidance_gets_no_guidance_kwarg() {
        let card = "---\nbase_model: black-forest-labs/FLUX.1-schnell\n---\n";
        let app = render_app(&test_plan(card, &["lora.safetensors"]));
        assert!(!app.contains("guidance_scale") && !app.contains("DEFAULT_GUIDANCE"), "{app}");
        assert!(app.contains("max_sequence_length=256"));
    }

    #[test]
    fn video_apps_set_the_allocator_before_importing_spaces() {
        let card = "---\nbase_model: Wan-AI/Wan2.1-T2V-14B-Diffusers\n---\n";
        let app = render_app(&test_plan(card, &["lora.safetensors"]));
        let (alloc, spaces) = (app.find("PYTORCH_CUDA_ALLOC_CONF"), app.find("import spaces"));
        assert!(alloc.zip(spaces).is_some_and(|(a, s)| a < s));
        assert!(app.contains("gr.Video(label=\"Result\", autoplay=True)"));
        assert!(app.contains("export_to_video(result.frames[0], path, fps=FPS)"));
    }

    #[test]
    fn a_distilled_ltx23_app_turns_every_guidance_off() {
        let card = "---\nbase_model: diffusers/LTX-2.3-Distilled-Diffusers\npipeline_tag: video-to-video\n---\n";
        let app = render_app(&test_plan(card, &["lora.safetensors"]));
        assert!(app.contains("DEFAULT_GUIDANCE = 1.0\n"), "{app}");
        for kw in ["guidance_scale=DEFAULT_GUIDANCE", "stg_scale=0.0", "audio_guidance_scale=1.0", "audio_stg_scale=0.0",
            "modality_scale=1.0", "audio_modality_scale=1.0"]
        {
            assert!(app.contains(&format!("        {kw},\n")), "{kw} missing: {app}");
        }
    }

    #[test]
    fn a_shift_terminal_scheduler_offers_at_least_two_steps() {
        let qwen = render_app(&test_plan("---\nbase_model: Qwen/Qwen-Image\n---\n", &["lora.safetensors"]));
        assert!(qwen.contains("gr.Slider(label=\"Steps\", minimum=2,"), "{qwen}");
        let ltx2 = render_app(&test_plan("---\nbase_model: Lightricks/LTX-2\npipeline_tag: text-to-video\n---\n", &["lora.safetensors"]));
        assert!(ltx2.contains("gr.Slider(label=\"Steps\", minimum=2,"), "{ltx2}");
        assert!(render_app(&test_plan(FLUX, &["lora.safetensors"])).contains("gr.Slider(label=\"Steps\", minimum=1,"));
    }
}
