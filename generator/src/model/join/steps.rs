//! Orchestrated `steps` of an exposed operation, a tool or an aggregate function: each `call`
//! step bound to its consumed operation, each `lookup` to the step it searches, and for every
//! step the earlier steps it reads (so the runtime may run independent steps concurrently).

use std::collections::BTreeSet;

use indexmap::IndexMap;

use crate::load::capability::interpret::template_names;
use crate::load::capability::model::{OperationStep, OutputParameter, StepMapping, WithValue};
use crate::load::diagnostics::{Code, Diagnostic};
use crate::model::capability::{
    Argument, ConsumedApi, Orchestration, OutputMapping, Step, StepKind, ValueSource,
};
use crate::model::join::{Ctx, bound_value, exposed, output};

/// Where an orchestration is written and how its `with` values name inputs.
pub struct Owner<'a> {
    /// The JSON pointer of the operation, tool or function that holds `steps`.
    pub pointer: String,
    /// `<namespace>.x` in a `with` value names the input (or step output) `x`: the exposing
    /// adapter's namespace, or the aggregate's for a function's steps.
    pub namespace: &'a str,
}

/// Binds `steps` and `mappings`; `None` when a step cannot be generated (a `script` step,
/// reported by the loader) or is in error (reported here).
pub fn orchestration(
    ctx: &mut Ctx<'_>,
    consumes: &[ConsumedApi],
    owner: &Owner<'_>,
    steps: &[OperationStep],
    mappings: &[StepMapping],
    outputs: &[OutputParameter],
) -> Option<Orchestration> {
    let mut bound: Vec<Step> = Vec::with_capacity(steps.len());
    let mut ok = true;
    for (index, step) in steps.iter().enumerate() {
        let pointer = format!("{}/steps/{index}", owner.pointer);
        let earlier = |name: &str| bound.iter().rposition(|it| it.name == name);
        let (kind, reads) = match step {
            OperationStep::Script(_) => return None,
            OperationStep::Call(call_step) => {
                let Some(call) = exposed::resolve_call(
                    ctx,
                    consumes,
                    &call_step.call,
                    &format!("{pointer}/call"),
                ) else {
                    ok = false;
                    continue;
                };
                let operation = &consumes[call.api].operations[call.index];
                let mut reads = with_reads(&call_step.with, owner.namespace);
                // A declared request reads any call parameter its templates name, and every
                // consumed parameter without a value by its own name.
                let request = serde_json::to_string(&operation.request).unwrap_or_default();
                reads.extend(template_names(&request).iter().map(|it| root(it)));
                reads.extend(operation.inputs.iter().map(|it| it.name.clone()));
                reads.extend(
                    operation
                        .request
                        .parameters
                        .iter()
                        .map(|it| it.name.clone()),
                );
                let arguments = call_step
                    .with
                    .iter()
                    .map(|(key, value)| Argument {
                        consumed: key.clone(),
                        source: with_source(ctx, value, owner.namespace),
                    })
                    .collect();
                let outputs = operation.outputs.clone();
                (
                    StepKind::Call {
                        call,
                        arguments,
                        outputs,
                    },
                    reads,
                )
            }
            OperationStep::Lookup(lookup) => {
                let index_name = lookup.index.as_deref().unwrap_or_default();
                let Some(source) = earlier(index_name) else {
                    let known: Vec<&str> = bound.iter().map(|it| it.name.as_str()).collect();
                    let message = format!(
                        "lookup step `{}` searches `{index_name}`, which is not an earlier step",
                        lookup.name
                    );
                    let help = if known.is_empty() {
                        "a lookup's `index` names a step before it".to_owned()
                    } else {
                        format!("earlier steps: {}", known.join(", "))
                    };
                    ctx.report(
                        Diagnostic::error(Code::UnknownStep, message).with_help(help),
                        format!("{pointer}/index"),
                    );
                    ok = false;
                    continue;
                };
                let value = lookup.lookup_value.clone().unwrap_or_default();
                let mut reads = value_reads(&value, owner.namespace);
                reads.insert(index_name.to_owned());
                (
                    StepKind::Lookup {
                        index: source,
                        matching: lookup.match_field.clone().unwrap_or_default(),
                        value,
                        fields: lookup.output_parameters.clone(),
                    },
                    reads,
                )
            }
        };
        let after: Vec<usize> = bound
            .iter()
            .enumerate()
            .filter(|(_, it)| reads.contains(&it.name))
            .map(|(index, _)| index)
            .collect();
        bound.push(Step {
            name: step.name().to_owned(),
            after,
            kind,
            pointer,
        });
    }
    if !ok {
        return None;
    }
    let mut bound_mappings = Vec::with_capacity(mappings.len());
    for (index, mapping) in mappings.iter().enumerate() {
        let step = mapping
            .value
            .trim()
            .strip_prefix("$.")
            .map(|it| &it[..it.find(['.', '[']).unwrap_or(it.len())]);
        if step.is_none_or(|name| !bound.iter().any(|it| it.name == name)) {
            let known: Vec<&str> = bound.iter().map(|it| it.name.as_str()).collect();
            let message = format!(
                "mapping `{}` reads `{}`, which is not `$.<step name>…` of a step here; it is left out",
                mapping.target_name, mapping.value
            );
            ctx.report(
                Diagnostic::warning(Code::UnknownStep, message)
                    .with_help(format!("steps: {}", known.join(", "))),
                format!("{}/mappings/{index}/value", owner.pointer),
            );
            continue;
        }
        bound_mappings.push(OutputMapping {
            target: mapping.target_name.clone(),
            value: mapping.value.trim().to_owned(),
        });
    }
    Some(Orchestration {
        steps: bound,
        mappings: bound_mappings,
        outputs: outputs.iter().map(output::to_json).collect(),
    })
}

