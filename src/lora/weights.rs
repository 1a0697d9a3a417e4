//! Analyze stage, weights file (knowledge §2.1, stop at first match): a file the README names
//! → root `pytorch_lora_weights.safetensors` → the latest of a training history → a single
//! candidate → otherwise ask.

use std::sync::LazyLock;

use regex::Regex;

use super::profile::{Flag, Source, Sourced};
use super::noise_pair::with_noise_pair;
use super::snippet;

/// The outcome of picking a weights file.
#[derive(Debug, Clone, PartialEq)]
pub struct WeightsChoice {
    /// The chosen file, with evidence; `None` when the user must choose.
    pub chosen: Option<Sourced<String>>,
    /// The low-noise file of a Wan 2.2 high/low pair (both are required, not alternatives).
    pub second: Option<Sourced<String>>,
    /// All weight-looking files.
    pub candidates: Vec<String>,
    /// Things to tell the user (e.g. "took the latest checkpoint").
    pub flags: Vec<Flag>,
}

const JUNK_STEMS: &[&str] = &["optimizer", "scheduler", "random_states", "scaler", "training_state"];

/// Weight-looking files: `.safetensors` (else LoRA-named `.bin`/`.pt`/`.ckpt`), minus training
/// state and the accelerate `checkpoint-N/` copies when a root file exists.
pub fn candidates(files: &[String]) -> Vec<String> {
    let is_junk = |f: &str| {
        let name = f.rsplit('/').next().unwrap_or(f).to_ascii_lowercase();
        JUNK_STEMS.iter().any(|j| name.starts_with(j))
    };
    let mut safes: Vec<String> = files.iter().filter(|f| f.ends_with(".safetensors") && !is_junk(f)).cloned().collect();
    if safes.is_empty() {
        safes = files
            .iter()
            .filter(|f| [".bin", ".pt", ".ckpt"].iter().any(|e| f.ends_with(e)) && !is_junk(f))
            .filter(|f| f.to_ascii_lowercase().contains("lora") || f.contains("adapter_model"))
            .cloned()
            .collect();
    }
    let has_root = safes.iter().any(|f| !f.contains('/'));
    if has_root {
        safes.retain(|f| !CHECKPOINT_DIR.is_match(f));
    }
    safes
}

static CHECKPOINT_DIR: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(^|/)checkpoint-\d+/").unwrap_or_else(|_| unreachable!()));

/// Picks the weights file.
pub fn choose(files: &[String], body: &str, code: &str) -> WeightsChoice {
    let candidates = candidates(files);
    let mut flags = Vec::new();
    let chosen = named_in_snippet(&candidates, code)
        .or_else(|| recommended_in_prose(&candidates, body))
        .or_else(|| root_convention(&candidates))
        .or_else(|| latest_of_history(&candidates, &mut flags))
        .or_else(|| single(&candidates));
    let (chosen, second) = with_noise_pair(&candidates, chosen);
    WeightsChoice { chosen, second, candidates, flags }
}

fn find_file<'a>(candidates: &'a [String], name: &str) -> Option<&'a String> {
    let name = name.trim().trim_start_matches("./");
    candidates
        .iter()
        .find(|c| c.as_str() == name)
        .or_else(|| candidates.iter().find(|c| c.rsplit('/').next() == Some(name)))
}

fn named_in_snippet(candidates: &[String], code: &str) -> Option<Sourced<String>> {
    let by_kwarg = snippet::string_kwargs(code, "weight_name").iter().find_map(|name| {
        let subfolder = snippet::string_kwargs(code, "subfolder").into_iter().next();
        let full = subfolder.map_or(name.clone(), |s| format!("{}/{name}", s.trim_end_matches('/')));
        find_file(candidates, &full).or_else(|| find_file(candidates, name)).map(|f| {
            Sourced::new(f.clone(), Source::CardSnippet, format!("weight_name=\"{name}\""))
        })
    });
    by_kwarg.or_else(|| named_by_path(candidates, code))
}

static LOADED_PATH: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?:load_lora_weights|load_lora)\(\s*(?:[A-Za-z_][\w.]*\s*,\s*)?["']([^"'\n]+\.safetensors)["']"#)
        .unwrap_or_else(|_| unreachable!())
});

