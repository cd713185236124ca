//! What to generate: from the command line, or from a `capgen.toml` manifest next to the specs.
//!
//! ```toml
//! [openapi]
//! path = "openapi.yaml"          # relative to the manifest
//! overlays = ["overlay.yaml"]    # applied in order
//!
//! [client]
//! crate = "durable-functions-client"
//!
//! [[server]]
//! capability = "orchestrations.naftiko.yaml"
//! crate = "durable-orchestrations-server"
//! overlays = ["orchestrations.overlay.yaml"]   # Overlay 1.0, applied to the capability
//! case_insensitive_paths = true                 # route literals as the Functions host does
//! ```

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;

use crate::load::diagnostics::{Code, Diagnostic};
use crate::load::source::SourceFile;

/// Everything one generation run needs to know. Output paths are crate directory names, relative
/// to the output directory.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub openapi: Option<PathBuf>,
    pub overlays: Vec<PathBuf>,
    /// The client crate; `None` means "derive the name from the OpenAPI title".
    pub client_crate: Option<String>,
    pub servers: Vec<ServerPlan>,
    pub strict: bool,
}

/// One capability and the server crate generated for it.
#[derive(Debug, Clone)]
pub struct ServerPlan {
    pub capability: PathBuf,
    /// `None` means "derive the name from the capability".
    pub crate_name: Option<String>,
    /// Overlay 1.0 documents applied to the capability, in order (the capability file stays as
    /// published; what the server needs beyond it is written down beside it).
    pub overlays: Vec<PathBuf>,
    /// Route path literals case-insensitively, as the upstream host does (Azure Functions).
    pub case_insensitive_paths: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Manifest {
    openapi: Option<ManifestOpenApi>,
    client: Option<ManifestClient>,
    #[serde(default)]
    server: Vec<ManifestServer>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ManifestOpenApi {
    path: String,
    #[serde(default)]
    overlays: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ManifestClient {
    #[serde(rename = "crate")]
    crate_name: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ManifestServer {
    capability: String,
    #[serde(rename = "crate")]
    crate_name: String,
    #[serde(default)]
    overlays: Vec<String>,
    #[serde(default)]
    case_insensitive_paths: bool,
}

/// Reads a `capgen.toml`. Paths in it are relative to the manifest's directory.
pub fn read_manifest(path: &Path) -> Result<Plan, Diagnostic> {
    let file = SourceFile::read(path)?;
    parse_manifest(&file)
}

pub fn parse_manifest(file: &Arc<SourceFile>) -> Result<Plan, Diagnostic> {
    let manifest: Manifest = toml::from_str(file.text()).map_err(|err| {
        let span = err
            .span()
            .map(|it| file.span_of_bytes(it))
            .unwrap_or_default();
        Diagnostic::error(
            Code::ManifestShape,
            format!("invalid capgen.toml: {}", err.message()),
        )
        .at_span(file, span)
    })?;
    let base = file.path().parent().unwrap_or(Path::new("")).to_path_buf();
    let (openapi, overlays) = match manifest.openapi {
        Some(it) => (
            Some(base.join(it.path)),
            it.overlays.into_iter().map(|o| base.join(o)).collect(),
        ),
        None => (None, Vec::new()),
    };
    Ok(Plan {
        openapi,
        overlays,
        client_crate: manifest.client.map(|it| it.crate_name),
        servers: manifest
            .server
            .into_iter()
            .map(|it| ServerPlan {
                capability: base.join(it.capability),
                crate_name: Some(it.crate_name),
                overlays: it.overlays.iter().map(|path| base.join(path)).collect(),
                case_insensitive_paths: it.case_insensitive_paths,
            })
            .collect(),
        strict: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_paths_are_relative_to_it() {
        let text = "[openapi]\npath = \"a.yaml\"\noverlays = [\"o.yaml\"]\n[client]\ncrate = \"c\"\n[[server]]\ncapability = \"x.yaml\"\ncrate = \"s\"\n";
        let file = SourceFile::from_text(Path::new("specs/d/capgen.toml"), text.to_owned());
        let plan = parse_manifest(&file).expect("valid");
        assert_eq!(plan.openapi, Some(PathBuf::from("specs/d/a.yaml")));
        assert_eq!(plan.overlays, vec![PathBuf::from("specs/d/o.yaml")]);
        assert_eq!(plan.servers[0].capability, PathBuf::from("specs/d/x.yaml"));
    }

    #[test]
    fn unknown_manifest_key_is_located() {
        let file = SourceFile::from_text(
            Path::new("capgen.toml"),
            "[client]\ncrate = \"c\"\nname = 1\n".to_owned(),
        );
        let err = parse_manifest(&file).expect_err("unknown key");
        assert_eq!(err.code, Code::ManifestShape);
        assert_eq!(err.position().map(|it| it.1.line), Some(3));
    }
}
