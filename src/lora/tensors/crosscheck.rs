//! Pure: the weights headers checked against what the card says. The card's base agrees with
//! the architecture → its evidence says so; contradicts it → the weights win when they point to
//! exactly one supported base (narrowed by a Wan 2.2 expert pair and the task), else the owner
//! is asked, naming both. A format diffusers cannot load for that model → ask. The headers also
//! settle the weights-file choice: an expert pair, or the one variant that fits the base.

use super::WeightsProfile;
use super::metadata::Expert;
use crate::lora::profile::{Flag, LoraProfile, Missing, MissingField, Source, Sourced, Task};
use crate::space::knowledge::{Family, Knowledge};

/// What the headers concluded about the base model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// No header with a known architecture.
    Silent,
    /// The card's base fits the architecture.
    Agrees,
    /// The weights pick the base (the card was silent or contradicted): family id.
    Decides(String),
    /// The weights and the card disagree and the weights alone do not name one base.
    Conflict(String),
}

fn profile_of<'a>(headers: &'a [WeightsProfile], file: Option<&Sourced<String>>) -> Option<&'a WeightsProfile> {
    let file = file?;
    headers.iter().find(|h| h.file == file.value)
}

/// Chooses among candidates the headers tell apart; only when the card left it open.
pub fn choose_file(p: &mut LoraProfile, headers: &[WeightsProfile], card_family: Option<&Family>) {
    if p.weight_name.is_some() || p.weight_candidates.len() < 2 {
        return;
    }
    let read: Vec<&WeightsProfile> = p.weight_candidates.iter().filter_map(|c| headers.iter().find(|h| &h.file == c)).collect();
    let high = read.iter().find(|h| h.expert == Some(Expert::HighNoise));
    let low = read.iter().find(|h| h.expert == Some(Expert::LowNoise));
    if let (Some(high), Some(low), 2) = (high, low, p.weight_candidates.len())
        && high.architecture.as_ref().map(|a| &a.id) == low.architecture.as_ref().map(|a| &a.id) && high.architecture.is_some() {
            p.weight_name = Some(Sourced::new(high.file.clone(), Source::WeightsHeader, "high-noise expert (trainer metadata), same architecture as its partner"));
            p.weight_name_2 = Some(Sourced::new(low.file.clone(), Source::WeightsHeader, format!("low-noise expert, partner of {}", high.file)));
            return;
        }
    let Some(f) = card_family else { return };
    let fitting: Vec<&&WeightsProfile> = read.iter().filter(|h| h.architecture.as_ref().is_some_and(|a| a.families.contains(&f.id))).collect();
    let others = read.iter().filter(|h| h.architecture.as_ref().is_some_and(|a| !a.families.contains(&f.id))).count();
    if let ([one], true) = (fitting.as_slice(), others > 0) {
        let why = format!("the only weights file whose header fits {} ({})", f.name, one.architecture.as_ref().map_or("", |a| a.name.as_str()));
        p.weight_name = Some(Sourced::new(one.file.clone(), Source::WeightsHeader, why));
        return;
    }
    // Every candidate fits the base but in different key formats (a diffusers and a kohya copy):
    // the one diffusers loads for it.
    let loadable: Vec<&&&WeightsProfile> = fitting.iter().filter(|h| h.loadable()).collect();
    if let ([one], true) = (loadable.as_slice(), fitting.len() == p.weight_candidates.len()) {
        let why = format!("the only weights file in a key format diffusers loads for {} ({})", f.name, one.key_format.as_str());
        p.weight_name = Some(Sourced::new(one.file.clone(), Source::WeightsHeader, why));
    }
}

/// Compares the chosen file's header with the card's family.
pub fn verdict(k: &Knowledge, headers: &[WeightsProfile], chosen: Option<&Sourced<String>>, pair: bool, card_family: Option<&Family>, task: Option<Task>) -> Verdict {
    let Some(arch) = profile_of(headers, chosen).and_then(|h| h.architecture.as_ref()) else { return Verdict::Silent };
    if let Some(f) = card_family
        && (arch.families.contains(&f.id) || arch.confusable.contains(&f.id)) {
            return Verdict::Agrees;
        }
    let mut fits: Vec<&Family> = arch.families.iter().filter_map(|id| k.family(id)).collect();
    if pair {
        fits.retain(|f| f.generation == "wan2.2");
    }
    if let Some(t) = task {
        let serving: Vec<&Family> = fits.iter().copied().filter(|f| f.tasks().contains(&t)).collect();
        if !serving.is_empty() {
            fits = serving;
        }
    }
    let pick = match fits.as_slice() {
        [one] => Some(one.id.clone()),
        many => arch.base.clone().filter(|b| many.iter().any(|f| &f.id == b)),
    };
    match pick {
        Some(id) => Verdict::Decides(id),
        None if arch.families.is_empty() => Verdict::Conflict(format!("the weights header fits {}, which this bot does not support", arch.name)),
        None => {
            let names: Vec<&str> = fits.iter().map(|f| f.name.as_str()).collect();
            Verdict::Conflict(format!("the weights header fits {} ({})", arch.name, names.join(", ")))
        }
    }
}

