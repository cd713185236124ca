//! The server crate of a capability: one binary serving the capability's REST adapter (an axum
//! proxy) and its MCP adapter (rmcp, streamable HTTP or stdio), calling upstream through the
//! generated client crate (operations joined with the OpenAPI document) or as the capability
//! declares them (everything else: a capability needs no OpenAPI document).
//!
//! Generated per capability: `src/main.rs` (command line and constants), `src/routes.rs` (the
//! REST route table), `src/tools.rs` (the MCP tool bindings), `src/operations.rs` (one call
//! per consumed operation), `src/consumes.rs` (the declared requests), `openapi.json`,
//! `mcp-tools.json`, `Cargo.toml` and `README.md`. The runtime that interprets these tables is
//! hand-written (`generator/support/server/`) and copied into `src/support/`.

pub mod consumes;
mod deploy;
mod main_rs;
pub mod openapi;
mod operations;
mod skills;
mod tables;

use serde::Serialize;

use crate::emit::{GeneratedFile, RUST_PREAMBLE, rust_file, templates};
use crate::load::diagnostics::{Code, Diagnostic, Diagnostics};
use crate::model::api::Api;
use crate::model::capability::CapabilityModel;

/// Names and versions of one server crate.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub crate_name: String,
    pub crate_version: String,
    /// The client crate's name (a path dependency at `../<client_crate>`), when an OpenAPI
    /// document was given.
    pub client_crate: Option<String>,
    /// Route REST path literals case-insensitively.
    pub case_insensitive_paths: bool,
}

/// The hand-written runtime, copied into every server crate.
const SUPPORT: &[(&str, &str)] = &[
    ("mod.rs", include_str!("../../../support/server/mod.rs")),
    (
        "admission.rs",
        include_str!("../../../support/server/admission.rs"),
    ),
    ("app.rs", include_str!("../../../support/server/app.rs")),
    ("auth.rs", include_str!("../../../support/server/auth.rs")),
    (
        "http_client.rs",
        include_str!("../../../support/server/http_client.rs"),
    ),
    (
        "log_format.rs",
        include_str!("../../../support/server/log_format.rs"),
    ),
    ("logs.rs", include_str!("../../../support/server/logs.rs")),
    (
        "mapping.rs",
        include_str!("../../../support/server/mapping.rs"),
    ),
    ("mcp.rs", include_str!("../../../support/server/mcp.rs")),
    (
        "metrics.rs",
        include_str!("../../../support/server/metrics.rs"),
    ),
    (
        "params.rs",
        include_str!("../../../support/server/params.rs"),
    ),
    (
        "problem.rs",
        include_str!("../../../support/server/problem.rs"),
    ),
    ("rest.rs", include_str!("../../../support/server/rest.rs")),
    ("retry.rs", include_str!("../../../support/server/retry.rs")),
    (
        "rewrite.rs",
        include_str!("../../../support/server/rewrite.rs"),
    ),
    (
        "scripts.rs",
        include_str!("../../../support/server/scripts.rs"),
    ),
    (
        "skills.rs",
        include_str!("../../../support/server/skills.rs"),
    ),
    ("steps.rs", include_str!("../../../support/server/steps.rs")),
    (
        "prompts.rs",
        include_str!("../../../support/server/prompts.rs"),
    ),
    (
        "resources.rs",
        include_str!("../../../support/server/resources.rs"),
    ),
    (
        "upstream.rs",
        include_str!("../../../support/server/upstream.rs"),
    ),
    ("binds.rs", include_str!("../../../support/server/binds.rs")),
    (
        "control.rs",
        include_str!("../../../support/server/control.rs"),
    ),
    (
        "declared.rs",
        include_str!("../../../support/server/declared.rs"),
    ),
    (
        "formats.rs",
        include_str!("../../../support/server/formats.rs"),
    ),
    (
        "mustache.rs",
        include_str!("../../../support/server/mustache.rs"),
    ),
];

#[derive(Serialize)]
struct CargoContext<'a> {
    crate_name: &'a str,
    version: &'a str,
    description: String,
    client_crate: Option<&'a str>,
    /// Optional features this capability needs (`outputRawFormat` conversions, binds files,
    /// digest authentication, multipart bodies), on by default.
    features: Vec<&'static str>,
}

