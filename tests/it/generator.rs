//! Golden tests for the generator: every shared card fixture is analysed and generated; the
//! inferred values are checked against its `expected.json`, and the rendered files are
//! compared byte for byte with `tests/golden/<fixture>/` (regenerate with `UPDATE_GOLDEN=1`).

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use lora_space_bot::domain::ids::RepoId;
use lora_space_bot::lora::{AnalyzeInput, LoraProfile, analyze};
use lora_space_bot::space::validate::validate;
use lora_space_bot::space::{Generation, GeneratorSettings, generate};
use serde_json::Value;

const CARDS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/fixtures/cards");
const GOLDEN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden");
const BASE_CARDS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/hub/models");

struct Fixture {
    name: String,
    card: String,
    expected: Value,
    files: Vec<String>,
    lora: RepoId,
}

fn fixtures() -> Vec<Fixture> {
    let mut dirs: Vec<PathBuf> = fs::read_dir(CARDS)
        .expect("shared card fixtures are present")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("expected.json").is_file())
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 8, "expected the 8 shared fixtures, found {}", dirs.len());
    dirs.into_iter().map(|d| load(&d)).collect()
}

fn load(dir: &Path) -> Fixture {
    let expected: Value =
        serde_json::from_str(&fs::read_to_string(dir.join("expected.json")).expect("expected.json")).expect("json");
    let files =
        expected["files"].as_array().expect("files").iter().map(|f| f.as_str().expect("str").to_owned()).collect();
    let lora = expected["lora_repo"].as_str().expect("lora_repo").parse().expect("repo id");
    Fixture {
        name: dir.file_name().and_then(|n| n.to_str()).expect("name").to_owned(),
        card: fs::read_to_string(dir.join("README.md")).unwrap_or_default(),
        expected,
        files,
        lora,
    }
}

fn base_card(base: Option<&str>) -> Option<String> {
    fs::read_to_string(Path::new(BASE_CARDS).join(base?).join("README.md")).ok()
}

fn profile_of(f: &Fixture) -> LoraProfile {
    analyze(&AnalyzeInput { lora: &f.lora, card: &f.card, files: &f.files, overrides: None })
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-6
}

/// Checks one fixture's inferred values; returns the mismatches.
fn check_fields(f: &Fixture, p: &LoraProfile, generation: &Generation) -> Vec<String> {
    let e = &f.expected;
    let mut bad = Vec::new();
    let mut check = |field: &str, ok: bool, got: String| {
        if !ok {
            bad.push(format!("{}: {field}: expected {}, got {got}", f.name, e[field]));
        }
    };
    let base = p.base_model.as_ref().map(|b| b.value.clone());
    check("base_model", base.as_deref() == e["base_model"].as_str(), format!("{base:?}"));
    let task = p.task.as_ref().map(|t| t.value.as_str());
    check("task", task == e["task"].as_str(), format!("{task:?}"));
    let class = match generation {
        Generation::Ready(g) => Some(g.plan.pipeline_class.value.clone()),
        Generation::NeedsInput(_) => None,
    };
    check("pipeline_class", class.as_deref() == e["pipeline_class"].as_str(), format!("{class:?}"));
    let weight = p.weight_name.as_ref().map(|w| w.value.clone());
    check("weight_name", weight.as_deref() == e["weight_name"].as_str(), format!("{weight:?}"));
    let triggers: Vec<Value> = p.triggers().iter().map(|t| Value::from(t.as_str())).collect();
    check("trigger_words", Value::from(triggers.clone()) == e["trigger_words"], format!("{triggers:?}"));
    let steps = p.steps.as_ref().map(|s| u64::from(s.value));
    check("steps", steps == e["steps"].as_u64(), format!("{steps:?}"));
    let guidance = p.guidance.as_ref().map(|g| g.value);
    check(
        "guidance",
        guidance.zip(e["guidance"].as_f64()).is_some_and(|(a, b)| close(a, b))
            || guidance.is_none() && e["guidance"].is_null(),
        format!("{guidance:?}"),
    );
    check(
        "lora_scale",
        e["lora_scale"].as_f64().is_some_and(|s| close(s, p.lora_scale.value)),
        format!("{}", p.lora_scale.value),
    );
    check(
        "needs_user_input",
        Some(p.needs_user_input()) == e["needs_user_input"].as_bool(),
        format!("{}", p.needs_user_input()),
    );
    bad.extend(check_examples(f, p));
    bad.extend(check_optional(f, p));
    bad
}

