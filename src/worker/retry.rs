//! The one place errors are classified: transient → retry after a backoff (honouring the
//! Hub's `Retry-After`), permanent or exhausted → dead letter with the reason.

use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder};

use super::pipeline::PipelineError;
use crate::queue::Outcome;

/// Delay before attempt `attempt + 1`: exponential from 1 s with jitter, capped at 10 min.
pub fn backoff_delay(attempt: u32) -> Duration {
    let mut b = ExponentialBuilder::default()
        .with_min_delay(Duration::from_secs(1))
        .with_max_delay(Duration::from_secs(600))
        .with_factor(3.0)
        .with_jitter()
        .with_max_times(usize::MAX)
        .build();
    b.nth(attempt as usize).unwrap_or(Duration::from_secs(600))
}

/// Maps a pipeline error to what the queue should do with the job.
pub fn classify(err: &PipelineError, attempt: u32, max_attempts: u32) -> Outcome {
    if !err.is_transient() {
        return Outcome::DeadLetter { reason: format!("permanent: {err}") };
    }
    if attempt + 1 >= max_attempts {
        return Outcome::DeadLetter { reason: format!("gave up after {} attempts: {err}", attempt + 1) };
    }
    let after = err.retry_after().map_or_else(|| backoff_delay(attempt), |ra| ra.max(backoff_delay(0)));
    Outcome::Retry { after, error: err.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        assert!(backoff_delay(0) <= Duration::from_secs(2));
        assert!(backoff_delay(3) >= Duration::from_secs(27));
        assert!(backoff_delay(50) <= Duration::from_secs(1200));
    }
}
