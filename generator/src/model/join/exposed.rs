//! The exposed side of the join: REST operations and MCP tools bound to consumed operations.

use std::collections::BTreeMap;

use heck::ToKebabCase;
use indexmap::IndexMap;
use serde_json::{Map, Value, json};

use crate::load::capability::model::{
    AggregateFunction, ExposesMcp, ExposesRest, McpTool, McpToolHints, McpToolInputParameter,
    OperationStep, OutputParameter, ParamLocation, ParamType, StepMapping, WithValue,
};
use crate::load::diagnostics::{Code, Diagnostic, pointer_join};
use crate::model::capability::{
    Annotations, Argument, Call, ConsumedApi, Forward, Input, Location, McpAdapter, Origin,
    OutputShape, RestAdapter, RestOperation, Tool, ValueSource,
};
use crate::model::join::steps::{self, Owner};
use crate::model::join::{
    Ctx, auth, bound_value, normalize_template, output, schema, template_key, template_variables,
};

/// Finds the consumed operation a `call` names.
pub(super) fn resolve_call(
    ctx: &mut Ctx<'_>,
    consumes: &[ConsumedApi],
    call: &str,
    pointer: &str,
) -> Option<Call> {
    let (namespace, operation) = call.split_once('.').unwrap_or((call, ""));
    let Some((api_idx, api)) = consumes
        .iter()
        .enumerate()
        .find(|(_, it)| it.namespace == namespace)
    else {
        let known: Vec<&str> = consumes.iter().map(|it| it.namespace.as_str()).collect();
        let message = format!("`call: {call}` names no consumed namespace `{namespace}`");
        let help = format!("consumed namespaces: {}", known.join(", "));
        ctx.report(
            Diagnostic::error(Code::UnknownCall, message).with_help(help),
            pointer,
        );
        return None;
    };
    let exact = api.operations.iter().position(|it| it.name == operation);
    let index = match exact {
        Some(index) => index,
        None => {
            let Some(index) = api
                .operations
                .iter()
                .position(|it| it.name.eq_ignore_ascii_case(operation))
            else {
                let known: Vec<&str> = api.operations.iter().map(|it| it.name.as_str()).collect();
                let message =
                    format!("`call: {call}`: `{namespace}` has no operation `{operation}`");
                let help = format!("operations of `{namespace}`: {}", known.join(", "));
                ctx.report(
                    Diagnostic::error(Code::UnknownCall, message).with_help(help),
                    pointer,
                );
                return None;
            };
            let message = format!(
                "`{operation}` matches `{}` only when case is ignored",
                api.operations[index].name
            );
            ctx.report(
                Diagnostic::warning(Code::CaseInsensitiveMatch, message),
                pointer,
            );
            index
        }
    };
    Some(Call {
        namespace: namespace.to_owned(),
        operation: api.operations[index].name.clone(),
        api: api_idx,
        index,
    })
}

/// Reads a `with` value: `<adapter namespace>.x` (or, seed dialect, any `prefix.x` whose prefix is
/// not a bind namespace) is the exposed input `x`; `{{X}}` a variable or input; the rest literal.
fn with_source(ctx: &mut Ctx<'_>, value: &WithValue) -> ValueSource {
    let text = match value {
        WithValue::Number(number) => return ValueSource::Literal(Value::Number(number.clone())),
        WithValue::String(text) => text,
    };
    let is_reference = text.split_once('.').is_some_and(|(prefix, name)| {
        !prefix.is_empty()
            && !name.is_empty()
            && text
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
            && !ctx
                .cap
                .all_binds()
                .iter()
                .any(|(_, bind)| bind.namespace == prefix)
    });
    if is_reference {
        let name = text.split_once('.').map(|it| it.1).unwrap_or_default();
        return ValueSource::Input(name.to_owned());
    }
    if let Some(inner) = text
        .trim()
        .strip_prefix("{{")
        .and_then(|it| it.strip_suffix("}}"))
    {
        let inner = inner.trim();
        return match bound_value(ctx, text) {
            ValueSource::Secret(it) => ValueSource::Secret(it),
            _ if !inner.contains('.') => ValueSource::Input(inner.to_owned()),
            other => other,
        };
    }
    bound_value(ctx, text)
}

fn declared_schema(
    ty: Option<ParamType>,
    consumed: Option<&Input>,
    ctx: &mut Ctx<'_>,
    pointer: &str,
) -> Value {
    match (ty, consumed) {
        (Some(ty), Some(input)) if !schema::compatible(ty, &input.schema) => {
            let message = format!(
                "declared `{ty}`, but the consumed input `{}` is `{}`; the declared type wins",
                input.name,
                schema::schema_type(&input.schema).unwrap_or("?")
            );
            ctx.report(
                Diagnostic::warning(Code::TypeConflict, message),
                format!("{pointer}/type"),
            );
            schema::declared_schema(Some(ty))
        }
        // A consumed input the capability does not type (no OpenAPI document) says nothing
        // against the declared type.
        (Some(ty), Some(input)) if is_untyped(&input.schema) => schema::declared_schema(Some(ty)),
        (_, Some(input)) => input.schema.clone(),
        (ty, None) => schema::declared_schema(ty),
    }
}