#[derive(Serialize)]
struct ReadmeContext<'a> {
    crate_name: &'a str,
    source: &'a str,
    label: String,
    description: String,
    rest: Vec<serde_json::Value>,
    mcp: Vec<serde_json::Value>,
    tools: Vec<serde_json::Value>,
    resources: Vec<serde_json::Value>,
    prompts: Vec<serde_json::Value>,
    skills: Vec<serde_json::Value>,
    secrets: Vec<serde_json::Value>,
    upstreams: Vec<serde_json::Value>,
}

/// The optional Cargo features of the server crate `model` needs.
fn features(model: &CapabilityModel, calls: &operations::Calls) -> Vec<&'static str> {
    use crate::model::capability::{DeclaredBody, OutboundAuth, RawFormat};
    let mut res = Vec::new();
    let ops: Vec<&crate::model::capability::ConsumedOperation> = calls
        .declared()
        .map(|(api, index)| &model.consumes[api].operations[index])
        .collect();
    let used_formats: Vec<RawFormat> = model
        .rest
        .iter()
        .flat_map(|it| it.operations.iter().map(|op| (&op.call, &op.output)))
        .chain(
            model
                .mcp
                .iter()
                .flat_map(|it| it.tools.iter().map(|tool| (&tool.call, &tool.output))),
        )
        .filter(|(_, output)| {
            matches!(output, crate::model::capability::OutputShape::Mapped { .. })
        })
        .filter_map(|(call, _)| call.as_ref())
        // Orchestration steps read every answer in its format.
        .chain(
            model
                .rest
                .iter()
                .flat_map(|it| it.operations.iter().map(|op| op.steps.as_ref()))
                .chain(
                    model
                        .mcp
                        .iter()
                        .flat_map(|it| it.tools.iter().map(|tool| tool.steps.as_ref())),
                )
                .flat_map(operations::step_calls),
        )
        .chain(
            model
                .mcp
                .iter()
                .flat_map(|it| &it.resources)
                .flat_map(|resource| {
                    use crate::model::capability::ResourceSource;
                    match &resource.source {
                        ResourceSource::Call { call, .. } => vec![call],
                        ResourceSource::Steps { orchestration } => {
                            operations::step_calls(Some(orchestration)).collect()
                        }
                        ResourceSource::Directory { .. } => Vec::new(),
                    }
                }),
        )
        .map(|call| model.consumes[call.api].operations[call.index].format)
        .collect();
    let bind_files = model
        .variables
        .iter()
        .filter_map(|it| it.location.as_deref())
        .any(|it| !it.ends_with(".json"));
    if used_formats.contains(&RawFormat::Xml) {
        res.push("xml");
    }
    if used_formats.contains(&RawFormat::Yaml) || bind_files {
        res.push("yaml");
    }
    if used_formats
        .iter()
        .any(|it| matches!(it, RawFormat::Csv | RawFormat::Tsv | RawFormat::Psv))
    {
        res.push("csv");
    }
    if used_formats.contains(&RawFormat::Html) {
        res.push("html");
    }
    if used_formats.contains(&RawFormat::Markdown) {
        res.push("markdown");
    }
    let digest = calls
        .declared()
        .any(|(api, _)| matches!(model.consumes[api].auth, Some(OutboundAuth::Digest { .. })));
    if digest {
        res.push("digest");
    }
    if ops
        .iter()
        .any(|op| matches!(op.request.body, Some(DeclaredBody::Multipart { .. })))
    {
        res.push("multipart");
    }
    if orchestrations(model)
        .flat_map(|it| &it.steps)
        .any(|step| matches!(step.kind, crate::model::capability::StepKind::Script { .. }))
    {
        res.push("scripts");
    }
    if !model.skills.is_empty() {
        res.push("skills");
    }
    res
}

/// Every orchestration of the capability: REST operations, MCP tools and resources.
fn orchestrations(
    model: &CapabilityModel,
) -> impl Iterator<Item = &crate::model::capability::Orchestration> {
    use crate::model::capability::ResourceSource;
    let operations = model
        .rest
        .iter()
        .flat_map(|it| &it.operations)
        .filter_map(|op| op.steps.as_ref());
    let tools = model
        .mcp
        .iter()
        .flat_map(|it| &it.tools)
        .filter_map(|tool| tool.steps.as_ref());
    let resources = model
        .mcp
        .iter()
        .flat_map(|it| &it.resources)
        .filter_map(|resource| match &resource.source {
            ResourceSource::Steps { orchestration } => Some(orchestration),
            _ => None,
        });
    operations.chain(tools).chain(resources)
}

