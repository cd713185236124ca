//! End to end, with real processes: the generated REST servers of both Durable Functions
//! capabilities against the Durable Functions test upstream.
//!
//! Needs the binaries: `cargo build --workspace --bins` before `cargo test -p capgen-e2e`.

mod harness;

mod command_line;
mod entities;
mod hygiene;
mod orchestrations;
mod secrets;
mod upstream_failures;
