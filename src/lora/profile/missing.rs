//! What the analysis could not settle: missing values, each with the question for the LoRA
//! owner and whether it blocks generation (decided by [`crate::lora::missing`]), and flags
//! to tell the user.

use serde::{Deserialize, Serialize};

/// What could not be inferred.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MissingField {
    /// No base model could be determined.
    BaseModel,
    /// Sources name different base models.
    AmbiguousBaseModel,
    /// The base model is outside the supported families.
    UnsupportedBaseFamily,
    /// The task could not be determined.
    Task,
    /// Several weight files are alternatives and none is recommended.
    WeightsFile,
    /// Steps / guidance have no card value and no family default.
    Recipe,
    /// The LoRA only runs with custom code (its own pipeline, token embeddings, a cloned package).
    CustomPipeline,
}

/// One missing item, with the question to ask and whether it blocks generation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Missing {
    /// What is missing.
    pub field: MissingField,
    /// The question for the LoRA owner.
    pub question: String,
    /// Whether generation must stop until it is answered.
    pub blocking: bool,
}

/// Something the generator must tell the user (gated base, conflicts, guesses).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flag {
    /// Short machine-readable kind (`gated-base`, `conflict`, `latest-checkpoint`, ...).
    pub kind: String,
    /// Human-readable message.
    pub message: String,
}
