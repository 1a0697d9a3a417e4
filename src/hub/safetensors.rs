//! Reading a `.safetensors` file's header with HTTP range requests, as huggingface_hub's
//! `get_safetensors_metadata` does (hf_api.py): a first `Range: bytes=0-100000`, and a second
//! `bytes=8-{len+7}` only when the declared header is longer than what the first one returned;
//! headers above `SAFETENSORS_MAX_HEADER_LENGTH` (25 MB) are refused. A server that ignores
//! `Range` (200) is read only as far as needed.

use reqwest::Response;

use super::client::{Call, HubClient, transport};
use super::error::HubError;
use crate::domain::safetensors::{self, FIRST_READ_BYTES, HeaderError, SafetensorsHeader};
use crate::domain::{RepoId, RepoType};

/// Metrics/log label of header reads (distinct from whole-file downloads).
const ROUTE: &str = "/{prefix}{id}/resolve/{rev}/{path} (range)";

/// Why a header could not be read.
#[derive(Debug, thiserror::Error)]
pub enum HeaderReadError {
    /// The Hub call failed.
    #[error(transparent)]
    Hub(#[from] HubError),
    /// The bytes are not a safetensors header (a pointer, another format, a too-large header).
    #[error("{path}: {source}")]
    Format {
        /// The file.
        path: String,
        /// What is wrong with it.
        #[source]
        source: HeaderError,
    },
}

impl HeaderReadError {
    /// Whether trying again later may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Hub(e) if e.is_transient())
    }
}

impl HubClient {
    /// The safetensors header of `path` at `revision`, in at most two range requests.
    pub async fn safetensors_header(&self, ty: RepoType, id: &RepoId, revision: &str, path: &str) -> Result<SafetensorsHeader, HeaderReadError> {
        let format = |source| HeaderReadError::Format { path: path.to_owned(), source };
        let first = match self.range(ty, id, revision, path, 0, FIRST_READ_BYTES).await {
            // 416: the file is empty (a non-empty file always satisfies `bytes=0-…`).
            Err(HubError::BadRequest { ctx }) if ctx.status == Some(416) => {
                return Err(format(HeaderError::NotSafetensors("empty file".into())));
            }
            other => other?,
        };
        let len = safetensors::declared_len(&first).map_err(format)?;
        let end = usize::try_from(8 + len).map_err(|_| format(HeaderError::TooLarge(len)))?;
        if let Some(json) = first.get(8..end) {
            return safetensors::parse_json(json).map_err(format);
        }
        let json = self.range(ty, id, revision, path, 8, len + 7).await?;
        let json = json.get(..usize::try_from(len).unwrap_or(usize::MAX)).ok_or_else(|| format(HeaderError::NotSafetensors(format!("header of {len} bytes is cut short"))))?;
        safetensors::parse_json(json).map_err(format)
    }

    /// `GET …/resolve/…` with `Range: bytes={start}-{end}`: the bytes of that range (also when
    /// the server answers 200 with the whole file, which is then read only up to `end`).
    async fn range(&self, ty: RepoType, id: &RepoId, revision: &str, path: &str, start: u64, end: u64) -> Result<Vec<u8>, HubError> {
        let mut segs: Vec<&str> = ty.url_prefix().split('/').filter(|s| !s.is_empty()).collect();
        segs.extend([id.namespace(), id.name(), "resolve", revision]);
        segs.extend(path.split('/'));
        let mut call = Call::get(ROUTE, self.url(&segs));
        call.range = Some(format!("bytes={start}-{end}"));
        let resp = self.send(call).await?;
        let skip = if resp.status() == reqwest::StatusCode::PARTIAL_CONTENT { 0 } else { start };
        read_prefix(resp, skip, end - start + 1).await
    }
}

/// Reads `want` bytes after skipping `skip`, then drops the rest of the body.
async fn read_prefix(mut resp: Response, skip: u64, want: u64) -> Result<Vec<u8>, HubError> {
    let total = usize::try_from(skip + want).unwrap_or(usize::MAX);
    let mut buf: Vec<u8> = Vec::new();
    while buf.len() < total {
        match resp.chunk().await.map_err(|e| transport(ROUTE, e))? {
            Some(chunk) => buf.extend_from_slice(&chunk),
            None => break,
        }
    }
    buf.truncate(total);
    Ok(buf.split_off(usize::try_from(skip).unwrap_or(usize::MAX).min(buf.len())))
}
