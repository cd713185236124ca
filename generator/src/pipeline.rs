//! One generation run: load the documents of a [`Plan`], build the model, run the emitters.
//!
//! Nothing here writes files; callers get an [`Output`] only when no error was reported.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::emit::{self, Output};
use crate::load::capability::{self, LoadOptions};
use crate::load::diagnostics::{Code, Diagnostic, Diagnostics};
use crate::load::openapi::{self, OpenApiDocument};
use crate::load::source::SourceFile;
use crate::model::capability::CapabilityModel;
use crate::model::join;
use crate::plan::{Plan, ServerPlan};

/// Everything a plan's documents say, joined.
pub struct Loaded {
    pub openapi: Option<OpenApiDocument>,
    pub capabilities: Vec<(ServerPlan, CapabilityModel)>,
}

/// Loads the plan's OpenAPI document (with its overlays), if it has one.
pub fn load_openapi(plan: &Plan, diags: &mut Diagnostics) -> Option<OpenApiDocument> {
    let path = plan.openapi.as_ref()?;
    let overlays: Vec<&Path> = plan.overlays.iter().map(|it| it.as_path()).collect();
    openapi::load(path, &overlays, diags)
}

/// Loads every document of the plan and joins each capability with the OpenAPI document.
pub fn load(plan: &Plan, diags: &mut Diagnostics) -> Loaded {
    let openapi = load_openapi(plan, diags);
    let options = LoadOptions {
        strict: plan.strict,
    };
    let mut capabilities = Vec::new();
    for server in &plan.servers {
        let file = match SourceFile::read(&server.capability) {
            Ok(file) => file,
            Err(diagnostic) => {
                diags.push(diagnostic);
                continue;
            }
        };
        let Some(cap) = load_server_capability(&file, server, &options, diags) else {
            continue;
        };
        let imports = capability::imports::resolve(&file, &cap, &options, diags);
        let model = join::join(&file, &cap, &imports, openapi.as_ref(), diags);
        capabilities.push((server.clone(), model));
    }
    if let Some(doc) = &openapi
        && !capabilities.is_empty()
    {
        report_unused_operations(doc, &capabilities, diags);
    }
    Loaded {
        openapi,
        capabilities,
    }
}

/// Reads a server's capability with its overlays applied.
fn load_server_capability(
    file: &std::sync::Arc<SourceFile>,
    server: &ServerPlan,
    options: &LoadOptions,
    diags: &mut Diagnostics,
) -> Option<capability::Capability> {
    if server.overlays.is_empty() {
        return capability::load_capability(file, options, diags);
    }
    let mut raw = match file.parse() {
        Ok(raw) => raw,
        Err(diagnostic) => {
            diags.push(diagnostic);
            return None;
        }
    };
    for path in &server.overlays {
        let overlay = match SourceFile::read(path) {
            Ok(overlay) => overlay,
            Err(diagnostic) => {
                diags.push(diagnostic);
                return None;
            }
        };
        if !openapi::overlay::apply(&overlay, &mut raw, diags) {
            return None;
        }
    }
    capability::load_capability_value(file, raw, options, diags)
}

/// Notes every OpenAPI operation that no capability of the plan consumes.
fn report_unused_operations(
    doc: &OpenApiDocument,
    capabilities: &[(ServerPlan, CapabilityModel)],
    diags: &mut Diagnostics,
) {
    let used: BTreeSet<(String, String)> = capabilities
        .iter()
        .flat_map(|(_, model)| model.consumes.iter())
        .flat_map(|api| api.operations.iter())
        .filter_map(|op| {
            op.openapi
                .as_ref()
                .map(|it| (it.method.clone(), it.path.clone()))
        })
        .collect();
    for (path, item) in &doc.spec.paths.paths {
        let openapiv3::ReferenceOr::Item(item) = item else {
            continue;
        };
        for (method, operation) in item.iter() {
            let method = method.to_uppercase();
            if used.contains(&(method.clone(), path.clone())) {
                continue;
            }
            let name = operation
                .operation_id
                .clone()
                .unwrap_or_else(|| format!("{method} {path}"));
            let message = format!(
                "OpenAPI operation `{name}` ({method} {path}) is not consumed by any capability"
            );
            let pointer = format!(
                "/paths/{}/{}",
                crate::load::diagnostics::escape_pointer_segment(path),
                method.to_lowercase()
            );
            diags.push(doc.at(Diagnostic::note(Code::NotExposed, message), &pointer));
        }
    }
}

/// Loads and checks every input of the plan without generating anything.
pub fn check(plan: &Plan, diags: &mut Diagnostics) {
    let _ = load(plan, diags);
}

/// The version written into generated crates.
const CRATE_VERSION: &str = "0.1.0";

/// How long each phase of a run took (`capgen generate --timings`).
#[derive(Debug, Default)]
pub struct Timings {
    phases: Vec<(&'static str, Duration)>,
    started: Option<Instant>,
}

impl Timings {
    /// Ends the current phase (if any) and starts timing `name`.
    pub fn phase(&mut self, name: &'static str) {
        self.end();
        self.phases.push((name, Duration::ZERO));
        self.started = Some(Instant::now());
    }

    /// Ends the current phase.
    pub fn end(&mut self) {
        if let (Some(started), Some((_, took))) = (self.started.take(), self.phases.last_mut()) {
            *took = started.elapsed();
        }
    }

