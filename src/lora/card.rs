//! First step of the analyze stage: split a model card into its YAML frontmatter and its
//! Markdown body, and read the few frontmatter keys the analysis uses. Malformed YAML never
//! fails the stage: the body is kept and a note records the problem.

use serde_norway::Value;

use super::entities;

/// The frontmatter keys the analysis reads, leniently typed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Frontmatter {
    /// `base_model` (a string or a list).
    pub base_model: Vec<String>,
    /// `pipeline_tag`.
    pub pipeline_tag: Option<String>,
    /// `instance_prompt` (DreamBooth scripts, ai-toolkit).
    pub instance_prompt: Option<String>,
    /// `tags`.
    pub tags: Vec<String>,
    /// `widget[].text` prompts, in order.
    pub widget_texts: Vec<String>,
    /// `widget[].output.url` files, in order.
    pub widget_outputs: Vec<String>,
    /// Numeric `widget[].parameters` values, first occurrence of each key.
    pub widget_parameters: Vec<(String, f64)>,
    /// `license`.
    pub license: Option<String>,
    /// `license_name` (the licence's id when `license: other`).
    pub license_name: Option<String>,
    /// `license_link` (a URL or a file of the repo).
    pub license_link: Option<String>,
}

/// A model card split into frontmatter and body.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Card {
    /// Parsed frontmatter (empty when absent or malformed).
    pub front: Frontmatter,
    /// The Markdown body.
    pub body: String,
    /// Problems met while splitting (malformed YAML, unterminated frontmatter).
    pub notes: Vec<String>,
}

/// Splits `text` into frontmatter and body; the body's HTML character references are decoded.
pub fn split(text: &str) -> Card {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let Some((yaml, body)) = split_raw(text) else {
        return Card { body: entities::decode(text), ..Card::default() };
    };
    match serde_norway::from_str::<Value>(yaml) {
        Ok(value) => Card { front: read_frontmatter(&value), body: entities::decode(body), notes: vec![] },
        Err(err) => Card {
            front: Frontmatter::default(),
            body: entities::decode(body),
            notes: vec![format!("card frontmatter is not valid YAML and was ignored: {err}")],
        },
    }
}

/// Returns `(yaml, body)` when the text starts with a `---` fenced block. Blank lines before
/// the opening fence are skipped: old DreamBooth / AutoTrain card templates start with one, and
/// the Hub still reads their YAML.
fn split_raw(text: &str) -> Option<(&str, &str)> {
    let text = text.trim_start_matches(['\n', '\r', ' ', '\t']);
    let first_end = text.find('\n')?;
    if text[..first_end].trim_end() != "---" {
        return None;
    }
    let rest = &text[first_end + 1..];
    let mut offset = 0;
    for line in rest.split_inclusive('\n') {
        if line.trim_end() == "---" {
            return Some((&rest[..offset], &rest[offset + line.len()..]));
        }
        offset += line.len();
    }
    None
}

fn read_frontmatter(value: &Value) -> Frontmatter {
    let widgets = value.get("widget").and_then(Value::as_sequence).cloned().unwrap_or_default();
    Frontmatter {
        base_model: string_or_list(value.get("base_model")),
        pipeline_tag: scalar(value.get("pipeline_tag")),
        instance_prompt: scalar(value.get("instance_prompt")),
        tags: string_or_list(value.get("tags")),
        widget_texts: widgets.iter().filter_map(|w| scalar(w.get("text"))).collect(),
        widget_outputs: widgets.iter().filter_map(|w| scalar(w.get("output").and_then(|o| o.get("url")))).collect(),
        widget_parameters: widget_parameters(&widgets),
        license: scalar(value.get("license")),
        license_name: scalar(value.get("license_name")),
        license_link: scalar(value.get("license_link")),
    }
}

fn widget_parameters(widgets: &[Value]) -> Vec<(String, f64)> {
    let mut out: Vec<(String, f64)> = Vec::new();
    for params in widgets.iter().filter_map(|w| w.get("parameters")).filter_map(Value::as_mapping) {
        for (k, v) in params {
            let (Some(key), Some(num)) = (k.as_str(), v.as_f64()) else { continue };
            if !out.iter().any(|(existing, _)| existing == key) {
                out.push((key.to_owned(), num));
            }
        }
    }
    out
}

