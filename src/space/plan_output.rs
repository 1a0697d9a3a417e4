//! The output of the `plan` dry-run command (pure): analyze + generate for a LoRA given as
//! plain texts (card, file list, optional base card and overrides), rendered as ONE JSON
//! object whose profile fields use the fixture schema names, or as readable text.

use serde_json::{Map, Value, json};

use super::generate::{Generation, GeneratorSettings, generate};
use super::overrides::parse_overrides;
use crate::domain::ids::RepoId;
use crate::lora::profile::{Evidence, LoraProfile, Sourced};
use crate::lora::triggers::rare_token;
use crate::lora::{AnalyzeInput, analyze};

/// What `plan` shows.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanOutput {
    /// The analysis.
    pub profile: LoraProfile,
    /// The generator's outcome.
    pub generation: Generation,
    /// The overrides file was refused (it was then ignored).
    pub overrides_error: Option<String>,
}

/// Runs analyze + generate on directory contents.
pub fn plan_from_dir_contents(
    readme: &str,
    files_txt: &str,
    lora: &RepoId,
    base_card: Option<&str>,
    overrides: Option<&str>,
    settings: &GeneratorSettings,
) -> PlanOutput {
    let files: Vec<String> =
        files_txt.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).map(str::to_owned).collect();
    let (parsed, overrides_error) = match overrides.map(parse_overrides) {
        Some(Ok(o)) => (Some(o), None),
        Some(Err(e)) => (None, Some(e.to_string())),
        None => (None, None),
    };
    let profile = analyze(&AnalyzeInput { lora, card: readme, files: &files, overrides: parsed.as_ref() });
    let generation = generate(&profile, base_card, settings);
    PlanOutput { profile, generation, overrides_error }
}

fn ev<T>(s: &Option<Sourced<T>>) -> Option<&Evidence> {
    s.as_ref().map(|s| &s.evidence)
}

/// `{"source": "yaml", "detail": …, "label": "card YAML"}`: the stable machine name plus the
/// words the plan text and the PR body show (from [`crate::lora::profile::Source`]'s `Display`).
fn evidence_json(e: &Evidence) -> Value {
    json!({ "source": e.source, "detail": e.detail, "label": e.source.to_string() })
}

impl PlanOutput {
    fn pipeline_class(&self) -> Option<&str> {
        match &self.generation {
            Generation::Ready(g) => Some(g.plan.pipeline_class.value.as_str()),
            Generation::NeedsInput(_) => None,
        }
    }

    /// The card's template, or for a fixed instruction the instruction plus `{extra}`.
    fn prompt_template(&self) -> Option<String> {
        if let Some(t) = &self.profile.prompt_template {
            return Some(t.value.display());
        }
        match &self.generation {
            Generation::Ready(g) => match &g.plan.prompt {
                super::plan::PromptPlan::FixedInstruction { instruction } => Some(format!("{instruction}{{extra}}")),
                _ => None,
            },
            Generation::NeedsInput(_) => None,
        }
    }

    fn evidence(&self) -> Value {
        let p = &self.profile;
        let pairs: [(&str, Option<&Evidence>); 14] = [
            ("base_model", ev(&p.base_model)),
            ("task", ev(&p.task)),
            ("sub_task", ev(&p.sub_task)),
            ("weight_name", ev(&p.weight_name)),
            ("trigger_words", Some(&p.trigger_words.evidence)),
            ("prompt_template", ev(&p.prompt_template)),
            ("steps", ev(&p.steps)),
            ("guidance", ev(&p.guidance)),
            ("lora_scale", Some(&p.lora_scale.evidence)),
            ("resolution", ev(&p.resolution)),
            ("num_frames", ev(&p.num_frames)),
            ("fps", ev(&p.fps)),
            ("negative_prompt", ev(&p.negative_prompt)),
            ("examples", Some(&p.examples.evidence)),
        ];
        let mut map: Map<String, Value> =
            pairs.into_iter().filter_map(|(k, e)| Some((k.to_owned(), evidence_json(e?)))).collect();
        if let Generation::Ready(g) = &self.generation {
            map.insert("pipeline_class".into(), evidence_json(&g.plan.pipeline_class.evidence));
        }
        Value::Object(map)
    }

    /// The JSON object (one object; profile fields named as in the fixture schema).
    pub fn to_json(&self) -> Value {
        let p = &self.profile;
        let v = |s: &Option<Sourced<u32>>| s.as_ref().map(|s| s.value);
        let mut out = json!({
            "lora_repo": p.lora.to_string(),
            "base_model": p.base_model.as_ref().map(|b| &b.value),
            "base_model_as_declared": p.base_model_as_declared,
            "family": p.family,
            "task": p.task.as_ref().map(|t| t.value),
            "sub_task": p.sub_task.as_ref().map(|s| &s.value),
            "pipeline_class": self.pipeline_class(),
            "weight_name": p.weight_name.as_ref().map(|w| &w.value),
            "trigger_words": p.triggers(),
            "trigger_token": p.triggers().first().and_then(|t| rare_token(t)),
            "prompt_template": self.prompt_template(),
            "steps": v(&p.steps),
            "guidance": p.guidance.as_ref().map(|g| g.value),
            "guidance_param": p.guidance_param,
            "lora_scale": p.lora_scale.value,
            "lora_scale_range": p.lora_scale_range.map(|(a, b)| [a, b]),
            "negative_prompt": p.negative_prompt.as_ref().map(|n| &n.value),
            "resolution": p.resolution.as_ref().map(|r| json!({
                "default": [r.value.width, r.value.height],
                "alternatives": p.resolution_alternatives.iter().map(|a| [a.width, a.height]).collect::<Vec<_>>(),
                "follow_input_aspect": p.follow_input_aspect,
            })),
            "num_frames": v(&p.num_frames),
            "fps": v(&p.fps),
            "extra_call_kwargs": p.extra_call_kwargs.iter().map(|(k, v)| (k.clone(), json!(v))).collect::<Map<_, _>>(),
            "examples": p.examples.value,
            "example_media": p.example_media,
            "auth": { "base_gated": p.base_gated, "space_secret_HF_TOKEN": p.base_gated },
            "flags": p.flags.iter().map(|f| &f.message).collect::<Vec<_>>(),
            "needs_user_input": p.needs_user_input(),
            "missing": p.missing,
            "evidence": self.evidence(),
            "notes": p.notes,
        });
        if let Value::Object(map) = &mut out {
            self.add_outcome(map);
        }
        out
    }

    fn add_outcome(&self, map: &mut Map<String, Value>) {
        if let Some(e) = &self.overrides_error {
            map.insert("overrides_error".into(), json!(e));
        }
        match &self.generation {
            Generation::Ready(g) => {
                map.insert("extra_requirements".into(), json!(g.plan.extra_requirements));
                map.insert("plan".into(), json!(g.plan));
                map.insert("files".into(), json!(g.files.keys().collect::<Vec<_>>()));
                map.insert("generator_notes".into(), json!(g.notes));
            }
            Generation::NeedsInput(n) => {
                map.insert("discussion".into(), json!(n));
            }
        }
    }

    /// Human-readable report: profile with evidence, plan, file list.
    pub fn to_text(&self) -> String {
        super::plan_text::render(self)
    }
}
