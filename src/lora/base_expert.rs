//! Analyze stage, base model (part of [`super::base`]): a card that describes its LoRA as one
//! noise expert of a text- or image-to-video model ("Character lora for t2v low noise") names
//! Wan 2.2 A14B — the only supported family whose transformer is split into high- and low-noise
//! experts — even when `base_model` is empty.

use std::sync::LazyLock;

use regex::Regex;

use super::base::{Clue, strip_code};
use super::base_clues::hint_clue;
use super::profile::Source;
use crate::space::knowledge::Knowledge;

static EXPERT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(t2v|i2v)\b[^.\n]{0,24}\b(?:high|low)[ _-]?noise\b|\b(?:high|low)[ _-]?noise\b[^.\n]{0,24}\b(t2v|i2v)\b")
        .unwrap_or_else(|_| unreachable!())
});

/// The Wan 2.2 A14B family a prose line names by its task and noise expert.
pub(super) fn expert_clue<'k>(k: &'k Knowledge, body: &str) -> Option<Clue<'k>> {
    let prose = strip_code(body);
    prose.lines().find_map(|line| {
        let c = EXPERT.captures(line)?;
        let task = c.get(1).or_else(|| c.get(2))?.as_str().to_ascii_lowercase();
        let detail = line.trim().chars().take(160).collect::<String>();
        hint_clue(k, &format!("wan2.2-{task}-a14b"), Source::CardProse, format!("a {task} noise expert: {detail}"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_t2v_low_noise_lora_is_a_wan22_t2v_a14b_lora() {
        // Nesslovver/Wan_v-e: base_model '' and "Character lora for t2v low noise. Epoch7"
        let k = crate::space::knowledge::knowledge();
        let clue = expert_clue(k, "# Wanv.e.\n\n## Model description \n\nCharacter lora for t2v low noise. Epoch7\n");
        assert_eq!(clue.and_then(|c| c.family).map(|f| f.repo.as_str()), Some("Wan-AI/Wan2.2-T2V-A14B-Diffusers"));
        let clue = expert_clue(k, "High-noise expert LoRA for I2V.\n");
        assert_eq!(clue.and_then(|c| c.family).map(|f| f.repo.as_str()), Some("Wan-AI/Wan2.2-I2V-A14B-Diffusers"));
        assert!(expert_clue(k, "Trained at high noise levels for 2000 steps.\n").is_none());
    }
}