/// A file the snippet loads by path: `hf_hub_download(…, filename="3dgen.safetensors")`,
/// `load_lora_weights("./pixel-art-xl.safetensors")`, DiffSynth's
/// `pipe.load_lora(pipe.dit, "models/…/travel_lora_step380.safetensors")`. Matched by file name.
fn named_by_path(candidates: &[String], code: &str) -> Option<Sourced<String>> {
    let paths = snippet::string_kwargs(code, "filename")
        .into_iter()
        .chain(LOADED_PATH.captures_iter(code).filter_map(|c| c.get(1)).map(|m| m.as_str().to_owned()));
    paths.filter(|p| p.ends_with(".safetensors")).find_map(|path| {
        let name = path.rsplit('/').next().unwrap_or(&path);
        find_file(candidates, name).map(|f| {
            Sourced::new(f.clone(), Source::CardSnippet, format!("loads {path}"))
        })
    })
}

static RECOMMEND: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(use this|recommended|⭐|\bbest\b|use (?:the )?\S+ for|pick|current)")
        .unwrap_or_else(|_| unreachable!())
});

fn recommended_in_prose(candidates: &[String], body: &str) -> Option<Sourced<String>> {
    body.lines().filter(|l| RECOMMEND.is_match(l)).find_map(|line| {
        // The file named first on the line; a name that is a prefix of another only counts
        // where it is followed by its own extension (find() on the full name ensures that).
        let best = candidates
            .iter()
            .filter_map(|c| line.find(c.rsplit('/').next().unwrap_or(c)).map(|pos| (pos, c)))
            .min_by_key(|(pos, _)| *pos)
            .map(|(_, c)| c)?;
        Some(Sourced::new(best.clone(), Source::CardProse, line.trim().chars().take(160).collect::<String>()))
    })
}

fn root_convention(candidates: &[String]) -> Option<Sourced<String>> {
    candidates.iter().find(|c| c.as_str() == "pytorch_lora_weights.safetensors").map(|c| {
        Sourced::new(
            c.clone(),
            Source::FileList,
            "pytorch_lora_weights.safetensors at repo root (diffusers trainer convention)",
        )
    })
}

static STEP_SUFFIX: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:[-_.]?(?:epoch|ep|step|steps|checkpoint|ckpt|e|s)[-_]?(\d+)|[-_](\d{3,})|[-_](\d+))$")
        .unwrap_or_else(|_| unreachable!())
});

/// Splits `dir/name_000200.safetensors` into (`dir/name`, Some(200)).
fn history_key(file: &str) -> (String, Option<u64>) {
    let stem = file.rsplit_once('.').map_or(file, |(s, _)| s);
    let (dir, stem) = stem.rsplit_once('/').map_or(("", stem), |(d, s)| (d, s));
    let (dir, dir_step) = match CHECKPOINT_DIR.find(&format!("{dir}/")) {
        Some(_) => ("", dir.rsplit('-').next().and_then(|n| n.parse().ok())),
        None => (dir, None),
    };
    let (base, step) = match STEP_SUFFIX.captures(stem) {
        Some(c) => {
            let num = c.get(1).or_else(|| c.get(2)).or_else(|| c.get(3)).and_then(|m| m.as_str().parse().ok());
            (&stem[..c.get(0).map_or(stem.len(), |m| m.start())], num)
        }
        None => (stem, None),
    };
    (format!("{dir}/{base}"), step.or(dir_step))
}

fn latest_of_history(candidates: &[String], flags: &mut Vec<Flag>) -> Option<Sourced<String>> {
    if candidates.len() < 2 {
        return None;
    }
    let keys: Vec<(String, Option<u64>)> = candidates.iter().map(|c| history_key(c)).collect();
    if keys.iter().any(|(base, _)| *base != keys[0].0) || keys.iter().filter(|(_, s)| s.is_none()).count() > 1 {
        return None;
    }
    // ai-toolkit: the unsuffixed file is the final save; otherwise the highest step.
    let (idx, _) = keys.iter().enumerate().max_by_key(|(_, (_, step))| step.map_or(u64::MAX, |s| s))?;
    let file = candidates[idx].clone();
    flags.push(Flag {
        kind: "latest-checkpoint".to_owned(),
        message: format!(
            "weights look like a training history; using the latest, {file} (set weights_file to override)"
        ),
    });
    Some(Sourced::new(file, Source::FileList, "latest file of a training history"))
}