/// Emits the server crate for `model` (files relative to the crate directory). `api` is the
/// OpenAPI document's API model, when one was given.
pub fn emit(
    model: &CapabilityModel,
    api: Option<&Api>,
    config: &ServerConfig,
    diags: &mut Diagnostics,
) -> Vec<GeneratedFile> {
    let mut files = Vec::new();
    let api = api.filter(|_| config.client_crate.is_some());
    let calls = operations::plan(model, api);
    let operations = operations::tokens(model, api, config, &calls, diags);
    let mut units = vec![
        (
            "src/main.rs",
            "server main",
            main_rs::tokens(model, config, calls.uses_declared()),
        ),
        (
            "src/routes.rs",
            "route table",
            tables::routes(model, &calls),
        ),
        ("src/tools.rs", "tool table", tables::tools(model, &calls)),
        ("src/operations.rs", "operations", operations),
    ];
    if calls.uses_declared() {
        units.push((
            "src/consumes.rs",
            "consumed APIs",
            consumes::tokens(model, &calls),
        ));
    }
    if !model.skills.is_empty() {
        units.push(("src/skills.rs", "skill catalog", skills::table(model)));
        files.extend(skills::files(model, diags));
    }
    for (path, what, tokens) in units {
        match rust_file(what, tokens) {
            Ok(text) => files.push(GeneratedFile::new(path, text)),
            Err(message) => diags.push(Diagnostic::error(Code::EmitUnsupported, message)),
        }
    }
    for (name, text) in SUPPORT {
        files.push(GeneratedFile::new(
            format!("src/support/{name}"),
            format!("{RUST_PREAMBLE}\n\n{text}"),
        ));
    }
    if !model.rest.is_empty() {
        let openapi =
            openapi::document(model, &config.crate_version, config.case_insensitive_paths);
        files.push(GeneratedFile::new(
            openapi::FILE,
            format!(
                "{}\n",
                serde_json::to_string_pretty(&openapi).unwrap_or_default()
            ),
        ));
    }
    files.push(crate::emit::mcp::tools::emit(model));

    let label = model
        .label
        .clone()
        .unwrap_or_else(|| config.crate_name.clone());
    let cargo = CargoContext {
        crate_name: &config.crate_name,
        version: &config.crate_version,
        // A TOML basic string: JSON string escapes are valid TOML.
        description: serde_json::Value::String(format!(
            "REST and MCP server for the capability \"{label}\" (generated by capgen)"
        ))
        .to_string(),
        client_crate: config
            .client_crate
            .as_deref()
            .filter(|_| calls.uses_client()),
        features: features(model, &calls),
    };
    match templates::render(
        "server/Cargo.toml.j2",
        include_str!("../../../../templates/server/Cargo.toml.j2"),
        &cargo,
    ) {
        Ok(text) => files.push(GeneratedFile::new("Cargo.toml", text)),
        Err(message) => diags.push(Diagnostic::error(Code::EmitUnsupported, message)),
    }
    match deploy::files(model, config, cargo.client_crate) {
        Ok(deploy) => files.extend(deploy),
        Err(message) => diags.push(Diagnostic::error(Code::EmitUnsupported, message)),
    }
    let readme = readme_context(model, config, label);
    match templates::render(
        "server/README.md.j2",
        include_str!("../../../../templates/server/README.md.j2"),
        &readme,
    ) {
        Ok(text) => files.push(GeneratedFile::new("README.md", text)),
        Err(message) => diags.push(Diagnostic::error(Code::EmitUnsupported, message)),
    }
    files
}

