//! Analyze stage, recommended settings (knowledge §2.5), strongest first: the card's snippet
//! parameters → "Recommended settings" tables and prose → YAML widget parameters → base
//! defaults. A range ("0.7 – 0.8") becomes its midpoint.

use std::sync::LazyLock;

use regex::Regex;

use super::base::strip_code;
use super::card::Frontmatter;
use super::profile::{GuidanceParam, Resolution, Source, Sourced};
use super::{recipe_cli, recipe_prose, snippet};

/// Settings read from the card (not yet merged with family defaults).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CardRecipe {
    /// Steps.
    pub steps: Option<Sourced<u32>>,
    /// Guidance, and the keyword it was given with.
    pub guidance: Option<(Sourced<f64>, GuidanceParam)>,
    /// LoRA scale.
    pub lora_scale: Option<Sourced<f64>>,
    /// Recommended LoRA-scale range.
    pub lora_scale_range: Option<(f64, f64)>,
    /// Resolution.
    pub resolution: Option<Sourced<Resolution>>,
    /// Every resolution the prose or tables mention.
    pub mentioned_resolutions: Vec<Resolution>,
    /// The card asks to follow the input's aspect.
    pub follow_input_aspect: bool,
    /// Frames.
    pub num_frames: Option<Sourced<u32>>,
    /// Frames per second.
    pub fps: Option<Sourced<u32>>,
    /// Negative prompt.
    pub negative_prompt: Option<Sourced<String>>,
    /// Other numeric kwargs from the snippet.
    pub extra_call_kwargs: Vec<(String, f64)>,
}

const EXTRA_KWARGS: &[&str] = &[
    "decode_timestep",
    "decode_noise_scale",
    "image_cond_noise_scale",
    "guidance_scale_2",
    "max_sequence_length",
    "guidance_rescale",
    "stg_scale",
    "audio_guidance_scale",
];

/// Reads all settings the card states.
pub fn read(front: &Frontmatter, body: &str, code: &str) -> CardRecipe {
    let mut r = from_snippet(code);
    let mut stack: Option<(Option<u32>, Option<f64>)> = None;
    if let Some(weight) = recipe_cli::few_step_stack(code) {
        // Steps / guidance of a snippet that stacks a few-step LoRA belong to the stack.
        stack = Some((r.steps.take().map(|s| s.value), r.guidance.take().map(|(g, _)| g.value)));
        r.lora_scale =
            weight.map(|w| snip(w, &format!("adapter weight {w} in set_adapters (stacked with a few-step LoRA)")));
    }
    recipe_cli::from_command_line(body, &mut r);
    let prose = strip_code(body);
    from_tables(&prose, &mut r);
    recipe_prose::from_prose(&prose, &mut r);
    recipe_prose::a1111_tag_weight(front.instance_prompt.as_deref(), &prose, &mut r);
    if let Some((steps, guidance)) = stack {
        // Prose repeating the stack's numbers ("Use 8 steps and guidance scale of 1.5") is the
        // stack's recipe too, not this LoRA's.
        if r.steps.as_ref().is_some_and(|s| Some(s.value) == steps) {
            r.steps = None;
        }
        if r.guidance.as_ref().is_some_and(|(g, _)| guidance.is_some_and(|v| (v - g.value).abs() < 1e-9)) {
            r.guidance = None;
        }
    }
    recipe_prose::resolutions(&prose, &mut r);
    recipe_prose::negative_from_prose(&prose, &mut r);
    from_widgets(front, &mut r);
    r
}

fn snip<T>(value: T, what: &str) -> Sourced<T> {
    Sourced::new(value, Source::CardSnippet, what.to_string())
}

