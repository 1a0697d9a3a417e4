//! Pure: planning, rendering, validating and diffing the Space files for one LoRA.
