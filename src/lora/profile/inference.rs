//! How the pipeline is called, as the card says: the keyword that carries the guidance, a
//! fixed prompt template with one placeholder, an output resolution.

use serde::{Deserialize, Serialize};

/// Which call keyword carries the guidance value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GuidanceParam {
    /// Classic / embedded guidance (`guidance_scale=`).
    GuidanceScale,
    /// Qwen-style true CFG (`true_cfg_scale=`, needs a negative prompt).
    TrueCfgScale,
}

impl GuidanceParam {
    /// The Python keyword.
    pub fn as_str(self) -> &'static str {
        match self {
            GuidanceParam::GuidanceScale => "guidance_scale",
            GuidanceParam::TrueCfgScale => "true_cfg_scale",
        }
    }
}

/// A fixed prompt template with one `{placeholder}` the UI fills from a textbox.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PromptTemplate {
    /// Text before the placeholder.
    pub prefix: String,
    /// The placeholder's name (`object`, `subject`).
    pub placeholder: String,
    /// Text after the placeholder.
    pub suffix: String,
}

impl PromptTemplate {
    /// The template with `{placeholder}` in place.
    pub fn display(&self) -> String {
        format!("{}{{{}}}{}", self.prefix, self.placeholder, self.suffix)
    }
    /// Fills the placeholder.
    pub fn fill(&self, value: &str) -> String {
        format!("{}{}{}", self.prefix, value, self.suffix)
    }
}

/// A width × height pair in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resolution {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}
