//! `/_sim/…`: the simulator's own admin routes, for tests and people outside Rust (they are
//! not Hub routes: they bypass the call log and fault injection).
//!
//! - `GET /_sim/state`: plans, gated repos and grants, webhook trigger counts, ZeroGPU use.
//! - `POST /_sim/plans` `{"user","plan"}`; `POST /_sim/gated` `{"repo","mode":"manual"|"auto"|null}`;
//!   `POST /_sim/grants` `{"user","repo"}`.
//! - `POST /_sim/faults` `{"method"?,"path","times"?, one of "status" | "latency_ms" |
//!   "latency_after_ms" | "rate_limited_secs" | "drop":true}`; `DELETE /_sim/faults`.
//! - `GET /_sim/triggers`; `POST /_sim/triggers/cap` `{"cap"}`.
//! - `POST /_sim/rate-limits` `{"api"?,"resolvers"?,"window_secs"?}`: every caller's quota per
//!   bucket and the window (absent: the Hub's); restarts the counts.
//! - `GET /_sim/calls`: the call log (`method`, `path`, `query`, `status`, `user`).
//! - `POST /_sim/clock` `{"advance_secs"}`: moves the clock (quota days, trigger windows).
//! - `POST /_sim/zero-gpu/charge` `{"space","duration","size","authorization"}`: what the
//!   harness's `spaces` stand-in asks before each `@spaces.GPU` call (see `lsb_harness.hub_env`):
//!   the caller's daily quota, charged as the real ZeroGPU client does (hub-constraints.md §3,
//!   §7). Answers `{"ok":true}` or `{"ok":false,"title","message"}` (the `gr.Error` to raise).

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::sim::access;
use crate::sim::admin;
use crate::sim::faults::{Fault, FaultRule};
use crate::sim::shared::Sim;
use crate::sim::terms::{self, Plan};

type Ctx = State<Arc<Sim>>;

/// The admin router (merged beside the Hub routes, outside the `observe` middleware).
pub(crate) fn router(sim: Arc<Sim>) -> Router {
    Router::new()
        .route("/_sim/state", get(state))
        .route("/_sim/plans", post(set_plan))
        .route("/_sim/gated", post(set_gated))
        .route("/_sim/grants", post(grant))
        .route("/_sim/faults", post(add_fault).delete(clear_faults))
        .route("/_sim/triggers", get(triggers))
        .route("/_sim/triggers/cap", post(trigger_cap))
        .route("/_sim/rate-limits", post(rate_limits))
        .route("/_sim/calls", get(calls))
        .route("/_sim/clock", post(clock))
        .route("/_sim/zero-gpu/charge", post(charge))
        .with_state(sim)
}

fn triggers_json(sim: &Sim) -> Value {
    let w = sim.world();
    let out: serde_json::Map<String, Value> = w
        .trigger_totals
        .iter()
        .map(|(id, (total, refused))| (id.clone(), json!({ "last_24h": w.trigger_window.get(id).map_or(0, |q| q.len()), "total": total, "refused": refused })))
        .collect();
    Value::Object(out)
}

async fn state(State(sim): Ctx) -> Response {
    let triggers = triggers_json(&sim);
    let w = sim.world();
    let plans: serde_json::Map<String, Value> = w.users.iter().map(|u| (u.clone(), json!(w.plan(u).as_str()))).collect();
    let gated: Vec<Value> = w.repos.values().filter(|r| r.gated.is_some()).map(|r| json!({ "repo": r.id.to_string(), "mode": r.gated, "grants": r.gate_grants })).collect();
    let quota: serde_json::Map<String, Value> = w.gpu_quota.iter().map(|(k, q)| (if k.is_empty() { "(anonymous)".to_owned() } else { k.clone() }, json!({ "used_secs": q.used }))).collect();
    Json(json!({ "plans": plans, "gated": gated, "triggers": triggers, "zero_gpu": quota, "clock_offset_secs": w.clock_offset.as_secs() })).into_response()
}

#[derive(Deserialize)]
struct PlanBody {
    user: String,
    plan: Plan,
}

async fn set_plan(State(sim): Ctx, Json(b): Json<PlanBody>) -> Response {
    let mut w = sim.world();
    w.ensure_user(&b.user);
    w.plans.insert(b.user, b.plan);
    Json(json!({ "ok": true })).into_response()
}

#[derive(Deserialize)]
struct GatedBody {
    repo: String,
    #[serde(default = "manual")]
    mode: Option<String>,
}

fn manual() -> Option<String> {
    Some("manual".to_owned())
}

async fn set_gated(State(sim): Ctx, Json(b): Json<GatedBody>) -> Response {
    Json(json!({ "ok": admin::set_gated(&sim, &b.repo, b.mode.as_deref()) })).into_response()
}

