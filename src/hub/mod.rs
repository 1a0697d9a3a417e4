//! The only code that talks to the Hugging Face Hub over HTTP (shared/reference/hub-api.md).
//!
//! [`HubClient`] is built once from [`HubSettings`]; every call is typed ([`types`]), fails
//! with a classified [`HubError`], retries transient failures with backoff ([`retry`]), and
//! runs in a `tracing` span naming the route, status and request id. Commits can only open
//! or update pull requests ([`CommitTarget`]): the bot never writes to a branch.

mod client;
mod commits;
mod discussions;
pub mod error;
mod repos;
mod response;
mod retry;
mod safetensors;
pub mod secret;
pub mod settings;
mod spaces;
pub mod types;
mod webhooks;

pub use client::HubClient;
pub use commits::MAX_INLINE_BYTES;
pub use error::{ErrorContext, HubError, NotFoundKind};
pub use repos::CreateRepo;
pub use safetensors::HeaderReadError;
pub use secret::Secret;
pub use settings::HubSettings;
pub use spaces::DuplicateSpace;
pub use types::commit::{CommitOperation, CommitOutcome, CommitRequest, CommitTarget, PullRequestRef};
pub use types::discussion::{
    Author, Discussion, DiscussionDetails, DiscussionEvent, DiscussionFilter, DiscussionKindFilter, DiscussionStatus,
    DiscussionStatusFilter, EventKind, NewStatus, PrChanges,
};
pub use types::repo::{DownloadedFile, EntryKind, ModelInfo, Sibling, SpaceInfo, TreeEntry, WhoAmI};
pub use types::space::{LogKind, LogLine, SpaceHardware, SpaceRuntime, SpaceStage, SpaceVariable, SpaceVariables, Visibility};
pub use types::webhook::{WatchedItem, WebhookDomain, WebhookInfo, WebhookSpec};
