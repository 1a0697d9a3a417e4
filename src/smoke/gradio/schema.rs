//! What the app describes about itself: the parts of `/config` and `{prefix}/info` (named
//! endpoints, their parameters and returns) the smoke test reads.

use serde::Deserialize;
use serde_json::Value;

/// The parts of `/config` the smoke test reads.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct GradioConfig {
    /// The Gradio version.
    #[serde(default)]
    pub version: Option<String>,
    /// `/gradio_api` on 5.x+, absent on 4.x.
    #[serde(default)]
    pub api_prefix: Option<String>,
    /// The Blocks' components (examples are `dataset` components).
    #[serde(default)]
    pub components: Vec<Value>,
    /// One entry per event listener (`api_name`, `inputs` as component ids).
    #[serde(default)]
    pub dependencies: Vec<Value>,
}

/// `/gradio_api/info`.
#[derive(Debug, Clone, PartialEq, Deserialize, Default)]
pub struct ApiInfo {
    /// `"/predict"` → its endpoint.
    #[serde(default)]
    pub named_endpoints: std::collections::BTreeMap<String, Endpoint>,
}

/// One named endpoint.
#[derive(Debug, Clone, PartialEq, Deserialize, Default)]
pub struct Endpoint {
    /// Inputs, in call order.
    #[serde(default)]
    pub parameters: Vec<Parameter>,
    /// Outputs, in order.
    #[serde(default)]
    pub returns: Vec<Returned>,
}

/// One input of an endpoint.
#[derive(Debug, Clone, PartialEq, Deserialize, Default)]
pub struct Parameter {
    /// The label.
    #[serde(default)]
    pub label: Option<String>,
    /// The Python argument name.
    #[serde(default)]
    pub parameter_name: Option<String>,
    /// Whether it has a default.
    #[serde(default)]
    pub parameter_has_default: bool,
    /// The default.
    #[serde(default)]
    pub parameter_default: Value,
    /// JSON schema of the value.
    #[serde(default, rename = "type")]
    pub schema: Value,
    /// The Gradio component (`Textbox`, `Image`, …).
    #[serde(default)]
    pub component: Option<String>,
    /// An example value (a URL for file components).
    #[serde(default)]
    pub example_input: Value,
}

/// One output of an endpoint.
#[derive(Debug, Clone, PartialEq, Deserialize, Default)]
pub struct Returned {
    /// The label.
    #[serde(default)]
    pub label: Option<String>,
    /// The Gradio component.
    #[serde(default)]
    pub component: Option<String>,
}

impl Parameter {
    /// The name shown in reports: the Python name, else the label.
    pub fn name(&self) -> &str {
        self.parameter_name.as_deref().or(self.label.as_deref()).unwrap_or("?")
    }
}
