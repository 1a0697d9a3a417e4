//! Knowledge as data: the base-model families the generator supports, loaded from the
//! embedded `families.toml`. Used by the analyze stage (family detection, defaults) and the
//! plan stage (pipeline class, requirements, GPU duration).

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;

use crate::lora::profile::{GuidanceParam, Task};

const FAMILIES_TOML: &str = include_str!("families.toml");

/// One base-model family (one diffusers base repo) and its recipe.
#[derive(Debug, Clone, Deserialize)]
pub struct Family {
    /// Stable id (`flux-dev`).
    pub id: String,
    /// Display name (`FLUX.1-dev`).
    pub name: String,
    /// Coarse group (`flux`, `qwen`, `ltx`, `wan`, `sd`).
    pub group: String,
    /// Architecture generation; two generations are never interchangeable.
    pub generation: String,
    /// The diffusers repo to load.
    pub repo: String,
    /// Other repo ids (native / mirrors) that map to this family's repo.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Name fragments that identify the family in filenames, tags and prose.
    pub hints: Vec<String>,
    /// Pipeline classes per task (Hub spelling), first = default.
    pub pipelines: BTreeMap<String, Vec<String>>,
    /// Weights dtype (`bfloat16`, `float16`).
    #[serde(default = "default_dtype")]
    pub dtype: String,
    /// `variant=` for `from_pretrained` (SDXL `fp16`).
    #[serde(default)]
    pub variant: Option<String>,
    /// Which keyword carries guidance.
    #[serde(default = "default_guidance_param")]
    pub guidance_param: GuidanceParam,
    /// Default steps.
    pub steps: u32,
    /// Fewest steps the steps slider offers (2 where the scheduler stretches its schedule to a
    /// `shift_terminal`: with one step that divides by zero and every sigma is NaN).
    #[serde(default = "one")]
    pub min_steps: u32,
    /// Default guidance.
    pub guidance: f64,
    /// Few-step / distilled: lock steps and guidance.
    #[serde(default)]
    pub few_step: bool,
    /// The pipeline ignores `guidance_scale` for this base (a transformer without guidance
    /// embeddings, e.g. FLUX.1-schnell): the app passes no guidance at all.
    #[serde(default)]
    pub guidance_ignored: bool,
    /// Extra numeric call kwargs the family always passes.
    #[serde(default)]
    pub extra_call_kwargs: BTreeMap<String, f64>,
    /// Default negative prompt (`" "` for Qwen true CFG).
    #[serde(default)]
    pub negative_prompt: Option<String>,
    /// Whether a negative-prompt box is worth showing.
    #[serde(default)]
    pub expose_negative: bool,
    /// Default output resolution `[width, height]`.
    pub resolution: [u32; 2],
    /// Width/height must be multiples of this.
    pub multiple: u32,
    /// Aspect-ratio presets `[width, height]`.
    #[serde(default)]
    pub aspect_presets: Vec<[u32; 2]>,
    /// Default frame count (video).
    #[serde(default)]
    pub num_frames: Option<u32>,
    /// Default fps (video).
    #[serde(default)]
    pub fps: Option<u32>,
    /// Frames must be `frame_step * k + 1` (video).
    #[serde(default)]
    pub frame_step: Option<u32>,
    /// Longest clip the duration slider offers (video).
    #[serde(default)]
    pub max_seconds: Option<u32>,
    /// Load the VAE in float32 (Wan).
    #[serde(default)]
    pub vae_float32: bool,
    /// A sigma schedule constant of `diffusers.pipelines.<module>.utils` (distilled LTX-2.x).
    #[serde(default)]
    pub sigmas: Option<String>,
    /// UniPC `flow_shift` (Wan).
    #[serde(default)]
    pub flow_shift: Option<f64>,
    /// The base's scheduler config sets `use_dynamic_shifting` (its pipelines must pass `mu`).
    #[serde(default)]
    pub dynamic_shifting: bool,
    /// The per-call LoRA-scale kwarg (`joint_attention_kwargs`, ...).
    pub scale_kwarg: String,
    /// Family extras for requirements.txt.
    #[serde(default)]
    pub requirements: Vec<String>,
    /// The base is gated: the Space needs an `HF_TOKEN` secret.
    #[serde(default)]
    pub gated: bool,
    /// Needs diffusers from git.
    #[serde(default)]
    pub diffusers_git: bool,
    /// ZeroGPU slice size when `large` is not enough.
    #[serde(default)]
    pub gpu_size: Option<String>,
    /// `@spaces.GPU(duration=...)` seconds.
    pub gpu_duration: u32,
    /// Licence LoRAs on this base usually carry.
    #[serde(default)]
    pub license: Option<String>,
    /// The base's `license_name` when `license` is `other`.
    #[serde(default)]
    pub license_name: Option<String>,
    /// The base's licence text (absolute URL), when `license` is `other`.
    #[serde(default)]
    pub license_link: Option<String>,
}