/// A scalar rendered as a trimmed string; empty and `null` become `None`.
fn scalar(value: Option<&Value>) -> Option<String> {
    let text = match value? {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => return None,
    };
    let text = text.trim().to_owned();
    (!text.is_empty()).then_some(text)
}

fn string_or_list(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::Sequence(items)) => items.iter().filter_map(|v| scalar(Some(v))).collect(),
        other => scalar(other).into_iter().collect(),
    }
}

/// The card's first level-1 Markdown heading (`# Pixel Art LoRA`), verbatim and trimmed;
/// fenced code is skipped. The plan stage cleans it before it becomes a README title.
pub fn heading(body: &str) -> Option<String> {
    let mut fenced = false;
    for line in body.lines() {
        let t = line.trim_start();
        if t.starts_with("```") || t.starts_with("~~~") {
            fenced = !fenced;
        } else if let Some(h) = t.strip_prefix("# ").filter(|_| !fenced) {
            let h = h.trim().trim_end_matches('#').trim();
            if !h.is_empty() {
                return Some(h.to_owned());
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frontmatter_and_body_are_split_at_the_closing_fence() {
        let card = split("---\nbase_model: a/b\ntags:\n- lora\n---\n# Title\nbody\n");
        assert_eq!(card.front.base_model, vec!["a/b"]);
        assert_eq!(card.front.tags, vec!["lora"]);
        assert_eq!(card.body, "# Title\nbody\n");
        assert!(card.notes.is_empty());
    }

    #[test]
    fn card_without_frontmatter_is_all_body() {
        let card = split("# my lora\ntrained on my cat\n");
        assert_eq!(card.front, Frontmatter::default());
        assert_eq!(card.body, "# my lora\ntrained on my cat\n");
    }

    #[test]
    fn malformed_yaml_keeps_the_body_and_records_a_note() {
        let card = split("---\nbase_model: [unclosed\n  : :\n---\nbody text\n");
        assert_eq!(card.body, "body text\n");
        assert_eq!(card.front, Frontmatter::default());
        assert_eq!(card.notes.len(), 1);
        assert!(card.notes[0].contains("not valid YAML"));
    }

    #[test]
    fn unterminated_frontmatter_is_treated_as_body() {
        let card = split("---\nbase_model: a/b\nno closing fence\n");
        assert!(card.front.base_model.is_empty());
        assert!(card.body.contains("no closing fence"));
    }

    #[test]
    fn widget_texts_outputs_and_parameters_are_read_in_order() {
        let yaml = "---\nwidget:\n- text: one\n  output:\n    url: a.png\n  parameters:\n    \
                    num_inference_steps: 20\n- text: two\n---\n";
        let card = split(yaml);
        assert_eq!(card.front.widget_texts, vec!["one", "two"]);
        assert_eq!(card.front.widget_outputs, vec!["a.png"]);
        assert_eq!(card.front.widget_parameters, vec![("num_inference_steps".to_owned(), 20.0)]);
    }

    #[test]
    fn blank_lines_before_the_opening_fence_still_give_the_yaml() {
        // The AutoTrain SDXL DreamBooth card template (arimiche/1000steps_original) starts "\n---".
        let card = split("\n---\ntags:\n- autotrain\nbase_model: stabilityai/stable-diffusion-xl-base-1.0\ninstance_prompt: An image of UnicornGirl\n---\n    \n# AutoTrain SDXL LoRA DreamBooth\n");
        assert_eq!(card.front.base_model, vec!["stabilityai/stable-diffusion-xl-base-1.0"]);
        assert_eq!(card.front.instance_prompt.as_deref(), Some("An image of UnicornGirl"));
        assert!(card.body.contains("# AutoTrain SDXL LoRA DreamBooth"));
    }

    #[test]
    fn base_model_list_and_crlf_fences_are_accepted() {
        let card = split("---\r\nbase_model:\r\n- x/y\r\n- z/w\r\n---\r\nbody");
        assert_eq!(card.front.base_model, vec!["x/y", "z/w"]);
        assert_eq!(card.body, "body");
    }
}
