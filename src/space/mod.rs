//! Pure: planning, rendering, validating and diffing the Space files for one LoRA.

pub mod knowledge;
pub mod overrides;