fn one() -> u32 {
    1
}

fn default_dtype() -> String {
    "bfloat16".to_owned()
}

fn default_guidance_param() -> GuidanceParam {
    GuidanceParam::GuidanceScale
}

impl Family {
    /// Tasks this family serves, in table order.
    pub fn tasks(&self) -> Vec<Task> {
        Task::ALL.into_iter().filter(|t| self.pipelines.contains_key(t.as_str())).collect()
    }

    /// The task a LoRA on this base most likely has when nothing else says.
    pub fn native_task(&self) -> Option<Task> {
        self.tasks().into_iter().next()
    }

    /// Candidate pipeline classes for a task (first = default).
    pub fn classes_for(&self, task: Task) -> &[String] {
        self.pipelines.get(task.as_str()).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Whether `repo` names this family's base (repo or alias, case-insensitive).
    pub fn matches_repo(&self, repo: &str) -> bool {
        std::iter::once(&self.repo).chain(&self.aliases).any(|r| r.eq_ignore_ascii_case(repo.trim()))
    }
}

/// How a pipeline class takes its inputs and returns its output.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
pub struct ClassShape {
    /// `image` or `image_list`, when the class takes an input image.
    #[serde(default)]
    pub image: Option<String>,
    /// `video`, `ltx_condition`, `ltx2_condition` or `ltx2_reference` for video input.
    #[serde(default)]
    pub video: Option<String>,
    /// `images`, `frames` or `frames_audio`.
    pub output: String,
}

/// The whole knowledge table.
#[derive(Debug, Clone, Deserialize)]
pub struct Knowledge {
    /// All families.
    #[serde(rename = "family")]
    pub families: Vec<Family>,
    /// Call shapes by pipeline class.
    pub classes: BTreeMap<String, ClassShape>,
}

/// Why the embedded knowledge table could not be loaded (a build defect, caught by tests).
#[derive(Debug, thiserror::Error)]
#[error("embedded families.toml is invalid: {0}")]
pub struct KnowledgeError(#[from] toml::de::Error);

/// Parses the embedded table.
pub fn load() -> Result<Knowledge, KnowledgeError> {
    Ok(toml::from_str(FAMILIES_TOML)?)
}

/// The embedded table, parsed once. An invalid table (caught by the unit tests) yields an
/// empty one, so a defect degrades to "unsupported family" instead of a panic.
pub fn knowledge() -> &'static Knowledge {
    static CELL: OnceLock<Knowledge> = OnceLock::new();
    CELL.get_or_init(|| load().unwrap_or_else(|_| Knowledge { families: vec![], classes: BTreeMap::new() }))
}

/// Lowercase ASCII letters and digits only: the form hints are compared in.
pub fn normalise(text: &str) -> String {
    text.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_lowercase()).collect()
}

/// Lowercase words joined by `-`: everything but ASCII letters, digits and `.` separates.
fn dashed(text: &str) -> String {
    text.to_ascii_lowercase()
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '.'))
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join("-")
}

impl Knowledge {
    /// The family by id.
    pub fn family(&self, id: &str) -> Option<&Family> {
        self.families.iter().find(|f| f.id == id)
    }

