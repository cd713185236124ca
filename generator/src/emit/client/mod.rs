//! The typed client crate: a self-contained async Rust crate (reqwest with rustls, serde) with
//! one method per operation.
//!
//! ```text
//! Cargo.toml, README.md     templates/client/*.jinja
//! src/lib.rs               crate docs with a working example, re-exports
//! src/types.rs             the type space (types.rs here)
//! src/client.rs            Client: base URL, credentials, one method per operation (client_struct.rs)
//! src/operations.rs        per operation: request builder, success type, error enum, pager
//! src/error.rs, encoding.rs, paging.rs
//!                          hand-written support, generator/support/client/, identical in every crate
//! ```
//!
//! Usage of a generated client (what a server emitter generates):
//!
//! ```text
//! client.<op.rust_name>(<positional args>)   // required params, then a required body
//!     .<param>(value)                         // optional params; .maybe_<param>(Option<_>)
//!     .body(value)                            // optional body
//!     .send().await                           // Result<Success, <Op>Error>
//!     .send_raw().await                       // Result<RawResponse, Error>: status, headers, bytes
//! ```

mod client_struct;
pub mod docs;
pub mod operations;
pub mod types;

use std::collections::BTreeSet;

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use serde::Serialize;

use crate::emit::format;
use crate::emit::names_used::names_used;
use crate::emit::{GeneratedFile, RUST_PREAMBLE, finish_rust_file, rust_file, templates};
use crate::load::diagnostics::{Code, Diagnostic, Diagnostics};
use crate::model::api::{Api, ApiKeyLocation, Operation, SecurityKind, SecurityScheme};
use crate::model::names::{self, Scope};
use crate::model::types::{Scalar, TypeRef};

/// What the client crate is called and which credentials it takes beyond the document's.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    pub crate_name: String,
    pub crate_version: String,
    /// Schemes declared by a capability's `consumes.authentication` that the OpenAPI document
    /// lacks. Each is offered on every operation; one equal to a document scheme (same kind,
    /// same key name and place) is ignored.
    pub extra_auth: Vec<ExtraAuth>,
}

/// A credential scheme from outside the OpenAPI document.
#[derive(Clone, Debug)]
pub struct ExtraAuth {
    /// A name for it (the setter is `with_<snake_case name>`).
    pub name: String,
    pub kind: SecurityKind,
    pub description: Option<String>,
}

/// The crate name capgen picks when none is configured: the title in kebab case plus `-client`.
pub fn default_crate_name(api: &Api) -> String {
    let base = heck::ToKebabCase::to_kebab_case(api.title.as_str());
    let base: String = base
        .chars()
        .filter(|it| it.is_ascii_alphanumeric() || *it == '-')
        .collect();
    let base = base.trim_matches('-');
    if base.is_empty() {
        "api-client".to_owned()
    } else {
        format!("{base}-client")
    }
}

const SUPPORT_ERROR: &str = include_str!("../../../support/client/error.rs");
const SUPPORT_ENCODING: &str = include_str!("../../../support/client/encoding.rs");
const SUPPORT_PAGING: &str = include_str!("../../../support/client/paging.rs");
const SUPPORT_TRANSPORT: &str = include_str!("../../../support/client/transport.rs");
const SUPPORT_RETRY: &str = include_str!("../../../support/client/retry.rs");
const CARGO_TEMPLATE: &str = include_str!("../../../../templates/client/Cargo.toml.jinja");
const README_TEMPLATE: &str = include_str!("../../../../templates/client/README.md.jinja");

