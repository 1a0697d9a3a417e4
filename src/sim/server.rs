//! Serving: the accept loop (one hyper connection per socket, so a fault can drop it), and
//! the middleware every call goes through: caller, request id, fault injection, call log.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;

use super::error::{ApiError, SimError};
use super::faults::{self, Fault};
use super::handle::SimHandle;
use super::record::CallRecord;
use super::shared::Sim;
use super::state::World;
use super::{SimConfig, access, rate, routes, seed};

/// Cancelling it closes the request's connection without an answer.
#[derive(Clone)]
pub(crate) struct ConnKill(CancellationToken);

/// The client's IP (anonymous callers are rate-limited per IP).
#[derive(Clone, Copy)]
pub(crate) struct ClientIp(std::net::IpAddr);

pub(crate) async fn start(listen: SocketAddr, config: SimConfig) -> Result<SimHandle, SimError> {
    let listener = TcpListener::bind(listen).await?;
    let addr = listener.local_addr()?;
    let base = url::Url::parse(&format!("http://{addr}/")).map_err(|e| SimError::Io(std::io::Error::other(e)))?;
    let mut world = World::default();
    world.tokens.insert(config.token.clone(), config.user.clone());
    world.ensure_user(&config.user);
    for (name, token) in &config.extra_users {
        world.tokens.insert(token.clone(), name.clone());
        world.ensure_user(name);
    }
    world.plans.extend(config.plans.iter().cloned());
    let (gated, grants) = (config.gated.clone(), config.grants.clone());
    let hardware = config.space_hardware.clone();
    let seed_dir = config.seed.clone();
    let (sim, outbox) = Sim::new(world, base, config);
    let sim = Arc::new(sim);
    let stop = CancellationToken::new();
    tokio::spawn(super::hooks::run_outbox(sim.clone(), outbox, stop.clone()));
    if let Some(dir) = seed_dir {
        seed::seed_dir(&sim, &dir)?;
    }
    super::admin::apply_gates(&sim, &gated, &grants);
    for (space, flavour) in &hardware {
        super::admin::request_hardware(&sim, space, flavour).map_err(|message| SimError::Io(std::io::Error::other(format!("--space-hardware {space}={flavour}: {message}"))))?;
    }
    let app = routes::router(sim.clone());
    let task = tokio::spawn(accept_loop(listener, app, stop.clone()));
    Ok(SimHandle::new(sim, addr, stop, task))
}

async fn accept_loop(listener: TcpListener, app: axum::Router, stop: CancellationToken) {
    loop {
        let (stream, ip) = tokio::select! {
            () = stop.cancelled() => return,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => (stream, peer.ip()),
                Err(e) => { tracing::warn!(error = %e, "sim accept failed"); continue }
            },
        };
        let kill = CancellationToken::new();
        let k = ConnKill(kill.clone());
        let svc = app.clone().map_request(move |mut req: Request<hyper::body::Incoming>| {
            req.extensions_mut().insert(k.clone());
            req.extensions_mut().insert(ClientIp(ip));
            req
        });
        let stop = stop.clone();
        tokio::spawn(async move {
            let conn = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), TowerToHyperService::new(svc));
            tokio::select! {
                _ = conn => {},
                () = kill.cancelled() => {},
                () = stop.cancelled() => {},
            }
        });
    }
}

/// Caller, rate limit, fault, call record and `X-Request-Id` for every request.
pub(crate) async fn observe(State(sim): State<Arc<Sim>>, mut req: Request, next: Next) -> Response {
    let method = req.method().to_string();
    let path = req.uri().path().to_owned();
    let query = req.uri().query().map(str::to_owned);
    let request_id = uuid::Uuid::new_v4().to_string();
    let ip = req.extensions().get::<ClientIp>().map(|c| c.0);
    let (caller, verdict, fault, seq) = {
        let mut w = sim.world();
        let caller = access::caller(&w, req.headers());
        let user = caller.as_ref().ok().and_then(|c| c.name().map(str::to_owned));
        let verdict = count(&sim, &mut w, user.as_deref(), ip, &path);
        let fault = if verdict.admitted { faults::take(&mut w.faults, &method, &path) } else { None };
        w.call_seq += 1;
        let seq = w.call_seq;
        w.calls.push((seq, CallRecord { method: method.clone(), path: path.clone(), query, status: None, user }));
        (caller, verdict, fault, seq)
    };
    sim.bump();
    let mut resp = match (caller, fault) {
        (Err(e), _) => e.into_response(),
        (Ok(_), _) if !verdict.admitted => ApiError::new(StatusCode::TOO_MANY_REQUESTS, verdict.message()).into_response(),
        (Ok(_), Some(Fault::Drop)) => {
            if let Some(kill) = req.extensions().get::<ConnKill>() {
                kill.0.cancel();
            }
            return std::future::pending().await;
        }
        (Ok(_), Some(Fault::Status(s))) => {
            let status = StatusCode::from_u16(s).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            ApiError::new(status, "Injected fault").into_response()
        }
        (Ok(_), Some(Fault::RateLimited { retry_after_secs })) => rate_limited(retry_after_secs),
        (Ok(caller), fault) => {
            if let Some(Fault::Latency(d)) = fault {
                tokio::time::sleep(d).await;
            }
            req.extensions_mut().insert(caller);
            let resp = next.run(req).await;
            if let Some(Fault::LatencyAfter(d)) = fault {
                sim.bump();
                tokio::time::sleep(d).await;
            }
            resp
        }
    };
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        h.insert("x-request-id", v);
    }
    if !h.contains_key("ratelimit") {
        // Every response carries its bucket's headers (hub-constraints.md §2); an injected
        // 429 keeps its own.
        if let (Ok(r), Ok(p)) = (HeaderValue::from_str(&verdict.header()), HeaderValue::from_str(&verdict.policy())) {
            h.insert("ratelimit", r);
            h.insert("ratelimit-policy", p);
        }
    }
    let status = resp.status().as_u16();
    if let Some((_, call)) = sim.world().calls.iter_mut().rev().find(|(s, _)| *s == seq) {
        call.status = Some(status);
    }
    tracing::debug!(target: "sim", %method, %path, status, "sim call");
    sim.bump();
    resp
}

/// Counts a Hub call in its bucket for its caller (a user on their plan, else the client IP).
fn count(sim: &Sim, w: &mut World, user: Option<&str>, ip: Option<std::net::IpAddr>, path: &str) -> rate::Verdict {
    let limits = w.rate_limits.unwrap_or(sim.config.rate_limits);
    let bucket = rate::Bucket::of(path);
    let quota = limits.quota(user.map(|u| w.plan(u)), bucket);
    let now = sim.now(w);
    rate::admit(&mut w.rate_counters, &rate::caller_key(user, ip), bucket, quota, limits.window, now)
}

fn rate_limited(secs: u64) -> Response {
    let mut resp = ApiError::new(StatusCode::TOO_MANY_REQUESTS, "You have exceeded our hourly quotas").into_response();
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
        h.insert("retry-after", v);
    }
    if let Ok(v) = HeaderValue::from_str(&format!("\"api\";r=0;t={secs}")) {
        h.insert("ratelimit", v);
    }
    h.insert("ratelimit-policy", HeaderValue::from_static("\"fixed window\";\"api\";q=1000;w=300"));
    resp
}
