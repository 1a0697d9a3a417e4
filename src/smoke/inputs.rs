//! The inputs of one inference call, built from an endpoint's `/info` entry: a given prompt
//! for the first text parameter, then each parameter's default, else Gradio's example input
//! (for file components, a URL the app downloads itself).

use serde_json::{Value, json};

use super::gradio::{Endpoint, Parameter};

fn is_text(p: &Parameter) -> bool {
    p.component.as_deref() == Some("Textbox")
}

fn is_file(p: &Parameter) -> bool {
    p.schema.get("properties").and_then(|props| props.get("path")).is_some()
        || matches!(p.component.as_deref(), Some("Image" | "Video" | "File" | "Audio" | "Gallery"))
}

/// Whether the endpoint takes an image or video input (an image-to-X demo).
pub fn takes_media(ep: &Endpoint) -> bool {
    ep.parameters.iter().any(is_file)
}

/// The positional inputs of a call with `prompt` (when given) as the first text input.
pub fn build(ep: &Endpoint, prompt: Option<&str>) -> Vec<Value> {
    let mut prompt = prompt;
    ep.parameters
        .iter()
        .map(|p| {
            if is_text(p) {
                if let Some(text) = prompt.take() {
                    return json!(text);
                }
            }
            if is_file(p) {
                return match &p.example_input {
                    Value::Object(_) => p.example_input.clone(),
                    Value::String(url) => json!({ "path": url, "url": url, "meta": { "_type": "gradio.FileData" } }),
                    _ => Value::Null,
                };
            }
            if p.parameter_has_default { p.parameter_default.clone() } else { p.example_input.clone() }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoint(v: Value) -> Endpoint {
        serde_json::from_value(v).expect("endpoint")
    }

    #[test]
    fn the_prompt_fills_the_first_textbox_and_defaults_fill_the_rest() {
        let ep = endpoint(json!({ "parameters": [
            { "parameter_name": "text", "component": "Textbox", "type": {"type": "string"}, "example_input": "Hello!!" },
            { "parameter_name": "negative", "component": "Textbox", "parameter_has_default": true, "parameter_default": "", "type": {"type": "string"} },
            { "parameter_name": "seed", "component": "Slider", "parameter_has_default": true, "parameter_default": 0, "type": {"type": "number"}, "example_input": 3 },
        ] }));
        assert_eq!(build(&ep, Some("a corgi")), vec![json!("a corgi"), json!(""), json!(0)]);
        assert_eq!(build(&ep, None)[0], json!("Hello!!"));
        assert!(!takes_media(&ep));
    }

    #[test]
    fn a_file_input_gets_its_example_url_as_file_data() {
        let ep = endpoint(json!({ "parameters": [
            { "parameter_name": "image", "component": "Image", "type": {"properties": {"path": {"type": "string"}}},
              "example_input": { "path": "https://example.com/bus.png", "meta": {"_type": "gradio.FileData"} } },
        ] }));
        assert_eq!(build(&ep, Some("x"))[0]["path"], json!("https://example.com/bus.png"));
        assert!(takes_media(&ep));
    }
}
