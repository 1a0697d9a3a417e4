//! Evidence: where an inferred value came from ([`Source`], with the one label people read
//! for it), a short quote or explanation ([`Evidence`]), and a value paired with it
//! ([`Sourced`]).

use std::fmt;

use serde::{Deserialize, Serialize};

/// Where a value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    /// A key of the card's YAML frontmatter.
    Yaml,
    /// A Python snippet in the card body.
    CardSnippet,
    /// A table in the card body.
    CardTable,
    /// Prose in the card body.
    CardProse,
    /// The repo's file list.
    FileList,
    /// The base model's family defaults (knowledge table).
    BaseDefault,
    /// The base model's own card.
    BaseCard,
    /// The Space's `lora-space.toml`.
    Override,
    /// A generic default (e.g. LoRA scale 1.0).
    Default,
    /// The safetensors header of the weights file (tensor names and shapes, trainer metadata).
    WeightsHeader,
    /// A command line in the card (`python infer.py --steps 30 --alpha 0.8`).
    CardCommand,
}

impl Source {
    /// The words a person reads for this source — the ONE place these labels live: plan
    /// text, PR body, conflict messages and the JSON `label` all use it (through `Display`).
    /// Variant names (and their serde spelling) are stable; only the labels are for people.
    pub fn label(self) -> &'static str {
        match self {
            Source::Yaml => "card YAML",
            Source::CardSnippet => "code snippet in the card",
            Source::CardTable => "table in the card",
            Source::CardProse => "card text",
            Source::FileList => "file list",
            Source::BaseDefault => "base model default",
            Source::BaseCard => "base model's card",
            Source::Override => "lora-space.toml override",
            Source::Default => "generic default",
            Source::WeightsHeader => "weights header",
            Source::CardCommand => "command line in the card",
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// Evidence for one inferred value: the kind of source and a short quote or explanation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// The kind of source.
    pub source: Source,
    /// The YAML key, the snippet or prose fragment, or why a default applies.
    pub detail: String,
}

impl Evidence {
    /// Builds evidence from a source and a detail.
    pub fn new(source: Source, detail: impl Into<String>) -> Self {
        Evidence { source, detail: detail.into() }
    }
}

/// `card YAML: base_model: x` — the source's label, then the detail on one line.
impl fmt::Display for Evidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let detail = self.detail.replace(['\n', '\r'], " ");
        if detail.trim().is_empty() { write!(f, "{}", self.source) } else { write!(f, "{}: {}", self.source, detail.trim()) }
    }
}

/// A value with the evidence that produced it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sourced<T> {
    /// The inferred value.
    pub value: T,
    /// Where it came from.
    pub evidence: Evidence,
}

impl<T> Sourced<T> {
    /// Pairs a value with its evidence.
    pub fn new(value: T, source: Source, detail: impl Into<String>) -> Self {
        Sourced { value, evidence: Evidence::new(source, detail) }
    }
}
