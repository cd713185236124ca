//! `src/routes.rs` and `src/tools.rs` of a server crate: the REST route table, the URL links
//! used to rewrite upstream management URLs, and the MCP tool bindings, as static data the
//! hand-written runtime interprets.

use std::collections::BTreeSet;

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::emit::server::operations::Calls;
use crate::model::capability::{
    Argument, CapabilityModel, Input, Location, OutputShape, ValueSource,
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
        OutputShape::Passthrough => quote! { None },
        OutputShape::Mapped { parameter } => {
            let text = parameter.to_string();
            quote! { Some(#text) }
        }
    }
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
    quote! { crate::support::params::InputSpec { name: #name, location: #location, required: #required, schema: #schema } }
}

/// `src/routes.rs`.
pub fn routes(model: &CapabilityModel, calls: &Calls) -> TokenStream {
    let mut routes = Vec::new();
    let mut links = Vec::new();
    let mut linked = BTreeSet::new();
    for op in model.rest.iter().flat_map(|it| it.operations.iter()) {
        let Some(call) = calls.function(op.call.api, op.call.index) else {
            continue;
        };
        let call = format_ident!("{call}");
        let (name, method, path) = (&op.name, &op.method, &op.path);
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
                call: crate::operations::#call,
                output: #output,
            }
        });
        let consumed = &model.consumes[op.call.api].operations[op.call.index];
        let Some(openapi) = &consumed.openapi else {
            continue;
        };
        if !linked.insert(openapi.path.clone()) {
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
        let variables: Vec<TokenStream> = crate::model::join::template_variables(&openapi.path)
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
        let consumed_path = &openapi.path;
        links.push(quote! {
            crate::support::rewrite::RouteLink {
                consumed_path: #consumed_path,
                exposed_path: #path,
                variables: &[#(#variables),*],
                query: &[#(#query),*],
            }
        });
    }
    quote! {
        //! The REST route table and the links that map upstream URLs onto it.

        use crate::operations::Upstream;
        use crate::support::rest::RouteSpec;
        use crate::support::rewrite::RouteLink;

        /// One entry per exposed REST operation.
        pub static ROUTES: &[RouteSpec<Upstream>] = &[#(#routes),*];

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
            let call = format_ident!("{}", calls.function(tool.call.api, tool.call.index)?);
            let name = &tool.name;
            let args = arguments(&tool.arguments);
            let output = output(&tool.output);
            let wrap = tool.wrap_result;
            let headers = &tool.result_headers;
            Some(quote! {
                crate::support::mcp::ToolSpec {
                    name: #name,
                    arguments: &[#(#args),*],
                    call: crate::operations::#call,
                    output: #output,
                    wrap_result: #wrap,
                    result_headers: &[#(#headers),*],
                }
            })
        })
        .collect();
    quote! {
        //! The MCP tool bindings: each tool of `mcp-tools.json` and the consumed operation it calls.

        use crate::operations::Upstream;
        use crate::support::mcp::ToolSpec;

        /// One entry per tool, in `tools/list` order.
        pub static TOOLS: &[ToolSpec<Upstream>] = &[#(#tools),*];
    }
}
