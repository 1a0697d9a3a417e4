//! `app.py`'s helper functions: `build_prompt` (trigger, template or fixed instruction), and
//! when the plan needs them `fit_size`, `frames_for` and `example_file`.

use crate::lora::profile::Task;
use crate::space::plan::{PromptPlan, SpacePlan};
use crate::space::pyliteral::py_str;

pub(super) fn helpers(plan: &SpacePlan, out: &mut Vec<String>) {
    let body: Vec<String> = match &plan.prompt {
        PromptPlan::Free { .. } => vec![
            "    text = text.strip()".into(),
            "    if not TRIGGER or TRIGGER.lower() in text.lower():".into(),
            "        return text".into(),
            format!("    return TRIGGER + {} + text", py_str(&plan.trigger_separator)),
        ],
        PromptPlan::Template { .. } => vec!["    return PROMPT_PREFIX + text.strip() + PROMPT_SUFFIX".into()],
        PromptPlan::FixedInstruction { .. } => vec![
            "    extra = text.strip()".into(),
            "    return INSTRUCTION + \", \" + extra if extra else INSTRUCTION".into(),
        ],
    };
    out.push("def build_prompt(text: str) -> str:".into());
    out.push("    \"\"\"The pipeline prompt for the user's text (the trigger is added here).\"\"\"".into());
    out.extend(body);
    if plan.task.needs_image() || plan.task == Task::VideoToVideo {
        out.extend(FIT_SIZE.iter().map(|l| (*l).to_owned()));
    }
    if plan.video.is_some() {
        out.extend(FRAMES_FOR.iter().map(|l| (*l).to_owned()));
    }
    if plan.examples.iter().any(|e| e.media.is_some()) {
        out.extend(EXAMPLE_FILE.iter().map(|l| (*l).to_owned()));
    }
    out.push(String::new());
    out.push(String::new());
}

const FIT_SIZE: &[&str] = &[
    "",
    "",
    "def fit_size(image: Image.Image) -> tuple[int, int]:",
    "    \"\"\"Output size keeping the input's aspect, within MAX_AREA, snapped to MULTIPLE.\"\"\"",
    "    width, height = image.size",
    "    scale = (MAX_AREA / (width * height)) ** 0.5",
    "    width = max(MULTIPLE, int(width * scale) // MULTIPLE * MULTIPLE)",
    "    height = max(MULTIPLE, int(height * scale) // MULTIPLE * MULTIPLE)",
    "    return width, height",
];

const FRAMES_FOR: &[&str] = &[
    "",
    "",
    "def frames_for(seconds: float) -> int:",
    "    \"\"\"A valid frame count (FRAME_STEP * k + 1) for a clip length.\"\"\"",
    "    return max(1, (int(seconds * FPS) - 1) // FRAME_STEP) * FRAME_STEP + 1",
];

const EXAMPLE_FILE: &[&str] = &[
    "",
    "",
    "def example_file(path: str) -> str | None:",
    "    \"\"\"A local copy of an example input from the LoRA repo; None if it cannot be fetched.\"\"\"",
    "    try:",
    "        return hf_hub_download(repo_id=LORA_REPO, filename=path, token=HF_TOKEN)",
    "    except Exception:  # examples are optional: never fail the Space's startup over one",
    "        return None",
];

#[cfg(test)]
mod tests {
    use super::super::render_app;
    use crate::space::test_plan;

    #[test]
    fn the_trigger_joins_the_text_with_the_cards_separator() {
        let card = "---\nbase_model: black-forest-labs/FLUX.1-dev\ninstance_prompt: zk style\nwidget:\n- text: zk style, a corgi on a beach\n---\n";
        let plan = test_plan(card, &["lora.safetensors"]);
        assert_eq!(plan.trigger_separator, ", ");
        assert!(render_app(&plan).contains("return TRIGGER + \", \" + text"));
    }
}
