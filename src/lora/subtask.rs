//! Analyze stage, sub-task hints (knowledge §1.4, §4): what the LoRA does beyond its task,
//! read from the card's prose, so the plan can reshape the UI — chaining the output back in
//! (storyboards, next-shot) or a second input image (multi-image edit LoRAs).

use serde::{Deserialize, Serialize};

use super::base::strip_code;

/// UI-shaping hints.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubTaskHints {
    /// The card suggests feeding the output back in as the next input.
    pub chain_output: bool,
    /// The card describes two input images (image 1 / image 2).
    pub two_images: bool,
}

const CHAIN: &[&str] =
    &["chain the output", "chain it", "as the next input", "next input", "storyboard", "sequence of shots"];
const TWO_IMAGES: &[&str] = &["image 2", "image2", "second image", "two images", "two input images", "both images"];

/// Reads the hints from the card body.
pub fn hints(body: &str) -> SubTaskHints {
    let prose = strip_code(body).to_lowercase();
    SubTaskHints {
        chain_output: CHAIN.iter().any(|c| prose.contains(c)),
        two_images: TWO_IMAGES.iter().any(|c| prose.contains(c)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn storyboard_cards_ask_for_chaining() {
        assert!(hints("Chain the output back in as the next input to build a storyboard.").chain_output);
        assert!(!hints("A watercolor style.").chain_output);
    }

    #[test]
    fn try_on_cards_ask_for_a_second_image() {
        assert!(hints("Dress the person in image 1 with the garment in image 2.").two_images);
        assert!(!hints("```\nimage2 = load_image(x)\n```\n").two_images);
    }
}
