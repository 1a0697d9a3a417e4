//! Analyze stage, recommended settings given only as command-line flags (part of
//! [`super::recipe`]): DiffSynth, musubi and x-flux cards show `python infer.py --steps 30
//! --alpha 0.8 --frames 49 --size "832*480"` instead of a diffusers snippet. Flags fill what the
//! Python snippet left open; training commands (`--learning_rate`, `train*.py`) are skipped.
//!
//! Also here: a snippet that stacks this LoRA with a few-step LoRA (LCM, Lightning, Hyper-SD,
//! TCD): its steps and guidance belong to the stack, and the adapter weight of *this* LoRA is
//! the one `set_adapters` gives to this LoRA's adapter name.

use std::sync::LazyLock;

use regex::Regex;

use super::profile::{GuidanceParam, Resolution, Source, Sourced};
use super::recipe::CardRecipe;
use super::snippet::code_blocks;

static FLAG: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"--([A-Za-z][\w-]*)(?:\s+|=)["']?([0-9]+(?:\.[0-9]+)?(?:\s*[*x×]\s*[0-9]+)?)["']?"#)
        .unwrap_or_else(|_| unreachable!())
});

const STEPS: &[&str] = &["steps", "num_inference_steps", "infer_steps", "sample_steps", "sampling_steps"];
const GUIDANCE: &[&str] = &["guidance_scale", "guidance", "cfg", "cfg_scale"];
const SCALE: &[&str] = &["alpha", "lora_scale", "lora_strength", "lora_weight", "lora_multiplier", "lora_alpha_scale"];
const FRAMES: &[&str] = &["frames", "num_frames", "video_length", "frames_per_clip"];

/// One shell command (continuation lines joined) from the card's non-Python code blocks.
fn commands(body: &str) -> Vec<String> {
    let mut out = Vec::new();
    for block in code_blocks(body).into_iter().filter(|b| !matches!(b.lang.as_str(), "python" | "py" | "python3")) {
        let mut current = String::new();
        for line in block.code.lines() {
            let t = line.trim();
            if t.starts_with('#') {
                continue;
            }
            current.push_str(t.trim_end_matches('\\'));
            current.push(' ');
            if !t.ends_with('\\') {
                out.push(std::mem::take(&mut current));
            }
        }
        if !current.trim().is_empty() {
            out.push(current);
        }
    }
    out
}

fn is_training(cmd: &str) -> bool {
    let lower = cmd.to_ascii_lowercase();
    lower.contains("--learning_rate")
        || lower.contains("--learning-rate")
        || lower.contains("--max_train_steps")
        || lower.split_whitespace().take(3).any(|w| w.contains("train"))
}

fn from_cmd<T>(value: T, said: &str) -> Sourced<T> {
    Sourced::new(value, Source::CardCommand, said)
}

fn detail(cmd: &str, flag: &str, value: &str) -> String {
    let script = cmd.split_whitespace().find(|w| w.ends_with(".py")).unwrap_or("the command");
    format!("--{flag} {value} on the card's command line ({script})")
}

/// Fills the recipe fields the snippet left open from the card's command lines.
pub(super) fn from_command_line(body: &str, r: &mut CardRecipe) {
    for cmd in commands(body).iter().filter(|c| c.contains("--") && !is_training(c)) {
        for caps in FLAG.captures_iter(cmd) {
            let (Some(flag), Some(value)) = (caps.get(1), caps.get(2)) else { continue };
            let key = flag.as_str().to_ascii_lowercase().replace('-', "_");
            let value = value.as_str();
            let num: Option<f64> = value.parse().ok();
            let said = detail(cmd, flag.as_str(), value);
            match key.as_str() {
                k if STEPS.contains(&k) && r.steps.is_none() => {
                    r.steps = num.filter(|n| (1.0..=200.0).contains(n)).map(|n| from_cmd(n as u32, &said));
                }
                k if GUIDANCE.contains(&k) && r.guidance.is_none() => {
                    r.guidance = num.filter(|n| *n <= 30.0).map(|n| (from_cmd(n, &said), GuidanceParam::GuidanceScale));
                }
                k if SCALE.contains(&k) && r.lora_scale.is_none() => {
                    r.lora_scale = num.filter(|n| *n > 0.0 && *n <= 2.0).map(|n| from_cmd(n, &said));
                }
                k if FRAMES.contains(&k) && r.num_frames.is_none() => r.num_frames = num.map(|n| from_cmd(n as u32, &said)),
                "fps" if r.fps.is_none() => r.fps = num.map(|n| from_cmd(n as u32, &said)),
                "size" | "resolution" | "video_size" if r.resolution.is_none() => {
                    let dims: Vec<u32> =
                        value.split(['*', 'x', '×']).filter_map(|d| d.trim().parse().ok()).collect();
                    if let [width, height] = dims[..] {
                        r.resolution = Some(from_cmd(Resolution { width, height }, &said));
                    }
                }
                _ => {}
            }
        }
    }
}

