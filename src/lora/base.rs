//! Analyze stage, base model (knowledge §2.2): YAML `base_model` → prose ("trained on …",
//! "Base: …", repo links) → the snippet's `from_pretrained` repo → filename hints → tags.
//! Every source is also checked against the chosen one: sources naming another generation
//! make the base ambiguous.
//!
//! The clues come from `base_clues` (YAML, snippet, filenames, tags) and `base_prose` (prose and
//! title); this module chooses among them and names the conflicts.

use super::base_clues::{file_clues, snippet_clues, tag_clues, yaml_clues};
use super::base_prose::prose_clues;
use super::card::Frontmatter;
use super::profile::{Source, Sourced};
use super::base_variant::{specific_variant, table_twin, title_groups};
use crate::space::knowledge::{Family, Knowledge, normalise};

pub use super::base_prose::strip_code;

/// What the card says about the base model.
#[derive(Debug, Clone)]
pub struct BaseChoice<'k> {
    /// The diffusers repo to load, with evidence.
    pub base: Option<Sourced<String>>,
    /// The repo as the card declared it, when it differs from `base`.
    pub declared: Option<String>,
    /// The knowledge-table family.
    pub family: Option<&'k Family>,
    /// Sources that disagree with the choice.
    pub conflicts: Vec<String>,
    /// The repo is not in the knowledge table; `family` was matched from its name only.
    pub by_analogy: bool,
    /// Set when a generic declared id was overruled by a more specific variant (said to the user).
    pub note: Option<String>,
}

/// One piece of evidence for a base.
pub(super) struct Clue<'k> {
    pub(super) source: Source,
    pub(super) detail: String,
    /// A repo id the source names (exact), if any.
    pub(super) repo: Option<String>,
    pub(super) family: Option<&'k Family>,
    /// The hint that matched (for hint-based clues).
    pub(super) hint: Option<String>,
    /// The clue is the card's title (its first `# ` heading).
    pub(super) title: bool,
}

/// Finds the base model of a LoRA.
pub fn find<'k>(
    k: &'k Knowledge,
    front: &Frontmatter,
    body: &str,
    code: &str,
    files: &[String],
    lora: &str,
) -> BaseChoice<'k> {
    let mut clues = yaml_clues(k, front);
    let (prose, title, title_text) = prose_clues(k, body, lora);
    clues.extend(prose);
    clues.extend(snippet_clues(k, code, lora));
    clues.extend(file_clues(k, files));
    clues.extend(super::base_expert::expert_clue(k, body));
    let tag_clues = tag_clues(k, &front.tags);
    let Some(declared_first) = clues.iter().chain(&tag_clues).find(|c| c.family.is_some() || c.repo.is_some()) else {
        return BaseChoice { base: None, declared: None, family: None, conflicts: vec![], by_analogy: false, note: None };
    };
    let all: Vec<&Clue<'k>> = clues.iter().chain(&tag_clues).chain(&title).collect();
    let variant = specific_variant(declared_first, &all).or_else(|| table_twin(k, declared_first, &all));
    let first = variant.unwrap_or(declared_first);
    let conflicts = clues
        .iter()
        .filter(|c| variant.is_none() || !std::ptr::eq(*c, declared_first))
        .filter(|c| !compatible(first, c))
        .map(|c| {
            format!(
                "{} says {}",
                c.source,
                c.repo.clone().or_else(|| c.family.map(|f| f.name.clone())).unwrap_or_default()
            )
        })
        .collect::<Vec<String>>();
    let mut conflicts = conflicts;
    if let (Some(text), Some(chosen)) = (title_text.as_deref(), first.family) {
        let groups = title_groups(k, &text.replace(lora, " "));
        if !groups.is_empty() && !groups.contains(&chosen.group.as_str()) {
            conflicts.push(format!("the title \"{text}\" names a {} model", groups.join(" / ")));
        }
    }
    let (base, declared) = resolve_repo(k, first);
    let by_analogy = first.family.is_some() && first.repo.as_ref().is_some_and(|r| k.family_by_repo(r).is_none());
    let note = variant.map(|v| {
        let declared = declared_first.repo.as_deref().unwrap_or_default();
        let named = v.family.map_or("", |f| f.name.as_str());
        if k.family_by_repo(declared).is_none() {
            format!("YAML base_model {declared} is not a Hub base the table knows (a local path or a fine-tune); the card loads {named} elsewhere ({}): using {base}", v.detail)
        } else {
            format!("YAML base_model {declared} is the generic id; the card names {named} elsewhere ({}): using {base}", v.detail)
        }
    });
    BaseChoice {
        base: Some(Sourced::new(base, first.source, first.detail.clone())),
        declared: if variant.is_some() { declared_first.repo.clone() } else { declared },
        family: first.family,
        conflicts,
        by_analogy,
        note,
    }
}

