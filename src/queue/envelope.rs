//! Pure: the signed job envelope. The body is the job's JSON; the `x-lsb-signature` header
//! is `sha256=<hex HMAC-SHA256(body)>`, so broker access alone cannot forge jobs.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::domain::Job;

/// Header carrying the envelope signature.
pub const SIGNATURE_HEADER: &str = "x-lsb-signature";

/// Why an envelope was refused.
#[derive(Debug, thiserror::Error)]
pub enum EnvelopeError {
    /// Missing or wrong signature.
    #[error("envelope signature is missing or does not verify")]
    BadSignature,
    /// The body is not a job.
    #[error("envelope body is not a valid job: {0}")]
    Malformed(String),
}

fn mac(key: &[u8]) -> Hmac<Sha256> {
    // HMAC accepts keys of any length, so this cannot fail.
    <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!("HMAC takes any key length"))
}

/// The signature header value for `body`.
pub fn sign(body: &[u8], key: &[u8]) -> String {
    let mut m = mac(key);
    m.update(body);
    format!("sha256={}", hex::encode(m.finalize().into_bytes()))
}

/// Serializes and signs a job: `(body, signature)`.
pub fn seal(job: &Job, key: &[u8]) -> (Vec<u8>, String) {
    let body = serde_json::to_vec(job).unwrap_or_else(|_| unreachable!("a Job always serializes"));
    let sig = sign(&body, key);
    (body, sig)
}

/// Verifies the signature in constant time, then parses the job.
pub fn open(body: &[u8], signature: Option<&str>, key: &[u8]) -> Result<Job, EnvelopeError> {
    let hex_sig = signature.and_then(|s| s.strip_prefix("sha256=")).ok_or(EnvelopeError::BadSignature)?;
    let raw = hex::decode(hex_sig).map_err(|_| EnvelopeError::BadSignature)?;
    let mut m = mac(key);
    m.update(body);
    m.verify_slice(&raw).map_err(|_| EnvelopeError::BadSignature)?;
    serde_json::from_slice(body).map_err(|e| EnvelopeError::Malformed(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::OffsetDateTime;

    fn job() -> Job {
        Job::sync("a/l".parse().expect("id"), None, "a/s".parse().expect("id"), "test", OffsetDateTime::UNIX_EPOCH)
    }

    #[test]
    fn sealed_job_opens_with_the_same_key() {
        let (body, sig) = seal(&job(), b"k");
        assert_eq!(open(&body, Some(&sig), b"k").expect("opens"), job());
    }

    #[test]
    fn wrong_key_missing_or_tampered_signature_is_refused() {
        let (body, sig) = seal(&job(), b"k");
        assert!(matches!(open(&body, Some(&sig), b"other"), Err(EnvelopeError::BadSignature)));
        assert!(matches!(open(&body, None, b"k"), Err(EnvelopeError::BadSignature)));
        let mut tampered = body.clone();
        tampered[10] ^= 1;
        assert!(matches!(open(&tampered, Some(&sig), b"k"), Err(EnvelopeError::BadSignature)));
    }
}
