//! Architecture signatures (data: `src/space/signatures.toml`) and matching a LoRA's modules
//! against them. A header that fits no signature, or several without one covering its block
//! counts exactly, is unknown: never a guess.

use std::sync::OnceLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

use super::keys::Module;

const SIGNATURES_TOML: &str = include_str!("../../space/signatures.toml");

/// One architecture, as written in the TOML.
#[derive(Debug, Clone, Deserialize)]
pub struct Signature {
    /// Stable id (`flux1`, `ltx-13b`).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Some module must match one of these.
    pub markers: Vec<String>,
    /// Each must match some module.
    #[serde(default)]
    pub require: Vec<String>,
    /// No module may match these.
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Modules whose down/A input width is the hidden size.
    pub probe: String,
    /// The hidden size.
    pub hidden: u64,
    /// `(pattern capturing a block index, block count)`.
    #[serde(default)]
    pub blocks: Vec<(String, u64)>,
    /// Families with this architecture.
    pub families: Vec<String>,
    /// The family the weights point to when nothing narrower is known.
    #[serde(default)]
    pub base: Option<String>,
    /// Families the shapes cannot tell apart from these.
    #[serde(default)]
    pub confusable: Vec<String>,
    /// Key formats diffusers converts for this model.
    pub loader: Vec<String>,
    /// Of those, the formats it refuses when the file also stores per-module alpha tensors.
    #[serde(default)]
    pub no_alpha: Vec<String>,
    /// Of those, the formats it converts only when the pairs are named lora_down / lora_up.
    #[serde(default)]
    pub lora_down_only: Vec<String>,
    /// Where the numbers come from.
    pub source: String,
    /// Fixture modules: `(diffusers module with {i}, in, out, blocks)`.
    #[serde(default)]
    pub sample: Vec<(String, u64, u64, u64)>,
    /// Renames from the sample's diffusers module names to the model's native ones, which
    /// ComfyUI- and kohya-format files use (`attn1.` -> `self_attn.` for Wan).
    #[serde(default)]
    pub native: Vec<(String, String)>,
    /// The denoiser component (`transformer`, `unet`).
    #[serde(default)]
    pub component: Option<String>,
}

#[derive(Deserialize)]
struct File {
    signature: Vec<Signature>,
}

/// A signature with its regexes compiled.
struct Compiled {
    sig: Signature,
    markers: Vec<Regex>,
    require: Vec<Regex>,
    exclude: Vec<Regex>,
    probe: Regex,
    blocks: Vec<(Regex, u64)>,
}

/// Why the embedded table is invalid (a build defect, caught by the unit tests).
#[derive(Debug, thiserror::Error)]
pub enum SignatureError {
    /// The TOML does not parse.
    #[error("signatures.toml: {0}")]
    Toml(#[from] toml::de::Error),
    /// A regex does not compile.
    #[error("signatures.toml: {0}")]
    Regex(#[from] regex::Error),
}

fn compile(sig: Signature) -> Result<Compiled, SignatureError> {
    let all = |v: &[String]| v.iter().map(|p| Regex::new(p)).collect::<Result<Vec<_>, _>>();
    Ok(Compiled {
        markers: all(&sig.markers)?,
        require: all(&sig.require)?,
        exclude: all(&sig.exclude)?,
        probe: Regex::new(&sig.probe)?,
        blocks: sig.blocks.iter().map(|(p, n)| Regex::new(p).map(|r| (r, *n))).collect::<Result<_, _>>()?,
        sig,
    })
}

fn load() -> Result<Vec<Compiled>, SignatureError> {
    let file: File = toml::from_str(SIGNATURES_TOML)?;
    file.signature.into_iter().map(compile).collect()
}

fn table() -> &'static [Compiled] {
    static CELL: OnceLock<Vec<Compiled>> = OnceLock::new();
    CELL.get_or_init(|| load().unwrap_or_default())
}

/// Every signature (for listings and fixtures).
pub fn signatures() -> impl Iterator<Item = &'static Signature> {
    table().iter().map(|c| &c.sig)
}

/// The signature by id.
pub fn by_id(id: &str) -> Option<&'static Signature> {
    signatures().find(|s| s.id == id)
}

/// The signature whose families include `family`, preferring the one naming it as `base`.
pub fn for_family(family: &str) -> Option<&'static Signature> {
    signatures()
        .find(|s| s.base.as_deref() == Some(family))
        .or_else(|| signatures().find(|s| s.families.iter().any(|f| f == family)))
}

/// The architecture a header fits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchMatch {
    /// Signature id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// The measured hidden size.
    pub hidden: u64,
    /// Families with this architecture (empty: not supported).
    pub families: Vec<String>,
    /// The family the weights point to alone.
    pub base: Option<String>,
    /// Families the shapes cannot rule out.
    pub confusable: Vec<String>,
}

/// Matches modules against every signature. `Err` lists the candidates when several fit.
pub fn classify(modules: &[Module]) -> Result<Option<ArchMatch>, Vec<String>> {
    let fits: Vec<(&Compiled, bool)> = table().iter().filter_map(|c| fit(c, modules).map(|exact| (c, exact))).collect();
    let chosen = match fits.as_slice() {
        [] => return Ok(None),
        [(one, _)] => *one,
        many => {
            let exact: Vec<&Compiled> = many.iter().filter(|(_, e)| *e).map(|(c, _)| *c).collect();
            match exact.as_slice() {
                [one] => *one,
                _ => return Err(many.iter().map(|(c, _)| c.sig.name.clone()).collect()),
            }
        }
    };
    let s = &chosen.sig;
    Ok(Some(ArchMatch { id: s.id.clone(), name: s.name.clone(), hidden: s.hidden, families: s.families.clone(), base: s.base.clone(), confusable: s.confusable.clone() }))
}

/// `Some(exact)` when the modules fit; `exact` = every counted block pattern's highest index
/// is the last block of the model.
fn fit(c: &Compiled, modules: &[Module]) -> Option<bool> {
    let any = |r: &Regex| modules.iter().any(|m| r.is_match(&m.path));
    if !c.markers.iter().any(any) || !c.require.iter().all(any) || c.exclude.iter().any(any) {
        return None;
    }
    let widths: Vec<u64> = modules.iter().filter(|m| c.probe.is_match(&m.path)).filter_map(|m| m.down.as_ref()?.get(1).copied()).collect();
    if widths.is_empty() || widths.iter().any(|w| *w != c.sig.hidden) {
        return None;
    }
    let mut exact = true;
    let mut counted = false;
    for (re, count) in &c.blocks {
        let max = modules.iter().filter_map(|m| re.captures(&m.path)?.get(1)?.as_str().parse::<u64>().ok()).max();
        if let Some(max) = max {
            if max >= *count {
                return None;
            }
            counted = true;
            exact &= max + 1 == *count;
        }
    }
    Some(counted && exact)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::space::knowledge::knowledge;

    #[test]
    fn the_embedded_table_compiles_and_names_only_known_families() {
        let t = load().expect("signatures.toml loads");
        assert!(t.len() >= 12);
        for c in &t {
            for f in c.sig.families.iter().chain(&c.sig.confusable).chain(&c.sig.base) {
                assert!(knowledge().family(f).is_some(), "{}: unknown family {f}", c.sig.id);
            }
            assert!(!c.sig.source.is_empty());
        }
    }
}
