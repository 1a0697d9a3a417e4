//! Pure domain types shared by every stage: repository ids, commit shas, jobs and the
//! classification of Hub webhook payloads. No I/O here.

pub mod hub_event;
pub mod ids;
pub mod job;
pub mod link_event;
pub mod safetensors;

pub use ids::{CommitSha, IdError, RepoId, RepoType};
pub use job::{Job, JobKind};
