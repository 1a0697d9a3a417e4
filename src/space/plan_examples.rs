//! Plan stage, examples: turns the profile's example prompts and media into `gr.Examples`
//! rows holding only what the user varies (the placeholder value for a template, the extra
//! direction for a fixed instruction, the full prompt otherwise).

use serde::{Deserialize, Serialize};

use super::plan::PromptPlan;
use crate::lora::examples::subject_from_filename;
use crate::lora::profile::{LoraProfile, Task};

/// One `gr.Examples` row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExampleRow {
    /// Input media path in the LoRA repo (image or video tasks).
    pub media: Option<String>,
    /// The text input's value.
    pub text: String,
}

/// The text the user would type for a full example prompt, under a prompt plan.
pub fn user_text(prompt: &PromptPlan, full: &str) -> Option<String> {
    match prompt {
        PromptPlan::Free { .. } => Some(full.to_owned()),
        PromptPlan::Template { template } => {
            let inner = full.strip_prefix(template.prefix.as_str())?.strip_suffix(template.suffix.as_str())?;
            (!inner.trim().is_empty()).then(|| inner.trim().to_owned())
        }
        PromptPlan::FixedInstruction { instruction } => {
            let rest = full.strip_prefix(instruction.as_str())?;
            Some(rest.trim_start_matches([',', ';', ' ']).trim().to_owned())
        }
    }
}

/// Rows for `gr.Examples`.
pub fn example_rows(profile: &LoraProfile, prompt: &PromptPlan, task: Task) -> Vec<ExampleRow> {
    let texts: Vec<String> = profile.examples.value.iter().filter_map(|e| user_text(prompt, e)).collect();
    let needs_media = task.needs_image() || task == Task::VideoToVideo;
    if !needs_media {
        return texts.into_iter().filter(|t| !t.is_empty()).map(|text| ExampleRow { media: None, text }).collect();
    }
    profile
        .example_media
        .iter()
        .enumerate()
        .filter_map(|(i, media)| {
            let text = match (texts.get(i), prompt) {
                (Some(t), _) => t.clone(),
                (None, PromptPlan::Template { .. }) => subject_from_filename(media),
                (None, PromptPlan::FixedInstruction { .. }) => String::new(),
                // A free prompt is required: reuse a card prompt, else the trigger, else no row.
                (None, PromptPlan::Free { trigger }) => texts.first().or(trigger.as_ref()).cloned()?,
            };
            Some(ExampleRow { media: Some(media.clone()), text })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lora::profile::PromptTemplate;

    #[test]
    fn template_examples_keep_only_the_placeholder_value() {
        let plan = PromptPlan::Template {
            template: PromptTemplate {
                prefix: "The video shows a ".into(),
                placeholder: "subject".into(),
                suffix: " rotating.".into(),
            },
        };
        assert_eq!(user_text(&plan, "The video shows a red teapot rotating.").as_deref(), Some("red teapot"));
        assert_eq!(user_text(&plan, "something else"), None);
    }

    #[test]
    fn fixed_instruction_examples_keep_the_extra_direction() {
        let plan = PromptPlan::FixedInstruction { instruction: "Relight this photo".into() };
        assert_eq!(user_text(&plan, "Relight this photo, lens flare").as_deref(), Some("lens flare"));
        assert_eq!(user_text(&plan, "Relight this photo").as_deref(), Some(""));
    }
}