static LOAD_CALL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"load_lora_weights\(\s*([^,)\n]+)[^)\n]*?adapter_name\s*=\s*["']([^"'\n]+)["']"#)
        .unwrap_or_else(|_| unreachable!())
});
static SET_ADAPTERS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"set_adapters\(\s*\[([^\]]*)\]\s*,\s*(?:adapter_weights\s*=\s*)?\[([^\]]*)\]")
        .unwrap_or_else(|_| unreachable!())
});

/// The snippet stacks several LoRAs and one of them is a few-step LoRA: its steps and guidance
/// are the stack's, not this LoRA's. Returns this LoRA's adapter weight when `set_adapters` says.
pub(super) fn few_step_stack(code: &str) -> Option<Option<f64>> {
    let loads: Vec<(String, String)> = LOAD_CALL
        .captures_iter(code)
        .filter_map(|c| Some((resolve(code, c.get(1)?.as_str().trim()), c.get(2)?.as_str().to_owned())))
        .collect();
    if loads.len() < 2 {
        return None;
    }
    let few: Vec<&str> = loads.iter().filter(|(src, _)| super::extras::is_few_step_name(src)).map(|(_, n)| n.as_str()).collect();
    if few.is_empty() {
        return None;
    }
    let ours = loads.iter().map(|(_, n)| n.as_str()).find(|n| !few.contains(n));
    let weight = SET_ADAPTERS.captures(code).and_then(|c| {
        let names: Vec<String> = c.get(1)?.as_str().split(',').map(|s| s.trim().trim_matches(['"', '\'']).to_owned()).collect();
        let weights: Vec<f64> = c.get(2)?.as_str().split(',').filter_map(|s| s.trim().parse().ok()).collect();
        let idx = names.iter().position(|n| Some(n.as_str()) == ours)?;
        weights.get(idx).copied()
    });
    Some(weight)
}

/// A call argument as text: a string literal, or the string a variable was assigned.
fn resolve(code: &str, arg: &str) -> String {
    let arg = arg.trim_matches(['"', '\'']);
    if !arg.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return arg.to_owned();
    }
    let assign = Regex::new(&format!(r#"\b{}\s*=\s*["']([^"'\n]+)["']"#, regex::escape(arg)));
    assign.ok().and_then(|re| re.captures(code)).and_then(|c| c.get(1)).map_or(arg.to_owned(), |m| format!("{arg} {}", m.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diffsynth_inference_flags_give_steps_scale_frames_and_size() {
        // satoshinji/wan22-ti2v-5b-travel-lora
        let body = "```bash\npython scripts/infer_wan22_ti2v_lora.py \\\n  --image palace_museum.png \\\n  --prompt \"A cinematic travel documentary view\" \\\n  --size \"832*480\" \\\n  --frames 49 \\\n  --steps 30 \\\n  --alpha 0.8\n```\n";
        let mut r = CardRecipe::default();
        from_command_line(body, &mut r);
        assert_eq!(r.steps.as_ref().map(|s| (s.value, s.evidence.source)), Some((30, Source::CardCommand)));
        assert_eq!(r.lora_scale.map(|s| s.value), Some(0.8));
        assert_eq!(r.num_frames.map(|s| s.value), Some(49));
        assert_eq!(r.resolution.map(|s| s.value), Some(Resolution { width: 832, height: 480 }));
    }

    #[test]
    fn training_commands_are_not_inference_recipes() {
        let body = "```bash\naccelerate launch train.py --learning_rate 1e-4 --steps 2000\n```\n";
        let mut r = CardRecipe::default();
        from_command_line(body, &mut r);
        assert_eq!(r.steps, None);
    }

    #[test]
    fn lcm_stacked_snippet_gives_this_loras_weight_and_drops_the_stack_recipe() {
        // nerijs/pixel-art-xl
        let code = "lcm_lora_id = \"latent-consistency/lcm-lora-sdxl\"\npipe.load_lora_weights(lcm_lora_id, adapter_name=\"lora\")\npipe.load_lora_weights(\"./pixel-art-xl.safetensors\", adapter_name=\"pixel\")\npipe.set_adapters([\"lora\", \"pixel\"], adapter_weights=[1.0, 1.2])\n";
        assert_eq!(few_step_stack(code), Some(Some(1.2)));
        assert_eq!(few_step_stack("pipe.load_lora_weights(\"a/b\", adapter_name=\"x\")\n"), None);
    }
}
