//! The intermediate model: what the emitters generate from. Plain data, built once from the
//! loaded documents; emitters never look at `openapiv3` or raw capability structures.

pub mod capability;
pub mod join;
pub mod json_schema;

pub mod api;
pub mod names;
pub mod types;
