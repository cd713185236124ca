//! `src/operations.rs` of a server crate: the upstream (the generated client and/or the
//! declared consumed APIs, with credentials and timeouts) and one call per consumed operation.
//! A joined operation turns the JSON arguments of an exposed operation or tool into a typed
//! client request sent with `send_raw`; any other is sent as the capability declares it, by
//! `support::declared` interpreting the tables of `src/consumes.rs`.

use std::collections::BTreeMap;

use heck::ToSnakeCase;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::emit::client::types::{Site, tokens as type_tokens};
use crate::emit::server::ServerConfig;
use crate::load::diagnostics::{Code, Diagnostic, Diagnostics};
use crate::model::api::{Api, ApiKeyLocation, BodyKind, Operation, ParamLocation, SecurityKind};
use crate::model::capability::{
    Call, CapabilityModel, ConsumedOperation, Input, KeyPlacement, Location, Orchestration,
    OutboundAuth, ResourceSource, StepKind, ValueSource,
};

/// How one used consumed operation is called.
enum Via {
    /// Through the generated client: the index of its API operation.
    Client(usize),
    /// As the capability declares it (`support::declared`).
    Declared,
}

/// Which generated function calls each used consumed operation, and how.
pub struct Calls {
    functions: BTreeMap<(usize, usize), (String, Via)>,
    /// The consumed APIs (by index) that `forward` resources send to, with their function.
    forwards: BTreeMap<usize, String>,
}

impl Calls {
    /// The function for consumed operation `index` of consumed API `api`.
    pub fn function(&self, api: usize, index: usize) -> Option<&str> {
        self.functions.get(&(api, index)).map(|it| it.0.as_str())
    }

    /// Whether some operation goes through the generated client.
    pub fn uses_client(&self) -> bool {
        self.functions
            .values()
            .any(|(_, via)| matches!(via, Via::Client(_)))
    }

    /// Whether some operation (or a `forward`) is sent as declared.
    pub fn uses_declared(&self) -> bool {
        !self.forwards.is_empty()
            || self
                .functions
                .values()
                .any(|(_, via)| matches!(via, Via::Declared))
    }

    /// The function that forwards requests to consumed API `api`.
    pub fn forward_function(&self, api: usize) -> Option<&str> {
        self.forwards.get(&api).map(String::as_str)
    }

    /// Whether consumed operation `index` of API `api` is sent as declared.
    pub fn is_declared(&self, api: usize, index: usize) -> bool {
        self.functions
            .get(&(api, index))
            .is_some_and(|(_, via)| matches!(via, Via::Declared))
    }

    /// The used consumed operations sent as declared, as (api, index).
    pub fn declared(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        self.functions
            .iter()
            .filter(|(_, (_, via))| matches!(via, Via::Declared))
            .map(|(key, _)| *key)
    }
}

/// The consumed operations an orchestration's call steps send.
pub fn step_calls(steps: Option<&Orchestration>) -> impl Iterator<Item = &Call> {
    steps
        .into_iter()
        .flat_map(|it| &it.steps)
        .filter_map(|step| match &step.kind {
            StepKind::Call { call, .. } => Some(call),
            StepKind::Lookup { .. } | StepKind::Script { .. } => None,
        })
}

/// Decides how every consumed operation an exposed item calls is sent: through the generated
/// client when the capability consumes one API and the operation is joined with its OpenAPI
/// document, as declared otherwise.
pub fn plan(model: &CapabilityModel, api: Option<&Api>) -> Calls {
    let mut functions = BTreeMap::new();
    let rest = model.rest.iter().flat_map(|it| &it.operations);
    let tools = model.mcp.iter().flat_map(|it| &it.tools);
    let resources = model.mcp.iter().flat_map(|it| &it.resources);
    let resource_calls = resources.flat_map(|resource| match &resource.source {
        ResourceSource::Call { call, .. } => vec![call],
        ResourceSource::Steps { orchestration } => step_calls(Some(orchestration)).collect(),
        ResourceSource::Directory { .. } => Vec::new(),
    });
    let used = rest
        .clone()
        .filter_map(|op| op.call.as_ref())
        .chain(tools.clone().filter_map(|tool| tool.call.as_ref()))
        .chain(rest.flat_map(|op| step_calls(op.steps.as_ref())))
        .chain(tools.flat_map(|tool| step_calls(tool.steps.as_ref())))
        .chain(resource_calls);
    let client = api.filter(|_| model.consumes.len() == 1);
    for call in used {
        if functions.contains_key(&(call.api, call.index)) {
            continue;
        }
        let consumed = &model.consumes[call.api].operations[call.index];
        let joined = consumed
            .openapi
            .as_ref()
            .zip(client)
            .and_then(|(openapi, api)| {
                api.operations
                    .iter()
                    .position(|op| op.method == openapi.method && op.path == openapi.path)
            });
        let via = match joined {
            Some(index) => Via::Client(index),
            None => Via::Declared,
        };
        let mut name = consumed.name.to_snake_case();
        if model.consumes.len() > 1 {
            name = format!(
                "{}_{name}",
                model.consumes[call.api].namespace.to_snake_case()
            );
        }
        let name = crate::model::names::field_name(&name);
        functions.insert((call.api, call.index), (name, via));
    }
    let forwards = model
        .rest
        .iter()
        .flat_map(|it| &it.forwards)
        .map(|forward| {
            let namespace = model.consumes[forward.api].namespace.to_snake_case();
            let name = crate::model::names::field_name(&format!("forward_to_{namespace}"));
            (forward.api, name)
        })
        .collect();
    Calls {
        functions,
        forwards,
    }
}