/// Every expected example quoted verbatim in the card must be found; none may be invented
/// without the trigger.
fn check_examples(f: &Fixture, p: &LoraProfile) -> Vec<String> {
    let expected: Vec<&str> =
        f.expected["examples"].as_array().expect("examples").iter().filter_map(Value::as_str).collect();
    let got = &p.examples.value;
    let mut bad = Vec::new();
    for ex in expected.iter().filter(|ex| f.card.contains(**ex)) {
        if !got.iter().any(|g| g == ex) {
            bad.push(format!("{}: examples: missing {ex:?} (got {got:?})", f.name));
        }
    }
    if expected.is_empty() != got.is_empty() {
        bad.push(format!("{}: examples: expected {expected:?}, got {got:?}", f.name));
    }
    if let Some(t) = p.triggers().first() {
        for g in got.iter().filter(|g| !g.contains(t.as_str())) {
            bad.push(format!("{}: example {g:?} lacks the trigger {t:?}", f.name));
        }
    }
    bad
}

fn check_optional(f: &Fixture, p: &LoraProfile) -> Vec<String> {
    let e = &f.expected;
    let mut bad = Vec::new();
    if let Some(param) = e["guidance_param"].as_str()
        && p.guidance_param.as_str() != param {
            bad.push(format!("{}: guidance_param: expected {param}, got {}", f.name, p.guidance_param.as_str()));
        }
    if let Some(neg) = e["negative_prompt"].as_str()
        && p.negative_prompt.as_ref().map(|n| n.value.as_str()) != Some(neg) {
            bad.push(format!("{}: negative_prompt: expected {neg:?}, got {:?}", f.name, p.negative_prompt));
        }
    for (field, got) in
        [("num_frames", p.num_frames.as_ref().map(|v| v.value)), ("fps", p.fps.as_ref().map(|v| v.value))]
    {
        if let Some(want) = e[field].as_u64()
            && got.map(u64::from) != Some(want) {
                bad.push(format!("{}: {field}: expected {want}, got {got:?}", f.name));
            }
    }
    if let Some(res) = e["resolution"]["default"].as_array() {
        let got = p.resolution.as_ref().map(|r| vec![u64::from(r.value.width), u64::from(r.value.height)]);
        let want: Vec<u64> = res.iter().filter_map(Value::as_u64).collect();
        if got.as_ref() != Some(&want) {
            bad.push(format!("{}: resolution: expected {want:?}, got {got:?}", f.name));
        }
    }
    for alt in e["resolution"]["alternatives"].as_array().into_iter().flatten() {
        let want: Vec<u64> = alt.as_array().into_iter().flatten().filter_map(Value::as_u64).collect();
        if !p.resolution_alternatives.iter().any(|r| [u64::from(r.width), u64::from(r.height)] == want[..]) {
            bad.push(format!("{}: resolution alternative {want:?} missing", f.name));
        }
    }
    if e["resolution"]["follow_input_aspect"].as_bool() == Some(true) && !p.follow_input_aspect {
        bad.push(format!("{}: follow_input_aspect not detected", f.name));
    }
    if let Some(media) = e["example_media"].as_array() {
        let want: Vec<&str> = media.iter().filter_map(Value::as_str).collect();
        if p.example_media != want {
            bad.push(format!("{}: example_media: expected {want:?}, got {:?}", f.name, p.example_media));
        }
    }
    if let Some(declared) = e["base_model_as_declared"].as_str()
        && p.base_model_as_declared.as_deref() != Some(declared) {
            bad.push(format!("{}: base_model_as_declared: got {:?}", f.name, p.base_model_as_declared));
        }
    if let Some(gated) = e["auth"]["base_gated"].as_bool()
        && p.base_gated != gated {
            bad.push(format!("{}: base_gated: expected {gated}", f.name));
        }
    bad
}

