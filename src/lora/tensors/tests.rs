//! Unit tests of the weights profile on synthesised headers. Names and shapes are written out
//! here from the public configs (not generated from signatures.toml), so a wrong signature fails.

use std::collections::BTreeMap;

use super::*;
use crate::domain::safetensors::{SafetensorsHeader, TensorInfo};

/// Tensors as `(name, shape)`.
pub(super) fn header(tensors: &[(String, Vec<u64>)], meta: &[(&str, &str)]) -> SafetensorsHeader {
    let tensors = tensors.iter().map(|(n, s)| (n.clone(), TensorInfo { dtype: "BF16".into(), shape: s.clone(), data_offsets: [0, 0] })).collect();
    SafetensorsHeader { tensors, metadata: meta.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect::<BTreeMap<_, _>>() }
}

/// A/B (down/up) pairs for `module` with `{i}` over `blocks` blocks.
pub(super) fn pairs(out: &mut Vec<(String, Vec<u64>)>, template: &str, blocks: u64, inp: u64, outp: u64, rank: u64, kohya: bool) {
    for i in 0..blocks {
        let m = template.replace("{i}", &i.to_string());
        let (a, b) = if kohya { ("lora_down.weight", "lora_up.weight") } else { ("lora_A.weight", "lora_B.weight") };
        out.push((format!("{m}.{a}"), vec![rank, inp]));
        out.push((format!("{m}.{b}"), vec![outp, rank]));
        if kohya {
            out.push((format!("{m}.alpha"), vec![]));
        }
    }
}

fn arch(t: &[(String, Vec<u64>)], meta: &[(&str, &str)]) -> WeightsProfile {
    profile("w.safetensors", &header(t, meta))
}

fn id(p: &WeightsProfile) -> Option<&str> {
    p.architecture.as_ref().map(|a| a.id.as_str())
}

pub(super) fn flux_diffusers(rank: u64) -> Vec<(String, Vec<u64>)> {
    let mut t = vec![];
    pairs(&mut t, "transformer.transformer_blocks.{i}.attn.to_q", 19, 3072, 3072, rank, false);
    pairs(&mut t, "transformer.transformer_blocks.{i}.ff.net.0.proj", 19, 3072, 12288, rank, false);
    pairs(&mut t, "transformer.single_transformer_blocks.{i}.proj_mlp", 38, 3072, 12288, rank, false);
    pairs(&mut t, "transformer.single_transformer_blocks.{i}.attn.to_q", 38, 3072, 3072, rank, false);
    t
}

#[test]
fn a_diffusers_flux_lora_is_flux_with_its_rank_and_targets() {
    let p = arch(&flux_diffusers(16), &[]);
    assert_eq!((id(&p), p.key_format, p.adapter, p.rank, p.ranks_vary), (Some("flux1"), KeyFormat::Diffusers, AdapterKind::Lora, Some(16), false));
    assert!(p.architecture.as_ref().is_some_and(|a| a.families.contains(&"flux-kontext-dev".to_owned())));
    assert!(p.target_modules.contains(&"attn_to_q".to_owned()) && p.target_modules.contains(&"proj_mlp".to_owned()), "{:?}", p.target_modules);
    assert!(p.loadable());
}

#[test]
fn a_kohya_flux_lora_with_clip_and_metadata_reads_trainer_dim_and_alpha() {
    let mut t = vec![];
    pairs(&mut t, "lora_unet_double_blocks_{i}_img_attn_qkv", 19, 3072, 9216, 32, true);
    pairs(&mut t, "lora_unet_single_blocks_{i}_linear1", 38, 3072, 21504, 32, true);
    pairs(&mut t, "lora_te1_text_model_encoder_layers_{i}_self_attn_q_proj", 2, 768, 768, 32, true);
    let meta = [("ss_network_module", "networks.lora_flux"), ("ss_network_dim", "32"), ("ss_network_alpha", "16.0"), ("ss_base_model_version", "flux1")];
    let p = arch(&t, &meta);
    assert_eq!((id(&p), p.key_format, p.rank, p.alpha), (Some("flux1"), KeyFormat::Kohya, Some(32), Some(16.0)));
    assert_eq!(p.text_encoders, vec!["text_encoder"]);
    assert!(p.alpha_tensors);
    assert_eq!(p.trainer.trainer.as_deref(), Some("kohya sd-scripts"));
    assert_eq!(p.trainer.base_model.as_deref(), Some("flux1"));
}

