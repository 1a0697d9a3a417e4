//! Wan 2.2 A14B high-noise / low-noise expert pairs among the weights files: both files load,
//! the high-noise one into `transformer`, the low-noise one into `transformer_2`.

use std::sync::LazyLock;

use regex::Regex;

use super::profile::{Source, Sourced};

/// Wan 2.2 A14B LoRAs ship a high-noise and a low-noise file: both load, into the two experts.
/// Either the names differ only in `high`/`low`, or each carries a `high_noise`/`low_noise`
/// marker after the same prefix and nothing else pairs (WaveSpeed writes a fresh uuid after the
/// marker of each file: `…_i2v_A14B_separate_high_noise_lora_<uuid>.safetensors`).
fn noise_pair(candidates: &[String]) -> Option<(String, String)> {
    candidates
        .iter()
        .find_map(|high| {
            let lower = high.to_ascii_lowercase();
            if !lower.contains("high") {
                return None;
            }
            let want = lower.replacen("high", "low", 1);
            candidates.iter().find(|c| c.to_ascii_lowercase() == want).map(|low| (high.clone(), low.clone()))
        })
        .or_else(|| marker_pair(candidates))
}

static NOISE_MARKER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)(high|low)[_\- ]?noise").unwrap_or_else(|_| unreachable!()));

/// The one high-noise file and the one low-noise file that share the name before their marker.
fn marker_pair(candidates: &[String]) -> Option<(String, String)> {
    let marked = |level: &str| -> Vec<(&String, String)> {
        candidates
            .iter()
            .filter_map(|c| {
                let m = NOISE_MARKER.captures(c)?;
                let start = m.get(0)?.start();
                m[1].eq_ignore_ascii_case(level).then(|| (c, c[..start].to_ascii_lowercase()))
            })
            .collect()
    };
    let (highs, lows) = (marked("high"), marked("low"));
    match (highs.as_slice(), lows.as_slice()) {
        ([(high, hp)], [(low, lp)]) if hp == lp => Some(((*high).clone(), (*low).clone())),
        _ => None,
    }
}

pub(super) fn with_noise_pair(
    candidates: &[String],
    chosen: Option<Sourced<String>>,
) -> (Option<Sourced<String>>, Option<Sourced<String>>) {
    let Some((high, low)) = noise_pair(candidates) else { return (chosen, None) };
    let pair_only = candidates.len() == 2;
    match chosen {
        Some(c) if c.value == high || c.value == low => {
            let second = Sourced::new(low.clone(), Source::FileList, format!("low-noise partner of {high}"));
            (Some(Sourced::new(high, c.evidence.source, c.evidence.detail)), Some(second))
        }
        None if pair_only => (
            Some(Sourced::new(high.clone(), Source::FileList, "high-noise file of a high/low expert pair")),
            Some(Sourced::new(low, Source::FileList, format!("low-noise partner of {high}"))),
        ),
        other => (other, None),
    }
}

#[cfg(test)]
mod tests {
    use super::super::weights::choose;

    fn files(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn noise_marked_files_with_different_tails_are_a_pair() {
        // Dobby89/Dogfv1 (WaveSpeed wan-2.2-i2v-lora-trainer): a fresh uuid after each marker.
        let f = files(&[
            "README.md",
            "e3da2d30-fee7-4825-8134-099fa91b5a6a-u1_i2v_A14B_separate_low_noise_lora_e346dd64-8264-4063-bc0b-cf59f677cce6.safetensors",
            "e3da2d30-fee7-4825-8134-099fa91b5a6a-u1_i2v_A14B_separate_high_noise_lora_d9c0a764-05ff-40a9-b4bc-292da0508bb5.safetensors",
        ]);
        let c = choose(&f, "", "");
        assert_eq!(c.chosen.map(|s| s.value).as_deref(), Some(f[2].as_str()));
        assert_eq!(c.second.map(|s| s.value).as_deref(), Some(f[1].as_str()));
        // Different prefixes are two LoRAs, not one pair.
        let f = files(&["a_high_noise.safetensors", "b_low_noise.safetensors"]);
        assert!(choose(&f, "", "").second.is_none());
    }
}