#[derive(Deserialize)]
struct GrantBody {
    user: String,
    repo: String,
}

async fn grant(State(sim): Ctx, Json(b): Json<GrantBody>) -> Response {
    Json(json!({ "ok": admin::grant(&sim, &b.user, &b.repo) })).into_response()
}

#[derive(Deserialize)]
struct FaultBody {
    method: Option<String>,
    path: String,
    times: Option<u32>,
    status: Option<u16>,
    latency_ms: Option<u64>,
    latency_after_ms: Option<u64>,
    rate_limited_secs: Option<u64>,
    #[serde(default)]
    drop: bool,
}

async fn add_fault(State(sim): Ctx, Json(b): Json<FaultBody>) -> Response {
    let fault = match (b.status, b.latency_ms, b.latency_after_ms, b.rate_limited_secs, b.drop) {
        (Some(s), ..) => Fault::Status(s),
        (_, Some(ms), ..) => Fault::Latency(Duration::from_millis(ms)),
        (_, _, Some(ms), ..) => Fault::LatencyAfter(Duration::from_millis(ms)),
        (_, _, _, Some(secs), _) => Fault::RateLimited { retry_after_secs: secs },
        (.., true) => Fault::Drop,
        _ => return (axum::http::StatusCode::BAD_REQUEST, Json(json!({ "error": "one of status, latency_ms, latency_after_ms, rate_limited_secs, drop" }))).into_response(),
    };
    let rule = FaultRule::new(b.method.as_deref(), &b.path, fault).times(b.times.unwrap_or(1));
    sim.world().faults.push(rule);
    Json(json!({ "ok": true })).into_response()
}

async fn clear_faults(State(sim): Ctx) -> Response {
    sim.world().faults.clear();
    Json(json!({ "ok": true })).into_response()
}

async fn triggers(State(sim): Ctx) -> Response {
    Json(triggers_json(&sim)).into_response()
}

#[derive(Deserialize)]
struct CapBody {
    cap: u32,
}

async fn trigger_cap(State(sim): Ctx, Json(b): Json<CapBody>) -> Response {
    sim.world().trigger_cap = Some(b.cap);
    Json(json!({ "ok": true })).into_response()
}

#[derive(Deserialize)]
struct RateBody {
    api: Option<u32>,
    resolvers: Option<u32>,
    window_secs: Option<u64>,
}

async fn rate_limits(State(sim): Ctx, Json(b): Json<RateBody>) -> Response {
    let window = b.window_secs.map_or(crate::sim::rate::WINDOW, |s| Duration::from_secs(s.max(1)));
    let mut w = sim.world();
    w.rate_limits = Some(crate::sim::RateLimits { api: b.api, resolvers: b.resolvers, window });
    w.rate_counters.clear();
    Json(json!({ "ok": true })).into_response()
}

async fn calls(State(sim): Ctx) -> Response {
    let w = sim.world();
    let calls: Vec<Value> = w.calls.iter().map(|(_, c)| json!({ "method": c.method, "path": c.path, "query": c.query, "status": c.status, "user": c.user })).collect();
    Json(calls).into_response()
}

#[derive(Deserialize)]
struct ClockBody {
    advance_secs: u64,
}

async fn clock(State(sim): Ctx, Json(b): Json<ClockBody>) -> Response {
    sim.world().clock_offset += Duration::from_secs(b.advance_secs);
    Json(json!({ "ok": true })).into_response()
}

#[derive(Deserialize)]
struct ChargeBody {
    duration: f64,
    #[serde(default = "large")]
    size: String,
    #[serde(default)]
    authorization: String,
}

fn large() -> String {
    "large".to_owned()
}

/// Charges the caller (the token's user; anonymous without a known token) for one call.
async fn charge(State(sim): Ctx, Json(b): Json<ChargeBody>) -> Response {
    let mut w = sim.world();
    let mut headers = axum::http::HeaderMap::new();
    if let Ok(v) = b.authorization.parse() {
        headers.insert("authorization", v);
    }
    let user = access::caller(&w, &headers).ok().and_then(|c| c.name().map(str::to_owned));
    let daily = user.as_deref().map_or(terms::ANONYMOUS_ZERO_GPU_SECS, |u| w.plan(u).zero_gpu_daily_secs());
    let now = sim.now(&w);
    let key = user.unwrap_or_default();
    let mut day = w.gpu_quota.remove(&key);
    let result = terms::charge(&mut day, now, daily, b.duration, &b.size);
    if let Some(d) = day {
        w.gpu_quota.insert(key, d);
    }
    match result {
        Ok(()) => Json(json!({ "ok": true })).into_response(),
        Err(e) => Json(json!({ "ok": false, "title": e.title, "message": e.message })).into_response(),
    }
}
