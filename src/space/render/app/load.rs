//! `app.py`'s module-level pipeline load: the VAE override, the pipeline, the scheduler
//! replacement, the move to CUDA and the LoRA weights (with their fixed adapter weight).

use super::constants::fixed_adapter_weight;
use crate::space::plan::SpacePlan;
use crate::space::pyliteral::{py_float, py_str};

pub(super) fn load(plan: &SpacePlan, out: &mut Vec<String>) {
    let dtype = format!("torch.{}", if plan.dtype == "float16" { "float16" } else { "bfloat16" });
    let mut kwargs = Vec::new();
    if plan.vae_float32 {
        out.push("vae = AutoencoderKLWan.from_pretrained(BASE_MODEL, subfolder=\"vae\", dtype=torch.float32, token=HF_TOKEN)".into());
        kwargs.push("vae=vae".to_owned());
    } else if plan.vae_repo.is_some() {
        out.push(format!("vae = AutoencoderKL.from_pretrained(VAE_REPO, dtype={dtype}, token=HF_TOKEN)"));
        kwargs.push("vae=vae".to_owned());
    }
    // `dtype=`, not `torch_dtype=` (deprecated, removal announced for diffusers 1.0):
    // requirements.txt carries the floor that introduced it (requirements::DIFFUSERS_FLOOR).
    kwargs.push(format!("dtype={dtype}"));
    if let Some(v) = &plan.variant {
        kwargs.push(format!("variant={}", py_str(v)));
    }
    kwargs.push("token=HF_TOKEN".into());
    out.push(format!("pipe = {}.from_pretrained(BASE_MODEL, {})", plan.pipeline_class.value, kwargs.join(", ")));
    if let Some(shift) = plan.flow_shift {
        out.push(format!(
            "pipe.scheduler = UniPCMultistepScheduler.from_config(pipe.scheduler.config, flow_shift={})",
            py_float(shift)
        ));
    }
    if plan.static_shift {
        // LTXConditionPipeline passes its own timesteps and no `mu` (see plan::NO_MU_CLASSES).
        out.push(
            "pipe.scheduler = FlowMatchEulerDiscreteScheduler.from_config(pipe.scheduler.config, use_dynamic_shifting=False)"
                .into(),
        );
    }
    if plan.lightning_scheduler {
        out.push("pipe.scheduler = FlowMatchEulerDiscreteScheduler.from_config(".into());
        out.push("    pipe.scheduler.config,".into());
        out.push("    base_shift=math.log(3),".into());
        out.push("    max_shift=math.log(3),".into());
        out.push("    use_dynamic_shifting=True,".into());
        out.push("    time_shift_type=\"exponential\",".into());
        out.push(")".into());
    }
    out.push("pipe.to(\"cuda\")".into());
    out.push(
        "pipe.load_lora_weights(LORA_REPO, weight_name=WEIGHT_NAME, adapter_name=\"lora\", token=HF_TOKEN)".into(),
    );
    let adapters = if plan.weight_name_2.is_some() {
        // Wan 2.2 A14B high/low-noise pairs: WanLoraLoaderMixin.load_lora_weights pops
        // `load_into_transformer_2` and loads into the low-noise expert (diffusers 58eb52c0,
        // src/diffusers/loaders/lora_pipeline.py); without it both files would land in `transformer`.
        out.push("pipe.load_lora_weights(LORA_REPO, weight_name=WEIGHT_NAME_2, adapter_name=\"lora_2\", load_into_transformer_2=True, token=HF_TOKEN)".into());
        "[\"lora\", \"lora_2\"], adapter_weights=[LORA_SCALE, LORA_SCALE]"
    } else {
        "[\"lora\"], adapter_weights=[LORA_SCALE]"
    };
    if fixed_adapter_weight(plan) {
        out.push(format!("pipe.set_adapters({adapters})"));
    }
    out.push(String::new());
    out.push(String::new());
}

#[cfg(test)]
mod tests {
    use super::super::render_app;
    use crate::space::test_plan;

    #[test]
    fn weights_load_with_dtype_not_the_deprecated_torch_dtype() {
        let card = "---\nbase_model: Wan-AI/Wan2.1-I2V-14B-480P-Diffusers\npipeline_tag: image-to-video\n---\n";
        let app = render_app(&test_plan(card, &["lora.safetensors"]));
        assert!(!app.contains("torch_dtype"));
        assert!(app.contains("subfolder=\"vae\", dtype=torch.float32") && app.contains("dtype=torch.bfloat16"));
    }

    #[test]
    fn a_pipeline_that_passes_no_mu_gets_a_static_shift_scheduler_on_a_dynamic_shifting_base() {
        let card = |task: &str| format!("---\nbase_model: Lightricks/LTX-Video\npipeline_tag: {task}\n---\n");
        let v2v = render_app(&test_plan(&card("video-to-video"), &["lora.safetensors"]));
        assert!(v2v.contains("from_config(pipe.scheduler.config, use_dynamic_shifting=False)"), "{v2v}");
        let t2v = render_app(&test_plan(&card("text-to-video"), &["lora.safetensors"]));
        assert!(!t2v.contains("use_dynamic_shifting"), "LTXPipeline computes mu itself");
    }
}