#[test]
fn an_xlabs_flux_lora_is_flux_in_xlabs_format() {
    let mut t = vec![];
    pairs(&mut t, "double_blocks.{i}.processor.qkv_lora1", 19, 3072, 9216, 16, true);
    let t: Vec<_> = t.into_iter().filter(|(n, _)| !n.ends_with(".alpha")).map(|(n, s)| (n.replace("lora_down", "down").replace("lora_up", "up"), s)).collect();
    let p = arch(&t, &[]);
    assert_eq!((id(&p), p.key_format), (Some("flux1"), KeyFormat::Xlabs));
}

#[test]
fn sdxl_is_told_from_sd15_by_the_cross_attention_width() {
    let mut t = vec![];
    pairs(&mut t, "lora_unet_input_blocks_4_1_transformer_blocks_{i}_attn2_to_k", 2, 2048, 640, 8, true);
    pairs(&mut t, "lora_unet_input_blocks_4_1_transformer_blocks_{i}_attn1_to_q", 2, 640, 640, 8, true);
    pairs(&mut t, "lora_te1_text_model_encoder_layers_{i}_mlp_fc1", 1, 768, 3072, 8, true);
    pairs(&mut t, "lora_te2_text_model_encoder_layers_{i}_mlp_fc1", 1, 1280, 5120, 8, true);
    let p = arch(&t, &[("modelspec.architecture", "stable-diffusion-xl-v1-base/lora")]);
    assert_eq!((id(&p), p.key_format), (Some("sdxl"), KeyFormat::Kohya));
    assert_eq!(p.text_encoders, vec!["text_encoder", "text_encoder_2"]);
    let mut old = vec![];
    pairs(&mut old, "unet.down_blocks.1.attentions.{i}.transformer_blocks.0.attn2.to_k.lora", 2, 2048, 640, 4, false);
    let old: Vec<_> = old.into_iter().map(|(n, s)| (n.replace("lora.lora_A", "lora.down").replace("lora.lora_B", "lora.up"), s)).collect();
    assert_eq!(id(&arch(&old, &[])), Some("sdxl"));
    let mut sd15 = vec![];
    pairs(&mut sd15, "lora_unet_down_blocks_0_attentions_{i}_transformer_blocks_0_attn2_to_k", 2, 768, 320, 8, true);
    let p = arch(&sd15, &[]);
    assert_eq!(id(&p), Some("sd15"));
    assert!(p.architecture.is_some_and(|a| a.families.is_empty()), "SD 1.x is not a supported base");
}

#[test]
fn sd35_large_and_medium_are_told_apart_by_width() {
    let mut l = vec![];
    pairs(&mut l, "base_model.model.transformer_blocks.{i}.attn.to_q", 38, 2432, 2432, 16, false);
    let p = arch(&l, &[]);
    assert_eq!((id(&p), p.key_format), (Some("sd35-large"), KeyFormat::Peft));
    let mut m = vec![];
    pairs(&mut m, "transformer.transformer_blocks.{i}.attn.to_q", 24, 1536, 1536, 16, false);
    pairs(&mut m, "transformer.transformer_blocks.{i}.attn2.to_q", 13, 1536, 1536, 16, false);
    assert_eq!(id(&arch(&m, &[])), Some("sd35-medium"));
}

