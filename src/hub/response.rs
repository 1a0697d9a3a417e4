//! Turns a non-success HTTP response into a classified [`HubError`]: status, `X-Error-Code`,
//! `X-Error-Message` (else the message from the body), request id and wait hints.

use std::time::Duration;

use reqwest::header::HeaderMap;
use reqwest::{Response, StatusCode};

use super::error::{ErrorContext, HubError, NotFoundKind};

/// Returns the response if it is a success, else reads it into a [`HubError`].
pub(crate) async fn check(route: &str, resp: Response, trace_id: &str) -> Result<Response, HubError> {
    if resp.status().is_success() {
        return Ok(resp);
    }
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = resp.text().await.unwrap_or_default();
    Err(classify(route, status, &headers, &body, trace_id))
}

/// The request id the Hub echoed, else the trace id we sent.
pub(crate) fn request_id(headers: &HeaderMap, trace_id: &str) -> String {
    header(headers, "x-request-id").unwrap_or_else(|| trace_id.to_owned())
}

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned)
}

/// Builds the error for a failed response.
pub(crate) fn classify(route: &str, status: StatusCode, headers: &HeaderMap, body: &str, trace_id: &str) -> HubError {
    let ctx = ErrorContext {
        route: route.to_owned(),
        status: Some(status.as_u16()),
        error_code: header(headers, "x-error-code"),
        message: header(headers, "x-error-message").or_else(|| body_message(body)),
        request_id: Some(request_id(headers, trace_id)),
    };
    let retry_after = wait_hint(status, headers);
    match status.as_u16() {
        401 => HubError::Unauthorized { ctx },
        403 => HubError::Forbidden { ctx },
        404 => HubError::NotFound { kind: NotFoundKind::from_code(ctx.error_code.as_deref()), ctx },
        409 => HubError::Conflict { ctx },
        412 => HubError::PreconditionFailed { ctx },
        429 => HubError::RateLimited { retry_after, ctx },
        408 | 500..=599 => HubError::Server { retry_after, ctx },
        _ => HubError::BadRequest { ctx },
    }
}

/// The message of the Hub's error bodies: `{"error":"m"}`, `{"error":["a","b"]}`,
/// `{"error":"x","error_description":"y"}`, `{"errors":[{"message":..}]}`, or plain text.
pub(crate) fn body_message(body: &str) -> Option<String> {
    let Ok(v) = serde_json::from_str::<serde_json::Value>(body) else {
        let t = body.trim();
        return (!t.is_empty() && !t.starts_with('<')).then(|| t.chars().take(500).collect());
    };
    let mut parts: Vec<String> = Vec::new();
    match v.get("error") {
        Some(serde_json::Value::String(s)) => parts.push(s.clone()),
        Some(serde_json::Value::Array(a)) => parts.extend(a.iter().filter_map(|x| x.as_str().map(str::to_owned))),
        _ => {}
    }
    if let Some(d) = v.get("error_description").and_then(|d| d.as_str()) {
        parts.push(d.to_owned());
    }
    if let Some(errs) = v.get("errors").and_then(|e| e.as_array()) {
        parts.extend(errs.iter().filter_map(|e| e.get("message")?.as_str().map(str::to_owned)));
    }
    (!parts.is_empty()).then(|| parts.join("; "))
}

/// The wait the server asked for: on a 429 whose `RateLimit` header says `r=0`, its `t=`
/// (seconds to the window's reset) plus one second, as huggingface_hub waits (a reset given in
/// whole seconds may be rounded down, and a call one instant early is refused again); else an integer `Retry-After` (HTTP-date values are
/// ignored). The Hub sends `RateLimit` on every response, so a 429 with `r>0` (another limit)
/// or any other status does not take its `t`. source: hub-constraints.md §2 (HH utils/_http.py).
pub(crate) fn wait_hint(status: StatusCode, headers: &HeaderMap) -> Option<Duration> {
    let from_ratelimit = (status == StatusCode::TOO_MANY_REQUESTS).then(|| header(headers, "ratelimit")).flatten().and_then(|v| {
        let param = |name: &str| v.split(';').find_map(|p| p.trim().strip_prefix(name).and_then(|x| x.trim().parse::<u64>().ok()));
        (param("r=") == Some(0)).then(|| param("t=")).flatten().map(|t| t + 1)
    });
    let from_retry_after = header(headers, "retry-after").and_then(|v| v.trim().parse::<u64>().ok());
    from_ratelimit.or(from_retry_after).map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderName, HeaderValue};

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(HeaderName::from_static(k), HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn every_body_shape_the_hub_uses_yields_its_message() {
        assert_eq!(body_message(r#"{"error":"m"}"#).as_deref(), Some("m"));
        assert_eq!(body_message(r#"{"error":["a","b"]}"#).as_deref(), Some("a; b"));
        assert_eq!(body_message(r#"{"error":"x","error_description":"y"}"#).as_deref(), Some("x; y"));
        assert_eq!(body_message(r#"{"errors":[{"message":"bad yaml"}]}"#).as_deref(), Some("bad yaml"));
        assert_eq!(body_message("Invalid username or password.").as_deref(), Some("Invalid username or password."));
        assert_eq!(body_message("<html>oops</html>"), None);
    }

    #[test]
    fn ratelimit_reset_wins_over_retry_after_and_dates_are_ignored() {
        let tmr = StatusCode::TOO_MANY_REQUESTS;
        let h = headers(&[("ratelimit", "\"api\";r=0;t=42"), ("retry-after", "7")]);
        assert_eq!(wait_hint(tmr, &h), Some(Duration::from_secs(43)), "t=42, plus the second huggingface_hub adds");
        assert_eq!(wait_hint(tmr, &headers(&[("retry-after", "7")])), Some(Duration::from_secs(7)));
        assert_eq!(wait_hint(tmr, &headers(&[("retry-after", "Wed, 21 Oct 2015 07:28:00 GMT")])), None);
    }

    #[test]
    fn the_ratelimit_reset_counts_only_on_a_429_that_used_up_the_quota() {
        let left = headers(&[("ratelimit", "\"api\";r=12;t=250")]);
        assert_eq!(wait_hint(StatusCode::TOO_MANY_REQUESTS, &left), None, "another limit: no reset to wait for");
        let spent = headers(&[("ratelimit", "\"api\";r=0;t=250")]);
        assert_eq!(wait_hint(StatusCode::SERVICE_UNAVAILABLE, &spent), None, "a 503 is not the quota");
        assert_eq!(wait_hint(StatusCode::SERVICE_UNAVAILABLE, &headers(&[("retry-after", "3")])), Some(Duration::from_secs(3)));
    }

    #[test]
    fn a_404_takes_its_kind_from_the_error_code_header() {
        let h = headers(&[("x-error-code", "EntryNotFound"), ("x-request-id", "rid")]);
        let e = classify("GET /x", StatusCode::NOT_FOUND, &h, "", "trace");
        assert!(e.is_not_found(NotFoundKind::EntryNotFound));
        assert_eq!(e.request_id(), Some("rid"));
    }
}