fn rendered_files(generation: &Generation) -> BTreeMap<String, String> {
    match generation {
        Generation::Ready(g) => g.files.clone(),
        Generation::NeedsInput(n) => BTreeMap::from([("discussion.md".to_owned(), n.body_markdown.clone())]),
    }
}

fn compare_golden(name: &str, files: &BTreeMap<String, String>) -> Vec<String> {
    let dir = Path::new(GOLDEN).join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        fs::create_dir_all(&dir).expect("golden dir");
        for (file, text) in files {
            fs::write(dir.join(file), text).expect("write golden");
        }
        return vec![];
    }
    files
        .iter()
        .filter_map(|(file, text)| {
            let golden = fs::read_to_string(dir.join(file)).unwrap_or_default();
            (golden != *text).then(|| format!("{name}/{file} differs from the golden file (UPDATE_GOLDEN=1 to accept)"))
        })
        .collect()
}

#[test]
fn every_shared_card_infers_its_expected_values_and_matches_its_golden_files() {
    let settings = GeneratorSettings::default();
    let mut problems = Vec::new();
    for f in fixtures() {
        let profile = profile_of(&f);
        let base = base_card(profile.base_model.as_ref().map(|b| b.value.as_str()));
        let generation = generate(&profile, base.as_deref(), &settings);
        problems.extend(check_fields(&f, &profile, &generation));
        problems.extend(compare_golden(&f.name, &rendered_files(&generation)));
    }
    assert!(problems.is_empty(), "{} problems:\n{}", problems.len(), problems.join("\n"));
}

#[test]
fn every_generated_space_validates_against_its_lora_repo() {
    let settings = GeneratorSettings::default();
    for f in fixtures() {
        let profile = profile_of(&f);
        let base = base_card(profile.base_model.as_ref().map(|b| b.value.as_str()));
        if let Generation::Ready(g) = generate(&profile, base.as_deref(), &settings) {
            assert_eq!(g.files.len(), 3, "{}: three files", f.name);
            let issues = validate(&g.files, &f.files, &profile);
            assert!(issues.is_empty(), "{}: {issues:?}", f.name);
        }
    }
}

mod harness;
mod hostile;
mod plan_json;
mod real_cards;
mod tasks;

#[test]
fn pipeline_class_is_verified_against_the_base_model_card_fixtures() {
    use lora_space_bot::lora::profile::Source;
    let settings = GeneratorSettings::default();
    let mut verified = 0;
    for f in fixtures() {
        let profile = profile_of(&f);
        let Some(base) = base_card(profile.base_model.as_ref().map(|b| b.value.as_str())) else { continue };
        let Generation::Ready(g) = generate(&profile, Some(&base), &settings) else { continue };
        let source = g.plan.pipeline_class.evidence.source;
        // Qwen-Image's own card only shows DiffusionPipeline: the table is used, with a note.
        if base.contains("from diffusers import DiffusionPipeline") && !base.contains("Pipeline.from_pretrained(\"") {
            assert!(g.notes.iter().any(|n| n.contains("knowledge table")), "{}: fallback is noted", f.name);
        } else {
            assert!(matches!(source, Source::BaseCard | Source::CardSnippet), "{}: {source:?}", f.name);
            verified += 1;
        }
    }
    assert!(verified >= 5, "only {verified} fixtures verified against a base card");
}
