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
    /// `license`, when the LoRA card's value is a plain licence id (else the base family's).
    pub license: Option<String>,
    /// `license_name`, with `license: other` only.
    #[serde(default)]
    pub license_name: Option<String>,
    /// `license_link` (absolute URL), with `license: other` only.
    #[serde(default)]
    pub license_link: Option<String>,
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
    let clean: String = raw.chars().map(|c| if c.is_control() || "\\`*_{}[]()<>#!|~\"".contains(c) { ' ' } else { c }).collect();
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

/// A card's `license_link`: an https URL as written, or a file of the LoRA repo made absolute
/// (the Space has no copy of it). Anything else (quotes, spaces, `..`) is dropped.
fn license_link(link: Option<&str>, lora: &str) -> Option<String> {
    let l = link?.trim();
    let clean = !l.is_empty() && l.len() <= 300 && l.chars().all(|c| c.is_ascii_graphic() && !matches!(c, '"' | '\\' | '\'' | '<' | '>' | '`'));
    if !clean {
        return None;
    }
    if l.starts_with("https://") {
        return Some(l.to_owned());
    }
    let path = l.trim_start_matches("./");
    let file = !path.contains("://") && !path.split('/').any(|s| s.is_empty() || s == "..")
        && path.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '/'));
    file.then(|| format!("https://huggingface.co/{lora}/blob/main/{path}"))
}

/// `(license, license_name, license_link)`: the card's licence when it names a plain id — with its
/// own name and link for `other`, or the base's when the card gives neither and the base is
/// `other` too (a LoRA of FLUX.1-dev is under the dev licence) — else the base family's.
fn licence(profile: &LoraProfile, f: &Family) -> (Option<String>, Option<String>, Option<String>) {
    let lora = profile.lora.to_string();
    let family = || (license_id(f.license.as_deref()), license_id(f.license_name.as_deref()), license_link(f.license_link.as_deref(), &lora));
    let Some(id) = license_id(profile.license.as_deref()) else { return family() };
    if id != "other" {
        return (Some(id), None, None);
    }
    let (name, link) = (license_id(profile.license_name.as_deref()), license_link(profile.license_link.as_deref(), &lora));
    if name.is_none() && link.is_none() && f.license.as_deref() == Some("other") {
        return family();
    }
    (Some(id), name, link)
}

/// Frontmatter values for one Space.
pub fn readme_plan(profile: &LoraProfile, f: &Family, task: Task, _base: &str, hardware: &str) -> ReadmePlan {
    let lora = profile.lora.to_string();
    let h = stable_hash(&lora);
    let n = ALLOWED_COLORS.len() as u64;
    let from = (h % n) as usize;
    let to = (from + 1 + ((h / n) % (n - 1)) as usize) % ALLOWED_COLORS.len();
    let (license, license_name, license_link) = licence(profile, f);
    ReadmePlan {
        title: card_title(profile).unwrap_or_else(|| truncate(&humanize(profile.lora.name()), 50)),
        emoji: emoji(task).to_owned(),
        color_from: ALLOWED_COLORS[from].to_owned(),
        color_to: ALLOWED_COLORS[to].to_owned(),
        short_description: truncate(&format!("{} LoRA demo on {}", task, f.name), SHORT_DESCRIPTION_MAX),
        license,
        license_name,
        license_link,
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

    fn licence_of(card: &str) -> (Option<String>, Option<String>, Option<String>) {
        let p = crate::lora::analyze(&crate::lora::AnalyzeInput { lora: &"alice/lora".parse().expect("id"), card, files: &["l.safetensors".into()], overrides: None });
        let k = crate::space::knowledge::knowledge();
        let fam = k.family_by_repo(p.base_model.as_ref().map(|b| b.value.as_str()).unwrap_or_default()).expect("family");
        licence(&p, fam)
    }

    #[test]
    fn other_licences_carry_their_name_and_an_absolute_link() {
        let s = |v: &str| Some(v.to_owned());
        // ai-toolkit's FLUX.1-dev card: the name, and a link already absolute
        let ai_toolkit = "---\nbase_model: black-forest-labs/FLUX.1-dev\nlicense: other\nlicense_name: flux-1-dev-non-commercial-license\nlicense_link: https://huggingface.co/black-forest-labs/FLUX.1-dev/blob/main/LICENSE.md\n---\n";
        assert_eq!(licence_of(ai_toolkit), (s("other"), s("flux-1-dev-non-commercial-license"), s("https://huggingface.co/black-forest-labs/FLUX.1-dev/blob/main/LICENSE.md")));
        // a file of the LoRA repo: the Space has no copy, so the link points at the LoRA's
        let own = "---\nbase_model: black-forest-labs/FLUX.1-dev\nlicense: other\nlicense_name: My-Licence\nlicense_link: ./LICENSE.md\n---\n";
        assert_eq!(licence_of(own), (s("other"), s("my-licence"), s("https://huggingface.co/alice/lora/blob/main/LICENSE.md")));
        // `other` alone on a FLUX.1-dev LoRA: the base's licence, which binds the LoRA too
        let bare = "---\nbase_model: black-forest-labs/FLUX.1-dev\nlicense: other\n---\n";
        assert_eq!(licence_of(bare), licence_of("---\nbase_model: black-forest-labs/FLUX.1-dev\n---\n"));
        assert_eq!(licence_of(bare).1, s("flux-1-dev-non-commercial-license"));
        // SD3.5 without a card licence: the base's trio
        assert_eq!(licence_of("---\nbase_model: stabilityai/stable-diffusion-3.5-large\n---\n").1, s("stabilityai-ai-community"));
        // a plain id drops name and link; hostile links are dropped, the rest kept
        assert_eq!(licence_of("---\nbase_model: black-forest-labs/FLUX.1-dev\nlicense: mit\nlicense_name: x\n---\n"), (s("mit"), None, None));
        let hostile = "---\nbase_model: Qwen/Qwen-Image\nlicense: other\nlicense_name: x\nlicense_link: \"../../x\\nsdk: docker\"\n---\n";
        assert_eq!(licence_of(hostile), (s("other"), s("x"), None));
        assert_eq!(license_link(Some("javascript:alert(1)"), "a/b"), None);
    }
}
