//! The plan stage: a [`LoraProfile`] (+ the base model's card) → a [`SpacePlan`], the complete
//! description of the Space to render: verified pipeline class, prompt handling, the few
//! controls this LoRA needs, examples, video timing, GPU duration and README metadata.
//!
//! This module holds the plan and assembles it; its parts are planned by `plan_prompt` (prompt
//! handling), `plan_size` (resolution and aspect presets), `plan_video` (video timing),
//! [`super::plan_examples`] and [`super::plan_readme`].

use serde::{Deserialize, Serialize};

use super::knowledge::{ClassShape, knowledge};
use super::plan_examples::{ExampleRow, example_rows};
use super::plan_prompt::prompt_plan;
use super::plan_readme::{ReadmePlan, readme_plan};
use super::plan_size::{aspect_presets, snap};
use super::plan_video::video_plan;
use super::{trigger_join, verify};
use crate::lora::profile::{GuidanceParam, LoraProfile, Resolution, Sourced, Task};

pub use super::plan_prompt::PromptPlan;
pub use super::plan_size::aspect_label;
pub use super::plan_video::VideoPlan;

/// Everything the renderer needs; no card text is interpreted after this point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpacePlan {
    /// LoRA repo id.
    pub lora: String,
    /// Base repo id.
    pub base_model: String,
    /// Family id.
    pub family: String,
    /// Task.
    pub task: Task,
    /// What the LoRA does (hint shown in the UI header).
    pub sub_task: Option<String>,
    /// Verified pipeline class.
    pub pipeline_class: Sourced<String>,
    /// How the class takes inputs and returns outputs.
    pub shape: ClassShapePlan,
    /// `torch_dtype` name.
    pub dtype: String,
    /// `variant=` for `from_pretrained`.
    pub variant: Option<String>,
    /// Load the VAE in float32 (Wan).
    pub vae_float32: bool,
    /// UniPC flow shift (Wan).
    pub flow_shift: Option<f64>,
    /// Qwen Lightning: shift-3 exponential flow-match scheduler (knowledge §3.1).
    pub lightning_scheduler: bool,
    /// The base's scheduler uses dynamic shifting but the pipeline class passes no `mu`
    /// (`LTXConditionPipeline` on LTX-Video 0.9.0/0.9.1): the app turns dynamic shifting off.
    #[serde(default)]
    pub static_shift: bool,
    /// Distilled sigma schedule constant from `diffusers.pipelines.ltx2.utils`.
    pub sigmas: Option<String>,
    /// `weight_name=`.
    pub weight_name: String,
    /// Low-noise partner loaded into `transformer_2` (Wan 2.2 A14B pairs).
    pub weight_name_2: Option<String>,
    /// Replacement VAE repo (SDXL fp16-fix).
    pub vae_repo: Option<String>,
    /// Prompt handling.
    pub prompt: PromptPlan,
    /// Between the trigger and the user's text (`" "` or `", "`), as the card's examples write it.
    #[serde(default = "space")]
    pub trigger_separator: String,
    /// Default steps.
    pub steps: u32,
    /// Fewest steps the steps slider offers (the family's `min_steps`).
    #[serde(default = "one")]
    pub min_steps: u32,
    /// Default guidance.
    pub guidance: f64,
    /// Guidance keyword.
    pub guidance_param: GuidanceParam,
    /// Whether the pipeline reads the guidance at all (false: no kwarg, no slider).
    #[serde(default = "yes")]
    pub pass_guidance: bool,
    /// Few-step LoRA/base: steps and guidance are fixed, no sliders.
    pub lock_steps: bool,
    /// Adapter weight.
    pub lora_scale: f64,
    /// Slider range for the adapter weight, when the card gives one.
    pub scale_slider: Option<(f64, f64)>,
    /// Per-call scale kwarg (`joint_attention_kwargs`, ...).
    pub scale_kwarg: String,
    /// Negative prompt passed to the pipeline.
    pub negative_prompt: Option<String>,
    /// Show a negative-prompt box.
    pub show_negative: bool,
    /// Default output size.
    pub resolution: Resolution,
    /// Aspect presets (label, size), default first.
    pub aspect_presets: Vec<(String, Resolution)>,
    /// Width/height multiple.
    pub multiple: u32,
    /// Size the output from the input image's aspect.
    pub follow_input_aspect: bool,
    /// A second, optional input image (multi-image edit pipelines).
    pub second_image: bool,
    /// A button that feeds the result back in as the next input (image-to-image).
    pub chain_output: bool,
    /// Video timing (video tasks).
    pub video: Option<VideoPlan>,
    /// Extra numeric kwargs for the pipeline call.
    pub extra_call_kwargs: Vec<(String, f64)>,
    /// `gr.Examples` rows.
    pub examples: Vec<ExampleRow>,
    /// Base or LoRA needs an `HF_TOKEN` secret.
    pub needs_token: bool,
    /// `@spaces.GPU(duration=...)`.
    pub gpu_duration: u32,
    /// `@spaces.GPU(size=...)` when `large` is not enough.
    pub gpu_size: Option<String>,
    /// Family requirement extras.
    pub extra_requirements: Vec<String>,
    /// Install diffusers from git.
    pub diffusers_git: bool,
    /// README metadata.
    pub readme: ReadmePlan,
    /// Space files the bot must not write.
    pub leave_alone: Vec<String>,
    /// Notes for the PR body (class verification, fallbacks).
    pub notes: Vec<String>,
}

/// Serializable copy of the class call shape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClassShapePlan {
    /// `image` / `image_list`.
    pub image: Option<String>,
    /// Video input style.
    pub video: Option<String>,
    /// `images` / `frames` / `frames_audio`.
    pub output: String,
}