fn readme_context<'a>(
    model: &'a CapabilityModel,
    config: &'a ServerConfig,
    label: String,
) -> ReadmeContext<'a> {
    use serde_json::json;
    ReadmeContext {
        crate_name: &config.crate_name,
        source: &model.source,
        label,
        description: model.description.clone().unwrap_or_default(),
        rest: model
            .rest
            .iter()
            .flat_map(|adapter| adapter.operations.iter().map(move |op| (adapter.port, op)))
            .map(|(port, op)| json!({"method": op.method, "path": op.path, "port": port, "name": op.name}))
            .collect(),
        mcp: model.mcp.iter().map(|it| json!({"namespace": it.namespace, "port": it.port})).collect(),
        tools: model
            .mcp
            .iter()
            .flat_map(|it| it.tools.iter())
            .map(|tool| json!({"name": tool.name, "title": tool.title}))
            .collect(),
        resources: model
            .mcp
            .iter()
            .flat_map(|it| it.resources.iter())
            .map(|it| {
                use crate::model::capability::ResourceSource;
                let kind = match &it.source {
                    ResourceSource::Directory { location } => format!("the files of `{location}`"),
                    ResourceSource::Call { call, .. } => format!("`{}.{}`", call.namespace, call.operation),
                    ResourceSource::Steps { .. } => "orchestrated steps".to_owned(),
                };
                json!({"uri": it.uri, "name": it.name, "kind": kind})
            })
            .collect(),
        prompts: model
            .mcp
            .iter()
            .flat_map(|it| it.prompts.iter())
            .map(|it| json!({"name": it.name, "description": it.description}))
            .collect(),
        skills: model
            .skills
            .iter()
            .flat_map(|it| it.skills.iter())
            .map(|it| json!({"name": it.name, "description": it.description}))
            .collect(),
        secrets: model
            .variables
            .iter()
            .map(|it| json!({"key": it.key, "variable": it.variable, "location": it.location, "required": it.required}))
            .collect(),
        upstreams: model
            .consumes
            .iter()
            .map(|api| {
                use heck::{ToKebabCase, ToShoutySnakeCase};
                let single = model.consumes.len() == 1;
                let flag = if single { "upstream-url".to_owned() } else { format!("{}-url", api.namespace.to_kebab_case()) };
                let env = upstream_url_env(api, single);
                let variables: Vec<serde_json::Value> = api
                    .variables
                    .iter()
                    .map(|it| json!({"name": it, "flag": it.to_kebab_case(), "env": it.to_shouty_snake_case()}))
                    .collect();
                json!({"namespace": api.namespace, "base_uri": api.base_uri, "flag": flag, "env": env, "variables": variables})
            })
            .collect(),
    }
}

/// The environment variable of a consumed API's base URL: `UPSTREAM_URL` when the capability
/// consumes one API, `<NAMESPACE>_URL` otherwise (the CLI, the README and the manifests agree).
pub(crate) fn upstream_url_env(
    api: &crate::model::capability::ConsumedApi,
    single: bool,
) -> String {
    use heck::ToShoutySnakeCase;
    if single {
        "UPSTREAM_URL".to_owned()
    } else {
        format!("{}_URL", api.namespace.to_shouty_snake_case())
    }
}

/// The credentials a capability's consumed API needs, as a scheme for the client crate (used
/// when the OpenAPI document does not declare the same scheme).
pub fn extra_auth(model: &CapabilityModel) -> crate::emit::client::ExtraAuth {
    use crate::model::api::{ApiKeyLocation, SecurityKind};
    use crate::model::capability::{KeyPlacement, OutboundAuth};
    let api = &model.consumes[0];
    let (name, kind) = match &api.auth {
        Some(OutboundAuth::ApiKey {
            name, placement, ..
        }) => {
            let location = match placement {
                KeyPlacement::Query => ApiKeyLocation::Query,
                KeyPlacement::Header => ApiKeyLocation::Header,
                KeyPlacement::Cookie => ApiKeyLocation::Cookie,
            };
            (
                "api_key",
                SecurityKind::ApiKey {
                    location,
                    name: name.clone(),
                },
            )
        }
        Some(OutboundAuth::Basic { .. } | OutboundAuth::Digest { .. }) => {
            ("basic_auth", SecurityKind::Basic)
        }
        _ => ("bearer_token", SecurityKind::Bearer),
    };
    crate::emit::client::ExtraAuth {
        name: name.to_owned(),
        kind,
        description: Some(format!(
            "The credentials of `{}` declared by the capability.",
            api.namespace
        )),
    }
}
