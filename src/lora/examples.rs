//! Analyze stage, examples (knowledge §2.5): example prompts (widget texts, quoted prompts in
//! the prose, the snippet's `prompt=`, "…, extra words" continuations of the trigger) and
//! example input media in the repo (files the snippet loads and their siblings).

use std::sync::LazyLock;

use regex::Regex;

use super::base::strip_code;
use super::card::Frontmatter;
use super::profile::{LoraProfile, Source, Sourced};
use super::snippet;
use super::triggers::is_none_word;

const MAX_EXAMPLES: usize = 6;

static BACKTICK: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"`([^`\n]+)`").unwrap_or_else(|_| unreachable!()));

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

static EXAMPLE_HEADING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^#+.*\b(examples?|prompts?|sample prompts?)\b").unwrap_or_else(|_| unreachable!())
});
static LIST_ITEM: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s*(?:[-*+]|\d+[.)])\s+(.+)$").unwrap_or_else(|_| unreachable!()));
/// "Steps: 28", "**CFG**: 3.5": a short label, a colon, a value. The label's length is checked
/// in code: a bounded Unicode `[\w ]{1,24}` would compile into 24 copies of a huge class.
static SETTING: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^\**([\w ]+)\**\s*:\s*\S").unwrap_or_else(|_| unreachable!()));

fn is_setting_line(text: &str) -> bool {
    SETTING.captures(text).and_then(|c| c.get(1)).is_some_and(|label| label.as_str().chars().count() <= 24)
}

/// List items under an "Examples" / "Example prompts" heading.
fn listed_examples(prose: &str, triggers: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_section = false;
    for line in prose.lines() {
        if line.trim_start().starts_with('#') {
            let lower = line.to_ascii_lowercase();
            in_section = EXAMPLE_HEADING.is_match(line) && !lower.contains("negative") && !lower.contains("how to");
            continue;
        }
        let Some(item) = LIST_ITEM.captures(line).filter(|_| in_section).and_then(|c| c.get(1)) else { continue };
        let text = item.as_str().trim().trim_matches(|c| c == '`' || c == '"' || c == '*').trim();
        let is_setting = is_setting_line(text) && !triggers.iter().any(|t| text.starts_with(t.as_str()));
        if text.len() >= 10 && !is_setting && !text.contains("](") {
            out.push(text.to_owned());
        }
    }
    out
}

/// `Example prompt : "fx dance figure made out of honey liquid dancing"`: a quoted prompt after an
/// "Example prompt(s)" label on a prose line.
static LABELLED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)^\W*example prompts?\W*:\s*\**\s*["“]([^"”\n]{10,400})["”]"#).unwrap_or_else(|_| unreachable!())
});

fn labelled_examples(prose: &str) -> Vec<String> {
    prose.lines().filter_map(|l| LABELLED.captures(l.trim()).and_then(|c| c.get(1))).map(|m| m.as_str().trim().to_owned()).collect()
}

/// Lines of a plain code block under an "Example prompt(s)" heading or right after an
/// "Examples:" label ("### Example Prompt:" + a fenced prompt; "**Examples:**" + one prompt per
/// line). With a trigger, only lines that start with it; never template lines with `<slots>`.
fn fenced_examples(body: &str, triggers: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    let (mut in_section, mut labelled, mut in_block, mut take) = (false, false, false, false);
    for line in body.lines() {
        let t = line.trim();
        if t.starts_with("```") || t.starts_with("~~~") {
            if in_block {
                in_block = false;
            } else {
                let lang = t.trim_start_matches(['`', '~']).trim().to_ascii_lowercase();
                in_block = true;
                take = (in_section || labelled) && matches!(lang.as_str(), "" | "text" | "txt" | "plaintext");
            }
            labelled = false;
            continue;
        }
        if in_block {
            let starts = triggers.is_empty() || triggers.iter().any(|tr| t.starts_with(tr.as_str()));
            if take && t.len() >= 10 && starts && !t.contains('<') && !looks_like_code(t) {
                out.push(t.to_owned());
            }
            continue;
        }
        if t.starts_with('#') {
            let lower = t.to_ascii_lowercase();
            in_section = EXAMPLE_HEADING.is_match(t) && !lower.contains("negative") && !lower.contains("how to");
            labelled = false;
        } else if !t.is_empty() {
            let label = t.trim_matches('*').trim_end();
            labelled = label.ends_with(':') && label.to_ascii_lowercase().contains("example");
        }
    }
    out
}

