//! Rate limits (hub-constraints.md §2): `api` and `resolvers` quotas per plan over fixed
//! windows, `RateLimit` / `RateLimit-Policy` on every response, 429 past the quota with the
//! observed text and no `Retry-After`; users counted by name, anonymous callers by IP.

use std::time::Duration;

use lora_space_bot::domain::RepoType;
use lora_space_bot::sim::{Plan, RateLimits, SimConfig};
use reqwest::Method;

use super::{OTHER_TOKEN, files, header, raw, rid, spawn_sim, spawn_sim_with};

#[tokio::test]
async fn every_response_carries_the_hubs_headers_with_the_plans_quota() {
    let sim = spawn_sim().await;
    sim.set_plan("other-user", Plan::Pro);
    sim.seed_repo(RepoType::Model, &rid("sim-user/m"), files(&[("README.md", "hi")]), false);
    let r = raw(&sim, Method::GET, "api/whoami-v2", Some(sim.token()), None).await;
    assert_eq!(header(&r, "ratelimit-policy").as_deref(), Some("\"fixed window\";\"api\";q=1000;w=300"), "free: 1000 api");
    let limit = header(&r, "ratelimit").expect("RateLimit");
    assert!(limit.starts_with("\"api\";r=999;t="), "{limit}");
    let r = raw(&sim, Method::GET, "api/whoami-v2", Some(OTHER_TOKEN), None).await;
    assert_eq!(header(&r, "ratelimit-policy").as_deref(), Some("\"fixed window\";\"api\";q=2500;w=300"), "PRO: 2500 api");
    let r = raw(&sim, Method::GET, "sim-user/m/resolve/main/README.md", None, None).await;
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "ratelimit-policy").as_deref(), Some("\"fixed window\";\"resolvers\";q=3000;w=300"), "anonymous: 3000 resolvers");
    let r = raw(&sim, Method::GET, "api/models/sim-user/missing", Some(sim.token()), None).await;
    assert_eq!(r.status(), 404);
    assert!(header(&r, "ratelimit").is_some_and(|v| v.starts_with("\"api\";r=998;")), "errors carry them too");
}

#[tokio::test]
async fn past_the_quota_the_caller_gets_429_with_the_observed_text_until_the_window_resets() {
    let limits = RateLimits { api: Some(3), resolvers: Some(5), window: Duration::from_secs(300) };
    let sim = spawn_sim_with(SimConfig { rate_limits: limits, ..SimConfig::default() }).await;
    for left in [2, 1, 0] {
        let r = raw(&sim, Method::GET, "api/whoami-v2", Some(sim.token()), None).await;
        assert_eq!(r.status(), 200);
        assert!(header(&r, "ratelimit").is_some_and(|v| v.starts_with(&format!("\"api\";r={left};"))));
    }
    let r = raw(&sim, Method::GET, "api/whoami-v2", Some(sim.token()), None).await;
    assert_eq!(r.status(), 429);
    assert_eq!(header(&r, "retry-after"), None, "the Hub documents no Retry-After");
    let limit = header(&r, "ratelimit").expect("RateLimit");
    let t: u64 = limit.strip_prefix("\"api\";r=0;t=").and_then(|t| t.parse().ok()).expect("r=0;t=N");
    assert!((1..=300).contains(&t), "{limit}");
    assert_eq!(header(&r, "ratelimit-policy").as_deref(), Some("\"fixed window\";\"api\";q=3;w=300"));
    let body: serde_json::Value = r.json().await.expect("json");
    assert_eq!(body["error"], "quota of 3 api requests per 5 minutes period");
    assert_eq!(raw(&sim, Method::GET, "api/whoami-v2", Some(OTHER_TOKEN), None).await.status(), 200, "another user has its own quota");
    assert_eq!(raw(&sim, Method::GET, "api/whoami-v2", None, None).await.status(), 401, "anonymous callers count per IP, apart");
    assert_eq!(sim.calls().iter().filter(|c| c.status == Some(429)).count(), 1, "the call log shows the 429");
    sim.advance_clock(Duration::from_secs(t));
    assert_eq!(raw(&sim, Method::GET, "api/whoami-v2", Some(sim.token()), None).await.status(), 200, "a new window");
}

#[tokio::test]
async fn the_admin_route_shrinks_the_limits_outside_the_call_log_and_a_short_window_resets_in_real_time() {
    let sim = spawn_sim().await;
    let resp = reqwest::Client::new().post(sim.base_url().join("_sim/rate-limits").expect("url")).json(&serde_json::json!({ "resolvers": 1, "window_secs": 1 })).send().await.expect("admin");
    assert_eq!(resp.status(), 200);
    sim.seed_repo(RepoType::Model, &rid("sim-user/m"), files(&[("README.md", "hi")]), false);
    let path = "sim-user/m/resolve/main/README.md";
    let mut statuses = Vec::new();
    for _ in 0..2 {
        statuses.push(raw(&sim, Method::GET, path, Some(sim.token()), None).await.status().as_u16());
    }
    // Two calls within one 1 s window: the second is refused (unless the window turned between them).
    if statuses == [200, 429] {
        tokio::time::sleep(Duration::from_millis(1100)).await;
        statuses.push(raw(&sim, Method::GET, path, Some(sim.token()), None).await.status().as_u16());
        assert_eq!(statuses, [200, 429, 200]);
    } else {
        assert_eq!(statuses, [200, 200], "the window turned between the two calls");
    }
    let r = raw(&sim, Method::GET, "api/whoami-v2", Some(sim.token()), None).await;
    assert_eq!(header(&r, "ratelimit-policy").as_deref(), Some("\"fixed window\";\"api\";q=1000;w=1"), "api keeps the plan's quota");
    assert!(sim.calls().iter().all(|c| !c.path.starts_with("/_sim")));
}