/// The family of a repo id: from the table, else by analogy from its name (`true`).
pub fn family_for_repo<'k>(k: &'k Knowledge, repo: &str) -> (Option<&'k Family>, bool) {
    match k.family_by_repo(repo) {
        Some(f) => (Some(f), false),
        None => {
            let f = k.family_by_hint(repo.rsplit('/').next().unwrap_or(repo));
            (f, f.is_some())
        }
    }
}

/// The repo to load for a clue, and the declared repo when it was mapped to another one.
fn resolve_repo(k: &Knowledge, clue: &Clue<'_>) -> (String, Option<String>) {
    match (&clue.repo, clue.family) {
        (Some(repo), _) => match k.family_by_repo(repo) {
            Some(f) if f.repo.eq_ignore_ascii_case(repo) => (f.repo.clone(), None),
            Some(f) => (f.repo.clone(), Some(repo.clone())),
            None => (repo.clone(), None),
        },
        (None, Some(f)) => (f.repo.clone(), None),
        (None, None) => (String::new(), None),
    }
}

/// Two clues agree when they name the same family, or one is a less specific hint of it.
fn compatible(chosen: &Clue<'_>, other: &Clue<'_>) -> bool {
    let (Some(a), Some(b)) = (chosen.family, other.family) else {
        return other.family.is_none() || chosen.family.is_none() && other.repo == chosen.repo;
    };
    if a.id == b.id {
        return true;
    }
    let contains = |f: &Family, hint: &str| f.hints.iter().any(|h| normalise(h).contains(hint));
    match (&chosen.hint, &other.hint) {
        (_, Some(h)) if contains(a, h) => true,
        (Some(h), _) if contains(b, h) => true,
        _ => other.repo.is_some() && chosen.repo.is_some() && a.generation == b.generation,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lora::{card, snippet};
    use crate::space::knowledge::knowledge;

    fn base_of(text: &str, files: &[&str]) -> (Option<String>, Option<String>, usize) {
        let c = card::split(text);
        let code = snippet::python_code(&c.body);
        let files: Vec<String> = files.iter().map(|s| (*s).to_owned()).collect();
        let b = find(knowledge(), &c.front, &c.body, &code, &files, "me/lora");
        (b.base.map(|s| s.value), b.family.map(|f| f.id.clone()), b.conflicts.len())
    }

    #[test]
    fn yaml_base_model_is_taken_first() {
        let (base, fam, conflicts) =
            base_of("---\nbase_model: Qwen/Qwen-Image\n---\ntrained with ai-toolkit on Qwen-Image\n", &[]);
        assert_eq!((base.as_deref(), fam.as_deref(), conflicts), (Some("Qwen/Qwen-Image"), Some("qwen-image"), 0));
    }

    #[test]
    fn native_repo_is_mapped_to_the_diffusers_repo() {
        let (base, _, _) = base_of("---\nbase_model:\n- Wan-AI/Wan2.1-I2V-14B-480P\n---\n", &[]);
        assert_eq!(base.as_deref(), Some("Wan-AI/Wan2.1-I2V-14B-480P-Diffusers"));
    }

    #[test]
    fn filename_hint_is_used_when_the_card_is_silent() {
        let (base, _, _) = base_of("# effect\n", &["qwen-edit-2509-relight.safetensors"]);
        assert_eq!(base.as_deref(), Some("Qwen/Qwen-Image-Edit-2509"));
    }

    #[test]
    fn yaml_and_filename_naming_different_generations_conflict() {
        let (_, fam, conflicts) =
            base_of("---\nbase_model: Lightricks/LTX-Video\n---\n", &["ltx-2.3-22b-ic-lora-pose.safetensors"]);
        assert_eq!((fam.as_deref(), conflicts), (Some("ltx-video"), 1));
    }

    #[test]
    fn a_generic_hint_does_not_conflict_with_a_specific_variant() {
        let (_, _, conflicts) =
            base_of("---\nbase_model: black-forest-labs/FLUX.1-Kontext-dev\n---\n", &["my_flux_lora.safetensors"]);
        assert_eq!(conflicts, 0);
    }

    #[test]
    fn family_named_before_lora_in_prose_is_a_base_clue() {
        let (base, _, _) =
            base_of("# Watercolor\n\nSDXL LoRA for loose watercolor paintings.\n", &["wc_v1.safetensors"]);
        assert_eq!(base.as_deref(), Some("stabilityai/stable-diffusion-xl-base-1.0"));
    }

    #[test]
    fn unknown_repo_matched_by_name_is_only_an_analogy() {
        let c = card::split("---\nbase_model: black-forest-labs/FLUX.2-dev\n---\n");
        let b = find(knowledge(), &c.front, &c.body, "", &[], "me/lora");
        assert!(b.by_analogy);
        assert_eq!(b.base.map(|s| s.value).as_deref(), Some("black-forest-labs/FLUX.2-dev"));
    }

    #[test]
    fn generic_declared_ltx_id_loses_to_the_variant_heading_and_tags_name() {
        // muapi LTX2.3_IC_HDR_LORA card
        let card = "---\nbase_model: Lightricks/LTX-Video\ntags:\n  - lora\n  - ltx-video\n  - ltxv-2.3\npipeline_tag: text-to-video\n---\n\n# LTX2.3_IC_HDR_LORA\n\n**Base model**: LTXV 2.3\n**Trained words**: \n";
        let (base, fam, conflicts) = base_of(card, &["preview.jpg"]);
        assert_eq!((base.as_deref(), fam.as_deref(), conflicts), (Some("diffusers/LTX-2.3-Distilled-Diffusers"), Some("ltx-2.3"), 0));
        // One other source alone does not overrule the YAML: that stays a conflict to ask about.
        let (_, fam, conflicts) = base_of("---\nbase_model: Lightricks/LTX-Video\n---\n**Base model**: LTXV 2.3\n", &[]);
        assert_eq!((fam.as_deref(), conflicts), (Some("ltx-video"), 1));
    }

    #[test]
    fn the_title_names_the_variant_a_generic_declared_id_hides() {
        // oumoumad/fx-dancing (OpenMuse template): a 13B 0.9.7 LoRA does not load into the 2B model.
        let card = "---\nbase_model:\n- Lightricks/LTX-Video\ntags:\n- ltxv\n- 13B\n- text-to-video\n- lora\n---\n\n# ltxv (13b 0.9.7)\n\n<Gallery />\n\n## Description:\nTrigger Word : \"fx dance\"\n";
        let (base, fam, conflicts) = base_of(card, &["fx_dance_step_02000_comfy.safetensors"]);
        assert_eq!((base.as_deref(), fam.as_deref(), conflicts), (Some("Lightricks/LTX-Video-0.9.7-dev"), Some("ltx-video-0.9.7-dev"), 0));
    }

    #[test]
    fn a_less_specific_name_in_the_prose_does_not_overrule_the_declared_variant() {
        // lovis93/next-scene-qwen-image-lora-2509
        let card = "---\nbase_model:\n- Qwen/Qwen-Image-Edit-2509\npipeline_tag: image-to-image\n---\n\n# next-scene-qwen-image-lora-2509\n\n**next-scene-qwen-image-lora-2509** is a **LoRA adapter fine-tuned on Qwen-Image-Edit (build 2509)**.\n\n- **Base Model:** Qwen-Image-Edit (build 2509)\n";
        let (base, fam, _) = base_of(card, &[]);
        assert_eq!((base.as_deref(), fam.as_deref()), (Some("Qwen/Qwen-Image-Edit-2509"), Some("qwen-image-edit-2509")));
    }

    #[test]
    fn a_local_path_as_base_yields_to_the_repo_the_snippet_loads() {
        // viyer7/trained-qwen-lora_1500steps (diffusers Qwen-Image DreamBooth trainer run on a local copy)
        let card = "---\nbase_model: models/Qwen-Image\nlibrary_name: diffusers\n---\n# HiDream Image DreamBooth LoRA - me/lora\n\n```py\n    >>> pipe = QwenImagePipeline.from_pretrained(\n    ...     \"Qwen/Qwen-Image\",\n    ...     torch_dtype=torch.bfloat16,\n    ... )\n```\n";
        let c = card::split(card);
        let code = snippet::python_code(&c.body);
        let b = find(knowledge(), &c.front, &c.body, &code, &[], "me/lora");
        assert_eq!(b.base.map(|s| s.value).as_deref(), Some("Qwen/Qwen-Image"));
        assert_eq!((b.declared.as_deref(), b.by_analogy), (Some("models/Qwen-Image"), false));
        assert!(b.note.is_some_and(|n| n.contains("local path")));
    }

    #[test]
    fn the_trainer_a_card_names_gives_the_base() {
        // pennypacker/kontextface (fal trainer card: `base_model: undefined`, tag `flux`)
        let card = "---\ntags:\n- flux\n- text-to-image\nbase_model: undefined\n---\n# kontextface\n\n## Training at fal.ai\n\nTraining was done using [fal.ai/models/fal-ai/flux-kontext-trainer](https://fal.ai/models/fal-ai/flux-kontext-trainer).\n";
        let (base, _, conflicts) = base_of(card, &[]);
        assert_eq!((base.as_deref(), conflicts), (Some("black-forest-labs/FLUX.1-Kontext-dev"), 0));
    }

    #[test]
    fn a_title_counts_by_whole_hints_only_and_never_as_a_conflict() {
        // CookrAI/cookr-v1-light-qwen: "edition" is not "edit"
        let card = "---\nbase_model: Qwen/Qwen-Image\n---\n\n# COOKR v1 light, Qwen-Image edition\n";
        assert_eq!(base_of(card, &[]).0.as_deref(), Some("Qwen/Qwen-Image"));
        // a Civitai migration titled "Movie Poster - CE - SDXL & Flux" with a FLUX.1-dev base
        let card = "---\nbase_model: black-forest-labs/FLUX.1-dev\n---\n# Movie Poster - CE - SDXL & Flux \n";
        let (base, _, conflicts) = base_of(card, &[]);
        assert_eq!((base.as_deref(), conflicts), (Some("black-forest-labs/FLUX.1-dev"), 0));
    }

    #[test]
    fn a_title_naming_only_another_model_group_is_a_conflict() {
        // peteromallet/testtest_2 (OpenMuse): YAML and tags say LTX-Video 13B, the title "wan (14b T2V)"
        let card = "---\nbase_model:\n- Lightricks/LTX-Video\ntags:\n- ltxv\n- 13B\n---\n\n# wan (14b T2V)\n\n## Description:\nFor training I used the official LTX-Video Trainer repo.\n";
        let (_, fam, conflicts) = base_of(card, &["bloom.safetensors"]);
        assert_eq!((fam.as_deref(), conflicts), (Some("ltx-video"), 1));
    }

    #[test]
    fn malformed_repo_ids_in_yaml_are_not_bases() {
        assert_eq!(base_of("---\nbase_model: \"a/b](javascript:x)\"\n---\n", &[]).0, None);
    }

    #[test]
    fn thin_card_has_no_base() {
        assert_eq!(base_of("trained on ~40 pics of my cat\n", &["mochicat.safetensors"]).0, None);
    }
}
