//! End to end: the generated typed client (`generated/durable-functions-client`) on the wire.
//!
//! Every request goes through a recording reverse proxy, so each test checks the exact request
//! the client sent (method, target with its percent-encoding and query, headers, body, where the
//! `code` key went) and how `send()` decoded the answer.
//!
//! - `mock.rs`: every operation against Prism mocking the seed document
//!   (`specs/durable-functions/openapi.yaml`) and the bundled contract (seed + overlay, from
//!   `capgen bundle`): Prism's default answer, then each documented status asked for with
//!   `Prefer: code=N`, each decoded into its typed variant.
//! - `upstream.rs`: scenarios against the Durable Functions test upstream
//!   (`durable-functions-fake`, in-process): the statuses only a stateful service gives.
//! - `credentials.rs`: where the keys go, and that no error shows them.
//! - `transport.rs`: another HTTP stack under the client (`with_transport`).
//! - `retry.rs`: `with_retry` and `with_hooks` against a scripted upstream (attempts counted,
//!   waits timed).
//! - `spans.rs`: the `tracing` span of each call.
//!
//! Needs Prism (`npm ci` in `tests/tools`) and the `capgen` binary (`cargo build -p capgen`).

mod harness;

mod credentials;
mod mock;
mod retry;
mod spans;
mod transport;
mod upstream;
