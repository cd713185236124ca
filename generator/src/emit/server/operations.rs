//! `src/operations.rs` of a server crate: the upstream (the generated client with credentials
//! and timeout) and one call per consumed operation, turning the JSON arguments of an exposed
//! operation or tool into a typed client request sent with `send_raw`.

use std::collections::BTreeMap;

use heck::ToSnakeCase;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::emit::client::types::{Site, tokens as type_tokens};
use crate::emit::server::ServerConfig;
use crate::load::diagnostics::{Code, Diagnostic, Diagnostics};
use crate::model::api::{Api, ApiKeyLocation, BodyKind, Operation, ParamLocation, SecurityKind};
use crate::model::capability::{
    CapabilityModel, ConsumedOperation, Input, KeyPlacement, Location, OutboundAuth, ValueSource,
};

/// Which generated function calls each used consumed operation, and the API operation behind it.
pub struct Calls {
    functions: BTreeMap<(usize, usize), (String, usize)>,
}

impl Calls {
    /// The function for consumed operation `index` of consumed API `api`.
    pub fn function(&self, api: usize, index: usize) -> Option<&str> {
        self.functions.get(&(api, index)).map(|it| it.0.as_str())
    }
}

/// Finds the API operation of every consumed operation an exposed item calls.
pub fn plan(model: &CapabilityModel, api: &Api, diags: &mut Diagnostics) -> Option<Calls> {
    let mut functions = BTreeMap::new();
    let used = model
        .rest
        .iter()
        .flat_map(|it| it.operations.iter().map(|op| &op.call))
        .chain(
            model
                .mcp
                .iter()
                .flat_map(|it| it.tools.iter().map(|tool| &tool.call)),
        );
    let mut failed = false;
    for call in used {
        if functions.contains_key(&(call.api, call.index)) {
            continue;
        }
        let consumed = &model.consumes[call.api].operations[call.index];
        let found = consumed.openapi.as_ref().and_then(|openapi| {
            api.operations
                .iter()
                .position(|op| op.method == openapi.method && op.path == openapi.path)
        });
        let Some(index) = found else {
            let message = format!(
                "consumed operation `{}.{}` ({} {}) has no OpenAPI operation, so the client has no method for it",
                call.namespace, consumed.name, consumed.method, consumed.path
            );
            diags.push(Diagnostic::error(Code::EmitUnsupported, message).with_help(
                "add the operation to the OpenAPI document (an overlay can), or give capgen the OpenAPI document",
            ));
            failed = true;
            continue;
        };
        functions.insert(
            (call.api, call.index),
            (consumed.name.to_snake_case(), index),
        );
    }
    (!failed).then_some(Calls { functions })
}

fn client_lib(config: &ServerConfig) -> proc_macro2::Ident {
    format_ident!("{}", config.client_crate.to_snake_case())
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
    quote! {
        #[doc = #doc]
        pub fn #function(upstream: Upstream, mut args: Map<String, Value>) -> CallFuture {
            Box::pin(async move {
                let request = upstream.client.#method(#(#positional),*) #(#setters)*;
                let response = request.send_raw().await.map_err(call_error)?;
                let (status, headers, body) = response.into_parts();
                Ok(UpstreamResponse { status, headers, body })
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
        OutboundAuth::Basic { .. } => SecurityKind::Basic,
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
        OutboundAuth::Basic { username, password } => {
            let (username, password) = (secret_value(username), secret_value(password));
            quote! { .#setter(#username, #password) }
        }
    }
}

pub fn tokens(
    model: &CapabilityModel,
    api: &Api,
    config: &ServerConfig,
    calls: &Calls,
    diags: &mut Diagnostics,
) -> TokenStream {
    let lib = client_lib(config);
    let functions: Vec<TokenStream> = calls
        .functions
        .iter()
        .map(|((api_idx, index), (name, op_idx))| {
            let consumed = &model.consumes[*api_idx].operations[*index];
            call_function(api, &api.operations[*op_idx], consumed, name, diags)
        })
        .collect();
    let credentials = credentials(model, api);
    let uses_types = functions
        .iter()
        .any(|it| it.to_string().contains("types ::"));
    let types_import = if uses_types {
        quote! { use #lib::types; }
    } else {
        TokenStream::new()
    };
    quote! {
        //! One call into the client crate per consumed operation: JSON arguments in, the upstream
        //! response out, undecoded.

        use std::collections::BTreeMap;
        use std::time::Duration;

        use #lib::{Client, Error};
        #types_import
        use serde_json::{Map, Value};

        use crate::support::upstream::{self, CallError, CallFuture, UpstreamResponse};

        /// The upstream API: the generated client with credentials and a timeout.
        #[derive(Clone, Debug)]
        pub struct Upstream {
            client: Client,
        }

        impl Upstream {
            /// A client of `base_url` with the bound credentials and `timeout` per request.
            pub fn new(base_url: &str, variables: &BTreeMap<String, String>, timeout: Duration) -> Result<Upstream, String> {
                let http = reqwest::Client::builder()
                    .timeout(timeout)
                    .build()
                    .map_err(|err| format!("cannot build the HTTP client: {err}"))?;
                let _ = variables;
                let client = Client::with_base_url(base_url).with_http_client(http) #credentials;
                Ok(Upstream { client })
            }
        }

        fn call_error(error: Error) -> CallError {
            match error {
                Error::Transport(it) if it.is_timeout() => CallError::Timeout,
                Error::Transport(_) => CallError::Unreachable,
                Error::Request(it) => CallError::InvalidArgument { name: "request".to_owned(), message: it.to_string() },
            }
        }

        #(#functions)*
    }
}
