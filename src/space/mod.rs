//! Pure: planning, rendering, validating and diffing the Space files for one LoRA.
//!
//! Flow: [`generate::generate`] takes a [`crate::lora::LoraProfile`] and either asks for input
//! ([`needs_input`]) or builds a [`plan::SpacePlan`] (class verified by [`verify`] against
//! the base card, defaults from [`knowledge`]), renders it ([`render`]) and reports.
//! [`validate`] statically checks rendered files, [`diff`] compares them with the Space,
//! [`plan_output`] is the `plan` dry-run command's output.

pub mod generate;
pub mod knowledge;
pub mod needs_input;
pub mod overrides;
pub mod plan;
pub mod plan_examples;
pub mod plan_readme;
pub mod pyliteral;
pub mod pyparse;
pub mod render;
pub mod validate;
pub mod verify;

pub use generate::{GeneratedSpace, Generation, GeneratorSettings, generate};
pub use needs_input::NeedsInput;
