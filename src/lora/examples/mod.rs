//! Analyze stage, examples (knowledge §2.5): example prompts (widget texts, quoted prompts in
//! the prose, the snippet's `prompt=`, "…, extra words" continuations of the trigger) and
//! example input media in the repo (files the snippet loads and their siblings).

mod input_media;
mod prose_prompts;

use super::base::strip_code;
use super::card::Frontmatter;
use super::profile::{Source, Sourced};
use super::snippet;
use super::triggers::is_none_word;
pub use input_media::{fill_template_examples, media, subject_from_filename};
use prose_prompts::{continuations, fenced_examples, labelled_examples, listed_examples};
#[cfg(test)]
use prose_prompts::is_setting_line;

const MAX_EXAMPLES: usize = 6;

/// Example prompts, strongest source first, de-duplicated.
pub fn prompts(front: &Frontmatter, body: &str, code: &str, triggers: &[String]) -> Sourced<Vec<String>> {
    let prose = strip_code(body);
    let quoted: Vec<String> = prose
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix('>'))
        .map(|l| l.trim().to_owned())
        .filter(|l| triggers.iter().any(|t| l.starts_with(t.as_str())))
        .collect();
    let mut snippet_prompts = snippet::string_kwargs(code, "prompt");
    snippet_prompts.extend(snippet::positional_prompts(code));
    let continuations = continuations(&prose, triggers);
    let mut listed = listed_examples(&prose, triggers);
    listed.extend(labelled_examples(&prose));
    let fenced = fenced_examples(body, triggers);
    let sources: [(&[String], &str); 6] = [
        (&front.widget_texts, "YAML widget prompts"),
        (&quoted, "prompts quoted in the card"),
        (&listed, "an example-prompts list in the card"),
        (&fenced, "example prompts in a code block"),
        (&snippet_prompts, "prompt="),
        (&continuations, "\"…, more words\" continuations of the trigger"),
    ];
    let mut out: Vec<String> = Vec::new();
    let mut used: Vec<&str> = Vec::new();
    for (list, name) in sources {
        let before = out.len();
        for p in list.iter().map(|p| p.trim()).filter(|p| !p.is_empty() && p.len() <= 500 && !is_none_word(p)) {
            if !out.iter().any(|o| o == p) && out.len() < MAX_EXAMPLES {
                out.push(p.to_owned());
            }
        }
        if out.len() > before {
            used.push(name);
        }
    }
    let source = if front.widget_texts.is_empty() {
        let prose_only = quoted.is_empty() && continuations.is_empty() && listed.is_empty() && fenced.is_empty();
        if prose_only { Source::CardSnippet } else { Source::CardProse }
    } else {
        Source::Yaml
    };
    let detail = if used.is_empty() { "no example prompts in the card".to_owned() } else { used.join(" + ") };
    Sourced::new(out, if used.is_empty() { Source::Default } else { source }, detail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_setting_line_has_a_label_of_at_most_24_characters() {
        assert!(is_setting_line("Steps: 28"));
        assert!(is_setting_line("**Guidance scale** : 3.5"));
        assert!(is_setting_line(&format!("{}: x", "é".repeat(24))), "labels may be non-ASCII words");
        assert!(!is_setting_line(&format!("{}: x", "a".repeat(25))));
        assert!(!is_setting_line("a photo of TOK, watercolor: soft"), "a comma is not part of a label");
    }

    fn files(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn snippet_loaded_image_and_its_same_suffix_siblings_are_inputs() {
        let f = files(&[
            "samples/street_day.jpg",
            "samples/street_golden.jpg",
            "samples/portrait_day.jpg",
            "samples/portrait_golden.jpg",
            "grid.jpg",
        ]);
        let m = media(&f, &Frontmatter::default(), "load_image(\"samples/street_day.jpg\")", false);
        assert_eq!(m, vec!["samples/street_day.jpg", "samples/portrait_day.jpg"]);
    }

    #[test]
    fn widget_outputs_are_never_inputs() {
        let front = Frontmatter { widget_outputs: vec!["image_0.png".into()], ..Frontmatter::default() };
        assert!(media(&files(&["image_0.png"]), &front, "", false).is_empty());
    }

    #[test]
    fn image_paired_with_an_output_video_is_an_input() {
        let f = files(&["examples/teapot.png", "examples/teapot.mp4", "examples/cat.png"]);
        assert_eq!(media(&f, &Frontmatter::default(), "", false), vec!["examples/teapot.png"]);
    }

    #[test]
    fn quoted_prompts_and_continuations_become_examples() {
        let body = "> Next Shot: pull back.\n> unrelated quote\nSteer it, e.g. `…, lens flare`\n";
        let p = prompts(&Frontmatter::default(), body, "", &["Next Shot:".into()]).value;
        assert_eq!(p, vec!["Next Shot: pull back.", "Next Shot:, lens flare"]);
    }

    #[test]
    fn list_items_under_an_example_prompts_heading_are_examples() {
        let body =
            "## Example prompts\n- `zk style, a fox in the snow`\n- Steps: 30\n\n## Notes\n- not an example at all\n";
        assert_eq!(
            prompts(&Frontmatter::default(), body, "", &["zk style".into()]).value,
            vec!["zk style, a fox in the snow"]
        );
    }

    #[test]
    fn list_items_after_a_for_example_label_are_examples() {
        // trojblue's HunyuanVideo AnimaEngine card ("## Prompting" … "for example:")
        let body = "## Prompting\n\nUse prompts in the format of `anime <subject> <description>` to get the best results, use resolution `544x960`. for example:\n\n\n\n- anime girl with pink twin tails and green eyes, wearing a school uniform.\n- anime boy with silver hair and blue eyes, sitting on a park bench.\n\n## Limitations\n\n- It is a test model so large body movements get disconnected.\n";
        assert_eq!(
            prompts(&Frontmatter::default(), body, "", &["anime".into()]).value,
            vec!["anime girl with pink twin tails and green eyes, wearing a school uniform.", "anime boy with silver hair and blue eyes, sitting on a park bench."]
        );
    }

    #[test]
    fn fenced_prompts_under_an_example_heading_or_label_are_examples() {
        // lovis93/next-scene-qwen-image-lora-2509 and the LTX-2.3 IC-LoRA Relight card
        let body = "### Example Prompt:\n\n```\nNext Scene: The camera moves slightly forward as sunlight breaks through the clouds.\n```\n\n### Pro Tips:\n\n```\nNext Scene: not an example\n```\n";
        assert_eq!(
            prompts(&Frontmatter::default(), body, "", &["Next Scene:".into()]).value,
            vec!["Next Scene: The camera moves slightly forward as sunlight breaks through the clouds."]
        );
        let body = "  **Format:**\n  ```\n  relight the video. <look> from <direction>\n  ```\n  **Examples:**\n  ```\n  relight the video. hard directional sunlight from the right\n  relight the video. frontal sunlight from the front\n  ```\n";
        assert_eq!(
            prompts(&Frontmatter::default(), body, "", &["relight the video.".into()]).value,
            vec!["relight the video. hard directional sunlight from the right", "relight the video. frontal sunlight from the front"]
        );
    }

    #[test]
    fn a_quoted_prompt_after_an_example_prompt_label_is_an_example() {
        // oumoumad/fx-dancing
        let body = "Trigger Word : \"fx dance\"\n\nExample prompt : \"fx dance figure made out of honey liquid dancing, honey dripping on floor\"\n";
        assert_eq!(
            prompts(&Frontmatter::default(), body, "", &["fx dance".into()]).value,
            vec!["fx dance figure made out of honey liquid dancing, honey dripping on floor"]
        );
    }

    #[test]
    fn a_none_printed_by_a_template_is_no_example() {
        let code = "image = pipe(f\"None\").images[0]\n";
        assert!(prompts(&Frontmatter::default(), "", code, &[]).value.is_empty());
    }

    #[test]
    fn filename_gives_a_readable_placeholder_value() {
        assert_eq!(subject_from_filename("assets/images/rubber_duck.png"), "a rubber duck");
    }

    #[test]
    fn widget_prompts_are_deduplicated() {
        let front = Frontmatter { widget_texts: vec!["a".into(), "a".into(), "b".into()], ..Frontmatter::default() };
        assert_eq!(prompts(&front, "", "", &[]).value, vec!["a", "b"]);
    }
}
