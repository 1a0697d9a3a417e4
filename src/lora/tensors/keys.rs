//! Tensor names → key format, adapter kind, module paths, text-encoder parts and ranks.
//!
//! Formats (diffusers `lora_conversion_utils.py` detects the same prefixes): diffusers
//! (`transformer.…lora_A.weight`, `unet.…lora.down.weight`), PEFT (`base_model.model.…`),
//! kohya / sd-scripts (`lora_unet_…lora_down.weight`, `lora_te1_…`, `.alpha`), ComfyUI and
//! ai-toolkit / musubi native (`diffusion_model.…`), XLabs (`…processor.proj_lora1.down.weight`),
//! and bare module names. Adapter markers: LyCORIS LoHa (`hada_w1_a`), LoKr (`lokr_w1`), DoRA
//! (`dora_scale`, PEFT `lora_magnitude_vector`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::domain::safetensors::SafetensorsHeader;

/// How the tensor names are spelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum KeyFormat {
    /// `transformer.` / `unet.` / `text_encoder.` prefixes (diffusers `save_lora_weights`).
    Diffusers,
    /// `base_model.model.` (a raw PEFT `adapter_model.safetensors`).
    Peft,
    /// `lora_unet_…` / `lora_te…` (kohya sd-scripts, musubi-tuner, Civitai).
    Kohya,
    /// `diffusion_model.…` (ComfyUI; ai-toolkit and native-checkpoint trainers).
    Comfyui,
    /// XLabs FLUX (`double_blocks.N.processor.proj_lora1`).
    Xlabs,
    /// Module names without a component prefix.
    Unprefixed,
    /// Several of the above, or none.
    Unknown,
}

impl KeyFormat {
    /// The spelling used in `signatures.toml`'s `loader` lists and in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Diffusers => "diffusers",
            Self::Peft => "peft",
            Self::Kohya => "kohya",
            Self::Comfyui => "comfyui",
            Self::Xlabs => "xlabs",
            Self::Unprefixed => "unprefixed",
            Self::Unknown => "unknown",
        }
    }
}

/// What kind of adapter the tensors form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AdapterKind {
    /// Low-rank A/B (down/up) pairs.
    Lora,
    /// LoRA with DoRA magnitude vectors.
    Dora,
    /// LyCORIS LoHa (Hadamard product).
    Loha,
    /// LyCORIS LoKr (Kronecker product).
    Lokr,
    /// No adapter tensors recognised.
    Unknown,
}

/// One adapted module: its canonical path and the down/A tensor's shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Module {
    /// Canonical path: prefix and suffix removed, `.` → `_`, lowercase.
    pub path: String,
    /// Shape of the down/A tensor (`[rank, in]`), when present.
    pub down: Option<Vec<u64>>,
}

/// The tensor names read as a whole.
#[derive(Debug, Clone, PartialEq)]
pub struct Keys {
    /// Key format.
    pub format: KeyFormat,
    /// Adapter kind.
    pub adapter: AdapterKind,
    /// Denoiser modules (text encoders set aside).
    pub modules: Vec<Module>,
    /// Text-encoder parts present (`text_encoder`, `text_encoder_2`, `text_encoder_3`).
    pub text_encoders: Vec<String>,
    /// Whether per-module `alpha` tensors are stored (kohya).
    pub alpha_tensors: bool,
    /// Whether the pairs are named `lora_down` / `lora_up` (kohya style) rather than `lora_A` / `lora_B`.
    pub lora_down: bool,
}

const SUFFIXES: &[&str] = &[
    ".lora_a.default.weight", ".lora_b.default.weight", ".lora_a.weight", ".lora_b.weight", ".lora.down.weight",
    ".lora.up.weight", ".lora_down.weight", ".lora_up.weight", ".lora_mid.weight", ".alpha", ".dora_scale",
    ".lora_magnitude_vector", ".lora_magnitude_vector.default", ".hada_w1_a", ".hada_w1_b", ".hada_w2_a", ".hada_w2_b",
    ".hada_t1", ".hada_t2", ".lokr_w1", ".lokr_w2", ".lokr_w1_a", ".lokr_w1_b", ".lokr_w2_a", ".lokr_w2_b", ".lokr_t2",
    ".down.weight", ".up.weight", ".diff", ".diff_b",
];

/// Text-encoder prefixes (lowercase) and the part they name.
const TEXT_ENCODERS: &[(&str, &str)] = &[
    ("lora_te1_", "text_encoder"), ("lora_te2_", "text_encoder_2"), ("lora_te3_", "text_encoder_3"), ("lora_te_", "text_encoder"),
    ("text_encoder_2.", "text_encoder_2"), ("text_encoder_3.", "text_encoder_3"), ("text_encoder.", "text_encoder"),
    ("text_encoders.", "text_encoder"), ("te1.", "text_encoder"), ("te2.", "text_encoder_2"),
];

/// Denoiser prefixes (lowercase) and the format they mark.
const PREFIXES: &[(&str, KeyFormat)] = &[
    ("base_model.model.", KeyFormat::Peft), ("transformer.", KeyFormat::Diffusers), ("unet.", KeyFormat::Diffusers),
    ("lora_unet_", KeyFormat::Kohya), ("lora_transformer_", KeyFormat::Kohya), ("diffusion_model.", KeyFormat::Comfyui),
    ("model.diffusion_model.", KeyFormat::Comfyui),
];

