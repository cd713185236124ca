//! Inbound authentication for adapters that declare `authentication`: API key (header or
//! query), bearer token, or basic credentials, compared in constant time.

use axum::http::{HeaderMap, header};
use subtle::ConstantTimeEq;

/// What a request must present.
#[derive(Clone)]
pub enum InboundAuth {
    /// An API key in a header or query parameter.
    ApiKey {
        /// Header or query parameter name.
        name: String,
        /// Whether the key is read from the query string (else from a header).
        in_query: bool,
        /// The expected key.
        value: String,
    },
    /// `Authorization: Bearer <token>`.
    Bearer(String),
    /// `Authorization: Basic <base64(user:password)>`.
    Basic {
        /// Expected user name.
        username: String,
        /// Expected password.
        password: String,
    },
}

impl std::fmt::Debug for InboundAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self {
            InboundAuth::ApiKey { .. } => "api key",
            InboundAuth::Bearer(_) => "bearer",
            InboundAuth::Basic { .. } => "basic",
        };
        write!(f, "InboundAuth({kind}, [redacted])")
    }
}

fn same(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

impl InboundAuth {
    /// Whether the request carries the expected credentials.
    pub fn allows(&self, headers: &HeaderMap, query: Option<&str>) -> bool {
        match self {
            InboundAuth::ApiKey {
                name,
                in_query: true,
                value,
            } => crate::support::params::parse_query(query)
                .get(name.as_str())
                .and_then(|values| values.first())
                .is_some_and(|it| same(it, value)),
            InboundAuth::ApiKey {
                name,
                in_query: false,
                value,
            } => headers
                .get(name.as_str())
                .and_then(|it| it.to_str().ok())
                .is_some_and(|it| same(it, value)),
            InboundAuth::Bearer(token) => {
                authorization(headers, "bearer").is_some_and(|it| same(it, token))
            }
            InboundAuth::Basic { username, password } => {
                use base64::Engine as _;
                let expected = base64::engine::general_purpose::STANDARD
                    .encode(format!("{username}:{password}"));
                authorization(headers, "basic").is_some_and(|it| same(it, &expected))
            }
        }
    }
}

fn authorization<'a>(headers: &'a HeaderMap, scheme: &str) -> Option<&'a str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (given, credentials) = value.split_once(' ')?;
    given
        .eq_ignore_ascii_case(scheme)
        .then_some(credentials.trim())
}
