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

/// Small corpus documents compiled on every compile-test run (each exercises something the
/// Durable client does not: a tagged union, enum values like `.`, a cookie, no servers, …).
const SMALL_CORPUS: &[&str] = &[
    "apisguru-xkcd.yaml",
    "naftiko-fw-no-operation-ids.yaml",
    "naftiko-fw-no-servers.yaml",
    "naftiko-fw-petstore-3.1.yaml",
    "oai-v31-tictactoe.yaml",
    "oas3rs-matrix-01.yaml",
    "oas3rs-minimal_comp.yaml",
    "oas3rs-security_complex.yaml",
    "openapiv3-kurt-nested_refs.yaml",
    "openapiv3-petstore-discriminated.yaml",
    "progenitor-keeper.json",
    "progenitor-param-collision.json",
];

fn run(dir: &Path, target: &Path, args: &[&str], rustdocflags: Option<&str>) -> Result<(), String> {
    let mut command =
        std::process::Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()));
    command
        .args(args)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target);
    if let Some(flags) = rustdocflags {
        command.env("RUSTDOCFLAGS", flags);
    }
    let output = command
        .output()
        .map_err(|err| format!("cannot run cargo: {err}"))?;
    if output.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let tail: Vec<&str> = stderr
        .lines()
        .rev()
        .take(120)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    Err(format!(
        "`cargo {}` failed:\n{}\n{stdout}",
        args.join(" "),
        tail.join("\n")
    ))
}

