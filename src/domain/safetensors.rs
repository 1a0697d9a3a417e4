//! The safetensors header (pure): an 8-byte little-endian `u64` length `N`, then `N` bytes of
//! JSON mapping each tensor name to `{dtype, shape, data_offsets}`, plus an optional
//! `__metadata__` object of string → string (format: huggingface/safetensors README).
//! Used by the Hub client (range reads) and the weights profile; no I/O here.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// huggingface_hub's `SAFETENSORS_MAX_HEADER_LENGTH` (constants.py): headers above this are refused.
pub const MAX_HEADER_LEN: u64 = 25_000_000;
/// huggingface_hub's first range read in `get_safetensors_metadata` (`bytes=0-100000`).
pub const FIRST_READ_BYTES: u64 = 100_000;

/// One tensor of the header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TensorInfo {
    /// `F32`, `BF16`, `F16`, ...
    pub dtype: String,
    /// Dimensions.
    pub shape: Vec<u64>,
    /// `[begin, end)` in the data section.
    pub data_offsets: [u64; 2],
}

/// A parsed header: tensors by name and the free-form `__metadata__`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SafetensorsHeader {
    /// Tensors by name (sorted).
    pub tensors: BTreeMap<String, TensorInfo>,
    /// `__metadata__` (trainer keys such as `ss_network_dim`, `modelspec.architecture`).
    pub metadata: BTreeMap<String, String>,
}

/// Why bytes are not a safetensors header.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    /// A Git LFS or Xet pointer file was served instead of the content.
    #[error("the file is a {0} pointer, not the weights")]
    Pointer(&'static str),
    /// The bytes do not start with a plausible length + JSON object.
    #[error("not a safetensors file: {0}")]
    NotSafetensors(String),
    /// The declared header is larger than [`MAX_HEADER_LEN`].
    #[error("safetensors header of {0} bytes exceeds the {MAX_HEADER_LEN}-byte limit")]
    TooLarge(u64),
}

/// Recognises pointer files (they are small text, so their first bytes are enough).
pub fn pointer_kind(first: &[u8]) -> Option<&'static str> {
    if first.starts_with(b"version https://git-lfs.github.com/spec/") {
        Some("Git LFS")
    } else if first.starts_with(b"# xet version") || first.starts_with(b"version https://xethub") {
        Some("Xet")
    } else {
        None
    }
}

/// The declared JSON length from the first 8 bytes, checked against the cap.
pub fn declared_len(first: &[u8]) -> Result<u64, HeaderError> {
    if let Some(kind) = pointer_kind(first) {
        return Err(HeaderError::Pointer(kind));
    }
    let prefix: [u8; 8] = first
        .get(..8)
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| HeaderError::NotSafetensors(format!("only {} bytes", first.len())))?;
    let len = u64::from_le_bytes(prefix);
    if len > MAX_HEADER_LEN {
        return Err(HeaderError::TooLarge(len));
    }
    if len < 2 {
        return Err(HeaderError::NotSafetensors(format!("declared header length {len}")));
    }
    Ok(len)
}

/// Parses the JSON part of a header.
pub fn parse_json(json: &[u8]) -> Result<SafetensorsHeader, HeaderError> {
    let bad = |m: String| HeaderError::NotSafetensors(m);
    if json.first() != Some(&b'{') {
        return Err(bad("the header is not a JSON object".into()));
    }
    let raw: BTreeMap<String, serde_json::Value> = serde_json::from_slice(json).map_err(|e| bad(e.to_string()))?;
    let mut header = SafetensorsHeader::default();
    for (name, value) in raw {
        if name == "__metadata__" {
            let map: BTreeMap<String, serde_json::Value> = serde_json::from_value(value).map_err(|e| bad(format!("__metadata__: {e}")))?;
            header.metadata = map.into_iter().map(|(k, v)| (k, v.as_str().map_or_else(|| v.to_string(), str::to_owned))).collect();
        } else {
            let info: TensorInfo = serde_json::from_value(value).map_err(|e| bad(format!("{name}: {e}")))?;
            header.tensors.insert(name, info);
        }
    }
    Ok(header)
}