fn from_snippet(code: &str) -> CardRecipe {
    let num = |n: &str| snippet::number_kwarg(code, n);
    let guidance = match (num("true_cfg_scale"), num("guidance_scale")) {
        (Some(v), _) => Some((snip(v, &format!("true_cfg_scale={v}")), GuidanceParam::TrueCfgScale)),
        (None, Some(v)) => Some((snip(v, &format!("guidance_scale={v}")), GuidanceParam::GuidanceScale)),
        _ => None,
    };
    let mut extra = snippet::number_kwargs(code, EXTRA_KWARGS);
    if let (Some(v), Some(_)) = (num("guidance_scale"), num("true_cfg_scale")) {
        extra.insert(0, ("guidance_scale".to_owned(), v));
    }
    let resolution = num("width")
        .zip(num("height"))
        .map(|(w, h)| snip(Resolution { width: w as u32, height: h as u32 }, &format!("width={w}, height={h}")));
    let fps = snippet::export_fps(code).or_else(|| num("frame_rate"));
    CardRecipe {
        steps: num("num_inference_steps").map(|v| snip(v as u32, &format!("num_inference_steps={v}"))),
        guidance,
        lora_scale: snippet::lora_scale(code).map(|(v, what)| snip(v, &what)),
        resolution,
        num_frames: num("num_frames").map(|v| snip(v as u32, &format!("num_frames={v}"))),
        fps: fps.map(|v| snip(v as u32, &format!("fps={v}"))),
        negative_prompt: snippet::string_kwargs(code, "negative_prompt")
            .into_iter()
            .next()
            .map(|n| snip(n, "negative_prompt")),
        extra_call_kwargs: extra,
        ..CardRecipe::default()
    }
}

pub(super) static NUMBER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\d+(?:\.\d+)?").unwrap_or_else(|_| unreachable!()));
pub(super) static RANGE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(\d+(?:\.\d+)?)\s*\**\s*(?:–|—|-|to|~)\s*\**\s*(\d+(?:\.\d+)?)").unwrap_or_else(|_| unreachable!())
});
pub(super) static RES: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b(\d{3,4})\s*[×x]\s*(\d{3,4})\b").unwrap_or_else(|_| unreachable!()));
static FRAMES: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\b(\d{2,3})\s*frames\b").unwrap_or_else(|_| unreachable!()));
static FPS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\b(\d{1,2})\s*fps\b").unwrap_or_else(|_| unreachable!()));

pub(super) fn first_number(text: &str) -> Option<f64> {
    NUMBER.find(text)?.as_str().parse().ok()
}

fn from_tables(prose: &str, r: &mut CardRecipe) {
    for line in prose.lines().filter(|l| l.trim_start().starts_with('|')) {
        let cells: Vec<&str> = line.trim().trim_matches('|').split('|').map(str::trim).collect();
        let [key, value, ..] = cells.as_slice() else { continue };
        let key = key.to_ascii_lowercase();
        let ev = |what: &str| format!("{what}: {}", line.trim());
        if key.contains("step") && r.steps.is_none() {
            r.steps = first_number(value).map(|v| Sourced::new(v as u32, Source::CardTable, ev("table")));
        } else if (key.contains("guidance") || key.contains("cfg")) && r.guidance.is_none() {
            let param = if key.contains("true") { GuidanceParam::TrueCfgScale } else { GuidanceParam::GuidanceScale };
            r.guidance = first_number(value).map(|v| (Sourced::new(v, Source::CardTable, ev("table")), param));
        } else if is_scale_key(&key) && r.lora_scale.is_none() {
            read_scale(value, Source::CardTable, line, r);
        } else if key.contains("frame") || key.contains("fps") {
            let labelled = if key.contains("fps") { format!("{value} fps") } else { format!("{value} frames") };
            let first = NUMBER.find(value).map_or(String::new(), |m| m.as_str().to_owned());
            let text =
                if key.contains("fps") { format!("{first} fps {value}") } else { format!("{first} frames {value}") };
            read_frames(
                if value.contains("fps") || value.contains("frames") { &text } else { &labelled },
                Source::CardTable,
                line,
                r,
            );
        }
    }
}

fn is_scale_key(key: &str) -> bool {
    key.contains("strength")
        || key.contains("lora scale")
        || key.contains("lora weight")
        || key == "scale"
        || key == "weight"
}

