//! Analyze stage, LoRAs that only run with custom code (knowledge §2.5: use the snippet's
//! parameters, not its loading mechanics — unless the mechanics *are* the LoRA). Evidence, all
//! from the card: the snippet imports its loader from a package the card clones
//! (`git clone …/cog-sdxl cog_sdxl` + `from cog_sdxl… import TokenEmbeddingsHandler`), the LoRA
//! needs textual-inversion embeddings besides its weights (`embeddings.pti`,
//! `load_textual_inversion`), or the card says it runs in its own codebase / custom pipeline and
//! shows no diffusers `load_lora_weights`. Such a LoRA goes to the needs-input discussion with
//! the reason; a generated Space would load it but not do what the card promises.

use std::sync::LazyLock;

use regex::Regex;

use super::base::strip_code;
use super::snippet::code_blocks;

static CLONE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"git clone\s+(?:--\S+\s+)*(\S+?)(?:\.git)?(?:\s+([A-Za-z_][\w-]*))?\s*$").unwrap_or_else(|_| unreachable!())
});
static OWN_CODE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(codebase|custom pipeline|custom inference code|only works (?:with|in))\b").unwrap_or_else(|_| unreachable!())
});

/// Why the LoRA needs custom code, when the card says so.
pub fn detect(body: &str, code: &str) -> Option<String> {
    if let Some(file) = ["embeddings.pti", "TokenEmbeddingsHandler", "load_textual_inversion"].iter().find(|m| code.contains(**m)) {
        return Some(format!(
            "the card's snippet also loads textual-inversion token embeddings ({file}); the trigger tokens mean nothing without them"
        ));
    }
    for block in code_blocks(body) {
        for line in block.code.lines() {
            let Some(c) = CLONE.captures(line.trim()) else { continue };
            let url = c.get(1).map_or("", |m| m.as_str());
            let dir = c.get(2).map(|m| m.as_str().to_owned()).unwrap_or_else(|| url.rsplit('/').next().unwrap_or("").to_owned());
            let module = dir.replace('-', "_");
            if url.contains("huggingface/diffusers") || module.is_empty() {
                continue;
            }
            if code.contains(&format!("from {module}")) || code.contains(&format!("import {module}")) {
                return Some(format!("the card's snippet imports its loader from {url}, which it clones"));
            }
        }
    }
    let prose = strip_code(body);
    let said = prose.lines().find(|l| OWN_CODE.is_match(l))?;
    (!code.contains("load_lora_weights")).then(|| {
        let said = said.trim().trim_start_matches('#').trim();
        format!("the card runs it with its own code, not diffusers: \"{}\"", said.chars().take(120).collect::<String>())
    })
}

static PREPROCESSING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^\W*preprocessing\W*:\**\s*(.{3,})$").unwrap_or_else(|_| unreachable!())
});
/// Control-signal preparations a generated app does itself (knowledge §3 LTX: pose / depth /
/// canny extraction), or none at all.
static KNOWN_PREP: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(none|not (?:needed|required)|no preprocessing|pose|depth|canny|edges?)\b").unwrap_or_else(|_| unreachable!())
});

/// The card's "Preprocessing:" line (the IC-LoRA card template's control-signal section) names a
/// preparation of the control input the generated app does not do — e.g. rendering a
/// light-direction ball and compositing it into every frame.
pub fn control_preprocessing(body: &str) -> Option<String> {
    let prose = strip_code(body);
    prose.lines().find_map(|l| {
        let what = PREPROCESSING.captures(l.trim())?.get(1)?.as_str().trim();
        (!KNOWN_PREP.is_match(what)).then(|| {
            format!(
                "its control input needs a preparation the generated Space does not do: \"{}\"",
                what.trim_start_matches('*').chars().take(140).collect::<String>()
            )
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lora::snippet::python_code;

    #[test]
    fn pivotal_tuning_card_needs_its_token_embeddings() {
        // fofr/sdxl-emoji
        let body = "```shell\ngit clone https://github.com/replicate/cog-sdxl cog_sdxl\n```\n\n```py\nfrom cog_sdxl.dataset_and_utils import TokenEmbeddingsHandler\npipe.load_lora_weights(\"fofr/sdxl-emoji\", weight_name=\"lora.safetensors\")\nembedding_path = hf_hub_download(repo_id=\"fofr/sdxl-emoji\", filename=\"embeddings.pti\", repo_type=\"model\")\n```\n";
        assert!(detect(body, &python_code(body)).is_some_and(|w| w.contains("embeddings")));
    }

    #[test]
    fn a_loader_imported_from_a_cloned_package_is_custom_code() {
        let body = "```bash\ngit clone https://github.com/someone/magic-lora\n```\n```python\nfrom magic_lora import load\n```\n";
        assert!(detect(body, &python_code(body)).is_some_and(|w| w.contains("clones")));
    }

    #[test]
    fn a_card_that_runs_only_in_its_codebase_is_custom() {
        // SVI-Pro LoRA for Wan2.2-TI2V-5B
        let body = "## Usage (DiffSynth-Studio / SVI codebase)\n\n```bash\npython inference_svi_pro_5b.py --lora_path svi_pro_5b_lora.safetensors\n```\n";
        assert!(detect(body, &python_code(body)).is_some());
    }

    #[test]
    fn a_control_input_the_app_cannot_prepare_is_said_and_known_preparations_are_not() {
        // LTX-2.3 22B IC-LoRA Relight: the reference is the source clip with a rendered ball in its corner
        let body = "## Control Signal Requirements\n\n- **Preprocessing:** render the direction sphere (e.g. Eric Venti's Sphere-Light-Render ComfyUI node) and composite it into the corner at the training geometry.\n";
        assert!(control_preprocessing(body).is_some_and(|w| w.contains("render the direction sphere")));
        assert_eq!(control_preprocessing("- **Preprocessing:** extract a DWPose pose video from the source.\n"), None);
        assert_eq!(control_preprocessing("- **Preprocessing:** none\n"), None);
    }

    #[test]
    fn a_plain_diffusers_or_diffsynth_card_is_not_custom() {
        let body = "```python\npipe.load_lora(pipe.dit, \"models/lora/travel/travel_lora_step380.safetensors\", alpha=0.8)\n```\n";
        assert_eq!(detect(body, &python_code(body)), None);
        let body = "Works in any pipeline.\n```python\npipe.load_lora_weights(\"a/b\")\n```\n";
        assert_eq!(detect(body, &python_code(body)), None);
    }
}
