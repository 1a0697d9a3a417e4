//! The headers checked against the card, through the analyze entry point.

use super::tests::{flux_diffusers, header, pairs};
use super::*;
use crate::lora::profile::{MissingField, Source};
use crate::lora::{AnalyzeInput, LoraProfile, analyze_with_headers};

/// A file's name, tensors and metadata.
type FileSpec<'a> = (&'a str, Vec<(String, Vec<u64>)>, &'a [(&'a str, &'a str)]);

fn run(card: &str, files: &[&str], headers: &[FileSpec<'_>]) -> LoraProfile {
    let lora = "me/lora".parse().expect("id");
    let files: Vec<String> = files.iter().map(|f| (*f).to_owned()).collect();
    let profiles: Vec<WeightsProfile> = headers.iter().map(|(f, t, m)| profile(f, &header(t, m))).collect();
    analyze_with_headers(&AnalyzeInput { lora: &lora, card, files: &files, overrides: None }, &profiles)
}

fn sdxl() -> Vec<(String, Vec<u64>)> {
    let mut t = vec![];
    pairs(&mut t, "unet.down_blocks.2.attentions.{i}.transformer_blocks.0.attn2.to_k", 2, 2048, 1280, 8, false);
    t
}

fn wan14(rank: u64) -> Vec<(String, Vec<u64>)> {
    let mut t = vec![];
    pairs(&mut t, "diffusion_model.blocks.{i}.self_attn.q", 40, 5120, 5120, rank, false);
    t
}

fn base(p: &LoraProfile) -> (Option<&str>, Option<Source>) {
    (p.base_model.as_ref().map(|b| b.value.as_str()), p.base_model.as_ref().map(|b| b.evidence.source))
}

#[test]
fn a_card_saying_flux_with_sdxl_shaped_weights_gets_sdxl_and_says_why() {
    let p = run("---\nbase_model: black-forest-labs/FLUX.1-dev\n---\nA FLUX LoRA.\n", &["w.safetensors"], &[("w.safetensors", sdxl(), &[])]);
    assert_eq!(base(&p), (Some("stabilityai/stable-diffusion-xl-base-1.0"), Some(Source::WeightsHeader)));
    assert_eq!(p.family.as_deref(), Some("sdxl"));
    assert!(p.flags.iter().any(|f| f.kind == "weights-override" && f.message.contains("FLUX.1-dev")), "{:?}", p.flags);
    assert_eq!(p.base_model_as_declared.as_deref(), Some("black-forest-labs/FLUX.1-dev"));
}

#[test]
fn agreeing_weights_leave_the_card_base_and_say_so() {
    let p = run("---\nbase_model: black-forest-labs/FLUX.1-dev\n---\n", &["pytorch_lora_weights.safetensors"], &[("pytorch_lora_weights.safetensors", flux_diffusers(4), &[])]);
    assert_eq!(base(&p), (Some("black-forest-labs/FLUX.1-dev"), Some(Source::Yaml)));
    assert!(p.base_model.as_ref().is_some_and(|b| b.evidence.detail.contains("weights header agrees")));
    assert_eq!(p.weights_headers.len(), 1);
}

#[test]
fn undefined_base_with_a_wan22_expert_pair_gets_the_a14b_base_and_both_experts() {
    let card = "---\nbase_model: undefined\npipeline_tag: image-to-video\n---\nOrbit camera move.\n";
    let files = ["orbit_a.safetensors", "orbit_b.safetensors"];
    let p = run(card, &files, &[("orbit_a.safetensors", wan14(16), &[("ss_output_name", "orbit_high_noise")]), ("orbit_b.safetensors", wan14(16), &[("ss_output_name", "orbit_low_noise")])]);
    assert_eq!(base(&p), (Some("Wan-AI/Wan2.2-I2V-A14B-Diffusers"), Some(Source::WeightsHeader)));
    assert_eq!(p.weight_name.as_ref().map(|w| w.value.as_str()), Some("orbit_a.safetensors"));
    assert_eq!(p.weight_name_2.as_ref().map(|w| w.value.as_str()), Some("orbit_b.safetensors"));
    assert!(!p.needs_user_input(), "{:?}", p.missing);
}

#[test]
fn a_generic_ltx_card_with_13b_weights_gets_the_13b_base() {
    let mut t = vec![];
    pairs(&mut t, "diffusion_model.transformer_blocks.{i}.attn1.to_q", 48, 4096, 4096, 32, false);
    let p = run("---\nbase_model: Lightricks/LTX-Video\npipeline_tag: text-to-video\n---\n", &["l.safetensors"], &[("l.safetensors", t, &[])]);
    assert_eq!(base(&p), (Some("Lightricks/LTX-Video-0.9.7-dev"), Some(Source::WeightsHeader)));
}

#[test]
fn weights_of_an_unsupported_architecture_make_the_bot_ask_naming_both() {
    let mut t = vec![];
    pairs(&mut t, "transformer.transformer_blocks.{i}.attn.to_q", 20, 3072, 3072, 16, false);
    pairs(&mut t, "transformer.single_transformer_blocks.{i}.attn.to_q", 40, 3072, 3072, 16, false);
    let p = run("---\nbase_model: black-forest-labs/FLUX.1-dev\n---\n", &["h.safetensors"], &[("h.safetensors", t, &[])]);
    let q = p.missing.iter().find(|m| m.field == MissingField::AmbiguousBaseModel).map(|m| m.question.clone()).unwrap_or_default();
    assert!(q.contains("FLUX.1-dev") && q.contains("HunyuanVideo"), "{q}");
    assert!(p.needs_user_input());
}

#[test]
fn a_lokr_file_is_not_shipped_but_asked_about() {
    let lokr = vec![("lora_unet_double_blocks_0_img_attn_qkv.lokr_w1".to_owned(), vec![4, 4]), ("lora_unet_double_blocks_0_img_attn_qkv.lokr_w2".to_owned(), vec![2304, 768])];
    let p = run("---\nbase_model: black-forest-labs/FLUX.1-dev\n---\n", &["k.safetensors"], &[("k.safetensors", lokr, &[])]);
    assert!(p.missing.iter().any(|m| m.field == MissingField::WeightsFile && m.blocking && m.question.contains("Lokr")), "{:?}", p.missing);
}

#[test]
fn of_two_variants_the_one_fitting_the_base_is_chosen() {
    let p = run("---\nbase_model: black-forest-labs/FLUX.1-dev\n---\nTwo files.\n", &["a.safetensors", "b.safetensors"], &[("a.safetensors", sdxl(), &[]), ("b.safetensors", flux_diffusers(4), &[])]);
    assert_eq!(p.weight_name.as_ref().map(|w| (w.value.as_str(), w.evidence.source)), Some(("b.safetensors", Source::WeightsHeader)));
    assert_eq!(base(&p).0, Some("black-forest-labs/FLUX.1-dev"));
}

#[test]
fn an_override_base_is_not_second_guessed_by_the_weights() {
    let lora = "me/lora".parse().expect("id");
    let o = crate::space::overrides::parse_overrides("base_model = \"black-forest-labs/FLUX.1-dev\"\n").expect("overrides");
    let files = vec!["w.safetensors".to_owned()];
    let h = vec![profile("w.safetensors", &header(&sdxl(), &[]))];
    let p = analyze_with_headers(&AnalyzeInput { lora: &lora, card: "", files: &files, overrides: Some(&o) }, &h);
    assert_eq!(base(&p), (Some("black-forest-labs/FLUX.1-dev"), Some(Source::Override)));
}

/// Formats diffusers 0.42.1 does not convert for a model load nothing (the prefix filter drops
/// them with a warning; measured in realtier/test_formats.py): the bot asks instead of shipping
/// an app that runs without the LoRA. Formats it converts pass.
#[test]
fn a_key_format_diffusers_ignores_for_the_model_is_asked_about_not_shipped() {
    let asks = |card: &str, t: Vec<(String, Vec<u64>)>| {
        let p = run(card, &["w.safetensors"], &[("w.safetensors", t, &[])]);
        p.missing.iter().find(|m| m.field == MissingField::WeightsFile && m.blocking).map(|m| m.question.clone())
    };
    let sd35 = "---\nbase_model: stabilityai/stable-diffusion-3.5-large\n---\n";
    let mut kohya = vec![];
    pairs(&mut kohya, "lora_unet_transformer_blocks_{i}_attn_to_q", 38, 2432, 2432, 16, true);
    let q = asks(sd35, kohya).expect("an SD3.5 kohya file is asked about");
    assert!(q.contains("kohya keys") && q.contains("key formats: diffusers;"), "{q}");
    let mut diffusers = vec![];
    pairs(&mut diffusers, "transformer.transformer_blocks.{i}.attn.to_q", 38, 2432, 2432, 16, false);
    assert_eq!(asks(sd35, diffusers), None);
    let wan = "---\nbase_model: Wan-AI/Wan2.1-T2V-14B-Diffusers\n---\n";
    let mut peft = vec![];
    pairs(&mut peft, "base_model.model.blocks.{i}.self_attn.q", 40, 5120, 5120, 16, false);
    assert!(asks(wan, peft).is_some(), "a PEFT-prefixed Wan file loads nothing");
    let mut musubi = vec![];
    pairs(&mut musubi, "lora_unet_blocks_{i}_self_attn_q", 40, 5120, 5120, 16, true);
    assert_eq!(asks(wan, musubi), None);
    let qwen = "---\nbase_model: Qwen/Qwen-Image\n---\n";
    let diffsynth: Vec<(String, Vec<u64>)> = (0..60u64)
        .flat_map(|i| [(format!("transformer_blocks.{i}.attn.to_q.lora_A.default.weight"), vec![16, 3072]), (format!("transformer_blocks.{i}.attn.to_q.lora_B.default.weight"), vec![3072, 16])])
        .collect();
    assert_eq!(asks(qwen, diffsynth), None, "DiffSynth-Studio's Qwen-Image keys are converted");
    let ltx = "---\nbase_model: Lightricks/LTX-Video\n---\n";
    let mut bare = vec![];
    pairs(&mut bare, "transformer_blocks.{i}.attn1.to_q", 28, 2048, 2048, 16, false);
    assert!(asks(ltx, bare).is_some(), "an unprefixed LTX-Video file loads nothing");
    // ComfyUI's own trainer: `diffusion_model.` + lora_down / lora_up / alpha. LTX-Video's
    // converter leaves the alpha tensors, and load_lora_weights raises on them.
    let comfy_trained = |module: &str, blocks: u64, width: u64| {
        let mut t = vec![];
        pairs(&mut t, module, blocks, width, width, 16, true);
        t
    };
    let q = asks(ltx, comfy_trained("diffusion_model.transformer_blocks.{i}.attn1.to_q", 28, 2048)).expect("asked");
    assert!(q.contains("comfyui keys and per-module alpha tensors"), "{q}");
    assert_eq!(asks(wan, comfy_trained("diffusion_model.blocks.{i}.self_attn.q", 40, 5120)), None, "Wan's converter takes the alphas");
    // FLUX.1 in ComfyUI names: converted as lora_down / lora_up (ComfyUI's trainer), dropped as
    // lora_A / lora_B (musubi-tuner's convert_lora.py --target other).
    let kontext = "---\nbase_model: black-forest-labs/FLUX.1-Kontext-dev\n---\n";
    let mut a_b = vec![];
    pairs(&mut a_b, "diffusion_model.double_blocks.{i}.img_attn.qkv", 19, 3072, 9216, 16, false);
    let q = asks(kontext, a_b).expect("asked");
    assert!(q.contains("comfyui keys named lora_A / lora_B"), "{q}");
    assert_eq!(asks(kontext, comfy_trained("diffusion_model.double_blocks.{i}.img_attn.qkv", 19, 3072)), None);
}

#[test]
fn of_two_copies_in_different_key_formats_the_one_diffusers_loads_is_chosen() {
    let mut diffusers = vec![];
    pairs(&mut diffusers, "transformer.transformer_blocks.{i}.attn.to_q", 38, 2432, 2432, 16, false);
    let mut kohya = vec![];
    pairs(&mut kohya, "lora_unet_transformer_blocks_{i}_attn_to_q", 38, 2432, 2432, 16, true);
    let card = "---\nbase_model: stabilityai/stable-diffusion-3.5-large\n---\nTwo copies.\n";
    let p = run(card, &["ink_kohya.safetensors", "ink.safetensors"], &[("ink_kohya.safetensors", kohya.clone(), &[]), ("ink.safetensors", diffusers, &[])]);
    assert_eq!(p.weight_name.as_ref().map(|w| (w.value.as_str(), w.evidence.source)), Some(("ink.safetensors", Source::WeightsHeader)));
    assert!(!p.missing.iter().any(|m| m.field == MissingField::WeightsFile), "{:?}", p.missing);
    // Both loadable (FLUX.1 converts kohya): still the owner's choice.
    let mut flux_kohya = vec![];
    pairs(&mut flux_kohya, "lora_unet_double_blocks_{i}_img_attn_qkv", 19, 3072, 9216, 16, true);
    let flux = "---\nbase_model: black-forest-labs/FLUX.1-dev\n---\nTwo copies.\n";
    let p = run(flux, &["a.safetensors", "b.safetensors"], &[("a.safetensors", flux_kohya, &[]), ("b.safetensors", flux_diffusers(16), &[])]);
    assert_eq!(p.weight_name, None);
}
