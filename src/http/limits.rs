//! Pure: the receiver's connection limits and the per-source limit on repeated 401s.
//!
//! A source (IP address) that earned `max_unauthorized` 401 answers within `window` gets 429
//! with `Retry-After` until the window that started with its first failure ends. The table
//! forgets a source once its window is over, and never holds more than `max_sources` entries
//! (past that, the oldest windows are dropped first), so a flood from many addresses cannot
//! grow it without bound.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// How the receiver's HTTP server protects itself (from `[receiver]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerLimits {
    /// Open connections at most; past it, new connections wait in the listen backlog.
    pub max_connections: usize,
    /// The request head (request line and headers) must be complete this long after the
    /// connection opened or its previous response was written.
    pub header_read_timeout: Duration,
    /// A connection on which nothing was received for this long is closed (an in-flight
    /// request still gets its answer first).
    pub idle_timeout: Duration,
    /// The request body must arrive within this long.
    pub body_timeout: Duration,
    /// 401 answers one source may earn per window before it gets 429 (0 = no limit).
    pub max_unauthorized: u32,
    /// Length of that window.
    pub unauthorized_window: Duration,
}

impl Default for ServerLimits {
    fn default() -> Self {
        Self {
            max_connections: 16_384,
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(30),
            body_timeout: Duration::from_secs(10),
            max_unauthorized: 20,
            unauthorized_window: Duration::from_secs(60),
        }
    }
}

/// Per-source counts of 401 answers in the current window.
#[derive(Debug)]
pub struct UnauthorizedTable {
    max: u32,
    window: Duration,
    max_sources: usize,
    sources: HashMap<IpAddr, (Instant, u32)>,
}

impl UnauthorizedTable {
    /// At most `max` 401s per `window` per source; `max_sources` entries at most.
    pub fn new(max: u32, window: Duration, max_sources: usize) -> Self {
        Self { max, window, max_sources: max_sources.max(1), sources: HashMap::new() }
    }

    /// How long `ip` must wait, if it is over its limit at `now`.
    pub fn blocked(&self, ip: IpAddr, now: Instant) -> Option<Duration> {
        if self.max == 0 {
            return None;
        }
        let (start, count) = self.sources.get(&ip)?;
        let end = *start + self.window;
        (*count >= self.max && now < end).then(|| end - now)
    }

    /// Records one 401 answered to `ip` at `now`.
    pub fn record(&mut self, ip: IpAddr, now: Instant) {
        if self.max == 0 {
            return;
        }
        let window = self.window;
        let entry = self.sources.entry(ip).or_insert((now, 0));
        if now.duration_since(entry.0) >= window {
            *entry = (now, 0);
        }
        entry.1 = entry.1.saturating_add(1);
        if self.sources.len() > self.max_sources {
            self.forget(now);
        }
    }

    /// Drops every finished window, then the oldest ones until the table fits.
    fn forget(&mut self, now: Instant) {
        let window = self.window;
        self.sources.retain(|_, (start, _)| now.duration_since(*start) < window);
        if self.sources.len() > self.max_sources {
            // Oldest windows first; sources whose windows started at the same instant are
            // dropped in address order, so ties cannot keep the table over its cap.
            let mut by_age: Vec<(Instant, IpAddr)> = self.sources.iter().map(|(ip, (s, _))| (*s, *ip)).collect();
            by_age.sort_unstable();
            let excess = self.sources.len() - self.max_sources;
            for (_, ip) in by_age.into_iter().take(excess) {
                self.sources.remove(&ip);
            }
        }
    }

    /// Sources currently tracked.
    pub fn len(&self) -> usize {
        self.sources.len()
    }

    /// Whether no source is tracked.
    pub fn is_empty(&self) -> bool {
        self.sources.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(n: u8) -> IpAddr {
        IpAddr::from([10, 0, 0, n])
    }

    #[test]
    fn a_source_is_blocked_after_its_limit_until_its_window_ends() {
        let t0 = Instant::now();
        let mut t = UnauthorizedTable::new(3, Duration::from_secs(60), 100);
        for i in 0..3 {
            assert_eq!(t.blocked(ip(1), t0), None, "after {i} failures");
            t.record(ip(1), t0 + Duration::from_secs(i));
        }
        assert_eq!(t.blocked(ip(1), t0 + Duration::from_secs(10)), Some(Duration::from_secs(50)));
        assert_eq!(t.blocked(ip(2), t0 + Duration::from_secs(10)), None, "other sources are not affected");
        assert_eq!(t.blocked(ip(1), t0 + Duration::from_secs(60)), None, "the window is over");
        t.record(ip(1), t0 + Duration::from_secs(61));
        assert_eq!(t.blocked(ip(1), t0 + Duration::from_secs(62)), None, "a new window starts from zero");
    }

    #[test]
    fn zero_turns_the_limit_off() {
        let t0 = Instant::now();
        let mut t = UnauthorizedTable::new(0, Duration::from_secs(60), 100);
        for _ in 0..100 {
            t.record(ip(1), t0);
        }
        assert_eq!(t.blocked(ip(1), t0), None);
        assert!(t.is_empty());
    }

    #[test]
    fn the_table_never_outgrows_its_cap_and_forgets_finished_windows() {
        let t0 = Instant::now();
        let mut t = UnauthorizedTable::new(5, Duration::from_secs(60), 50);
        for n in 0..=250u32 {
            let addr = IpAddr::from(std::net::Ipv4Addr::from(n));
            t.record(addr, t0 + Duration::from_millis(u64::from(n)));
            assert!(t.len() <= 51, "{} entries", t.len());
        }
        t.record(ip(9), t0 + Duration::from_secs(120));
        assert!(t.len() <= 51);
        // Force a prune well after every window: only the newest source is left.
        for n in 0..60u8 {
            t.record(IpAddr::from([192, 168, 0, n]), t0 + Duration::from_secs(300));
        }
        assert!(t.len() <= 51);
        assert_eq!(t.blocked(ip(9), t0 + Duration::from_secs(300)), None);
    }
}