/// A schema that constrains nothing (at most a description).
fn is_untyped(schema: &Value) -> bool {
    schema.as_object().is_some_and(|object| {
        object
            .keys()
            .all(|key| matches!(key.as_str(), "description" | "title"))
    })
}

/// Binds every consumed input of `call` for one exposed item. `lookup` finds or creates the
/// exposed input for a name (returning its exposed name); it is called with the consumed input.
/// `declared` lists the inputs the item declares (path variables included), when it declares
/// any: a `with` value naming another one is then an error, not a new inferred input.
fn bind_arguments(
    ctx: &mut Ctx<'_>,
    consumes: &[ConsumedApi],
    call: &Call,
    with: &IndexMap<String, WithValue>,
    pointer: &str,
    declared: Option<&[String]>,
    exposed: &mut dyn FnMut(&mut Ctx<'_>, Option<&str>, &Input) -> String,
) -> Vec<Argument> {
    let operation = &consumes[call.api].operations[call.index];
    let mut arguments = Vec::new();
    for (key, value) in with {
        let at = pointer_join(&format!("{pointer}/with"), key);
        let consumed = operation
            .inputs
            .iter()
            .find(|it| it.name == *key)
            .or_else(|| {
                let found = operation
                    .inputs
                    .iter()
                    .find(|it| it.name.eq_ignore_ascii_case(key));
                if let Some(found) = found {
                    let message = format!(
                        "`with` key `{key}` matches the input `{}` only when case is ignored",
                        found.name
                    );
                    ctx.report_key(
                        Diagnostic::warning(Code::CaseInsensitiveMatch, message),
                        at.clone(),
                    );
                }
                found
            });
        let Some(consumed) = consumed else {
            // The engine puts every `with` entry into the call's parameters, where templates
            // may read it; one that nothing reads is passed on, but probably a mistake.
            let known: Vec<&str> = operation.inputs.iter().map(|it| it.name.as_str()).collect();
            let message = format!(
                "`with` key `{key}` is neither an input of `{}.{}` nor read by its templates; it is passed on unused",
                call.namespace, call.operation
            );
            let help = if known.is_empty() {
                "the operation has no inputs".to_owned()
            } else {
                format!("its inputs: {}", known.join(", "))
            };
            ctx.report_key(
                Diagnostic::warning(Code::UnknownWithInput, message).with_help(help),
                at,
            );
            let source = with_source(ctx, value);
            arguments.push(Argument {
                consumed: key.clone(),
                source,
            });
            continue;
        };
        let source = match with_source(ctx, value) {
            ValueSource::Input(name) => {
                if let Some(declared) = declared
                    && !declared.iter().any(|it| it.eq_ignore_ascii_case(&name))
                {
                    let message = format!(
                        "`with` value `{}` names `{name}`, which is not an input of this operation",
                        match value {
                            WithValue::String(text) => text.as_str(),
                            WithValue::Number(_) => "",
                        }
                    );
                    ctx.report(
                        Diagnostic::error(Code::UnknownWithInput, message)
                            .with_help(format!("declared inputs: {}", declared.join(", "))),
                        at,
                    );
                    continue;
                }
                ValueSource::Input(exposed(ctx, Some(&name), consumed))
            }
            other => other,
        };
        arguments.push(Argument {
            consumed: consumed.name.clone(),
            source,
        });
    }
    for input in &operation.inputs {
        if input.fixed.is_some() || arguments.iter().any(|it| it.consumed == input.name) {
            continue;
        }
        let name = exposed(ctx, None, input);
        arguments.push(Argument {
            consumed: input.name.clone(),
            source: ValueSource::Input(name),
        });
    }
    arguments
}

pub fn rest_adapter(
    ctx: &mut Ctx<'_>,
    consumes: &[ConsumedApi],
    adapter: &ExposesRest,
    pointer: &str,
) -> RestAdapter {
    let inbound_auth = adapter
        .authentication
        .as_ref()
        .and_then(|it| auth(ctx, it, &format!("{pointer}/authentication"), true));
    let mut operations = Vec::new();
    let mut routes: BTreeMap<(String, String), String> = BTreeMap::new();
    for (ri, resource) in adapter.resources.iter().enumerate() {
        let resource_pointer = format!("{pointer}/resources/{ri}");
        let path = normalize_template(&resource.path);
        for (oi, op) in resource.operations.iter().enumerate() {
            let op_pointer = format!("{resource_pointer}/operations/{oi}");
            let method = op.method.as_str().to_owned();
            let item = resolve_item(
                ctx,
                Item {
                    reference: op.reference.as_deref(),
                    call: op.call.as_deref(),
                    with: &op.with,
                    outputs: &op.output_parameters,
                    steps: &op.steps,
                    mappings: &op.mappings,
                    namespace: &adapter.namespace,
                    pointer: &op_pointer,
                },
            );
            let Some(item) = item else {
                continue;
            };
            let orchestrated = match orchestrate(ctx, consumes, &item) {
                Some(None) => continue,
                other => other.flatten(),
            };
            let call = match item.call {
                _ if orchestrated.is_some() => None,
                Some(call_text) => {
                    let at = if op.call.is_some() {
                        format!("{op_pointer}/call")
                    } else {
                        format!("{op_pointer}/ref")
                    };
                    let Some(call) = resolve_call(ctx, consumes, call_text, &at) else {
                        continue;
                    };
                    Some(call)
                }
                None if item.mock => None,
                None => {
                    let message =
                        format!("`{method} {path}` calls no consumed operation (no `call`)");
                    ctx.report(Diagnostic::error(Code::NoCall, message), op_pointer);
                    continue;
                }
            };
            let route = (method.clone(), template_key(&path));
            if let Some(first) = routes.get(&route) {
                let message = format!("`{method} {path}` is exposed twice (first at {first})");
                ctx.report(
                    Diagnostic::error(Code::DuplicateRoute, message),
                    format!("{op_pointer}/method"),
                );
                continue;
            }
            routes.insert(route, op_pointer.clone());

            let declared = resource
                .input_parameters
                .iter()
                .chain(op.input_parameters.iter());
            let mut inputs: Vec<Input> = declared.map(rest_input).collect();
            // A referenced function's arguments are path variables when the path names them,
            // else query parameters, unless declared otherwise.
            let path_names = template_variables(&path);
            for param in item.function_inputs {
                if !inputs.iter().any(|it| it.name == param.name) {
                    let location = if path_names.contains(&param.name) {
                        Location::Path
                    } else {
                        Location::Query
                    };
                    let mut input = function_input(param, location);
                    input.required |= location == Location::Path;
                    inputs.push(input);
                }
            }
            let path_vars = template_variables(&path);
            // Inputs the operation declares (its own, its resource's, its function's, the path's);
            // an operation that declares none has them inferred (seed dialect).
            let declares_inputs = !resource.input_parameters.is_empty()
                || !op.input_parameters.is_empty()
                || !item.function_inputs.is_empty();
            let declared_names: Option<Vec<String>> = declares_inputs.then(|| {
                let mut names: Vec<String> = inputs.iter().map(|it| it.name.clone()).collect();
                for var in &path_vars {
                    if !names.contains(var) {
                        names.push(var.clone());
                    }
                }
                names
            });
            let mut inferred = Vec::new();
            let mut exposed = |ctx: &mut Ctx<'_>,
                               wanted: Option<&str>,
                               consumed: &Input|
             -> String {
                let wanted = wanted.unwrap_or(&consumed.name);
                if let Some(existing) = inputs.iter_mut().find(|it| it.name == wanted) {
                    if existing.origin == Origin::Declared && consumed.origin == Origin::OpenApi {
                        existing.schema = refine(&existing.schema, &consumed.schema);
                    }
                    return existing.name.clone();
                }
                if let Some(var) = path_vars.iter().find(|it| it.eq_ignore_ascii_case(wanted)) {
                    if var != wanted {
                        let message = format!(
                            "path variable `{{{var}}}` is bound to the input `{wanted}` (case ignored)"
                        );
                        ctx.report(
                            Diagnostic::note(Code::CaseInsensitiveMatch, message),
                            format!("{resource_pointer}/path"),
                        );
                    }
                    inputs.push(Input {
                        name: var.clone(),
                        location: Location::Path,
                        required: true,
                        ..consumed.clone()
                    });
                    return var.clone();
                }
                let location = match consumed.location {
                    Location::Path => Location::Query,
                    other => other,
                };
                inferred.push(format!("`{wanted}` ({})", location_label(location)));
                // A variable of a body template is read from the same-named field of the body.
                let body_path = (consumed.origin == Origin::Template && location == Location::Body)
                    .then(|| field_path(wanted));
                inputs.push(Input {
                    name: wanted.to_owned(),
                    location,
                    origin: Origin::OpenApi,
                    required: consumed.required,
                    body_path,
                    ..consumed.clone()
                });
                wanted.to_owned()
            };
            let arguments = match &call {
                Some(call) => bind_arguments(
                    ctx,
                    consumes,
                    call,
                    item.with,
                    &op_pointer,
                    declared_names.as_deref(),
                    &mut exposed,
                ),
                None => Vec::new(),
            };
            for var in &path_vars {
                if call.is_some()
                    && !inputs
                        .iter()
                        .any(|it| it.name == *var && it.location == Location::Path)
                {
                    let message = format!("path variable `{{{var}}}` is not passed upstream");
                    ctx.report(
                        Diagnostic::warning(Code::InferredInput, message),
                        format!("{resource_pointer}/path"),
                    );
                }
            }
            // Path variables are always inputs (the route cannot match without them).
            for var in &path_vars {
                if !inputs.iter().any(|it| it.name == *var) {
                    inputs.push(Input {
                        name: var.clone(),
                        location: Location::Path,
                        required: true,
                        schema: json!({"type": "string"}),
                        description: None,
                        origin: Origin::PathTemplate,
                        fixed: None,
                        body_path: None,
                    });
                }
            }
            if !inferred.is_empty() {
                let message = format!(
                    "request inputs inferred from the consumed operation: {}",
                    inferred.join(", ")
                );
                ctx.report(
                    Diagnostic::note(Code::InferredInput, message),
                    format!("{op_pointer}/method"),
                );
            }
            inputs.sort_by_key(|it| it.location);
            let (steps, output) = match orchestrated {
                Some((steps, shape)) => (Some(steps), shape),
                None => (None, output::shape(item.outputs, item.mock)),
            };
            check_mapped_format(ctx, consumes, call.as_ref(), &output, &op_pointer);
            let consumed_description = call
                .as_ref()
                .and_then(|it| consumes[it.api].operations[it.index].description.clone());
            operations.push(RestOperation {
                name: op.name.clone().unwrap_or_else(|| {
                    format!("{}-{}", method.to_lowercase(), path.to_kebab_case())
                }),
                method,
                path: path.clone(),
                summary: op.label.clone(),
                description: op
                    .description
                    .clone()
                    .or_else(|| item.description.clone())
                    .or(consumed_description),
                call,
                steps,
                inputs,
                arguments,
                output,
                pointer: op_pointer,
            });
        }
    }
    let forwards = adapter
        .resources
        .iter()
        .enumerate()
        .filter_map(|(ri, resource)| {
            let config = resource.forward.as_ref()?;
            forward(
                ctx,
                consumes,
                resource,
                config,
                &format!("{pointer}/resources/{ri}"),
            )
        })
        .collect();
    RestAdapter {
        namespace: adapter.namespace.clone(),
        address: adapter.address.clone(),
        port: adapter.port,
        inbound_auth,
        operations,
        forwards,
        pointer: pointer.to_owned(),
    }
}

/// A resource's `forward`: its path must be a prefix, optionally followed by one `{path}`
/// variable (the rest of the request path, slashes included).
fn forward(
    ctx: &mut Ctx<'_>,
    consumes: &[ConsumedApi],
    resource: &crate::load::capability::model::ExposedResource,
    config: &crate::load::capability::model::ForwardConfig,
    pointer: &str,
) -> Option<Forward> {
    let at = format!("{pointer}/forward/targetNamespace");
    let Some(api) = consumes
        .iter()
        .position(|it| it.namespace == config.target_namespace)
    else {
        let known: Vec<&str> = consumes.iter().map(|it| it.namespace.as_str()).collect();
        let message = format!(
            "`forward` names no consumed namespace `{}`",
            config.target_namespace
        );
        ctx.report(
            Diagnostic::error(Code::UnknownCall, message)
                .with_help(format!("consumed namespaces: {}", known.join(", "))),
            at,
        );
        return None;
    };
    if !resource.operations.is_empty() {
        let message = format!(
            "`{}` has operations and a `forward`: the operations are served, the forward is not",
            resource.path
        );
        ctx.report_key(
            Diagnostic::warning(Code::UnsupportedConstruct, message),
            format!("{pointer}/forward"),
        );
        return None;
    }
    let path = normalize_template(&resource.path);
    let variables = template_variables(&path);
    let (prefix, below) = match variables.as_slice() {
        [] => (path.clone(), false),
        [last] if path.ends_with(&format!("/{{{last}}}")) => {
            (path[..path.len() - last.len() - 3].to_owned(), true)
        }
        _ => {
            let message = format!(
                "a `forward` path is a prefix with at most one trailing variable (`/notion/{{path}}`); `{}` is not",
                resource.path
            );
            ctx.report(
                Diagnostic::error(Code::UnsupportedConstruct, message),
                format!("{pointer}/path"),
            );
            return None;
        }
    };
    Some(Forward {
        prefix: if prefix.is_empty() {
            "/".to_owned()
        } else {
            prefix
        },
        below,
        api,
        trusted_headers: config.trusted_headers.clone(),
        description: resource.description.clone(),
        pointer: pointer.to_owned(),
    })
}

/// The JSONPath of a top-level field.
fn field_path(name: &str) -> String {
    if name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit())
    {
        format!("$.{name}")
    } else {
        format!("$['{}']", name.replace('\\', "\\\\").replace('\'', "\\'"))
    }
}

