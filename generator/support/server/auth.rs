//! Inbound authentication for adapters that declare `authentication`: API key (header or
//! query), bearer token, or basic credentials, compared in constant time.

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderMap, header};
use axum::middleware::Next;
use axum::response::IntoResponse;
use subtle::ConstantTimeEq;

use crate::support::problem::Problem;

/// `router` answering 401 problem+json to requests `auth` does not allow (as is, without one).
pub fn guarded(router: Router, auth: Option<InboundAuth>) -> Router {
    let Some(auth) = auth else {
        return router;
    };
    router.layer(axum::middleware::from_fn(
        move |request: Request, next: Next| {
            let allowed = auth.allows(request.headers(), request.uri().query());
            async move {
                if allowed {
                    next.run(request).await
                } else {
                    Problem::unauthorized().into_response()
                }
            }
        },
    ))
}

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
    /// The query parameter that carries the credential, when it goes in the query.
    pub fn query_name(&self) -> Option<&str> {
        match self {
            InboundAuth::ApiKey {
                name,
                in_query: true,
                ..
            } => Some(name),
            _ => None,
        }
    }

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

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(
                *name,
                HeaderValue::from_str(value).unwrap_or(HeaderValue::from_static("")),
            );
        }
        map
    }

    #[test]
    fn api_keys_in_a_header_or_the_query() {
        let header = InboundAuth::ApiKey {
            name: "x-key".to_owned(),
            in_query: false,
            value: "k/1".to_owned(),
        };
        assert!(header.allows(&headers(&[("x-key", "k/1")]), None));
        assert!(!header.allows(&headers(&[("x-key", "k/2")]), None));
        assert!(!header.allows(&headers(&[]), Some("x-key=k/1")));
        let query = InboundAuth::ApiKey {
            name: "key".to_owned(),
            in_query: true,
            value: "k/1".to_owned(),
        };
        assert!(query.allows(&headers(&[]), Some("a=1&key=k%2F1")));
        assert!(!query.allows(&headers(&[]), Some("key=k2")));
    }

    #[test]
    fn bearer_and_basic_credentials() {
        let bearer = InboundAuth::Bearer("t0k".to_owned());
        assert!(bearer.allows(&headers(&[("authorization", "Bearer t0k")]), None));
        assert!(bearer.allows(&headers(&[("authorization", "bearer t0k")]), None));
        assert!(!bearer.allows(&headers(&[("authorization", "Bearer nope")]), None));
        assert!(!bearer.allows(&headers(&[("authorization", "Basic t0k")]), None));
        let basic = InboundAuth::Basic {
            username: "ada".to_owned(),
            password: "pw".to_owned(),
        };
        // base64("ada:pw")
        assert!(basic.allows(&headers(&[("authorization", "Basic YWRhOnB3")]), None));
        assert!(!basic.allows(&headers(&[("authorization", "Basic YWRhOnB4")]), None));
    }

    #[test]
    fn debug_never_shows_the_credential() {
        let text = format!("{:?}", InboundAuth::Bearer("s3cret".to_owned()));
        assert!(!text.contains("s3cret"), "{text}");
    }
}
