//! The inputs of one inference call, built from an endpoint's `/info` entry: a given prompt
//! for the first text parameter, then each parameter's default, else Gradio's example input
//! (for file components, a URL the app downloads itself).

use serde_json::{Value, json};

use std::collections::BTreeMap;

use super::gradio::{Endpoint, GradioConfig, Parameter};

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
            if is_text(p)
                && let Some(text) = prompt.take() {
                    return json!(text);
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

/// The examples the app declares for endpoint `api` (`gr.Examples` → `dataset` components in
/// `/config`): one map per example row, from input position to value. Only the inputs the
/// example sets are in the map.
pub fn examples(config: &GradioConfig, api: &str) -> Vec<BTreeMap<usize, Value>> {
    let name = api.trim_start_matches('/');
    let ids = |v: &Value| -> Vec<i64> { v.as_array().map(|a| a.iter().filter_map(Value::as_i64).collect()).unwrap_or_default() };
    let Some(inputs) = config.dependencies.iter().find(|d| d.get("api_name").and_then(Value::as_str) == Some(name)).map(|d| ids(&d["inputs"])) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for ds in config.components.iter().filter(|c| c.get("type").and_then(Value::as_str) == Some("dataset")) {
        let targets = ids(&ds["props"]["component_ids"]);
        let Some(rows) = ds["props"]["samples"].as_array() else { continue };
        for row in rows.iter().filter_map(Value::as_array) {
            let case: BTreeMap<usize, Value> = targets
                .iter()
                .zip(row)
                .filter_map(|(id, v)| Some((inputs.iter().position(|i| i == id)?, v.clone())))
                .collect();
            if !case.is_empty() {
                out.push(case);
            }
        }
    }
    out
}

/// The positional inputs of a call with an example's values over the defaults. File inputs
/// keep Gradio's example input (example files are paths on the app's own disk).
pub fn build_example(ep: &Endpoint, example: &BTreeMap<usize, Value>) -> Vec<Value> {
    let mut args = build(ep, None);
    for (i, v) in example {
        if let (Some(slot), Some(p)) = (args.get_mut(*i), ep.parameters.get(*i))
            && !is_file(p) {
                *slot = v.clone();
            }
    }
    args
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
    fn example_rows_map_onto_the_endpoint_inputs_by_component_id() {
        let config: GradioConfig = serde_json::from_value(json!({
            "components": [{ "id": 16, "type": "dataset", "props": { "component_ids": [4], "samples": [["a corgi"], ["a cat"]] } }],
            "dependencies": [{ "api_name": "load_example", "inputs": [16] }, { "api_name": "generate", "inputs": [3, 4, 5] }],
        }))
        .expect("config");
        let cases = examples(&config, "/generate");
        assert_eq!(cases, vec![BTreeMap::from([(1, json!("a corgi"))]), BTreeMap::from([(1, json!("a cat"))])]);
        assert!(examples(&config, "/other").is_empty());
        let ep = endpoint(json!({ "parameters": [
            { "parameter_name": "image", "component": "Image", "type": {"properties": {"path": {}}}, "example_input": "https://x/bus.png" },
            { "parameter_name": "text", "component": "Textbox", "type": {"type": "string"}, "example_input": "Hello!!" },
            { "parameter_name": "seed", "component": "Slider", "parameter_has_default": true, "parameter_default": 0 },
        ] }));
        let args = build_example(&ep, &cases[0]);
        assert_eq!((args[0]["path"].clone(), args[1].clone(), args[2].clone()), (json!("https://x/bus.png"), json!("a corgi"), json!(0)));
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