/// A step's `with` value: `<namespace>.x` reads the input or step output `x`; numbers are
/// literal; strings are Mustache over the inputs and step outputs (`{{X}}` of a bind is the
/// bound variable); text without tags is literal.
pub(super) fn with_source(ctx: &mut Ctx<'_>, value: &WithValue, namespace: &str) -> ValueSource {
    let text = match value {
        WithValue::Number(number) => {
            return ValueSource::Literal(serde_json::Value::Number(number.clone()));
        }
        WithValue::String(text) => text,
    };
    if let Some(name) = namespaced(text, namespace) {
        return ValueSource::Input(name.to_owned());
    }
    bound_value(ctx, text)
}

/// `x` of `<namespace>.x`.
fn namespaced<'t>(text: &'t str, namespace: &str) -> Option<&'t str> {
    let name = text.strip_prefix(namespace)?.strip_prefix('.')?;
    (!name.is_empty() && !name.contains("{{") && !name.contains(char::is_whitespace))
        .then_some(name)
}

/// The first segment of a dotted name (the step or input it starts from).
fn root(name: &str) -> String {
    name.split('.').next().unwrap_or(name).to_owned()
}

/// The names a `with` map reads.
fn with_reads(with: &IndexMap<String, WithValue>, namespace: &str) -> BTreeSet<String> {
    let mut res = BTreeSet::new();
    for value in with.values() {
        if let WithValue::String(text) = value {
            res.extend(value_reads(text, namespace));
        }
    }
    res
}

/// The names a value reads: `$.<step>…`, `<namespace>.x`, or the roots of its template tags.
fn value_reads(text: &str, namespace: &str) -> BTreeSet<String> {
    let text = text.trim();
    if let Some(path) = text.strip_prefix("$.") {
        return BTreeSet::from([path[..path.find(['.', '[']).unwrap_or(path.len())].to_owned()]);
    }
    if let Some(name) = namespaced(text, namespace) {
        return BTreeSet::from([name.to_owned()]);
    }
    template_names(text).iter().map(|it| root(it)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_read_steps_inputs_and_template_roots() {
        assert_eq!(
            value_reads("$.get-ship.crew[0].id", "tools"),
            BTreeSet::from(["get-ship".to_owned()])
        );
        assert_eq!(
            value_reads("tools.imo", "tools"),
            BTreeSet::from(["imo".to_owned()])
        );
        assert_eq!(
            value_reads("{{fetch-profile.region}}-{{x}}", "tools"),
            BTreeSet::from(["fetch-profile".to_owned(), "x".to_owned()])
        );
        assert!(value_reads("literal", "tools").is_empty());
    }

    #[test]
    fn only_the_adapter_namespace_names_inputs() {
        assert_eq!(
            namespaced("shipyard.voyage-id", "shipyard"),
            Some("voyage-id")
        );
        assert_eq!(namespaced("other.voyage-id", "shipyard"), None);
        assert_eq!(namespaced("shipyard.", "shipyard"), None);
        assert_eq!(namespaced("shipyardx.a", "shipyard"), None);
    }
}
