//! The analyze stage: a LoRA's card + file list (+ the Space's overrides) → [`LoraProfile`].
//! Runs the extractors in knowledge order (weights §2.1, base §2.2, task §2.3, triggers §2.4,
//! recipe §2.5), fills gaps from the base family's defaults, applies overrides last, and
//! records what is missing (§2.6).

use super::card::{self, Card};
use super::profile::{Flag, GuidanceParam, LoraProfile, Missing, MissingField, Resolution, Source, Sourced, Task};
use super::recipe::CardRecipe;
use super::{base, examples, extras, missing, recipe, snippet, task, triggers, weights};
use crate::domain::ids::RepoId;
use crate::space::knowledge::{Family, knowledge};

use crate::space::overrides::Overrides;

/// What the analyze stage reads.
#[derive(Debug, Clone, Copy)]
pub struct AnalyzeInput<'a> {
    /// The LoRA repo.
    pub lora: &'a RepoId,
    /// The README.md text, `""` if none.
    pub card: &'a str,
    /// All repo paths.
    pub files: &'a [String],
    /// The Space's `lora-space.toml`, if any.
    pub overrides: Option<&'a Overrides>,
}

/// Analyzes one LoRA from its card and file list.
pub fn analyze(input: &AnalyzeInput<'_>) -> LoraProfile {
    analyze_with_headers(input, &[])
}

/// Analyzes one LoRA, also checking the card against its weights files' headers
/// ([`super::tensors`]).
pub fn analyze_with_headers(input: &AnalyzeInput<'_>, headers: &[super::tensors::WeightsProfile]) -> LoraProfile {
    let k = knowledge();
    let Card { front, body, notes } = card::split(input.card);
    let code = snippet::python_code(&body);
    let lora = input.lora.to_string();
    let mut profile = empty_profile(input.lora.clone(), notes);

    let w = weights::choose(input.files, &body, &code);
    profile.weight_name = w.chosen;
    profile.weight_name_2 = w.second;
    profile.weight_candidates = w.candidates;
    profile.flags.extend(w.flags);

    let b = base::find(k, &front, &body, &code, input.files, &lora);
    profile.base_model = b.base;
    profile.base_model_as_declared = b.declared;
    profile.family = b.family.map(|f| f.id.clone());
    profile.base_by_analogy = b.by_analogy;
    let mut conflicts = b.conflicts;
    profile.flags.extend(b.note.map(|message| Flag { kind: "generic-base-overruled".into(), message }));
    let mut family = b.family;
    if let Some(base) = input.overrides.and_then(|o| o.base_model.as_ref()) {
        let (f, by_analogy) = base::family_for_repo(k, base);
        family = f;
        let repo = if by_analogy { base.clone() } else { f.map_or(base.clone(), |f| f.repo.clone()) };
        profile.base_model = Some(ov(repo, "base_model"));
        profile.family = f.map(|f| f.id.clone());
        profile.base_by_analogy = false;
        if let (true, Some(f)) = (by_analogy, f) {
            let message = format!("{base} is not in the knowledge table: using the {} recipe by analogy", f.name);
            profile.flags.push(Flag { kind: "by-analogy".into(), message });
        }
        conflicts.clear();
    }
    if !headers.is_empty() {
        let task_guess = task::find(&front, &body, &snippet::pipeline_classes(&code), None).0.map(|t| t.value);
        family = super::tensors::crosscheck::run(&mut profile, k, headers, family, task_guess, &mut conflicts);
    }

    let card_classes = snippet::pipeline_classes(&code);
    profile.card_pipeline_class = card_classes.iter().find(|c| k.is_known_class(c)).cloned();
    let (mut task, task_note) = task::find(&front, &body, &card_classes, family);
    if task.as_ref().is_some_and(|t| t.evidence.source == Source::BaseDefault) {
        task = family.and_then(|f| task::from_name(&lora, f)).or(task);
    }
    profile.task = task;
    if let Some(tag) = task_note.as_deref().and_then(|n| n.strip_prefix(task::ANALYSIS_NOTE)) {
        let question = format!(
            "Unsupported as is, needs input: the card says the model does{tag} (pipeline_tag), which no generated Space serves (it makes images or videos: {}). If it also generates, set task in lora-space.toml.",
            super::missing::task_choices()
        );
        profile.missing.push(Missing { field: MissingField::Task, question, blocking: true });
    }
    profile.notes.extend(task_note);
    if let Some(t) = input.overrides.and_then(|o| o.task.as_deref()).and_then(Task::parse) {
        profile.task = Some(ov(t, "task"));
    }

    profile.trigger_words = triggers::find(&front, &body);
    profile.prompt_template = triggers::template(&body, profile.triggers());
    profile.examples = examples::prompts(&front, &body, &code, profile.triggers());
    profile.sub_task = sub_task(&body);
    profile.hints = super::subtask::hints(&body);

    let card_recipe = recipe::read(&front, &body, &code);
    apply_recipe(&mut profile, card_recipe, family);
    extras::apply_few_step(&mut profile, &lora, family);
    extras::apply_reference_scale(&mut profile);
    profile.vae = extras::vae(&body, &code);
    profile.license = front.license.clone();
    profile.license_name = front.license_name.clone();
    profile.license_link = front.license_link.clone();
    profile.card_title = card::heading(&body);
    if let Some(t) = profile.task.as_ref().map(|t| t.value)
        && (t.needs_image() || t == Task::VideoToVideo) {
            profile.example_media = examples::media(input.files, &front, &code, !t.needs_image());
        }
    examples::fill_template_examples(&mut profile);
    if let Some(o) = input.overrides {
        apply_overrides(&mut profile, o);
    }
    custom_code(&mut profile, &body, &code);
    missing::assess(&mut profile, &conflicts);
    profile
}

