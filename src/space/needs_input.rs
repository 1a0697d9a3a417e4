//! When the profile cannot be turned into a Space: the text of the Hub discussion that asks
//! the LoRA owner, once and batched, for what is missing — with the exact `lora-space.toml`
//! lines that would settle each question.

use serde::{Deserialize, Serialize};

use crate::lora::profile::{LoraProfile, MissingField};
use crate::space::overrides::OVERRIDES_FILE;
use crate::space::render::readme::md_code;

/// A discussion asking for input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NeedsInput {
    /// Questions, one per missing item.
    pub missing: Vec<String>,
    /// Discussion title.
    pub title: String,
    /// Discussion body (Markdown).
    pub body_markdown: String,
}

/// The `lora-space.toml` lines that answer a missing item (as a TOML example).
fn toml_lines(field: MissingField, p: &LoraProfile) -> Vec<String> {
    match field {
        // A known base of an unsupported family: naming it again would settle nothing.
        MissingField::UnsupportedBaseFamily if p.family.is_none() => vec![
            "# only if the card names the wrong base: the supported base it was trained on, e.g.".into(),
            "# base_model = \"stabilityai/stable-diffusion-xl-base-1.0\"".into(),
        ],
        MissingField::BaseModel | MissingField::AmbiguousBaseModel | MissingField::UnsupportedBaseFamily => {
            let example = p.base_model.as_ref().map_or("black-forest-labs/FLUX.1-dev", |b| b.value.as_str());
            vec![format!("base_model = {}  # the diffusers repo it was trained on", toml_string(example))]
        }
        MissingField::Task => {
            vec!["task = \"text-to-image\"  # or image-to-image, text-to-video, image-to-video, video-to-video".into()]
        }
        MissingField::WeightsFile => match p.weight_candidates.as_slice() {
            [] => vec!["weights_file = \"my_lora.safetensors\"  # path of the weights file in the LoRA repo".into()],
            [first, rest @ ..] => {
                let mut lines = vec![format!("weights_file = {}", toml_string(first))];
                lines.extend(rest.iter().map(|c| format!("# weights_file = {}", toml_string(c))));
                lines
            }
        },
        MissingField::Recipe => vec!["steps = 28".into(), "guidance = 3.5".into()],
        MissingField::CustomPipeline => {
            let example = p.base_model.as_ref().map_or("black-forest-labs/FLUX.1-dev", |b| b.value.as_str());
            vec![
                "# only if the LoRA also loads with diffusers' load_lora_weights:".into(),
                format!("base_model = {}  # the diffusers repo it was trained on", toml_string(example)),
            ]
        }
    }
}

/// A TOML basic string (same escaping rules as JSON for what we emit).
fn toml_string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_owned())
}

/// Builds the discussion for a profile that needs input.
pub fn needs_input(p: &LoraProfile) -> NeedsInput {
    let missing: Vec<String> = p.missing.iter().map(|m| m.question.clone()).collect();
    let mut body = vec![
        format!(
            "lora-space-bot could not generate the demo Space for [{lora}](https://huggingface.co/{lora}) from its model card alone.",
            lora = p.lora
        ),
        String::new(),
        "**What is missing** (answer once; nothing is guessed):".to_owned(),
        String::new(),
    ];
    for (i, m) in p.missing.iter().enumerate() {
        let marker = if m.blocking { "" } else { " *(optional)*" };
        body.push(format!("{}. {}{marker}", i + 1, crate::space::render::md_text(&m.question)));
    }
    body.extend(known_values(p));
    body.push(String::new());
    body.push(format!("Add a `{OVERRIDES_FILE}` file to the Space repo with the lines that apply, for example:"));
    body.push(String::new());
    body.push("```toml".to_owned());
    let mut seen = Vec::new();
    for m in &p.missing {
        for line in toml_lines(m.field, p) {
            if !seen.contains(&line) {
                body.push(line.clone());
                seen.push(line);
            }
        }
    }
    body.push("```".to_owned());
    body.push(String::new());
    body.push("The bot regenerates the Space as soon as the file is committed or the LoRA changes.".to_owned());
    NeedsInput {
        missing,
        title: format!("Input needed to build the demo for {}", p.lora),
        body_markdown: body.join("\n") + "\n",
    }
}

fn known_values(p: &LoraProfile) -> Vec<String> {
    let mut lines = Vec::new();
    if let Some(w) = &p.weight_name {
        lines.push(format!("- weights file: {}", md_code(&w.value)));
    }
    if !p.triggers().is_empty() {
        lines.push(format!("- trigger: {}", p.triggers().iter().map(|t| md_code(t)).collect::<Vec<_>>().join(", ")));
    }
    if p.lora_scale.evidence.source != crate::lora::profile::Source::Default {
        lines.push(format!("- LoRA scale: {}", p.lora_scale.value));
    }
    if lines.is_empty() {
        return lines;
    }
    let mut out = vec![String::new(), "**Already understood from the card:**".to_owned(), String::new()];
    out.extend(lines);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lora::{AnalyzeInput, analyze};

    #[test]
    fn alternatives_are_listed_as_ready_to_uncomment_toml_lines() {
        let lora = "me/lora".parse().expect("id");
        let files = vec!["a_v1.safetensors".to_owned(), "a_fp16.safetensors".to_owned()];
        let card = "---\nbase_model: Qwen/Qwen-Image\n---\n";
        let p = analyze(&AnalyzeInput { lora: &lora, card, files: &files, overrides: None });
        let n = needs_input(&p);
        assert!(
            n.body_markdown.contains("weights_file = \"a_v1.safetensors\"\n# weights_file = \"a_fp16.safetensors\"")
        );
        assert_eq!(n.missing.len(), 1);
        let toml: String = n
            .body_markdown
            .split("```toml\n")
            .nth(1)
            .and_then(|t| t.split("```").next())
            .unwrap_or_default()
            .to_owned();
        assert!(crate::space::overrides::parse_overrides(&toml).is_ok(), "suggested lines parse: {toml}");
    }

    #[test]
    fn an_unsupported_family_is_not_told_to_name_its_own_base_again() {
        let lora = "latent-consistency/lcm-lora-sdv1-5".parse().expect("id");
        let files = vec!["pytorch_lora_weights.safetensors".to_owned()];
        let p = analyze(&AnalyzeInput { lora: &lora, card: "---\nbase_model: runwayml/stable-diffusion-v1-5\n---\n", files: &files, overrides: None });
        let n = needs_input(&p);
        assert!(!n.body_markdown.contains("base_model = \"runwayml/stable-diffusion-v1-5\""), "{}", n.body_markdown);
        assert!(n.body_markdown.contains("loads only into the family it was trained on"), "{}", n.body_markdown);
        assert!(!n.body_markdown.contains("by analogy"), "{}", n.body_markdown);
    }
}
