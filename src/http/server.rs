//! The receiver's HTTP/1 server: hyper's connection driver (hyper-util glue) under the limits
//! of [`ServerLimits`] — a connection cap (past it, new connections wait in the listen
//! backlog while the open ones finish), hyper's header-read timeout, an idle timeout (nothing
//! received and no request in flight), tower-http's request-body timeout, and 429 for a source
//! that earned too many 401s. On shutdown every connection finishes its in-flight request.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::ServiceExt;

use super::limits::{ServerLimits, UnauthorizedTable};

/// Sources the 401 table tracks at most.
const MAX_TRACKED_SOURCES: usize = 65_536;

/// Serves `app` on `listener` under `limits` until `shutdown`, then lets every connection
/// finish its in-flight request.
pub async fn serve_limited(listener: TcpListener, app: Router, limits: ServerLimits, shutdown: CancellationToken) -> std::io::Result<()> {
    let table = Arc::new(Mutex::new(UnauthorizedTable::new(limits.max_unauthorized, limits.unauthorized_window, MAX_TRACKED_SOURCES)));
    let app = app
        .layer(axum::middleware::from_fn_with_state(table, limit_unauthorized))
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(limits.body_timeout))
        .layer(super::trace::layer());
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let tracker = TaskTracker::new();
    let epoch = Instant::now();
    loop {
        let permit = tokio::select! {
            _ = shutdown.cancelled() => break,
            p = permits.clone().acquire_owned() => match p { Ok(p) => p, Err(_) => break },
        };
        let (stream, peer) = tokio::select! {
            _ = shutdown.cancelled() => break,
            r = listener.accept() => match r {
                Ok(conn) => conn,
                Err(e) => {
                    accept_failed(&e).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        tracker.spawn(connection(stream, peer, app.clone(), limits, epoch, shutdown.clone(), permit));
    }
    tracker.close();
    tracker.wait().await;
    Ok(())
}

/// Out of file descriptors (or another transient accept error): wait a little instead of
/// spinning; open connections keep being served and free descriptors as they close.
async fn accept_failed(e: &std::io::Error) {
    tracing::warn!(error = %e, "accept failed; pausing 100 ms (raise the open-file limit or lower receiver.max_connections)");
    tokio::time::sleep(Duration::from_millis(100)).await;
}

async fn connection(stream: TcpStream, peer: SocketAddr, app: Router, limits: ServerLimits, epoch: Instant, shutdown: CancellationToken, _permit: tokio::sync::OwnedSemaphorePermit) {
    let last_read = Arc::new(AtomicU64::new(millis_since(epoch)));
    let in_flight = Arc::new(AtomicUsize::new(0));
    let io = TokioIo::new(Activity { inner: stream, last_read: last_read.clone(), epoch });
    let counter = in_flight.clone();
    let svc = app
        .map_request(move |mut req: Request<hyper::body::Incoming>| {
            req.extensions_mut().insert(ConnectInfo(peer));
            req
        })
        .map_future(move |fut| {
            let guard = InFlight::enter(&counter);
            async move {
                let r = fut.await;
                drop(guard);
                r
            }
        });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder.timer(TokioTimer::new()).header_read_timeout(limits.header_read_timeout).max_buf_size(64 * 1024);
    let conn = builder.serve_connection(io, TowerToHyperService::new(svc));
    tokio::pin!(conn);
    let mut draining = false;
    loop {
        let idle_at = epoch + Duration::from_millis(last_read.load(Ordering::Relaxed)) + limits.idle_timeout;
        tokio::select! {
            r = conn.as_mut() => {
                if let Err(e) = r {
                    tracing::debug!(%peer, error = %e, "connection closed");
                }
                return;
            }
            _ = shutdown.cancelled(), if !draining => {
                conn.as_mut().graceful_shutdown();
                draining = true;
            }
            _ = tokio::time::sleep_until(idle_at.into()) => {
                let silent = Instant::now() >= epoch + Duration::from_millis(last_read.load(Ordering::Relaxed)) + limits.idle_timeout;
                if silent && in_flight.load(Ordering::Acquire) == 0 {
                    tracing::debug!(%peer, "idle connection closed");
                    return;
                }
            }
        }
    }
}

/// Answers 429 to a source over its 401 limit (without reading its request), and counts the
/// 401s the receiver answers.
async fn limit_unauthorized(State(table): State<Arc<Mutex<UnauthorizedTable>>>, req: Request, next: Next) -> Response {
    let ip = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
    if let Some(ip) = ip {
        let wait = table.lock().map(|t| t.blocked(ip, Instant::now())).unwrap_or(None);
        if let Some(wait) = wait {
            tracing::debug!(source = %ip, "too many unauthorized deliveries from this source; 429");
            let mut resp = (StatusCode::TOO_MANY_REQUESTS, "too many unauthorized requests from this address\n").into_response();
            if let Ok(v) = HeaderValue::from_str(&wait.as_secs().max(1).to_string()) {
                resp.headers_mut().insert(header::RETRY_AFTER, v);
            }
            return resp;
        }
    }
    let resp = next.run(req).await;
    if let (Some(ip), StatusCode::UNAUTHORIZED) = (ip, resp.status())
        && let Ok(mut t) = table.lock() {
            t.record(ip, Instant::now());
        }
    resp
}

fn millis_since(epoch: Instant) -> u64 {
    u64::try_from(epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// Counts a request from its call until its response future resolved.
struct InFlight(Arc<AtomicUsize>);

impl InFlight {
    fn enter(n: &Arc<AtomicUsize>) -> Self {
        n.fetch_add(1, Ordering::AcqRel);
        Self(n.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A TCP stream that records when it last received bytes.
struct Activity {
    inner: TcpStream,
    last_read: Arc<AtomicU64>,
    epoch: Instant,
}

impl AsyncRead for Activity {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.last_read.store(millis_since(self.epoch), Ordering::Relaxed);
        }
        r
    }
}

impl AsyncWrite for Activity {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
    fn poll_write_vectored(mut self: Pin<&mut Self>, cx: &mut Context<'_>, bufs: &[std::io::IoSlice<'_>]) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }
    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}
