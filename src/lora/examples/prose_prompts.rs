//! Example prompts written in the card's prose: list items under an "Examples" heading, quoted
//! prompts after an "Example prompt:" label, plain code blocks under such a heading or label, and
//! "`…, more words`" continuations of the trigger.

use std::sync::LazyLock;

use regex::Regex;

static BACKTICK: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"`([^`\n]+)`").unwrap_or_else(|_| unreachable!()));

static EXAMPLE_HEADING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^#+.*\b(examples?|prompts?|sample prompts?)\b").unwrap_or_else(|_| unreachable!())
});
static LIST_ITEM: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s*(?:[-*+]|\d+[.)])\s+(.+)$").unwrap_or_else(|_| unreachable!()));
/// "Steps: 28", "**CFG**: 3.5": a short label, a colon, a value. The label's length is checked
/// in code: a bounded Unicode `[\w ]{1,24}` would compile into 24 copies of a huge class.
static SETTING: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^\**([\w ]+)\**\s*:\s*\S").unwrap_or_else(|_| unreachable!()));

pub(super) fn is_setting_line(text: &str) -> bool {
    SETTING.captures(text).and_then(|c| c.get(1)).is_some_and(|label| label.as_str().chars().count() <= 24)
}

/// List items under an "Examples" / "Example prompts" heading or right after a prose line that
/// ends in an "…for example:" label.
pub(super) fn listed_examples(prose: &str, triggers: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    let (mut in_section, mut labelled) = (false, false);
    for line in prose.lines() {
        if line.trim_start().starts_with('#') {
            let lower = line.to_ascii_lowercase();
            in_section = EXAMPLE_HEADING.is_match(line) && !lower.contains("negative") && !lower.contains("how to");
            labelled = false;
            continue;
        }
        let item = LIST_ITEM.captures(line).and_then(|c| c.get(1));
        if item.is_none() && !line.trim().is_empty() {
            // "Use prompts in the format of … for example:" — the list right after it holds examples.
            let label = line.trim().trim_end_matches('*').trim_end();
            labelled = label.ends_with(':') && label.to_ascii_lowercase().contains("example");
        }
        let Some(item) = item.filter(|_| in_section || labelled) else { continue };
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

pub(super) fn labelled_examples(prose: &str) -> Vec<String> {
    prose.lines().filter_map(|l| LABELLED.captures(l.trim()).and_then(|c| c.get(1))).map(|m| m.as_str().trim().to_owned()).collect()
}

/// Lines of a plain code block under an "Example prompt(s)" heading or right after an
/// "Examples:" label ("### Example Prompt:" + a fenced prompt; "**Examples:**" + one prompt per
/// line). With a trigger, only lines that start with it; never template lines with `<slots>`.
pub(super) fn fenced_examples(body: &str, triggers: &[String]) -> Vec<String> {
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
pub(super) fn continuations(prose: &str, triggers: &[String]) -> Vec<String> {
    let Some(trigger) = triggers.first() else { return vec![] };
    BACKTICK
        .captures_iter(prose)
        .filter_map(|c| c.get(1))
        .filter_map(|m| m.as_str().strip_prefix('…').or_else(|| m.as_str().strip_prefix("...")))
        .map(|rest| format!("{}{}", trigger.trim_end(), rest.trim_end()))
        .collect()
}

