//! The job envelope that travels through RabbitMQ (DESIGN §6): one tagged enum of job kinds
//! with deterministic ids, so duplicate webhook deliveries collapse into one job id.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use super::ids::{CommitSha, RepoId};

/// Envelope schema version written into every job.
pub const ENVELOPE_VERSION: u32 = 1;

/// What a job asks a worker to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JobKind {
    /// Regenerate the Space files and open or update the bot's pull request.
    Sync,
    /// One step of a preview smoke test.
    Smoke,
    /// Tear down a preview Space.
    Cleanup,
}

impl JobKind {
    /// The lowercase name used in logs, metrics and the envelope.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sync => "sync",
            Self::Smoke => "smoke",
            Self::Cleanup => "cleanup",
        }
    }
}

/// One unit of work for a worker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Job {
    /// Envelope version ([`ENVELOPE_VERSION`]).
    pub v: u32,
    /// What to do.
    pub kind: JobKind,
    /// Deterministic id: the same trigger always yields the same id.
    pub id: String,
    /// The LoRA model repository.
    pub lora: RepoId,
    /// The LoRA commit that triggered the job (the worker still reads the current head).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<CommitSha>,
    /// The Space kept in step with the LoRA.
    pub space: RepoId,
    /// Why the job exists (`webhook`, `manual`, `replay`, ...).
    pub reason: String,
    /// When the trigger was received.
    #[serde(with = "time::serde::rfc3339")]
    pub received_at: OffsetDateTime,
    /// How many times this job has been attempted before (0 on first delivery).
    #[serde(default)]
    pub attempt: u32,
    /// State a multi-step job carries from one delivery to the next (a smoke job: the PR, the
    /// head it tests, the gates so far); the kind's module owns its shape.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub progress: Option<serde_json::Value>,
    /// Set when a commit on the Space's main triggered the job: the worker regenerates only
    /// if that commit changed `lora-space.toml` (see [`Job::space_main`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub space_main: Option<SpaceMainMove>,
}

/// The Space's main before and after the commit that triggered a job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpaceMainMove {
    /// The previous head (`None`: the branch was created).
    #[serde(default)]
    pub old: Option<CommitSha>,
    /// The new head.
    pub new: CommitSha,
}

impl Job {
    /// A `sync` job for `lora` at `revision` feeding `space`.
    pub fn sync(lora: RepoId, revision: Option<CommitSha>, space: RepoId, reason: &str, now: OffsetDateTime) -> Self {
        let id = sync_job_id(&lora, revision.as_ref(), &space);
        Self { v: ENVELOPE_VERSION, kind: JobKind::Sync, id, lora, revision, space, reason: reason.to_owned(), received_at: now, attempt: 0, progress: None, space_main: None }
    }

    /// A `sync` job for a commit on a linked Space's main (`lora-space.toml` may have changed).
    /// The Hub's payload has no file list, so the receiver enqueues one for every main update
    /// and the worker compares `lora-space.toml` at `old` and `new`: unchanged → no-op. That
    /// keeps the bot from reacting to the merge of its own PR (which never writes the file)
    /// and from proposing to revert a human's hand edit of `app.py` on main.
    pub fn space_main(lora: RepoId, space: RepoId, moved: SpaceMainMove, now: OffsetDateTime) -> Self {
        let id = hex::encode(Sha256::digest(format!("space-main:{space}@{}->{lora}", moved.new)));
        Self { v: ENVELOPE_VERSION, kind: JobKind::Sync, id, lora, revision: None, space, reason: "space-main".to_owned(), received_at: now, attempt: 0, progress: None, space_main: Some(moved) }
    }
}

/// `hex(sha256(lora "@" revision "->" space))`; a missing revision reads as `HEAD`.
pub fn sync_job_id(lora: &RepoId, revision: Option<&CommitSha>, space: &RepoId) -> String {
    let rev = revision.map_or("HEAD", CommitSha::as_str);
    hex::encode(Sha256::digest(format!("{lora}@{rev}->{space}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> RepoId {
        s.parse().expect("valid id")
    }

    #[test]
    fn sync_job_ids_are_deterministic_and_depend_on_every_part() {
        let sha: CommitSha = "575db8b7a51b6f85eb06eee540738584589f131c".parse().expect("sha");
        let a = sync_job_id(&id("a/lora"), Some(&sha), &id("a/space"));
        assert_eq!(a, sync_job_id(&id("a/lora"), Some(&sha), &id("a/space")));
        assert_ne!(a, sync_job_id(&id("a/lora2"), Some(&sha), &id("a/space")));
        assert_ne!(a, sync_job_id(&id("a/lora"), None, &id("a/space")));
        assert_ne!(a, sync_job_id(&id("a/lora"), Some(&sha), &id("b/space")));
        assert_eq!(a.len(), 64);
    }

    #[test]
    fn job_round_trips_through_json_with_its_kind_tag() {
        let job = Job::sync(id("a/lora"), None, id("a/space"), "webhook", OffsetDateTime::UNIX_EPOCH);
        let text = serde_json::to_string(&job).expect("serialize");
        assert!(text.contains("\"kind\":\"sync\""), "{text}");
        assert_eq!(serde_json::from_str::<Job>(&text).expect("parse"), job);
    }
}
