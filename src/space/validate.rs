//! The validate stage: static checks on rendered Space files before they are proposed —
//! Python syntax and imports (tree-sitter), requirements rules, README frontmatter rules, and
//! that the weights file and example files exist in the LoRA repo.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::plan_readme::{ALLOWED_COLORS, SHORT_DESCRIPTION_MAX};
use super::pyparse;
use super::render::requirements::{FORBIDDEN_PACKAGES, RUNTIME_MODULES, STDLIB, package_for, requirement_name};
use crate::lora::profile::LoraProfile;

/// One problem found in the rendered files.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidationIssue {
    /// The file concerned.
    pub file: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for ValidationIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.file, self.message)
    }
}

fn issue(file: &str, message: impl Into<String>) -> ValidationIssue {
    ValidationIssue { file: file.to_owned(), message: message.into() }
}

/// All checks, including the ones that need the LoRA repo's file list.
pub fn validate(
    files: &BTreeMap<String, String>,
    lora_files: &[String],
    profile: &LoraProfile,
) -> Vec<ValidationIssue> {
    let mut issues = validate_generated(files, profile);
    for w in profile.weight_name.iter().chain(&profile.weight_name_2) {
        if !lora_files.contains(&w.value) {
            issues.push(issue("app.py", format!("weights file {} is not in the LoRA repo", w.value)));
        }
    }
    for media in &profile.example_media {
        if !lora_files.contains(media) {
            issues.push(issue("app.py", format!("example file {media} is not in the LoRA repo")));
        }
    }
    issues
}

/// Checks that need only the files themselves.
pub fn validate_generated(files: &BTreeMap<String, String>, _profile: &LoraProfile) -> Vec<ValidationIssue> {
    let mut issues = Vec::new();
    match files.get("app.py") {
        Some(app) => check_app(app, files.get("requirements.txt").map(String::as_str), &mut issues),
        None => issues.push(issue("app.py", "missing")),
    }
    if let Some(req) = files.get("requirements.txt") {
        check_requirements(req, &mut issues);
    }
    match files.get("README.md") {
        Some(readme) => check_frontmatter(readme, &mut issues),
        None => issues.push(issue("README.md", "missing")),
    }
    issues
}

fn check_app(app: &str, requirements: Option<&str>, issues: &mut Vec<ValidationIssue>) {
    let parsed = match pyparse::parse(app) {
        Ok(p) => p,
        Err(e) => return issues.push(issue("app.py", e.to_string())),
    };
    let listed: Vec<String> = requirements.unwrap_or("").lines().filter_map(requirement_name).collect();
    for module in parsed.imports() {
        let covered = RUNTIME_MODULES.contains(&module.as_str())
            || STDLIB.contains(&module.as_str())
            || listed.contains(&package_for(&module));
        if !covered {
            issues.push(issue(
                "app.py",
                format!("import {module} is not covered by requirements.txt ({})", package_for(&module)),
            ));
        }
    }
    let imports = parsed.imports();
    let pos = |m: &str| imports.iter().position(|i| i == m);
    if let (Some(s), Some(t)) = (pos("spaces"), pos("torch"))
        && s > t {
            issues.push(issue("app.py", "`import spaces` must come before torch"));
        }
    if !app.contains("@spaces.GPU") {
        issues.push(issue("app.py", "no @spaces.GPU function"));
    }
}

fn check_requirements(req: &str, issues: &mut Vec<ValidationIssue>) {
    for name in req.lines().filter_map(requirement_name) {
        if FORBIDDEN_PACKAGES.contains(&name.as_str()) {
            issues.push(issue(
                "requirements.txt",
                format!("{name} is provided by the Space runtime and must not be listed"),
            ));
        }
    }
}

