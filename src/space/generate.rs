//! The generator facade the worker calls: profile (+ base card) → either the Space files or
//! a request for input. Runs plan → render → validate; pure and deterministic.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::needs_input::{NeedsInput, needs_input};
use super::plan::{SpacePlan, plan};
use super::render::render;
use super::validate::validate_generated;
use crate::lora::profile::LoraProfile;

/// Generator settings (a section of the service config).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct GeneratorSettings {
    /// Gradio version written to README `sdk_version` (the code targets Gradio 6.x).
    pub sdk_version: String,
    /// README `python_version` (ZeroGPU supports 3.10 and 3.12).
    pub python_version: String,
    /// README `suggested_hardware` (ZeroGPU: `zero-a10g`).
    pub hardware: String,
}

impl Default for GeneratorSettings {
    fn default() -> Self {
        GeneratorSettings { sdk_version: "6.31.0".into(), python_version: "3.10".into(), hardware: "zero-a10g".into() }
    }
}

/// The generated Space.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GeneratedSpace {
    /// The plan the files were rendered from.
    pub plan: SpacePlan,
    /// `app.py`, `requirements.txt`, `README.md`, minus the overrides' `leave_alone` files.
    pub files: BTreeMap<String, String>,
    /// Notes for the PR body (flags, fallbacks, validation findings).
    pub notes: Vec<String>,
}

/// What the generator produced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
#[allow(clippy::large_enum_variant)] // built once per job; the API is matched by value
pub enum Generation {
    /// Files ready for a pull request.
    Ready(GeneratedSpace),
    /// Input needed: open a discussion instead.
    NeedsInput(NeedsInput),
}

/// Generates the Space files for a profile.
pub fn generate(profile: &LoraProfile, base_card: Option<&str>, settings: &GeneratorSettings) -> Generation {
    if profile.needs_user_input() {
        return Generation::NeedsInput(needs_input(profile));
    }
    let plan = match plan(profile, base_card, &settings.hardware) {
        Ok(plan) => plan,
        Err(err) => {
            let mut ask = needs_input(profile);
            ask.missing.push(err.to_string());
            return Generation::NeedsInput(ask);
        }
    };
    let mut notes: Vec<String> = profile.flags.iter().map(|f| f.message.clone()).collect();
    notes.extend(plan.notes.iter().cloned());
    let mut files = match render(&plan, &settings.sdk_version, &settings.python_version) {
        Ok(files) => files,
        Err(err) => {
            notes.push(format!("rendering failed: {err}"));
            BTreeMap::new()
        }
    };
    notes.extend(validate_generated(&files, profile).into_iter().map(|i| format!("validation: {i}")));
    files.retain(|name, _| !plan.leave_alone.iter().any(|l| l == name));
    Generation::Ready(GeneratedSpace { plan, files, notes })
}
