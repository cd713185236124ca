//! End-to-end tests of the servers capgen generates (`generated/*-server`).
//!
//! The tests live in `tests/rest/`: each starts the Durable Functions test upstream
//! (`durable-functions-fake`) in-process, and a generated server binary as a real process
//! from `<target dir>/debug/`, then talks to the server over HTTP. Build the binaries first:
//!
//! ```sh
//! cargo build --workspace --bins && cargo test -p capgen-e2e
//! ```
//!
//! This library is intentionally empty.