pub(super) fn read_scale(text: &str, source: Source, line: &str, r: &mut CardRecipe) {
    let detail = line.trim().chars().take(160).collect::<String>();
    if let Some(c) = RANGE.captures(text) {
        let lo: f64 = c.get(1).and_then(|m| m.as_str().parse().ok()).unwrap_or(f64::NAN);
        let hi: f64 = c.get(2).and_then(|m| m.as_str().parse().ok()).unwrap_or(f64::NAN);
        if lo.is_finite() && hi.is_finite() && lo < hi && hi <= 2.0 {
            r.lora_scale_range = Some((lo, hi));
            let mid = ((lo + hi) / 2.0 * 1000.0).round() / 1000.0;
            r.lora_scale = Some(Sourced::new(mid, source, format!("midpoint of {lo}–{hi}: {detail}")));
            return;
        }
    }
    if let Some(v) = first_number(text).filter(|v| *v > 0.0 && *v <= 2.0) {
        r.lora_scale = Some(Sourced::new(v, source, detail));
    }
}

pub(super) fn read_frames(text: &str, source: Source, line: &str, r: &mut CardRecipe) {
    let detail = || line.trim().chars().take(160).collect::<String>();
    if r.num_frames.is_none() {
        let frames = FRAMES
            .captures(text)
            .and_then(|c| c.get(1))
            .or_else(|| NUMBER.find(text).filter(|_| !text.contains("fps")));
        r.num_frames = frames.and_then(|m| m.as_str().parse().ok()).map(|v| Sourced::new(v, source, detail()));
    }
    if r.fps.is_none() {
        r.fps = FPS
            .captures(text)
            .and_then(|c| c.get(1))
            .and_then(|m| m.as_str().parse().ok())
            .map(|v| Sourced::new(v, source, detail()));
    }
}

