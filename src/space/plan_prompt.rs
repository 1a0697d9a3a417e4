//! Plan stage, prompt handling: how the user's text becomes the pipeline prompt — a card
//! template the user fills, a fixed instruction (edit LoRAs with a sentence-long trigger) the
//! user may extend, or a free prompt with the trigger (joined when there are several) prepended.

use serde::{Deserialize, Serialize};

use super::trigger_join;
use crate::lora::profile::{LoraProfile, PromptTemplate, Task};

/// How the user's text becomes the pipeline prompt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum PromptPlan {
    /// A free prompt; the trigger (if any) is prepended unless already present.
    Free {
        /// The trigger to prepend.
        trigger: Option<String>,
    },
    /// A fixed template; the user fills one placeholder.
    Template {
        /// The template.
        template: PromptTemplate,
    },
    /// A fixed instruction (edit LoRAs); the user may append extra direction.
    FixedInstruction {
        /// The instruction.
        instruction: String,
    },
}

pub(super) fn prompt_plan(profile: &LoraProfile, task: Task) -> PromptPlan {
    if let Some(t) = &profile.prompt_template {
        return PromptPlan::Template { template: t.value.clone() };
    }
    let trigger = match profile.triggers() {
        [] => None,
        [one] => Some(one.clone()),
        many => Some(trigger_join::join_triggers(many, &profile.examples.value)),
    };
    match trigger {
        Some(t) if task.needs_image() && t.split_whitespace().count() >= 3 => {
            PromptPlan::FixedInstruction { instruction: t }
        }
        other => PromptPlan::Free { trigger: other },
    }
}
