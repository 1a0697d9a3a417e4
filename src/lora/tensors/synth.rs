//! Synthesised LoRA files (pure): a signature's sample modules written in one key format, with
//! consistent shapes and zeroed data. The simulator's LoRA fixtures and the tests use them, so
//! the fetch stage reads real-shaped headers.

use std::collections::BTreeMap;

use super::keys::KeyFormat;
use super::signature::Signature;
use crate::domain::safetensors;

/// The tensors (name, dtype, shape) of a LoRA of `rank` on `sig` in `format`.
pub fn tensors(sig: &Signature, format: KeyFormat, rank: u64) -> Vec<(String, String, Vec<u64>)> {
    let component = sig.component.as_deref().unwrap_or("transformer");
    let mut out = Vec::new();
    for (template, inp, outp, blocks) in &sig.sample {
        for i in 0..*blocks {
            let module = template.replace("{i}", &i.to_string());
            let native = || sig.native.iter().fold(module.clone(), |m, (from, to)| m.replace(from.as_str(), to));
            let (a, b, alpha) = match format {
                KeyFormat::Kohya => {
                    let module = native();
                    let m = format!("lora_unet_{}", module.replace('.', "_"));
                    (format!("{m}.lora_down.weight"), format!("{m}.lora_up.weight"), Some(format!("{m}.alpha")))
                }
                KeyFormat::Comfyui => {
                    let m = native();
                    (format!("diffusion_model.{m}.lora_A.weight"), format!("diffusion_model.{m}.lora_B.weight"), None)
                }
                KeyFormat::Peft => (format!("base_model.model.{module}.lora_A.weight"), format!("base_model.model.{module}.lora_B.weight"), None),
                KeyFormat::Unprefixed => (format!("{module}.lora_A.weight"), format!("{module}.lora_B.weight"), None),
                _ => (format!("{component}.{module}.lora_A.weight"), format!("{component}.{module}.lora_B.weight"), None),
            };
            out.push((a, "BF16".to_owned(), vec![rank, *inp]));
            out.push((b, "BF16".to_owned(), vec![*outp, rank]));
            if let Some(alpha) = alpha {
                out.push((alpha, "F32".to_owned(), vec![]));
            }
        }
    }
    out
}

/// A whole `.safetensors` file.
pub fn file(sig: &Signature, format: KeyFormat, rank: u64, metadata: &BTreeMap<String, String>) -> Vec<u8> {
    safetensors::synthesize(&tensors(sig, format, rank), metadata)
}