/// Applies the verdict to the profile; returns the family to continue with.
pub fn apply<'k>(p: &mut LoraProfile, k: &'k Knowledge, headers: &[WeightsProfile], card_family: Option<&'k Family>, task: Option<Task>, conflicts: &mut Vec<String>) -> Option<&'k Family> {
    let pair = p.weight_name_2.is_some();
    let card_says = p.base_model.as_ref().map(|b| b.value.clone());
    match verdict(k, headers, p.weight_name.as_ref(), pair, card_family, task) {
        Verdict::Silent => card_family,
        Verdict::Agrees => {
            let arch = profile_of(headers, p.weight_name.as_ref()).and_then(|h| h.architecture.as_ref()).map_or(String::new(), |a| a.name.clone());
            if let Some(b) = p.base_model.as_mut() {
                b.evidence.detail = format!("{}; weights header agrees ({arch})", b.evidence.detail);
            }
            card_family
        }
        Verdict::Decides(id) => {
            let f = k.family(&id)?;
            let arch = profile_of(headers, p.weight_name.as_ref()).and_then(|h| h.architecture.as_ref()).map_or(String::new(), |a| format!("{}, hidden size {}", a.name, a.hidden));
            let why = match &card_says {
                Some(card) => format!("the weights are {arch}; the card said {card}, which does not fit them"),
                None => format!("the weights are {arch}; the card does not name a usable base"),
            };
            if card_says.is_some() {
                p.flags.push(Flag { kind: "weights-override".into(), message: format!("base model set from the weights header: {why}") });
            }
            p.base_model = Some(Sourced::new(f.repo.clone(), Source::WeightsHeader, why));
            p.base_model_as_declared = card_says;
            p.family = Some(f.id.clone());
            p.base_by_analogy = false;
            conflicts.clear();
            Some(f)
        }
        Verdict::Conflict(what) => {
            match &card_says {
                Some(card) => conflicts.push(format!("the card says {card} but {what}")),
                None => conflicts.push(what),
            }
            card_family
        }
    }
}

/// A chosen file diffusers cannot load for its architecture → ask for another.
pub fn check_format(p: &mut LoraProfile, headers: &[WeightsProfile]) {
    let Some(h) = profile_of(headers, p.weight_name.as_ref()) else { return };
    if h.loadable() || (h.architecture.is_none() && matches!(h.adapter, super::AdapterKind::Lora | super::AdapterKind::Dora | super::AdapterKind::Unknown)) {
        return;
    }
    let model = h.architecture.as_ref().map_or("this model".to_owned(), |a| a.name.clone());
    // The formats diffusers converts for this model (a format it does not convert would load
    // nothing: the app would run without the LoRA).
    let accepted = h.signature().map_or_else(|| "diffusers or kohya".to_owned(), |s| s.loader.join(", "));
    let alpha = match h.signature() {
        Some(s) if h.refused_alpha(s) => " and per-module alpha tensors",
        Some(s) if h.refused_naming(s) => " named lora_A / lora_B",
        _ => "",
    };
    let question = format!(
        "The weights file {} is a {:?} adapter with {} keys{alpha}, which diffusers' load_lora_weights cannot load for {model}. Upload a LoRA in one of these key formats: {accepted}; or name another file (weights_file in lora-space.toml).",
        h.file, h.adapter, h.key_format.as_str()
    );
    p.missing.retain(|m| m.field != MissingField::WeightsFile);
    p.missing.push(Missing { field: MissingField::WeightsFile, question, blocking: true });
}

/// Everything the headers settle, in order: the file choice, the base, the format. A base set
/// by `lora-space.toml` is not second-guessed.
pub fn run<'k>(p: &mut LoraProfile, k: &'k Knowledge, headers: &[WeightsProfile], card_family: Option<&'k Family>, task: Option<Task>, conflicts: &mut Vec<String>) -> Option<&'k Family> {
    p.weights_headers = headers.to_vec();
    choose_file(p, headers, card_family);
    let family = match p.base_model.as_ref().map(|b| b.evidence.source) {
        Some(Source::Override) => card_family,
        _ => apply(p, k, headers, card_family, task, conflicts),
    };
    check_format(p, headers);
    family
}
