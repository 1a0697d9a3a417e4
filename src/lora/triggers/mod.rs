//! Analyze stage, trigger words and prompt templates (knowledge §2.4): YAML `instance_prompt`
//! (without AUTOMATIC1111 `<lora:…>` tags; narrowed by a single stated trigger) → ai-toolkit's
//! "No trigger words defined." → a trigger line or section in the prose ("Trigger: `X`", "Start
//! the prompt with `X`", "use the word X", "トリガー: X") → the fixed words of a template or a
//! stated prompt structure → a first word shared by the widget prompts.

mod dreambooth;
mod prompt_template;
mod statement;

use std::sync::LazyLock;

use regex::Regex;

use super::base::strip_code;
use super::card::Frontmatter;
use super::profile::{Source, Sourced};
use dreambooth::dreambooth_template_phrase;
pub use dreambooth::rare_token;
use prompt_template::{stated_structure, template_prefix};
pub use prompt_template::template;
use statement::{from_trigger_line, from_trigger_section};

/// Trigger words, with evidence.
pub fn find(front: &Frontmatter, body: &str) -> Sourced<Vec<String>> {
    let prose = strip_code(body);
    let instance_prompt = front.instance_prompt.as_deref().map(without_a1111_tags);
    if let Some(p) = instance_prompt.as_deref().filter(|p| !p.is_empty() && !is_none_word(p)) {
        // The author's own trigger statement may narrow the trainer-written instance prompt
        // (`yarn art style` inside "a tarot card, yarn art style"; `<s0><s1>` inside
        // "an <s0><s1> emoji"): the statement is what the author asks users to type. Several
        // different statements that each hold a part ("You should use `v3ct0r`" and "You should
        // use `vector`" for "v3ct0r, vector") are a template splitting it: the prompt stands.
        let stated = statement::statements(&prose, Some(p));
        let mut distinct: Vec<&Vec<String>> = stated.iter().map(|s| &s.value).filter(|v| !v.is_empty()).collect();
        distinct.dedup();
        if let ([one], Some(s)) = (distinct.as_slice(), stated.iter().find(|s| narrows(&s.value, p)))
            && narrows(one, p)
        {
            let detail = format!("{} (narrows instance_prompt: {p})", s.evidence.detail);
            return Sourced::new(s.value.clone(), Source::CardProse, detail);
        }
        return Sourced::new(vec![p.to_owned()], Source::Yaml, format!("instance_prompt: {p}"));
    }
    if body.contains("No trigger words defined") {
        return Sourced::new(vec![], Source::CardProse, "card says \"No trigger words defined.\"");
    }
    if let Some(found) = from_trigger_line(&prose).or_else(|| from_trigger_section(&prose)) {
        return found;
    }
    if let Some(found) = template_prefix(body, &front.widget_texts).or_else(|| stated_structure(&prose)) {
        return found;
    }
    if let Some(word) = shared_first_word(&front.widget_texts) {
        return Sourced::new(vec![word.clone()], Source::Yaml, format!("every widget prompt starts with {word}"));
    }
    if let Some(found) = dreambooth_template_phrase(&prose) {
        return found;
    }
    Sourced::new(vec![], Source::Default, "no trigger word found in the card")
}

static A1111_TAG: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"<lora:[^:<>\n]+(?::[^<>\n]*)?>").unwrap_or_else(|_| unreachable!()));

