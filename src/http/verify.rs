//! Constant-time check of the webhook secret, from `X-Webhook-Secret` or `?secret=`.

use axum::http::HeaderMap;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::error::ReceiverError;
use crate::config::Secret;

/// Header the Hub sends the secret in.
pub const SECRET_HEADER: &str = "x-webhook-secret";

/// Checks the presented secret against the configured one. Both sides are hashed first so
/// the comparison takes the same time whatever the lengths.
pub fn verify(expected: Option<&Secret>, headers: &HeaderMap, query: Option<&str>) -> Result<(), ReceiverError> {
    let Some(expected) = expected else { return Ok(()) };
    let presented = headers
        .get(SECRET_HEADER)
        .map(|v| v.as_bytes().to_vec())
        .or_else(|| query_secret(query?))
        .ok_or(ReceiverError::MissingSecret)?;
    let a = Sha256::digest(&presented);
    let b = Sha256::digest(expected.expose().as_bytes());
    if bool::from(a.ct_eq(&b)) { Ok(()) } else { Err(ReceiverError::WrongSecret) }
}

fn query_secret(query: &str) -> Option<Vec<u8>> {
    url::form_urlencoded::parse(query.as_bytes()).find(|(k, _)| k == "secret").map(|(_, v)| v.as_bytes().to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(v: Option<&str>) -> HeaderMap {
        let mut h = HeaderMap::new();
        if let Some(v) = v {
            h.insert(SECRET_HEADER, v.parse().expect("header"));
        }
        h
    }

    #[test]
    fn right_secret_in_header_or_query_passes() {
        let s = Secret::new("s3 cret");
        assert!(verify(Some(&s), &headers(Some("s3 cret")), None).is_ok());
        assert!(verify(Some(&s), &headers(None), Some("a=1&secret=s3%20cret")).is_ok());
    }

    #[test]
    fn wrong_or_missing_secret_fails_distinctly() {
        let s = Secret::new("s3cret");
        assert!(matches!(verify(Some(&s), &headers(Some("s3cre")), None), Err(ReceiverError::WrongSecret)));
        assert!(matches!(verify(Some(&s), &headers(None), Some("secret=nope")), Err(ReceiverError::WrongSecret)));
        assert!(matches!(verify(Some(&s), &headers(None), None), Err(ReceiverError::MissingSecret)));
    }
}
