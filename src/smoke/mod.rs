//! Smoke tests of a regenerated Space (DESIGN §2): static checks, the local harness gate run by
//! the worker itself, then — when a preview is configured and can run the app — a private
//! preview Space that must reach RUNNING, the Gradio API contract against the live Space, and
//! one inference call with its output bytes sniffed; reported once per PR head in one comment.

pub mod contract;
pub mod gates;
pub mod gradio;
pub mod inputs;
pub mod job;
pub mod live;
pub mod local;
pub mod manual;
pub mod preview;
pub mod publish;
pub mod report;
pub mod schedule;
pub mod sniff;
pub mod terms;

use crate::hub::HubError;
use gradio::GradioError;

/// What the smoke stage can fail with (a failed gate is a verdict, not an error).
#[derive(Debug, thiserror::Error)]
pub enum SmokeError {
    /// A Hub call failed.
    #[error(transparent)]
    Hub(Box<HubError>),
    /// A Gradio call failed outside a gate.
    #[error(transparent)]
    Gradio(#[from] GradioError),
    /// A bad setting.
    #[error("smoke configuration: {0}")]
    Config(String),
}

impl From<HubError> for SmokeError {
    fn from(e: HubError) -> Self {
        Self::Hub(Box::new(e))
    }
}
