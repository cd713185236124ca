//! Shared helpers of the capgen fuzz targets.
//!
//! Every target checks the loader invariant on top of "no panic": a document that cannot be read
//! at all yields `None` plus at least one error. Every diagnostic is rendered, which resolves its
//! JSON pointer to a line and column (the position-aware second pass) and prints the snippet.

pub mod mutate;
pub mod server;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use capgen::emit;
use capgen::load::capability::{self, LoadOptions};
use capgen::load::diagnostics::Diagnostics;
use capgen::load::openapi::{self, OpenApiDocument};
use capgen::load::source::SourceFile;
use capgen::model::{api, join};

/// The directory input documents pretend to live in: it holds a few small files that `$ref`s can
/// point at (`common.yaml`, `common.json`, `broken.yaml`, `back.yaml`), so reading, parsing and
/// bundling other files is fuzzed too.
pub fn base_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("refs")
}

/// The input as text (invalid UTF-8 is replaced, so every input reaches the parsers).
pub fn text(data: &[u8]) -> String {
    String::from_utf8_lossy(data).into_owned()
}

/// Renders every diagnostic (pointer → position, snippet) and its JSON form. With
/// `CAPGEN_FUZZ_PRINT` set (e.g. when running a target on one input), prints them.
pub fn render(diags: &Diagnostics) {
    let print = std::env::var_os("CAPGEN_FUZZ_PRINT").is_some();
    for diagnostic in diags.iter() {
        let rendered = diagnostic.render();
        std::hint::black_box(diagnostic.to_json());
        if print {
            eprintln!("{rendered}");
        }
    }
}

/// Loads an OpenAPI document (with overlays) and checks the loader invariant.
pub fn load_openapi(
    file: Arc<SourceFile>,
    overlays: &[Arc<SourceFile>],
    diags: &mut Diagnostics,
) -> Option<OpenApiDocument> {
    let before = diags.error_count();
    let doc = openapi::load_file(file, overlays, diags);
    if doc.is_none() {
        assert!(diags.error_count() > before, "OpenAPI document refused without an error");
    }
    doc
}

/// The `openapi_yaml` and `openapi_json` targets: one document, no overlays.
pub fn openapi_target(data: &[u8], file_name: &str) {
    let file = SourceFile::from_text(&base_dir().join(file_name), text(data));
    let mut diags = Diagnostics::new();
    let doc = load_openapi(file, &[], &mut diags);
    // `capgen generate` lowers the typed model when loading reported no error.
    if let Some(doc) = &doc
        && !diags.has_errors()
    {
        std::hint::black_box(api::lower(doc, &mut diags));
    }
    render(&diags);
}

/// Loads a capability and checks the loader invariant.
pub fn load_capability(file: &Arc<SourceFile>, strict: bool, diags: &mut Diagnostics) -> Option<capability::Capability> {
    let before = diags.error_count();
    let cap = capability::load_capability(file, &LoadOptions { strict }, diags);
    if cap.is_none() {
        assert!(diags.error_count() > before, "capability refused without an error (strict: {strict})");
    }
    cap
}

/// The `capability` target: the document loaded non-strict and strict, and joined without an
/// OpenAPI document.
pub fn capability_target(data: &[u8]) {
    let text = text(data);
    let file_name = if text.trim_start().starts_with('{') { "capability.json" } else { "capability.yaml" };
    let file = SourceFile::from_text(&base_dir().join(file_name), text);
    for strict in [false, true] {
        let mut diags = Diagnostics::new();
        if let Some(cap) = load_capability(&file, strict, &mut diags) {
            std::hint::black_box(join::join(&file, &cap, &[], None, &mut diags));
        }
        render(&diags);
    }
}

/// The `pipeline` target: the input is split at NUL bytes into an OpenAPI document, a
/// capability and (optionally) an overlay, which go through load → join → lower → emit (client
/// and server) as `capgen generate` runs them.
pub fn pipeline_target(data: &[u8]) {
    let mut parts = data.splitn(3, |it| *it == 0);
    let openapi_text = text(parts.next().unwrap_or_default());
    let Some(capability_text) = parts.next().map(text) else { return };
    let overlay_text = parts.next().map(text);
    let dir = base_dir();
    let openapi_file = SourceFile::from_text(&dir.join("openapi.yaml"), openapi_text);
    let capability_file = SourceFile::from_text(&dir.join("capability.yaml"), capability_text);
    let overlays: Vec<Arc<SourceFile>> =
        overlay_text.into_iter().map(|it| SourceFile::from_text(&dir.join("overlay.yaml"), it)).collect();

    let mut diags = Diagnostics::new();
    let doc = load_openapi(openapi_file, &overlays, &mut diags);
    let Some(cap) = load_capability(&capability_file, false, &mut diags) else {
        render(&diags);
        return;
    };
    let model = join::join(&capability_file, &cap, &[], doc.as_ref(), &mut diags);
    // Like `pipeline::generate`: nothing is emitted once loading reported an error.
    let Some(doc) = doc.filter(|_| !diags.has_errors()) else {
        render(&diags);
        return;
    };
    let api = api::lower(&doc, &mut diags);
    let client_crate = emit::client::default_crate_name(&api);
    let extra_auth = if model.consumes.len() == 1 { vec![emit::server::extra_auth(&model)] } else { Vec::new() };
    let config = emit::client::ClientConfig {
        crate_name: client_crate.clone(),
        crate_version: "0.1.0".to_owned(),
        extra_auth,
    };
    std::hint::black_box(emit::client::emit(&api, &config, &mut diags));
    let config = emit::server::ServerConfig {
        crate_name: "capability-server".to_owned(),
        crate_version: "0.1.0".to_owned(),
        client_crate: Some(client_crate),
        case_insensitive_paths: false,
    };
    std::hint::black_box(emit::server::emit(&model, Some(&api), &config, &mut diags));
    render(&diags);
}
