//! Analyze stage, base model (part of [`super::base`]): which of the card's clues overrule a
//! declared `base_model` — a more specific variant of the same group (title or two sources), the
//! table repo of the same family when the YAML names a local path or mirror — and what the
//! card's title says.

use super::base::Clue;
use super::profile::Source;
use crate::space::knowledge::{Knowledge, normalise};

/// A generic declared id — the bare repo of one family, e.g. `Lightricks/LTX-Video` — loses to a
/// more specific variant of the same group that the card's title or at least two other sources
/// name (heading or prose, tags, file names, snippet): trainers and hosting services write the
/// generic id by default ("base_model: Lightricks/LTX-Video" on an LTX-2.3 IC-LoRA whose heading
/// says "Base model: LTXV 2.3" and whose tags say `ltxv-2.3`; on a 13B 0.9.7 LoRA titled
/// "ltxv (13b 0.9.7)", which does not load into the 2B model the generic id is). A variant is
/// more specific only if its own name is not part of the declared id: "Qwen-Image-Edit (build
/// 2509)" in the prose does not overrule `base_model: Qwen/Qwen-Image-Edit-2509`.
pub(super) fn specific_variant<'a, 'k>(first: &Clue<'k>, all: &[&'a Clue<'k>]) -> Option<&'a Clue<'k>> {
    let f = first.family?;
    let repo = first.repo.as_ref()?;
    if first.source != Source::Yaml || !f.repo.eq_ignore_ascii_case(repo) {
        return None;
    }
    let declared = normalise(repo);
    let more_specific = |c: &Clue<'_>| {
        let key = c.hint.clone().or_else(|| c.repo.as_deref().map(|r| normalise(r.rsplit('/').next().unwrap_or(r))));
        key.is_some_and(|k| !k.is_empty() && !declared.contains(&k))
    };
    let naming = |id: &str| all.iter().filter(|o| o.family.is_some_and(|h| h.id == id)).count();
    all.iter()
        .copied()
        .filter(|c| !c.detail.starts_with("base_model"))
        .filter(|c| c.family.is_some_and(|g| g.group == f.group && g.id != f.id))
        .filter(|c| more_specific(c))
        .filter(|c| c.title || c.family.is_some_and(|g| naming(&g.id) >= 2))
        .max_by_key(|c| (c.family.map_or(0, |g| naming(&g.id)), c.title))
}

/// A YAML base the table does not know whose family (matched by name) the card also names by a
/// repo the table does know: the trainer wrote its local path (`base_model: models/Qwen-Image`)
/// or a mirror while the card's own snippet loads `Qwen/Qwen-Image`. The known repo wins; a
/// fine-tune that the snippet itself loads (`Linaqruf/animagine-xl-2.0`) stays, and asks.
pub(super) fn table_twin<'a, 'k>(k: &Knowledge, first: &Clue<'k>, all: &[&'a Clue<'k>]) -> Option<&'a Clue<'k>> {
    let repo = first.repo.as_ref().filter(|_| first.source == Source::Yaml)?;
    let family = first.family.filter(|_| k.family_by_repo(repo).is_none())?;
    all.iter().copied().find(|c| {
        c.repo.as_ref().is_some_and(|r| k.family_by_repo(r).is_some_and(|f| f.id == family.id && f.repo.eq_ignore_ascii_case(r)))
    })
}

/// The model groups a title names: by a family's whole hint ("sdxl", "13b-0.9.7") or by a
/// group's own name as a word ("wan (14b T2V)" is a Wan title whatever its size words say).
pub(super) fn title_groups<'k>(k: &'k Knowledge, title: &str) -> Vec<&'k str> {
    let words: Vec<String> =
        title.to_ascii_lowercase().split(|c: char| !c.is_ascii_alphanumeric()).map(str::to_owned).collect();
    let hinted = k.whole_hint_matches(title);
    let mut groups: Vec<&str> = Vec::new();
    for f in &k.families {
        // Group names count as words when distinctive ("wan", "ltx", "flux", "qwen"; not "sd").
        let by_name = f.group.len() >= 3 && words.contains(&f.group);
        let named = by_name || hinted.iter().any(|(g, _)| g.id == f.id);
        if named && !groups.contains(&f.group.as_str()) {
            groups.push(f.group.as_str());
        }
    }
    groups
}

/// A title that names one family by a whole hint ("ltxv (13b 0.9.7)", not the "edit" inside
/// "Qwen-Image edition") is a clue for [`specific_variant`] only: titles also say "SDXL & Flux".
pub(super) fn title_clue<'k>(k: &'k Knowledge, title: &str, line: &str) -> Option<Clue<'k>> {
    let family = k.family_by_whole_hint(title)?;
    Some(Clue {
        source: Source::CardProse,
        detail: line.to_owned(),
        repo: None,
        family: Some(family),
        hint: family.hints.iter().map(|h| normalise(h)).filter(|h| normalise(title).contains(h.as_str())).max_by_key(String::len),
        title: true,
    })
}