/// The richer OpenAPI schema of a consumed input, keeping the `pattern` the capability declares.
fn refine(declared: &Value, openapi: &Value) -> Value {
    let mut res = openapi.clone();
    if let (Some(pattern), Value::Object(object)) = (declared.get("pattern"), &mut res) {
        object.insert("pattern".to_owned(), pattern.clone());
    }
    res
}

/// An exposed REST input parameter as declared.
fn rest_input(param: &crate::load::capability::model::ExposedInputParameter) -> Input {
    let location = match param.location {
        ParamLocation::Path => Location::Path,
        ParamLocation::Header => Location::Header,
        ParamLocation::Cookie => Location::Cookie,
        ParamLocation::Body => Location::Body,
        ParamLocation::Query | ParamLocation::Environment => Location::Query,
    };
    let mut schema = schema::declared_schema(param.ty);
    if let (Some(pattern), Value::Object(object)) = (&param.pattern, &mut schema) {
        object.insert("pattern".to_owned(), Value::String(pattern.clone()));
    }
    Input {
        name: param.name.clone(),
        location,
        required: param.location == ParamLocation::Path,
        schema,
        description: param.description.clone(),
        origin: Origin::Declared,
        fixed: None,
        body_path: if location == Location::Body {
            param.value.clone()
        } else {
            None
        },
    }
}