fn looks_like_code(t: &str) -> bool {
    t.contains("import ") || t.contains(" = ") || t.starts_with("pip ") || t.starts_with("python ") || t.contains("](")
}

/// "`…, sun behind the subject`" → "<trigger>, sun behind the subject".
fn continuations(prose: &str, triggers: &[String]) -> Vec<String> {
    let Some(trigger) = triggers.first() else { return vec![] };
    BACKTICK
        .captures_iter(prose)
        .filter_map(|c| c.get(1))
        .filter_map(|m| m.as_str().strip_prefix('…').or_else(|| m.as_str().strip_prefix("...")))
        .map(|rest| format!("{}{}", trigger.trim_end(), rest.trim_end()))
        .collect()
}

/// A placeholder value guessed from a media filename (`rubber_duck.png` → `a rubber duck`).
pub fn subject_from_filename(path: &str) -> String {
    let stem = path.rsplit('/').next().unwrap_or(path);
    let stem = stem.rsplit_once('.').map_or(stem, |(s, _)| s);
    let words: Vec<&str> =
        stem.split(['_', '-', ' ']).filter(|w| !w.is_empty() && !w.chars().all(|c| c.is_ascii_digit())).collect();
    format!("a {}", words.join(" "))
}

/// Template LoRAs: example inputs without a card prompt get the template filled from their
/// filename, so every example input has a matching example prompt.
pub fn fill_template_examples(p: &mut LoraProfile) {
    let Some(template) = p.prompt_template.as_ref().map(|t| t.value.clone()) else { return };
    let start = p.examples.value.len();
    for media in p.example_media.iter().skip(start) {
        let filled = template.fill(&subject_from_filename(media));
        if !p.examples.value.contains(&filled) {
            p.examples.value.push(filled);
        }
    }
    if p.examples.value.len() > start {
        p.examples.evidence.detail.push_str(" + the card's template filled from example input filenames");
    }
}

const IMAGE_EXT: &[&str] = &[".png", ".jpg", ".jpeg", ".webp"];
const VIDEO_EXT: &[&str] = &[".mp4", ".webm", ".mov"];
static INPUTISH: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)(^|[/_\-.])(input|inputs|before|source|src|original|condition|control|ref|reference|in|pose|depth|canny|edges?|mask)([/_\-.]|\d|$)",
    )
    .unwrap_or_else(|_| unreachable!())
});

fn has_ext(f: &str, exts: &[&str]) -> bool {
    let lower = f.to_ascii_lowercase();
    exts.iter().any(|e| lower.ends_with(e))
}

fn split_path(f: &str) -> (&str, &str, &str) {
    let (dir, name) = f.rsplit_once('/').unwrap_or(("", f));
    let (stem, ext) = name.rsplit_once('.').unwrap_or((name, ""));
    (dir, stem, ext)
}

/// Example input media for a task that needs an image (`video == false`) or a video.
pub fn media(files: &[String], front: &Frontmatter, code: &str, video: bool) -> Vec<String> {
    let exts = if video { VIDEO_EXT } else { IMAGE_EXT };
    let pool: Vec<&String> = files
        .iter()
        .filter(|f| has_ext(f, exts))
        .filter(|f| !front.widget_outputs.iter().any(|o| o.trim_start_matches("./") == f.as_str()))
        .collect();
    let loaded: Vec<String> = snippet::loaded_media(code).into_iter().filter(|m| pool.contains(&m)).collect();
    if let Some(first) = loaded.first() {
        let (dir, stem, ext) = split_path(first);
        let suffix = stem
            .rsplit_once('_')
            .map(|(_, s)| s)
            .filter(|s| pool.iter().filter(|f| split_path(f).1.ends_with(&format!("_{s}"))).count() > 1);
        return pool
            .iter()
            .filter(|f| {
                let (d, s, e) = split_path(f);
                d == dir && e == ext && suffix.is_none_or(|suf| s.ends_with(&format!("_{suf}")))
            })
            .map(|f| (*f).clone())
            .collect();
    }
    let inputish: Vec<String> = pool.iter().filter(|f| INPUTISH.is_match(f)).map(|f| (*f).clone()).collect();
    if !inputish.is_empty() {
        return inputish;
    }
    // Inputs paired with an output of the other kind (teapot.png ↔ teapot.mp4 for image-to-video).
    pool.iter()
        .filter(|f| {
            let (d, s, _) = split_path(f);
            files.iter().any(|o| o != **f && !has_ext(o, exts) && split_path(o).0 == d && split_path(o).1 == s)
        })
        .map(|f| (*f).clone())
        .collect()
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
