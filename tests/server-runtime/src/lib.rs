//! The server runtime capgen copies into every generated server crate
//! (`generator/support/server/`), compiled here once with every optional feature on, so that its
//! unit tests run once rather than in each generated crate (whose binaries set `test = false`).

#![allow(dead_code)]

pub mod support;