/// The text without AUTOMATIC1111 LoRA-loading tags (`<lora:nyalia:0.35>`): they load the LoRA
/// at a weight in that UI, they are not words of the prompt.
pub(crate) fn without_a1111_tags(text: &str) -> String {
    A1111_TAG.replace_all(text, "").split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A single stated trigger that is a strict part of the instance prompt.
fn narrows(stated: &[String], instance_prompt: &str) -> bool {
    matches!(stated, [one] if one.len() >= 2 && one.as_str() != instance_prompt && instance_prompt.contains(one.as_str()))
}

/// An empty value a template printed as a word (`None`, `null`, `undefined`).
pub(crate) fn is_none_word(p: &str) -> bool {
    matches!(p.trim().to_ascii_lowercase().as_str(), "none" | "null" | "undefined" | "n/a" | "-")
}

pub(super) fn is_trigger_candidate(text: &str) -> bool {
    let t = text.trim();
    !t.is_empty()
        && t.len() <= 120
        && !t.contains(".safetensors")
        && !t.contains("pip install")
        && !without_a1111_tags(t.trim_matches('`')).is_empty()
        && t.parse::<f64>().is_err()
}

/// A first word every widget prompt shares and that looks like a made-up token.
fn shared_first_word(prompts: &[String]) -> Option<String> {
    let first = prompts.first()?.split_whitespace().next()?.to_owned();
    // A single letter ("A pixel art spritesheet of …") is an article, not a made-up token.
    let made_up = first.chars().count() >= 2
        && (first.chars().any(|c| c.is_ascii_digit()) || first.ends_with(',') || first.chars().all(|c| c.is_uppercase()));
    (prompts.len() >= 2 && made_up && prompts.iter().all(|p| p.split_whitespace().next() == Some(first.as_str())))
        .then_some(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trig(body: &str) -> Vec<String> {
        find(&Frontmatter::default(), body).value
    }

    #[test]
    fn yaml_instance_prompt_is_the_trigger() {
        let front = Frontmatter { instance_prompt: Some("a photo of TOK corgi".into()), ..Frontmatter::default() };
        assert_eq!(find(&front, "").value, vec!["a photo of TOK corgi"]);
    }

    #[test]
    fn backticked_word_on_a_trigger_line_is_the_trigger() {
        assert_eq!(trig("**Trigger:** start the prompt with `inksk3tch,`\n"), vec!["inksk3tch,"]);
        assert_eq!(trig("Always begin with **`Next Shot:`** followed by a move.\n"), vec!["Next Shot:"]);
    }

    #[test]
    fn first_backtick_span_of_a_trigger_section_is_the_trigger() {
        assert_eq!(trig("## Trigger\n\n`r0t4tion 360` - use it inside:\n"), vec!["r0t4tion 360"]);
    }

    #[test]
    fn plain_prose_use_the_word_is_understood() {
        assert_eq!(trig("use the word mochicat in the prompt. works ok at 0.8\n"), vec!["mochicat"]);
    }

    #[test]
    fn unquoted_trigger_list_is_split() {
        assert_eq!(trig("Trigger words: wtrclr, watercolor painting\n"), vec!["wtrclr", "watercolor painting"]);
    }

    #[test]
    fn ai_toolkit_no_trigger_sentence_means_none() {
        assert!(trig("## Trigger words\nNo trigger words defined.\n").is_empty());
    }

    #[test]
    fn code_in_fences_is_not_read_as_a_trigger() {
        assert!(trig("```python\n# trigger: `evil`\n```\n").is_empty());
    }

    #[test]
    fn bold_trigger_word_with_a_quoted_value_is_read() {
        // manbeast3b/FLUX.1-schnell-3dgen-lora
        let body = "1. **Always use the trigger word**: Start prompts with \"3dgen\" for best results\n\n- **Trigger Word**: \"3dgen\"\n";
        assert_eq!(trig(body), vec!["3dgen"]);
    }

    #[test]
    fn a_card_saying_no_trigger_is_needed_has_none_and_a_scale_is_not_a_trigger() {
        // Shakker-Labs/FLUX.1-dev-LoRA-add-details and -AntiBlur
        assert!(trig("## Trigger words\n\nThere is no essential trigger words. The recommended scale is `1.0`.\n").is_empty());
        assert!(trig("## Trigger words\n\nThe trigger word is not required. The recommended scale is `1.0` to `1.5` in diffusers.\n").is_empty());
        assert!(trig("Trigger: `1.5`\n").is_empty());
    }

    #[test]
    fn unquoted_you_should_use_sentence_gives_the_phrase() {
        // AutoTrain SDXL DreamBooth card (maelysjb/sdxl-lora-piglet)
        assert_eq!(trig("## Trigger words\n\nYou should use An image of Feli to trigger the image generation.\n"), vec!["An image of Feli"]);
    }

    #[test]
    fn stated_trigger_narrows_the_trainer_instance_prompt() {
        // linoyts/yarn_art_flux_1_700_custom: instance_prompt "a tarot card, yarn art style"
        let front = Frontmatter { instance_prompt: Some("a tarot card, yarn art style".into()), ..Frontmatter::default() };
        let t = find(&front, "## Trigger words\n\nYou should use `yarn art style` to trigger the image generation.\n");
        assert_eq!((t.value, t.evidence.source), (vec!["yarn art style".to_owned()], Source::CardProse));
        // …but an equal statement keeps the YAML as the source.
        let t = find(&front, "You should use `a tarot card, yarn art style` to trigger the image generation.\n");
        assert_eq!(t.evidence.source, Source::Yaml);
    }

    #[test]
    fn old_dreambooth_template_names_the_instance_prompt_in_prose() {
        // patrickvonplaten/lora_dreambooth_dog_example
        let body = "These are LoRA adaption weights for x. The weights were trained on a photo of sks dog using [DreamBooth](https://dreambooth.github.io/).\n";
        assert_eq!(trig(body), vec!["a photo of sks dog"]);
    }

    #[test]
    fn an_instruction_prefix_the_card_asks_for_is_the_trigger() {
        // lovis93/next-scene-qwen-image-lora-2509
        let body = "### Basic Setup:\n\n3. Set LoRA strength: **0.7 – 0.8** (recommended)\n4. Structure your prompts with **\"Next Scene:\"** prefix for optimal results\n";
        assert_eq!(trig(body), vec!["Next Scene:"]);
        assert!(trig("The LoRA keys carry the `lora_unet_` prefix.\n").is_empty(), "a prefix that is not about prompts");
    }

    #[test]
    fn a_template_printed_none_is_no_trigger() {
        // diffusers Qwen-Image DreamBooth card of a run without --instance_prompt
        assert!(trig("## Trigger words\n\nYou should use `None` to trigger the image generation.\n").is_empty());
    }

    #[test]
    fn fixed_words_of_a_placeholder_template_the_widget_prompts_share_are_the_trigger() {
        // LTX-2.3 22B IC-LoRA Relight card
        let front = Frontmatter {
            widget_texts: vec![
                "relight the video to match the light-direction ball. hard low-angle sunlight from the right".into(),
                "relight the video to match the light-direction ball. warm golden low side sun from the left".into(),
            ],
            ..Frontmatter::default()
        };
        let body = "- **Prompting:** minimal caption — a fixed trigger, then one look phrase and a direction phrase.\n\n  **Format:**\n  ```\n  relight the video to match the light-direction ball. <look> from <direction>\n  ```\n";
        assert_eq!(find(&front, body).value, vec!["relight the video to match the light-direction ball."]);
        // Without example prompts that share them, a template's words are not taken for a trigger.
        assert!(find(&Frontmatter::default(), body).value.is_empty());
    }

    #[test]
    fn japanese_trigger_statements_are_read() {
        // RedRayz/MyLora and Lacria/ganimata
        assert_eq!(trig("## M4 Carbine\nトリガーワードは`m4 carbine`です。\n銃を持つときは`holding gun`を使用します。\n"), vec!["m4 carbine"]);
        assert_eq!(trig("トリガー:ganimata\n![grid-0591.png](https://s3.amazonaws.com/x.png)\n"), vec!["ganimata"]);
        assert_eq!(trig("트리거： mochi style\n"), vec!["mochi style"]);
    }

    #[test]
    fn statements_that_split_the_instance_prompt_keep_it_whole() {
        // renderartist/simplevectorflux: instance_prompt "v3ct0r, vector", one template line per part
        let front = Frontmatter { instance_prompt: Some("v3ct0r, vector".into()), ..Frontmatter::default() };
        let body = "## Trigger words\n\nYou should use `v3ct0r` to trigger the image generation.\n\nYou should use `vector` to trigger the image generation.\n";
        let t = find(&front, body);
        assert_eq!((t.value, t.evidence.source), (vec!["v3ct0r, vector".to_owned()], Source::Yaml));
    }

    #[test]
    fn the_span_of_a_trigger_line_that_is_part_of_the_instance_prompt_is_taken() {
        // linoyts/huggy_flux_1500_ti_1_rank_16_embeds (diffusers advanced Flux DreamBooth, pivotal tuning)
        let front = Frontmatter { instance_prompt: Some("a <s0><s1> hugging face emoji".into()), ..Frontmatter::default() };
        let body = "## Trigger words\n\nTo trigger image generation of trained concept(or concepts) replace each concept identifier in you prompt with the new inserted tokens:\n\n    to trigger concept `TOK` → use `<s0><s1>` in your prompt \n\n";
        assert_eq!(find(&front, body).value, vec!["<s0><s1>"]);
    }

    #[test]
    fn an_a1111_lora_tag_is_not_a_trigger() {
        // personal1802/nyalia.safetensors: instance_prompt <lora:nyalia:0.35>
        let front = Frontmatter { instance_prompt: Some("<lora:nyalia:0.35>".into()), ..Frontmatter::default() };
        let body = "## Trigger words\n\nYou should use `<lora:nyalia:0.35>` to trigger the image generation.\n";
        assert!(find(&front, body).value.is_empty());
        let front = Frontmatter { instance_prompt: Some("<lora:x:0.8> ohwx dog".into()), ..Frontmatter::default() };
        assert_eq!(find(&front, "").value, vec!["ohwx dog"]);
    }

    #[test]
    fn a_single_capital_letter_shared_by_the_widget_prompts_is_an_article() {
        // svntax-dev/pixel_spritesheet_4walk_small_lora_v1: every widget prompt starts "A pixel art spritesheet …"
        let front = Frontmatter {
            widget_texts: vec!["A pixel art spritesheet of a knight".into(), "A pixel art spritesheet of a witch".into()],
            ..Frontmatter::default()
        };
        assert!(find(&front, "").value.is_empty());
        let front = Frontmatter { widget_texts: vec!["TOK a dog".into(), "TOK a cat".into()], ..Frontmatter::default() };
        assert_eq!(find(&front, "").value, vec!["TOK"]);
    }

    #[test]
    fn the_fixed_words_of_a_stated_prompt_structure_are_the_trigger() {
        // AmirKerr/Render_It (Qwen-Image-Edit)
        let body = "Use this prompt structure - \"Render this photo/3d/pixelart/anime, YOUR PROMPT\".\n";
        assert_eq!(trig(body), vec!["Render this"]);
        // The HunyuanVideo AnimaEngine card's structure starts with its trigger word.
        assert_eq!(trig("Use prompts in the format of `anime <subject> <description>` to get the best results\n"), vec!["anime"]);
        assert!(trig("Use this prompt structure: \"a photo of a cat\"\n").is_empty(), "no slot, no template");
    }

    #[test]
    fn template_with_bracket_placeholder_is_parsed() {
        let body = "```\nCAKEIFY a cake shaped like [your object]\n```\n";
        let t = template(body, &["CAKEIFY".into()]).map(|t| t.value);
        assert_eq!(t.map(|t| t.display()).as_deref(), Some("CAKEIFY a cake shaped like {object}"));
    }

    #[test]
    fn rare_token_is_found_in_dreambooth_phrases() {
        assert_eq!(rare_token("a photo of TOK corgi").as_deref(), Some("TOK"));
        assert_eq!(rare_token("inksk3tch,"), None);
    }
}
