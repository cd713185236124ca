//! OpenAPI documents: reading 3.0 and 3.1 (YAML or JSON), applying overlays, normalising 3.1
//! forms, bundling `$ref`s, and reading the result into the typed `openapiv3` model.
//!
//! ```text
//! parse -> overlays -> version check -> 3.1 document forms -> schemas normalised + refs bundled
//!       -> typed model (a schema it cannot read degrades to "any JSON value", with a warning)
//! ```

mod inline;
pub mod normalize;
pub mod overlay;
pub mod refs;
pub mod walk;

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;

use serde_json::Value;

use crate::load::diagnostics::{Code, Diagnostic, Diagnostics, escape_pointer_segment};
use crate::load::source::SourceFile;
use refs::{Bundler, Origins};

/// A loaded OpenAPI document.
#[derive(Debug, Clone)]
pub struct OpenApiDocument {
    pub file: Arc<SourceFile>,
    /// The `openapi` version string as written.
    pub version: String,
    /// The typed model. Every `$ref` in it has the form `#/components/<section>/<name>`.
    pub spec: openapiv3::OpenAPI,
    /// The bundled, normalised JSON the typed model was read from (schemas are taken from here
    /// verbatim where JSON Schema is emitted, e.g. MCP input schemas).
    pub raw: Value,
    /// Names of the `webhooks` (3.1) set aside.
    pub webhooks: Vec<String>,
    origins: Origins,
}

impl OpenApiDocument {
    /// Whether the document declared OpenAPI 3.1.
    pub fn is_31(&self) -> bool {
        self.version.starts_with("3.1")
    }

    /// Locates `diagnostic` at `pointer` of the (bundled) document, in the file it came from.
    pub fn at(&self, diagnostic: Diagnostic, pointer: &str) -> Diagnostic {
        self.origins.at(&self.file, diagnostic, pointer)
    }
}

/// Reads the OpenAPI document at `path` with `overlays` applied in order.
pub fn load(path: &Path, overlays: &[&Path], diags: &mut Diagnostics) -> Option<OpenApiDocument> {
    let file = match SourceFile::read(path) {
        Ok(file) => file,
        Err(diagnostic) => {
            diags.push(diagnostic);
            return None;
        }
    };
    let mut overlay_files = Vec::new();
    for overlay in overlays {
        match SourceFile::read(overlay) {
            Ok(it) => overlay_files.push(it),
            Err(diagnostic) => {
                diags.push(diagnostic);
                return None;
            }
        }
    }
    load_file(file, &overlay_files, diags)
}

/// The document at `path` with `overlays` applied, as written otherwise (no normalisation, no
/// bundling): what `capgen bundle` prints. `None` when a file cannot be read or an overlay fails.
pub fn with_overlays(path: &Path, overlays: &[&Path], diags: &mut Diagnostics) -> Option<Value> {
    let file = SourceFile::read(path).map_err(|it| diags.push(it)).ok()?;
    let mut raw = file.parse().map_err(|it| diags.push(it)).ok()?;
    for overlay in overlays {
        let overlay = SourceFile::read(overlay)
            .map_err(|it| diags.push(it))
            .ok()?;
        if !overlay::apply(&overlay, &mut raw, diags) {
            return None;
        }
    }
    Some(raw)
}

/// Like [`load`], for files already read.
pub fn load_file(
    file: Arc<SourceFile>,
    overlays: &[Arc<SourceFile>],
    diags: &mut Diagnostics,
) -> Option<OpenApiDocument> {
    let mut raw = match file.parse() {
        Ok(it) => it,
        Err(diagnostic) => {
            diags.push(diagnostic);
            return None;
        }
    };
    if !raw.is_object() {
        diags.push(
            Diagnostic::error(Code::NotAMapping, "an OpenAPI document must be a mapping")
                .at(&file, ""),
        );
        return None;
    }
    for overlay in overlays {
        if !overlay::apply(overlay, &mut raw, diags) {
            return None;
        }
    }
    let version = check_version(&file, &raw, diags)?;
    let is_31 = version.starts_with("3.1");
    let mut bundle_diags = Diagnostics::new();
    let mut origins = Origins::default();
    inline::foreign_refs(&file, &mut raw, &mut origins, &mut bundle_diags);
    let webhooks = document_forms(&file, &origins, &mut raw, is_31, diags);

    let mut findings = Vec::new();
    let origins = {
        let mut bundler = Bundler::new(file.clone(), &raw, origins, &mut bundle_diags);
        bundler.run(&mut raw, &mut |node, pointer, _origins| {
            normalize::schema(node, pointer, is_31, &mut findings);
        });
        bundler.origins.clone()
    };
    for finding in findings {
        let diagnostic = Diagnostic::warning(finding.code, finding.message);
        diags.push(origins.at(&file, diagnostic, &finding.pointer));
    }
    let failed = bundle_diags.has_errors();
    diags.extend(bundle_diags);
    if failed {
        return None;
    }
    inline_path_item_refs(&mut raw);

    let spec = typed(&file, &origins, &mut raw, diags)?;
    Some(OpenApiDocument {
        file,
        version,
        spec,
        raw,
        webhooks,
        origins,
    })
}

