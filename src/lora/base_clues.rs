//! Analyze stage, base model (part of [`super::base`]): the clues of the card's structured
//! sources — YAML `base_model`, the snippet's `from_pretrained` repo, filenames, tags — each
//! naming a repo or a family.

use std::sync::LazyLock;

use regex::Regex;

use super::base::Clue;
use super::card::Frontmatter;
use super::profile::Source;
use super::snippet;
use crate::space::knowledge::{Knowledge, normalise};

/// A clue naming `repo`, with its family from the table or else by a hint in its name.
pub(super) fn repo_clue<'k>(k: &'k Knowledge, repo: &str, source: Source, detail: String) -> Clue<'k> {
    let (family, hint) = match k.family_by_repo(repo) {
        Some(f) => (Some(f), None),
        None => {
            let name = repo.rsplit('/').next().unwrap_or(repo);
            let f = k.family_by_hint(name);
            (f, f.map(|_| normalise(name)))
        }
    };
    Clue { source, detail, repo: Some(repo.to_owned()), family, hint, title: false }
}

/// A clue naming the family a hint in `text` points at, if any.
pub(super) fn hint_clue<'k>(k: &'k Knowledge, text: &str, source: Source, detail: String) -> Option<Clue<'k>> {
    let family = k.family_by_hint(text)?;
    let norm = normalise(text);
    let hint = family.hints.iter().map(|h| normalise(h)).filter(|h| norm.contains(h.as_str())).max_by_key(String::len);
    Some(Clue { source, detail, repo: None, family: Some(family), hint, title: false })
}

/// Only well-formed Hub repo ids may become a base model (they reach code and Markdown).
fn is_repo_id(s: &str) -> bool {
    s.parse::<crate::domain::ids::RepoId>().is_ok()
}

/// The YAML `base_model` repos, in order, that are well-formed and not LoRA repos.
pub(super) fn yaml_clues<'k>(k: &'k Knowledge, front: &Frontmatter) -> Vec<Clue<'k>> {
    front
        .base_model
        .iter()
        .filter(|r| is_repo_id(r) && !names_a_lora(r))
        .map(|r| repo_clue(k, r, Source::Yaml, format!("base_model: {r}")))
        .collect()
}

static LORA_REPO_NAME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)(?:^|[-_.])lora(?:s)?(?:[-_.]|$)").unwrap_or_else(|_| unreachable!()));

/// A `base_model` that names a LoRA repo (`ali-vilab/In-Context-LoRA`) is not a base model: it
/// cannot be loaded as one, so it says nothing about the base.
fn names_a_lora(repo: &str) -> bool {
    repo.rsplit('/').next().is_some_and(|name| LORA_REPO_NAME.is_match(name))
}

/// The first repo the snippet loads with `from_pretrained` that the table knows (not the LoRA itself).
pub(super) fn snippet_clues<'k>(k: &'k Knowledge, code: &str, lora: &str) -> Vec<Clue<'k>> {
    snippet::from_pretrained_repos(code)
        .into_iter()
        .filter(|r| !r.eq_ignore_ascii_case(lora))
        .filter(|r| k.family_by_repo(r).is_some() || k.family_by_hint(r).is_some())
        .take(1)
        .map(|r| repo_clue(k, &r, Source::CardSnippet, format!("from_pretrained(\"{r}\")")))
        .collect()
}

/// The first `.safetensors` filename that hints at a family.
pub(super) fn file_clues<'k>(k: &'k Knowledge, files: &[String]) -> Vec<Clue<'k>> {
    files
        .iter()
        .filter(|f| f.ends_with(".safetensors"))
        .filter_map(|f| hint_clue(k, f.rsplit('/').next().unwrap_or(f), Source::FileList, format!("filename {f}")))
        .take(1)
        .collect()
}

/// The `base_model:` tags and family-hinting tags, most specific first.
pub(super) fn tag_clues<'k>(k: &'k Knowledge, tags: &[String]) -> Vec<Clue<'k>> {
    let mut out: Vec<Clue<'k>> = Vec::new();
    for tag in tags {
        let base_tag = tag.strip_prefix("base_model:").map(|r| r.rsplit(':').next().unwrap_or(r));
        if let Some(repo) = base_tag.filter(|r| is_repo_id(r)) {
            out.push(repo_clue(k, repo, Source::Yaml, format!("tag {tag}")));
        } else if let Some(clue) = hint_clue(k, tag, Source::Yaml, format!("tag {tag}")) {
            out.push(clue);
        }
    }
    // The most specific tag wins (`flux-kontext` over `flux`).
    out.sort_by_key(|c| std::cmp::Reverse(c.hint.as_ref().map_or(usize::MAX, String::len)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_base_model_that_names_a_lora_repo_is_not_a_base() {
        // personal1802/nyalia.safetensors: base_model ali-vilab/In-Context-LoRA
        assert!(names_a_lora("ali-vilab/In-Context-LoRA"));
        assert!(names_a_lora("ostris/wan22_i2v_14b_orbit_shot_lora"));
        assert!(!names_a_lora("black-forest-labs/FLUX.1-dev"));
        assert!(!names_a_lora("someone/explorer-model"));
    }
}