#[test]
fn qwen_image_in_comfyui_format_is_qwen_not_flux() {
    let mut t = vec![];
    pairs(&mut t, "diffusion_model.transformer_blocks.{i}.attn.to_q", 60, 3072, 3072, 16, false);
    pairs(&mut t, "diffusion_model.transformer_blocks.{i}.img_mlp.net.0.proj", 60, 3072, 12288, 16, false);
    let p = arch(&t, &[("software", "{\"name\": \"ai-toolkit\", \"version\": \"0.5\"}")]);
    assert_eq!((id(&p), p.key_format), (Some("qwen-image"), KeyFormat::Comfyui));
    assert_eq!(p.trainer.trainer.as_deref(), Some("ai-toolkit"));
}

#[test]
fn wan_sizes_come_from_the_hidden_width() {
    let wan = |prefix: &str, q: &str, blocks: u64, hidden: u64| {
        let mut t = vec![];
        pairs(&mut t, &format!("{prefix}blocks.{{i}}.{q}"), blocks, hidden, hidden, 32, false);
        t
    };
    assert_eq!(id(&arch(&wan("diffusion_model.", "self_attn.q", 30, 1536), &[])), Some("wan-1.3b"));
    assert_eq!(id(&arch(&wan("transformer.", "attn1.to_q", 40, 5120), &[])), Some("wan-14b"));
    assert_eq!(id(&arch(&wan("", "attn1.to_q", 30, 3072), &[])), Some("wan22-5b"));
    let mut i2v = wan("diffusion_model.", "self_attn.q", 40, 5120);
    pairs(&mut i2v, "diffusion_model.blocks.{i}.cross_attn.k_img", 40, 5120, 5120, 32, false);
    assert_eq!(id(&arch(&i2v, &[])), Some("wan-14b-i2v"));
}

#[test]
fn a_wan22_expert_is_read_from_metadata_or_the_file_name() {
    let mut t = vec![];
    pairs(&mut t, "diffusion_model.blocks.{i}.self_attn.q", 40, 5120, 5120, 16, false);
    assert_eq!(arch(&t, &[("ss_output_name", "orbit_HIGH-noise")]).expert, Some(Expert::HighNoise));
    assert_eq!(profile("x/orbit_low_noise.safetensors", &header(&t, &[])).expert, Some(Expert::LowNoise));
    assert_eq!(arch(&t, &[]).expert, None);
}

#[test]
fn ltx_2b_13b_and_ltx2_are_told_apart() {
    let ltx = |blocks: u64, hidden: u64| {
        let mut t = vec![];
        pairs(&mut t, "transformer.transformer_blocks.{i}.attn1.to_q", blocks, hidden, hidden, 64, false);
        pairs(&mut t, "transformer.transformer_blocks.{i}.ff.net.0.proj", blocks, hidden, hidden * 4, 64, false);
        t
    };
    assert_eq!(id(&arch(&ltx(28, 2048), &[])), Some("ltx-2b"));
    let p = arch(&ltx(48, 4096), &[]);
    assert_eq!(id(&p), Some("ltx-13b"));
    assert_eq!(p.architecture.and_then(|a| a.base).as_deref(), Some("ltx-video-0.9.7-dev"));
    let mut two = ltx(48, 4096);
    pairs(&mut two, "transformer.transformer_blocks.{i}.audio_attn1.to_q", 48, 2048, 2048, 64, false);
    assert_eq!(id(&arch(&two, &[])), Some("ltx-2"));
}

#[test]
fn hunyuan_video_is_recognised_and_a_partial_flux_like_lora_is_unknown() {
    let mut t = vec![];
    pairs(&mut t, "transformer.transformer_blocks.{i}.attn.to_q", 20, 3072, 3072, 16, false);
    pairs(&mut t, "transformer.single_transformer_blocks.{i}.attn.to_q", 40, 3072, 3072, 16, false);
    let p = arch(&t, &[]);
    assert_eq!(id(&p), Some("hunyuan-video"));
    let mut partial = vec![];
    pairs(&mut partial, "transformer.transformer_blocks.{i}.attn.to_q", 10, 3072, 3072, 16, false);
    let p = arch(&partial, &[]);
    assert_eq!(p.architecture, None, "attention of blocks 0-9 fits FLUX.1, HunyuanVideo and Qwen-Image alike");
    assert!(["FLUX.1", "HunyuanVideo", "Qwen-Image"].iter().all(|n| p.ambiguous.iter().any(|a| a.starts_with(n))), "{:?}", p.ambiguous);
}

