//! Space runtime, settings, secrets and variables (hub-api.md §7).

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// A Space stage. Open: unknown stages are kept as text.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(from = "String", into = "String")]
pub enum SpaceStage {
    /// No app file.
    NoAppFile,
    /// Bad configuration.
    ConfigError,
    /// Building.
    Building,
    /// Build failed.
    BuildError,
    /// Running.
    Running,
    /// Running while a new build runs.
    RunningBuilding,
    /// App crashed.
    RuntimeError,
    /// Being deleted.
    Deleting,
    /// Stopped.
    Stopped,
    /// Paused by its owner.
    Paused,
    /// Asleep.
    Sleeping,
    /// Starting the app.
    AppStarting,
    /// Running while the new app starts.
    RunningAppStarting,
    /// A stage this client does not know.
    Other(String),
}

type StageCtor = fn() -> SpaceStage;

const STAGES: &[(&str, StageCtor)] = &[
    ("NO_APP_FILE", || SpaceStage::NoAppFile),
    ("CONFIG_ERROR", || SpaceStage::ConfigError),
    ("BUILDING", || SpaceStage::Building),
    ("BUILD_ERROR", || SpaceStage::BuildError),
    ("RUNNING", || SpaceStage::Running),
    ("RUNNING_BUILDING", || SpaceStage::RunningBuilding),
    ("RUNTIME_ERROR", || SpaceStage::RuntimeError),
    ("DELETING", || SpaceStage::Deleting),
    ("STOPPED", || SpaceStage::Stopped),
    ("PAUSED", || SpaceStage::Paused),
    ("SLEEPING", || SpaceStage::Sleeping),
    ("APP_STARTING", || SpaceStage::AppStarting),
    ("RUNNING_APP_STARTING", || SpaceStage::RunningAppStarting),
];

impl SpaceStage {
    /// Whether the Space is still on its way to a final stage (`wait_for_space`).
    pub fn is_transitional(&self) -> bool {
        matches!(self, Self::Building | Self::RunningBuilding | Self::AppStarting | Self::RunningAppStarting)
    }
    /// The wire name, e.g. `BUILD_ERROR`.
    pub fn as_str(&self) -> &str {
        if let Self::Other(s) = self {
            return s;
        }
        STAGES.iter().find(|(_, f)| f() == *self).map_or("UNKNOWN", |(n, _)| n)
    }
}

impl From<String> for SpaceStage {
    fn from(s: String) -> Self {
        STAGES.iter().find(|(n, _)| *n == s).map_or(Self::Other(s), |(_, f)| f())
    }
}

impl From<SpaceStage> for String {
    fn from(s: SpaceStage) -> Self {
        s.as_str().to_owned()
    }
}

impl fmt::Display for SpaceStage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Hardware of a Space.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
pub struct SpaceHardware {
    /// Running flavor.
    #[serde(default)]
    pub current: Option<String>,
    /// Requested flavor.
    #[serde(default)]
    pub requested: Option<String>,
}

/// `GET /api/spaces/{id}/runtime`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SpaceRuntime {
    /// Stage.
    pub stage: SpaceStage,
    /// Hardware.
    #[serde(default)]
    pub hardware: SpaceHardware,
    /// Sleep time in seconds.
    #[serde(default)]
    pub gc_timeout: Option<i64>,
    /// Error text of a failed stage.
    #[serde(default)]
    pub error_message: Option<String>,
    /// Dev mode.
    #[serde(default)]
    pub dev_mode: Option<bool>,
}

/// A Space variable (values are readable; secrets are write-only).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SpaceVariable {
    /// Value.
    pub value: String,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// ISO 8601.
    #[serde(default)]
    pub updated_at: Option<String>,
}

/// Secret metadata (the value is never returned).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SpaceSecretInfo {
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// ISO 8601.
    #[serde(default)]
    pub updated_at: Option<String>,
}

/// Map of variables by key.
pub type SpaceVariables = BTreeMap<String, SpaceVariable>;

/// Repo visibility on creation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    /// Anyone can read.
    Public,
    /// Only the owner (and org members).
    Private,
}

/// Which log stream of a Space.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogKind {
    /// `logs/build`.
    Build,
    /// `logs/run`.
    Run,
}

/// One log event of a Space.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct LogLine {
    /// The text, usually ending in a newline.
    pub data: String,
    /// ISO 8601.
    #[serde(default)]
    pub timestamp: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_round_trip_and_unknown_ones_are_kept() {
        assert_eq!(SpaceStage::from("BUILD_ERROR".to_owned()), SpaceStage::BuildError);
        assert_eq!(SpaceStage::BuildError.as_str(), "BUILD_ERROR");
        assert_eq!(SpaceStage::from("WARMING".to_owned()), SpaceStage::Other("WARMING".into()));
        assert!(SpaceStage::Building.is_transitional());
        assert!(!SpaceStage::RuntimeError.is_transitional());
    }
}
