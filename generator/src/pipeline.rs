//! One generation run: load the documents of a [`Plan`], build the model, run the emitters.
//!
//! Nothing here writes files; callers get an [`Output`] only when no error was reported.

use std::path::Path;

use crate::emit::Output;
use crate::load::diagnostics::Diagnostics;
use crate::load::openapi::{self, OpenApiDocument};
use crate::plan::Plan;

/// Loads the plan's OpenAPI document (with its overlays), if it has one.
pub fn load_openapi(plan: &Plan, diags: &mut Diagnostics) -> Option<OpenApiDocument> {
    let path = plan.openapi.as_ref()?;
    let overlays: Vec<&Path> = plan.overlays.iter().map(|it| it.as_path()).collect();
    openapi::load(path, &overlays, diags)
}

/// Loads and checks every input of the plan without generating anything.
pub fn check(plan: &Plan, diags: &mut Diagnostics) {
    let _ = load_openapi(plan, diags);
}

/// Generates everything the plan asks for. Returns `None` when an error was reported.
pub fn generate(plan: &Plan, diags: &mut Diagnostics) -> Option<Output> {
    let output = Output::new();
    if plan.openapi.is_some() && load_openapi(plan, diags).is_none() {
        return None;
    }
    if diags.has_errors() {
        return None;
    }
    Some(output)
}

/// The model as stable, sorted JSON (`capgen ir`).
pub fn ir(plan: &Plan, diags: &mut Diagnostics) -> Option<serde_json::Value> {
    let doc = load_openapi(plan, diags);
    if diags.has_errors() {
        return None;
    }
    Some(serde_json::json!({ "openapi": doc.map(|it| it.version) }))
}