/// Parses a whole header from the file's first bytes (prefix + JSON), e.g. a test fixture.
pub fn parse(bytes: &[u8]) -> Result<SafetensorsHeader, HeaderError> {
    let len = declared_len(bytes)?;
    let end = usize::try_from(8 + len).map_err(|_| HeaderError::TooLarge(len))?;
    let json = bytes.get(8..end).ok_or_else(|| HeaderError::NotSafetensors(format!("header of {len} bytes is cut short")))?;
    parse_json(json)
}

/// Bytes per element of a dtype (for synthesised files).
pub fn dtype_size(dtype: &str) -> u64 {
    match dtype {
        "F64" | "I64" | "U64" => 8,
        "F32" | "I32" | "U32" => 4,
        "F16" | "BF16" | "I16" | "U16" => 2,
        _ => 1,
    }
}

/// Serialises a file: prefix + JSON header (tensor offsets laid out in order) + zeroed data.
/// The sizes are consistent: each tensor's byte range is `product(shape) * dtype size`.
pub fn synthesize(tensors: &[(String, String, Vec<u64>)], metadata: &BTreeMap<String, String>) -> Vec<u8> {
    let mut json = serde_json::Map::new();
    if !metadata.is_empty() {
        json.insert("__metadata__".into(), serde_json::json!(metadata));
    }
    let mut offset = 0u64;
    for (name, dtype, shape) in tensors {
        let size = shape.iter().product::<u64>() * dtype_size(dtype);
        json.insert(name.clone(), serde_json::json!({ "dtype": dtype, "shape": shape, "data_offsets": [offset, offset + size] }));
        offset += size;
    }
    let mut text = serde_json::Value::Object(json).to_string().into_bytes();
    while !text.len().is_multiple_of(8) {
        text.push(b' ');
    }
    let mut out = (text.len() as u64).to_le_bytes().to_vec();
    out.extend(text);
    out.resize(out.len() + usize::try_from(offset).unwrap_or(0), 0);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_synthesized_file_parses_back_with_its_metadata_and_consistent_offsets() {
        let meta = BTreeMap::from([("ss_network_dim".to_owned(), "16".to_owned())]);
        let bytes = synthesize(&[("a.lora_A.weight".into(), "BF16".into(), vec![16, 3072]), ("a.lora_B.weight".into(), "BF16".into(), vec![3072, 16])], &meta);
        let h = parse(&bytes).expect("parses");
        assert_eq!(h.metadata.get("ss_network_dim").map(String::as_str), Some("16"));
        assert_eq!(h.tensors["a.lora_A.weight"].data_offsets, [0, 16 * 3072 * 2]);
        assert_eq!(h.tensors["a.lora_B.weight"].data_offsets, [16 * 3072 * 2, 2 * 16 * 3072 * 2]);
        let len = u64::from_le_bytes(bytes[..8].try_into().expect("8"));
        assert_eq!(bytes.len() as u64, 8 + len + 2 * 16 * 3072 * 2);
    }

    #[test]
    fn pointer_files_and_other_bytes_are_told_apart_from_headers() {
        let lfs = b"version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 12\n";
        assert_eq!(parse(lfs), Err(HeaderError::Pointer("Git LFS")));
        assert!(matches!(parse(b"placeholder binary\0"), Err(HeaderError::TooLarge(_) | HeaderError::NotSafetensors(_))));
        assert!(matches!(parse(b"abc"), Err(HeaderError::NotSafetensors(_))));
        let mut huge = (MAX_HEADER_LEN + 1).to_le_bytes().to_vec();
        huge.extend(b"{}");
        assert_eq!(parse(&huge), Err(HeaderError::TooLarge(MAX_HEADER_LEN + 1)));
        let mut not_json = 4u64.to_le_bytes().to_vec();
        not_json.extend(b"abcd");
        assert!(matches!(parse(&not_json), Err(HeaderError::NotSafetensors(_))));
    }
}