#[test]
fn lycoris_and_dora_markers_set_the_adapter_kind() {
    let lokr = [("lora_unet_double_blocks_0_img_attn_qkv.lokr_w1".to_owned(), vec![4, 4]), ("lora_unet_double_blocks_0_img_attn_qkv.lokr_w2".to_owned(), vec![2304, 768])];
    let p = arch(&lokr, &[("ss_network_module", "lycoris.kohya")]);
    assert_eq!((p.adapter, p.trainer.trainer.as_deref()), (AdapterKind::Lokr, Some("LyCORIS (kohya)")));
    assert!(!p.loadable());
    let loha = [("lora_unet_x.hada_w1_a".to_owned(), vec![8, 8])];
    assert_eq!(arch(&loha, &[]).adapter, AdapterKind::Loha);
    let mut dora = flux_diffusers(8);
    dora.push(("transformer.transformer_blocks.0.attn.to_q.lora_magnitude_vector".into(), vec![3072]));
    let p = arch(&dora, &[]);
    assert_eq!((p.adapter, id(&p)), (AdapterKind::Dora, Some("flux1")));
    assert!(p.loadable());
}

#[test]
fn diffusers_adapter_metadata_gives_rank_and_alpha() {
    let meta = [("lora_adapter_metadata", "{\"transformer\": {\"r\": 8, \"lora_alpha\": 4, \"target_modules\": [\"to_q\"]}}")];
    let p = arch(&flux_diffusers(8), &meta);
    assert_eq!((p.alpha, p.trainer.network_dim, p.trainer.trainer.as_deref()), (Some(4.0), Some(8), Some("diffusers")));
}

#[test]
fn a_header_fitting_no_signature_is_unknown_never_a_guess() {
    let mut t = vec![];
    pairs(&mut t, "base_model.model.model.layers.{i}.mlp.down_proj", 32, 11008, 4096, 16, false);
    let p = arch(&t, &[]);
    assert_eq!((p.architecture.clone(), p.ambiguous.len()), (None, 0));
    assert!(p.summary().starts_with("unknown architecture"), "{}", p.summary());
    let wrong_width = {
        let mut t = vec![];
        pairs(&mut t, "transformer.transformer_blocks.{i}.attn.to_q", 19, 2560, 2560, 16, false);
        t
    };
    assert_eq!(arch(&wrong_width, &[]).architecture, None);
}

#[test]
fn every_signature_sample_is_recognised_as_itself() {
    for s in signature::signatures() {
        for format in [KeyFormat::Diffusers, KeyFormat::Kohya, KeyFormat::Comfyui] {
            let bytes = synth::file(s, format, 4, &BTreeMap::new());
            let h = crate::domain::safetensors::parse(&bytes).expect("parses");
            let p = profile("f.safetensors", &h);
            assert_eq!(id(&p), Some(s.id.as_str()), "{} in {format:?}: {:?}", s.id, p.ambiguous);
            assert_eq!(p.key_format, format);
        }
    }
}

#[test]
fn synthesised_wan_files_in_comfyui_and_kohya_format_use_native_wan_names() {
    let s = signature::by_id("wan-14b-i2v").expect("signature");
    let names = |f| synth::tensors(s, f, 4).into_iter().map(|(n, _, _)| n).collect::<Vec<_>>();
    let comfy = names(KeyFormat::Comfyui);
    assert!(comfy.iter().any(|n| n == "diffusion_model.blocks.0.self_attn.q.lora_A.weight"), "{:?}", &comfy[..2]);
    assert!(comfy.iter().any(|n| n == "diffusion_model.blocks.0.cross_attn.k_img.lora_B.weight"));
    assert!(names(KeyFormat::Kohya).iter().any(|n| n == "lora_unet_blocks_0_self_attn_q.lora_down.weight"));
    assert!(!comfy.iter().any(|n| n.contains("attn1") || n.contains("add_k_proj")));
}