/// A LoRA that only runs with custom code goes to the needs-input discussion, with the reason,
/// unless the Space's overrides name its base model (the owner confirms diffusers loading).
fn custom_code(p: &mut LoraProfile, body: &str, code: &str) {
    let overridden = p.base_model.as_ref().is_some_and(|b| b.evidence.source == Source::Override);
    if let (Some(why), false) = (super::custom::detect(body, code), overridden) {
        let question = format!(
            "Unsupported as is, needs input: {why}. The generated Space loads LoRAs with diffusers' load_lora_weights only. If this LoRA also loads that way, confirm its base_model in lora-space.toml; otherwise its demo has to be written by hand."
        );
        p.missing.push(Missing { field: MissingField::CustomPipeline, question, blocking: true });
    }
    if let (Some(why), false) = (super::custom::control_preprocessing(body), overridden) {
        let question = format!(
            "Unsupported as is, needs input: {why}. The generated Space feeds the uploaded video or image to the pipeline as it is; without that preparation the LoRA has nothing to follow. If users will upload control inputs they prepared themselves, confirm the base_model in lora-space.toml; otherwise the preparation has to be added to the demo by hand."
        );
        p.missing.push(Missing { field: MissingField::CustomPipeline, question, blocking: true });
    }
}

fn empty_profile(lora: RepoId, notes: Vec<String>) -> LoraProfile {
    LoraProfile {
        lora,
        card_title: None,
        base_model: None,
        base_model_as_declared: None,
        family: None,
        base_by_analogy: false,
        task: None,
        sub_task: None,
        hints: Default::default(),
        card_pipeline_class: None,
        weight_name: None,
        weight_name_2: None,
        weight_candidates: vec![],
        few_step: false,
        license: None,
        license_name: None,
        license_link: None,
        vae: None,
        trigger_words: Sourced::new(vec![], Source::Default, "no trigger word found"),
        prompt_template: None,
        steps: None,
        guidance: None,
        guidance_param: GuidanceParam::GuidanceScale,
        lora_scale: Sourced::new(1.0, Source::Default, "adapter weight 1.0 (card silent)"),
        lora_scale_range: None,
        resolution: None,
        resolution_alternatives: vec![],
        follow_input_aspect: false,
        num_frames: None,
        fps: None,
        negative_prompt: None,
        extra_call_kwargs: vec![],
        examples: Sourced::new(vec![], Source::Default, "no examples"),
        example_media: vec![],
        base_gated: false,
        flags: vec![],
        missing: vec![],
        leave_alone: vec![],
        notes,
        weights_headers: vec![],
    }
}

fn default<T>(value: T, f: &Family, what: &str) -> Sourced<T> {
    Sourced::new(value, Source::BaseDefault, format!("{} default {what}", f.name))
}