fn from_widgets(front: &Frontmatter, r: &mut CardRecipe) {
    for (key, value) in &front.widget_parameters {
        let ev = || format!("widget parameters {key}: {value}");
        match key.as_str() {
            "num_inference_steps" if r.steps.is_none() => {
                r.steps = Some(Sourced::new(*value as u32, Source::Yaml, ev()))
            }
            "guidance_scale" if r.guidance.is_none() => {
                r.guidance = Some((Sourced::new(*value, Source::Yaml, ev()), GuidanceParam::GuidanceScale))
            }
            "true_cfg_scale" if r.guidance.is_none() => {
                r.guidance = Some((Sourced::new(*value, Source::Yaml, ev()), GuidanceParam::TrueCfgScale))
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recipe(body: &str) -> CardRecipe {
        read(&Frontmatter::default(), body, &snippet::python_code(body))
    }

    #[test]
    fn snippet_parameters_are_read_with_their_keyword() {
        let r = recipe(
            "```python\npipe(prompt=p, negative_prompt=\" \", width=1664, height=928, num_inference_steps=30, true_cfg_scale=4.0)\n```\n",
        );
        assert_eq!(r.steps.map(|s| s.value), Some(30));
        assert_eq!(r.guidance.map(|(g, p)| (g.value, p)), Some((4.0, GuidanceParam::TrueCfgScale)));
        assert_eq!(r.resolution.map(|s| s.value), Some(Resolution { width: 1664, height: 928 }));
        assert_eq!(r.negative_prompt.map(|s| s.value).as_deref(), Some(" "));
    }

    #[test]
    fn step_counts_of_a_training_section_or_with_thousands_separators_are_not_a_recipe() {
        // LTX-2.3 IC-LoRA Relight: "## Training … - **Steps:** 3,000 (recommended checkpoint; …)"
        let r = recipe("## Training\n\n- **Steps:** 3,000 (recommended checkpoint; checkpoints saved every 500 steps)\n");
        assert_eq!(r.steps.map(|s| s.value), None);
        assert_eq!(recipe("## Settings\n\nUse 3,000 steps.\n").steps.map(|s| s.value), None);
        assert_eq!(recipe("## Settings\n\nUse 30 steps.\n").steps.map(|s| s.value), Some(30));
        // A line naming inference is a recipe wherever it stands.
        assert_eq!(recipe("## Training details\n\nWe recommend 24 inference steps.\n").steps.map(|s| s.value), Some(24));
    }

    #[test]
    fn settings_table_rows_are_understood() {
        let r = recipe(
            "| parameter | value |\n|---|---|\n| LoRA strength | 1.0 |\n| steps | 30 |\n| guidance scale | 5.0 |\n| frames | 81 @ 16 fps |\n",
        );
        assert_eq!(r.steps.map(|s| (s.value, s.evidence.source)), Some((30, Source::CardTable)));
        assert_eq!(r.guidance.map(|(g, _)| g.value), Some(5.0));
        assert_eq!(r.lora_scale.map(|s| s.value), Some(1.0));
        assert_eq!((r.num_frames.map(|s| s.value), r.fps.map(|s| s.value)), (Some(81), Some(16)));
    }

    #[test]
    fn strength_range_in_prose_becomes_its_midpoint() {
        let r = recipe("- LoRA strength **0.7 – 0.8**\n");
        assert_eq!(r.lora_scale.map(|s| s.value), Some(0.75));
        assert_eq!(r.lora_scale_range, Some((0.7, 0.8)));
    }

    #[test]
    fn casual_works_ok_at_sentence_gives_the_scale() {
        let r = recipe("use the word mochicat in the prompt. works ok at 0.8, higher gets weird eyes\n");
        assert_eq!(r.lora_scale.map(|s| s.value), Some(0.8));
    }

    #[test]
    fn civitai_style_recommendation_line_gives_steps_guidance_and_scale() {
        let r = recipe("Recommended: LoRA weight 0.6-0.9, CFG 7, 30 steps, DPM++ 2M Karras.\n");
        assert_eq!(r.steps.map(|s| s.value), Some(30));
        assert_eq!(r.guidance.map(|(g, _)| g.value), Some(7.0));
        assert_eq!(r.lora_scale.map(|s| s.value), Some(0.75));
    }

    #[test]
    fn a_recipe_for_a_stack_with_a_few_step_lora_is_not_this_loras_recipe() {
        // nerijs/pixel-art-xl: "Use it with a LCM Lora! Use 8 steps and guidance scale of 1.5"
        let body = "Use it with a LCM Lora!\nUse 8 steps and guidance scale of 1.5\n\n```python\nlcm_lora_id = \"latent-consistency/lcm-lora-sdxl\"\npipe.load_lora_weights(lcm_lora_id, adapter_name=\"lora\")\npipe.load_lora_weights(\"./pixel-art-xl.safetensors\", adapter_name=\"pixel\")\npipe.set_adapters([\"lora\", \"pixel\"], adapter_weights=[1.0, 1.2])\nimg = pipe(prompt=prompt, num_inference_steps=8, guidance_scale=1.5)\n```\n";
        let r = recipe(body);
        assert_eq!((r.steps, r.guidance.map(|(g, _)| g.value)), (None, None));
        assert_eq!(r.lora_scale.map(|s| s.value), Some(1.2));
    }

    #[test]
    fn training_step_counts_are_not_inference_steps() {
        assert_eq!(recipe("Trained for 1000 steps at lr 1e-4, best results.\n").steps, None);
    }

    #[test]
    fn resolution_line_sets_the_default_and_tables_add_alternatives() {
        let r = recipe("| resolution | 480×832 / 832×480 (follow the input aspect) |\n");
        assert_eq!(r.resolution.map(|s| s.value), Some(Resolution { width: 480, height: 832 }));
        assert_eq!(r.mentioned_resolutions.len(), 2);
        assert!(r.follow_input_aspect);
    }

    #[test]
    fn negative_prompt_in_prose_is_read() {
        let r = recipe("Negative prompt: `blurry, lowres`\n");
        assert_eq!(r.negative_prompt.map(|s| s.value).as_deref(), Some("blurry, lowres"));
    }

    #[test]
    fn resolutions_mentioned_in_prose_are_collected() {
        let r = recipe("Landscape 16:9 (1664×928) is best, but square 1328×1328 works too.\n");
        assert_eq!(r.mentioned_resolutions.len(), 2);
    }
}