fn check_version(file: &Arc<SourceFile>, raw: &Value, diags: &mut Diagnostics) -> Option<String> {
    if let Some(swagger) = raw.get("swagger") {
        diags.push(
            Diagnostic::error(
                Code::OpenApiVersion,
                format!(
                    "Swagger {} documents are not supported",
                    swagger.as_str().unwrap_or("2.0")
                ),
            )
            .at(file, "/swagger")
            .with_help("convert it to OpenAPI 3 first (e.g. with swagger2openapi)"),
        );
        return None;
    }
    let version = match raw.get("openapi") {
        Some(Value::String(it)) => it.clone(),
        Some(Value::Number(it)) => it.to_string(),
        _ => {
            diags.push(
                Diagnostic::error(
                    Code::OpenApiVersion,
                    "not an OpenAPI document: the `openapi` field is missing",
                )
                .at(file, "")
                .with_help("capgen reads OpenAPI 3.0.x and 3.1.x"),
            );
            return None;
        }
    };
    if !(version.starts_with("3.0") || version.starts_with("3.1")) {
        diags.push(
            Diagnostic::error(
                Code::OpenApiVersion,
                format!("OpenAPI {version} is not supported"),
            )
            .at(file, "/openapi")
            .with_help("capgen reads OpenAPI 3.0.x and 3.1.x"),
        );
        return None;
    }
    Some(version)
}

/// Document-level 3.1 forms: optional `paths`, `webhooks`, `jsonSchemaDialect`, info fields.
fn document_forms(
    file: &Arc<SourceFile>,
    origins: &Origins,
    raw: &mut Value,
    is_31: bool,
    diags: &mut Diagnostics,
) -> Vec<String> {
    let Some(root) = raw.as_object_mut() else {
        return Vec::new();
    };
    root.entry("paths")
        .or_insert_with(|| Value::Object(Default::default()));
    let mut webhooks = Vec::new();
    if let Some(Value::Object(hooks)) = root.remove("webhooks") {
        webhooks = hooks.keys().cloned().collect();
        if !webhooks.is_empty() {
            diags.push(
                Diagnostic::warning(
                    Code::WebhooksIgnored,
                    format!(
                        "webhooks ({}) are kept aside: capgen generates nothing for them",
                        webhooks.join(", ")
                    ),
                )
                .at_key(file, "/webhooks"),
            );
        }
    }
    if let Some(dialect) = root.remove("jsonSchemaDialect")
        && dialect.as_str() != Some("https://spec.openapis.org/oas/3.1/dialect/base")
    {
        diags.push(
            Diagnostic::warning(
                Code::NotCarried,
                "`jsonSchemaDialect` is not carried: schemas are read as the OpenAPI 3.1 base dialect",
            )
            .at(file, "/jsonSchemaDialect"),
        );
    }
    operation_forms(file, origins, root, is_31, diags);
    if let Some(Value::Object(schemes)) = root
        .get_mut("components")
        .and_then(|it| it.get_mut("securitySchemes"))
    {
        let unsupported: Vec<String> = schemes
            .iter()
            .filter(|(_, scheme)| scheme.get("type").and_then(Value::as_str) == Some("mutualTLS"))
            .map(|(name, _)| name.clone())
            .collect();
        for name in unsupported {
            schemes.shift_remove(&name);
            diags.push(
                Diagnostic::warning(
                    Code::NotCarried,
                    format!("security scheme `{name}` (mutualTLS) is not carried: configure TLS on the HTTP client"),
                )
                .at(file, format!("/components/securitySchemes/{}", escape_pointer_segment(&name))),
            );
        }
    }
    if is_31 {
        for (pointer, key) in [("/info", "summary"), ("/info/license", "identifier")] {
            let parent = pointer
                .trim_start_matches('/')
                .split('/')
                .try_fold(&*root, |node, segment| {
                    node.get(segment).and_then(Value::as_object)
                });
            if parent.is_some_and(|it| it.contains_key(key)) {
                diags.push(
                    Diagnostic::note(
                        Code::NotCarried,
                        format!("`{key}` is not carried into the generated code"),
                    )
                    .at_key(file, format!("{pointer}/{key}")),
                );
            }
        }
    }
    webhooks
}

