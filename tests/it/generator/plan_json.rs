//! The `plan` dry-run JSON uses the fixture schema names: for every shared card its core
//! fields equal the card's `expected.json`.

use lora_space_bot::space::{GeneratorSettings, plan_from_dir_contents};
use serde_json::Value;

use super::{base_card, fixtures};

const CORE: &[&str] = &[
    "base_model",
    "task",
    "pipeline_class",
    "weight_name",
    "trigger_words",
    "steps",
    "lora_scale",
    "needs_user_input",
];

#[test]
fn plan_json_core_fields_match_every_expected_json() {
    for f in fixtures() {
        let files_txt = f.files.join("\n");
        let base = f.expected["base_model"].as_str().and_then(|b| base_card(Some(b)));
        let out =
            plan_from_dir_contents(&f.card, &files_txt, &f.lora, base.as_deref(), None, &GeneratorSettings::default());
        let json = out.to_json();
        for field in CORE {
            assert_eq!(json[field], f.expected[field], "{}: {field}", f.name);
        }
        let (got, want) = (json["guidance"].as_f64(), f.expected["guidance"].as_f64());
        assert!(got.zip(want).is_some_and(|(a, b)| (a - b).abs() < 1e-9) || got == want, "{}: guidance", f.name);
        assert!(json["evidence"].is_object() && json["missing"].is_array(), "{}: evidence and missing", f.name);
        if let Some(template) = f.expected["prompt_template"].as_str() {
            assert_eq!(json["prompt_template"], template, "{}: prompt_template", f.name);
        }
        assert!(out.to_text().contains(f.lora.name()), "{}: text report names the LoRA", f.name);
    }
}

#[test]
fn a_bad_overrides_file_is_reported_and_ignored() {
    let f = fixtures().into_iter().next().expect("a fixture");
    let out = plan_from_dir_contents(
        &f.card,
        &f.files.join("\n"),
        &f.lora,
        None,
        Some("stepz = 3\n"),
        &GeneratorSettings::default(),
    );
    let json = out.to_json();
    assert!(json["overrides_error"].as_str().is_some_and(|e| e.contains("stepz")));
    assert_eq!(json["base_model"], f.expected["base_model"]);
}

#[test]
fn overrides_settle_a_thin_card() {
    let f = fixtures().into_iter().find(|f| f.name.starts_with("19-")).expect("thin card fixture");
    let overrides = "base_model = \"black-forest-labs/FLUX.1-dev\"\ntask = \"text-to-image\"\nsteps = 20\n";
    let out = plan_from_dir_contents(
        &f.card,
        &f.files.join("\n"),
        &f.lora,
        None,
        Some(overrides),
        &GeneratorSettings::default(),
    );
    let json = out.to_json();
    assert_eq!(json["needs_user_input"], Value::Bool(false));
    assert_eq!(json["pipeline_class"], "FluxPipeline");
    assert_eq!(json["steps"], 20);
    assert_eq!(json["evidence"]["steps"]["source"], "override");
    assert_eq!(json["trigger_words"][0], "mochicat");
}

#[test]
fn a_base_outside_the_table_asks_first_and_proceeds_by_analogy_once_confirmed() {
    let card = "---\nbase_model: black-forest-labs/FLUX.1-Krea-dev\n---\n# photo lora\n";
    let files = "krea_photo.safetensors\n";
    let lora = "me/krea-photo".parse().expect("id");
    let asked = plan_from_dir_contents(card, files, &lora, None, None, &GeneratorSettings::default()).to_json();
    assert_eq!(asked["needs_user_input"], Value::Bool(true));
    assert_eq!(asked["missing"][0]["field"], "unsupported_base_family");
    let confirmed = "base_model = \"black-forest-labs/FLUX.1-Krea-dev\"\n";
    let out =
        plan_from_dir_contents(card, files, &lora, None, Some(confirmed), &GeneratorSettings::default()).to_json();
    assert_eq!(out["needs_user_input"], Value::Bool(false));
    assert_eq!(out["base_model"], "black-forest-labs/FLUX.1-Krea-dev");
    assert_eq!(out["pipeline_class"], "FluxPipeline");
    assert!(
        out["flags"].as_array().is_some_and(|f| f.iter().any(|m| m.as_str().is_some_and(|m| m.contains("by analogy"))))
    );
}
