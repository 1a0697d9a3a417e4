//! Analyze stage, recommended settings stated in prose (part of [`super::recipe`]): lines
//! like "LoRA strength 0.7 – 0.8", "works ok at 0.8", "CFG 7, 30 steps", "Resolution:
//! 1024x1024", "Negative prompt: `…`". Training figures ("trained for 1000 steps") are skipped.

use std::sync::LazyLock;

use regex::Regex;

use super::profile::{GuidanceParam, Resolution, Source, Sourced};
use super::recipe::{CardRecipe, RES, read_frames, read_scale};

/// "LoRA strength 0.7 – 0.8", "LoRA Weight: … between `0.6` and `0.8`", "works ok at 0.8", and
/// the Japanese / Chinese / Korean words for strength or weight ("強度は0.7-0.9を推奨します").
static SCALE_PROSE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:(?:strength|lora scale|lora weight|adapter weight|weight of|scale of)\b|強度|强度|权重|權重|重み|ウェイト|가중치|강도)[^.\n]{0,60}?(\d+(?:\.\d+)?(?:[\s*`]*(?:–|—|-|to|~|and)[\s*`]*\d+(?:\.\d+)?)?)|(?:works?|looks?|best)\s+(?:ok|okay|well|good|great|best)?\s*at\s+(\d\.\d+)")
        .unwrap_or_else(|_| unreachable!())
});
/// An AUTOMATIC1111 LoRA tag with its weight: `<lora:nyalia:0.35>`.
static A1111_TAG_WEIGHT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"<lora:[^:<>\n]+:(\d+(?:\.\d+)?)>").unwrap_or_else(|_| unreachable!()));
/// Another LoRA named with a few-step marker on a recipe line: "I use Euler/Beta, 25 steps, CFG
/// 4 and Lightning 8-steps Lora" — that line's steps and CFG are the stack's, not this LoRA's.
static STACKED_FEW_STEP: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:lightning|lightx2v|hyper[- ]?(?:sd|flux)|lcm|turbo|tcd|causvid|distill\w*)\b[^.\n]{0,20}\blora\b")
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
                read_scale(&text.replace('`', "").replace(" and ", " to "), Source::CardProse, line, r);
            }
        let stacked = STACKED_FEW_STEP.is_match(line);
        // A line that names inference ("We recommend 24 inference steps") is a recipe wherever
        // it stands, also under a Training heading.
        let lower = line.to_ascii_lowercase();
        let training = (training_section && !lower.contains("inference")) || lower.contains("train");
        if r.steps.is_none() && !training && !stacked && RECOMMENDING.is_match(line) {
            let v = STEPS_PROSE
                .captures(line)
                .and_then(|c| c.get(1).or_else(|| c.get(2)))
                .filter(|m| !thousands(&line[m.end()..]))
                .and_then(|m| m.as_str().parse::<u32>().ok())
                .filter(|v| (1..=200).contains(v));
            r.steps = v.map(|v| Sourced::new(v, Source::CardProse, line.trim().chars().take(160).collect::<String>()));
        }
        if r.guidance.is_none() && !training && !stacked {
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

/// The weight of an AUTOMATIC1111 LoRA tag in the instance prompt or on a trigger line
/// ("You should use `<lora:nyalia:0.35>` to trigger …"), when nothing else set the scale.
pub(super) fn a1111_tag_weight(instance_prompt: Option<&str>, prose: &str, r: &mut CardRecipe) {
    if r.lora_scale.is_some() {
        return;
    }
    let lines = instance_prompt.into_iter().chain(prose.lines().filter(|l| l.to_ascii_lowercase().contains("trigger")));
    for line in lines {
        if let Some(w) = A1111_TAG_WEIGHT.captures(line).and_then(|c| c.get(1)) {
            read_scale(w.as_str(), Source::CardProse, line, r);
            return;
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

#[cfg(test)]
mod tests {
    use super::super::card::Frontmatter;
    use super::super::recipe::read;

    fn scale(body: &str) -> Option<f64> {
        read(&Frontmatter::default(), body, "").lora_scale.map(|s| s.value)
    }

    #[test]
    fn strength_in_japanese_and_a_range_in_backticks_are_read() {
        // RedRayz/MyLora; WarmBloodAban/Qwen-Image-2.1-LoRAs (after its HTML references are decoded)
        assert_eq!(scale("### 注意\n強度は0.7-0.9を推奨します。\n"), Some(0.8));
        assert_eq!(
            scale("- **LoRA Weight**: It is recommended to start testing between `0.6` and `0.8`, adjusting based on your specific editing needs.\n"),
            Some(0.7)
        );
    }

    #[test]
    fn an_a1111_tag_gives_the_weight() {
        // personal1802/nyalia.safetensors
        let front = Frontmatter { instance_prompt: Some("<lora:nyalia:0.35>".into()), ..Frontmatter::default() };
        assert_eq!(read(&front, "", "").lora_scale.map(|s| s.value), Some(0.35));
        assert_eq!(scale("You should use `<lora:nyalia:0.35>` to trigger the image generation.\n"), Some(0.35));
        assert_eq!(scale("On AUTOMATIC1111, load it by adding `<lora:your_new_name:1>` to your prompt.\n"), None);
    }

    #[test]
    fn a_prose_recipe_stacked_with_a_few_step_lora_is_not_this_loras() {
        // AmirKerr/Render_It (Qwen-Image-Edit)
        let r = read(&Frontmatter::default(), "I use Euler/Beta, 25 steps, CFG 4 and Lightning 8-steps Lora.\n", "");
        assert!(r.steps.is_none() && r.guidance.is_none());
        let r = read(&Frontmatter::default(), "We recommend 30 steps, CFG 4.\n", "");
        assert_eq!((r.steps.map(|s| s.value), r.guidance.map(|(g, _)| g.value)), (Some(30), Some(4.0)));
    }
}
