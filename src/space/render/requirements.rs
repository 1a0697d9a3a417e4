//! Render stage, `requirements.txt` (knowledge §7): derived from the imports `app.py`
//! actually has, plus the family extras and the diffusers stack. Never lists what the Space
//! runtime provides (gradio, spaces, huggingface_hub, torch).

use crate::space::plan::SpacePlan;
use crate::space::pyparse::{self, PyParseError};

/// Modules the ZeroGPU Gradio runtime provides.
pub const RUNTIME_MODULES: &[&str] = &["gradio", "spaces", "huggingface_hub", "torch"];

/// Packages that must never appear in requirements.txt.
pub const FORBIDDEN_PACKAGES: &[&str] = &["gradio", "spaces", "huggingface_hub", "huggingface-hub"];

/// Python standard-library modules a generated app may import.
pub const STDLIB: &[&str] = &[
    "__future__",
    "abc",
    "argparse",
    "base64",
    "collections",
    "contextlib",
    "copy",
    "dataclasses",
    "datetime",
    "enum",
    "functools",
    "glob",
    "hashlib",
    "io",
    "itertools",
    "json",
    "logging",
    "math",
    "os",
    "pathlib",
    "random",
    "re",
    "shutil",
    "string",
    "subprocess",
    "sys",
    "tempfile",
    "textwrap",
    "threading",
    "time",
    "typing",
    "urllib",
    "uuid",
    "warnings",
];

/// The pip package that provides an importable module.
pub fn package_for(module: &str) -> String {
    match module {
        "PIL" => "pillow".into(),
        "cv2" => "opencv-python".into(),
        "controlnet_aux" => "controlnet-aux".into(),
        "imageio_ffmpeg" => "imageio-ffmpeg".into(),
        "google" => "protobuf".into(),
        "av" => "av".into(),
        other => other.replace('_', "-").to_ascii_lowercase(),
    }
}

const DIFFUSERS_GIT: &str = "git+https://github.com/huggingface/diffusers";
/// The first diffusers release whose `from_pretrained` takes `dtype=` (pipelines:
/// huggingface/diffusers#14205, models: #14162, both in 0.40.0; `torch_dtype=` is deprecated
/// there with removal announced for 1.0). Generated apps pass `dtype=`, so they need this
/// floor, and they keep working when 1.0 drops `torch_dtype=`.
pub const DIFFUSERS_FLOOR: &str = "diffusers>=0.40.0";
const STACK: &[&str] = &["transformers", "accelerate", "peft", "safetensors"];

/// Renders requirements.txt for the rendered `app`.
pub fn render_requirements(plan: &SpacePlan, app: &str) -> Result<String, PyParseError> {
    let imports = pyparse::parse(app)?.imports();
    let mut packages: Vec<String> = imports
        .iter()
        .filter(|m| !RUNTIME_MODULES.contains(&m.as_str()) && !STDLIB.contains(&m.as_str()))
        .map(|m| package_for(m))
        .filter(|p| p != "diffusers")
        .collect();
    packages.extend(plan.extra_requirements.iter().cloned());
    packages.retain(|p| !FORBIDDEN_PACKAGES.contains(&p.as_str()) && !STACK.contains(&p.as_str()));
    packages.sort();
    packages.dedup();
    let diffusers = if plan.diffusers_git { DIFFUSERS_GIT } else { DIFFUSERS_FLOOR };
    let mut lines: Vec<String> = vec![diffusers.to_owned()];
    lines.extend(STACK.iter().map(|s| (*s).to_owned()));
    lines.extend(packages);
    Ok(lines.join("\n") + "\n")
}

/// The requirement name of a requirements.txt line (`pkg>=1` → `pkg`, git URL → repo name).
pub fn requirement_name(line: &str) -> Option<String> {
    let line = line.split('#').next().unwrap_or("").trim();
    if line.is_empty() || line.starts_with('-') {
        return None;
    }
    if let Some(url) = line.strip_prefix("git+") {
        let name = url.trim_end_matches('/').rsplit('/').next().unwrap_or(url);
        return Some(name.split('@').next().unwrap_or(name).trim_end_matches(".git").to_ascii_lowercase());
    }
    let end = line.find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))).unwrap_or(line.len());
    Some(line[..end].replace('_', "-").to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requirement_names_ignore_versions_extras_and_git_urls() {
        assert_eq!(requirement_name("imageio-ffmpeg>=0.5").as_deref(), Some("imageio-ffmpeg"));
        assert_eq!(requirement_name("git+https://github.com/huggingface/diffusers").as_deref(), Some("diffusers"));
        assert_eq!(requirement_name("# comment"), None);
        assert_eq!(requirement_name("Pillow[extra]==10").as_deref(), Some("pillow"));
    }

    #[test]
    fn requirements_follow_the_imports_and_family_extras_but_never_the_runtime() {
        let plan =
            crate::space::test_plan("---\nbase_model: Wan-AI/Wan2.1-T2V-14B-Diffusers\n---\n", &["l.safetensors"]);
        let app = "import os\nimport spaces\nimport gradio as gr\nimport torch\nimport cv2\nfrom diffusers import WanPipeline\n";
        let req = render_requirements(&plan, app).expect("parses");
        let names: Vec<String> = req.lines().filter_map(requirement_name).collect();
        for want in ["diffusers", "transformers", "opencv-python", "ftfy", "imageio-ffmpeg"] {
            assert!(names.iter().any(|n| n == want), "{want} in {names:?}");
        }
        for never in ["gradio", "spaces", "torch", "huggingface-hub", "os"] {
            assert!(!names.iter().any(|n| n == never), "{never} in {names:?}");
        }
    }

    #[test]
    fn diffusers_carries_the_floor_that_introduced_dtype_unless_installed_from_git() {
        let mut plan =
            crate::space::test_plan("---\nbase_model: black-forest-labs/FLUX.1-dev\n---\n", &["l.safetensors"]);
        let req = render_requirements(&plan, "import torch\n").expect("parses");
        assert_eq!(req.lines().next(), Some(DIFFUSERS_FLOOR));
        plan.diffusers_git = true;
        let req = render_requirements(&plan, "import torch\n").expect("parses");
        assert_eq!(req.lines().next(), Some(DIFFUSERS_GIT));
    }

    #[test]
    fn modules_map_to_their_pip_packages() {
        assert_eq!(package_for("PIL"), "pillow");
        assert_eq!(package_for("cv2"), "opencv-python");
        assert_eq!(package_for("numpy"), "numpy");
    }
}
