//! Plan stage, pipeline-class verification (knowledge §0/§1.3): the class comes from the base
//! model's own card when it shows one for the task; the LoRA card's own (non-auto) class is
//! accepted when the family lists it for the task; otherwise the knowledge table, with a note.

use crate::lora::profile::{Source, Sourced, Task};
use crate::lora::snippet;
use crate::space::knowledge::{Family, Knowledge};

/// The verified class and any note about how it was chosen.
#[derive(Debug, Clone, PartialEq)]
pub struct Verified {
    /// The class, with evidence.
    pub class: Sourced<String>,
    /// Disagreements or fallbacks worth telling the user.
    pub note: Option<String>,
}

/// Picks the pipeline class for `task` on `family` (or an unsupported base, `family = None`).
pub fn pipeline_class(
    k: &Knowledge,
    family: Option<&Family>,
    task: Task,
    lora_card_class: Option<&str>,
    base_card: Option<&str>,
) -> Option<Verified> {
    let base_classes = base_card.map(|c| snippet::pipeline_classes(&snippet::python_code(c))).unwrap_or_default();
    let Some(f) = family else {
        // Unsupported family: only the base card can say.
        return base_classes.first().filter(|c| k.is_known_class(c)).map(|c| Verified {
            class: Sourced::new(c.clone(), Source::BaseCard, format!("{c} in the base model's card")),
            note: None,
        });
    };
    let table = f.classes_for(task);
    if let Some(c) = lora_card_class.filter(|c| table.iter().any(|t| t == c)) {
        let note = (!base_classes.is_empty() && !base_classes.iter().any(|b| b == c))
            .then(|| format!("the LoRA card uses {c}; the base card shows {}", base_classes.join(", ")));
        return Some(Verified {
            class: Sourced::new(
                c.to_owned(),
                Source::CardSnippet,
                format!("{c} in the LoRA card's snippet, listed for {task}"),
            ),
            note,
        });
    }
    if let Some(c) = table.iter().find(|t| base_classes.contains(t)) {
        return Some(Verified {
            class: Sourced::new(c.clone(), Source::BaseCard, format!("{c} in {}'s card", f.repo)),
            note: None,
        });
    }
    let default = table.first()?;
    let note = match (base_card, base_classes.as_slice()) {
        (None, _) => format!("base model card unavailable: {default} taken from the knowledge table, not verified"),
        (Some(_), []) => {
            format!("base model card shows no diffusers pipeline class: {default} taken from the knowledge table")
        }
        (Some(_), shown) => {
            format!("base model card shows {} (not a {task} class in the table): kept {default}", shown.join(", "))
        }
    };
    Some(Verified {
        class: Sourced::new(
            default.clone(),
            Source::BaseDefault,
            format!("knowledge table class for {} {task}", f.name),
        ),
        note: Some(note),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::space::knowledge::knowledge;

    fn pick(family: &str, task: Task, lora_class: Option<&str>, base_card: Option<&str>) -> (String, Source, bool) {
        let k = knowledge();
        let v = pipeline_class(k, k.family(family), task, lora_class, base_card).expect("a class");
        (v.class.value, v.class.evidence.source, v.note.is_some())
    }

    #[test]
    fn class_from_the_base_card_is_verified() {
        let card = "```python\nfrom diffusers import QwenImageEditPlusPipeline\n```\n";
        assert_eq!(
            pick("qwen-image-edit-2509", Task::ImageToImage, None, Some(card)),
            ("QwenImageEditPlusPipeline".into(), Source::BaseCard, false)
        );
    }

    #[test]
    fn auto_class_on_the_base_card_falls_back_to_the_table_with_a_note() {
        let card = "```python\nfrom diffusers import DiffusionPipeline\n```\n";
        assert_eq!(
            pick("qwen-image", Task::TextToImage, None, Some(card)),
            ("QwenImagePipeline".into(), Source::BaseDefault, true)
        );
    }

    #[test]
    fn lora_card_class_listed_for_the_task_wins() {
        let card = "```python\nfrom diffusers import LTXPipeline, LTXImageToVideoPipeline\n```\n";
        assert_eq!(
            pick("ltx-video-0.9.5", Task::ImageToVideo, Some("LTXConditionPipeline"), Some(card)).0,
            "LTXConditionPipeline"
        );
    }

    #[test]
    fn missing_base_card_is_noted() {
        assert_eq!(pick("flux-dev", Task::TextToImage, None, None), ("FluxPipeline".into(), Source::BaseDefault, true));
    }
}