fn single(candidates: &[String]) -> Option<Sourced<String>> {
    match candidates {
        [only] => Some(Sourced::new(only.clone(), Source::FileList, "the only weights file in the repo")),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn weights_file_named_in_snippet_wins_over_root_convention() {
        let f = files(&["pytorch_lora_weights.safetensors", "other.safetensors"]);
        let c = choose(&f, "", "pipe.load_lora_weights('a/b', weight_name='other.safetensors')");
        assert_eq!(
            c.chosen.map(|s| (s.value, s.evidence.source)),
            Some(("other.safetensors".into(), Source::CardSnippet))
        );
    }

    #[test]
    fn file_downloaded_or_loaded_by_path_in_the_snippet_is_named() {
        // manbeast3b/FLUX.1-schnell-3dgen-lora and nerijs/pixel-art-xl
        let f = files(&["3dgen.safetensors", "other.safetensors"]);
        let code = "lora_path = hf_hub_download(repo_id=\"manbeast3b/FLUX.1-schnell-3dgen-lora\", filename=\"3dgen.safetensors\")\npipe.load_lora_weights(lora_path)\n";
        assert_eq!(choose(&f, "", code).chosen.map(|s| s.value).as_deref(), Some("3dgen.safetensors"));
        let f = files(&["pixel-art-xl.safetensors", "x.safetensors"]);
        let code = "pipe.load_lora_weights(lcm_lora_id, adapter_name=\"lora\")\npipe.load_lora_weights(\"./pixel-art-xl.safetensors\", adapter_name=\"pixel\")\n";
        assert_eq!(choose(&f, "", code).chosen.map(|s| s.value).as_deref(), Some("pixel-art-xl.safetensors"));
    }

    #[test]
    fn root_diffusers_file_beats_checkpoint_copies() {
        let f = files(&[
            "pytorch_lora_weights.safetensors",
            "checkpoint-500/pytorch_lora_weights.safetensors",
            "checkpoint-500/optimizer.bin",
        ]);
        let c = choose(&f, "", "");
        assert_eq!(c.candidates, vec!["pytorch_lora_weights.safetensors"]);
        assert_eq!(c.chosen.map(|s| s.value).as_deref(), Some("pytorch_lora_weights.safetensors"));
    }

    #[test]
    fn training_history_takes_the_latest_and_flags_it() {
        let f = files(&["style-epoch-2.safetensors", "style-epoch-10.safetensors", "style-epoch-4.safetensors"]);
        let c = choose(&f, "", "");
        assert_eq!(c.chosen.map(|s| s.value).as_deref(), Some("style-epoch-10.safetensors"));
        assert_eq!(c.flags.len(), 1);
    }

    #[test]
    fn ai_toolkit_unsuffixed_final_save_is_the_latest() {
        let f = files(&["mylora_000001000.safetensors", "mylora.safetensors", "mylora_000002000.safetensors"]);
        assert_eq!(choose(&f, "", "").chosen.map(|s| s.value).as_deref(), Some("mylora.safetensors"));
    }

    #[test]
    fn high_and_low_noise_files_are_a_pair_not_alternatives() {
        let f = files(&["orbit_high_noise.safetensors", "orbit_low_noise.safetensors"]);
        let c = choose(&f, "", "");
        assert_eq!(c.chosen.map(|s| s.value).as_deref(), Some("orbit_high_noise.safetensors"));
        assert_eq!(c.second.map(|s| s.value).as_deref(), Some("orbit_low_noise.safetensors"));
    }

    #[test]
    fn true_alternatives_without_recommendation_are_left_to_the_user() {
        let f = files(&["lora-4steps.safetensors", "lora-8steps-fp16.safetensors", "lora_rank64.safetensors"]);
        let c = choose(&f, "Two files here.", "");
        assert_eq!(c.chosen, None);
        assert_eq!(c.candidates.len(), 3);
    }

    #[test]
    fn a_recommendation_in_a_table_picks_among_alternatives() {
        let f = files(&["g_rank16.safetensors", "g_rank64.safetensors", "g_rank64_dora.safetensors"]);
        let body = "| `g_rank64.safetensors` | ⭐ best |\n| `g_rank16.safetensors` | small |\n";
        assert_eq!(choose(&f, body, "").chosen.map(|s| s.value).as_deref(), Some("g_rank64.safetensors"));
    }
}
