//! `src/client.rs` of the client crate: the `Client` (base URL, HTTP client, credentials) and
//! one method per operation returning its request builder.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::emit::client::docs;
use crate::emit::client::operations::{body_arg_type, param_type};
use crate::model::api::{Api, ApiKeyLocation, Operation, SecurityKind, SecurityScheme};
use crate::model::names;

/// The `&[&[Scheme::A, Scheme::B], ..]` expression of an operation's security alternatives,
/// non-empty alternatives first (an empty one means "no credential needed").
pub fn security_tokens(schemes: &[SecurityScheme], alternatives: &[Vec<String>]) -> TokenStream {
    if schemes.is_empty() {
        return quote!(&[]);
    }
    let mut ordered: Vec<&Vec<String>> = alternatives.iter().collect();
    ordered.sort_by_key(|it| it.is_empty());
    let lists = ordered.iter().map(|names| {
        let variants = names
            .iter()
            .filter_map(|name| schemes.iter().find(|it| it.name == *name))
            .map(|scheme| {
                let variant = format_ident!("{}", names::type_name(&scheme.rust_name));
                quote!(Scheme::#variant)
            });
        quote!(&[#(#variants),*])
    });
    quote!(&[#(#lists),*])
}

fn scheme_summary(scheme: &SecurityScheme) -> String {
    match &scheme.kind {
        SecurityKind::ApiKey { location, name } => {
            let place = match location {
                ApiKeyLocation::Query => "query parameter",
                ApiKeyLocation::Header => "header",
                ApiKeyLocation::Cookie => "cookie",
            };
            format!("an API key sent as {place} `{}`", name.replace('`', "'"))
        }
        SecurityKind::Basic => "HTTP basic authentication".to_owned(),
        SecurityKind::Bearer => "a bearer token (`Authorization: Bearer …`)".to_owned(),
    }
}

pub fn module(
    api: &Api,
    schemes: &[SecurityScheme],
    ops: &[(Operation, TokenStream)],
) -> TokenStream {
    let title = format!("the {}", super::api_label(&api.title));
    let client_docs = docs::own(&format!(
        "A client of {title}.\n\nCreate it with [`Client::new`] or [`Client::with_base_url`], set credentials with the `with_*`\nmethods, then call one method per operation. Cloning is cheap: clones share the connection\npool and the credentials. Credentials never appear in `Debug` output or in errors."
    ));
    let constructors = constructors(api, !schemes.is_empty(), !ops.is_empty());
    let default_impl = match api.servers.first() {
        Some(server) if server.url.contains("://") && server.variables.is_empty() => quote! {
            impl Default for Client {
                fn default() -> Client {
                    Client::new()
                }
            }
        },
        _ => TokenStream::new(),
    };
    let used: std::collections::BTreeSet<&str> = ops
        .iter()
        .flat_map(|(op, _)| op.security.iter().flatten().map(String::as_str))
        .collect();
    let (credentials, setters, execute) = credentials(schemes, &used, !ops.is_empty());
    let methods = ops.iter().map(|(op, _)| method(api, op));
    // A client without operations sends nothing: no parsed base, no transport.
    let (base_field, transport_field, transport_setter) = if ops.is_empty() {
        (TokenStream::new(), TokenStream::new(), TokenStream::new())
    } else {
        (
            quote! {
                /// `base_url` parsed once, so requests do not parse scheme and host again.
                base: Option<reqwest::Url>,
            },
            quote! {
                transport: Option<std::sync::Arc<dyn crate::Transport>>,
                retry: Option<crate::RetryPolicy>,
                hooks: Option<std::sync::Arc<dyn crate::Hooks>>,
            },
            quote! {
                /// Sends requests through `transport` instead of the HTTP client (multipart
                /// bodies excepted): another HTTP stack, or a double in tests.
                pub fn with_transport(mut self, transport: impl crate::Transport) -> Client {
                    self.transport = Some(std::sync::Arc::new(transport));
                    self
                }

                /// Retries idempotent requests after transient failures as `policy` says (see
                /// [`RetryPolicy`](crate::RetryPolicy)); without it, nothing is retried.
                pub fn with_retry(mut self, policy: crate::RetryPolicy) -> Client {
                    self.retry = Some(policy);
                    self
                }

                /// Runs `hooks` around every request (each try): see [`Hooks`](crate::Hooks).
                pub fn with_hooks(mut self, hooks: impl crate::Hooks) -> Client {
                    self.hooks = Some(std::sync::Arc::new(hooks));
                    self
                }
            },
        )
    };
    quote! {
        #client_docs
        #[derive(Clone)]
        pub struct Client {
            http: reqwest::Client,
            #transport_field
            base_url: String,
            #base_field
            credentials: Credentials,
        }

        impl std::fmt::Debug for Client {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct("Client")
                    .field("base_url", &self.base_url)
                    .field("credentials", &self.credentials.configured())
                    .finish()
            }
        }

        #credentials
        #default_impl

        impl Client {
            #constructors

            /// Uses `http` for requests (timeouts, proxies, default headers, TLS settings).
            pub fn with_http_client(mut self, http: reqwest::Client) -> Client {
                self.http = http;
                self
            }

            #transport_setter

            /// The base URL requests go to.
            pub fn base_url(&self) -> &str {
                &self.base_url
            }

            /// The HTTP client requests go through.
            pub fn http_client(&self) -> &reqwest::Client {
                &self.http
            }

            #setters
            #execute
            #(#methods)*
        }
    }
}

fn constructors(api: &Api, has_credentials: bool, has_operations: bool) -> TokenStream {
    let no_credentials = if has_credentials {
        quote!(Credentials::default())
    } else {
        quote!(Credentials)
    };
    let others: Vec<String> = api
        .servers
        .iter()
        .skip(1)
        .map(|it| match &it.description {
            Some(description) => format!(
                "- `{}`: {}",
                it.url.replace('`', "'"),
                docs::sanitize(description).replace('\n', " ")
            ),
            None => format!("- `{}`", it.url.replace('`', "'")),
        })
        .collect();
    let mut with_base_docs = "A client of the API at `base_url`: scheme, host and any path prefix (a trailing `/` is\nignored).".to_owned();
    if !others.is_empty() {
        with_base_docs.push_str(&format!(
            "\n\nOther servers in the API description:\n\n{}",
            others.join("\n")
        ));
    }
    let with_base_docs = docs::own(&with_base_docs);
    // Only requests read the parsed base; a client without operations has none.
    let (parse_base, base_field) = if has_operations {
        (
            quote!(let base = reqwest::Url::parse(&base_url).ok();),
            quote!(base, transport: None, retry: None, hooks: None,),
        )
    } else {
        (TokenStream::new(), TokenStream::new())
    };
    let with_base = quote! {
        #with_base_docs
        pub fn with_base_url(base_url: impl Into<String>) -> Client {
            let base_url = base_url.into();
            #parse_base
            Client { http: reqwest::Client::new(), base_url, #base_field credentials: #no_credentials }
        }
    };
    let Some(server) = api.servers.first() else {
        return quote! {
            /// A client of the API at `base_url` (the API description names no server).
            pub fn new(base_url: impl Into<String>) -> Client {
                Client::with_base_url(base_url)
            }

            #with_base
        };
    };
    let url = &server.url;
    let described = match &server.description {
        Some(it) => format!(" ({})", docs::sanitize(it).replace('\n', " ")),
        None => String::new(),
    };
    if !url.contains("://") {
        let text = format!(
            "A client of the server at `{}`{described}, relative to `origin` (scheme and host, e.g.\n`https://example.com`).",
            url.replace('`', "'")
        );
        let docs = docs::own(&text);
        return quote! {
            #docs
            pub fn new(origin: impl AsRef<str>) -> Client {
                Client::with_base_url(format!("{}{}", origin.as_ref().trim_end_matches('/'), #url))
            }

            #with_base
        };
    }
    let args = server.variables.iter().map(|it| {
        let name = format_ident!("{}", it.rust_name);
        quote!(#name: impl AsRef<str>)
    });
    let replaced = server.variables.iter().map(|it| {
        let name = format_ident!("{}", it.rust_name);
        let placeholder = format!("{{{}}}", it.name);
        quote!(.replace(#placeholder, #name.as_ref()))
    });
    let mut text = format!("A client of `{}`{described}.", url.replace('`', "'"));
    if !server.variables.is_empty() {
        text.push('\n');
        for variable in &server.variables {
            let mut line = format!(
                "\n- `{}`: the `{{{}}}` part",
                variable.rust_name, variable.name
            );
            if let Some(description) = &variable.description {
                line.push_str(&format!(
                    ", {}",
                    docs::sanitize(description).replace('\n', " ")
                ));
            }
            if !variable.default.is_empty() {
                line.push_str(&format!(
                    " (default `{}`)",
                    variable.default.replace('`', "'")
                ));
            }
            if !variable.values.is_empty() {
                let values: Vec<String> = variable
                    .values
                    .iter()
                    .map(|it| format!("`{}`", it.replace('`', "'")))
                    .collect();
                line.push_str(&format!("; one of {}", values.join(", ")));
            }
            line.push('.');
            text.push_str(&line);
        }
    }
    let docs = docs::own(&text);
    let body = if server.variables.is_empty() {
        quote!(Client::with_base_url(#url))
    } else {
        quote!(Client::with_base_url(#url #(#replaced)*))
    };
    quote! {
        #docs
        pub fn new(#(#args),*) -> Client {
            #body
        }

        #with_base
    }
}

/// Credentials when no operation applies any: a store for the setters (if the API declares
/// schemes) and, when there are operations, an `execute` that sends without credentials.
fn unused_credentials(
    schemes: &[SecurityScheme],
    has_operations: bool,
) -> (TokenStream, TokenStream, TokenStream) {
    let fields = schemes.iter().map(|scheme| {
        let field = format_ident!("{}", scheme.rust_name);
        match scheme.kind {
            SecurityKind::Basic => quote!(#field: Option<(String, String)>,),
            _ => quote!(#field: Option<String>,),
        }
    });
    let configured = schemes.iter().map(|scheme| {
        let field = format_ident!("{}", scheme.rust_name);
        let name = &scheme.name;
        quote! {
            if self.#field.is_some() {
                res.push(#name);
            }
        }
    });
    let setters = schemes.iter().map(|scheme| {
        let field = format_ident!("{}", scheme.rust_name);
        let setter = format_ident!("with_{}", scheme.rust_name);
        let text = format!(
            "Sets the `{}` credential: {}.\n\nNo operation of the API asks for it, so it is not sent.",
            scheme.name.replace('`', "'"),
            scheme_summary(scheme)
        );
        let docs = docs::own(&text);
        match scheme.kind {
            SecurityKind::Basic => quote! {
                #docs
                pub fn #setter(mut self, username: impl Into<String>, password: impl Into<String>) -> Client {
                    self.credentials.#field = Some((username.into(), password.into()));
                    self
                }
            },
            _ => quote! {
                #docs
                pub fn #setter(mut self, key: impl Into<String>) -> Client {
                    self.credentials.#field = Some(key.into());
                    self
                }
            },
        }
    });
    let mut store = if schemes.is_empty() {
        quote! {
            /// The API declares no credentials.
            #[derive(Clone)]
            struct Credentials;

            impl Credentials {
                fn configured(&self) -> [&'static str; 0] {
                    []
                }
            }
        }
    } else {
        quote! {
            /// The credentials set on a client, one per security scheme.
            #[derive(Clone, Default)]
            struct Credentials {
                #(#fields)*
            }

            impl Credentials {
                /// The names of the schemes with a credential (never the credentials).
                fn configured(&self) -> Vec<&'static str> {
                    let mut res = Vec::new();
                    #(#configured)*
                    res
                }
            }
        }
    };
    let mut execute = TokenStream::new();
    if has_operations {
        store.extend(quote! {
            /// The API's security schemes that operations apply (none).
            #[derive(Clone, Copy, Debug)]
            pub(crate) enum Scheme {}
        });
        execute = quote! {
            /// Sends a request (no operation applies credentials).
            pub(crate) async fn execute(&self, request: RequestParts, security: &[&[Scheme]]) -> Result<RawResponse, Error> {
                let _ = security;
                request.send(crate::encoding::Sender {
                    http: &self.http,
                    transport: self.transport.as_deref(),
                    retry: self.retry.as_ref(),
                    hooks: self.hooks.as_deref(),
                    base_url: &self.base_url,
                    base: self.base.as_ref(),
                }).await
            }
        };
    }
    (store, quote!(#(#setters)*), execute)
}

/// The credential store, its setters and the `execute` method applying credentials.
fn credentials(
    schemes: &[SecurityScheme],
    used: &std::collections::BTreeSet<&str>,
    has_operations: bool,
) -> (TokenStream, TokenStream, TokenStream) {
    if used.is_empty() {
        return unused_credentials(schemes, has_operations);
    }
    let mut fields = Vec::new();
    let mut variants = Vec::new();
    let mut configured = Vec::new();
    let mut has = Vec::new();
    let mut apply = Vec::new();
    let mut setters = Vec::new();
    for scheme in schemes {
        let field = format_ident!("{}", scheme.rust_name);
        let variant = format_ident!("{}", names::type_name(&scheme.rust_name));
        let setter = format_ident!("with_{}", scheme.rust_name);
        let name = &scheme.name;
        let in_use = used.contains(scheme.name.as_str());
        if in_use {
            variants.push(quote!(#variant,));
            has.push(quote!(Scheme::#variant => self.#field.is_some(),));
        }
        configured.push(quote! {
            if self.#field.is_some() {
                res.push(#name);
            }
        });
        let mut text = format!(
            "Sets the `{}` credential: {}.",
            name.replace('`', "'"),
            scheme_summary(scheme)
        );
        if let Some(description) = &scheme.description {
            text.push_str(&format!("\n\n{}", docs::sanitize(description)));
        }
        text.push_str("\n\nIt is sent with every operation that accepts it.");
        let setter_docs = docs::own(&text);
        match &scheme.kind {
            SecurityKind::ApiKey {
                location,
                name: key,
            } => {
                fields.push(quote!(#field: Option<String>,));
                let put = match location {
                    ApiKeyLocation::Query => quote!(request.raw_query(#key, value)),
                    ApiKeyLocation::Header => quote!(request.raw_header(#key, value)),
                    ApiKeyLocation::Cookie => quote!(request.cookie(#key, value.as_str(), false)),
                };
                apply.push(if !in_use {
                    TokenStream::new()
                } else {
                    quote! {
                        Scheme::#variant => {
                            if let Some(value) = &self.#field {
                                #put;
                            }
                        }
                    }
                });
                setters.push(quote! {
                    #setter_docs
                    pub fn #setter(mut self, key: impl Into<String>) -> Client {
                        self.credentials.#field = Some(key.into());
                        self
                    }
                });
            }
            SecurityKind::Basic => {
                fields.push(quote!(#field: Option<(String, String)>,));
                apply.push(if !in_use { TokenStream::new() } else { quote! {
                    Scheme::#variant => {
                        if let Some((username, password)) = &self.#field {
                            request.authorization(Authorization::Basic { username: username.clone(), password: password.clone() });
                        }
                    }
                }});
                setters.push(quote! {
                    #setter_docs
                    pub fn #setter(mut self, username: impl Into<String>, password: impl Into<String>) -> Client {
                        self.credentials.#field = Some((username.into(), password.into()));
                        self
                    }
                });
            }
            SecurityKind::Bearer => {
                fields.push(quote!(#field: Option<String>,));
                apply.push(if !in_use {
                    TokenStream::new()
                } else {
                    quote! {
                        Scheme::#variant => {
                            if let Some(token) = &self.#field {
                                request.authorization(Authorization::Bearer(token.clone()));
                            }
                        }
                    }
                });
                setters.push(quote! {
                    #setter_docs
                    pub fn #setter(mut self, token: impl Into<String>) -> Client {
                        self.credentials.#field = Some(token.into());
                        self
                    }
                });
            }
        }
    }
    let store = quote! {
        /// The credentials set on a client, one per security scheme.
        #[derive(Clone, Default)]
        struct Credentials {
            #(#fields)*
        }

        /// The API's security schemes.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub(crate) enum Scheme {
            #(#variants)*
        }

        impl Credentials {
            /// The names of the schemes with a credential (never the credentials).
            fn configured(&self) -> Vec<&'static str> {
                let mut res = Vec::new();
                #(#configured)*
                res
            }

            fn has(&self, scheme: Scheme) -> bool {
                match scheme {
                    #(#has)*
                }
            }

            fn apply(&self, scheme: Scheme, request: &mut RequestParts) {
                match scheme {
                    #(#apply)*
                }
            }
        }
    };
    let execute = quote! {
        /// Applies the first security alternative whose credentials are all set, and sends.
        pub(crate) async fn execute(&self, mut request: RequestParts, security: &[&[Scheme]]) -> Result<RawResponse, Error> {
            let chosen = security.iter().find(|schemes| schemes.iter().all(|it| self.credentials.has(*it)));
            if let Some(schemes) = chosen {
                for scheme in schemes.iter() {
                    self.credentials.apply(*scheme, &mut request);
                }
            }
            request.send(crate::encoding::Sender {
                    http: &self.http,
                    transport: self.transport.as_deref(),
                    retry: self.retry.as_ref(),
                    hooks: self.hooks.as_deref(),
                    base_url: &self.base_url,
                    base: self.base.as_ref(),
                }).await
        }
    };
    (store, quote!(#(#setters)*), execute)
}

fn method(api: &Api, op: &Operation) -> TokenStream {
    let name = format_ident!("{}", op.rust_name);
    let builder = format_ident!("{}", op.type_name);
    let mut args = Vec::new();
    let mut inits = Vec::new();
    for param in op.call_params() {
        let field = format_ident!("{}", param.rust_name);
        if param.required {
            let ty = param_type(&api.types, param);
            args.push(quote!(#field: impl Into<#ty>));
            inits.push(quote!(#field: #field.into(),));
        } else {
            inits.push(quote!(#field: None,));
        }
    }
    if let (Some(body), Some(ty)) = (&op.body, body_arg_type(api, op)) {
        if body.required {
            args.push(quote!(body: impl Into<#ty>));
            inits.push(quote!(body: body.into(),));
        } else {
            inits.push(quote!(body: None,));
        }
    }
    let mut text = docs::paragraphs([op.summary.as_deref(), op.description.as_deref()]);
    let text_is_empty = docs::sanitize(&text).trim().is_empty();
    let mut own = String::new();
    if text_is_empty {
        text.clear();
        own.push_str(&format!("Sends `{}`.", op.key.replace('`', "'")));
    } else {
        own.push_str(&format!("\n`{}`", op.key.replace('`', "'")));
    }
    if let Some(id) = &op.operation_id {
        own.push_str(&format!(" (operation `{}`)", id.replace('`', "'")));
    }
    own.push_str(&format!(
        ".\n\nReturns the request: set optional parameters on it, then\n[`send`](operations::{builder}::send) it."
    ));
    let mut docs = docs::attrs(&text);
    docs.extend(docs::own(&own));
    let deprecated = if op.deprecated {
        quote!(#[deprecated])
    } else {
        TokenStream::new()
    };
    let allow = if args.len() > 6 {
        quote!(#[allow(clippy::too_many_arguments)])
    } else {
        TokenStream::new()
    };
    quote! {
        #docs
        #deprecated
        #allow
        pub fn #name(&self, #(#args),*) -> operations::#builder<'_> {
            operations::#builder { client: self, #(#inits)* }
        }
    }
}
