//! End-to-end tests of what capgen generates, in two test targets.
//!
//! - `tests/rest/` (`--test rest`): the generated servers (`generated/*-server`). Each test
//!   starts the Durable Functions test upstream (`durable-functions-fake`) in-process, and a
//!   generated server binary as a real process from `<target dir>/debug/`, then talks to the
//!   server over HTTP.
//! - `tests/client/` (`--test client`): the generated typed client
//!   (`generated/durable-functions-client`) on the wire, through a recording reverse proxy,
//!   against Prism mocking the seed OpenAPI document and the bundled contract (seed + overlay),
//!   and against the test upstream. Each test checks the exact request sent (path encoding,
//!   query, where the `code` key goes) and the typed decoding of each documented status.
//!
//! Build the binaries first (the servers, and `capgen`, which bundles the contract Prism
//! mocks), and install Prism with `npm ci` in `tests/tools`:
//!
//! ```sh
//! cargo build --workspace --bins && cargo test -p capgen-e2e
//! ```
//!
//! This library is intentionally empty.
