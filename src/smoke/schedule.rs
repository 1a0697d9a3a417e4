//! The periodic preview sweep: the receiver enqueues a `cleanup` job (`sweep`) for every
//! linked Space once per period, so previews whose PR was merged or closed while a webhook was
//! lost are still deleted. The job id depends on the period, not the replica: two receivers
//! publish the same job, and a cleanup job is idempotent anyway.

use std::time::Duration;

use time::OffsetDateTime;
use tokio_util::sync::CancellationToken;

use crate::domain::{Job, RepoId};
use crate::queue::Broker;

/// The start of the sweep period `now` falls in.
pub fn period_start(now: OffsetDateTime, every: Duration) -> OffsetDateTime {
    let secs = i64::try_from(every.as_secs().max(1)).unwrap_or(i64::MAX);
    let start = now.unix_timestamp().div_euclid(secs) * secs;
    OffsetDateTime::from_unix_timestamp(start).unwrap_or(now)
}

/// One sweep job per linked Space for the period of `now`.
pub fn sweep_jobs(links: &[(RepoId, RepoId)], now: OffsetDateTime, every: Duration) -> Vec<Job> {
    let start = period_start(now, every);
    let mut spaces: Vec<&(RepoId, RepoId)> = links.iter().collect();
    spaces.sort_by(|a, b| a.1.cmp(&b.1));
    spaces.dedup_by(|a, b| a.1 == b.1);
    spaces.into_iter().map(|(lora, space)| super::job::cleanup_job(lora.clone(), space.clone(), "sweep", start)).collect()
}

/// Publishes the sweep jobs at every period boundary until `shutdown`. A publish that fails
/// is logged; the next period tries again.
pub async fn run(broker: Broker, links: Vec<(RepoId, RepoId)>, every: Duration, shutdown: CancellationToken) {
    loop {
        let now = OffsetDateTime::now_utc();
        let next = period_start(now, every) + every;
        let wait: Duration = (next - now).try_into().unwrap_or(every);
        tokio::select! { _ = shutdown.cancelled() => return, _ = tokio::time::sleep(wait) => {} }
        let jobs = sweep_jobs(&links, OffsetDateTime::now_utc(), every);
        let mut published = 0usize;
        for job in &jobs {
            match broker.publish(job).await {
                Ok(()) => published += 1,
                Err(e) => tracing::warn!(space = %job.space, error = %e, "could not enqueue the preview sweep"),
            }
        }
        tracing::info!(published, spaces = jobs.len(), "preview sweep enqueued");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn links() -> Vec<(RepoId, RepoId)> {
        let id = |s: &str| s.parse::<RepoId>().expect("id");
        vec![(id("a/lora"), id("a/space")), (id("b/lora"), id("b/space")), (id("c/lora"), id("a/space"))]
    }

    #[test]
    fn one_job_per_linked_space_with_an_id_shared_by_the_whole_period() {
        let every = Duration::from_secs(3600);
        let t0 = OffsetDateTime::from_unix_timestamp(1_800_000_000).expect("time");
        let a = sweep_jobs(&links(), t0, every);
        let b = sweep_jobs(&links(), t0 + Duration::from_secs(1799), every);
        let c = sweep_jobs(&links(), t0 + Duration::from_secs(3600), every);
        assert_eq!(a.len(), 2, "a/space is linked twice but swept once");
        assert!(a.iter().all(|j| j.kind == crate::domain::JobKind::Cleanup && j.reason == "sweep"));
        let ids = |v: &[Job]| v.iter().map(|j| j.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&a), ids(&b), "replicas and restarts inside one period publish the same ids");
        assert_ne!(ids(&a), ids(&c), "the next period is a new sweep");
    }

    #[test]
    fn the_period_starts_on_a_multiple_of_its_length() {
        let t = OffsetDateTime::from_unix_timestamp(1_800_000_123).expect("time");
        assert_eq!(period_start(t, Duration::from_secs(100)).unix_timestamp(), 1_800_000_100);
    }
}
