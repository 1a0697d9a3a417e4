//! Prompt templates in the card's code blocks: a one-line template around a `[placeholder]`, and
//! the fixed words of a template every widget prompt starts with or of a prompt structure the
//! author states (taken for the trigger).

use std::sync::LazyLock;

use regex::Regex;

use super::super::profile::{PromptTemplate, Source, Sourced};
use super::super::snippet::code_blocks;
use super::is_trigger_candidate;

static STRUCTURE_LINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)(?:prompt (?:structure|format|template)|format of|use this prompt)[^"“`\n]*["“`]([^"”`\n]{3,200})["”`]"#)
        .unwrap_or_else(|_| unreachable!())
});

/// The fixed leading words of a prompt structure the author states in the prose: `Use this prompt
/// structure - "Render this photo/3d/pixelart/anime, YOUR PROMPT"` gives "Render this". The
/// words end at the first slot — alternatives (`photo/3d`), a capitalised placeholder (`YOUR
/// PROMPT`) or a bracketed one (`<subject>`) — and there must be a slot.
pub(super) fn stated_structure(prose: &str) -> Option<Sourced<Vec<String>>> {
    prose.lines().find_map(|line| {
        let template = STRUCTURE_LINE.captures(line)?.get(1)?.as_str();
        let words: Vec<&str> = template.split_whitespace().collect();
        let slot = words.iter().position(|w| is_slot(w))?;
        let fixed = words[..slot].join(" ");
        let fixed = fixed.trim_end_matches([',', ':', ';', '-']).trim();
        (!fixed.is_empty() && is_trigger_candidate(fixed)).then(|| {
            let detail = format!("fixed words of the stated prompt structure: {}", line.trim().chars().take(160).collect::<String>());
            Sourced::new(vec![fixed.to_owned()], Source::CardProse, detail)
        })
    })
}

fn is_slot(word: &str) -> bool {
    let w = word.trim_matches(|c: char| matches!(c, ',' | '.' | ':' | ';' | '"'));
    let letters: Vec<char> = w.chars().filter(|c| c.is_alphabetic()).collect();
    let alternatives = w.split('/').filter(|p| !p.is_empty()).count() >= 2;
    let capitalised = letters.len() >= 2 && letters.iter().all(|c| c.is_uppercase()) && w.len() == letters.len();
    alternatives || capitalised || w.starts_with(['<', '[', '{'])
}

/// The fixed words of an instruction template the card's example prompts all start with:
/// "relight the video to match the light-direction ball. <look> from <direction>" in a code block,
/// and every widget prompt beginning with "relight the video to match the light-direction ball."
/// (an LTX-2.3 IC-LoRA card: "a fixed trigger, then one look phrase and a direction phrase").
pub(super) fn template_prefix(body: &str, widget_texts: &[String]) -> Option<Sourced<Vec<String>>> {
    if widget_texts.is_empty() {
        return None;
    }
    code_blocks(body)
        .into_iter()
        .filter(|b| !matches!(b.lang.as_str(), "python" | "py" | "python3" | "bash" | "sh" | "shell" | "json" | "yaml"))
        .flat_map(|b| b.code.lines().map(|l| l.trim().to_owned()).collect::<Vec<_>>())
        .find_map(|line| {
            let first = PLACEHOLDER.find(&line)?;
            let prefix = line[..first.start()].trim();
            let words = prefix.split_whitespace().count();
            (words >= 2 && is_trigger_candidate(prefix) && widget_texts.iter().all(|w| w.trim_start().starts_with(prefix)))
                .then(|| {
                    Sourced::new(vec![prefix.to_owned()], Source::CardProse, format!("fixed words of the card's prompt template: {line}"))
                })
        })
}

static PLACEHOLDER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\[([^\[\]\n]{1,40})\]|\{([A-Za-z_ ]{1,40})\}|<([A-Za-z_ ]{1,40})>").unwrap_or_else(|_| unreachable!())
});

/// A one-line, non-Python code block containing the trigger and one `[placeholder]`.
pub fn template(body: &str, triggers: &[String]) -> Option<Sourced<PromptTemplate>> {
    let trigger = triggers.first()?;
    code_blocks(body)
        .into_iter()
        .filter(|b| !matches!(b.lang.as_str(), "python" | "py" | "python3" | "bash" | "sh" | "shell"))
        .filter_map(|b| b.code.lines().find(|l| l.contains(trigger.as_str())).map(str::to_owned))
        .find_map(|line| parse_template(line.trim()))
        .map(|t| Sourced::new(t, Source::CardProse, "prompt template in the card"))
}

fn parse_template(line: &str) -> Option<PromptTemplate> {
    let caps = PLACEHOLDER.captures(line)?;
    let whole = caps.get(0)?;
    let inner = caps.get(1).or_else(|| caps.get(2)).or_else(|| caps.get(3))?.as_str();
    let name: String =
        inner.split_whitespace().last()?.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
    if name.is_empty() || PLACEHOLDER.find_iter(line).count() != 1 {
        return None;
    }
    Some(PromptTemplate {
        prefix: line[..whole.start()].to_owned(),
        placeholder: name.to_ascii_lowercase(),
        suffix: line[whole.end()..].to_owned(),
    })
}

