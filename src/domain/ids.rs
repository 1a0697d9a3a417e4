//! Newtypes for Hub identifiers, parsed once at the edge ("parse, don't validate").

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Why a string is not a valid identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    /// A repo id must be `namespace/name`.
    #[error("repo id {0:?} must look like `namespace/name`")]
    NotNamespaced(String),
    /// A part of a repo id uses characters or a shape the Hub refuses.
    #[error("repo id {0:?}: each part must be 1-96 characters of letters, digits, `-`, `_`, `.`, not start or end with `-`/`.`, and contain no `--` or `..`")]
    BadPart(String),
    /// A commit sha must be 40 lowercase hex digits.
    #[error("commit sha {0:?} must be 40 hexadecimal digits")]
    BadSha(String),
    /// Unknown repository type.
    #[error("repo type {0:?} must be one of model, dataset, space")]
    BadType(String),
}

/// A Hub repository id, `namespace/name`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RepoId {
    namespace: String,
    name: String,
}

impl RepoId {
    /// The owner (user or organisation).
    pub fn namespace(&self) -> &str {
        &self.namespace
    }
    /// The repository name without its namespace.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// Builds an id from its two parts, validating both.
    pub fn from_parts(namespace: &str, name: &str) -> Result<Self, IdError> {
        format!("{namespace}/{name}").parse()
    }
}

fn valid_part(p: &str) -> bool {
    !p.is_empty()
        && p.len() <= 96
        && p.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && !p.starts_with(['-', '.'])
        && !p.ends_with(['-', '.'])
        && !p.contains("--")
        && !p.contains("..")
}

impl FromStr for RepoId {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (ns, name) = s.split_once('/').ok_or_else(|| IdError::NotNamespaced(s.to_owned()))?;
        if !valid_part(ns) || !valid_part(name) {
            return Err(IdError::BadPart(s.to_owned()));
        }
        Ok(Self { namespace: ns.to_owned(), name: name.to_owned() })
    }
}

impl fmt::Display for RepoId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.namespace, self.name)
    }
}

impl fmt::Debug for RepoId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RepoId({self})")
    }
}

impl Serialize for RepoId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for RepoId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// The kind of a Hub repository.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RepoType {
    /// A model repository (LoRAs live here).
    Model,
    /// A dataset repository.
    Dataset,
    /// A Space (the Gradio demo).
    Space,
}

impl RepoType {
    /// The plural used in API paths: `models`, `datasets`, `spaces`.
    pub fn api_plural(self) -> &'static str {
        match self {
            Self::Model => "models",
            Self::Dataset => "datasets",
            Self::Space => "spaces",
        }
    }
    /// The prefix of web, resolve and git paths: empty for models.
    pub fn url_prefix(self) -> &'static str {
        match self {
            Self::Model => "",
            Self::Dataset => "datasets/",
            Self::Space => "spaces/",
        }
    }
    /// The singular name, as in webhook payloads and `create_repo`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Model => "model",
            Self::Dataset => "dataset",
            Self::Space => "space",
        }
    }
}

impl FromStr for RepoType {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "model" | "models" => Ok(Self::Model),
            "dataset" | "datasets" => Ok(Self::Dataset),
            "space" | "spaces" => Ok(Self::Space),
            other => Err(IdError::BadType(other.to_owned())),
        }
    }
}

/// A full 40-hex-digit git commit id.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CommitSha(String);

impl CommitSha {
    /// The hex string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// The first 7 digits, as the Hub shows them.
    pub fn short(&self) -> &str {
        &self.0[..7]
    }
}

impl TryFrom<String> for CommitSha {
    type Error = IdError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        if s.len() == 40 && s.bytes().all(|b| b.is_ascii_hexdigit()) {
            Ok(Self(s.to_ascii_lowercase()))
        } else {
            Err(IdError::BadSha(s))
        }
    }
}

impl FromStr for CommitSha {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::try_from(s.to_owned())
    }
}

impl From<CommitSha> for String {
    fn from(c: CommitSha) -> Self {
        c.0
    }
}

impl fmt::Display for CommitSha {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repo_ids_with_hub_shapes_parse_and_print_back() {
        for ok in ["alice/pixel-lora", "Org_1/a.b_c-d", "x/y"] {
            assert_eq!(ok.parse::<RepoId>().map(|r| r.to_string()), Ok(ok.to_owned()));
        }
    }

    #[test]
    fn repo_ids_the_hub_refuses_are_rejected() {
        for bad in ["noslash", "a/b/c", "/b", "a/", "a/-b", "a/b.", "a/b--c", "a/b..c", "a/b c", "a/é"] {
            assert!(bad.parse::<RepoId>().is_err(), "{bad} should be rejected");
        }
    }

    #[test]
    fn commit_shas_must_be_forty_hex_digits() {
        assert!("575db8b7a51b6f85eb06eee540738584589f131c".parse::<CommitSha>().is_ok());
        assert!("575db8b".parse::<CommitSha>().is_err());
        assert!("z75db8b7a51b6f85eb06eee540738584589f131c".parse::<CommitSha>().is_err());
    }
}