/// Generates the Durable client and a few corpus clients into one temporary workspace, then runs
/// clippy (`-D warnings`), rustdoc (`-D warnings`), the crate's doctest (the README example) and
/// the wire tests in `fixtures/client/behaviour`. A fresh target directory builds reqwest with
/// rustls (minutes), so this runs only with `CAPGEN_COMPILE_TESTS=1`;
/// `CAPGEN_COMPILE_CORPUS=1` adds every corpus document capgen accepts.
#[test]
fn generated_clients_compile_lint_and_behave() {
    if std::env::var_os("CAPGEN_COMPILE_TESTS").is_none() {
        eprintln!("skipped: set CAPGEN_COMPILE_TESTS=1 to compile and run the generated clients");
        return;
    }
    let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("client-compile");
    let target = root.join("target");
    let mut members = vec![
        "durable-functions-client".to_owned(),
        "client-behaviour".to_owned(),
    ];
    let _ = std::fs::remove_dir_all(root.join("crates"));
    let crates = root.join("crates");
    let (files, diags) = durable();
    assert!(!diags.has_errors(), "{diags:?}");
    write_crate(&crates.join("durable-functions-client"), &files);
    let fixture = repo().join("generator/tests/fixtures/client/behaviour");
    for path in ["Cargo.toml", "tests/wire.rs"] {
        let to = crates.join("client-behaviour").join(path);
        std::fs::create_dir_all(to.parent().expect("parent")).expect("mkdir");
        std::fs::copy(fixture.join(path), &to).expect("copy the behaviour crate");
    }
    std::fs::create_dir_all(crates.join("client-behaviour/src")).expect("mkdir");
    std::fs::write(
        crates.join("client-behaviour/src/lib.rs"),
        "//! Wire tests of the Durable client.\n",
    )
    .expect("write");
    let everything = std::env::var_os("CAPGEN_COMPILE_CORPUS").is_some();
    for path in corpus() {
        let file_name = path.file_name().and_then(|it| it.to_str()).unwrap_or("");
        if !everything && !SMALL_CORPUS.contains(&file_name) {
            continue;
        }
        let name = crate_name_of(&path);
        let (files, diags) = generate(&path, &[], &name);
        if files.is_empty() || diags.has_errors() {
            continue;
        }
        write_crate(&crates.join(&name), &files);
        members.push(name);
    }
    let members: Vec<String> = members
        .iter()
        .map(|it| format!("\"crates/{it}\""))
        .collect();
    std::fs::write(
        root.join("Cargo.toml"),
        format!(
            "[workspace]\nresolver = \"3\"\nmembers = [{}]\n",
            members.join(", ")
        ),
    )
    .expect("write the workspace");
    if !root.join("Cargo.lock").exists() {
        let _ = std::fs::copy(repo().join("Cargo.lock"), root.join("Cargo.lock"));
    }
    // Documentation is checked for the Durable client and the small set only: rustdoc on the
    // biggest corpus crates takes longer than the rest of the run together.
    let mut doc_args: Vec<String> = vec!["doc".into(), "--no-deps".into(), "--keep-going".into()];
    for name in std::iter::once("durable-functions-client".to_owned())
        .chain(SMALL_CORPUS.iter().map(|it| crate_name_of(Path::new(it))))
    {
        if members.iter().any(|it| it.contains(&format!("/{name}\""))) {
            doc_args.push("-p".into());
            doc_args.push(name);
        }
    }
    let mut failures = Vec::new();
    let steps: [(&[&str], Option<&str>); 4] = [
        (
            &[
                "clippy",
                "--workspace",
                "--all-targets",
                "--keep-going",
                "--",
                "-D",
                "warnings",
            ],
            None,
        ),
        (
            &doc_args.iter().map(String::as_str).collect::<Vec<_>>(),
            Some("-D warnings"),
        ),
        (&["test", "-p", "durable-functions-client", "--doc"], None),
        (&["test", "-p", "client-behaviour"], None),
    ];
    for (args, rustdocflags) in steps {
        if let Err(err) = run(&root, &target, args, rustdocflags) {
            failures.push(err);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn generation_is_deterministic() {
    let (first, _) = durable();
    let (second, _) = durable();
    assert_eq!(first, second);
    let paths: Vec<&str> = first.iter().map(|it| it.path.as_str()).collect();
    assert_eq!(
        paths,
        vec![
            "Cargo.toml",
            "README.md",
            "src/client.rs",
            "src/encoding.rs",
            "src/error.rs",
            "src/lib.rs",
            "src/operations.rs",
            "src/paging.rs",
            "src/retry.rs",
            "src/transport.rs",
            "src/types.rs",
        ]
    );
    for file in &first {
        let head = file.contents.lines().next().unwrap_or("");
        assert!(
            head.contains("@generated"),
            "{} starts with {head}",
            file.path
        );
    }
}

/// Every corpus document either generates a client (whose Rust files parse, which `rust_file`
/// checks) or is rejected with errors that point into the document.
#[test]
fn every_corpus_document_generates_or_is_rejected_with_located_errors() {
    let mut generated = 0;
    let mut rejected = Vec::new();
    for path in corpus() {
        let (files, diags) = generate(&path, &[], &crate_name_of(&path));
        let errors: Vec<_> = diags
            .iter()
            .filter(|it| it.severity == capgen::load::diagnostics::Severity::Error)
            .collect();
        if errors.is_empty() {
            assert!(
                files.iter().any(|it| it.path == "src/lib.rs"),
                "{}: no client",
                path.display()
            );
            generated += 1;
        } else {
            for error in &errors {
                assert!(
                    error.position().is_some(),
                    "{}: unlocated error {}",
                    path.display(),
                    error.render()
                );
            }
            rejected.push(
                path.file_name()
                    .and_then(|it| it.to_str())
                    .unwrap_or("")
                    .to_owned(),
            );
        }
    }
    eprintln!("generated {generated}, rejected {rejected:?}");
    assert!(
        generated >= 70,
        "only {generated} corpus documents generate a client"
    );
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

/// The corpus documents, sorted.
fn corpus() -> Vec<PathBuf> {
    let dir = repo().join("../shared/corpus/openapi");
    let mut res: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|it| it.filter_map(Result::ok).map(|it| it.path()).collect())
        .unwrap_or_default();
    res.retain(|it| {
        it.extension()
            .is_some_and(|ext| ext == "yaml" || ext == "yml" || ext == "json")
    });
    res.sort();
    res
}

fn crate_name_of(path: &Path) -> String {
    let stem = path.file_stem().and_then(|it| it.to_str()).unwrap_or("api");
    let clean: String = stem
        .chars()
        .map(|it| {
            if it.is_ascii_alphanumeric() {
                it.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    format!("corpus-{}", clean.trim_matches('-'))
}

#[test]
fn dump_corpus_when_asked() {
    let Ok(out) = std::env::var("CAPGEN_DUMP_CORPUS") else {
        return;
    };
    for path in corpus() {
        let (files, diags) = generate(&path, &[], &crate_name_of(&path));
        let errors = diags
            .iter()
            .filter(|it| it.severity == capgen::load::diagnostics::Severity::Error)
            .count();
        let warnings: Vec<String> = diags
            .iter()
            .map(|it| format!("{} {}", it.code, it.message))
            .collect();
        eprintln!(
            "{} files={} errors={errors} diags={}",
            path.display(),
            files.len(),
            warnings.len()
        );
        for it in warnings.iter().take(3) {
            eprintln!("    {it}");
        }
        if !files.is_empty() && errors == 0 {
            write_crate(&Path::new(&out).join(crate_name_of(&path)), &files);
        }
    }
}
