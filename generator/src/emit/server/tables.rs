//! `src/routes.rs` and `src/tools.rs` of a server crate: the REST route table, the URL links
//! used to rewrite upstream management URLs, and the MCP tool bindings, as static data the
//! hand-written runtime interprets.

use std::collections::BTreeSet;

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::emit::server::operations::Calls;
use crate::model::capability::{
    Argument, Call, CapabilityModel, Input, Location, Orchestration, Origin, OutputShape, Prompt,
    Resource, ResourceSource, StepKind, ValueSource,
};

fn arguments(arguments: &[Argument]) -> Vec<TokenStream> {
    arguments
        .iter()
        .map(|argument| {
            let consumed = &argument.consumed;
            let source = match &argument.source {
                ValueSource::Input(name) => {
                    quote! { crate::support::upstream::ArgSource::Input(#name) }
                }
                ValueSource::Secret(name) => {
                    quote! { crate::support::upstream::ArgSource::Secret(#name) }
                }
                ValueSource::Template(text) => {
                    quote! { crate::support::upstream::ArgSource::Template(#text) }
                }
                ValueSource::Literal(value) => {
                    let text = value.to_string();
                    quote! { crate::support::upstream::ArgSource::Literal(#text) }
                }
            };
            quote! { crate::support::upstream::ArgSpec { consumed: #consumed, source: #source } }
        })
        .collect()
}

fn output(shape: &OutputShape) -> TokenStream {
    match shape {
        // An orchestration builds its own answer.
        OutputShape::Passthrough | OutputShape::Orchestrated { .. } => {
            quote! { crate::support::mapping::Output::Passthrough }
        }
        OutputShape::Mapped { parameters, .. } => {
            let text = serde_json::Value::Array(parameters.clone()).to_string();
            quote! { crate::support::mapping::Output::Mapped(#text) }
        }
        OutputShape::Mock { parameters, .. } => {
            let text = serde_json::Value::Array(parameters.clone()).to_string();
            quote! { crate::support::mapping::Output::Mock(#text) }
        }
    }
}

/// Whether the call is a declared request (every input reaches its templates).
fn all_inputs(calls: &Calls, call: Option<&Call>) -> bool {
    call.is_some_and(|call| calls.is_declared(call.api, call.index))
}

fn call(calls: &Calls, call: Option<&Call>) -> Option<TokenStream> {
    let Some(call) = call else {
        return Some(quote! { None });
    };
    let function = format_ident!("{}", calls.function(call.api, call.index)?);
    Some(quote! { Some(crate::operations::#function) })
}

/// The `steps` field: `None`, or the orchestration as static data.
fn steps(
    calls: &Calls,
    model: &CapabilityModel,
    steps: Option<&Orchestration>,
) -> Option<TokenStream> {
    let Some(orchestration) = steps else {
        return Some(quote! { None });
    };
    let orchestration = orchestration_ref(calls, model, orchestration)?;
    Some(quote! { Some(#orchestration) })
}

/// `&Orchestration { … }` for the runtime.
fn orchestration_ref(
    calls: &Calls,
    model: &CapabilityModel,
    orchestration: &Orchestration,
) -> Option<TokenStream> {
    let mut tokens = Vec::with_capacity(orchestration.steps.len());
    for step in &orchestration.steps {
        let name = &step.name;
        let after = step
            .after
            .iter()
            .map(|it| proc_macro2::Literal::usize_unsuffixed(*it));
        let kind = match &step.kind {
            StepKind::Call {
                call,
                arguments: with,
                outputs,
            } => {
                let function = format_ident!("{}", calls.function(call.api, call.index)?);
                let operation =
                    format!("{}.{}", model.consumes[call.api].namespace, call.operation);
                let with = arguments(with);
                let outputs = serde_json::Value::Array(outputs.clone()).to_string();
                quote! {
                    crate::support::steps::StepKind::Call {
                        operation: #operation,
                        call: crate::operations::#function,
                        with: &[#(#with),*],
                        outputs: #outputs,
                    }
                }
            }
            StepKind::Lookup {
                index,
                matching,
                value,
                fields,
            } => {
                let index = proc_macro2::Literal::usize_unsuffixed(*index);
                quote! {
                    crate::support::steps::StepKind::Lookup {
                        index: #index,
                        matching: #matching,
                        value: #value,
                        fields: &[#(#fields),*],
                    }
                }
            }
            StepKind::Script {
                location,
                file,
                dependencies,
                arguments: with,
                timeout_ms,
                statement_limit,
                enabled,
            } => {
                let with = arguments(with);
                let enabled = match enabled {
                    Some(it) => quote! { Some(#it) },
                    None => quote! { None },
                };
                quote! {
                    crate::support::steps::StepKind::Script(&crate::support::scripts::ScriptSpec {
                        location: #location,
                        file: #file,
                        dependencies: &[#(#dependencies),*],
                        with: &[#(#with),*],
                        timeout_ms: #timeout_ms,
                        statement_limit: #statement_limit,
                        enabled: #enabled,
                    })
                }
            }
        };
        tokens.push(quote! {
            crate::support::steps::StepSpec { name: #name, after: &[#(#after),*], kind: #kind }
        });
    }
    let mappings = orchestration.mappings.iter().map(|it| {
        let (target, value) = (&it.target, &it.value);
        quote! { crate::support::steps::Mapping { target: #target, value: #value } }
    });
    let outputs = serde_json::Value::Array(orchestration.outputs.clone()).to_string();
    Some(quote! {
        &crate::support::steps::Orchestration {
            steps: &[#(#tokens),*],
            mappings: &[#(#mappings),*],
            outputs: #outputs,
        }
    })
}

fn input(input: &Input) -> TokenStream {
    let name = &input.name;
    let location = match input.location {
        Location::Path => quote! { crate::support::params::Location::Path },
        Location::Query | Location::Cookie => quote! { crate::support::params::Location::Query },
        Location::Header => quote! { crate::support::params::Location::Header },
        Location::Body => quote! { crate::support::params::Location::Body },
    };
    let required = input.required;
    let schema = input.schema.to_string();
    let body = match (&input.body_path, input.origin) {
        (Some(path), _) => quote! { crate::support::params::BodyRead::Path(#path) },
        // A declared body input without `value`: the engine's rule.
        (None, Origin::Declared) if input.location == Location::Body => {
            quote! { crate::support::params::BodyRead::FieldOrWhole }
        }
        (None, _) => quote! { crate::support::params::BodyRead::Whole },
    };
    quote! { crate::support::params::InputSpec { name: #name, location: #location, required: #required, schema: #schema, body: #body } }
}

/// `src/routes.rs`.
pub fn routes(model: &CapabilityModel, calls: &Calls) -> TokenStream {
    let mut routes = Vec::new();
    let mut links = Vec::new();
    let mut linked = BTreeSet::new();
    for op in model.rest.iter().flat_map(|it| it.operations.iter()) {
        let Some(call_fn) = call(calls, op.call.as_ref()) else {
            continue;
        };
        let Some(steps) = steps(calls, model, op.steps.as_ref()) else {
            continue;
        };
        let (name, method, path) = (&op.name, &op.method, &op.path);
        let all_inputs = all_inputs(calls, op.call.as_ref());
        let inputs = op.inputs.iter().map(input);
        let args = arguments(&op.arguments);
        let output = output(&op.output);
        routes.push(quote! {
            crate::support::rest::RouteSpec {
                name: #name,
                method: #method,
                path: #path,
                inputs: &[#(#inputs),*],
                arguments: &[#(#args),*],
                call: #call_fn,
                steps: #steps,
                all_inputs: #all_inputs,
                output: #output,
            }
        });
        let Some(target) = &op.call else {
            continue;
        };
        let consumed = &model.consumes[target.api].operations[target.index];
        let consumed_path = consumed
            .openapi
            .as_ref()
            .map(|it| it.path.clone())
            .unwrap_or_else(|| consumed.path.clone());
        if !linked.insert((target.api, consumed_path.clone())) {
            continue;
        }
        let exposed_of = |consumed_name: &str| {
            op.arguments
                .iter()
                .find(|it| it.consumed.eq_ignore_ascii_case(consumed_name))
                .and_then(|it| match &it.source {
                    ValueSource::Input(name) => Some(name.clone()),
                    _ => None,
                })
        };
        let variables: Vec<TokenStream> = crate::model::join::template_variables(&consumed_path)
            .into_iter()
            .filter_map(|var| exposed_of(&var).map(|exposed| quote! { (#var, #exposed) }))
            .collect();
        let query: Vec<TokenStream> = consumed
            .inputs
            .iter()
            .filter(|it| it.location == Location::Query)
            .filter_map(|it| {
                let from = &it.name;
                exposed_of(from).map(|exposed| quote! { (#from, #exposed) })
            })
            .collect();
        let api = proc_macro2::Literal::usize_unsuffixed(target.api);
        links.push(quote! {
            crate::support::rewrite::RouteLink {
                api: #api,
                consumed_path: #consumed_path,
                exposed_path: #path,
                variables: &[#(#variables),*],
                query: &[#(#query),*],
            }
        });
    }
    let forwards: Vec<TokenStream> = model
        .rest
        .iter()
        .flat_map(|it| &it.forwards)
        .filter_map(|forward| {
            let function = format_ident!("{}", calls.forward_function(forward.api)?);
            let (prefix, below) = (&forward.prefix, forward.below);
            let trusted = &forward.trusted_headers;
            Some(quote! {
                crate::support::rest::ForwardSpec {
                    prefix: #prefix,
                    below: #below,
                    trusted_headers: &[#(#trusted),*],
                    send: crate::operations::#function,
                }
            })
        })
        .collect();
    quote! {
        //! The REST route table and the links that map upstream URLs onto it.

        use crate::operations::Upstream;
        use crate::support::rest::{ForwardSpec, RouteSpec};
        use crate::support::rewrite::RouteLink;

        /// One entry per exposed REST operation.
        pub static ROUTES: &[RouteSpec<Upstream>] = &[#(#routes),*];

        /// The resources that `forward` requests to a consumed API.
        pub static FORWARDS: &[ForwardSpec<Upstream>] = &[#(#forwards),*];

        /// Upstream paths that have an exposed route, for rewriting management URLs.
        pub static LINKS: &[RouteLink] = &[#(#links),*];
    }
}

/// `src/tools.rs`.
pub fn tools(model: &CapabilityModel, calls: &Calls) -> TokenStream {
    let tools: Vec<TokenStream> = model
        .mcp
        .iter()
        .flat_map(|it| it.tools.iter())
        .filter_map(|tool| {
            let call = call(calls, tool.call.as_ref())?;
            let steps = steps(calls, model, tool.steps.as_ref())?;
            let all_inputs = all_inputs(calls, tool.call.as_ref());
            let name = &tool.name;
            let args = arguments(&tool.arguments);
            let output = output(&tool.output);
            let wrap = tool.wrap_result;
            let headers = &tool.result_headers;
            Some(quote! {
                crate::support::mcp::ToolSpec {
                    name: #name,
                    arguments: &[#(#args),*],
                    call: #call,
                    steps: #steps,
                    all_inputs: #all_inputs,
                    output: #output,
                    wrap_result: #wrap,
                    result_headers: &[#(#headers),*],
                }
            })
        })
        .collect();
    let resources: Vec<TokenStream> = model
        .mcp
        .iter()
        .flat_map(|it| it.resources.iter())
        .filter_map(|resource| resource_spec(model, calls, resource))
        .collect();
    let prompts: Vec<TokenStream> = model
        .mcp
        .iter()
        .flat_map(|it| it.prompts.iter())
        .map(prompt_spec)
        .collect();
    quote! {
        //! The MCP bindings: each tool of `mcp-tools.json` and the consumed operation it calls, the
        //! resources and the prompts.

        use crate::operations::Upstream;
        use crate::support::mcp::ToolSpec;
        use crate::support::prompts::PromptSpec;
        use crate::support::resources::ResourceSpec;

        /// One entry per tool, in `tools/list` order.
        pub static TOOLS: &[ToolSpec<Upstream>] = &[#(#tools),*];

        /// The resources, in declaration order (the first whose URI matches is read).
        pub static RESOURCES: &[ResourceSpec<Upstream>] = &[#(#resources),*];

        /// The prompts.
        pub static PROMPTS: &[PromptSpec] = &[#(#prompts),*];
    }
}

fn option(text: Option<&String>) -> TokenStream {
    match text {
        Some(text) => quote! { Some(#text) },
        None => quote! { None },
    }
}

fn resource_spec(
    model: &CapabilityModel,
    calls: &Calls,
    resource: &Resource,
) -> Option<TokenStream> {
    let (name, uri) = (&resource.name, &resource.uri);
    let title = option(resource.title.as_ref());
    let description = option(resource.description.as_ref());
    let mime_type = option(resource.mime_type.as_ref());
    let source = match &resource.source {
        ResourceSource::Directory { location } => {
            quote! { crate::support::resources::ResourceSource::Directory(#location) }
        }
        ResourceSource::Call {
            call: target,
            arguments: args,
            output: shape,
        } => {
            let function = format_ident!("{}", calls.function(target.api, target.index)?);
            let args = arguments(args);
            let all_inputs = all_inputs(calls, Some(target));
            let output = output(shape);
            quote! {
                crate::support::resources::ResourceSource::Call {
                    call: crate::operations::#function,
                    arguments: &[#(#args),*],
                    all_inputs: #all_inputs,
                    output: #output,
                }
            }
        }
        ResourceSource::Steps { orchestration } => {
            let orchestration = orchestration_ref(calls, model, orchestration)?;
            quote! { crate::support::resources::ResourceSource::Steps(#orchestration) }
        }
    };
    Some(quote! {
        crate::support::resources::ResourceSpec {
            name: #name,
            title: #title,
            uri: #uri,
            description: #description,
            mime_type: #mime_type,
            source: #source,
        }
    })
}

fn prompt_spec(prompt: &Prompt) -> TokenStream {
    let name = &prompt.name;
    let title = option(prompt.title.as_ref());
    let description = option(prompt.description.as_ref());
    let file = option(prompt.file.as_ref());
    let arguments = prompt.arguments.iter().map(|it| {
        let name = &it.name;
        let title = option(it.title.as_ref());
        let description = option(it.description.as_ref());
        let required = it.required;
        quote! {
            crate::support::prompts::PromptArgument {
                name: #name,
                title: #title,
                description: #description,
                required: #required,
            }
        }
    });
    let messages = prompt
        .messages
        .iter()
        .map(|(role, content)| quote! { (#role, #content) });
    quote! {
        crate::support::prompts::PromptSpec {
            name: #name,
            title: #title,
            description: #description,
            arguments: &[#(#arguments),*],
            messages: &[#(#messages),*],
            file: #file,
        }
    }
}
