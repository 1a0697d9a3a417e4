//! Accounts, repo info and file tree entries (hub-api.md §1–§4).

use serde::{Deserialize, Serialize};

use crate::domain::CommitSha;

use super::space::SpaceRuntime;

/// `GET /api/whoami-v2`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WhoAmI {
    /// `user`, `org` or `app`.
    #[serde(rename = "type", default)]
    pub kind: String,
    /// The account name (the namespace of its repos).
    pub name: String,
    /// Display name.
    #[serde(default)]
    pub fullname: Option<String>,
    /// Organisations the user belongs to.
    #[serde(default)]
    pub orgs: Vec<OrgRef>,
    /// How the caller authenticated.
    #[serde(default)]
    pub auth: Option<AuthInfo>,
    /// A PRO user (hub-api.md §1): may create Gradio Spaces and host 10 ZeroGPU Spaces.
    #[serde(default)]
    pub is_pro: bool,
    /// A payment method is on file (paid hardware).
    #[serde(default)]
    pub can_pay: bool,
}

/// An organisation in [`WhoAmI::orgs`].
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OrgRef {
    /// The organisation name.
    pub name: String,
    /// A payment method is on file (a Team/Enterprise org can).
    #[serde(default)]
    pub can_pay: bool,
    /// The org's plan, when the Hub sends one (`team`, `enterprise`, …; unverified field).
    #[serde(default)]
    pub plan: Option<String>,
}

/// [`WhoAmI::auth`].
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthInfo {
    /// `access_token`, `app_token`, …
    #[serde(rename = "type", default)]
    pub kind: String,
    /// The token's name and role (absent for OAuth tokens).
    #[serde(default)]
    pub access_token: Option<AccessTokenInfo>,
}

/// [`AuthInfo::access_token`].
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessTokenInfo {
    /// The token's display name.
    #[serde(default)]
    pub display_name: Option<String>,
    /// `read`, `write`, `fineGrained`, …
    #[serde(default)]
    pub role: Option<String>,
}

/// `siblings[]` of repo info.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Sibling {
    /// Path from the repo root.
    pub rfilename: String,
    /// Size in bytes (with `blobs=true`).
    #[serde(default)]
    pub size: Option<u64>,
    /// Git blob sha1 (with `blobs=true`).
    #[serde(default)]
    pub blob_id: Option<String>,
}

/// `GET /api/models/{id}[/revision/{rev}]`. Only `id` is always present.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelInfo {
    /// `ns/name`.
    pub id: String,
    /// The namespace.
    #[serde(default)]
    pub author: Option<String>,
    /// Commit of the resolved revision.
    #[serde(default)]
    pub sha: Option<CommitSha>,
    /// Whether the repo is private.
    #[serde(default)]
    pub private: bool,
    /// Gating: `false`, `"auto"` or `"manual"` (see [`ModelInfo::is_gated`]).
    #[serde(default)]
    pub gated: Option<serde_json::Value>,
    /// Whether the repo is disabled.
    #[serde(default)]
    pub disabled: bool,
    /// ISO 8601.
    #[serde(default)]
    pub last_modified: Option<String>,
    /// ISO 8601.
    #[serde(default)]
    pub created_at: Option<String>,
    /// Tags (scalars the Hub did not stringify are read as text; anything else is skipped).
    #[serde(default, deserialize_with = "lenient_strings")]
    pub tags: Vec<String>,
    /// `pipeline_tag`.
    #[serde(default, rename = "pipeline_tag")]
    pub pipeline_tag: Option<String>,
    /// `library_name`.
    #[serde(default, rename = "library_name")]
    pub library_name: Option<String>,
    /// The README's parsed YAML frontmatter.
    #[serde(default)]
    pub card_data: Option<serde_json::Value>,
    /// Files at that revision.
    #[serde(default)]
    pub siblings: Vec<Sibling>,
}

impl ModelInfo {
    /// Whether downloads need approval (`gated` is `"auto"` or `"manual"`).
    pub fn is_gated(&self) -> bool {
        !matches!(self.gated, None | Some(serde_json::Value::Bool(false)) | Some(serde_json::Value::Null))
    }
}

/// `GET /api/spaces/{id}[/revision/{rev}]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SpaceInfo {
    /// `ns/name`.
    pub id: String,
    /// The namespace.
    #[serde(default)]
    pub author: Option<String>,
    /// Commit of the resolved revision.
    #[serde(default)]
    pub sha: Option<CommitSha>,
    /// Whether the Space is private.
    #[serde(default)]
    pub private: bool,
    /// Whether the Space is disabled.
    #[serde(default)]
    pub disabled: bool,
    /// `gradio`, `docker`, `static`.
    #[serde(default)]
    pub sdk: Option<String>,
    /// Host of the running app, e.g. `https://alice-demo.hf.space`.
    #[serde(default)]
    pub host: Option<String>,
    /// Subdomain of the running app.
    #[serde(default)]
    pub subdomain: Option<String>,
    /// ISO 8601.
    #[serde(default)]
    pub last_modified: Option<String>,
    /// The README's parsed YAML frontmatter.
    #[serde(default)]
    pub card_data: Option<serde_json::Value>,
    /// Files at that revision.
    #[serde(default)]
    pub siblings: Vec<Sibling>,
    /// Runtime state.
    #[serde(default)]
    pub runtime: Option<SpaceRuntime>,
}

/// `lfs` of a tree entry.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct LfsPointer {
    /// sha256 of the content.
    pub oid: String,
    /// Size of the content.
    pub size: u64,
    /// Size of the pointer file.
    #[serde(default)]
    pub pointer_size: Option<u64>,
}

/// `file` or `directory`.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum EntryKind {
    /// A file.
    File,
    /// A folder.
    Directory,
    /// Anything else.
    #[serde(other)]
    Unknown,
}

/// One entry of `GET /api/{type}s/{id}/tree/{rev}[/{path}]`.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
pub struct TreeEntry {
    /// File or directory.
    #[serde(rename = "type")]
    pub kind: EntryKind,
    /// Path from the repo root.
    pub path: String,
    /// Git blob or tree sha1.
    #[serde(default)]
    pub oid: Option<String>,
    /// Size in bytes (files).
    #[serde(default)]
    pub size: Option<u64>,
    /// LFS pointer facts (LFS files).
    #[serde(default)]
    pub lfs: Option<LfsPointer>,
}

/// A downloaded file and the commit its revision resolved to.
#[derive(Debug, Clone)]
pub struct DownloadedFile {
    /// The file content.
    pub bytes: bytes::Bytes,
    /// `X-Repo-Commit`.
    pub commit: Option<CommitSha>,
}

/// A list of strings, tolerating numbers and booleans (read as text) and skipping other values.
fn lenient_strings<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    let raw = <Vec<serde_json::Value> as serde::Deserialize>::deserialize(d)?;
    Ok(raw
        .into_iter()
        .filter_map(|v| match v {
            serde_json::Value::String(s) => Some(s),
            serde_json::Value::Number(n) => Some(n.to_string()),
            serde_json::Value::Bool(b) => Some(b.to_string()),
            _ => None,
        })
        .collect())
}

#[cfg(test)]
mod lenient_tests {
    use super::ModelInfo;

    #[test]
    fn numeric_tags_are_read_as_text_instead_of_failing_the_whole_info() {
        let info: ModelInfo = serde_json::from_str(r#"{"id":"a/b","tags":["lora",360,true,{"x":1}]}"#).expect("decodes");
        assert_eq!(info.tags, vec!["lora", "360", "true"]);
    }
}
