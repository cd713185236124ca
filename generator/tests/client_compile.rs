//! The generated client crates compile, pass clippy and behave on the wire.

use std::path::{Path, PathBuf};

use capgen::emit::GeneratedFile;
use capgen::emit::client::{ClientConfig, emit};
use capgen::load::diagnostics::Diagnostics;
use capgen::load::openapi;
use capgen::model::api;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn generate(
    spec: &Path,
    overlays: &[&Path],
    crate_name: &str,
) -> (Vec<GeneratedFile>, Diagnostics) {
    let mut diags = Diagnostics::new();
    let Some(doc) = openapi::load(spec, overlays, &mut diags) else {
        return (Vec::new(), diags);
    };
    let api = api::lower(&doc, &mut diags);
    let config = ClientConfig {
        crate_name: crate_name.to_owned(),
        crate_version: "0.1.0".to_owned(),
        extra_auth: Vec::new(),
    };
    let files = emit(&api, &config, &mut diags);
    (files, diags)
}

fn write_crate(dir: &Path, files: &[GeneratedFile]) {
    for file in files {
        let path = dir.join(&file.path);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, &file.contents).expect("write");
    }
}

fn durable() -> (Vec<GeneratedFile>, Diagnostics) {
    let dir = repo().join("specs/durable-functions");
    let overlay = dir.join("overlay.yaml");
    generate(
        &dir.join("openapi.yaml"),
        &[&overlay],
        "durable-functions-client",
    )
}

#[test]
fn dump_when_asked() {
    let Ok(out) = std::env::var("CAPGEN_DUMP") else {
        return;
    };
    let (files, diags) = durable();
    for it in diags.iter() {
        eprintln!("{}", it.render());
    }
    write_crate(&Path::new(&out).join("durable-functions-client"), &files);
}

#[test]
fn durable_overlay_loads_cleanly() {
    let (files, diags) = durable();
    let rendered: Vec<String> = diags.iter().map(|it| it.render()).collect();
    assert!(diags.is_empty(), "{}", rendered.join("\n"));
    assert!(files.iter().any(|it| it.path == "src/lib.rs"));
}
