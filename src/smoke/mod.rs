//! Smoke tests of a regenerated Space (DESIGN §2): static checks, a private preview Space
//! that must reach RUNNING, the Gradio API contract against the live Space, and one inference
//! per example with its output bytes sniffed — reported in one PR comment edited in place.

pub mod gradio;
pub mod contract;
pub mod sniff;
pub mod inputs;
