//! `app.py`'s Gradio UI: the header Markdown, the inputs (main and advanced), the output
//! component, examples (with input media fetched at start-up), the UI-only helpers and the one
//! `generate` API endpoint, and the launch.

use crate::lora::profile::Task;
use crate::space::plan::SpacePlan;
use crate::space::pyliteral::py_str;
use crate::space::render::header_markdown;
use crate::space::render::inputs::{inputs, media_input};

pub(super) fn ui(plan: &SpacePlan, out: &mut Vec<String>) {
    let all = inputs(plan);
    media_examples(plan, out);
    out.push(format!("HEADER = {}", py_str(&header_markdown(plan))));
    out.push("CSS = \".dark .gradio-container { color: var(--body-text-color); }\"".into());
    out.push(String::new());
    out.push("with gr.Blocks(title=HEADER.splitlines()[0].lstrip(\"# \")) as demo:".into());
    out.push("    gr.Markdown(HEADER)".into());
    out.push("    with gr.Row(equal_height=True):".into());
    out.push("        with gr.Column():".into());
    for i in all.iter().filter(|i| !i.advanced) {
        out.push(format!("            {} = {}", i.name, i.component));
    }
    let needs_media = media_input(plan).is_some();
    out.push(format!(
        "            run = gr.Button(\"Generate\", variant=\"primary\"{})",
        if needs_media { ", interactive=False" } else { "" }
    ));
    out.push("            with gr.Accordion(\"Advanced\", open=False):".into());
    for i in all.iter().filter(|i| i.advanced) {
        out.push(format!("                {} = {}", i.name, i.component));
    }
    out.push("        with gr.Column():".into());
    out.push(format!("            result = {}", output_component(plan)));
    if plan.chain_output {
        out.push("            reuse = gr.Button(\"Use result as the next input\")".into());
    }
    let names: Vec<&str> = all.iter().map(|i| i.name).collect();
    let outputs = "[result, seed]";
    examples(plan, out, outputs);
    if plan.chain_output {
        // UI-only helpers are not API endpoints (gradio 6 events.py: api_visibility="private").
        out.push("    reuse.click(lambda pair: pair[1] if pair else None, inputs=result, outputs=image, api_visibility=\"private\")".into());
    }
    if let Some(m) = media_input(plan) {
        out.push(format!(
            "    {}.change(lambda value: gr.Button(interactive=value is not None), inputs={}, outputs=run, api_visibility=\"private\")",
            m.name, m.name
        ));
    }
    out.push("    gr.on(".into());
    out.push("        triggers=[run.click, text.submit],".into());
    out.push("        fn=generate,".into());
    out.push(format!("        inputs=[{}],", names.join(", ")));
    out.push(format!("        outputs={outputs},"));
    out.push("        api_name=\"generate\",".into());
    out.push("    )".into());
    out.push(String::new());
    out.push("if __name__ == \"__main__\":".into());
    out.push("    demo.launch(theme=gr.themes.Citrus(), css=CSS)".into());
}

fn output_component(plan: &SpacePlan) -> &'static str {
    match plan.task {
        Task::TextToImage => "gr.Image(label=\"Result\", format=\"png\")",
        Task::ImageToImage => "gr.ImageSlider(label=\"Before / after\", type=\"pil\")",
        _ => "gr.Video(label=\"Result\", autoplay=True)",
    }
}

/// Example rows with input media: fetched at start-up, rows whose file is unavailable dropped.
fn media_examples(plan: &SpacePlan, out: &mut Vec<String>) {
    if media_input(plan).is_none() || plan.examples.is_empty() {
        return;
    }
    out.push("EXAMPLES = [".into());
    out.push("    row".into());
    out.push("    for row in [".into());
    for row in &plan.examples {
        let path = row.media.as_deref().unwrap_or("");
        out.push(format!("        [example_file({}), {}],", py_str(path), py_str(&row.text)));
    }
    out.push("    ]".into());
    out.push("    if row[0] is not None".into());
    out.push("]".into());
}

fn examples(plan: &SpacePlan, out: &mut Vec<String>, outputs: &str) {
    if plan.examples.is_empty() {
        return;
    }
    let (indent, inputs) = match media_input(plan) {
        Some(m) => {
            out.push("    if EXAMPLES:".into());
            ("        ", format!("[{}, text]", m.name))
        }
        None => ("    ", "[text]".to_owned()),
    };
    out.push(format!("{indent}gr.Examples("));
    if inputs == "[text]" {
        out.push(format!("{indent}    examples=["));
        for row in &plan.examples {
            out.push(format!("{indent}        [{}],", py_str(&row.text)));
        }
        out.push(format!("{indent}    ],"));
    } else {
        out.push(format!("{indent}    examples=EXAMPLES,"));
    }
    out.push(format!("{indent}    inputs={inputs},"));
    out.push(format!("{indent}    outputs={outputs},"));
    out.push(format!("{indent}    fn=generate,"));
    out.push(format!("{indent}    cache_examples=True,"));
    out.push(format!("{indent}    cache_mode=\"lazy\","));
    out.push(format!("{indent})"));
}

#[cfg(test)]
mod tests {
    use super::super::render_app;
    use crate::space::test_plan;

    #[test]
    fn ui_only_helpers_are_private_and_only_generate_is_an_api_endpoint() {
        let card = "---\nbase_model: black-forest-labs/FLUX.1-Kontext-dev\ninstance_prompt: plushie\n---\n";
        let app = render_app(&test_plan(card, &["lora.safetensors"]));
        let change = app.lines().find(|l| l.contains(".change(lambda")).expect("a helper");
        assert!(change.ends_with("api_visibility=\"private\")"), "{change}");
        assert_eq!(app.matches("api_name=").count(), 1);
    }
}
