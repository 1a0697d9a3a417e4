//! Triggers the author states in the prose: a trigger line ("Trigger: `X`", "You should use X to
//! trigger", "use the word X", "Trigger words: a, b", Japanese "トリガーワードは`X`です", Chinese
//! "触发词：X", Korean "트리거: X") or the first backticked span of a trigger section.

use std::sync::LazyLock;

use regex::Regex;

use super::super::profile::{Source, Sourced};
use super::{is_none_word, is_trigger_candidate};

static TRIGGER_WORDS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(trigger|activation|activate|instance prompt|instruction\b|start (?:the|your) prompt|begin (?:with|your prompt)|keyword|use the (?:word|token|phrase)|prompts? with\b.{1,40}\bprefix\b|prefix (?:your |each |every |the )?prompts?|トリガー|触发词|觸發詞|触发|트리거)")
        .unwrap_or_else(|_| unreachable!())
});
static BACKTICK: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"`([^`\n]+)`").unwrap_or_else(|_| unreachable!()));
static USE_THE_WORD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)use the (?:word|token|keyword|trigger(?: word)?|phrase)\s+["'*]*([^\s"'*,.;:]+)"#)
        .unwrap_or_else(|_| unreachable!())
});
static COLON_FORM: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)(?:trigger(?: words?| phrase)?|トリガー(?:ワード)?|触发词|觸發詞|트리거(?: ?워드)?)\s*\**\s*[:=：]\s*\**\s*["']?([^"'`*\n]{1,60}?)["']?\s*\**\s*$"#)
        .unwrap_or_else(|_| unreachable!())
});

/// "There is no essential trigger words." / "The trigger word is not required." (Shakker-Labs).
static NO_TRIGGER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)no (?:essential |special |specific )?trigger|trigger (?:words? )?(?:is|are) not (?:required|needed|necessary)|no trigger (?:word|keyword)s? (?:is |are )?(?:needed|required)")
        .unwrap_or_else(|_| unreachable!())
});

pub(super) fn from_trigger_line(prose: &str) -> Option<Sourced<Vec<String>>> {
    statements(prose, None).into_iter().next()
}

/// Every trigger statement of the prose, in order (an empty list for "no trigger is needed" or a
/// printed `None`). With the instance prompt known, a line's backticked span that is part of it
/// is taken before the others: "to trigger concept `TOK` → use `<s0><s1>` in your prompt".
pub(super) fn statements(prose: &str, instance_prompt: Option<&str>) -> Vec<Sourced<Vec<String>>> {
    prose
        .lines()
        .filter(|l| TRIGGER_WORDS.is_match(l) && !l.trim_start().starts_with('#'))
        .filter_map(|line| statement(line, instance_prompt))
        .collect()
}

fn statement(line: &str, instance_prompt: Option<&str>) -> Option<Sourced<Vec<String>>> {
    let evidence = || line.trim().chars().take(160).collect::<String>();
    if NO_TRIGGER.is_match(line) {
        return Some(Sourced::new(vec![], Source::CardProse, evidence()));
    }
    let start = TRIGGER_WORDS.find(line).map_or(0, |m| m.start());
    let spans: Vec<regex::Match<'_>> =
        BACKTICK.captures_iter(line).filter_map(|c| c.get(1)).filter(|m| is_trigger_candidate(m.as_str())).collect();
    let span = instance_prompt
        .and_then(|p| spans.iter().find(|m| p.contains(m.as_str().trim())))
        .or_else(|| spans.iter().find(|m| m.start() >= start))
        .or_else(|| spans.first());
    let words: Vec<String> = match span {
        Some(m) => vec![m.as_str().trim().to_owned()],
        None => SHOULD_USE
            .captures(line)
            .and_then(|c| c.get(1))
            .map(|m| vec![m.as_str().trim().to_owned()])
            .or_else(|| USE_THE_WORD.captures(line).and_then(|c| c.get(1)).map(|m| vec![m.as_str().to_owned()]))
            .or_else(|| COLON_FORM.captures(line).and_then(|c| c.get(1)).map(|m| split_list(m.as_str())))
            .or_else(|| quoted_on_plain_line(line))
            .unwrap_or_default(),
    };
    if !words.is_empty() && words.iter().all(|w| is_none_word(w)) {
        // "You should use `None` to trigger …": a template printed an empty instance prompt.
        return Some(Sourced::new(vec![], Source::CardProse, evidence()));
    }
    let words: Vec<String> =
        words.into_iter().filter(|w| is_trigger_candidate(w) && !is_placeholder_word(w) && !is_none_word(w)).collect();
    (!words.is_empty()).then(|| Sourced::new(words, Source::CardProse, evidence()))
}

/// "You should use An image of Piglet to trigger the image generation." (AutoTrain and the
/// old DreamBooth templates write the instance prompt without backticks).
static SHOULD_USE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)you should use (.{2,120}?) to trigger\b").unwrap_or_else(|_| unreachable!())
});
static QUOTED: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#""([^"\n]{1,60})""#).unwrap_or_else(|_| unreachable!()));

/// `**Trigger Word**: "3dgen"` / `Start prompts with "3dgen"`: a double-quoted word on a plain
/// trigger line (not a table row or a line of code, where quotes belong to commands).
fn quoted_on_plain_line(line: &str) -> Option<Vec<String>> {
    if line.contains('`') || line.trim_start().starts_with('|') {
        return None;
    }
    QUOTED.captures(line).and_then(|c| c.get(1)).map(|m| vec![m.as_str().trim().to_owned()])
}

/// Words that name the trigger instead of being it ("use the trigger word: …").
fn is_placeholder_word(w: &str) -> bool {
    matches!(w.to_ascii_lowercase().as_str(), "word" | "words" | "token" | "tokens" | "phrase" | "keyword" | "trigger")
}

/// "a, b and c" → ["a", "b", "c"] (unquoted trigger lists).
fn split_list(text: &str) -> Vec<String> {
    text.split([',', ';'])
        .flat_map(|p| p.split(" and "))
        .map(|p| p.trim().to_owned())
        .filter(|p| !p.is_empty())
        .collect()
}

pub(super) fn from_trigger_section(prose: &str) -> Option<Sourced<Vec<String>>> {
    let mut in_section = false;
    for line in prose.lines() {
        if line.trim_start().starts_with('#') {
            in_section = TRIGGER_WORDS.is_match(line) || line.to_ascii_lowercase().contains("prompt");
            continue;
        }
        if !in_section {
            continue;
        }
        if let Some(m) = BACKTICK.captures(line).and_then(|c| c.get(1)).filter(|m| is_trigger_candidate(m.as_str())) {
            return Some(Sourced::new(
                vec![m.as_str().trim().to_owned()],
                Source::CardProse,
                line.trim().chars().take(160).collect::<String>(),
            ));
        }
    }
    None
}

