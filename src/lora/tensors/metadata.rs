//! Trainer metadata of a safetensors header (`__metadata__`): kohya sd-scripts / musubi-tuner
//! (`ss_base_model_version`, `ss_network_dim`, `ss_network_alpha`, `ss_network_module`,
//! `ss_output_name`), the SAI model spec (`modelspec.architecture`), ai-toolkit (`software`
//! naming ai-toolkit, `name`, `training_info`) and diffusers (`lora_adapter_metadata`, the PEFT
//! config as JSON). Values are shown to people as they are; none becomes code.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A Wan 2.2 A14B expert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Expert {
    /// The high-noise expert (`transformer`).
    HighNoise,
    /// The low-noise expert (`transformer_2`).
    LowNoise,
}

/// What the trainer wrote.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TrainerMeta {
    /// `kohya sd-scripts`, `musubi-tuner`, `ai-toolkit`, `diffusers`, `LyCORIS`, when recognisable.
    pub trainer: Option<String>,
    /// The base the trainer names (`ss_base_model_version`, `modelspec.architecture`, ...).
    pub base_model: Option<String>,
    /// Network dim (rank) the trainer records.
    pub network_dim: Option<u64>,
    /// Network alpha the trainer records.
    pub network_alpha: Option<f64>,
    /// Expert named in the metadata (`high_noise` / `low_noise` in a name or comment).
    pub expert: Option<Expert>,
    /// The keys above, verbatim (shortened), for the report.
    pub facts: BTreeMap<String, String>,
}

const FACT_KEYS: &[&str] = &[
    "ss_base_model_version", "ss_sd_model_name", "ss_network_module", "ss_network_dim", "ss_network_alpha",
    "ss_output_name", "modelspec.architecture", "modelspec.title", "name", "software",
];

/// Reads the metadata map.
pub fn read(meta: &BTreeMap<String, String>) -> TrainerMeta {
    let get = |k: &str| meta.get(k).map(|v| v.trim()).filter(|v| !v.is_empty());
    let module = get("ss_network_module").unwrap_or_default();
    let all_text = meta.values().map(|v| v.to_ascii_lowercase()).collect::<Vec<_>>().join(" ");
    let trainer = if all_text.contains("ai-toolkit") || all_text.contains("ai_toolkit") {
        Some("ai-toolkit")
    } else if module.contains("lycoris") {
        Some("LyCORIS (kohya)")
    } else if ["lora_wan", "lora_hunyuan", "lora_framepack", "lora_qwen", "lora_flux_kontext"].iter().any(|m| module.contains(m)) {
        Some("musubi-tuner")
    } else if meta.keys().any(|k| k.starts_with("ss_")) {
        Some("kohya sd-scripts")
    } else if meta.contains_key("lora_adapter_metadata") {
        Some("diffusers")
    } else {
        None
    };
    let adapter_cfg = get("lora_adapter_metadata").and_then(|v| serde_json::from_str::<serde_json::Value>(v).ok());
    let network_alpha = get("ss_network_alpha").and_then(|v| v.parse().ok()).or_else(|| adapter_cfg.as_ref().and_then(|c| find_number(c, "lora_alpha")));
    let network_dim = get("ss_network_dim").and_then(|v| v.parse().ok()).or_else(|| adapter_cfg.as_ref().and_then(|c| find_number(c, "r")).map(|r| r as u64));
    let base_model = ["modelspec.architecture", "ss_base_model_version", "ss_sd_model_name"].iter().find_map(|k| get(k)).map(short);
    let facts = FACT_KEYS.iter().filter_map(|k| get(k).map(|v| ((*k).to_owned(), short(v)))).collect();
    TrainerMeta { trainer: trainer.map(str::to_owned), base_model, network_dim, network_alpha, expert: expert_in(&all_text), facts }
}

/// `high_noise` / `low_noise` (any separator) in a name or value; both or neither → `None`.
pub fn expert_in(text: &str) -> Option<Expert> {
    let t: String = text.to_ascii_lowercase().chars().filter(char::is_ascii_alphanumeric).collect();
    let high = t.contains("highnoise");
    let low = t.contains("lownoise");
    match (high, low) {
        (true, false) => Some(Expert::HighNoise),
        (false, true) => Some(Expert::LowNoise),
        _ => None,
    }
}

fn find_number(v: &serde_json::Value, key: &str) -> Option<f64> {
    match v {
        serde_json::Value::Object(m) => m.get(key).and_then(serde_json::Value::as_f64).or_else(|| m.values().find_map(|x| find_number(x, key))),
        _ => None,
    }
}

fn short(v: &str) -> String {
    let one_line: String = v.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    one_line.chars().take(120).collect()
}