/// The consumed input that feeds API parameter `wire` at `location`.
fn input_for<'a>(
    consumed: &'a ConsumedOperation,
    location: ParamLocation,
    wire: &str,
) -> Option<&'a Input> {
    let location = match location {
        ParamLocation::Path => Location::Path,
        ParamLocation::Query => Location::Query,
        ParamLocation::Header => Location::Header,
        ParamLocation::Cookie => Location::Cookie,
    };
    consumed.inputs.iter().find(|it| {
        it.location == location
            && if location == Location::Path {
                it.name.eq_ignore_ascii_case(wire)
            } else {
                it.name == wire
            }
    })
}

fn call_function(
    api: &Api,
    op: &Operation,
    consumed: &ConsumedOperation,
    name: &str,
    diags: &mut Diagnostics,
) -> TokenStream {
    let function = format_ident!("{name}");
    let method = format_ident!("{}", op.rust_name);
    let mut positional = Vec::new();
    let mut setters = Vec::new();
    // The capability may use what the OpenAPI document deprecates; the server still sends it.
    let mut deprecated = op.deprecated;
    for param in op.call_params() {
        let ty = type_tokens(&api.types, &param.ty, Site::Elsewhere);
        let Some(input) = input_for(consumed, param.location, &param.wire_name) else {
            if param.required {
                let message = format!(
                    "`{}` needs the parameter `{}`, which no consumed input supplies",
                    op.key, param.wire_name
                );
                diags.push(Diagnostic::error(Code::EmitUnsupported, message));
            }
            continue;
        };
        let arg = &input.name;
        deprecated |= param.deprecated;
        if param.required {
            positional.push(quote! { upstream::required::<#ty>(&mut args, #arg)? });
        } else {
            let maybe = format_ident!("maybe_{}", param.rust_name);
            setters.push(quote! { .#maybe(upstream::optional::<#ty>(&mut args, #arg)?) });
        }
    }
    if let Some(body) = &op.body {
        let ty = type_tokens(&api.types, &body.ty, Site::Elsewhere);
        let input = consumed
            .inputs
            .iter()
            .find(|it| it.location == Location::Body);
        let arg = input
            .map(|it| it.name.clone())
            .unwrap_or_else(|| "body".to_owned());
        if !matches!(body.kind, BodyKind::Json | BodyKind::Form | BodyKind::Text) {
            let message = format!(
                "`{}`: request bodies of type `{}` cannot be proxied yet",
                op.key, body.media_type
            );
            diags.push(Diagnostic::error(Code::EmitUnsupported, message));
        }
        if body.required {
            positional.push(quote! { upstream::required::<#ty>(&mut args, #arg)? });
        } else {
            setters.push(quote! { .maybe_body(upstream::optional::<#ty>(&mut args, #arg)?) });
        }
    }
    let doc = format!(" `{}` (consumed operation `{}`).", op.key, consumed.name);
    let args = if positional.is_empty() && setters.is_empty() {
        quote! { _args }
    } else {
        quote! { mut args }
    };
    let allow = if deprecated {
        quote! { #[allow(deprecated)] }
    } else {
        TokenStream::new()
    };
    quote! {
        #[doc = #doc]
        #allow
        pub fn #function(upstream: Upstream, #args: Map<String, Value>) -> CallFuture {
            Box::pin(async move {
                let request = upstream.client.#method(#(#positional),*) #(#setters)*;
                let response = request.send_raw().await.map_err(call_error)?;
                let (status, headers, body) = response.into_parts();
                Ok(UpstreamResponse::json(status, headers, body))
            })
        }
    }
}

fn secret_value(source: &ValueSource) -> TokenStream {
    match source {
        ValueSource::Secret(name) => quote! { variables.get(#name).cloned().unwrap_or_default() },
        ValueSource::Literal(serde_json::Value::String(text)) => quote! { #text.to_owned() },
        other => {
            let text = match other {
                ValueSource::Input(it) | ValueSource::Template(it) => it.clone(),
                ValueSource::Literal(value) => value.to_string(),
                ValueSource::Secret(_) => String::new(),
            };
            quote! { #text.to_owned() }
        }
    }
}

/// The credential setter calls for the consumed API's authentication.
fn credentials(model: &CapabilityModel, api: &Api) -> TokenStream {
    let Some(auth) = &model.consumes[0].auth else {
        return TokenStream::new();
    };
    let kind = match auth {
        OutboundAuth::ApiKey {
            name, placement, ..
        } => SecurityKind::ApiKey {
            location: match placement {
                KeyPlacement::Query => ApiKeyLocation::Query,
                KeyPlacement::Header => ApiKeyLocation::Header,
                KeyPlacement::Cookie => ApiKeyLocation::Cookie,
            },
            name: name.clone(),
        },
        OutboundAuth::Bearer { .. } => SecurityKind::Bearer,
        OutboundAuth::Basic { .. } | OutboundAuth::Digest { .. } => SecurityKind::Basic,
    };
    let config = crate::emit::client::ClientConfig {
        crate_name: String::new(),
        crate_version: String::new(),
        extra_auth: vec![crate::emit::server::extra_auth(model)],
    };
    let scheme = crate::emit::client::schemes(api, &config)
        .into_iter()
        .find(|it| crate::emit::client::same_scheme(&it.kind, &kind));
    let Some(scheme) = scheme else {
        return TokenStream::new();
    };
    let setter = format_ident!("with_{}", scheme.rust_name);
    match auth {
        OutboundAuth::ApiKey { value, .. } => {
            let value = secret_value(value);
            quote! { .#setter(#value) }
        }
        OutboundAuth::Bearer { token } => {
            let token = secret_value(token);
            quote! { .#setter(#token) }
        }
        OutboundAuth::Basic { username, password }
        | OutboundAuth::Digest { username, password } => {
            let (username, password) = (secret_value(username), secret_value(password));
            quote! { .#setter(#username, #password) }
        }
    }
}

/// `src/operations.rs`: the `Upstream` (the generated client and/or the declared APIs) and one
/// function per used consumed operation.
pub fn tokens(
    model: &CapabilityModel,
    api: Option<&Api>,
    config: &ServerConfig,
    calls: &Calls,
    diags: &mut Diagnostics,
) -> TokenStream {
    let mut functions = Vec::new();
    for ((api_idx, index), (name, via)) in &calls.functions {
        let consumed = &model.consumes[*api_idx].operations[*index];
        match (via, api, config.client_crate.as_ref()) {
            (Via::Client(op_idx), Some(api), Some(_)) => functions.push(call_function(
                api,
                &api.operations[*op_idx],
                consumed,
                name,
                diags,
            )),
            _ => functions.push(declared_function(model, *api_idx, *index, name)),
        }
    }
    for (api_idx, name) in &calls.forwards {
        let function = format_ident!("{name}");
        let api_index = proc_macro2::Literal::usize_unsuffixed(*api_idx);
        let doc = format!(
            " Requests of `forward` resources, sent to `{}` as they came.",
            model.consumes[*api_idx].namespace
        );
        functions.push(quote! {
            #[doc = #doc]
            pub fn #function(upstream: Upstream, request: support::declared::Forwarded) -> CallFuture {
                Box::pin(async move { upstream.declared.forward(#api_index, request).await })
            }
        });
    }
    let client = match (calls.uses_client(), api, &config.client_crate) {
        (true, Some(api), Some(crate_name)) => {
            Some((api, format_ident!("{}", crate_name.to_snake_case())))
        }
        _ => None,
    };
    let declared = calls.uses_declared();

    let mut uses = Vec::new();
    let mut fields = Vec::new();
    let mut build = Vec::new();
    let mut init = Vec::new();
    if let Some((api, lib)) = &client {
        let credentials = credentials(model, api);
        let uses_types = functions
            .iter()
            .any(|it| it.to_string().contains("types ::"));
        uses.push(quote! { use #lib::{Client, Error}; });
        if uses_types {
            uses.push(quote! { use #lib::types; });
        }
        fields.push(quote! {
            /// The generated client of the consumed API.
            client: Client,
        });
        // hyper's pooled client sends the requests; `reqwest` only multipart bodies.
        build.push(quote! {
            let http = reqwest::Client::builder()
                .timeout(timeouts[0])
                .build()
                .map_err(|err| format!("cannot build the HTTP client: {err}"))?;
            let transport = crate::support::http_client::HttpClient::new(timeouts[0])?;
            let client = Client::with_base_url(&urls[0])
                .with_http_client(http)
                .with_transport(transport)
                #credentials;
        });
        init.push(quote! { client, });
        functions.push(quote! {
            impl #lib::Transport for crate::support::http_client::HttpClient {
                fn send(&self, request: axum::http::Request<bytes::Bytes>) -> #lib::TransportFuture {
                    use crate::support::http_client::Failure;
                    let client = self.clone();
                    Box::pin(async move {
                        client.send(request).await.map_err(|failure| match failure {
                            Failure::Timeout => #lib::TransportFailure::timeout("the upstream did not answer in time"),
                            Failure::Connect(it) => #lib::TransportFailure::connect(it),
                            Failure::Other(it) => #lib::TransportFailure::other(it),
                        })
                    })
                }
            }
        });
    }
    if declared {
        fields.push(quote! {
            /// The consumed APIs, called as the capability declares their operations.
            declared: support::declared::Declared,
        });
        build.push(quote! {
            let declared = support::declared::Declared::new(
                crate::consumes::APIS,
                urls,
                timeouts,
                variables.clone(),
            )?;
        });
        init.push(quote! { declared, });
    }
    let call_error = if client.is_some() {
        quote! {
            fn call_error(error: Error) -> CallError {
                match error {
                    Error::Transport(it) if it.is_timeout() => CallError::Timeout,
                    Error::Transport(_) => CallError::Unreachable,
                    Error::Request(it) => CallError::InvalidArgument { name: "request".to_owned(), message: it.to_string() },
                }
            }
        }
    } else {
        TokenStream::new()
    };
    let reads_arguments = functions.iter().any(|it| {
        it.to_string().contains("upstream :: required")
            || it.to_string().contains("upstream :: optional")
    });
    let support_uses = if client.is_some() && reads_arguments {
        quote! {
            use serde_json::{Map, Value};
            use crate::support::upstream::{self, CallError, CallFuture, UpstreamResponse};
        }
    } else if client.is_some() {
        quote! {
            use serde_json::{Map, Value};
            use crate::support::upstream::{CallError, CallFuture, UpstreamResponse};
        }
    } else if calls.declared().next().is_some() {
        quote! {
            use serde_json::{Map, Value};
            use crate::support::upstream::CallFuture;
        }
    } else if declared {
        // Only `forward`s.
        quote! { use crate::support::upstream::CallFuture; }
    } else {
        TokenStream::new()
    };
    let declared_uses = if declared {
        quote! { use crate::support; }
    } else {
        TokenStream::new()
    };
    // Not every upstream uses every setting (a mock-only capability calls nothing).
    let variables_use = quote! { let _ = (&urls, &timeouts, &variables); };
    quote! {
        //! One function per consumed operation an exposed item calls: JSON arguments in, the
        //! upstream response out, undecoded.

        use std::collections::BTreeMap;
        use std::sync::Arc;
        use std::time::Duration;

        #(#uses)*
        #support_uses
        #declared_uses

        /// The upstream APIs with their credentials and timeouts.
        #[derive(Clone, Debug)]
        pub struct Upstream {
            #(#fields)*
        }

        impl Upstream {
            /// Clients of the consumed APIs (base URLs and timeouts in `consumes` order) with the
            /// bound variables.
            pub fn new(urls: &[String], timeouts: &[Duration], variables: &Arc<BTreeMap<String, String>>) -> Result<Upstream, String> {
                #variables_use
                #(#build)*
                Ok(Upstream { #(#init)* })
            }
        }

        #call_error

        #(#functions)*
    }
}

/// A function that sends a consumed operation as the capability declares it.
fn declared_function(model: &CapabilityModel, api: usize, index: usize, name: &str) -> TokenStream {
    let consumed = &model.consumes[api].operations[index];
    let function = format_ident!("{name}");
    let spec = format_ident!(
        "{}",
        crate::emit::server::consumes::spec_name(model, api, index)
    );
    let doc = format!(
        " `{} {}` (consumed operation `{}.{}`), sent as declared.",
        consumed.method, consumed.request.path, model.consumes[api].namespace, consumed.name
    );
    quote! {
        #[doc = #doc]
        pub fn #function(upstream: Upstream, args: Map<String, Value>) -> CallFuture {
            Box::pin(async move { upstream.declared.call(&crate::consumes::#spec, args).await })
        }
    }
}