    /// The family whose repo or alias is exactly `repo`, also accepting the native repo of a
    /// `-Diffusers` conversion (`Wan-AI/Wan2.1-I2V-14B-480P`).
    pub fn family_by_repo(&self, repo: &str) -> Option<&Family> {
        let with_suffix = format!("{}-Diffusers", repo.trim());
        self.families
            .iter()
            .find(|f| f.matches_repo(repo))
            .or_else(|| self.families.iter().find(|f| f.matches_repo(&with_suffix)))
    }

    /// The family whose longest hint occurs in `text` (compared normalised).
    pub fn family_by_hint(&self, text: &str) -> Option<&Family> {
        let text = normalise(text);
        self.families
            .iter()
            .flat_map(|f| f.hints.iter().map(move |h| (f, normalise(h))))
            .filter(|(_, h)| !h.is_empty() && text.contains(h.as_str()))
            .max_by_key(|(_, h)| h.len())
            .map(|(f, _)| f)
    }

    /// Like [`Self::family_by_hint`], but a hint only counts as a whole word run of the text
    /// ("qwen-image-edit" is not in "Qwen-Image edition"; "13b-0.9.7" is in "ltxv (13b 0.9.7)").
    pub fn family_by_whole_hint(&self, text: &str) -> Option<&Family> {
        self.whole_hint_matches(text).into_iter().max_by_key(|(_, len)| *len).map(|(f, _)| f)
    }

    /// Every family with a hint that is a whole word run of the text, with that hint's length.
    pub fn whole_hint_matches(&self, text: &str) -> Vec<(&Family, usize)> {
        let text = format!("-{}-", dashed(text));
        self.families
            .iter()
            .flat_map(|f| f.hints.iter().map(move |h| (f, dashed(h))))
            .filter(|(_, h)| !h.is_empty() && text.contains(&format!("-{h}-")))
            .map(|(f, h)| (f, h.len()))
            .collect()
    }

    /// The call shape of a pipeline class.
    pub fn shape(&self, class: &str) -> Option<&ClassShape> {
        self.classes.get(class)
    }

    /// Every pipeline class the table knows.
    pub fn is_known_class(&self, class: &str) -> bool {
        self.classes.contains_key(class)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_table_parses_and_every_class_has_a_shape() {
        let k = load().expect("families.toml parses");
        assert!(k.families.len() >= 20);
        for f in &k.families {
            assert!(!f.tasks().is_empty(), "{} has no task", f.id);
            for class in f.pipelines.values().flatten() {
                assert!(k.shape(class).is_some(), "{class} of {} has no shape", f.id);
            }
        }
    }

    #[test]
    fn native_repo_maps_to_its_diffusers_conversion() {
        let f = knowledge().family_by_repo("Wan-AI/Wan2.1-I2V-14B-480P").map(|f| f.id.as_str());
        assert_eq!(f, Some("wan21-i2v-480p"));
    }

    #[test]
    fn longest_hint_wins_between_variants() {
        let k = knowledge();
        let id = |t: &str| k.family_by_hint(t).map(|f| f.id.clone());
        assert_eq!(id("qwen-edit-2509-next-shot.safetensors").as_deref(), Some("qwen-image-edit-2509"));
        assert_eq!(id("Qwen-Image").as_deref(), Some("qwen-image"));
        assert_eq!(id("ltxv_095_cakeify_lora").as_deref(), Some("ltx-video-0.9.5"));
        assert_eq!(id("ltx-2.3-22b-ic-lora-union").as_deref(), Some("ltx-2.3"));
        assert_eq!(id("flux-kontext").as_deref(), Some("flux-kontext-dev"));
        assert_eq!(id("my cat pictures"), None);
    }

    #[test]
    fn sigma_schedule_names_are_plain_identifiers() {
        for f in &knowledge().families {
            if let Some(s) = &f.sigmas {
                assert!(s.chars().all(|c| c.is_ascii_uppercase() || c == '_'), "{}: {s}", f.id);
            }
        }
    }

    #[test]
    fn gated_bases_are_marked() {
        let k = knowledge();
        assert!(k.family("flux-dev").is_some_and(|f| f.gated));
        assert!(k.family("qwen-image").is_some_and(|f| !f.gated));
    }
}
