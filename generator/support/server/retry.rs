//! When an upstream exchange is tried again: idempotent requests only (GET, HEAD, PUT, DELETE,
//! OPTIONS), after a refused connection, a broken one, or a 429, 502, 503 or 504 answer; with
//! exponential backoff and full jitter, or after the `Retry-After` the upstream asked for (429 and
//! 503). A wait longer than [`MAX_WAIT`] is not waited: the answer goes back as it came. A timeout
//! is not retried (the caller has already waited the whole timeout once).
//!
//! The policy is set once at start from the command line ([`configure`]) and read by every
//! thread's HTTP client.

use std::hash::BuildHasher;
use std::sync::OnceLock;
use std::time::Duration;

use axum::http::{HeaderMap, Method, StatusCode, header};

/// The first backoff; each retry doubles it (before jitter).
const BASE_BACKOFF: Duration = Duration::from_millis(100);
/// The longest backoff and the longest `Retry-After` honoured.
pub const MAX_WAIT: Duration = Duration::from_secs(10);

/// How upstream exchanges are connected and retried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    /// Retries after the first try (0: none).
    pub retries: u32,
    /// The longest wait for a TCP (and TLS) connection, within the exchange's timeout.
    pub connect_timeout: Duration,
}

/// What a server does without flags: 2 retries, 5 s to connect.
pub const DEFAULT: Policy = Policy {
    retries: 2,
    connect_timeout: Duration::from_secs(5),
};

static POLICY: OnceLock<Policy> = OnceLock::new();

/// Sets the policy of this process (once; later calls change nothing).
pub fn configure(policy: Policy) {
    let _ = POLICY.set(policy);
}

/// The policy of this process.
pub fn policy() -> Policy {
    POLICY.get().copied().unwrap_or(DEFAULT)
}

/// Whether a request with this method may be sent twice.
pub fn is_idempotent(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS
    )
}

/// What ended one try, as far as retrying is concerned.
#[derive(Debug)]
pub enum Outcome<'a> {
    /// An answer with this status and these headers.
    Answer(StatusCode, &'a HeaderMap),
    /// No connection, or a connection that broke.
    Failed,
    /// No answer within the timeout.
    TimedOut,
}

/// How long to wait before try number `attempt + 1` (`attempt` counts from 0), or `None` when
/// the outcome is final.
pub fn wait_before_retry(outcome: Outcome<'_>, attempt: u32) -> Option<Duration> {
    match outcome {
        Outcome::Answer(status, headers) => match status.as_u16() {
            429 | 503 => match retry_after(headers) {
                Some(wait) if wait <= MAX_WAIT => Some(wait),
                Some(_) => None,
                None => Some(backoff(attempt)),
            },
            502 | 504 => Some(backoff(attempt)),
            _ => None,
        },
        Outcome::Failed => Some(backoff(attempt)),
        Outcome::TimedOut => None,
    }
}

/// A random wait in `[0, BASE_BACKOFF · 2^attempt]`, at most [`MAX_WAIT`] ("full jitter": retries
/// of many callers spread out instead of arriving together).
pub fn backoff(attempt: u32) -> Duration {
    let ceiling = BASE_BACKOFF
        .saturating_mul(1 << attempt.min(16))
        .min(MAX_WAIT);
    // A fresh `RandomState` is randomly keyed: enough randomness for jitter, without a dependency.
    let random = std::collections::hash_map::RandomState::new().hash_one(attempt);
    let nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
    Duration::from_nanos(random % nanos.max(1))
}

/// `Retry-After` as seconds or as an HTTP date (RFC 9110 §10.2.3); a date in the past is no wait.
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(header::RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let wait = at.signed_duration_since(chrono::Utc::now());
    Some(wait.to_std().unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_retry_after(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::RETRY_AFTER, value.parse().unwrap());
        headers
    }

    #[test]
    fn retry_after_is_read_as_seconds_or_as_a_date() {
        assert_eq!(
            retry_after(&with_retry_after("3")),
            Some(Duration::from_secs(3))
        );
        let soon = chrono::Utc::now() + chrono::Duration::seconds(30);
        let wait = retry_after(&with_retry_after(&soon.to_rfc2822())).unwrap();
        assert!(wait > Duration::from_secs(28) && wait <= Duration::from_secs(30));
        assert_eq!(
            retry_after(&with_retry_after("Wed, 21 Oct 2015 07:28:00 GMT")),
            Some(Duration::ZERO)
        );
        assert_eq!(retry_after(&with_retry_after("soon")), None);
    }

    #[test]
    fn only_transient_answers_and_failures_are_retried() {
        let none = HeaderMap::new();
        for status in [200, 202, 400, 404, 409, 500] {
            let status = StatusCode::from_u16(status).unwrap();
            assert_eq!(wait_before_retry(Outcome::Answer(status, &none), 0), None);
        }
        for status in [429, 502, 503, 504] {
            let status = StatusCode::from_u16(status).unwrap();
            assert!(wait_before_retry(Outcome::Answer(status, &none), 0).is_some());
        }
        assert!(wait_before_retry(Outcome::Failed, 0).is_some());
        assert_eq!(wait_before_retry(Outcome::TimedOut, 0), None);
    }

    #[test]
    fn the_upstreams_wait_is_honoured_up_to_the_limit() {
        let asked = with_retry_after("2");
        let wait = wait_before_retry(Outcome::Answer(StatusCode::SERVICE_UNAVAILABLE, &asked), 0);
        assert_eq!(wait, Some(Duration::from_secs(2)));
        let too_long = with_retry_after("3600");
        let wait = wait_before_retry(Outcome::Answer(StatusCode::TOO_MANY_REQUESTS, &too_long), 0);
        assert_eq!(wait, None);
    }

    #[test]
    fn backoff_grows_and_stays_bounded() {
        for attempt in 0..40 {
            let ceiling = BASE_BACKOFF
                .saturating_mul(1 << attempt.min(16))
                .min(MAX_WAIT);
            assert!(backoff(attempt) <= ceiling);
        }
    }

    #[test]
    fn only_idempotent_methods_are_sent_twice() {
        assert!(is_idempotent(&Method::GET) && is_idempotent(&Method::DELETE));
        assert!(!is_idempotent(&Method::POST) && !is_idempotent(&Method::PATCH));
    }
}