/// An argument of an aggregate function (or a tool) as an input at `location`.
fn function_input(param: &McpToolInputParameter, location: Location) -> Input {
    Input {
        name: param.name.clone(),
        location,
        required: param.required,
        schema: schema::declared_schema(param.ty),
        description: param.description.clone(),
        origin: Origin::Declared,
        fixed: None,
        body_path: None,
    }
}

/// An exposed operation or tool, before `ref` is resolved.
struct Item<'c> {
    reference: Option<&'c str>,
    call: Option<&'c str>,
    with: &'c IndexMap<String, WithValue>,
    outputs: &'c [OutputParameter],
    steps: &'c [OperationStep],
    mappings: &'c [StepMapping],
    /// The exposing adapter's namespace (`<namespace>.x` in its steps names an input).
    namespace: &'c str,
    pointer: &'c str,
}

/// What an exposed operation or tool does once its `ref` is resolved: its own fields win, the
/// aggregate function supplies the rest.
struct Resolved<'c> {
    call: Option<&'c str>,
    with: &'c IndexMap<String, WithValue>,
    outputs: &'c [OutputParameter],
    /// Orchestrated steps (the item's own, or its function's) and where they are written.
    steps: Option<OwnSteps<'c>>,
    /// No `call` and output `value`s: the outputs are the answer.
    mock: bool,
    function_inputs: &'c [McpToolInputParameter],
    description: Option<String>,
    function: Option<&'c AggregateFunction>,
}

