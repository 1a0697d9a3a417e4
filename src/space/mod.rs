//! Pure: planning, rendering, validating and diffing the Space files for one LoRA.
//!
//! Flow: [`generate::generate`] takes a [`crate::lora::LoraProfile`] and either asks for input
//! ([`needs_input`]) or builds a [`plan::SpacePlan`] (class verified by [`verify`] against
//! the base card, defaults from [`knowledge`]), renders it ([`render`]) and reports.
//! [`validate`] statically checks rendered files, [`diff`] compares them with the Space,
//! [`plan_output`] is the `plan` dry-run command's output.

pub mod diff;
pub mod generate;
pub mod knowledge;
pub mod needs_input;
pub mod overrides;
pub mod plan;
pub mod plan_examples;
pub mod plan_output;
mod plan_prompt;
pub mod plan_readme;
mod plan_size;
pub mod plan_text;
mod plan_video;
pub mod pyliteral;
pub mod pyparse;
pub mod readme_merge;
pub mod render;
pub mod trigger_join;
pub mod validate;
pub mod verify;

pub use generate::{GeneratedSpace, Generation, GeneratorSettings, generate};
pub use needs_input::NeedsInput;
pub use plan_output::{PlanOutput, plan_from_dir_contents, plan_with_headers};

/// Builds a plan from a card and file list (unit-test helper).
#[cfg(test)]
pub(crate) fn test_plan(card: &str, files: &[&str]) -> plan::SpacePlan {
    let lora = "tester/test-lora".parse().expect("valid id");
    let files: Vec<String> = files.iter().map(|f| (*f).to_owned()).collect();
    let profile =
        crate::lora::analyze(&crate::lora::AnalyzeInput { lora: &lora, card, files: &files, overrides: None });
    plan::plan(&profile, None, "zero-a10g").expect("plannable test card")
}
