//! Retry policy for Hub calls (backon): exponential backoff with jitter for transient
//! failures, honouring the Hub's wait hints; calls that are not safe to replay run once.

use std::time::Duration;

use backon::ExponentialBuilder;

use super::error::HubError;

/// Whether a request may be sent again after a transient failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Replay {
    /// Reads and idempotent writes: retried on transient failures.
    Safe,
    /// A replay could act twice (a `create_pr=1` commit, a new discussion or comment): one attempt.
    Never,
}

/// Retry budget, from [`super::HubSettings`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct RetryPolicy {
    pub max_retries: u32,
    pub min_delay: Duration,
    pub max_wait: Duration,
}

impl RetryPolicy {
    /// Exponential backoff with jitter: `min_delay`, doubling, capped at 8× `min_delay`.
    pub fn backoff(&self) -> ExponentialBuilder {
        ExponentialBuilder::default()
            .with_jitter()
            .with_min_delay(self.min_delay)
            .with_max_delay(self.min_delay.saturating_mul(8))
            .with_max_times(self.max_retries as usize)
    }

    /// The wait before the next attempt: the Hub's hint if it gave one (refused when longer
    /// than `max_wait`, so the caller can reschedule), else the backoff step.
    pub fn next_wait(&self, err: &HubError, step: Option<Duration>) -> Option<Duration> {
        let step = step?;
        match err.retry_after() {
            Some(hint) if hint > self.max_wait => None,
            Some(hint) => Some(hint),
            None => Some(step),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hub::error::ErrorContext;

    fn policy() -> RetryPolicy {
        RetryPolicy { max_retries: 3, min_delay: Duration::from_millis(10), max_wait: Duration::from_secs(5) }
    }

    fn limited(secs: Option<u64>) -> HubError {
        HubError::RateLimited { retry_after: secs.map(Duration::from_secs), ctx: ErrorContext::default() }
    }

    #[test]
    fn the_hubs_wait_hint_replaces_the_backoff_step() {
        let step = Some(Duration::from_millis(10));
        assert_eq!(policy().next_wait(&limited(Some(2)), step), Some(Duration::from_secs(2)));
        assert_eq!(policy().next_wait(&limited(None), step), step);
    }

    #[test]
    fn a_wait_longer_than_the_budget_stops_retrying() {
        assert_eq!(policy().next_wait(&limited(Some(600)), Some(Duration::from_millis(10))), None);
    }

    #[test]
    fn an_exhausted_backoff_stops_retrying_even_with_a_hint() {
        assert_eq!(policy().next_wait(&limited(Some(1)), None), None);
    }
}
