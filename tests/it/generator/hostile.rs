//! Hostile model cards: quotes, triple quotes, backslashes, newlines, braces, NUL, unicode
//! line separators and code-looking text in triggers, templates, prompts and negative prompts
//! must yield an `app.py` that parses and whose code (everything outside string literals) is
//! exactly the code rendered for a benign card.

use lora_space_bot::lora::profile::{PromptTemplate, Source, Sourced};
use lora_space_bot::lora::{AnalyzeInput, LoraProfile, analyze};
use lora_space_bot::space::pyparse;
use lora_space_bot::space::validate::validate_generated;
use lora_space_bot::space::{Generation, GeneratorSettings, generate};
use proptest::prelude::*;

use super::{fixtures, profile_of};

const FRAGMENTS: &[&str] = &[
    "\"",
    "'",
    "\"\"\"",
    "'''",
    "\\",
    "\\\\",
    "\n",
    "\r\n",
    "{}",
    "{0}",
    "%s",
    "\0",
    "\u{2028}",
    "\u{2029}",
    "\"); import os; os.system(\"x",
    "'''; exec('x') #",
    "\\N{BULLET}",
    "\\x00",
    "#",
    "`",
    "```",
    "---",
    "\t",
    "é漢🎨",
    "\u{202e}",
    "\u{1b}[31m",
    "<script>alert(1)</script>",
    "${HOME}",
    "f\"{x}\"",
    " ",
];

fn hostile() -> impl Strategy<Value = String> {
    prop_oneof![prop::collection::vec(prop::sample::select(FRAGMENTS), 1..8).prop_map(|v| v.concat()), any::<String>(),]
}

fn app_of(profile: &LoraProfile) -> (String, std::collections::BTreeMap<String, String>) {
    match generate(profile, None, &GeneratorSettings::default()) {
        Generation::Ready(g) => (g.files.get("app.py").cloned().unwrap_or_default(), g.files),
        Generation::NeedsInput(n) => panic!("fixture profile unexpectedly needs input: {:?}", n.missing),
    }
}

fn code_tokens(app: &str) -> Vec<String> {
    let parsed = pyparse::parse(app).unwrap_or_else(|e| panic!("generated app.py does not parse: {e}\n{app}"));
    parsed.code_tokens().into_iter().map(str::to_owned).collect()
}

/// Puts `text` into every card-derived string of a profile of the same shape.
fn poison(mut p: LoraProfile, text: &str) -> LoraProfile {
    let src = |v: String| Sourced::new(v, Source::CardProse, "hostile");
    if !p.trigger_words.value.is_empty() {
        p.trigger_words.value = vec![text.to_owned()];
    }
    if let Some(t) = &mut p.prompt_template {
        t.value = PromptTemplate {
            prefix: text.to_owned(),
            placeholder: t.value.placeholder.clone(),
            suffix: text.to_owned(),
        };
    }
    p.examples.value = p.examples.value.iter().map(|e| format!("{text}{e}{text}")).collect();
    p.negative_prompt = p.negative_prompt.take().map(|_| src(text.to_owned()));
    p.sub_task = Some(src(text.to_owned()));
    p
}

/// The same profile with a harmless text of the same word structure (the prompt mode
/// depends on the trigger's word count, nothing else depends on the text).
fn benign(p: LoraProfile, text: &str) -> LoraProfile {
    let harmless: String = text.chars().map(|c| if c.is_whitespace() { ' ' } else { 'a' }).collect();
    poison(p, &harmless)
}

fn base_profiles() -> Vec<LoraProfile> {
    // One per prompt mode: free trigger (FLUX), fixed instruction (Kontext), template (Wan I2V).
    fixtures()
        .into_iter()
        .filter(|f| ["02-", "21-", "17-", "05-"].iter().any(|p| f.name.starts_with(p)))
        .map(|f| profile_of(&f))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn hostile_card_text_stays_inside_python_string_literals(text in hostile()) {
        for profile in base_profiles() {
            let (reference, _) = app_of(&benign(profile.clone(), &text));
            let (app, files) = app_of(&poison(profile, &text));
            prop_assert_eq!(code_tokens(&app), code_tokens(&reference));
            let issues = validate_generated(&files, &analyze(&AnalyzeInput { lora: &"a/b".parse().expect("id"), card: "", files: &[], overrides: None }));
            prop_assert!(issues.is_empty(), "{:?}", issues);
        }
    }

    #[test]
    fn hostile_text_in_a_real_card_yaml_and_body_yields_valid_python(text in hostile()) {
        let yaml_text = serde_json::to_string(&text).expect("json string");
        let card = format!(
            "---\nbase_model: black-forest-labs/FLUX.1-dev\ninstance_prompt: {yaml_text}\nwidget:\n- text: {yaml_text}\n---\n# t\n\n{text}\n\n> {text}\n\nNegative prompt: `{text}`\n"
        );
        // The weights filename comes from the repo listing: hostile too.
        let files = vec![format!("w{text}.safetensors")];
        let lora = "evil/card".parse().expect("id");
        let profile = analyze(&AnalyzeInput { lora: &lora, card: &card, files: &files, overrides: None });
        if let Generation::Ready(g) = generate(&profile, None, &GeneratorSettings::default()) {
            let app = g.files.get("app.py").cloned().unwrap_or_default();
            prop_assert!(pyparse::parse(&app).is_ok(), "{}", app);
            prop_assert!(validate_generated(&g.files, &profile).is_empty());
        }
    }
}
