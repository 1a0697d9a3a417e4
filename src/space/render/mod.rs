//! The render stage: a [`SpacePlan`] → the Space files `app.py`, `requirements.txt` and
//! `README.md`. Code is written by [`app`] and [`call`] from fixed fragments; every value from
//! the plan enters Python through [`crate::space::pyliteral`].

pub mod app;
pub mod call;
pub mod inputs;
pub mod readme;
pub mod requirements;

use std::collections::BTreeMap;

use crate::space::plan::{PromptPlan, SpacePlan};
use crate::space::pyparse::PyParseError;

/// Markdown-escapes prose so it renders as text (no links, images, HTML or emphasis).
pub fn md_text(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') {
            out.push(' ');
        } else {
            if "\\`*_{}[]()<>#!|~".contains(c) {
                out.push('\\');
            }
            out.push(c);
        }
    }
    out
}

/// The one-paragraph introduction shared by the UI header and the README body.
pub fn intro_markdown(plan: &SpacePlan) -> String {
    let mut text = format!(
        "Demo of the [{lora}](https://huggingface.co/{lora}) LoRA ({task}) on [{base}](https://huggingface.co/{base}).",
        lora = plan.lora,
        base = plan.base_model,
        task = plan.task
    );
    if let Some(sub) = &plan.sub_task {
        text.push(' ');
        text.push_str(&md_text(sub));
    }
    text
}

/// The Markdown shown at the top of the UI.
pub fn header_markdown(plan: &SpacePlan) -> String {
    let mut text = format!("# {}\n\n{}", plan.readme.title, intro_markdown(plan));
    match &plan.prompt {
        PromptPlan::Free { trigger: Some(t) } => {
            text.push_str(&format!("\n\nThe trigger {} is added to your prompt automatically.", readme::md_code(t)));
        }
        PromptPlan::FixedInstruction { instruction } => {
            text.push_str(&format!(
                "\n\nThe instruction {} is sent for you; add optional extra direction.",
                readme::md_code(instruction)
            ));
        }
        PromptPlan::Template { template } => {
            text.push_str(&format!(
                "\n\nYour text fills the card's template {}.",
                readme::md_code(&template.display())
            ));
        }
        PromptPlan::Free { trigger: None } => {}
    }
    if plan.task.outputs_video() {
        text.push_str("\n\nVideo generation takes a few minutes.");
    }
    text
}

/// Renders all three files.
pub fn render(
    plan: &SpacePlan,
    sdk_version: &str,
    python_version: &str,
) -> Result<BTreeMap<String, String>, PyParseError> {
    let app = app::render_app(plan);
    let requirements = requirements::render_requirements(plan, &app)?;
    let readme = readme::render_readme(plan, sdk_version, python_version);
    Ok(BTreeMap::from([
        ("app.py".to_owned(), app),
        ("requirements.txt".to_owned(), requirements),
        ("README.md".to_owned(), readme),
    ]))
}
