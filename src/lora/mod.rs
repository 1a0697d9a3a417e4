//! Pure: reading a LoRA's model card and file list into a `LoraProfile` with evidence.