/// Frontmatter rules for a Gradio ZeroGPU Space.
pub fn check_frontmatter(readme: &str, issues: &mut Vec<ValidationIssue>) {
    let card = crate::lora::card::split(readme);
    if !card.notes.is_empty() || !readme.starts_with("---") {
        return issues.push(issue("README.md", "frontmatter missing or not valid YAML"));
    }
    let Some(yaml) = readme.split("---").nth(1) else { return };
    let value: serde_norway::Value = match serde_norway::from_str(yaml) {
        Ok(v) => v,
        Err(e) => return issues.push(issue("README.md", format!("frontmatter: {e}"))),
    };
    let get = |k: &str| value.get(k).and_then(serde_norway::Value::as_str).map(str::to_owned);
    if get("sdk").as_deref() != Some("gradio") {
        issues.push(issue("README.md", "sdk must be gradio"));
    }
    if get("sdk_version").is_none_or(|v| v.is_empty()) {
        issues.push(issue("README.md", "sdk_version missing"));
    }
    for key in ["colorFrom", "colorTo"] {
        if !get(key).is_some_and(|c| ALLOWED_COLORS.contains(&c.as_str())) {
            issues.push(issue("README.md", format!("{key} must be one of {}", ALLOWED_COLORS.join(", "))));
        }
    }
    if get("short_description").is_some_and(|d| d.chars().count() > SHORT_DESCRIPTION_MAX) {
        issues.push(issue("README.md", format!("short_description is longer than {SHORT_DESCRIPTION_MAX} characters")));
    }
    if get("app_file").as_deref() != Some("app.py") {
        issues.push(issue("README.md", "app_file must be app.py"));
    }
    let models = value.get("models").and_then(serde_norway::Value::as_sequence).map_or(0, Vec::len);
    if models < 2 {
        issues.push(issue("README.md", "models must list the base model and the LoRA"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn issues_of(readme: &str) -> Vec<ValidationIssue> {
        let mut out = Vec::new();
        check_frontmatter(readme, &mut out);
        out
    }

    #[test]
    fn a_valid_frontmatter_passes() {
        let ok = "---\nsdk: gradio\nsdk_version: \"6.0.0\"\ncolorFrom: red\ncolorTo: blue\napp_file: app.py\nshort_description: \"ok\"\nmodels:\n- a/b\n- c/d\n---\nbody\n";
        assert_eq!(issues_of(ok), vec![]);
    }

    #[test]
    fn bad_colour_and_long_description_are_reported() {
        let bad = format!(
            "---\nsdk: gradio\nsdk_version: \"6\"\ncolorFrom: orange\ncolorTo: blue\napp_file: app.py\nshort_description: \"{}\"\nmodels: [a/b, c/d]\n---\n",
            "x".repeat(61)
        );
        let found = issues_of(&bad);
        assert_eq!(found.len(), 2, "{found:?}");
    }

    #[test]
    fn uncovered_import_and_listed_gradio_are_reported() {
        let mut issues = Vec::new();
        check_app(
            "import spaces\nimport torch\nimport cv2\n@spaces.GPU\ndef f():\n    pass\n",
            Some("diffusers\n"),
            &mut issues,
        );
        check_requirements("gradio\n", &mut issues);
        assert_eq!(issues.len(), 2, "{issues:?}");
    }

    #[test]
    fn weights_and_example_files_missing_from_the_lora_repo_are_reported() {
        let lora = "me/lora".parse().expect("id");
        let files = vec!["w.safetensors".to_owned(), "in/a.png".to_owned()];
        let card =
            "---\nbase_model: black-forest-labs/FLUX.1-Kontext-dev\n---\n```python\nload_image(\"in/a.png\")\n```\n";
        let profile =
            crate::lora::analyze(&crate::lora::AnalyzeInput { lora: &lora, card, files: &files, overrides: None });
        let found = validate(&BTreeMap::new(), &["other.safetensors".to_owned()], &profile);
        let messages: Vec<&str> = found.iter().map(|i| i.message.as_str()).collect();
        assert!(messages.iter().any(|m| m.contains("weights file w.safetensors")), "{messages:?}");
        assert!(messages.iter().any(|m| m.contains("example file in/a.png")), "{messages:?}");
    }

    #[test]
    fn syntax_error_in_app_is_reported() {
        let mut issues = Vec::new();
        check_app("def broken(:\n", None, &mut issues);
        assert!(issues[0].message.contains("syntax"));
    }
}
