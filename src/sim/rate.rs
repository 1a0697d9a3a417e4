//! The Hub's rate limits as pure rules (no I/O): quotas per plan and bucket over 5-minute
//! fixed windows, the caller key, and the `RateLimit` / `RateLimit-Policy` headers.
//! source: hub-constraints.md §2 (HD rate-limits.md; HH utils/_http.py).

use std::collections::HashMap;
use std::time::Duration;

use super::terms::Plan;

/// The Hub's window: 5 minutes. source: hub-constraints.md §2 "5-minute fixed windows".
pub const WINDOW: Duration = Duration::from_secs(300);

/// The class of a request. Pages (web pages) are not served by the simulator.
/// source: hub-constraints.md §2 "Resolvers = any `/resolve/` URL".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Bucket {
    /// Hub APIs (everything that is not a resolver).
    Api,
    /// Any URL with a `/resolve/` segment.
    Resolvers,
}

impl Bucket {
    /// The bucket of a request path.
    pub fn of(path: &str) -> Self {
        if path.contains("/resolve/") { Self::Resolvers } else { Self::Api }
    }

    /// The name in the headers: `api`, `resolvers`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Api => "api",
            Self::Resolvers => "resolvers",
        }
    }
}

/// Requests per window of a caller on `plan` (`None`: anonymous, per IP). Team stands for
/// Team/Academia, Enterprise for Enterprise (Enterprise Plus is not modelled); org limits
/// apply per member. source: hub-constraints.md §2 (HD rate-limits.md).
pub fn quota(plan: Option<Plan>, bucket: Bucket) -> u32 {
    let (api, resolvers) = match plan {
        None => (500, 3_000),
        Some(Plan::Free) => (1_000, 5_000),
        Some(Plan::Pro) => (2_500, 12_000),
        Some(Plan::Team) => (3_000, 20_000),
        Some(Plan::Enterprise) => (6_000, 50_000),
    };
    match bucket {
        Bucket::Api => api,
        Bucket::Resolvers => resolvers,
    }
}

/// The simulator's limits: the Hub's unless a test shrinks them (one quota per bucket for
/// every caller, and a shorter window).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    /// Every caller's `api` quota instead of the plan's.
    pub api: Option<u32>,
    /// Every caller's `resolvers` quota instead of the plan's.
    pub resolvers: Option<u32>,
    /// The window length (the Hub: 300 s).
    pub window: Duration,
}

impl Default for RateLimits {
    fn default() -> Self {
        Self { api: None, resolvers: None, window: WINDOW }
    }
}

impl RateLimits {
    /// The quota of a caller on `plan` (`None`: anonymous) in `bucket`.
    pub fn quota(&self, plan: Option<Plan>, bucket: Bucket) -> u32 {
        let forced = match bucket {
            Bucket::Api => self.api,
            Bucket::Resolvers => self.resolvers,
        };
        forced.unwrap_or_else(|| quota(plan, bucket))
    }

    /// Parses `api=20,resolvers=50` (either or both).
    pub fn parse_quotas(s: &str) -> Result<(Option<u32>, Option<u32>), String> {
        let (mut api, mut resolvers) = (None, None);
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (k, v) = part.split_once('=').ok_or_else(|| format!("{part:?}: expected BUCKET=N"))?;
            let n: u32 = v.trim().parse().map_err(|e| format!("{part:?}: {e}"))?;
            match k.trim() {
                "api" => api = Some(n),
                "resolvers" => resolvers = Some(n),
                other => return Err(format!("{other:?}: expected api or resolvers (pages are not served)")),
            }
        }
        Ok((api, resolvers))
    }
}

/// Who is counted: a user by name; anonymous callers by client IP.
/// source: hub-constraints.md §2 "anonymous (per IP)".
pub fn caller_key(user: Option<&str>, ip: Option<std::net::IpAddr>) -> String {
    match (user, ip) {
        (Some(u), _) => format!("user:{u}"),
        (None, Some(ip)) => format!("ip:{ip}"),
        (None, None) => "ip:unknown".to_owned(),
    }
}

/// Requests counted per (caller key, bucket) in their current window.
pub type Counters = HashMap<(String, Bucket), (u64, u32)>;

/// What one request got: admitted or not, and the values of its headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// Whether the request may go through.
    pub admitted: bool,
    /// The bucket.
    pub bucket: Bucket,
    /// Requests left in the window after this one (`r`).
    pub remaining: u32,
    /// Whole seconds until the window resets, rounded up (`t`).
    pub reset_secs: u64,
    /// The quota (`q`).
    pub quota: u32,
    /// The window in seconds (`w`).
    pub window_secs: u64,
}

/// Counts one request of `key` in `bucket` at `now` (simulator clock) against `quota` per
/// fixed `window`. Windows are aligned on the simulator clock (multiples of `window`; the
/// Hub's alignment is unverified). A refused request is not counted.
pub fn admit(counters: &mut Counters, key: &str, bucket: Bucket, quota: u32, window: Duration, now: Duration) -> Verdict {
    let w = window.as_millis().max(1);
    let index = (now.as_millis() / w) as u64;
    let reset_ms = (u128::from(index) + 1) * w - now.as_millis();
    let reset_secs = reset_ms.div_ceil(1000) as u64;
    let entry = counters.entry((key.to_owned(), bucket)).or_insert((index, 0));
    if entry.0 != index {
        *entry = (index, 0);
    }
    let admitted = entry.1 < quota;
    if admitted {
        entry.1 += 1;
    }
    Verdict { admitted, bucket, remaining: quota - entry.1.min(quota), reset_secs, quota, window_secs: window.as_secs().max(1) }
}

