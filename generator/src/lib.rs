//! capgen: reads an OpenAPI document and Naftiko capabilities, joins them into one model, and
//! emits a typed client crate, an axum + MCP server crate per capability, and MCP tool tables.
//!
//! The pipeline runs one way:
//!
//! ```text
//! load/  (source files, OpenAPI + overlays, capabilities, diagnostics)
//!   -> model/  (the intermediate model and the join)
//!     -> emit/  (client, server, mcp; templates/ for non-Rust files)
//! ```
//!
//! Library code never panics on input: every problem is a [`load::diagnostics::Diagnostic`].

pub mod emit;
pub mod load;
pub mod model;
pub mod pipeline;
pub mod plan;
pub mod write;
