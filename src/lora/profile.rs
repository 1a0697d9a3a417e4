//! The `LoraProfile`: what the analyze stage learned about a LoRA, each value with its
//! evidence. Produced by [`crate::lora::analyze`], consumed by the plan stage in
//! [`crate::space`].

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::domain::ids::RepoId;

/// The five tasks a generated Space can serve.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Task {
    /// Prompt in, image out.
    TextToImage,
    /// Image (+ instruction) in, image out.
    ImageToImage,
    /// Prompt in, video out.
    TextToVideo,
    /// Image (+ motion prompt) in, video out.
    ImageToVideo,
    /// Video (+ prompt) in, video out.
    VideoToVideo,
}

impl Task {
    /// All five, in the order they are offered to a user.
    pub const ALL: [Task; 5] =
        [Task::TextToImage, Task::ImageToImage, Task::TextToVideo, Task::ImageToVideo, Task::VideoToVideo];

    /// The Hub `pipeline_tag` spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Task::TextToImage => "text-to-image",
            Task::ImageToImage => "image-to-image",
            Task::TextToVideo => "text-to-video",
            Task::ImageToVideo => "image-to-video",
            Task::VideoToVideo => "video-to-video",
        }
    }

    /// Parses the Hub spelling (and a few common aliases such as `i2v`).
    pub fn parse(s: &str) -> Option<Task> {
        let s = s.trim().to_ascii_lowercase().replace(['_', ' '], "-");
        match s.as_str() {
            "text-to-image" | "t2i" | "txt2img" => Some(Task::TextToImage),
            "image-to-image" | "i2i" | "img2img" | "image-editing" => Some(Task::ImageToImage),
            "text-to-video" | "t2v" => Some(Task::TextToVideo),
            "image-to-video" | "i2v" => Some(Task::ImageToVideo),
            "video-to-video" | "v2v" => Some(Task::VideoToVideo),
            _ => None,
        }
    }

    /// Whether the output is a video.
    pub fn outputs_video(self) -> bool {
        matches!(self, Task::TextToVideo | Task::ImageToVideo | Task::VideoToVideo)
    }

    /// Whether the user must provide an input image.
    pub fn needs_image(self) -> bool {
        matches!(self, Task::ImageToImage | Task::ImageToVideo)
    }
}

impl fmt::Display for Task {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which call keyword carries the guidance value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GuidanceParam {
    /// Classic / embedded guidance (`guidance_scale=`).
    GuidanceScale,
    /// Qwen-style true CFG (`true_cfg_scale=`, needs a negative prompt).
    TrueCfgScale,
}

impl GuidanceParam {
    /// The Python keyword.
    pub fn as_str(self) -> &'static str {
        match self {
            GuidanceParam::GuidanceScale => "guidance_scale",
            GuidanceParam::TrueCfgScale => "true_cfg_scale",
        }
    }
}

/// Where a value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    /// A key of the card's YAML frontmatter.
    Yaml,
    /// A Python snippet in the card body.
    CardSnippet,
    /// A table in the card body.
    CardTable,
    /// Prose in the card body.
    CardProse,
    /// The repo's file list.
    FileList,
    /// The base model's family defaults (knowledge table).
    BaseDefault,
    /// The base model's own card.
    BaseCard,
    /// The Space's `lora-space.toml`.
    Override,
    /// A generic default (e.g. LoRA scale 1.0).
    Default,
    /// The safetensors header of the weights file (tensor names and shapes, trainer metadata).
    WeightsHeader,
    /// A command line in the card (`python infer.py --steps 30 --alpha 0.8`).
    CardCommand,
}

impl Source {
    /// The words a person reads for this source — the ONE place these labels live: plan
    /// text, PR body, conflict messages and the JSON `label` all use it (through `Display`).
    /// Variant names (and their serde spelling) are stable; only the labels are for people.
    pub fn label(self) -> &'static str {
        match self {
            Source::Yaml => "card YAML",
            Source::CardSnippet => "code snippet in the card",
            Source::CardTable => "table in the card",
            Source::CardProse => "card text",
            Source::FileList => "file list",
            Source::BaseDefault => "base model default",
            Source::BaseCard => "base model's card",
            Source::Override => "lora-space.toml override",
            Source::Default => "generic default",
            Source::WeightsHeader => "weights header",
            Source::CardCommand => "command line in the card",
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// Evidence for one inferred value: the kind of source and a short quote or explanation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// The kind of source.
    pub source: Source,
    /// The YAML key, the snippet or prose fragment, or why a default applies.
    pub detail: String,
}

impl Evidence {
    /// Builds evidence from a source and a detail.
    pub fn new(source: Source, detail: impl Into<String>) -> Self {
        Evidence { source, detail: detail.into() }
    }
}

/// `card YAML: base_model: x` — the source's label, then the detail on one line.
impl fmt::Display for Evidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let detail = self.detail.replace(['\n', '\r'], " ");
        if detail.trim().is_empty() { write!(f, "{}", self.source) } else { write!(f, "{}: {}", self.source, detail.trim()) }
    }
}

/// A value with the evidence that produced it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sourced<T> {
    /// The inferred value.
    pub value: T,
    /// Where it came from.
    pub evidence: Evidence,
}

impl<T> Sourced<T> {
    /// Pairs a value with its evidence.
    pub fn new(value: T, source: Source, detail: impl Into<String>) -> Self {
        Sourced { value, evidence: Evidence::new(source, detail) }
    }
}

/// A fixed prompt template with one `{placeholder}` the UI fills from a textbox.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PromptTemplate {
    /// Text before the placeholder.
    pub prefix: String,
    /// The placeholder's name (`object`, `subject`).
    pub placeholder: String,
    /// Text after the placeholder.
    pub suffix: String,
}

impl PromptTemplate {
    /// The template with `{placeholder}` in place.
    pub fn display(&self) -> String {
        format!("{}{{{}}}{}", self.prefix, self.placeholder, self.suffix)
    }
    /// Fills the placeholder.
    pub fn fill(&self, value: &str) -> String {
        format!("{}{}{}", self.prefix, value, self.suffix)
    }
}

/// A width × height pair in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resolution {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

/// What could not be inferred.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MissingField {
    /// No base model could be determined.
    BaseModel,
    /// Sources name different base models.
    AmbiguousBaseModel,
    /// The base model is outside the supported families.
    UnsupportedBaseFamily,
    /// The task could not be determined.
    Task,
    /// Several weight files are alternatives and none is recommended.
    WeightsFile,
    /// Steps / guidance have no card value and no family default.
    Recipe,
    /// The LoRA only runs with custom code (its own pipeline, token embeddings, a cloned package).
    CustomPipeline,
}

/// One missing item, with the question to ask and whether it blocks generation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Missing {
    /// What is missing.
    pub field: MissingField,
    /// The question for the LoRA owner.
    pub question: String,
    /// Whether generation must stop until it is answered.
    pub blocking: bool,
}

/// Something the generator must tell the user (gated base, conflicts, guesses).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flag {
    /// Short machine-readable kind (`gated-base`, `conflict`, `latest-checkpoint`, ...).
    pub kind: String,
    /// Human-readable message.
    pub message: String,
}

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