    /// `phase  12.3 ms` lines, one per phase, plus the total.
    pub fn report(&self) -> String {
        let mut out = String::new();
        let total: Duration = self.phases.iter().map(|(_, took)| *took).sum();
        for (name, took) in self.phases.iter().chain([&("total", total)]) {
            out.push_str(&format!("{name:>8} {:>9.1} ms\n", took.as_secs_f64() * 1e3));
        }
        out
    }
}

/// Generates everything the plan asks for. Returns `None` when an error was reported.
pub fn generate(plan: &Plan, diags: &mut Diagnostics) -> Option<Output> {
    generate_timed(plan, diags, &mut Timings::default())
}

/// [`generate`], recording the time of each phase (load, lower, emit).
pub fn generate_timed(
    plan: &Plan,
    diags: &mut Diagnostics,
    timings: &mut Timings,
) -> Option<Output> {
    timings.phase("load");
    let loaded = load(plan, diags);
    timings.end();
    if diags.has_errors() {
        return None;
    }
    let mut output = Output::new();
    timings.phase("lower");
    let api = loaded
        .openapi
        .as_ref()
        .map(|doc| crate::model::api::lower(doc, diags));
    timings.phase("emit");
    let client_crate = api.as_ref().map(|api| {
        plan.client_crate
            .clone()
            .unwrap_or_else(|| emit::client::default_crate_name(api))
    });
    let config = emit::client::ClientConfig {
        crate_name: client_crate.clone().unwrap_or_default(),
        crate_version: CRATE_VERSION.to_owned(),
        extra_auth: loaded
            .capabilities
            .iter()
            .filter(|(_, model)| model.consumes.len() == 1)
            .map(|(_, model)| emit::server::extra_auth(model))
            .collect(),
    };
    // The crates are independent: emit them on their own threads, then merge in plan order so
    // files and diagnostics do not depend on scheduling.
    let emitted: Vec<(String, Vec<emit::GeneratedFile>, Diagnostics)> =
        std::thread::scope(|scope| {
            let api = api.as_ref();
            let client_name = client_crate.clone();
            let client = api.zip(client_name).map(|(api, client_name)| {
                scope.spawn(move || {
                    let mut local = Diagnostics::new();
                    let files = emit::client::emit(api, &config, &mut local);
                    (client_name, files, local)
                })
            });
            let servers: Vec<_> = loaded
                .capabilities
                .iter()
                .map(|(server, model)| {
                    let client_crate = client_crate.clone();
                    scope.spawn(move || {
                        let crate_name = server
                            .crate_name
                            .clone()
                            .unwrap_or_else(|| default_server_name(&server.capability));
                        let config = emit::server::ServerConfig {
                            crate_name: crate_name.clone(),
                            crate_version: CRATE_VERSION.to_owned(),
                            client_crate,
                            case_insensitive_paths: server.case_insensitive_paths,
                        };
                        let mut local = Diagnostics::new();
                        let files = emit::server::emit(model, api, &config, &mut local);
                        (crate_name, files, local)
                    })
                })
                .collect();
            client
                .into_iter()
                .chain(servers)
                .map(|handle| {
                    handle.join().unwrap_or_else(|_| {
                        let mut local = Diagnostics::new();
                        local.push(Diagnostic::error(
                            Code::EmitUnsupported,
                            "internal error: an emitter panicked",
                        ));
                        (String::new(), Vec::new(), local)
                    })
                })
                .collect()
        });
    for (crate_name, files, local) in emitted {
        diags.extend(local);
        add_crate(&mut output, &crate_name, files);
    }
    timings.end();
    if diags.has_errors() {
        return None;
    }
    Some(output)
}

fn add_crate(output: &mut Output, crate_name: &str, files: Vec<emit::GeneratedFile>) {
    for file in files {
        output.add(emit::GeneratedFile::new(
            format!("{crate_name}/{}", file.path),
            file.contents,
        ));
    }
}

/// `orders.naftiko.yaml` → `orders-server`.
fn default_server_name(capability: &Path) -> String {
    let stem = capability
        .file_name()
        .and_then(|it| it.to_str())
        .unwrap_or("capability");
    let stem = stem.split('.').next().unwrap_or(stem);
    let base = heck::ToKebabCase::to_kebab_case(stem);
    format!(
        "{}-server",
        if base.is_empty() { "capability" } else { &base }
    )
}

/// The model as stable JSON (`capgen ir`).
pub fn ir(plan: &Plan, diags: &mut Diagnostics) -> Option<serde_json::Value> {
    let loaded = load(plan, diags);
    if diags.has_errors() {
        return None;
    }
    let capabilities: Vec<serde_json::Value> = loaded
        .capabilities
        .iter()
        .map(|(_, model)| serde_json::to_value(model).unwrap_or(serde_json::Value::Null))
        .collect();
    let api = loaded
        .openapi
        .as_ref()
        .map(|doc| crate::model::api::lower(doc, diags));
    Some(serde_json::json!({
        "openapi": loaded.openapi.as_ref().map(|it| serde_json::json!({
            "file": it.file.display_path(),
            "version": it.version,
        })),
        "api": api.map(|it| serde_json::to_value(&it).unwrap_or(serde_json::Value::Null)),
        "capabilities": capabilities,
    }))
}
