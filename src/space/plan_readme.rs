//! Plan stage, README metadata: title, emoji, colours, short description and licence for the
//! Space frontmatter. Built from repo ids and tables only — card prose never reaches YAML.

use serde::{Deserialize, Serialize};

use super::knowledge::Family;
use crate::lora::profile::{LoraProfile, Task};

/// Colours the Hub accepts for `colorFrom` / `colorTo`.
pub const ALLOWED_COLORS: &[&str] = &["red", "yellow", "green", "blue", "indigo", "purple", "pink", "gray"];

/// Longest `short_description` the Hub accepts.
pub const SHORT_DESCRIPTION_MAX: usize = 60;

/// README frontmatter values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadmePlan {
    /// `title`.
    pub title: String,
    /// `emoji`.
    pub emoji: String,
    /// `colorFrom`.
    pub color_from: String,
    /// `colorTo`.
    pub color_to: String,
    /// `short_description` (≤ 60 characters).
    pub short_description: String,
    /// `license`, when the LoRA card's value is a plain licence id.
    pub license: Option<String>,
    /// `suggested_hardware`.
    pub hardware: String,
    /// Base family display name.
    pub family_name: String,
}

/// "corgi-dreambooth-flux-lora" → "Corgi Dreambooth Flux Lora".
pub fn humanize(name: &str) -> String {
    name.split(['-', '_', '.'])
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut c = w.chars();
            c.next().map_or(String::new(), |f| f.to_uppercase().chain(c).collect())
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The card's heading as a Space title: the LoRA's own name for itself ("Pixel Art LoRA"),
/// not its repo name. Markdown and control characters are dropped (the title is shown as
/// Markdown in the app's header), a trailing ` - owner/name` is cut, placeholder headings
/// (`TODO …`) are ignored; `None` when nothing usable is left.
fn card_title(profile: &LoraProfile) -> Option<String> {
    let raw = profile.card_title.as_deref()?;
    let raw = raw.strip_suffix(profile.lora.to_string().as_str()).map_or(raw, |r| r.trim_end().trim_end_matches(['-', '—', '–', ':']));
    let clean: String = raw.chars().filter(|c| !c.is_control() && !"\\`*_{}[]()<>#!|~\"".contains(*c)).collect();
    let clean = clean.split_whitespace().collect::<Vec<_>>().join(" ");
    let placeholder = clean.to_ascii_lowercase().starts_with("todo") || clean.chars().filter(|c| c.is_alphanumeric()).count() < 2;
    (!placeholder).then(|| truncate(&clean, 50))
}

/// FNV-1a: a stable hash so the colours of a Space never change between runs.
fn stable_hash(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

fn emoji(task: Task) -> &'static str {
    match task {
        Task::TextToImage => "🎨",
        Task::ImageToImage => "🪄",
        Task::TextToVideo => "🎬",
        Task::ImageToVideo => "🎞️",
        Task::VideoToVideo => "📼",
    }
}

/// Truncates on a character boundary to at most `max` characters, ending with `…` if cut.
pub fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out = out.trim_end().to_owned();
    out.push('…');
    out
}

fn license_id(profile_license: Option<&str>) -> Option<String> {
    let l = profile_license?.trim();
    let ok = !l.is_empty()
        && l.len() <= 64
        && l.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '+' | '_'));
    ok.then(|| l.to_ascii_lowercase())
}

/// Frontmatter values for one Space.
pub fn readme_plan(profile: &LoraProfile, f: &Family, task: Task, _base: &str, hardware: &str) -> ReadmePlan {
    let lora = profile.lora.to_string();
    let h = stable_hash(&lora);
    let n = ALLOWED_COLORS.len() as u64;
    let from = (h % n) as usize;
    let to = (from + 1 + ((h / n) % (n - 1)) as usize) % ALLOWED_COLORS.len();
    ReadmePlan {
        title: card_title(profile).unwrap_or_else(|| truncate(&humanize(profile.lora.name()), 50)),
        emoji: emoji(task).to_owned(),
        color_from: ALLOWED_COLORS[from].to_owned(),
        color_to: ALLOWED_COLORS[to].to_owned(),
        short_description: truncate(&format!("{} LoRA demo on {}", task, f.name), SHORT_DESCRIPTION_MAX),
        license: license_id(profile.license.as_deref()).or_else(|| license_id(f.license.as_deref())),
        hardware: hardware.to_owned(),
        family_name: f.name.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repo_names_become_titles() {
        assert_eq!(humanize("corgi-dreambooth_flux.lora"), "Corgi Dreambooth Flux Lora");
    }

    #[test]
    fn the_cards_heading_becomes_the_title_without_markdown_or_the_repo_suffix() {
        let mut p = crate::lora::analyze(&crate::lora::AnalyzeInput { lora: &"tkato/corgi-lora".parse().expect("id"), card: "", files: &[], overrides: None });
        p.card_title = Some("Flux DreamBooth LoRA - tkato/corgi-lora".into());
        assert_eq!(card_title(&p).as_deref(), Some("Flux DreamBooth LoRA"));
        p.card_title = Some("🎬 next-shot — [Qwen](http://x) `Edit` <b>".into());
        assert_eq!(card_title(&p).as_deref(), Some("🎬 next-shot — Qwen http://x Edit b"));
        p.card_title = Some("TODO: add an example".into());
        assert_eq!(card_title(&p), None);
    }

    #[test]
    fn truncation_respects_the_limit_and_char_boundaries() {
        let long = "é".repeat(100);
        assert_eq!(truncate(&long, 60).chars().count(), 60);
        assert_eq!(truncate("short", 60), "short");
    }

    #[test]
    fn hostile_licence_values_are_dropped() {
        assert_eq!(license_id(Some("apache-2.0")).as_deref(), Some("apache-2.0"));
        assert_eq!(license_id(Some("mit\nsdk: docker")), None);
    }
}
