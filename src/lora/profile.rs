//! The `LoraProfile`: what the analyze stage learned about a LoRA, each value with its
//! evidence. Produced by [`crate::lora::analyze`], consumed by the plan stage in
//! [`crate::space`].
//!
//! This module holds the profile itself; its value types are in `task` (the task), `evidence`
//! (sources and sourced values), `inference` (guidance keyword, prompt template, resolution)
//! and `missing` (what is missing, flags), all re-exported here.

use serde::{Deserialize, Serialize};

use crate::domain::ids::RepoId;

mod evidence;
mod inference;
mod missing;
mod task;

pub use evidence::{Evidence, Source, Sourced};
pub use inference::{GuidanceParam, PromptTemplate, Resolution};
pub use missing::{Flag, Missing, MissingField};
pub use task::Task;

/// Everything the analyze stage inferred about one LoRA.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoraProfile {
    /// The LoRA repo.
    pub lora: RepoId,
    /// The diffusers repo the Space loads.
    pub base_model: Option<Sourced<String>>,
    /// The base as the card names it, when it was mapped to another repo.
    pub base_model_as_declared: Option<String>,
    /// Knowledge-table family id of the base (e.g. `flux-dev`).
    pub family: Option<String>,
    /// The base repo is not in the table: `family` is an analogy from its name, to be confirmed.
    pub base_by_analogy: bool,
    /// The task.
    pub task: Option<Sourced<Task>>,
    /// What the LoRA does, as a short hint (`relight`, `effect`, ...).
    pub sub_task: Option<Sourced<String>>,
    /// UI-shaping hints about what the LoRA does.
    pub hints: super::subtask::SubTaskHints,
    /// The pipeline class named by the LoRA card's own snippet (non-auto), if any.
    pub card_pipeline_class: Option<String>,
    /// The weights file to pass as `weight_name=`.
    pub weight_name: Option<Sourced<String>>,
    /// The second file of a Wan 2.2 high-noise / low-noise pair (loaded into `transformer_2`).
    pub weight_name_2: Option<Sourced<String>>,
    /// All weight-looking files in the repo.
    pub weight_candidates: Vec<String>,
    /// A few-step (Lightning / Turbo / distilled) LoRA: steps and guidance are fixed.
    pub few_step: bool,
    /// The LoRA card's `license` value, verbatim (validated before it reaches a README).
    pub license: Option<String>,
    /// The card's `license_name` and `license_link`, verbatim (validated likewise).
    #[serde(default)]
    pub license_name: Option<String>,
    #[serde(default)]
    pub license_link: Option<String>,
    /// The card's first `# heading`, verbatim (cleaned before it becomes the Space title).
    #[serde(default)]
    pub card_title: Option<String>,
    /// A VAE the card says to load instead of the base's (SDXL fp16-fix).
    pub vae: Option<Sourced<String>>,
    /// Trigger words / phrases to build into the prompt.
    pub trigger_words: Sourced<Vec<String>>,
    /// Fixed prompt template, when the card wants one.
    pub prompt_template: Option<Sourced<PromptTemplate>>,
    /// Inference steps.
    pub steps: Option<Sourced<u32>>,
    /// Guidance value.
    pub guidance: Option<Sourced<f64>>,
    /// Which keyword carries `guidance`.
    pub guidance_param: GuidanceParam,
    /// Adapter weight.
    pub lora_scale: Sourced<f64>,
    /// A recommended range for the adapter weight.
    pub lora_scale_range: Option<(f64, f64)>,
    /// Default output resolution.
    pub resolution: Option<Sourced<Resolution>>,
    /// Other resolutions the card mentions.
    pub resolution_alternatives: Vec<Resolution>,
    /// The output follows the input image's aspect.
    pub follow_input_aspect: bool,
    /// Video frame count.
    pub num_frames: Option<Sourced<u32>>,
    /// Video frames per second.
    pub fps: Option<Sourced<u32>>,
    /// Negative prompt.
    pub negative_prompt: Option<Sourced<String>>,
    /// Other numeric call kwargs (`decode_timestep`, `guidance_scale` beside true CFG, ...).
    pub extra_call_kwargs: Vec<(String, f64)>,
    /// Example prompts for `gr.Examples`.
    pub examples: Sourced<Vec<String>>,
    /// Example input media files in the LoRA repo.
    pub example_media: Vec<String>,
    /// The base model is gated: the Space needs an `HF_TOKEN` secret.
    pub base_gated: bool,
    /// Things to tell the user.
    pub flags: Vec<Flag>,
    /// What could not be inferred.
    pub missing: Vec<Missing>,
    /// Files in the Space the bot must not touch (from the overrides file).
    pub leave_alone: Vec<String>,
    /// Analysis notes (malformed YAML, conflicts, ...).
    pub notes: Vec<String>,
    /// What the weights files' safetensors headers say (read by the fetch stage; empty when
    /// no header was read).
    #[serde(default)]
    pub weights_headers: Vec<super::tensors::WeightsProfile>,
}

impl LoraProfile {
    /// Whether generation must stop and ask the LoRA owner.
    pub fn needs_user_input(&self) -> bool {
        self.missing.iter().any(|m| m.blocking)
    }

    /// The trigger words as plain strings.
    pub fn triggers(&self) -> &[String] {
        &self.trigger_words.value
    }
}