impl From<&ClassShape> for ClassShapePlan {
    fn from(s: &ClassShape) -> Self {
        ClassShapePlan { image: s.image.clone(), video: s.video.clone(), output: s.output.clone() }
    }
}

/// Why a plan could not be made (the profile still needs input).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PlanError {
    /// A required value is missing from the profile.
    #[error("cannot plan the Space: {0}")]
    Missing(&'static str),
    /// No pipeline class is known for this family and task.
    #[error("no pipeline class for {family} / {task}")]
    NoClass {
        /// Family id.
        family: String,
        /// Task.
        task: Task,
    },
}

/// Builds the plan. Fails only when the profile needs user input.
pub fn plan(profile: &LoraProfile, base_card: Option<&str>, hardware: &str) -> Result<SpacePlan, PlanError> {
    let k = knowledge();
    let f = profile.family.as_deref().and_then(|id| k.family(id)).ok_or(PlanError::Missing("base model family"))?;
    let task = profile.task.as_ref().map(|t| t.value).ok_or(PlanError::Missing("task"))?;
    let base_model = profile.base_model.as_ref().map(|b| b.value.clone()).ok_or(PlanError::Missing("base model"))?;
    let weight_name =
        profile.weight_name.as_ref().map(|w| w.value.clone()).ok_or(PlanError::Missing("weights file"))?;
    let verified = verify::pipeline_class(k, Some(f), task, profile.card_pipeline_class.as_deref(), base_card)
        .ok_or_else(|| PlanError::NoClass { family: f.id.clone(), task })?;
    let shape = k
        .shape(&verified.class.value)
        .map(ClassShapePlan::from)
        .ok_or_else(|| PlanError::NoClass { family: f.id.clone(), task })?;
    let prompt = prompt_plan(profile, task);
    let resolution = snap(
        profile.resolution.as_ref().map_or(Resolution { width: f.resolution[0], height: f.resolution[1] }, |r| r.value),
        f.multiple,
    );
    let video = task.outputs_video().then(|| video_plan(profile, f));
    let few_step = f.few_step || profile.few_step || profile.steps.as_ref().is_some_and(|s| s.value <= 8);
    let static_shift = f.dynamic_shifting && NO_MU_CLASSES.contains(&verified.class.value.as_str());
    let mut notes: Vec<String> = verified.note.into_iter().collect();
    notes.extend(profile.notes.iter().cloned());
    Ok(SpacePlan {
        lora: profile.lora.to_string(),
        family: f.id.clone(),
        task,
        sub_task: profile.sub_task.as_ref().map(|s| s.value.clone()),
        pipeline_class: verified.class,
        dtype: f.dtype.clone(),
        variant: f.variant.clone(),
        vae_float32: f.vae_float32,
        flow_shift: f.flow_shift,
        lightning_scheduler: profile.few_step && f.group == "qwen",
        static_shift,
        sigmas: f.sigmas.clone().filter(|s| !s.is_empty() && s.chars().all(|c| c.is_ascii_uppercase() || c == '_')),
        trigger_separator: match &prompt {
            PromptPlan::Free { trigger: Some(t) } => trigger_join::text_separator(t, &profile.examples.value).to_owned(),
            _ => " ".to_owned(),
        },
        prompt: prompt.clone(),
        steps: profile.steps.as_ref().map_or(f.steps, |s| s.value),
        min_steps: f.min_steps,
        guidance: profile.guidance.as_ref().map_or(f.guidance, |g| g.value),
        guidance_param: profile.guidance_param,
        pass_guidance: !f.guidance_ignored,
        lock_steps: few_step,
        lora_scale: profile.lora_scale.value,
        scale_slider: profile.lora_scale_range,
        scale_kwarg: f.scale_kwarg.clone(),
        negative_prompt: profile.negative_prompt.as_ref().map(|n| n.value.clone()),
        show_negative: f.expose_negative && !few_step,
        aspect_presets: aspect_presets(resolution, &profile.resolution_alternatives, f),
        resolution,
        multiple: f.multiple,
        follow_input_aspect: profile.follow_input_aspect || task.needs_image(),
        second_image: profile.hints.two_images
            && task == Task::ImageToImage
            && shape.image.as_deref() == Some("image_list"),
        chain_output: profile.hints.chain_output && task == Task::ImageToImage,
        video,
        extra_call_kwargs: profile.extra_call_kwargs.clone(),
        examples: example_rows(profile, &prompt, task),
        needs_token: profile.base_gated,
        gpu_duration: if few_step && !task.outputs_video() { f.gpu_duration.min(30) } else { f.gpu_duration },
        gpu_size: f.gpu_size.clone(),
        extra_requirements: f.requirements.clone(),
        diffusers_git: f.diffusers_git,
        readme: readme_plan(profile, f, task, &base_model, hardware),
        base_model,
        weight_name,
        weight_name_2: profile.weight_name_2.as_ref().map(|w| w.value.clone()),
        vae_repo: profile.vae.as_ref().filter(|_| !f.vae_float32).map(|v| v.value.clone()),
        shape,
        leave_alone: profile.leave_alone.clone(),
        notes,
    })
}

fn one() -> u32 {
    1
}

/// Pipeline classes that call `scheduler.set_timesteps` without `mu` (diffusers 0.42.1
/// pipeline_ltx_condition.py: `retrieve_timesteps(self.scheduler, timesteps=…)`): on a scheduler
/// with `use_dynamic_shifting` they raise "`mu` must be passed" at the first call.
const NO_MU_CLASSES: &[&str] = &["LTXConditionPipeline"];

fn yes() -> bool {
    true
}

fn space() -> String {
    " ".to_owned()
}
