//! The Space's overrides file, `lora-space.toml`: values the Space maintainer sets by hand.
//! Read by the worker from the Space repo, parsed here, and applied by the analyze stage
//! (overrides win over inference) and by render (`leave_alone` files are not proposed).

use serde::{Deserialize, Serialize};

/// The file name in the Space repo.
pub const OVERRIDES_FILE: &str = "lora-space.toml";

const KNOWN_KEYS: &[&str] = &[
    "task",
    "base_model",
    "weights_file",
    "trigger_words",
    "steps",
    "guidance",
    "lora_scale",
    "examples",
    "leave_alone",
    "negative_prompt",
    "resolution",
];

/// Values set by the Space maintainer. Every key is optional.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Overrides {
    /// One of the five tasks (`text-to-image`, ...).
    pub task: Option<String>,
    /// The diffusers base repo id.
    pub base_model: Option<String>,
    /// The weights file to load (path in the LoRA repo).
    pub weights_file: Option<String>,
    /// Trigger words or phrases, prepended to prompts.
    pub trigger_words: Option<Vec<String>>,
    /// Inference steps.
    pub steps: Option<u32>,
    /// Guidance value (guidance_scale or true_cfg_scale, as the family uses).
    pub guidance: Option<f64>,
    /// Adapter weight.
    pub lora_scale: Option<f64>,
    /// Example prompts.
    pub examples: Option<Vec<String>>,
    /// Space files the bot must not touch (`app.py`, `README.md`, ...).
    #[serde(default)]
    pub leave_alone: Vec<String>,
    /// Negative prompt.
    pub negative_prompt: Option<String>,
    /// Default output resolution `[width, height]`.
    pub resolution: Option<[u32; 2]>,
}

/// Why an overrides file was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum OverridesError {
    /// Not TOML at all.
    #[error("{OVERRIDES_FILE} is not valid TOML: {0}")]
    Syntax(String),
    /// A key this version does not know (a typo would otherwise be silently ignored).
    #[error("{OVERRIDES_FILE}: unknown key `{key}` (known keys: {known})")]
    UnknownKey {
        /// The offending key.
        key: String,
        /// The accepted keys, comma-separated.
        known: String,
    },
    /// A known key with a value of the wrong type or out of range.
    #[error("{OVERRIDES_FILE}: bad value: {0}")]
    BadValue(String),
}

/// Parses the overrides file.
pub fn parse_overrides(text: &str) -> Result<Overrides, OverridesError> {
    let table: toml::Table =
        text.parse().map_err(|e: toml::de::Error| OverridesError::Syntax(e.message().to_owned()))?;
    if let Some(key) = table.keys().find(|k| !KNOWN_KEYS.contains(&k.as_str())) {
        return Err(OverridesError::UnknownKey { key: key.clone(), known: KNOWN_KEYS.join(", ") });
    }
    let overrides: Overrides =
        table.try_into().map_err(|e: toml::de::Error| OverridesError::BadValue(e.message().to_owned()))?;
    check_ranges(&overrides)?;
    Ok(overrides)
}

fn check_ranges(o: &Overrides) -> Result<(), OverridesError> {
    let bad = |what: &str| Err(OverridesError::BadValue(what.to_owned()));
    if let Some(task) = &o.task
        && crate::lora::profile::Task::parse(task).is_none() {
            return bad(
                "task must be one of text-to-image, image-to-image, text-to-video, image-to-video, video-to-video",
            );
        }
    if let Some(base) = &o.base_model
        && base.parse::<crate::domain::ids::RepoId>().is_err() {
            return bad("base_model must be a repo id like `namespace/name`");
        }
    if o.steps.is_some_and(|s| s == 0 || s > 500) {
        return bad("steps must be between 1 and 500");
    }
    if o.guidance.is_some_and(|g| !g.is_finite() || !(0.0..=50.0).contains(&g)) {
        return bad("guidance must be between 0 and 50");
    }
    if o.lora_scale.is_some_and(|s| !s.is_finite() || !(0.0..=4.0).contains(&s)) {
        return bad("lora_scale must be between 0 and 4");
    }
    if o.resolution.is_some_and(|[w, h]| !(64..=4096).contains(&w) || !(64..=4096).contains(&h)) {
        return bad("resolution must be [width, height] between 64 and 4096");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_key_is_accepted() {
        let text = r#"
task = "image-to-image"
base_model = "black-forest-labs/FLUX.1-Kontext-dev"
weights_file = "sub/lora.safetensors"
trigger_words = ["TOK"]
steps = 20
guidance = 2.5
lora_scale = 0.8
examples = ["a corgi"]
leave_alone = ["README.md"]
negative_prompt = "blurry"
resolution = [1024, 768]
"#;
        let o = parse_overrides(text).expect("valid overrides");
        assert_eq!(o.task.as_deref(), Some("image-to-image"));
        assert_eq!(o.steps, Some(20));
        assert_eq!(o.leave_alone, vec!["README.md"]);
        assert_eq!(o.resolution, Some([1024, 768]));
    }

    #[test]
    fn unknown_key_is_an_error_naming_the_key() {
        let err = parse_overrides("stepz = 20\n").expect_err("typo must fail");
        assert!(matches!(&err, OverridesError::UnknownKey { key, .. } if key == "stepz"));
        assert!(err.to_string().contains("`stepz`"));
    }

    #[test]
    fn wrong_type_and_bad_task_are_refused() {
        assert!(matches!(parse_overrides("steps = \"many\""), Err(OverridesError::BadValue(_))));
        assert!(matches!(parse_overrides("task = \"painting\""), Err(OverridesError::BadValue(_))));
        assert!(matches!(parse_overrides("= broken"), Err(OverridesError::Syntax(_))));
    }

    #[test]
    fn empty_file_means_no_overrides() {
        assert_eq!(parse_overrides(""), Ok(Overrides::default()));
    }
}
