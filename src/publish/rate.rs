//! A sliding one-hour cap on PRs opened by this worker process.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const HOUR: Duration = Duration::from_secs(3600);

/// At most `limit` PR openings in any hour.
#[derive(Debug)]
pub struct HourlyCap {
    limit: u32,
    taken: Mutex<VecDeque<Instant>>,
}

impl HourlyCap {
    /// A cap of `limit` per hour (0 = unlimited).
    pub fn new(limit: u32) -> Self {
        Self { limit, taken: Mutex::new(VecDeque::new()) }
    }

    /// The configured limit.
    pub fn limit(&self) -> u32 {
        self.limit
    }

    /// Takes one slot now, or says how long until one frees up.
    pub fn try_take(&self) -> Result<(), Duration> {
        self.try_take_at(Instant::now())
    }

    fn try_take_at(&self, now: Instant) -> Result<(), Duration> {
        if self.limit == 0 {
            return Ok(());
        }
        let Ok(mut q) = self.taken.lock() else { return Ok(()) };
        while q.front().is_some_and(|t| now.duration_since(*t) >= HOUR) {
            q.pop_front();
        }
        if q.len() >= self.limit as usize {
            let oldest = q.front().copied().unwrap_or(now);
            return Err(HOUR.saturating_sub(now.duration_since(oldest)));
        }
        q.push_back(now);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_refuses_past_the_limit_and_frees_after_an_hour() {
        let cap = HourlyCap::new(2);
        let t0 = Instant::now();
        assert!(cap.try_take_at(t0).is_ok());
        assert!(cap.try_take_at(t0 + Duration::from_secs(10)).is_ok());
        let wait = cap.try_take_at(t0 + Duration::from_secs(20)).expect_err("capped");
        assert_eq!(wait, Duration::from_secs(3580));
        assert!(cap.try_take_at(t0 + HOUR).is_ok());
    }

    #[test]
    fn zero_means_unlimited() {
        let cap = HourlyCap::new(0);
        assert!((0..100).all(|_| cap.try_take().is_ok()));
    }
}
