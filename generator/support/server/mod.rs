//! Hand-written runtime shared by every capgen-generated server, copied in verbatim.
//!
//! A capability need not use every part (inbound authentication, header inputs, literal
//! arguments), so parts unused by one server are not dead code in general.

#![allow(dead_code)]

pub mod admission;
pub mod app;
pub mod auth;
pub mod binds;
pub mod control;
pub mod declared;
pub mod formats;
pub mod http_client;
pub mod log_format;
pub mod logs;
pub mod mapping;
pub mod mcp;
pub mod metrics;
pub mod mustache;
pub mod params;
pub mod problem;
pub mod prompts;
pub mod resources;
pub mod rest;
pub mod retry;
pub mod rewrite;
pub mod scripts;
pub mod skills;
pub mod steps;
pub mod upstream;
