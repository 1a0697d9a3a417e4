//! Seeding: a directory of `models/<ns>/<name>/**` and `spaces/<ns>/<name>/**` becomes repos
//! (one commit each, owned by `<ns>`); a card fixture dir (`README.md` + `expected.json`)
//! becomes a LoRA repo with every listed file: `.safetensors` files carry a synthesised LoRA
//! header of the expected base's architecture (zeroed data), other binaries placeholder bytes.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;

use super::error::SimError;
use super::ops;
use super::shared::Sim;
use crate::domain::{RepoId, RepoType};

/// The `.gitattributes` the Hub puts in new repos (abridged).
pub(crate) const GITATTRIBUTES: &str = "*.bin filter=lfs diff=lfs merge=lfs -text\n*.safetensors filter=lfs diff=lfs merge=lfs -text\n*.pt filter=lfs diff=lfs merge=lfs -text\n*.ckpt filter=lfs diff=lfs merge=lfs -text\n";

fn err(path: &Path, message: impl ToString) -> SimError {
    SimError::Seed { path: path.display().to_string(), message: message.to_string() }
}

fn read_tree(root: &Path, dir: &Path, out: &mut BTreeMap<String, Bytes>) -> Result<(), SimError> {
    for entry in std::fs::read_dir(dir).map_err(|e| err(dir, e))? {
        let path = entry.map_err(|e| err(dir, e))?.path();
        if path.is_dir() {
            read_tree(root, &path, out)?;
        } else {
            let rel = path.strip_prefix(root).map_err(|e| err(&path, e))?;
            let rel = rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/");
            out.insert(rel, Bytes::from(std::fs::read(&path).map_err(|e| err(&path, e))?));
        }
    }
    Ok(())
}

fn subdirs(dir: &Path) -> Result<Vec<(String, std::path::PathBuf)>, SimError> {
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| err(dir, e))? {
        let path = entry.map_err(|e| err(dir, e))?.path();
        if path.is_dir() {
            out.push((path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(), path));
        }
    }
    out.sort();
    Ok(out)
}

/// The token a seeded namespace user gets when it has none: `hf_seed_<ns>`.
pub fn seed_token(ns: &str) -> String {
    format!("hf_seed_{ns}")
}

/// Loads `<dir>/models/<ns>/<name>/**` and `<dir>/spaces/<ns>/<name>/**`; each namespace
/// becomes a user (with token [`seed_token`] unless it already has one).
pub(crate) fn seed_dir(sim: &Arc<Sim>, dir: &Path) -> Result<(), SimError> {
    for (ty, sub) in [(RepoType::Model, "models"), (RepoType::Space, "spaces")] {
        for (ns, ns_path) in subdirs(&dir.join(sub))? {
            for (name, repo_path) in subdirs(&ns_path)? {
                let id = RepoId::from_parts(&ns, &name).map_err(|e| err(&repo_path, e))?;
                let mut files = BTreeMap::new();
                read_tree(&repo_path, &repo_path, &mut files)?;
                files.entry(".gitattributes".to_owned()).or_insert_with(|| Bytes::from_static(GITATTRIBUTES.as_bytes()));
                let mut w = sim.world();
                if !w.tokens.values().any(|u| *u == ns) {
                    w.tokens.insert(seed_token(&ns), ns.clone());
                }
                ops::create_repo(sim, &mut w, ty, &id, false, None, files).map_err(|e| err(&repo_path, e.message))?;
            }
        }
    }
    Ok(())
}

const BINARY: &[&str] = &["safetensors", "bin", "pkl", "pt", "ckpt", "png", "jpg", "jpeg", "webp", "gif", "mp4", "gguf", "onnx"];

/// The repo id and files of a card fixture: every path of `expected.json`'s `files`, the real
/// `README.md`, small placeholder bytes for the rest.
pub(crate) fn card_fixture_files(dir: &Path) -> Result<(RepoId, BTreeMap<String, Vec<u8>>), SimError> {
    let expected_path = dir.join("expected.json");
    let text = std::fs::read_to_string(&expected_path).map_err(|e| err(&expected_path, e))?;
    let expected: serde_json::Value = serde_json::from_str(&text).map_err(|e| err(&expected_path, e))?;
    let id: RepoId = expected["lora_repo"].as_str().unwrap_or_default().parse().map_err(|e| err(&expected_path, e))?;
    let readme = std::fs::read(dir.join("README.md")).map_err(|e| err(dir, e))?;
    let signature = expected["base_model"].as_str().and_then(fixture_signature);
    let mut files = BTreeMap::new();
    for path in expected["files"].as_array().into_iter().flatten().filter_map(|p| p.as_str()) {
        let ext = path.rsplit('.').next().unwrap_or_default().to_lowercase();
        let bytes = match path {
            "README.md" => readme.clone(),
            ".gitattributes" => GITATTRIBUTES.as_bytes().to_vec(),
            _ if ext == "safetensors" && signature.is_some() => fixture_weights(signature, path),
            _ if BINARY.contains(&ext.as_str()) => format!("placeholder binary for {path}\0").into_bytes(),
            _ => format!("placeholder for {path}\n").into_bytes(),
        };
        files.insert(path.to_owned(), bytes);
    }
    files.entry("README.md".to_owned()).or_insert(readme);
    Ok((id, files))
}

/// The architecture of a fixture's expected base (its family's signature).
fn fixture_signature(base: &str) -> Option<&'static crate::lora::tensors::signature::Signature> {
    let family = crate::space::knowledge::knowledge().family_by_repo(base)?;
    crate::lora::tensors::signature::for_family(&family.id)
}

/// A rank-4 diffusers-format LoRA of that architecture (rank 4 keeps fixtures small).
fn fixture_weights(sig: Option<&crate::lora::tensors::signature::Signature>, path: &str) -> Vec<u8> {
    let meta = BTreeMap::from([("fixture".to_owned(), path.to_owned())]);
    sig.map_or_else(Vec::new, |s| crate::lora::tensors::synth::file(s, crate::lora::tensors::KeyFormat::Diffusers, 4, &meta))
}