struct OwnSteps<'c> {
    owner: Owner<'c>,
    steps: &'c [OperationStep],
    mappings: &'c [StepMapping],
}

/// Resolves `ref`; `None` for unknown refs (C205, reported by the loader).
fn resolve_item<'c>(ctx: &Ctx<'c>, item: Item<'c>) -> Option<Resolved<'c>> {
    let function = item.reference.and_then(|reference| {
        let (namespace, name) = reference.split_once('.')?;
        ctx.cap
            .aggregates()
            .iter()
            .enumerate()
            .find(|(_, it)| it.namespace == namespace)
            .and_then(|(a, aggregate)| {
                let (f, function) = aggregate
                    .functions
                    .iter()
                    .enumerate()
                    .find(|(_, it)| it.name == name)?;
                Some((a, f, aggregate.namespace.as_str(), function))
            })
    });
    if item.reference.is_some() && function.is_none() {
        return None;
    }
    let steps = if !item.steps.is_empty() {
        Some(OwnSteps {
            owner: Owner {
                pointer: item.pointer.to_owned(),
                namespace: item.namespace,
            },
            steps: item.steps,
            mappings: item.mappings,
        })
    } else {
        function
            .filter(|(_, _, _, it)| !it.steps.is_empty() && item.call.is_none())
            .map(|(a, f, namespace, it)| OwnSteps {
                owner: Owner {
                    pointer: format!("/capability/aggregates/{a}/functions/{f}"),
                    namespace,
                },
                steps: &it.steps,
                mappings: &it.mappings,
            })
    };
    let function = function.map(|(_, _, _, it)| it);
    let call = match steps {
        Some(_) => None,
        None => item.call.or(function.and_then(|it| it.call.as_deref())),
    };
    let with = if item.with.is_empty() {
        function.map(|it| &it.with).unwrap_or(item.with)
    } else {
        item.with
    };
    let outputs = if item.outputs.is_empty() {
        function
            .map(|it| it.output_parameters.as_slice())
            .unwrap_or(item.outputs)
    } else {
        item.outputs
    };
    let mock =
        steps.is_none() && call.is_none() && !outputs.is_empty() && outputs.iter().all(has_value);
    Some(Resolved {
        call,
        with,
        outputs,
        steps,
        mock,
        function_inputs: function
            .map(|it| it.input_parameters.as_slice())
            .unwrap_or_default(),
        description: function.and_then(|it| it.description.clone()),
        function,
    })
}

/// The orchestration of a resolved item, with its output shape; `None` for items without
/// steps, `Some(None)` for steps that cannot be generated.
fn orchestrate(
    ctx: &mut Ctx<'_>,
    consumes: &[ConsumedApi],
    item: &Resolved<'_>,
) -> Option<Option<(crate::model::capability::Orchestration, OutputShape)>> {
    let own = item.steps.as_ref()?;
    let orchestration = steps::orchestration(
        ctx,
        consumes,
        &own.owner,
        own.steps,
        own.mappings,
        item.outputs,
    );
    Some(orchestration.map(|orchestration| {
        let shape = if orchestration.mappings.is_empty() {
            OutputShape::Passthrough
        } else {
            OutputShape::Orchestrated {
                schema: output::orchestrated_schema(item.outputs),
            }
        };
        (orchestration, shape)
    }))
}

/// Output mappings need the upstream body as JSON: an `outputRawFormat` capgen cannot convert
/// is an error where it is mapped.
fn check_mapped_format(
    ctx: &mut Ctx<'_>,
    consumes: &[ConsumedApi],
    call: Option<&Call>,
    output: &OutputShape,
    pointer: &str,
) {
    use crate::model::capability::RawFormat;
    let (Some(call), OutputShape::Mapped { .. }) = (call, output) else {
        return;
    };
    let consumed = &consumes[call.api].operations[call.index];
    let format = match consumed.format {
        RawFormat::Avro => "avro",
        RawFormat::Protobuf => "protobuf",
        _ => return,
    };
    let message = format!(
        "output mappings over `outputRawFormat: {format}` (`{}.{}`) are not supported: capgen does not decode {format} payloads",
        call.namespace, call.operation
    );
    ctx.report_key(
        Diagnostic::error(Code::UnsupportedFormat, message).with_help(
            "remove the outputParameters to pass the payload through as received, or have the upstream answer JSON",
        ),
        format!("{pointer}/outputParameters"),
    );
}