impl Verdict {
    /// `RateLimit: "api";r=<left>;t=<s to reset>`. source: hub-constraints.md §2.
    pub fn header(&self) -> String {
        format!("\"{}\";r={};t={}", self.bucket.as_str(), self.remaining, self.reset_secs)
    }

    /// `RateLimit-Policy: "fixed window";"api";q=<quota>;w=<window s>`. source: hub-constraints.md §2.
    pub fn policy(&self) -> String {
        format!("\"fixed window\";\"{}\";q={};w={}", self.bucket.as_str(), self.quota, self.window_secs)
    }

    /// The 429 message: the observed "quota of 1000 api requests per 5 minutes period"
    /// (hub-constraints.md §2, github.com/OpenHUTB/hutb/issues/3329), for this bucket and
    /// window; any text around it on the real Hub is unverified.
    pub fn message(&self) -> String {
        let period = if self.window_secs == 300 { "5 minutes".to_owned() } else { format!("{} seconds", self.window_secs) };
        format!("quota of {} {} requests per {period} period", self.quota, self.bucket.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotas_follow_the_hubs_table_per_plan_and_bucket() {
        assert_eq!(quota(None, Bucket::Api), 500);
        assert_eq!(quota(None, Bucket::Resolvers), 3_000);
        assert_eq!(quota(Some(Plan::Free), Bucket::Api), 1_000);
        assert_eq!(quota(Some(Plan::Free), Bucket::Resolvers), 5_000);
        assert_eq!(quota(Some(Plan::Pro), Bucket::Api), 2_500);
        assert_eq!(quota(Some(Plan::Pro), Bucket::Resolvers), 12_000);
        assert_eq!(quota(Some(Plan::Team), Bucket::Api), 3_000);
        assert_eq!(quota(Some(Plan::Team), Bucket::Resolvers), 20_000);
        assert_eq!(quota(Some(Plan::Enterprise), Bucket::Api), 6_000);
        assert_eq!(quota(Some(Plan::Enterprise), Bucket::Resolvers), 50_000);
        let small = RateLimits { api: Some(20), ..RateLimits::default() };
        assert_eq!(small.quota(Some(Plan::Pro), Bucket::Api), 20);
        assert_eq!(small.quota(Some(Plan::Pro), Bucket::Resolvers), 12_000);
    }

    #[test]
    fn resolve_urls_are_resolvers_and_the_rest_is_api() {
        assert_eq!(Bucket::of("/a/b/resolve/main/README.md"), Bucket::Resolvers);
        assert_eq!(Bucket::of("/spaces/a/b/resolve/refs%2Fpr%2F1/app.py"), Bucket::Resolvers);
        assert_eq!(Bucket::of("/api/models/a/b"), Bucket::Api);
        assert_eq!(caller_key(Some("bot"), None), "user:bot");
        assert_eq!(caller_key(None, Some([10, 0, 0, 1].into())), "ip:10.0.0.1");
    }

    #[test]
    fn the_quota_refuses_past_q_in_a_fixed_window_and_resets_at_the_next_one() {
        let mut c = Counters::new();
        let t = Duration::from_secs(310);
        for left in (0..1000).rev() {
            let v = admit(&mut c, "user:bot", Bucket::Api, 1000, WINDOW, t);
            assert!(v.admitted);
            assert_eq!(v.remaining, left);
        }
        let v = admit(&mut c, "user:bot", Bucket::Api, 1000, WINDOW, t + Duration::from_millis(500));
        assert!(!v.admitted);
        assert_eq!(v.header(), "\"api\";r=0;t=290");
        assert_eq!(v.policy(), "\"fixed window\";\"api\";q=1000;w=300");
        assert_eq!(v.message(), "quota of 1000 api requests per 5 minutes period");
        assert!(admit(&mut c, "user:other", Bucket::Api, 1000, WINDOW, t).admitted, "per caller");
        assert!(admit(&mut c, "user:bot", Bucket::Resolvers, 5000, WINDOW, t).admitted, "per bucket");
        let next = admit(&mut c, "user:bot", Bucket::Api, 1000, WINDOW, Duration::from_secs(600));
        assert!(next.admitted);
        assert_eq!((next.remaining, next.reset_secs), (999, 300));
    }

    #[test]
    fn reset_rounds_up_and_small_windows_name_their_seconds() {
        let mut c = Counters::new();
        let w = Duration::from_secs(2);
        let v = admit(&mut c, "ip:1.2.3.4", Bucket::Resolvers, 1, w, Duration::from_millis(4100));
        assert_eq!((v.admitted, v.header()), (true, "\"resolvers\";r=0;t=2".to_owned()));
        let v = admit(&mut c, "ip:1.2.3.4", Bucket::Resolvers, 1, w, Duration::from_millis(5001));
        assert_eq!((v.admitted, v.reset_secs), (false, 1));
        assert_eq!(v.message(), "quota of 1 resolvers requests per 2 seconds period");
        assert_eq!(RateLimits::parse_quotas("api=20,resolvers=50"), Ok((Some(20), Some(50))));
        assert!(RateLimits::parse_quotas("pages=1").is_err());
    }
}
