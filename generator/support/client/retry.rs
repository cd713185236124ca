//! Retrying requests: off until [`Client::with_retry`](crate::Client::with_retry) sets a
//! [`RetryPolicy`]. Then idempotent requests (GET, HEAD, PUT, DELETE, OPTIONS) are sent again
//! after a connection that failed or broke, or a 429, 502, 503 or 504 answer, waiting the
//! server's `Retry-After` (429 and 503; a longer wait than the policy's longest is not waited:
//! the answer is returned) or an exponential backoff with full jitter. A timeout is not retried
//! (the whole timeout has already passed once); POST and PATCH are never sent twice; multipart
//! bodies are sent once.

// A client without operations sends nothing: the policy is then only configuration.
#![allow(dead_code)]

use std::hash::BuildHasher;
use std::time::{Duration, SystemTime};

use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::{Method, StatusCode};

/// How requests are retried. Off by default; [`RetryPolicy::default`] retries twice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    max_retries: u32,
    initial_backoff: Duration,
    max_wait: Duration,
}

impl Default for RetryPolicy {
    /// Two retries, backoff from 100 ms, waits of at most 10 s.
    fn default() -> Self {
        RetryPolicy {
            max_retries: 2,
            initial_backoff: Duration::from_millis(100),
            max_wait: Duration::from_secs(10),
        }
    }
}

impl RetryPolicy {
    /// At most `max_retries` retries after the first try.
    pub fn new(max_retries: u32) -> Self {
        RetryPolicy {
            max_retries,
            ..RetryPolicy::default()
        }
    }

    /// The first backoff; each retry doubles it (before jitter).
    pub fn initial_backoff(mut self, backoff: Duration) -> Self {
        self.initial_backoff = backoff;
        self
    }

    /// The longest backoff, and the longest `Retry-After` waited.
    pub fn max_wait(mut self, wait: Duration) -> Self {
        self.max_wait = wait;
        self
    }

    /// The retries after the first try.
    pub fn max_retries(&self) -> u32 {
        self.max_retries
    }

    /// Whether a request with this method may be sent twice.
    pub(crate) fn applies_to(&self, method: &Method) -> bool {
        self.max_retries > 0
            && matches!(
                *method,
                Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS
            )
    }

    /// The wait before retry `attempt + 1` after an answer, or `None` when it is final.
    pub(crate) fn after_answer(
        &self,
        status: StatusCode,
        headers: &HeaderMap,
        attempt: u32,
    ) -> Option<Duration> {
        match status.as_u16() {
            429 | 503 => match retry_after(headers) {
                Some(wait) if wait <= self.max_wait => Some(wait),
                Some(_) => None,
                None => Some(self.backoff(attempt)),
            },
            502 | 504 => Some(self.backoff(attempt)),
            _ => None,
        }
    }

    /// A random wait in `[0, initial_backoff · 2^attempt]`, at most `max_wait`.
    pub(crate) fn backoff(&self, attempt: u32) -> Duration {
        let ceiling = self
            .initial_backoff
            .saturating_mul(1 << attempt.min(16))
            .min(self.max_wait);
        // A fresh `RandomState` is randomly keyed: enough randomness for jitter.
        let random = std::collections::hash_map::RandomState::new().hash_one(attempt);
        let nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
        Duration::from_nanos(random % nanos.max(1))
    }
}

/// `Retry-After` as seconds or as an HTTP date; a date in the past is no wait.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(
        at.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}
