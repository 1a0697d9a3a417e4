//! Fault injection: rules that make the next N calls matching a method and path pattern
//! slow, fail with a status (5xx, 429 + `Retry-After`), or drop the connection.

use std::time::Duration;

/// What to do to a matching call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Wait this long, then answer normally.
    Latency(Duration),
    /// Run the route (its effects happen), then hold the answer this long: a client killed
    /// meanwhile never learns that its request succeeded.
    LatencyAfter(Duration),
    /// Answer this status (e.g. 500, 503) with a JSON error body, without running the route.
    Status(u16),
    /// Answer 429 with `Retry-After: secs` (and the Hub's `RateLimit` header).
    RateLimited { retry_after_secs: u64 },
    /// Close the connection without answering.
    Drop,
}

/// A fault for the next `times` calls whose method and path match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultRule {
    /// Method to match (`None`: any).
    pub method: Option<String>,
    /// Glob on the raw request path: `*` matches any run of characters, slashes included.
    pub path: String,
    /// The fault.
    pub fault: Fault,
    /// How many calls it still applies to.
    pub times: u32,
}

impl FaultRule {
    /// A rule for one call; use [`FaultRule::times`] for more.
    pub fn new(method: Option<&str>, path: &str, fault: Fault) -> Self {
        Self { method: method.map(str::to_uppercase), path: path.to_owned(), fault, times: 1 }
    }

    /// Applies to the next `n` matching calls.
    pub fn times(mut self, n: u32) -> Self {
        self.times = n;
        self
    }

    /// Whether a call matches.
    pub fn matches(&self, method: &str, path: &str) -> bool {
        self.times > 0 && self.method.as_deref().is_none_or(|m| m.eq_ignore_ascii_case(method)) && glob(&self.path, path)
    }
}

/// Takes the first live matching rule, using up one of its calls.
pub(crate) fn take(rules: &mut Vec<FaultRule>, method: &str, path: &str) -> Option<Fault> {
    let rule = rules.iter_mut().find(|r| r.matches(method, path))?;
    rule.times -= 1;
    let fault = rule.fault.clone();
    rules.retain(|r| r.times > 0);
    Some(fault)
}

/// `*` matches any run of characters; everything else literally.
pub(crate) fn glob(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !text.starts_with(first) || !text[first.len()..].ends_with(last) || text.len() < first.len() + last.len() {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for mid in &parts[1..parts.len() - 1] {
        match rest.find(mid) {
            Some(i) => rest = &rest[i + mid.len()..],
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_across_slashes() {
        assert!(glob("/api/models/*", "/api/models/a/b"));
        assert!(glob("*/commit/*", "/api/spaces/a/b/commit/main"));
        assert!(glob("/x", "/x"));
        assert!(!glob("/api/models/*", "/api/spaces/a/b"));
        assert!(!glob("/a*b*c", "/acb"));
    }

    #[test]
    fn a_rule_is_used_up_after_its_count() {
        let mut rules = vec![FaultRule::new(Some("get"), "/a*", Fault::Status(503)).times(2)];
        assert_eq!(take(&mut rules, "GET", "/ab"), Some(Fault::Status(503)));
        assert_eq!(take(&mut rules, "POST", "/ab"), None);
        assert_eq!(take(&mut rules, "GET", "/ab"), Some(Fault::Status(503)));
        assert_eq!(take(&mut rules, "GET", "/ab"), None);
    }
}