/// Whether a mock output parameter (or every property of one) carries a `value`.
fn has_value(param: &OutputParameter) -> bool {
    if param.value.is_some() || param.constant.is_some() {
        return true;
    }
    if let Some(properties) = &param.properties
        && !properties.is_empty()
    {
        return properties.values().all(has_value);
    }
    match &param.items {
        Some(crate::load::capability::model::OutputItems::One(item)) => has_value(item),
        Some(crate::load::capability::model::OutputItems::Many(items)) => {
            !items.is_empty() && items.iter().all(has_value)
        }
        None => false,
    }
}

fn location_label(location: Location) -> &'static str {
    match location {
        Location::Path => "path",
        Location::Query => "query",
        Location::Header => "header",
        Location::Cookie => "cookie",
        Location::Body => "body",
    }
}

pub fn mcp_adapter(
    ctx: &mut Ctx<'_>,
    consumes: &[ConsumedApi],
    adapter: &ExposesMcp,
    pointer: &str,
) -> McpAdapter {
    let inbound_auth = adapter
        .authentication
        .as_ref()
        .and_then(|it| auth(ctx, it, &format!("{pointer}/authentication"), true));
    let mut tools = Vec::new();
    for (ti, tool) in adapter.tools.iter().enumerate() {
        let tool_pointer = format!("{pointer}/tools/{ti}");
        if let Some(built) = mcp_tool(ctx, consumes, tool, &adapter.namespace, &tool_pointer) {
            tools.push(built);
        }
    }
    McpAdapter {
        namespace: adapter.namespace.clone(),
        address: adapter.address.clone(),
        port: adapter.port,
        stdio: matches!(
            adapter.transport,
            Some(crate::load::capability::model::McpTransport::Stdio)
        ),
        description: adapter.description.clone(),
        inbound_auth,
        tools,
        resources: super::resources::resources(
            ctx,
            consumes,
            &adapter.resources,
            &adapter.namespace,
            pointer,
        ),
        prompts: super::resources::prompts(ctx, &adapter.prompts, pointer),
        pointer: pointer.to_owned(),
    }
}

/// Whether `name` is a valid MCP tool name (1–128 characters of `[A-Za-z0-9_.-]`).
pub fn valid_tool_name(name: &str) -> bool {
    (1..=128).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

fn title_of(name: &str) -> String {
    let words = name.replace(['-', '_', '.'], " ");
    let mut chars = words.trim().chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A valid MCP tool name close to `name`: invalid characters become `-`, cut to 128.
fn suggest_tool_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-') {
                c
            } else {
                '-'
            }
        })
        .collect();
    let trimmed = cleaned.trim_matches('-');
    let base = if trimmed.is_empty() { "tool" } else { trimmed };
    base.chars().take(128).collect()
}

/// The tool's hints: an aggregate function's `semantics` first (`safe` → read-only and not
/// destructive, `idempotent` → idempotent), then the tool's own `hints`, field by field.
fn tool_hints(tool: &McpTool, function: Option<&AggregateFunction>) -> McpToolHints {
    let mut hints = McpToolHints::default();
    if let Some(semantics) = function.and_then(|it| it.semantics.as_ref()) {
        if let Some(safe) = semantics.safe {
            hints.read_only = Some(safe);
            hints.destructive = Some(!safe);
        }
        hints.idempotent = semantics.idempotent;
    }
    if let Some(own) = &tool.hints {
        hints.read_only = own.read_only.or(hints.read_only);
        hints.destructive = own.destructive.or(hints.destructive);
        hints.idempotent = own.idempotent.or(hints.idempotent);
        hints.open_world = own.open_world.or(hints.open_world);
    }
    hints
}

