//! Hand-written runtime shared by every capgen-generated server, copied in verbatim.

pub mod app;
pub mod auth;
pub mod mapping;
pub mod mcp;
pub mod params;
pub mod problem;
pub mod rest;
pub mod rewrite;
pub mod upstream;