/// Operation-level forms: `responses` is optional in 3.1 (and often missing in 3.0 drafts);
/// `callbacks` are set aside, since capgen generates nothing for them. Diagnostics point where
/// each operation was written (`origins`: operations copied in from other files).
fn operation_forms(
    file: &Arc<SourceFile>,
    origins: &Origins,
    root: &mut serde_json::Map<String, Value>,
    is_31: bool,
    diags: &mut Diagnostics,
) {
    const METHODS: &[&str] = &[
        "get", "put", "post", "delete", "options", "head", "patch", "trace",
    ];
    if let Some(Value::Object(components)) = root.get_mut("components")
        && components.shift_remove("callbacks").is_some()
    {
        diags.push(
            Diagnostic::warning(
                Code::Unsupported,
                "callbacks are not generated; `components.callbacks` is ignored",
            )
            .at_key(file, "/components/callbacks"),
        );
    }
    if let Some(Value::Object(responses)) = root
        .get_mut("components")
        .and_then(|it| it.get_mut("responses"))
    {
        describe_responses(file, origins, responses, "/components/responses", diags);
    }
    let Some(Value::Object(paths)) = root.get_mut("paths") else {
        return;
    };
    // Every operationId written, so that a renamed duplicate takes a name nobody has.
    let mut taken: std::collections::HashSet<String> = paths
        .values()
        .filter_map(Value::as_object)
        .flat_map(|item| METHODS.iter().filter_map(|method| item.get(*method)))
        .filter_map(|operation| operation.get("operationId")?.as_str().map(str::to_owned))
        .collect();
    // operationId → the pointer of the operation that has it first.
    let mut ids: std::collections::HashMap<String, String> = std::collections::HashMap::new();
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        let item_pointer = format!("/paths/{}", escape_pointer_segment(path));
        for method in METHODS {
            let Some(Value::Object(operation)) = item.get_mut(*method) else {
                continue;
            };
            let pointer = format!("{item_pointer}/{method}");
            if let Some(Value::String(id)) = operation.get("operationId") {
                match ids.get(id) {
                    // The specification: "The id MUST be unique among all operations". Real
                    // documents break it (a GET and a HEAD sharing an id; gRPC gateways that
                    // expose one call at two paths), and bundlers accept them: the later
                    // operation gets a free name, said aloud.
                    Some(first) => {
                        let renamed = (2..)
                            .map(|n| format!("{id}_{n}"))
                            .find(|it| !taken.contains(it))
                            .unwrap_or_default();
                        diags.push(
                            origins.at(
                                file,
                                Diagnostic::warning(
                                    Code::DuplicateOperationId,
                                    format!(
                                        "operationId `{id}` is used twice (first at {first}); \
                                         this operation is generated as `{renamed}`"
                                    ),
                                )
                                .with_help(
                                    "operationIds name the client's methods; make each unique",
                                ),
                                &format!("{pointer}/operationId"),
                            ),
                        );
                        taken.insert(renamed.clone());
                        operation.insert("operationId".to_owned(), Value::String(renamed));
                    }
                    None => {
                        ids.insert(id.clone(), pointer.clone());
                    }
                }
            }
            if let Some(Value::Object(responses)) = operation.get_mut("responses") {
                describe_responses(
                    file,
                    origins,
                    responses,
                    &format!("{pointer}/responses"),
                    diags,
                );
            }
            if !operation.contains_key("responses") {
                operation.insert("responses".to_owned(), Value::Object(Default::default()));
                if !is_31 {
                    let diagnostic = Diagnostic::warning(
                        Code::OpenApiInconsistent,
                        "OpenAPI 3.0 requires `responses`; the operation is read as having none",
                    );
                    diags.push(origins.at(file, diagnostic, &pointer));
                }
            }
            if operation.shift_remove("callbacks").is_some() {
                let diagnostic =
                    Diagnostic::warning(Code::Unsupported, "callbacks are not generated; ignored");
                diags.push(origins.at_key(file, diagnostic, &format!("{pointer}/callbacks")));
            }
        }
    }
}

/// Gives responses without the (required) `description` an empty one, with a warning: it only
/// documents, and hand-written multi-file documents often leave it out.
fn describe_responses(
    file: &Arc<SourceFile>,
    origins: &Origins,
    responses: &mut serde_json::Map<String, Value>,
    pointer: &str,
    diags: &mut Diagnostics,
) {
    for (status, response) in responses.iter_mut() {
        let Value::Object(response) = response else {
            continue;
        };
        if response.contains_key("$ref") || response.contains_key("description") {
            continue;
        }
        response.insert("description".to_owned(), Value::String(String::new()));
        let diagnostic = Diagnostic::warning(
            Code::OpenApiInconsistent,
            format!("response `{status}` has no `description` (required); read as empty"),
        );
        let at = format!("{pointer}/{}", escape_pointer_segment(status));
        diags.push(origins.at_key(file, diagnostic, &at));
    }
}