fn mcp_tool(
    ctx: &mut Ctx<'_>,
    consumes: &[ConsumedApi],
    tool: &McpTool,
    namespace: &str,
    pointer: &str,
) -> Option<Tool> {
    let item = resolve_item(
        ctx,
        Item {
            reference: tool.reference.as_deref(),
            call: tool.call.as_deref(),
            with: &tool.with,
            outputs: &tool.output_parameters,
            steps: &tool.steps,
            mappings: &tool.mappings,
            namespace,
            pointer,
        },
    )?;
    let orchestrated = match orchestrate(ctx, consumes, &item) {
        Some(None) => return None,
        other => other.flatten(),
    };
    let name = tool
        .name
        .clone()
        .or_else(|| item.function.map(|it| it.name.clone()))
        .unwrap_or_default();
    if !valid_tool_name(&name) {
        let message = format!(
            "`{name}` is not a valid MCP tool name (1–128 characters of A–Z, a–z, 0–9, `_`, `-`, `.`)"
        );
        let at = if tool.name.is_some() {
            format!("{pointer}/name")
        } else {
            pointer.to_owned()
        };
        ctx.report(
            Diagnostic::error(Code::InvalidToolName, message)
                .with_help(format!("name it `{}`", suggest_tool_name(&name))),
            at,
        );
    }
    let call = match item.call {
        _ if orchestrated.is_some() => None,
        Some(call_text) => {
            let at = if tool.call.is_some() {
                format!("{pointer}/call")
            } else {
                format!("{pointer}/ref")
            };
            Some(resolve_call(ctx, consumes, call_text, &at)?)
        }
        None if item.mock => None,
        None => {
            let message = format!("tool `{name}` calls no consumed operation (no `call`)");
            ctx.report(Diagnostic::error(Code::NoCall, message), pointer.to_owned());
            return None;
        }
    };
    let declared_params = if tool.input_parameters.is_empty() {
        item.function_inputs
    } else {
        tool.input_parameters.as_slice()
    };
    let params_pointer = if tool.input_parameters.is_empty() {
        None
    } else {
        Some(format!("{pointer}/inputParameters"))
    };
    let mut inputs: Vec<Input> = Vec::new();
    let declared: Vec<(usize, &McpToolInputParameter)> =
        declared_params.iter().enumerate().collect();
    let consumed_op = call
        .as_ref()
        .map(|call| consumes[call.api].operations[call.index].clone());
    let mut inferred = Vec::new();
    let mut exposed = |ctx: &mut Ctx<'_>, wanted: Option<&str>, consumed: &Input| -> String {
        let wanted = wanted.unwrap_or(&consumed.name).to_owned();
        if inputs.iter().any(|it| it.name == wanted) {
            return wanted;
        }
        match declared.iter().find(|(_, it)| it.name == wanted) {
            Some((idx, param)) => {
                let at = params_pointer
                    .as_ref()
                    .map(|it| format!("{it}/{idx}"))
                    .unwrap_or_else(|| pointer.to_owned());
                inputs.push(Input {
                    name: wanted.clone(),
                    location: consumed.location,
                    required: param.required,
                    schema: declared_schema(param.ty, Some(consumed), ctx, &at),
                    description: param
                        .description
                        .clone()
                        .or_else(|| consumed.description.clone()),
                    origin: Origin::Declared,
                    fixed: None,
                    body_path: None,
                });
            }
            None => {
                inferred.push(format!("`{wanted}`"));
                inputs.push(Input {
                    name: wanted.clone(),
                    ..consumed.clone()
                });
            }
        }
        wanted
    };
    let declared_names: Option<Vec<String>> =
        (!declared.is_empty()).then(|| declared.iter().map(|(_, it)| it.name.clone()).collect());
    let arguments = match &call {
        Some(call) => bind_arguments(
            ctx,
            consumes,
            call,
            item.with,
            pointer,
            declared_names.as_deref(),
            &mut exposed,
        ),
        None => Vec::new(),
    };
    for (idx, param) in &declared {
        if inputs.iter().any(|it| it.name == param.name) {
            continue;
        }
        // The engine copies every argument into the call's parameters, where the consumed
        // operation's templates may read it; only a tool that calls something can use it.
        if let (Some(at), Some(call_text)) = (&params_pointer, item.call)
            && !reads_argument(consumed_op.as_ref(), &param.name)
        {
            let message = format!(
                "argument `{}` is declared but not passed to `{call_text}`",
                param.name
            );
            ctx.report(
                Diagnostic::warning(Code::InferredInput, message),
                format!("{at}/{idx}"),
            );
        }
        inputs.push(function_input(param, Location::Query));
    }
    if !inferred.is_empty() {
        let message = format!(
            "tool arguments inferred from the consumed operation: {}",
            inferred.join(", ")
        );
        let at = if tool.name.is_some() {
            format!("{pointer}/name")
        } else {
            pointer.to_owned()
        };
        ctx.report(Diagnostic::note(Code::InferredInput, message), at);
    }
    let (steps, output) = match orchestrated {
        Some((steps, shape)) => (Some(steps), shape),
        None => (None, output::shape(item.outputs, item.mock)),
    };
    let result_headers = consumed_op
        .as_ref()
        .map(success_headers)
        .unwrap_or_default();
    let openapi = consumed_op.as_ref().and_then(|it| it.openapi.as_ref());
    let (output_schema, wrap_result) = match (&output, openapi) {
        (
            OutputShape::Mapped {
                schema: declared, ..
            }
            | OutputShape::Mock {
                schema: declared, ..
            }
            | OutputShape::Orchestrated { schema: declared },
            _,
        ) => {
            if output::is_object_root(declared) {
                (Some(declared.clone()), false)
            } else {
                (Some(wrap_schema(declared, &[])), true)
            }
        }
        (OutputShape::Passthrough, Some(openapi)) if !openapi.success_without_body => {
            match openapi.success_schema.as_ref() {
                // Objects are returned as they are; anything else gets an object root, which also
                // leaves room for the response headers (a paging token).
                Some(schema) if root_type(schema) == Some("object") => {
                    (Some(inline_root(schema)), false)
                }
                Some(schema) => (Some(wrap_schema(schema, &result_headers)), true),
                None => (None, false),
            }
        }
        _ => (None, false),
    };
    let result_headers = if wrap_result && matches!(output, OutputShape::Passthrough) {
        result_headers
    } else {
        Vec::new()
    };
    let hints = tool_hints(tool, item.function);
    let description = tool
        .description
        .clone()
        .or_else(|| item.description.clone());
    Some(Tool {
        name: name.clone(),
        title: tool.label.clone().unwrap_or_else(|| title_of(&name)),
        description,
        input_schema: input_schema(&inputs),
        output_schema,
        wrap_result,
        result_headers,
        annotations: Annotations {
            read_only_hint: hints.read_only_or_default(),
            destructive_hint: hints.destructive_or_default(),
            idempotent_hint: hints.idempotent_or_default(),
            open_world_hint: hints.open_world_or_default(),
        },
        call,
        steps,
        inputs,
        arguments,
        output,
        pointer: pointer.to_owned(),
    })
}