fn split_suffix(key: &str) -> Option<(&str, &str)> {
    SUFFIXES.iter().find_map(|s| key.strip_suffix(s).map(|m| (m, *s)))
}

fn is_down(suffix: &str) -> bool {
    matches!(suffix, ".lora_a.weight" | ".lora_a.default.weight" | ".lora.down.weight" | ".lora_down.weight" | ".down.weight")
}

/// Reads every tensor name of a header.
pub fn read(header: &SafetensorsHeader) -> Keys {
    let mut formats: BTreeMap<KeyFormat, usize> = BTreeMap::new();
    let mut modules: BTreeMap<String, Option<Vec<u64>>> = BTreeMap::new();
    let mut text_encoders: Vec<String> = Vec::new();
    let (mut lora, mut dora, mut loha, mut lokr, mut alpha_tensors, mut lora_down) = (false, false, false, false, false, false);
    for (name, info) in &header.tensors {
        let key = name.to_ascii_lowercase();
        let Some((module, suffix)) = split_suffix(&key) else { continue };
        lora |= suffix.contains("lora") || suffix.contains("down") || suffix.contains("up.");
        dora |= suffix.contains("dora") || suffix.contains("magnitude");
        loha |= suffix.contains("hada");
        lokr |= suffix.contains("lokr");
        alpha_tensors |= suffix == ".alpha";
        lora_down |= suffix == ".lora_down.weight";
        if let Some((_, part)) = TEXT_ENCODERS.iter().find(|(p, _)| module.starts_with(p)) {
            if !text_encoders.iter().any(|t| t == part) {
                text_encoders.push((*part).to_owned());
            }
            continue;
        }
        let (format, rest) = match PREFIXES.iter().filter(|(p, _)| module.starts_with(p)).max_by_key(|(p, _)| p.len()) {
            Some((p, f)) => (*f, &module[p.len()..]),
            None if module.contains(".processor.") => (KeyFormat::Xlabs, module),
            None => (KeyFormat::Unprefixed, module),
        };
        *formats.entry(format).or_default() += 1;
        let path = canonical(rest);
        let entry = modules.entry(path).or_default();
        if is_down(suffix) {
            *entry = Some(info.shape.clone());
        }
    }
    text_encoders.sort();
    let format = match formats.len() {
        1 => formats.into_keys().next().unwrap_or(KeyFormat::Unknown),
        _ => KeyFormat::Unknown,
    };
    let adapter = match (lokr, loha, dora, lora) {
        (true, _, _, _) => AdapterKind::Lokr,
        (_, true, _, _) => AdapterKind::Loha,
        (_, _, true, _) => AdapterKind::Dora,
        (_, _, _, true) => AdapterKind::Lora,
        _ => AdapterKind::Unknown,
    };
    let modules = modules.into_iter().map(|(path, down)| Module { path, down }).collect();
    Keys { format, adapter, modules, text_encoders, alpha_tensors, lora_down }
}

/// `Blocks.0.Attn1` → `blocks_0_attn1`; XLabs `double_blocks.0.processor.qkv_lora1` →
/// `double_blocks_0_img_attn_qkv` (lora1 = image stream, lora2 = text stream; BFL names).
fn canonical(module: &str) -> String {
    let module = module
        .replace(".processor.qkv_lora1", ".img_attn_qkv")
        .replace(".processor.qkv_lora2", ".txt_attn_qkv")
        .replace(".processor.proj_lora1", ".img_attn_proj")
        .replace(".processor.proj_lora2", ".txt_attn_proj");
    module.replace('.', "_")
}

/// What the adapter targets: module paths without their block numbers (`attn_to_q`), sorted.
pub fn targets(modules: &[Module]) -> Vec<String> {
    let mut out: Vec<String> = modules
        .iter()
        .map(|m| inside_last_block(&m.path).to_owned())
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The part of a module path after its last `_<digits>_` (the innermost numbered block).
fn inside_last_block(path: &str) -> &str {
    let bytes = path.as_bytes();
    let mut cut = 0;
    for (i, b) in bytes.iter().enumerate() {
        if *b != b'_' || i == 0 {
            continue;
        }
        let digits = bytes[..i].iter().rev().take_while(|c| c.is_ascii_digit()).count();
        if digits > 0 && i > digits && bytes[i - digits - 1] == b'_' {
            cut = i + 1;
        }
    }
    &path[cut..]
}

/// The most common rank (down/A tensor's first dimension) and whether ranks differ.
pub fn rank(modules: &[Module]) -> (Option<u64>, bool) {
    let mut counts: BTreeMap<u64, usize> = BTreeMap::new();
    for r in modules.iter().filter_map(|m| m.down.as_ref().and_then(|s| s.first().copied())) {
        *counts.entry(r).or_default() += 1;
    }
    let varies = counts.len() > 1;
    (counts.into_iter().max_by_key(|(r, n)| (*n, *r)).map(|(r, _)| r), varies)
}