/// Generates the client crate for `api`. Paths are relative to the crate directory.
pub fn emit(api: &Api, config: &ClientConfig, diags: &mut Diagnostics) -> Vec<GeneratedFile> {
    let schemes = schemes(api, config);
    let extra: Vec<String> = schemes
        .iter()
        .skip(api.security_schemes.len())
        .map(|it| it.name.clone())
        .collect();
    let mut ops: Vec<(Operation, TokenStream)> = Vec::new();
    for op in &api.operations {
        let mut op = op.clone();
        for name in &extra {
            op.security.push(vec![name.clone()]);
        }
        let security = client_struct::security_tokens(&schemes, &op.security);
        ops.push((op, security));
    }
    let mut files = Vec::new();
    let paging = ops.iter().any(|(op, _)| op.paging.is_some());
    let lib_file = rust_file("src/lib.rs", lib(api, config, paging));
    add_rust(&mut files, "src/lib.rs", lib_file, diags);
    let type_count = api.types.defs.len();
    let types_file = format::format_items("src/types.rs", type_count, &[], |index| {
        types::definition(&api.types, &api.types.defs[index])
    })
    .and_then(|items| {
        let head = format::unparse("src/types.rs", types::module_head())?;
        let helpers = types::string_enum_impls(&api.types);
        let base64 = if api.types.uses_scalar(Scalar::Base64, &[]) {
            types::BASE64
        } else {
            ""
        };
        Ok(finish_rust_file(&(head + base64 + helpers + &items.text)))
    });
    add_rust(&mut files, "src/types.rs", types_file, diags);
    // The operations are built again inside the formatting workers (tokens cannot cross
    // threads); `write_status` comes last.
    let with_security = |index: usize| -> TokenStream {
        let Some(op) = api.operations.get(index) else {
            return write_status();
        };
        let mut op = op.clone();
        for name in &extra {
            op.security.push(vec![name.clone()]);
        }
        let security = client_struct::security_tokens(&schemes, &op.security);
        operations::operation(api, &op, &security)
    };
    let operation_items = if ops.is_empty() { 0 } else { ops.len() + 1 };
    let operations_file = format::format_items(
        "src/operations.rs",
        operation_items,
        &use_names(OPERATION_USES),
        with_security,
    )
    .and_then(|items| {
        let head = operations_head(&items.idents);
        let head = format::unparse("src/operations.rs", head)?;
        Ok(finish_rust_file(&(head + &items.text)))
    });
    add_rust(&mut files, "src/operations.rs", operations_file, diags);
    let client_body = client_struct::module(api, &schemes, &ops);
    // The body is printed once; its text chooses the `use` items of the head.
    let client_file = format::unparse("src/client.rs", client_body).and_then(|body| {
        let mut found = BTreeSet::new();
        names_used(&body, &use_names(CLIENT_USES), &mut found);
        let uses = uses(&found, CLIENT_USES);
        let head = quote! {
            //! The client: base URL, HTTP client, credentials, and one method per operation.
            #![allow(deprecated)]
            #uses
        };
        let head = format::unparse("src/client.rs", head)?;
        Ok(finish_rust_file(&(head + &body)))
    });
    add_rust(&mut files, "src/client.rs", client_file, diags);
    for (path, source) in [
        ("src/error.rs", SUPPORT_ERROR),
        ("src/encoding.rs", SUPPORT_ENCODING),
        ("src/transport.rs", SUPPORT_TRANSPORT),
        ("src/retry.rs", SUPPORT_RETRY),
    ] {
        support_file(&mut files, path, source);
    }
    if paging {
        support_file(&mut files, "src/paging.rs", SUPPORT_PAGING);
    }
    let view = manifest_view(api, config, &ops);
    for (path, name, source) in [
        ("Cargo.toml", "client/Cargo.toml.jinja", CARGO_TEMPLATE),
        ("README.md", "client/README.md.jinja", README_TEMPLATE),
    ] {
        match templates::render(name, source, &view) {
            Ok(text) => files.push(GeneratedFile::new(path, text)),
            Err(message) => diags.push(Diagnostic::error(Code::EmitUnsupported, message)),
        }
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    files
}

fn add_rust(
    files: &mut Vec<GeneratedFile>,
    path: &str,
    text: Result<String, String>,
    diags: &mut Diagnostics,
) {
    match text {
        Ok(text) => files.push(GeneratedFile::new(path, space_members(&text))),
        Err(message) => diags.push(Diagnostic::error(Code::EmitUnsupported, message)),
    }
}

/// A hand-written runtime file, copied as written (it is rustfmt-formatted, and its comments
/// stay), as the server's support files are.
fn support_file(files: &mut Vec<GeneratedFile>, path: &str, source: &str) {
    files.push(GeneratedFile::new(
        path,
        format!("{RUST_PREAMBLE}\n\n{source}"),
    ));
}

/// Blank lines where a person would put them and prettyplease does not: between the members
/// of an `impl`, after the module docs and after the `use` block.
fn space_members(text: &str) -> String {
    const STARTS: &[&str] = &[
        "///", "#[", "pub ", "pub(", "fn ", "async ", "const ", "type ", "impl", "enum ", "struct ",
    ];
    let lines: Vec<&str> = text.lines().collect();
    let mut out = String::with_capacity(text.len() + text.len() / 20);
    let mut previous = "";
    for (idx, line) in lines.iter().copied().enumerate() {
        let next = lines.get(idx + 1).copied().unwrap_or("");
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        let previous_trimmed = previous.trim_start();
        let previous_indent = previous.len() - previous_trimmed.len();
        if line.is_empty() {
            // rust_file's spacing puts a blank line after any top-level line ending with `;`,
            // doc lines (`&lt;`, code in examples) and `mod` declarations included.
            let in_docs = previous_trimmed.starts_with("///")
                || (previous.starts_with("//!") && next.starts_with("//!"));
            let in_mods = is_mod(previous) && is_mod(next);
            if in_docs || in_mods {
                continue;
            }
        }
        let starts_item = STARTS.iter().any(|it| trimmed.starts_with(it));
        let after_block =
            previous_trimmed == "}" && previous_indent == indent && indent > 0 && starts_item;
        let after_docs =
            previous.starts_with("//!") && !line.starts_with("//!") && !line.is_empty();
        let after_inner =
            previous.starts_with("#![") && !line.starts_with("#![") && !line.is_empty();
        let after_uses =
            previous.starts_with("use ") && !line.starts_with("use ") && !line.is_empty();
        if after_block || after_docs || after_inner || after_uses {
            out.push('\n');
        }
        out.push_str(line);
        out.push('\n');
        previous = line;
    }
    out
}

fn is_mod(line: &str) -> bool {
    (line.starts_with("mod ") || line.starts_with("pub mod ")) && line.ends_with(';')
}

/// The `use` lines among `candidates` whose name is an identifier in `body` (not in a string
/// or a doc comment).
/// An item a generated module may `use`: its name, and the path of the module it is in.
type UseCandidate = (&'static str, &'static str);

/// What `src/client.rs` may use.
const CLIENT_USES: &[UseCandidate] = &[
    ("Authorization", "crate::encoding"),
    ("RequestParts", "crate::encoding"),
    ("Error", "crate::error"),
    ("RawResponse", "crate::error"),
    ("operations", "crate"),
    ("types", "crate"),
];

/// What `src/operations.rs` may use.
const OPERATION_USES: &[UseCandidate] = &[
    ("Client", "crate::client"),
    ("Scheme", "crate::client"),
    ("RequestParts", "crate::encoding"),
    ("Style", "crate::encoding"),
    ("DecodeError", "crate::error"),
    ("Error", "crate::error"),
    ("ErrorResponse", "crate::error"),
    ("RawResponse", "crate::error"),
    ("RequestError", "crate::error"),
    ("TransportError", "crate::error"),
    ("PageTokens", "crate::paging"),
    ("types", "crate"),
];

/// The names [`names_used`] looks for: a module (`types`, `operations`) counts only as
/// the head of a path (`types::`), so that a parameter of the same name does not import it.
fn use_names(candidates: &[UseCandidate]) -> Vec<String> {
    candidates
        .iter()
        .map(|(name, _)| match *name {
            "types" | "operations" => format!("{name}::"),
            _ => (*name).to_owned(),
        })
        .collect()
}

/// The `use` items of `candidates` whose name [`use_names`] found.
fn uses(found: &BTreeSet<String>, candidates: &[UseCandidate]) -> TokenStream {
    let uses = candidates
        .iter()
        .zip(use_names(candidates))
        .filter(|(_, name)| found.contains(name))
        .map(|((name, module), _)| {
            let module = module.split("::").map(|it| format_ident!("{it}"));
            let name = format_ident!("{name}");
            quote!(use #(#module)::* :: #name;)
        });
    quote!(#(#uses)*)
}

/// The helper every operation's error `Display` uses.
fn write_status() -> TokenStream {
    quote! {
        /// Writes `operation: 404 Not Found: message` for error displays.
        fn write_status(
            f: &mut std::fmt::Formatter<'_>,
            operation: &str,
            status: reqwest::StatusCode,
            message: Option<String>,
        ) -> std::fmt::Result {
            write!(f, "{operation}: {status}")?;
            if let Some(message) = message {
                write!(f, ": {message}")?;
            }
            Ok(())
        }
    }
}

/// The module docs and the `use`s the operations need.
fn operations_head(found: &BTreeSet<String>) -> TokenStream {
    let uses = uses(found, OPERATION_USES);
    quote! {
        //! One request builder per operation (returned by the [`crate::Client`] methods),
        //! with its success type and its error enum.
        #![allow(deprecated)]
        #uses
    }
}

/// The document's schemes plus the capability's extra ones that differ from all of them.
pub fn schemes(api: &Api, config: &ClientConfig) -> Vec<SecurityScheme> {
    let mut res = api.security_schemes.clone();
    let mut scope = Scope::new();
    for scheme in &res {
        scope.reserve(&scheme.rust_name);
    }
    for extra in &config.extra_auth {
        let duplicate = res.iter().any(|it| same_scheme(&it.kind, &extra.kind));
        if duplicate {
            continue;
        }
        res.push(SecurityScheme {
            name: extra.name.clone(),
            rust_name: scope.claim(&names::field_name(&extra.name)),
            kind: extra.kind.clone(),
            description: extra.description.clone(),
            pointer: String::new(),
        });
    }
    res
}

pub fn same_scheme(a: &SecurityKind, b: &SecurityKind) -> bool {
    match (a, b) {
        (
            SecurityKind::ApiKey {
                location: la,
                name: na,
            },
            SecurityKind::ApiKey {
                location: lb,
                name: nb,
            },
        ) => {
            la == lb && (na == nb || (*la == ApiKeyLocation::Header && na.eq_ignore_ascii_case(nb)))
        }
        (SecurityKind::Basic, SecurityKind::Basic)
        | (SecurityKind::Bearer, SecurityKind::Bearer) => true,
        _ => false,
    }
}

fn lib(api: &Api, config: &ClientConfig, paging: bool) -> TokenStream {
    let crate_ident = config.crate_name.replace('-', "_");
    let title = api_label(&api.title);
    let mut head = format!(
        "A typed async client for the {title} (version `{}`).",
        api.version.replace('`', "'")
    );
    head.push_str("\n\nGenerated by capgen from the API's OpenAPI description; do not edit.");
    let description = api
        .description
        .as_deref()
        .map(docs::sanitize)
        .unwrap_or_default();
    let example = example(api, &crate_ident);
    let mut text = head;
    if !description.trim().is_empty() {
        text.push_str(&format!("\n\n{description}"));
    }
    text.push_str(&format!("\n\n# Example\n\n```no_run\n{example}```"));
    text.push_str(concat!(
        "\n\n# Shape\n\n",
        "- [`Client`]: one method per operation. Required parameters are arguments; the method returns\n",
        "  a request builder from [`operations`] with a method per optional parameter.\n",
        "- `send()` decodes: the documented success body (or an enum when several statuses succeed),\n",
        "  or the operation's error enum with one variant per documented error status, the body read\n",
        "  leniently ([`ErrorResponse`]), plus unexpected statuses, transport and decode failures.\n",
        "- `send_raw()` returns the response as received ([`RawResponse`]), for proxies.\n",
        "- [`types`]: the API's schemas."
    ));
    let doc_lines = text.lines().map(|line| {
        if line.is_empty() {
            String::new()
        } else {
            format!(" {line}")
        }
    });
    let paging_mod = if paging {
        quote!(
            mod paging;
        )
    } else {
        TokenStream::new()
    };
    // Auto traits (`Send`, `RefUnwindSafe`, …) are proven through every level of nesting; deep
    // schema graphs (Stripe's) overflow the default limit of 128 in rustdoc.
    let depth = nesting_depth(&api.types);
    let recursion_limit = if depth > 12 {
        let limit = (depth * 8).next_power_of_two().max(256).to_string();
        quote!(#![recursion_limit = #limit])
    } else {
        TokenStream::new()
    };
    quote! {
        #(#![doc = #doc_lines])*
        #![deny(missing_docs)]
        #![forbid(unsafe_code)]
        #recursion_limit

        mod client;
        mod encoding;
        mod error;
        pub mod operations;
        #paging_mod
        mod retry;
        mod transport;
        // Field types nest as deeply as the schemas do (maps of maps of lists).
        #[allow(clippy::type_complexity)]
        pub mod types;

        pub use client::Client;
        pub use error::{DecodeError, Error, ErrorResponse, RawResponse, RequestError, TransportError};
        pub use retry::RetryPolicy;
        pub use transport::{HookFuture, Hooks, Transport, TransportFailure, TransportFuture};
        /// The HTTP library the client uses, for building a custom [`reqwest::Client`] or multipart forms.
        pub use reqwest;
    }
}

/// The longest chain of definitions containing one another (through any container), cycles
/// cut: how deep the compiler must look to prove an auto trait.
fn nesting_depth(space: &crate::model::types::TypeSpace) -> usize {
    use crate::model::types::TypeKind;
    fn targets(ty: &TypeRef, out: &mut Vec<usize>) {
        match ty {
            TypeRef::Named(id) => out.push(id.0),
            TypeRef::Vec(inner) | TypeRef::Map(inner) | TypeRef::Option(inner) => {
                targets(inner, out)
            }
            TypeRef::Scalar(_) => {}
        }
    }
    let edges: Vec<Vec<usize>> = space
        .defs
        .iter()
        .map(|def| {
            let mut out = Vec::new();
            match &def.kind {
                TypeKind::Struct(it) => {
                    for field in &it.fields {
                        targets(&field.ty, &mut out);
                    }
                    if let Some(extra) = &it.additional {
                        targets(&extra.value, &mut out);
                    }
                }
                TypeKind::Union(it) => {
                    for variant in &it.variants {
                        targets(&variant.ty, &mut out);
                    }
                }
                TypeKind::Alias { target } | TypeKind::Newtype { target } => {
                    targets(target, &mut out)
                }
                TypeKind::Enum(_) => {}
            }
            out
        })
        .collect();
    // Iterative DFS with memoised depths; an edge back onto the stack counts as depth 0.
    let n = edges.len();
    let mut depth: Vec<Option<usize>> = vec![None; n];
    let mut on_stack = vec![false; n];
    for start in 0..n {
        if depth[start].is_some() {
            continue;
        }
        let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
        on_stack[start] = true;
        while let Some((node, next)) = stack.pop() {
            if next < edges[node].len() {
                stack.push((node, next + 1));
                let child = edges[node][next];
                if child < n && depth[child].is_none() && !on_stack[child] {
                    on_stack[child] = true;
                    stack.push((child, 0));
                }
                continue;
            }
            let deepest = edges[node]
                .iter()
                .filter_map(|it| depth.get(*it).copied().flatten())
                .max()
                .unwrap_or(0);
            depth[node] = Some(deepest + 1);
            on_stack[node] = false;
        }
    }
    depth.into_iter().flatten().max().unwrap_or(0)
}

/// A usage example for the crate docs and the README: construct, authenticate, call one
/// operation with a string argument.
pub fn example(api: &Api, crate_ident: &str) -> String {
    let mut lines = vec![format!("use {crate_ident}::Client;"), String::new()];
    lines.push("async fn example() -> Result<(), Box<dyn std::error::Error>> {".to_owned());
    let constructor = match api.servers.first() {
        Some(server) if server.url.contains("://") => {
            let args: Vec<String> = server
                .variables
                .iter()
                .map(|it| {
                    format!(
                        "{:?}",
                        if it.default.is_empty() {
                            "example"
                        } else {
                            &it.default
                        }
                    )
                })
                .collect();
            format!("Client::new({})", args.join(", "))
        }
        _ => "Client::new(\"https://api.example.com\")".to_owned(),
    };
    let is_string = |ty: &TypeRef| matches!(api.types.resolve(ty), TypeRef::Scalar(Scalar::String));
    let callable = |op: &&Operation| {
        op.positional().all(|it| is_string(&it.ty))
            && op.body.as_ref().is_none_or(|it| !it.required)
    };
    let op = api
        .operations
        .iter()
        .filter(callable)
        .find(|op| op.method == "GET")
        .or_else(|| api.operations.iter().find(callable));
    let auth = op
        .and_then(|op| op.security.iter().flatten().next())
        .and_then(|name| api.security_schemes.iter().find(|it| it.name == *name))
        .or_else(|| api.security_schemes.first());
    let auth = match auth {
        Some(scheme) => match scheme.kind {
            SecurityKind::Basic => format!(
                "\n        .with_{}(\"user\", \"password\")",
                scheme.rust_name
            ),
            _ => format!("\n        .with_{}(\"secret\")", scheme.rust_name),
        },
        None => String::new(),
    };
    lines.push(format!("    let client = {constructor}{auth};"));
    match op {
        Some(op) => {
            let args: Vec<&str> = op.positional().map(|_| "\"example\"").collect();
            let mut call = format!("client.{}({})", op.rust_name, args.join(", "));
            let optional = op.optional().find(|it| {
                matches!(
                    api.types.resolve(&it.ty),
                    TypeRef::Scalar(Scalar::Bool | Scalar::I32 | Scalar::I64)
                )
            });
            if let Some(param) = optional {
                let value = if matches!(api.types.resolve(&param.ty), TypeRef::Scalar(Scalar::Bool))
                {
                    "true"
                } else {
                    "10"
                };
                call.push_str(&format!("\n        .{}({value})", param.rust_name));
            }
            if op.paging.is_some() {
                lines.push(format!("    let items = {call}\n        .pages()\n        .collect_all()\n        .await?;"));
                lines.push("    println!(\"{} items\", items.len());".to_owned());
            } else {
                lines.push(format!("    let response = {call}.send().await?;"));
                lines.push("    println!(\"{response:?}\");".to_owned());
            }
        }
        None => lines.push("    println!(\"{client:?}\");".to_owned()),
    }
    lines.push("    Ok(())".to_owned());
    lines.push("}".to_owned());
    let mut res = lines.join("\n");
    res.push('\n');
    res
}

#[derive(Serialize)]
struct ManifestView {
    crate_name: String,
    crate_version: String,
    /// TOML basic string, quotes included.
    description: String,
    title: String,
    version: String,
    chrono: bool,
    uuid: bool,
    base64: bool,
    multipart: bool,
    /// Some operation has continuation-token paging (its pages are also a `Stream`).
    paging: bool,
    example: String,
    operations: Vec<OperationView>,
    /// ` (`with_a`, `with_b`)` or empty.
    schemes_text: String,
}

#[derive(Serialize)]
struct OperationView {
    key: String,
    method: String,
    summary: String,
}

fn manifest_view(
    api: &Api,
    config: &ClientConfig,
    ops: &[(Operation, TokenStream)],
) -> ManifestView {
    let extra: Vec<&TypeRef> = api
        .operations
        .iter()
        .flat_map(|op| {
            op.params
                .iter()
                .map(|it| &it.ty)
                .chain(op.body.iter().map(|it| &it.ty))
                .chain(op.responses.iter().filter_map(|it| it.ty.as_ref()))
                .chain(
                    op.responses
                        .iter()
                        .flat_map(|it| it.headers.iter().map(|h| &h.ty)),
                )
        })
        .collect();
    let title = api_label(&api.title);
    let description = format!("A typed async client for the {title}");
    ManifestView {
        crate_name: config.crate_name.clone(),
        crate_version: config.crate_version.clone(),
        description: toml_string(&description),
        title,
        version: api.version.clone(),
        chrono: api.types.uses_scalar(Scalar::DateTime, &extra)
            || api.types.uses_scalar(Scalar::Date, &extra),
        uuid: api.types.uses_scalar(Scalar::Uuid, &extra),
        base64: api.types.uses_scalar(Scalar::Base64, &extra),
        multipart: api.operations.iter().any(|op| {
            op.body
                .as_ref()
                .is_some_and(|it| it.kind == crate::model::api::BodyKind::Multipart)
        }),
        paging: api.operations.iter().any(|op| op.paging.is_some()),
        example: example(api, &config.crate_name.replace('-', "_")),
        operations: ops
            .iter()
            .map(|(op, _)| OperationView {
                key: op.key.clone(),
                method: op.rust_name.clone(),
                summary: op
                    .summary
                    .clone()
                    .unwrap_or_default()
                    .replace('\n', " ")
                    .replace('|', "\\|"),
            })
            .collect(),
        schemes_text: if api.security_schemes.is_empty() {
            String::new()
        } else {
            let setters: Vec<String> = api
                .security_schemes
                .iter()
                .map(|it| format!("`with_{}`", it.rust_name))
                .collect();
            format!(" ({})", setters.join(", "))
        },
    }
}

/// How the API is named in prose: its title, with ` API` unless the title ends with it.
pub fn api_label(title: &str) -> String {
    let title = title.trim();
    if title.is_empty() {
        "API".to_owned()
    } else if title.to_ascii_lowercase().ends_with("api") {
        title.to_owned()
    } else {
        format!("{title} API")
    }
}

/// A TOML basic string literal.
fn toml_string(text: &str) -> String {
    let mut res = String::from("\"");
    for ch in text.chars() {
        match ch {
            '"' => res.push_str("\\\""),
            '\\' => res.push_str("\\\\"),
            '\n' => res.push_str("\\n"),
            c if c.is_control() => res.push_str(&format!("\\u{:04X}", c as u32)),
            c => res.push(c),
        }
    }
    res.push('"');
    res
}
