//! Render stage, the UI inputs of `app.py`: one [`Input`] per parameter of the bound
//! `generate` function, in call order — the Gradio component that feeds it, its default and
//! whether `gr.Examples` rows carry it.

use crate::space::plan::{PromptPlan, SpacePlan};
use crate::space::pyliteral::{py_float, py_int, py_str};

/// One parameter of `generate` and its component.
#[derive(Debug, Clone, PartialEq)]
pub struct Input {
    /// Python parameter / component variable name.
    pub name: &'static str,
    /// Type annotation.
    pub annotation: &'static str,
    /// Default expression; `None` for the leading inputs example rows provide.
    pub default: Option<String>,
    /// The component constructor expression.
    pub component: String,
    /// Lives in the closed "Advanced" accordion.
    pub advanced: bool,
}

fn input(
    name: &'static str,
    annotation: &'static str,
    default: Option<String>,
    component: String,
    advanced: bool,
) -> Input {
    Input { name, annotation, default, component, advanced }
}

/// Label and placeholder of the text box for a prompt plan.
fn text_box(plan: &SpacePlan) -> (String, bool) {
    let video = plan.task.outputs_video();
    match &plan.prompt {
        PromptPlan::Template { template } => (
            format!("gr.Textbox(label={}, placeholder=\"e.g. a red vintage car\", lines=1)", py_str(&capitalize(&template.placeholder))),
            true,
        ),
        PromptPlan::FixedInstruction { .. } => (
            "gr.Textbox(label=\"Extra direction (optional)\", placeholder=\"e.g. warmer light from the left\", lines=1)".to_owned(),
            false,
        ),
        PromptPlan::Free { .. } if plan.task.needs_image() && !video => (
            "gr.Textbox(label=\"Instruction\", placeholder=\"Describe the edit\", lines=2)".to_owned(),
            true,
        ),
        PromptPlan::Free { .. } if video => ("gr.Textbox(label=\"Prompt\", placeholder=\"Describe the motion and the scene\", lines=2)".to_owned(), true),
        PromptPlan::Free { .. } => ("gr.Textbox(label=\"Prompt\", placeholder=\"Describe the image\", lines=2)".to_owned(), true),
    }
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    c.next().map_or(String::new(), |f| f.to_uppercase().chain(c).collect())
}

/// Whether the text input must be non-empty.
pub fn text_required(plan: &SpacePlan) -> bool {
    text_box(plan).1
}

/// The media input, if the task takes one.
pub fn media_input(plan: &SpacePlan) -> Option<Input> {
    if plan.task.needs_image() {
        Some(input("image", "Image.Image", None, "gr.Image(label=\"Input image\", type=\"pil\")".into(), false))
    } else if plan.shape.video.is_some()
        && !plan.task.needs_image()
        && plan.task == crate::lora::profile::Task::VideoToVideo
    {
        Some(input("video", "str", None, "gr.Video(label=\"Input video\")".into(), false))
    } else {
        None
    }
}

/// All inputs, in `generate`'s parameter order.
pub fn inputs(plan: &SpacePlan) -> Vec<Input> {
    let mut out: Vec<Input> = media_input(plan).into_iter().collect();
    out.push(input("text", "str", None, text_box(plan).0, false));
    if plan.second_image {
        let component = "gr.Image(label=\"Second image (optional)\", type=\"pil\")".to_owned();
        out.push(input("image_2", "Image.Image | None", Some("None".into()), component, false));
    }
    let sized_by_input = plan.task.needs_image() || plan.task == crate::lora::profile::Task::VideoToVideo;
    if !sized_by_input && plan.aspect_presets.len() > 1 {
        out.push(input(
            "aspect_ratio",
            "str",
            Some("DEFAULT_ASPECT".into()),
            "gr.Dropdown(label=\"Aspect ratio\", choices=list(ASPECT_RATIOS), value=DEFAULT_ASPECT)".into(),
            false,
        ));
    }
    if let Some(v) = &plan.video {
        let component = format!(
            "gr.Slider(label=\"Duration (seconds)\", minimum=1.0, maximum={}, step=0.1, value=DEFAULT_SECONDS)",
            py_float(v.max_seconds)
        );
        out.push(input("duration", "float", Some("DEFAULT_SECONDS".into()), component, false));
    }
    if plan.show_negative {
        out.push(input(
            "negative_prompt",
            "str",
            Some("NEGATIVE_PROMPT".into()),
            "gr.Textbox(label=\"Negative prompt\", value=NEGATIVE_PROMPT, lines=2)".into(),
            true,
        ));
    }
    out.push(input(
        "seed",
        "int",
        Some("0".into()),
        "gr.Slider(label=\"Seed\", minimum=0, maximum=MAX_SEED, step=1, value=0)".into(),
        true,
    ));
    out.push(input(
        "randomize_seed",
        "bool",
        Some("True".into()),
        "gr.Checkbox(label=\"Randomize seed\", value=True)".into(),
        true,
    ));
    if !plan.lock_steps {
        let max_steps = (plan.steps * 2).max(50);
        out.push(input(
            "steps",
            "int",
            Some("DEFAULT_STEPS".into()),
            format!(
                "gr.Slider(label=\"Steps\", minimum={}, maximum={}, step=1, value=DEFAULT_STEPS)",
                py_int(plan.min_steps.min(plan.steps)),
                py_int(max_steps)
            ),
            true,
        ));
    }
    if !plan.lock_steps && plan.pass_guidance {
        let max_g = (plan.guidance * 2.0).max(10.0).ceil();
        let label = match plan.guidance_param {
            crate::lora::profile::GuidanceParam::TrueCfgScale => "True CFG scale",
            crate::lora::profile::GuidanceParam::GuidanceScale => "Guidance scale",
        };
        out.push(input(
            "guidance",
            "float",
            Some("DEFAULT_GUIDANCE".into()),
            format!(
                "gr.Slider(label=\"{label}\", minimum=0.0, maximum={}, step=0.1, value=DEFAULT_GUIDANCE)",
                py_float(max_g)
            ),
            true,
        ));
    }
    if let Some((lo, hi)) = plan.scale_slider {
        let (lo, hi) = ((lo - 0.2).max(0.0), (hi + 0.2).min(2.0));
        out.push(input(
            "lora_scale",
            "float",
            Some("LORA_SCALE".into()),
            format!(
                "gr.Slider(label=\"LoRA scale\", minimum={}, maximum={}, step=0.05, value=LORA_SCALE)",
                py_float(lo),
                py_float(hi)
            ),
            true,
        ));
    }
    out
}