/// `paths` entries that are references to `components/pathItems` (3.1) are replaced by their
/// content, which the typed model cannot reference.
fn inline_path_item_refs(raw: &mut Value) {
    let items = raw.pointer("/components/pathItems").cloned();
    let Some(Value::Object(paths)) = raw.get_mut("paths") else {
        return;
    };
    for item in paths.values_mut() {
        let Some(target) = item.get("$ref").and_then(Value::as_str) else {
            continue;
        };
        let name = target.trim_start_matches("#/components/pathItems/");
        let name = name.replace("~1", "/").replace("~0", "~");
        if let Some(content) = items.as_ref().and_then(|it| it.get(&name)) {
            *item = content.clone();
        }
    }
}

/// Reads the typed model. A schema the model cannot read becomes "any JSON value" with a
/// warning, so one odd schema does not make a whole document unusable.
fn typed(
    file: &Arc<SourceFile>,
    origins: &Origins,
    raw: &mut Value,
    diags: &mut Diagnostics,
) -> Option<openapiv3::OpenAPI> {
    let schema_pointers: HashSet<String> = walk::slots(raw, "", None)
        .into_iter()
        .filter(|it| it.kind == walk::Kind::Schema)
        .map(|it| it.pointer)
        .collect();
    for _attempt in 0..500 {
        let err = match serde_path_to_error::deserialize::<_, openapiv3::OpenAPI>(&*raw) {
            Ok(spec) => return Some(spec),
            Err(err) => err,
        };
        let pointer = path_to_pointer(err.path());
        let message = err.inner().to_string();
        let schema = schema_ancestor(&schema_pointers, &pointer);
        let Some(schema) = schema else {
            // `#[serde(flatten)]` in the typed model hides where below a path item the error is;
            // find the deepest object that fails on its own.
            let (pointer, message) = narrow(raw, &pointer).unwrap_or((pointer, message));
            let diagnostic = Diagnostic::error(
                Code::OpenApiShape,
                format!("not a valid OpenAPI document: {message}"),
            );
            diags.push(origins.at(file, diagnostic, &pointer));
            return None;
        };
        let diagnostic = Diagnostic::warning(
            Code::Unsupported,
            format!("this schema cannot be read ({message}); it is treated as any JSON value"),
        );
        diags.push(origins.at(file, diagnostic, &schema));
        match raw.pointer_mut(&schema) {
            Some(node) => *node = Value::Object(Default::default()),
            None => return None,
        }
    }
    None
}

/// The deepest position under `pointer` whose object alone does not read as its kind.
fn narrow(raw: &Value, pointer: &str) -> Option<(String, String)> {
    use openapiv3::ReferenceOr;
    use walk::Kind;
    fn check<T: serde::de::DeserializeOwned>(node: &Value) -> Option<(String, String)> {
        serde_path_to_error::deserialize::<_, T>(node)
            .err()
            .map(|err| (path_to_pointer(err.path()), err.inner().to_string()))
    }
    let mut candidates: Vec<walk::Slot> = walk::slots(raw, "", None)
        .into_iter()
        .filter(|it| it.pointer.starts_with(pointer) && it.pointer.len() > pointer.len())
        .collect();
    candidates.sort_by_key(|it| std::cmp::Reverse(it.pointer.matches('/').count()));
    for slot in candidates {
        let node = raw.pointer(&slot.pointer)?;
        let failure = match slot.kind {
            Kind::Parameter => check::<ReferenceOr<openapiv3::Parameter>>(node),
            Kind::Response => check::<ReferenceOr<openapiv3::Response>>(node),
            Kind::RequestBody => check::<ReferenceOr<openapiv3::RequestBody>>(node),
            Kind::Header => check::<ReferenceOr<openapiv3::Header>>(node),
            Kind::Example => check::<ReferenceOr<openapiv3::Example>>(node),
            Kind::Link => check::<ReferenceOr<openapiv3::Link>>(node),
            Kind::SecurityScheme => check::<ReferenceOr<openapiv3::SecurityScheme>>(node),
            Kind::PathItem => check::<ReferenceOr<openapiv3::PathItem>>(node),
            Kind::Schema | Kind::Callback => None,
        };
        if let Some((inner, message)) = failure {
            return Some((format!("{}{inner}", slot.pointer), message));
        }
    }
    None
}

fn path_to_pointer(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => out.push_str(&format!("/{index}")),
            Segment::Map { key } => {
                out.push('/');
                out.push_str(&escape_pointer_segment(key));
            }
            Segment::Enum { .. } | Segment::Unknown => {}
        }
    }
    out
}

fn schema_ancestor(schemas: &HashSet<String>, pointer: &str) -> Option<String> {
    let mut current = pointer;
    loop {
        if schemas.contains(current) {
            return Some(current.to_owned());
        }
        let (parent, _) = current.rsplit_once('/')?;
        current = parent;
    }
}

#[cfg(test)]
mod tests;
