//! Example input media in the repo (files the snippet loads and their siblings, input-looking
//! names, inputs paired with an output) and template prompts filled from their filenames.

use std::sync::LazyLock;

use regex::Regex;

use super::super::card::Frontmatter;
use super::super::profile::LoraProfile;
use super::super::snippet;

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