/// Card values first, family defaults for the gaps.
fn apply_recipe(p: &mut LoraProfile, r: CardRecipe, family: Option<&Family>) {
    p.lora_scale = r.lora_scale.unwrap_or_else(|| p.lora_scale.clone());
    p.lora_scale_range = r.lora_scale_range;
    p.follow_input_aspect = r.follow_input_aspect;
    p.extra_call_kwargs = r.extra_call_kwargs;
    p.steps = r.steps;
    p.resolution = r.resolution;
    p.num_frames = r.num_frames;
    p.fps = r.fps;
    p.negative_prompt = r.negative_prompt;
    let card_guidance = r.guidance;
    let Some(f) = family else {
        p.guidance = card_guidance.map(|(g, param)| {
            p.guidance_param = param;
            g
        });
        p.resolution_alternatives = r.mentioned_resolutions;
        return;
    };
    p.guidance_param = f.guidance_param;
    p.guidance = match card_guidance {
        Some((g, param)) if param == f.guidance_param => Some(g),
        Some((g, _)) => {
            p.notes.push(format!(
                "card sets {} but {} uses {}; kept the family default",
                g.evidence.detail,
                f.name,
                f.guidance_param.as_str()
            ));
            None
        }
        None => None,
    };
    p.steps.get_or_insert_with(|| default(f.steps, f, &format!("{} steps", f.steps)));
    p.guidance.get_or_insert_with(|| default(f.guidance, f, &format!("{} {}", f.guidance_param.as_str(), f.guidance)));
    let [w, h] = f.resolution;
    p.resolution.get_or_insert_with(|| default(Resolution { width: w, height: h }, f, &format!("{w}x{h}")));
    let chosen = p.resolution.as_ref().map(|r| r.value);
    p.resolution_alternatives = r.mentioned_resolutions.into_iter().filter(|m| Some(*m) != chosen).collect();
    if let (Some(n), None) = (f.num_frames, &p.num_frames) {
        p.num_frames = Some(default(n, f, &format!("{n} frames")));
    }
    if let (Some(fps), None) = (f.fps, &p.fps) {
        p.fps = Some(default(fps, f, &format!("{fps} fps")));
    }
    if let (Some(neg), None) = (&f.negative_prompt, &p.negative_prompt) {
        p.negative_prompt = Some(default(neg.clone(), f, "negative prompt"));
    }
    for (k, v) in &f.extra_call_kwargs {
        if !p.extra_call_kwargs.iter().any(|(name, _)| name == k) {
            p.extra_call_kwargs.push((k.clone(), *v));
        }
    }
    p.base_gated = f.gated;
}

/// Lines trainer templates write on every card: no information about what the LoRA does.
const BOILERPLATE: &[&str] = &[
    "These are ",
    "The weights were",
    "Was LoRA",
    "For more details",
    "You should use",
    "Please adhere",
    "Download",
    "[Download",
    "Model trained with",
    "Weights for this model",
    "No trigger words",
];

fn sub_task(body: &str) -> Option<Sourced<String>> {
    let prose = base::strip_code(body);
    let line = prose.lines().map(str::trim).find(|l| {
        l.len() > 20
            && !l.starts_with(['#', '!', '<', '|', '>', '[', '`'])
            && !l.starts_with("- ")
            && !l.starts_with("* ")
            && !BOILERPLATE.iter().any(|b| l.starts_with(b))
            && !l.to_ascii_lowercase().contains("trigger")
            && !l.to_ascii_lowercase().contains("begin with")
    })?;
    let line = LINK.replace_all(line, "$1");
    let end = line
        .char_indices()
        .find(|(i, c)| matches!(c, '.' | '!' | '?') && line[i + c.len_utf8()..].starts_with(char::is_whitespace))
        .map_or(line.len(), |(i, c)| i + c.len_utf8());
    let text: String = line[..end].chars().filter(|c| !matches!(c, '*' | '`')).take(160).collect();
    Some(Sourced::new(text.trim().to_owned(), Source::CardProse, "first descriptive sentence of the card"))
}

static LINK: std::sync::LazyLock<regex::Regex> =
    std::sync::LazyLock::new(|| regex::Regex::new(r"!?\[([^\]]*)\]\([^)]*\)").unwrap_or_else(|_| unreachable!()));

fn ov<T>(value: T, key: &str) -> Sourced<T> {
    Sourced::new(value, Source::Override, format!("{key} in lora-space.toml"))
}

/// Overrides win over everything inferred.
fn apply_overrides(p: &mut LoraProfile, o: &Overrides) {
    if let Some(w) = &o.weights_file {
        p.weight_name = Some(ov(w.clone(), "weights_file"));
    }
    if let Some(t) = &o.trigger_words {
        p.trigger_words = ov(t.clone(), "trigger_words");
    }
    if let Some(e) = &o.examples {
        p.examples = ov(e.clone(), "examples");
    }
    p.steps = o.steps.map(|v| ov(v, "steps")).or(p.steps.take());
    p.guidance = o.guidance.map(|v| ov(v, "guidance")).or(p.guidance.take());
    if let Some(s) = o.lora_scale {
        p.lora_scale = ov(s, "lora_scale");
    }
    p.negative_prompt = o.negative_prompt.clone().map(|v| ov(v, "negative_prompt")).or(p.negative_prompt.take());
    if let Some([width, height]) = o.resolution {
        p.resolution = Some(ov(Resolution { width, height }, "resolution"));
    }
    p.leave_alone = o.leave_alone.clone();
    if o.base_model.is_some() || o.task.is_some() {
        p.flags.push(Flag { kind: "override".into(), message: "base model / task set by lora-space.toml".into() });
    }
}
