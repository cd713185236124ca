//! `src/main.rs` of a server crate: the command line (the same shape for every capability:
//! upstream URL or server variables, adapter addresses, limits) and the constants the runtime
//! needs.

use heck::{ToKebabCase, ToShoutySnakeCase};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::emit::server::ServerConfig;
use crate::model::capability::{
    CapabilityModel, ConsumedApi, KeyPlacement, OutboundAuth, ValueSource,
};
use crate::model::names;

fn doc(text: &str) -> TokenStream {
    let lines = text.lines().map(|line| format!(" {line}"));
    quote! { #(#[doc = #lines])* }
}

/// The value of `source` at start-up, as an expression over `variables`.
fn value(source: &ValueSource) -> TokenStream {
    match source {
        ValueSource::Secret(name) => {
            quote! { variables.values.get(#name).cloned().unwrap_or_default() }
        }
        ValueSource::Literal(serde_json::Value::String(text)) => quote! { #text.to_owned() },
        ValueSource::Literal(other) => {
            let text = other.to_string();
            quote! { #text.to_owned() }
        }
        ValueSource::Input(name) | ValueSource::Template(name) => quote! { #name.to_owned() },
    }
}

fn inbound(auth: Option<&OutboundAuth>) -> TokenStream {
    match auth {
        // Inbound digest is reported by the join and not generated.
        None | Some(OutboundAuth::Digest { .. }) => quote! { None },
        Some(OutboundAuth::ApiKey {
            name,
            placement,
            value: source,
        }) => {
            let in_query = *placement == KeyPlacement::Query;
            let value = value(source);
            quote! { Some(support::auth::InboundAuth::ApiKey { name: #name.to_owned(), in_query: #in_query, value: #value }) }
        }
        Some(OutboundAuth::Bearer { token }) => {
            let token = value(token);
            quote! { Some(support::auth::InboundAuth::Bearer(#token)) }
        }
        Some(OutboundAuth::Basic { username, password }) => {
            let (username, password) = (value(username), value(password));
            quote! { Some(support::auth::InboundAuth::Basic { username: #username, password: #password }) }
        }
    }
}

/// `/config` of the control adapter: the capability's adapters (type, namespace, port).
fn control_config(model: &CapabilityModel) -> String {
    let mut adapters = Vec::new();
    for it in &model.rest {
        adapters
            .push(serde_json::json!({"type": "rest", "namespace": it.namespace, "port": it.port}));
    }
    for it in &model.mcp {
        adapters
            .push(serde_json::json!({"type": "mcp", "namespace": it.namespace, "port": it.port}));
    }
    for it in &model.skills {
        adapters
            .push(serde_json::json!({"type": "skill", "namespace": it.namespace, "port": it.port}));
    }
    if let Some(it) = &model.control {
        adapters.push(serde_json::json!({"type": "control", "port": it.port}));
    }
    let consumes: Vec<serde_json::Value> = model
        .consumes
        .iter()
        .map(|it| serde_json::json!({"type": "http", "namespace": it.namespace}))
        .collect();
    serde_json::json!({
        "naftiko": model.naftiko,
        "label": model.label,
        "exposes": adapters,
        "consumes": consumes,
    })
    .to_string()
}

fn default_addr(address: Option<&str>, port: u16) -> String {
    // A socket address needs an IP: a host name (`localhost`, the engine's usual value) binds
    // the loopback interface.
    match address.map(str::parse::<std::net::IpAddr>) {
        Some(Ok(std::net::IpAddr::V6(ip))) => format!("[{ip}]:{port}"),
        Some(Ok(ip)) => format!("{ip}:{port}"),
        None | Some(Err(_)) => format!("127.0.0.1:{port}"),
    }
}

/// The command-line settings of one consumed API: its URL (or server variables) and timeout.
struct UpstreamFlags {
    fields: Vec<TokenStream>,
    /// `fn <name>(cli: &Cli) -> Result<String, String>`: the API's base URL.
    url_function: TokenStream,
    url_name: proc_macro2::Ident,
    /// An expression of type `u64` over `cli` (seconds).
    timeout: TokenStream,
}

fn upstream_flags(api: &ConsumedApi, single: bool) -> UpstreamFlags {
    let ns = api.namespace.to_kebab_case();
    let (url_flag, url_env, url_field) = if single {
        (
            "upstream-url".to_owned(),
            super::upstream_url_env(api, single),
            format_ident!("upstream_url"),
        )
    } else {
        (
            format!("{ns}-url"),
            super::upstream_url_env(api, single),
            format_ident!("{}", names::field_name(&format!("{ns}_url"))),
        )
    };
    let mut fields = Vec::new();
    let url_help = doc(&format!(
        "Base URL of the consumed API `{}`; overrides its `baseUri` ({}).",
        api.namespace, api.base_uri
    ));
    fields.push(quote! {
        #url_help
        #[arg(long = #url_flag, env = #url_env, value_name = "URL")]
        #url_field: Option<String>,
    });
    let mut substitutions = Vec::new();
    let mut variable_flags = Vec::new();
    for name in &api.variables {
        let field = format_ident!("{}", names::field_name(name));
        let flag = name.to_kebab_case();
        let env = name.to_shouty_snake_case();
        let help = doc(&format!(
            "Value of the server variable `{{{name}}}` in `{}`.",
            api.base_uri
        ));
        fields.push(quote! {
            #help
            #[arg(long = #flag, env = #env, value_name = #env)]
            #field: Option<String>,
        });
        let placeholder = format!("{{{name}}}");
        substitutions.push(quote! {
            let url = url.replace(#placeholder, cli.#field.as_deref().ok_or_else(missing)?);
        });
        variable_flags.push(format!("--{flag}"));
    }
    let base_uri = &api.base_uri;
    let has_base = !base_uri.contains('{') || !api.variables.is_empty();
    let missing = if variable_flags.is_empty() {
        format!(
            "no URL for the consumed API `{}`: give --{url_flag} (env {url_env})",
            api.namespace
        )
    } else {
        format!(
            "no URL for the consumed API `{}`: give --{url_flag} (env {url_env}) or {}",
            api.namespace,
            variable_flags.join(" and ")
        )
    };
    let from_base = if has_base {
        let missing_fn = if substitutions.is_empty() {
            TokenStream::new()
        } else {
            quote! { let missing = || #missing.to_owned(); }
        };
        quote! {
            #missing_fn
            let url = #base_uri.to_owned();
            #(#substitutions)*
            Ok(url)
        }
    } else {
        quote! { Err(#missing.to_owned()) }
    };
    let url_name = format_ident!("{}", names::field_name(&format!("{ns}_url")));
    let url_doc = format!(" The base URL of `{}`.", api.namespace);
    let url_function = quote! {
        #[doc = #url_doc]
        fn #url_name(cli: &Cli) -> Result<String, String> {
            if let Some(url) = &cli.#url_field {
                return Ok(url.clone());
            }
            #from_base
        }
    };
    let timeout = if single {
        quote! { cli.upstream_timeout }
    } else {
        let flag = format!("{ns}-timeout");
        let field = format_ident!("{}", names::field_name(&format!("{ns}_timeout")));
        let help = doc(&format!(
            "Seconds to wait for `{}` before answering 504 (default: --upstream-timeout).",
            api.namespace
        ));
        fields.push(quote! {
            #help
            #[arg(long = #flag, value_name = "SECONDS")]
            #field: Option<u64>,
        });
        quote! { cli.#field.unwrap_or(cli.upstream_timeout) }
    };
    UpstreamFlags {
        fields,
        url_function,
        url_name,
        timeout,
    }
}

pub fn tokens(model: &CapabilityModel, config: &ServerConfig, declared: bool) -> TokenStream {
    let label = model
        .label
        .clone()
        .unwrap_or_else(|| config.crate_name.clone());
    let crate_name = &config.crate_name;
    let about = format!(
        "REST and MCP server for \"{label}\", generated by capgen from {}",
        model.source
    );
    let module_doc = format!(
        " `{crate_name}`: {about}.\n\n Run with `--help` for the options. Generated code; do not edit."
    );

    let single = model.consumes.len() == 1;
    let upstreams: Vec<UpstreamFlags> = model
        .consumes
        .iter()
        .map(|api| upstream_flags(api, single))
        .collect();
    let upstream_fields = upstreams.iter().flat_map(|it| it.fields.iter());
    let url_functions = upstreams.iter().map(|it| &it.url_function);
    let url_names = upstreams.iter().map(|it| &it.url_name);
    let upstream_timeouts = upstreams.iter().map(|it| &it.timeout);
    let unused_cli = if upstreams.is_empty() {
        quote! { let _ = cli; }
    } else {
        TokenStream::new()
    };

    let variables = model.variables.iter().map(|it| {
        let (variable, namespace, key, required) =
            (&it.variable, &it.namespace, &it.key, it.required);
        let location = match &it.location {
            Some(location) => quote! { Some(#location) },
            None => quote! { None },
        };
        let secret = it.secret;
        quote! {
            support::binds::VariableSpec {
                variable: #variable,
                namespace: #namespace,
                key: #key,
                location: #location,
                required: #required,
                secret: #secret,
            }
        }
    });
    let env_help: Vec<String> = model
        .variables
        .iter()
        .filter(|it| it.location.is_none())
        .map(|it| {
            let what = if it.required { "required" } else { "optional" };
            format!("  {:<28} `{}` ({what})", it.key, it.variable)
        })
        .collect();
    let after_help = if env_help.is_empty() {
        "Logging: RUST_LOG (default info), written to stderr.".to_owned()
    } else {
        format!(
            "Environment:\n{}\n  RUST_LOG                     log filter (default info), written to stderr",
            env_help.join("\n")
        )
    };

    let rest = model.rest.first();
    let mcp = model.mcp.first();
    let rest_default = rest
        .map(|it| default_addr(it.address.as_deref(), it.port))
        .unwrap_or_else(|| "127.0.0.1:8080".to_owned());
    let mcp_default = mcp
        .and_then(|it| {
            it.port
                .map(|port| default_addr(it.address.as_deref(), port))
        })
        .unwrap_or_else(|| "127.0.0.1:9090".to_owned());
    let rest_addr = if rest.is_some() {
        quote! { (!cli.no_rest && !cli.stdio).then_some(cli.rest_addr) }
    } else {
        quote! { None }
    };
    let mcp_addr = if mcp.is_some() {
        quote! { (!cli.no_mcp && !cli.stdio).then_some(cli.mcp_addr) }
    } else {
        quote! { None }
    };
    let skill = model.skills.first();
    let (skill_fields, skill_addr, skill_table, skills_mod) = match skill {
        Some(adapter) => {
            let default = default_addr(adapter.address.as_deref(), adapter.port);
            (
                quote! {
                    /// Address of the skill catalog (`GET /skills`).
                    #[arg(long, value_name = "ADDR:PORT", default_value = #default)]
                    skill_addr: SocketAddr,
                    /// Do not serve the skill catalog.
                    #[arg(long)]
                    no_skill: bool,
                },
                quote! { (!cli.no_skill && !cli.stdio).then_some(cli.skill_addr) },
                quote! { skills::SKILLS },
                quote! { mod skills; },
            )
        }
        None => (
            TokenStream::new(),
            quote! { None },
            quote! { &[] },
            TokenStream::new(),
        ),
    };
    let skill_auth = inbound(skill.and_then(|it| it.inbound_auth.as_ref()));
    let control = model.control.as_ref();
    let (control_fields, control_addr, control_spec) = match control {
        Some(adapter) => {
            let default = default_addr(adapter.address.as_deref(), adapter.port);
            let (health, info, metrics) = (adapter.health, adapter.info, adapter.metrics);
            let naftiko = &model.naftiko;
            let label = model.label.clone().unwrap_or_default();
            let config = control_config(model);
            (
                quote! {
                    /// Address of the control adapter (health, status, metrics).
                    #[arg(long, value_name = "ADDR:PORT", default_value = #default)]
                    control_addr: SocketAddr,
                    /// Do not serve the control adapter.
                    #[arg(long)]
                    no_control: bool,
                },
                quote! { (!cli.no_control && !cli.stdio).then_some(cli.control_addr) },
                quote! {
                    Some(&support::control::ControlSpec {
                        health: #health,
                        info: #info,
                        metrics: #metrics,
                        naftiko: #naftiko,
                        capability: #label,
                        config: #config,
                    })
                },
            )
        }
        None => (TokenStream::new(), quote! { None }, quote! { None }),
    };
    let control_auth = inbound(control.and_then(|it| it.inbound_auth.as_ref()));
    let stdio_default = mcp.is_some_and(|it| it.stdio);
    let rest_auth = inbound(rest.and_then(|it| it.inbound_auth.as_ref()));
    let mcp_auth = inbound(mcp.and_then(|it| it.inbound_auth.as_ref()));
    let mcp_name = mcp
        .map(|it| it.namespace.clone())
        .unwrap_or_else(|| crate_name.clone());
    let instructions = match mcp.and_then(|it| it.description.as_ref()) {
        Some(text) => quote! { Some(#text) },
        None => quote! { None },
    };
    let secret_params: Vec<String> = model
        .consumes
        .iter()
        .filter_map(|api| match &api.auth {
            Some(OutboundAuth::ApiKey {
                name,
                placement: KeyPlacement::Query,
                ..
            }) => Some(name.clone()),
            _ => None,
        })
        .collect();
    let module_doc_lines = module_doc.lines().map(str::to_owned);
    let case_insensitive = config.case_insensitive_paths;
    // A capability without a REST adapter has no REST surface to describe.
    let openapi = if model.rest.is_empty() {
        quote! { "" }
    } else {
        quote! { include_str!("../openapi.json") }
    };
    let consumes_mod = if declared {
        quote! { mod consumes; }
    } else {
        TokenStream::new()
    };

    quote! {
        #(#![doc = #module_doc_lines])*

        #consumes_mod
        mod operations;
        mod routes;
        #skills_mod
        mod support;
        mod tools;

        use std::net::SocketAddr;
        use std::process::ExitCode;
        use std::time::Duration;

        use clap::Parser;

        #[doc = #about]
        #[derive(Parser, Debug)]
        #[command(name = #crate_name, version, about = #about, after_help = #after_help)]
        struct Cli {
            #(#upstream_fields)*
            /// Address of the REST adapter.
            #[arg(long, value_name = "ADDR:PORT", default_value = #rest_default)]
            rest_addr: SocketAddr,
            /// Do not serve the REST adapter.
            #[arg(long)]
            no_rest: bool,
            /// Address of the MCP adapter (streamable HTTP at `/mcp`).
            #[arg(long, value_name = "ADDR:PORT", default_value = #mcp_default)]
            mcp_addr: SocketAddr,
            /// Do not serve the MCP adapter.
            #[arg(long)]
            no_mcp: bool,
            #skill_fields
            #control_fields
            /// Serve only the MCP adapter, over stdin/stdout (for desktop agent clients).
            #[arg(long, default_value_t = #stdio_default, conflicts_with = "no_mcp")]
            stdio: bool,
            /// Threads serving the REST adapter, each with its own listener and upstream
            /// connections (0: one per available core).
            #[arg(long, value_name = "N", default_value_t = 0)]
            rest_threads: usize,
            /// Seconds to wait for the upstream API before answering 504 (each try).
            #[arg(long, value_name = "SECONDS", default_value_t = 30)]
            upstream_timeout: u64,
            /// Seconds to wait for a connection to the upstream API.
            #[arg(long, value_name = "SECONDS", default_value_t = 5)]
            upstream_connect_timeout: u64,
            /// Tries after the first for idempotent upstream requests (GET, HEAD, PUT, DELETE,
            /// OPTIONS) that failed to connect, broke off, or got 429, 502, 503 or 504, with
            /// exponential backoff and jitter or the upstream's `Retry-After` (up to 10 s);
            /// 0: never retry.
            #[arg(long, value_name = "N", default_value_t = 2)]
            upstream_retries: u32,
            /// REST requests and MCP tool calls answered at once; more are refused at once with
            /// 503 and `Retry-After` (0: no limit).
            #[arg(long, value_name = "N", default_value_t = 1024)]
            max_in_flight: usize,
            /// Largest accepted request body, in bytes (larger ones get 413).
            #[arg(long, value_name = "BYTES", default_value_t = 1_048_576)]
            body_limit: usize,
            /// Seconds a client may take to send a request's headers before it is cut off.
            #[arg(long, value_name = "SECONDS", default_value_t = 10)]
            header_timeout: u64,
            /// An allowed `Origin` for MCP requests (repeatable; default: loopback origins).
            #[arg(long = "allowed-origin", value_name = "ORIGIN")]
            allowed_origins: Vec<String>,
            /// An allowed `Host` for MCP requests (repeatable; default: loopback hosts).
            #[arg(long = "allowed-host", value_name = "HOST")]
            allowed_hosts: Vec<String>,
            /// Public URL of the REST adapter, used in management URLs returned by MCP tools.
            #[arg(long, env = "PUBLIC_URL", value_name = "URL")]
            public_url: Option<String>,
            /// Do not record metrics nor serve them at `/metrics` on the REST port.
            #[arg(long)]
            no_metrics: bool,
        }

        /// The capability's variables: `binds` and `in: environment` parameters.
        static VARIABLES: &[support::binds::VariableSpec] = &[#(#variables),*];

        static SPEC: support::app::ServerSpec<operations::Upstream> = support::app::ServerSpec {
            server: env!("CARGO_PKG_NAME"),
            mcp_name: #mcp_name,
            version: env!("CARGO_PKG_VERSION"),
            instructions: #instructions,
            routes: routes::ROUTES,
            links: routes::LINKS,
            forwards: routes::FORWARDS,
            tools: tools::TOOLS,
            resources: tools::RESOURCES,
            prompts: tools::PROMPTS,
            skills: #skill_table,
            control: #control_spec,
            tools_json: include_str!("../mcp-tools.json"),
            openapi: #openapi,
            secret_params: &[#(#secret_params),*],
            case_insensitive_paths: #case_insensitive,
        };

        #(#url_functions)*

        /// The base URL of every consumed API, in `consumes` order.
        fn upstream_urls(cli: &Cli) -> Result<Vec<String>, String> {
            #unused_cli
            Ok(Vec::from([#(#url_names(cli)?),*]))
        }

        /// The timeout of every consumed API, in `consumes` order.
        fn upstream_timeouts(cli: &Cli) -> Vec<Duration> {
            #unused_cli
            Vec::from([#(Duration::from_secs(#upstream_timeouts)),*])
        }

        /// mimalloc: a proxy allocates and frees many small buffers per request, and
        /// mimalloc does that in about half the instructions of the system allocator.
        #[global_allocator]
        static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

        fn main() -> ExitCode {
            let cli = Cli::parse();
            let _logs = support::app::init_tracing();
            let runtime = match tokio::runtime::Runtime::new() {
                Ok(runtime) => runtime,
                Err(err) => {
                    eprintln!("error: cannot start the async runtime: {err}");
                    return ExitCode::from(1);
                }
            };
            runtime.block_on(run(cli))
        }

        async fn run(cli: Cli) -> ExitCode {
            support::retry::configure(support::retry::Policy {
                retries: cli.upstream_retries,
                connect_timeout: Duration::from_secs(cli.upstream_connect_timeout),
            });
            support::admission::configure(cli.max_in_flight);
            let urls = match upstream_urls(&cli) {
                Ok(urls) => urls,
                Err(message) => {
                    eprintln!("error: {message}");
                    return ExitCode::from(2);
                }
            };
            let variables = match support::binds::resolve(VARIABLES) {
                Ok(variables) => variables,
                Err(message) => {
                    eprintln!("error: {message}");
                    return ExitCode::from(2);
                }
            };
            let timeouts = upstream_timeouts(&cli);
            let upstream = match operations::Upstream::new(&urls, &timeouts, &variables.values) {
                Ok(upstream) => upstream,
                Err(message) => {
                    eprintln!("error: {message}");
                    return ExitCode::from(2);
                }
            };
            // Each REST thread builds its own clients (their connection pools stay on it).
            let make_upstream: support::app::MakeUpstream<operations::Upstream> = {
                let (urls, timeouts, values) = (urls.clone(), timeouts.clone(), variables.values.clone());
                std::sync::Arc::new(move || operations::Upstream::new(&urls, &timeouts, &values))
            };
            let options = support::app::RunOptions {
                rest_threads: cli.rest_threads,
                rest_addr: #rest_addr,
                mcp_addr: #mcp_addr,
                skill_addr: #skill_addr,
                control_addr: #control_addr,
                stdio: cli.stdio,
                body_limit: cli.body_limit,
                limits: support::app::ConnectionLimits {
                    header_timeout: Duration::from_secs(cli.header_timeout),
                },
                allowed_origins: cli.allowed_origins,
                allowed_hosts: cli.allowed_hosts,
                public_url: cli.public_url,
                metrics: !cli.no_metrics,
                rest_auth: #rest_auth,
                mcp_auth: #mcp_auth,
                skill_auth: #skill_auth,
                control_auth: #control_auth,
            };
            support::app::run(&SPEC, upstream, make_upstream, &urls, variables, options).await
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::load::capability::{LoadOptions, load_capability};
    use crate::load::diagnostics::Diagnostics;
    use crate::load::source::SourceFile;
    use crate::model::join::join;

    /// A crash found while fuzzing (`pipeline`): a server variable whose name has no letters
    /// (`{{%}}`) became an empty identifier, and `format_ident!` panicked.
    #[test]
    fn default_addresses_are_socket_addresses() {
        assert_eq!(default_addr(Some("localhost"), 80), "127.0.0.1:80");
        assert_eq!(default_addr(None, 80), "127.0.0.1:80");
        assert_eq!(default_addr(Some("0.0.0.0"), 80), "0.0.0.0:80");
        assert_eq!(default_addr(Some("::1"), 80), "[::1]:80");
    }

    #[test]
    fn server_variables_without_letters_get_a_field_name() {
        let text = "naftiko: 1.0.0-alpha2\ninfo: {label: t, description: d}\ncapability:\n  consumes:\n    - {type: http, namespace: api, baseUri: 'https://example.com/{{%}}', resources: []}\n  exposes: []\n";
        let file = SourceFile::from_text(Path::new("cap.yaml"), text.to_owned());
        let mut diags = Diagnostics::new();
        let cap = load_capability(&file, &LoadOptions::default(), &mut diags).expect("loads");
        let model = join(&file, &cap, &[], None, &mut diags);
        assert_eq!(model.consumes[0].variables, vec!["%".to_owned()]);
        let config = ServerConfig {
            crate_name: "t-server".to_owned(),
            crate_version: "0.1.0".to_owned(),
            client_crate: Some("t-client".to_owned()),
            case_insensitive_paths: false,
        };
        let main = tokens(&model, &config, false).to_string();
        assert!(main.contains("percent : Option < String >"), "{main}");
    }
}
