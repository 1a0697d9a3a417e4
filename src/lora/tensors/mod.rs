//! Pure: what a LoRA's safetensors header says about it — key format, adapter kind, target
//! modules, rank and alpha, text-encoder parts, the architecture it fits (signatures as data in
//! `src/space/signatures.toml`), a Wan 2.2 expert, and the trainer's metadata — and how that
//! evidence checks the card's base model ([`crosscheck`]).
//!
//! The headers are read by the worker's fetch stage (range reads, `HubClient::safetensors_header`).

pub mod crosscheck;
pub mod keys;
pub mod metadata;
pub mod signature;
pub mod synth;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_crosscheck;

use serde::{Deserialize, Serialize};

use crate::domain::safetensors::SafetensorsHeader;
pub use keys::{AdapterKind, KeyFormat};
pub use metadata::{Expert, TrainerMeta};
pub use signature::ArchMatch;

/// A weights file's header as the bot read it (shown by `plan`, used by the analysis).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WeightsProfile {
    /// The file in the LoRA repo.
    pub file: String,
    /// How its tensor names are spelled.
    pub key_format: KeyFormat,
    /// LoRA, DoRA, LoHa, LoKr.
    pub adapter: AdapterKind,
    /// Number of tensors.
    pub tensors: usize,
    /// Number of adapted denoiser modules.
    pub modules: usize,
    /// Adapted module kinds (`attn_to_q`, `ff_net_0_proj`, ...), at most 24.
    pub target_modules: Vec<String>,
    /// The most common rank.
    pub rank: Option<u64>,
    /// Ranks differ between modules.
    pub ranks_vary: bool,
    /// Network alpha (trainer metadata; `None` when only stored per tensor or absent).
    pub alpha: Option<f64>,
    /// Per-module alpha tensors are present (kohya).
    pub alpha_tensors: bool,
    /// The pairs are named `lora_down` / `lora_up` (kohya style), not `lora_A` / `lora_B`.
    #[serde(default)]
    pub lora_down: bool,
    /// Text-encoder parts the LoRA also adapts.
    pub text_encoders: Vec<String>,
    /// The architecture it fits, `None` = unknown.
    pub architecture: Option<ArchMatch>,
    /// When several architectures fit equally: their names (the header alone cannot tell).
    pub ambiguous: Vec<String>,
    /// A Wan 2.2 expert, from the metadata or the file name.
    pub expert: Option<Expert>,
    /// Trainer metadata.
    pub trainer: TrainerMeta,
}

impl WeightsProfile {
    /// Whether diffusers' `load_lora_weights` can load this file for the family's architecture:
    /// LoRA/DoRA adapters in a key format the signature's loader list names (without alpha
    /// tensors where the signature's `no_alpha` says diffusers refuses them).
    pub fn loadable(&self) -> bool {
        let adapter_ok = matches!(self.adapter, AdapterKind::Lora | AdapterKind::Dora);
        let format = self.key_format.as_str();
        let format_ok = self.signature().is_none_or(|s| s.loader.iter().any(|f| f == format) && !self.refused_alpha(s) && !self.refused_naming(s));
        adapter_ok && format_ok
    }

    /// The file stores alpha tensors in a format the signature loads only without them.
    pub fn refused_alpha(&self, s: &signature::Signature) -> bool {
        self.alpha_tensors && s.no_alpha.iter().any(|f| f == self.key_format.as_str())
    }

    /// The file names its pairs lora_A / lora_B in a format the signature loads only as lora_down / lora_up.
    pub fn refused_naming(&self, s: &signature::Signature) -> bool {
        !self.lora_down && s.lora_down_only.iter().any(|f| f == self.key_format.as_str())
    }

    /// The signature of the architecture the header fits.
    pub fn signature(&self) -> Option<&'static signature::Signature> {
        self.architecture.as_ref().and_then(|a| signature::by_id(&a.id))
    }

    /// One line for people: `FLUX.1 transformer (12B), hidden 3072; diffusers LoRA rank 16`.
    pub fn summary(&self) -> String {
        let arch = match (&self.architecture, self.ambiguous.is_empty()) {
            (Some(a), _) => format!("{} (hidden {})", a.name, a.hidden),
            (None, false) => format!("unknown architecture (fits {} alike)", self.ambiguous.join(" or ")),
            (None, true) => "unknown architecture".to_owned(),
        };
        let rank = self.rank.map_or(String::new(), |r| format!(" rank {r}{}", if self.ranks_vary { " (varies)" } else { "" }));
        let alpha = self.alpha.map_or(String::new(), |a| format!(" alpha {a}"));
        let te = if self.text_encoders.is_empty() { String::new() } else { format!(", also {}", self.text_encoders.join(" + ")) };
        let expert = match self.expert {
            Some(Expert::HighNoise) => ", high-noise expert",
            Some(Expert::LowNoise) => ", low-noise expert",
            None => "",
        };
        format!("{arch}; {} {:?}{rank}{alpha}{te}{expert}", self.key_format.as_str(), self.adapter).replace("Lora", "LoRA").replace("Dora", "DoRA").replace("Loha", "LoHa").replace("Lokr", "LoKr")
    }
}

/// Reads one header.
pub fn profile(file: &str, header: &SafetensorsHeader) -> WeightsProfile {
    let k = keys::read(header);
    let meta = metadata::read(&header.metadata);
    let (rank, ranks_vary) = keys::rank(&k.modules);
    let (architecture, ambiguous) = match signature::classify(&k.modules) {
        Ok(a) => (a, vec![]),
        Err(names) => (None, names),
    };
    let mut target_modules = keys::targets(&k.modules);
    target_modules.truncate(24);
    let expert = meta.expert.or_else(|| metadata::expert_in(file.rsplit('/').next().unwrap_or(file)));
    WeightsProfile {
        file: file.to_owned(),
        key_format: k.format,
        adapter: k.adapter,
        tensors: header.tensors.len(),
        modules: k.modules.len(),
        target_modules,
        rank: rank.or(meta.network_dim),
        ranks_vary,
        alpha: meta.network_alpha,
        alpha_tensors: k.alpha_tensors,
        lora_down: k.lora_down,
        text_encoders: k.text_encoders,
        architecture,
        ambiguous,
        expert,
        trainer: meta,
    }
}
