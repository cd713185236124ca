//! Loading input documents: source files, OpenAPI documents (with overlays) and Naftiko
//! capabilities. Everything here reports problems as diagnostics against the input files.

pub mod capability;
pub mod diagnostics;
pub mod openapi;
pub mod source;
