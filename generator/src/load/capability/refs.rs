//! In-document `ref`s (C205): a tool or REST operation's `ref: <aggregate>.<function>` must name
//! a function of `capability.aggregates`. The engine refuses to start otherwise. (`call` targets
//! are checked by the join, which also sees imported consumes and the OpenAPI document.)

use std::sync::Arc;

use super::model::{Aggregate, Capability, Exposes};
use crate::load::diagnostics::{Code, Diagnostic, Diagnostics, pointer_join};
use crate::load::source::SourceFile;

/// Reports every `ref` that names no aggregate function of the document.
pub fn check(file: &Arc<SourceFile>, capability: &Capability, diags: &mut Diagnostics) {
    let aggregates = capability.aggregates();
    for (index, adapter) in capability.exposes().iter().enumerate() {
        let pointer = Capability::exposes_pointer(index);
        let mut refs: Vec<(String, &str)> = Vec::new();
        match adapter {
            Exposes::Rest(rest) => {
                for (r, resource) in rest.resources.iter().enumerate() {
                    let resource_pointer = pointer_join(&pointer_join(&pointer, "resources"), r);
                    for (o, operation) in resource.operations.iter().enumerate() {
                        if let Some(reference) = &operation.reference {
                            let op_pointer =
                                pointer_join(&pointer_join(&resource_pointer, "operations"), o);
                            refs.push((pointer_join(&op_pointer, "ref"), reference));
                        }
                    }
                }
            }
            Exposes::Mcp(mcp) => {
                for (t, tool) in mcp.tools.iter().enumerate() {
                    if let Some(reference) = &tool.reference {
                        let tool_pointer = pointer_join(&pointer_join(&pointer, "tools"), t);
                        refs.push((pointer_join(&tool_pointer, "ref"), reference));
                    }
                }
            }
            Exposes::Skill(_) | Exposes::Control(_) => {}
        }
        for (ref_pointer, reference) in refs {
            if let Some(message) = resolve(aggregates, reference) {
                diags.push(
                    Diagnostic::error(Code::UnknownAggregateRef, message).at(file, ref_pointer),
                );
            }
        }
    }
}

/// `None` when `reference` names a declared function, else why not.
fn resolve(aggregates: &[Aggregate], reference: &str) -> Option<String> {
    let Some((namespace, function)) = reference.split_once('.') else {
        return Some(format!(
            "`ref: {reference}` must have the form `<aggregate>.<function>`"
        ));
    };
    let Some(aggregate) = aggregates.iter().find(|it| it.namespace == namespace) else {
        let known: Vec<String> = aggregates
            .iter()
            .map(|it| format!("`{}`", it.namespace))
            .collect();
        let known = if known.is_empty() {
            "none".to_owned()
        } else {
            known.join(", ")
        };
        return Some(format!(
            "`ref: {reference}` names no aggregate: no `aggregates` entry has the namespace \
             `{namespace}` (declared: {known})"
        ));
    };
    if aggregate.functions.iter().any(|it| it.name == function) {
        return None;
    }
    Some(format!(
        "`ref: {reference}`: aggregate `{namespace}` has no function `{function}`"
    ))
}
