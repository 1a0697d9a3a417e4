//! Pure: reading a LoRA's model card and file list into a `LoraProfile` with evidence.
//!
//! Flow: [`card`] splits frontmatter and body, [`snippet`] reads the Python snippets, then the
//! extractors run in the knowledge file's order — [`weights`], [`base`], [`task`],
//! [`triggers`], [`recipe`], [`examples`] — and [`missing`] decides what blocks generation.
//! [`analyze::analyze`] is the entry point.

pub mod analyze;
pub mod base;
mod base_clues;
mod base_expert;
mod base_prose;
mod base_variant;
pub mod card;
pub mod custom;
mod entities;
pub mod examples;
pub mod extras;
pub mod missing;
mod noise_pair;
pub mod profile;
pub mod recipe;
mod recipe_cli;
mod recipe_prose;
pub mod snippet;
pub mod subtask;
pub mod task;
pub mod tensors;
pub mod triggers;
pub mod weights;

pub use analyze::{AnalyzeInput, analyze, analyze_with_headers};
pub use profile::{LoraProfile, Task};
