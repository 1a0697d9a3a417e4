//! Analyze stage, recommended settings stated in prose (part of [`super::recipe`]): lines
//! like "LoRA strength 0.7 – 0.8", "works ok at 0.8", "CFG 7, 30 steps", "Resolution:
//! 1024x1024", "Negative prompt: `…`". Training figures ("trained for 1000 steps") are skipped.

use std::sync::LazyLock;

use regex::Regex;

use super::profile::{GuidanceParam, Resolution, Source, Sourced};
use super::recipe::{CardRecipe, RES, read_frames, read_scale};

static SCALE_PROSE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:strength|lora scale|lora weight|adapter weight|weight of|scale of)\b[^.\n]{0,30}?(\d+(?:\.\d+)?(?:\s*\**\s*(?:–|—|-|to|~)\s*\**\s*\d+(?:\.\d+)?)?)|(?:works?|looks?|best)\s+(?:ok|okay|well|good|great|best)?\s*at\s+(\d\.\d+)")
        .unwrap_or_else(|_| unreachable!())
});
static STEPS_PROSE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(\d{1,3})\s*(?:inference\s+|sampling\s+)?steps\b|\bsteps\s*(?:[:=]|of)\s*\**\s*(\d{1,3})\b")
        .unwrap_or_else(|_| unreachable!())
});
static RECOMMENDING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(recommend|suggest|setting|\buse\b|best|works?|plenty|enough|default|\bsteps\s*[:=])")
        .unwrap_or_else(|_| unreachable!())
});
static GUIDANCE_PROSE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:cfg|guidance(?: scale)?)\s*(?:scale\s*)?(?:of|:|=|at|around)?\s*\**\s*(\d{1,2}(?:\.\d+)?)\b")
        .unwrap_or_else(|_| unreachable!())
});

/// Sizes mentioned anywhere (tables included); a "resolution" line sets the default.
pub(super) fn resolutions(prose: &str, r: &mut CardRecipe) {
    for line in prose.lines() {
        let lower = line.to_ascii_lowercase();
        for c in RES.captures_iter(line) {
            let (Some(w), Some(h)) =
                (c.get(1).and_then(|m| m.as_str().parse().ok()), c.get(2).and_then(|m| m.as_str().parse().ok()))
            else {
                continue;
            };
            let res = Resolution { width: w, height: h };
            if r.resolution.is_none()
                && (lower.contains("resolution") || lower.contains("size"))
                && !lower.contains("train")
            {
                let detail = line.trim().chars().take(160).collect::<String>();
                let source = if line.trim_start().starts_with('|') { Source::CardTable } else { Source::CardProse };
                r.resolution = Some(Sourced::new(res, source, detail));
            }
            if !r.mentioned_resolutions.contains(&res) {
                r.mentioned_resolutions.push(res);
            }
        }
        if lower.contains("input aspect") || lower.contains("input's aspect") || lower.contains("keep the aspect") {
            r.follow_input_aspect = true;
        }
    }
}

pub(super) fn from_prose(prose: &str, r: &mut CardRecipe) {
    let mut training_section = false;
    for line in prose.lines().filter(|l| !l.trim_start().starts_with('|')) {
        if line.trim_start().starts_with('#') {
            // "## Training" / "## Training details": its "Steps: 3,000" are training steps.
            training_section = line.to_ascii_lowercase().contains("train");
            continue;
        }
        if r.lora_scale.is_none()
            && let Some(c) = SCALE_PROSE.captures(line) {
                let text = c.get(1).or_else(|| c.get(2)).map_or("", |m| m.as_str());
                read_scale(text, Source::CardProse, line, r);
            }
        // A line that names inference ("We recommend 24 inference steps") is a recipe wherever
        // it stands, also under a Training heading.
        let lower = line.to_ascii_lowercase();
        let training = (training_section && !lower.contains("inference")) || lower.contains("train");
        if r.steps.is_none() && !training && RECOMMENDING.is_match(line) {
            let v = STEPS_PROSE
                .captures(line)
                .and_then(|c| c.get(1).or_else(|| c.get(2)))
                .filter(|m| !thousands(&line[m.end()..]))
                .and_then(|m| m.as_str().parse::<u32>().ok())
                .filter(|v| (1..=200).contains(v));
            r.steps = v.map(|v| Sourced::new(v, Source::CardProse, line.trim().chars().take(160).collect::<String>()));
        }
        if r.guidance.is_none() && !training {
            let v = GUIDANCE_PROSE
                .captures(line)
                .and_then(|c| c.get(1))
                .and_then(|m| m.as_str().parse::<f64>().ok())
                .filter(|v| *v <= 30.0);
            r.guidance = v.map(|v| {
                (
                    Sourced::new(v, Source::CardProse, line.trim().chars().take(160).collect::<String>()),
                    GuidanceParam::GuidanceScale,
                )
            });
        }
        let lower = line.to_ascii_lowercase();
        if (lower.contains(" frames") || lower.contains("fps")) && !lower.contains("training") {
            read_frames(line, Source::CardProse, line, r);
        }
    }
}

/// "3,000": the digits before a thousands separator are not a step count.
fn thousands(after: &str) -> bool {
    let mut c = after.chars();
    c.next() == Some(',') && c.take(3).filter(char::is_ascii_digit).count() == 3
}

static NEGATIVE_PROSE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)negative prompt\**\s*[:=]\s*\**\s*`([^`\n]{1,400})`").unwrap_or_else(|_| unreachable!())
});

/// "Negative prompt: `…`" in the prose, when the snippet has none.
pub(super) fn negative_from_prose(prose: &str, r: &mut CardRecipe) {
    if r.negative_prompt.is_some() {
        return;
    }
    r.negative_prompt = prose.lines().find_map(|l| {
        let text = NEGATIVE_PROSE.captures(l)?.get(1)?.as_str().to_owned();
        Some(Sourced::new(text, Source::CardProse, l.trim().chars().take(160).collect::<String>()))
    });
}