/// Whether the consumed operation's declared request reads `name` (a parameter or a template
/// variable).
fn reads_argument(op: Option<&crate::model::capability::ConsumedOperation>, name: &str) -> bool {
    op.is_some_and(|op| {
        op.inputs.iter().any(|it| it.name == name)
            || op.request.parameters.iter().any(|it| it.name == name)
    })
}

/// The type of a schema's root, following a root `$ref` into its own `$defs`.
fn root_type(schema: &Value) -> Option<&str> {
    let mut current = schema;
    for _ in 0..8 {
        let Some(name) = current
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|it| it.strip_prefix("#/$defs/"))
        else {
            return schema::schema_type(current);
        };
        current = schema.get("$defs")?.get(name)?;
    }
    None
}

/// MCP requires `type: object` at the root of an output schema: a root that is only a `$ref`
/// into its own `$defs` is replaced by the definition (which stays in `$defs` for recursion).
fn inline_root(schema: &Value) -> Value {
    let target = schema
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|it| it.strip_prefix("#/$defs/"));
    let Some(definition) = target.and_then(|name| schema.get("$defs")?.get(name)) else {
        return schema.clone();
    };
    let mut res = definition.clone();
    if let (Value::Object(object), Some(defs)) = (&mut res, schema.get("$defs")) {
        object.insert("$defs".to_owned(), defs.clone());
    }
    res
}

/// Moves the `$defs` of `schema` into `defs` and returns the schema without them.
fn hoist_defs(schema: &Value, defs: &mut Map<String, Value>) -> Value {
    let mut schema = schema.clone();
    if let Some(Value::Object(own)) = schema.as_object_mut().and_then(|it| it.remove("$defs")) {
        for (name, def) in own {
            defs.entry(name).or_insert(def);
        }
    }
    schema
}

fn input_schema(inputs: &[Input]) -> Value {
    let mut defs = Map::new();
    let mut properties = Map::new();
    let mut required = Vec::new();
    for input in inputs {
        let mut property = hoist_defs(&input.schema, &mut defs);
        if let (Some(description), Value::Object(object)) = (&input.description, &mut property)
            && !object.contains_key("description")
        {
            object.insert("description".to_owned(), Value::String(description.clone()));
        }
        properties.insert(input.name.clone(), property);
        if input.required {
            required.push(Value::String(input.name.clone()));
        }
    }
    let mut schema =
        json!({"type": "object", "properties": properties, "additionalProperties": false});
    if !required.is_empty() {
        schema["required"] = Value::Array(required);
    }
    if !defs.is_empty() {
        schema["$defs"] = Value::Object(defs);
    }
    schema
}

/// Headers documented on any 2xx response, in document order.
fn success_headers(op: &crate::model::capability::ConsumedOperation) -> Vec<String> {
    let mut res: Vec<String> = Vec::new();
    let responses = op.openapi.iter().flat_map(|it| it.responses.iter());
    for response in responses.filter(|it| it.status.starts_with('2')) {
        for (name, _) in &response.headers {
            if !res.iter().any(|it| it.eq_ignore_ascii_case(name)) {
                res.push(name.clone());
            }
        }
    }
    res
}

fn wrap_schema(schema: &Value, headers: &[String]) -> Value {
    let mut defs = Map::new();
    let inner = hoist_defs(schema, &mut defs);
    let mut res =
        json!({"type": "object", "properties": {"result": inner}, "required": ["result"]});
    if !headers.is_empty() {
        let properties: Map<String, Value> = headers
            .iter()
            .map(|name| (name.clone(), json!({"type": "string"})))
            .collect();
        res["properties"]["headers"] = json!({
            "type": "object",
            "description": "Response headers of the upstream API that matter to the caller (paging tokens, polling hints)",
            "properties": properties,
            "additionalProperties": false,
        });
    }
    if !defs.is_empty() {
        res["$defs"] = Value::Object(defs);
    }
    res
}

/// Tool names are unique within a capability.
pub fn check_unique_tools(ctx: &mut Ctx<'_>, adapters: &[McpAdapter]) {
    let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
    for tool in adapters.iter().flat_map(|it| it.tools.iter()) {
        if let Some(first) = seen.get(tool.name.as_str()) {
            let message = format!("tool name `{}` is used twice (first at {first})", tool.name);
            ctx.report(
                Diagnostic::error(Code::DuplicateTool, message),
                format!("{}/name", tool.pointer),
            );
            continue;
        }
        seen.insert(&tool.name, &tool.pointer);
    }
}
