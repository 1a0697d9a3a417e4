//! Analyze stage, base model (part of [`super::base`]): the clues of the card's prose ("trained
//! on …", "Base: …", "SDXL LoRA for …", repo links) and its title, read with code blocks and
//! HTML comments stripped.

use std::sync::LazyLock;

use regex::Regex;

use super::base::Clue;
use super::base_clues::{hint_clue, repo_clue};
use super::base_variant::title_clue;
use super::profile::Source;
use crate::space::knowledge::Knowledge;

static BASE_LINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:base model|base|trained (?:[A-Za-z0-9_]+ )*?on|training was done (?:using|with)|fine-?tuned? (?:on|from)|built on)\b\s*\**\s*[:\-]?\s*(.{3,120})")
        .unwrap_or_else(|_| unreachable!())
});
/// "SDXL LoRA for …", "Wan 2.1 I2V 14B 480p effect LoRA", "a LoRA for LTX-Video 0.9.5".
static LORA_PHRASE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)((?:[A-Za-z0-9_.\-/]+\s+){1,6})LoRA\b|\bLoRA\s+(?:weights\s+)?(?:for|on)\s+\**\[?([A-Za-z0-9_.\-/ ]{3,60})")
        .unwrap_or_else(|_| unreachable!())
});
static HF_LINK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"huggingface\.co/([A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9][A-Za-z0-9_.-]*)").unwrap_or_else(|_| unreachable!())
});

/// Base clues in the prose, and a clue the title alone gives (see [`title_clue`]).
pub(super) fn prose_clues<'k>(k: &'k Knowledge, body: &str, lora: &str) -> (Vec<Clue<'k>>, Option<Clue<'k>>, Option<String>) {
    let mut out = Vec::new();
    let mut title = None;
    let mut title_text = None;
    let mut seen_title = false;
    let prose = strip_code(body);
    // Licence lines link the base's licence file, not the base the LoRA was trained on.
    for line in prose.lines().filter(|l| !l.to_ascii_lowercase().contains("licen")) {
        for caps in HF_LINK.captures_iter(line) {
            if caps
                .get(0)
                .is_some_and(|m| line[m.end()..].starts_with("/blob/") || line[m.end()..].starts_with("/resolve/"))
            {
                continue;
            }
            let repo = caps.get(1).map_or("", |m| m.as_str());
            if k.family_by_repo(repo).is_some() && !repo.eq_ignore_ascii_case(lora) {
                out.push(repo_clue(k, repo, Source::CardProse, line.trim().to_owned()));
            }
        }
        let base_frag = BASE_LINE.captures(line).and_then(|c| c.get(1)).map(|m| m.as_str().to_owned());
        let lora_frags = LORA_PHRASE
            .captures_iter(line)
            .filter_map(|c| c.get(1).or_else(|| c.get(2)).map(|m| m.as_str().to_owned()));
        let before = out.len();
        for frag in base_frag.into_iter().chain(lora_frags) {
            let frag = frag.replace(lora, " ");
            if let Some(clue) = hint_clue(k, &frag, Source::CardProse, line.trim().to_owned()) {
                out.push(clue);
                break;
            }
        }
        // The title ("# ltxv (13b 0.9.7)") names the model the LoRA is for, with or without "LoRA".
        if let Some(heading) = line.strip_prefix("# ").filter(|_| !seen_title) {
            seen_title = true;
            title_text = Some(heading.trim().to_owned());
            match out.get_mut(before) {
                Some(clue) => clue.title = true,
                None => title = title_clue(k, &heading.replace(lora, " "), line.trim()),
            }
        }
    }
    (out, title, title_text)
}

/// The body without fenced code blocks and HTML comments.
pub fn strip_code(body: &str) -> String {
    let body = strip_html_comments(body);
    let mut out = String::new();
    let mut fence: Option<char> = None;
    for line in body.lines() {
        let t = line.trim_start();
        let opener = t.chars().next().filter(|c| (*c == '`' || *c == '~') && t.starts_with(&c.to_string().repeat(3)));
        match (fence, opener) {
            (None, Some(c)) => fence = Some(c),
            (Some(f), Some(c)) if f == c => fence = None,
            (None, _) => {
                out.push_str(line);
                out.push('\n');
            }
            _ => {}
        }
    }
    out
}

fn strip_html_comments(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("<!--") {
        out.push_str(&rest[..start]);
        match rest[start..].find("-->") {
            Some(end) => rest = &rest[start + end + 3..],
            None => return out,
        }
    }
    out.push_str(rest);
    out
}
