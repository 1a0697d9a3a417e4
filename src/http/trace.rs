//! Request spans of the HTTP servers. The URI is logged with the value of every `secret`
//! query parameter replaced by `[redacted]` (the Hub may send the webhook secret as
//! `?secret=`), at every level; failed responses (a 503 `/readyz` while the broker is away,
//! a 503 webhook) are DEBUG events: the handlers log what matters at their own level.

use axum::body::Body;
use axum::http::{Request, Uri};
use tower_http::classify::{ServerErrorsAsFailures, SharedClassifier};
use tower_http::trace::{DefaultOnBodyChunk, DefaultOnEos, DefaultOnFailure, DefaultOnRequest, DefaultOnResponse, TraceLayer};
use tracing::{Level, Span};

/// What replaces a secret in logged URIs.
pub const REDACTED: &str = "[redacted]";

/// The layer both servers use.
pub type RedactingTraceLayer = TraceLayer<SharedClassifier<ServerErrorsAsFailures>, fn(&Request<Body>) -> Span, DefaultOnRequest, DefaultOnResponse, DefaultOnBodyChunk, DefaultOnEos, DefaultOnFailure>;

/// `TraceLayer::new_for_http()` with a span that never carries a secret.
pub fn layer() -> RedactingTraceLayer {
    TraceLayer::new_for_http()
        .make_span_with(request_span as fn(&Request<Body>) -> Span)
        .on_failure(DefaultOnFailure::new().level(Level::DEBUG))
}

fn request_span(req: &Request<Body>) -> Span {
    tracing::debug_span!("request", method = %req.method(), uri = %redacted_uri(req.uri()), version = ?req.version())
}

/// The path and query of `uri`, every `secret` parameter's value replaced by [`REDACTED`].
pub fn redacted_uri(uri: &Uri) -> String {
    match uri.query() {
        None => uri.path().to_owned(),
        Some(q) => format!("{}?{}", uri.path(), redact_query(q)),
    }
}

/// `q` with the value of every parameter whose (decoded, case-insensitive) name is `secret`
/// replaced; other parameters are kept byte for byte.
pub fn redact_query(q: &str) -> String {
    q.split('&')
        .map(|pair| {
            let name = pair.split_once('=').map_or(pair, |(k, _)| k);
            let decoded: String = url::form_urlencoded::parse(name.as_bytes()).map(|(k, _)| k.into_owned()).collect();
            if decoded.eq_ignore_ascii_case("secret") { format!("{name}={REDACTED}") } else { pair.to_owned() }
        })
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_secret_parameter_is_redacted_and_the_rest_kept() {
        assert_eq!(redact_query("secret=abc"), "secret=[redacted]");
        assert_eq!(redact_query("a=1&secret=abc&b=2&SECRET=x"), "a=1&secret=[redacted]&b=2&SECRET=[redacted]");
        assert_eq!(redact_query("%73ecret=abc"), "%73ecret=[redacted]");
        assert_eq!(redact_query("secret"), "secret=[redacted]");
        assert_eq!(redact_query("secrets=keep"), "secrets=keep");
    }

    #[test]
    fn a_uri_without_query_is_its_path() {
        let uri: Uri = "/webhooks/hub?x=1&secret=hunter2".parse().expect("uri");
        assert_eq!(redacted_uri(&uri), "/webhooks/hub?x=1&secret=[redacted]");
        assert_eq!(redacted_uri(&"/healthz".parse().expect("uri")), "/healthz");
    }
}
