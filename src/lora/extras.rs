//! Analyze stage, recipe details that follow from names rather than numbers: few-step LoRAs
//! (`8steps` in a filename, LightX2V, Hyper-SD, distilled, LCM) lock steps and guidance,
//! IC-LoRAs named `…ref0.5` need `reference_downscale_factor=2`, and SDXL cards may name a
//! replacement VAE (`madebyollin/sdxl-vae-fp16-fix`).

use std::sync::LazyLock;

use regex::Regex;

use super::profile::{GuidanceParam, LoraProfile, Source, Sourced};
use crate::domain::ids::RepoId;
use crate::space::knowledge::Family;

static FEW_STEP: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(lightx2v|hyper[-_]?(?:sd|flux)|distill|\blcm\b|(?:^|[^0-9])(\d{1,2})[-_ ]?steps?(?:\b|_))")
        .unwrap_or_else(|_| unreachable!())
});

/// Whether a repo id, file name or variable names a few-step LoRA (LCM, Lightning, Hyper-SD, …).
pub(super) fn is_few_step_name(text: &str) -> bool {
    FEW_STEP.is_match(text) || text.to_ascii_lowercase().contains("lightning") || text.to_ascii_lowercase().contains("tcd")
}

/// Marks few-step LoRAs and replaces base-default steps / guidance with the few-step recipe.
pub fn apply_few_step(p: &mut LoraProfile, lora: &str, family: Option<&Family>) {
    let names = format!("{lora} {}", p.weight_name.as_ref().map_or("", |w| w.value.as_str()));
    let Some(caps) = FEW_STEP.captures(&names) else { return };
    p.few_step = true;
    let what = caps.get(0).map_or("", |m| m.as_str()).to_owned();
    let from_default = |s: Option<Source>| matches!(s, None | Some(Source::BaseDefault));
    let step_count = FEW_STEP.captures_iter(&names).find_map(|c| c.get(2).and_then(|m| m.as_str().parse::<u32>().ok()));
    if let Some(n) = step_count
        && from_default(p.steps.as_ref().map(|s| s.evidence.source)) {
            p.steps = Some(Sourced::new(n, Source::FileList, format!("few-step LoRA ({what} in its name)")));
        }
    if from_default(p.guidance.as_ref().map(|g| g.evidence.source)) {
        let g = match (p.guidance_param, family.map(|f| f.group.as_str())) {
            (GuidanceParam::TrueCfgScale, _) => Some(1.0),
            (_, Some("sd")) => Some(0.0),
            (_, Some("flux")) => None,
            _ => Some(1.0),
        };
        if let Some(g) = g {
            p.guidance = Some(Sourced::new(g, Source::FileList, format!("few-step LoRA ({what}): guidance off")));
        }
    }
}

/// IC-LoRAs trained on half-size references (`…-ref0.5`) need the factor passed explicitly.
pub fn apply_reference_scale(p: &mut LoraProfile) {
    let name = p.weight_name.as_ref().map_or(String::new(), |w| w.value.to_ascii_lowercase());
    if (name.contains("ref0.5") || name.contains("ref05"))
        && !p.extra_call_kwargs.iter().any(|(k, _)| k == "reference_downscale_factor")
    {
        p.extra_call_kwargs.push(("reference_downscale_factor".to_owned(), 2.0));
    }
}

static VAE_PROSE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)special vae used for training:\s*\[?`?([A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9][A-Za-z0-9_.-]*)")
        .unwrap_or_else(|_| unreachable!())
});
static VAE_SNIPPET: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"AutoencoderKL\.from_pretrained\(\s*["']([A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9][A-Za-z0-9_.-]*)["']"#)
        .unwrap_or_else(|_| unreachable!())
});

/// A replacement VAE named by the card's snippet or the SDXL trainer's "Special VAE" line.
pub fn vae(body: &str, code: &str) -> Option<Sourced<String>> {
    let found = VAE_SNIPPET
        .captures(code)
        .map(|c| (c, Source::CardSnippet))
        .or_else(|| VAE_PROSE.captures(body).map(|c| (c, Source::CardProse)))?;
    let repo = found.0.get(1)?.as_str().trim_end_matches(['.', '-']);
    repo.parse::<RepoId>().ok()?;
    Some(Sourced::new(repo.to_owned(), found.1, format!("card names the VAE {repo}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_count_in_a_lightning_filename_sets_a_locked_few_step_recipe() {
        let lora: RepoId = "lightx2v/Qwen-Image-Lightning".parse().expect("id");
        let files = vec!["Qwen-Image-Lightning-8steps-V1.0.safetensors".to_owned()];
        let card = "---\nbase_model: Qwen/Qwen-Image\n---\n";
        let p = crate::lora::analyze(&crate::lora::AnalyzeInput { lora: &lora, card, files: &files, overrides: None });
        assert!(p.few_step);
        assert_eq!(p.steps.map(|s| s.value), Some(8));
        assert_eq!(p.guidance.map(|g| g.value), Some(1.0));
    }

    #[test]
    fn a_step_count_followed_by_an_underscore_is_read() {
        // lightx2v/Wan2.2-Distill-Loras: wan2.2_i2v_A14b_high_noise_lora_rank64_lightx2v_4step_1022.safetensors
        let caps = FEW_STEP.captures_iter("lightx2v_4step_1022.safetensors").find_map(|c| c.get(2).map(|m| m.as_str().to_owned()));
        assert_eq!(caps.as_deref(), Some("4"));
        assert!(!is_few_step_name("fx_dance_step_02000_comfy.safetensors"));
        assert!(!is_few_step_name("viyer7/trained-qwen-lora_1500steps"), "a training step count");
        assert!(!is_few_step_name("arimiche/1000steps_original"));
    }

    #[test]
    fn an_effect_lora_named_after_lightning_bolts_is_not_few_step() {
        let lora: RepoId = "me/lightning-bolts".parse().expect("id");
        let files = vec!["bolts.safetensors".to_owned()];
        let p =
            crate::lora::analyze(&crate::lora::AnalyzeInput { lora: &lora, card: "", files: &files, overrides: None });
        assert!(!p.few_step);
    }

    #[test]
    fn special_vae_line_of_the_sdxl_trainer_is_read() {
        let v = vae("Special VAE used for training: madebyollin/sdxl-vae-fp16-fix.\n", "");
        assert_eq!(v.map(|v| v.value).as_deref(), Some("madebyollin/sdxl-vae-fp16-fix"));
        assert_eq!(vae("no vae here", ""), None);
    }

    #[test]
    fn wan_vae_loaded_from_the_base_is_not_a_replacement() {
        assert_eq!(vae("", "vae = AutoencoderKLWan.from_pretrained(model_id, subfolder=\"vae\")"), None);
    }
}
