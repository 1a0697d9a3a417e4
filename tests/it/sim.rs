//! The simulator over real HTTP, one module per area, and the helpers every test module uses.

mod deliveries;
mod hardware;
mod harness_terms;
mod plans;
mod rate_limits;
mod terms;
mod http;
mod listing;
mod seeding;

use std::collections::BTreeMap;
use std::time::Duration;

use lora_space_bot::domain::RepoId;
use lora_space_bot::hub::{HubClient, HubSettings, Secret};
use lora_space_bot::sim::{self, SimConfig, SimHandle};

pub const OTHER_USER: &str = "other-user";
pub const OTHER_TOKEN: &str = "hf_other_token";
pub const WAIT: Duration = Duration::from_secs(10);

/// A simulator on a free port with the main user and `other-user`.
pub async fn spawn_sim() -> SimHandle {
    spawn_sim_with(SimConfig::default()).await
}

pub async fn spawn_sim_with(mut config: SimConfig) -> SimHandle {
    config.extra_users.push((OTHER_USER.to_owned(), OTHER_TOKEN.to_owned()));
    config.build_delay = Duration::from_millis(50);
    sim::start("127.0.0.1:0".parse().expect("addr"), config).await.expect("sim starts")
}

/// Client settings for tests: fast backoff, short timeout.
pub fn settings(sim: &SimHandle, token: Option<&str>) -> HubSettings {
    HubSettings {
        endpoint: sim.base_url(),
        token: token.map(Secret::new),
        timeout: Duration::from_secs(5),
        max_retries: 3,
        retry_min_delay: Duration::from_millis(10),
        max_retry_wait: Duration::from_secs(5),
        ..HubSettings::default()
    }
}

pub fn client(sim: &SimHandle, token: Option<&str>) -> HubClient {
    HubClient::new(&settings(sim, token)).expect("client builds")
}

pub fn rid(s: &str) -> RepoId {
    s.parse().expect("repo id")
}

pub fn files(pairs: &[(&str, &str)]) -> BTreeMap<String, Vec<u8>> {
    pairs.iter().map(|(p, c)| ((*p).to_owned(), c.as_bytes().to_vec())).collect()
}

/// A local webhook receiver answering 200; returns its URL.
pub async fn receiver() -> String {
    let app = axum::Router::new().route("/hook", axum::routing::post(|| async { "ok" }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}/hook")
}

pub async fn raw(sim: &SimHandle, method: reqwest::Method, path: &str, token: Option<&str>, body: Option<String>) -> reqwest::Response {
    let url = sim.base_url().join(path).expect("url");
    let mut req = reqwest::Client::new().request(method, url);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req.header("content-type", "application/x-ndjson").body(b);
    }
    req.send().await.expect("response")
}

pub fn header(r: &reqwest::Response, name: &str) -> Option<String> {
    r.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned)
}

