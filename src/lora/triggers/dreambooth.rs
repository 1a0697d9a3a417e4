//! DreamBooth phrases: the instance prompt the old diffusers template names only in prose, and
//! the rare token inside such a phrase.

use std::sync::LazyLock;

use regex::Regex;

use super::super::profile::{Source, Sourced};
use super::is_trigger_candidate;

static TRAINED_ON: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)the weights were trained on (.{2,120}?) using \[?dreambooth").unwrap_or_else(|_| unreachable!())
});

/// The old diffusers DreamBooth template names the instance prompt only in prose: "The weights
/// were trained on a photo of sks dog using [DreamBooth](…)".
pub(super) fn dreambooth_template_phrase(prose: &str) -> Option<Sourced<Vec<String>>> {
    prose.lines().find_map(|line| {
        let phrase = TRAINED_ON.captures(line)?.get(1)?.as_str().trim().trim_matches(['"', '`', '*']).to_owned();
        is_trigger_candidate(&phrase).then(|| {
            Sourced::new(vec![phrase], Source::CardProse, line.trim().chars().take(160).collect::<String>())
        })
    })
}

/// The rare token inside a DreamBooth phrase (`TOK` in "a photo of TOK corgi").
pub fn rare_token(phrase: &str) -> Option<String> {
    let words: Vec<&str> = phrase.split_whitespace().collect();
    if words.len() < 2 {
        return None;
    }
    words
        .iter()
        .find(|w| {
            matches!(**w, "TOK" | "sks" | "ohwx" | "zwx")
                || (w.chars().any(|c| c.is_ascii_digit()) && w.chars().any(|c| c.is_alphabetic()))
        })
        .map(|w| (*w).to_owned())
}

