//! Orchestrated `steps` of an exposed operation, a tool or an aggregate function: each `call`
//! step bound to its consumed operation, each `lookup` to the step it searches, each `script`
//! to its files, and for every step the earlier steps it reads (so the runtime may run
//! independent steps concurrently).

use std::collections::BTreeSet;

use indexmap::IndexMap;

use crate::load::capability::interpret::template_names;
use crate::load::capability::model::{
    OperationStep, OutputParameter, ScriptStep, StepMapping, WithValue,
};
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

/// Binds `steps` and `mappings`; `None` when a step cannot be generated (a `script` step in a
/// language capgen does not run) or is in error (both reported here).
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
            OperationStep::Script(script) => {
                let arguments = script
                    .with
                    .iter()
                    .map(|(key, value)| Argument {
                        consumed: key.clone(),
                        source: with_source(ctx, value, owner.namespace),
                    })
                    .collect();
                match script_step(ctx, script, &pointer, arguments) {
                    Ok(kind) => {
                        // The script sees every earlier output: it waits for all of them.
                        let reads = bound.iter().map(|it| it.name.clone()).collect();
                        (kind, reads)
                    }
                    Err(ScriptProblem::LeftOut) => return None,
                    Err(ScriptProblem::Invalid) => {
                        ok = false;
                        continue;
                    }
                }
            }
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

/// The engine's defaults when `management.scripting` sets no limit.
const DEFAULT_SCRIPT_TIMEOUT_MS: u64 = 60_000;
const DEFAULT_STATEMENT_LIMIT: u64 = 100_000;

/// Why a `script` step is not bound.
enum ScriptProblem {
    /// It cannot run here (a language capgen does not run, no language or location): the item
    /// holding it is left out, with a warning.
    LeftOut,
    /// It is written wrong (reported as an error).
    Invalid,
}

/// A `script` step, its language and location defaulted from the control adapter's
/// `management.scripting` as the engine does.
fn script_step(
    ctx: &mut Ctx<'_>,
    script: &ScriptStep,
    pointer: &str,
    arguments: Vec<Argument>,
) -> Result<StepKind, ScriptProblem> {
    let settings = ctx.cap.scripting().map(|(_, it)| it).unwrap_or_default();
    let name = &script.name;
    let Some(language) = script
        .language
        .clone()
        .or_else(|| settings.default_language.clone())
    else {
        let message = format!("script step `{name}` has no `language`; it is left out");
        ctx.report(
            Diagnostic::warning(Code::ScriptStep, message).with_help(
                "set `language: javascript` on the step or `management.scripting.defaultLanguage` on a control adapter",
            ),
            pointer.to_owned(),
        );
        return Err(ScriptProblem::LeftOut);
    };
    let at_language = if script.language.is_some() {
        format!("{pointer}/language")
    } else {
        pointer.to_owned()
    };
    if !settings.allowed_languages.is_empty() && !settings.allowed_languages.contains(&language) {
        let message = format!(
            "script step `{name}` uses `{language}`, which `management.scripting.allowedLanguages` does not allow; it is left out"
        );
        ctx.report(Diagnostic::warning(Code::ScriptStep, message), at_language);
        return Err(ScriptProblem::LeftOut);
    }
    if language != "javascript" && language != "js" {
        let message = format!(
            "`{language}` script steps are not supported: capgen runs JavaScript only; the operation or tool holding `{name}` (and what `ref`s it) is left out"
        );
        ctx.report(
            Diagnostic::warning(Code::UnsupportedConstruct, message)
                .with_help("rewrite the script in JavaScript (`language: javascript`)"),
            at_language,
        );
        return Err(ScriptProblem::LeftOut);
    }
    let Some(location) = script
        .location
        .clone()
        .or_else(|| settings.default_location.clone())
    else {
        let message = format!("script step `{name}` has no `location`; it is left out");
        ctx.report(
            Diagnostic::warning(Code::ScriptStep, message).with_help(
                "set `location: file:///…` on the step or `management.scripting.defaultLocation` on a control adapter",
            ),
            pointer.to_owned(),
        );
        return Err(ScriptProblem::LeftOut);
    };
    let mut valid = true;
    if !location.starts_with("file:///") {
        let message = format!("script location `{location}` is not a `file:///` directory");
        ctx.report(
            Diagnostic::error(Code::ScriptStep, message),
            format!("{pointer}/location"),
        );
        valid = false;
    }
    let file = script.file.clone().unwrap_or_default();
    let mut paths = vec![(file.as_str(), format!("{pointer}/file"))];
    for (index, dependency) in script.dependencies.iter().enumerate() {
        paths.push((dependency, format!("{pointer}/dependencies/{index}")));
    }
    for (path, at) in paths {
        if !is_relative_script_path(path) {
            let message = format!(
                "script path `{path}` is not a relative path of plain names (`[A-Za-z0-9._-]+` separated by `/`, no `.` or `..`)"
            );
            ctx.report(Diagnostic::error(Code::ScriptStep, message), at);
            valid = false;
        }
    }
    if !valid {
        return Err(ScriptProblem::Invalid);
    }
    Ok(StepKind::Script {
        location,
        file,
        dependencies: script.dependencies.clone(),
        arguments,
        timeout_ms: settings.timeout.unwrap_or(DEFAULT_SCRIPT_TIMEOUT_MS),
        statement_limit: settings.statement_limit.unwrap_or(DEFAULT_STATEMENT_LIMIT),
        enabled: settings.enabled,
    })
}

/// A script path as the schema allows it: plain names separated by `/`.
fn is_relative_script_path(path: &str) -> bool {
    !path.is_empty()
        && path.split('/').all(|segment| {
            !segment.is_empty()
                && segment != "."
                && segment != ".."
                && segment
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
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
    fn script_paths_are_plain_relative_names() {
        for fine in ["a.js", "lib/array-utils.js", "v1.2/x_y-z.js"] {
            assert!(is_relative_script_path(fine), "{fine}");
        }
        for refused in [
            "",
            "/etc/passwd",
            "../x.js",
            "a/./b.js",
            "a//b.js",
            "a b.js",
            "a\\b.js",
        ] {
            assert!(!is_relative_script_path(refused), "{refused}");
        }
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
