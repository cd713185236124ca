//! Request handling of a generated server's REST adapter (the runtime in
//! `generator/support/server`): route matching (trailing slashes, case-insensitive literals),
//! strict percent-decoding of path segments, query and header parsing, type coercion and schema
//! validation, JSON body inputs, the call's arguments, and URL rewriting and secret scrubbing of
//! the answer. The upstream is a function that answers with the upstream's own URLs and the
//! secret in its body and headers; every answer must lose both, and every answer the server
//! makes itself (4xx) must be problem+json.
//!
//! Input: the method on the first line, the request target on the second, `name: value` header
//! lines, an empty line, then the body.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| capgen_fuzz::server::request_target(data));
