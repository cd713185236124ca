//! Load shedding: at most `--max-in-flight` REST requests and MCP tool calls are answered at
//! once by this process; one more is refused at once (REST: 503 problem+json with
//! `Retry-After`; MCP: a tool error saying when to retry) instead of waiting in an unbounded
//! queue while the upstream struggles.

use std::sync::atomic::{AtomicUsize, Ordering};

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use crate::support::problem::Problem;

/// The seconds a refused caller is told to wait.
pub const RETRY_AFTER_SECONDS: u64 = 1;

static LIMIT: AtomicUsize = AtomicUsize::new(usize::MAX);
static IN_FLIGHT: AtomicUsize = AtomicUsize::new(0);

/// Sets the most requests answered at once (0: no limit).
pub fn configure(limit: usize) {
    let limit = if limit == 0 { usize::MAX } else { limit };
    LIMIT.store(limit, Ordering::Relaxed);
}

/// A place among the requests answered, or `None` when they are all taken.
pub fn admit() -> Option<Permit> {
    let before = IN_FLIGHT.fetch_add(1, Ordering::AcqRel);
    if before >= LIMIT.load(Ordering::Relaxed) {
        IN_FLIGHT.fetch_sub(1, Ordering::AcqRel);
        return None;
    }
    Some(Permit(()))
}

/// Held while a request is answered.
pub struct Permit(());

impl Drop for Permit {
    fn drop(&mut self) {
        IN_FLIGHT.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The REST answer to a request refused for load.
pub fn overloaded() -> Response {
    let mut response = Problem::new(
        axum::http::StatusCode::SERVICE_UNAVAILABLE,
        "Service Unavailable",
        "the server is answering as many requests as it may; retry later",
    )
    .into_response();
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECONDS));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_beyond_the_limit_are_refused_until_one_ends() {
        configure(2);
        let first = admit();
        let second = admit();
        assert!(first.is_some() && second.is_some());
        assert!(admit().is_none());
        drop(first);
        assert!(admit().is_some());
        configure(0);
        let many: Vec<_> = (0..100).map(|_| admit()).collect();
        assert!(many.iter().all(Option::is_some));
        drop(second);
        let response = overloaded();
        assert_eq!(response.status(), 503);
        assert_eq!(response.headers()[header::RETRY_AFTER], "1");
    }
}
