//! Tests of the whole OpenAPI loading pipeline on small documents.

use std::path::Path;

use super::*;

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write fixture");
    path
}

fn load_text(text: &str) -> (Option<OpenApiDocument>, Diagnostics) {
    let file = SourceFile::from_text(Path::new("api.yaml"), text.to_owned());
    let mut diags = Diagnostics::new();
    let doc = load_file(file, &[], &mut diags);
    (doc, diags)
}

fn codes(diags: &Diagnostics) -> Vec<(&'static str, usize, usize)> {
    diags
        .iter()
        .map(|it| {
            let span = it.position().map(|p| p.1).unwrap_or_default();
            (it.code.as_str(), span.line, span.col)
        })
        .collect()
}

const HEAD: &str = "openapi: 3.1.0\ninfo: {title: t, version: '1'}\n";

#[test]
fn seed_document_loads_without_errors() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../specs/durable-functions/openapi.yaml");
    let mut diags = Diagnostics::new();
    let doc = load(&path, &[], &mut diags).expect("seed loads");
    assert!(!diags.has_errors(), "{diags:?}");
    assert_eq!(doc.spec.paths.paths.len(), 11);
}

#[test]
fn unresolved_ref_is_located_at_the_ref() {
    let text = format!(
        "{HEAD}paths: {{}}\ncomponents:\n  schemas:\n    A:\n      $ref: '#/components/schemas/Missing'\n"
    );
    let (doc, diags) = load_text(&text);
    assert!(doc.is_none());
    assert_eq!(codes(&diags), vec![("O101", 7, 13)]);
}

#[test]
fn network_ref_is_refused() {
    let text = format!(
        "{HEAD}components:\n  schemas:\n    A:\n      $ref: 'https://example.com/a.json'\n"
    );
    let (_, diags) = load_text(&text);
    assert_eq!(codes(&diags), vec![("O102", 6, 13)]);
}

#[test]
fn self_reference_through_refs_only_is_a_cycle() {
    let text = format!(
        "{HEAD}components:\n  schemas:\n    A:\n      $ref: '#/components/schemas/B'\n    B:\n      $ref: '#/components/schemas/A'\n"
    );
    let (doc, diags) = load_text(&text);
    assert!(doc.is_none());
    assert!(codes(&diags).iter().all(|it| it.0 == "O103"));
    assert_eq!(diags.len(), 2);
}

#[test]
fn recursive_schema_through_properties_is_fine() {
    let text = format!(
        "{HEAD}components:\n  schemas:\n    Node:\n      type: object\n      properties:\n        next:\n          $ref: '#/components/schemas/Node'\n"
    );
    let (doc, diags) = load_text(&text);
    assert!(doc.is_some(), "{diags:?}");
    assert!(!diags.has_errors());
}

#[test]
fn deep_local_pointer_is_bundled_into_components() {
    let text = format!(
        "{HEAD}paths:\n  /a:\n    get:\n      responses:\n        '200':\n          description: ok\n          content:\n            application/json:\n              schema:\n                type: object\n                properties:\n                  id: {{type: string}}\n  /b:\n    get:\n      responses:\n        '200':\n          description: ok\n          content:\n            application/json:\n              schema:\n                $ref: '#/paths/~1a/get/responses/200/content/application~1json/schema/properties/id'\n"
    );
    let (doc, diags) = load_text(&text);
    let doc = doc.expect("loads");
    assert!(!diags.has_errors(), "{diags:?}");
    assert!(doc.raw.pointer("/components/schemas/id").is_some());
}

#[test]
fn relative_file_refs_are_followed_and_located_in_their_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "common.yaml",
        "Pet:\n  type: object\n  properties:\n    owner:\n      $ref: '#/Missing'\n",
    );
    let main = write(
        dir.path(),
        "api.yaml",
        &format!("{HEAD}components:\n  schemas:\n    P:\n      $ref: 'common.yaml#/Pet'\n"),
    );
    let mut diags = Diagnostics::new();
    let doc = load(&main, &[], &mut diags);
    assert!(doc.is_none());
    let diagnostic = diags.iter().next().expect("one error");
    assert_eq!(diagnostic.code, Code::UnresolvedRef);
    let (file, span) = diagnostic.position().expect("located");
    assert!(file.ends_with("common.yaml"), "{file}");
    assert_eq!((span.line, span.col), (5, 13));
}

#[test]
fn relative_file_refs_resolve() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "pet.yaml",
        "type: object\nproperties:\n  name: {type: string}\n",
    );
    let main = write(
        dir.path(),
        "api.yaml",
        &format!("{HEAD}components:\n  schemas:\n    P:\n      $ref: './pet.yaml'\n"),
    );
    let mut diags = Diagnostics::new();
    let doc = load(&main, &[], &mut diags).expect("loads");
    assert!(!diags.has_errors(), "{diags:?}");
    assert_eq!(
        doc.raw.pointer("/components/schemas/P/$ref"),
        Some(&serde_json::json!("#/components/schemas/pet"))
    );
}

#[test]
fn operations_and_texts_that_are_refs_are_resolved_as_bundlers_do() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join("ops")).expect("mkdir");
    write(dir.path(), "pets.md", "# Pets\nEvery pet.\n");
    write(
        dir.path(),
        "schemas.yaml",
        "Pet: {type: object, properties: {id: {type: string}}}\n",
    );
    // Written relative to its own file, and without `responses` (located there).
    write(
        dir.path(),
        "ops/list-pets.yaml",
        "operationId: listPets\ndescription: {$ref: ../pets.md}\nparameters:\n  - {name: q, in: query, schema: {$ref: '../schemas.yaml#/Pet'}}\n",
    );
    let main = write(
        dir.path(),
        "api.yaml",
        "openapi: 3.0.3\ninfo: {title: t, version: '1'}\ntags:\n  - {name: pets, description: {$ref: ./pets.md}}\npaths:\n  /pets:\n    get:\n      $ref: ./ops/list-pets.yaml\n",
    );
    let mut diags = Diagnostics::new();
    let doc = load(&main, &[], &mut diags).expect("loads");
    assert!(!diags.has_errors(), "{diags:?}");
    assert_eq!(
        doc.raw.pointer("/tags/0/description"),
        Some(&serde_json::json!("# Pets\nEvery pet.\n"))
    );
    let operation = doc.raw.pointer("/paths/~1pets/get").expect("inlined");
    assert_eq!(operation["operationId"], "listPets");
    assert_eq!(operation["description"], "# Pets\nEvery pet.\n");
    assert_eq!(
        operation.pointer("/parameters/0/schema/$ref"),
        Some(&serde_json::json!("#/components/schemas/Pet"))
    );
    let notes = diags
        .iter()
        .filter(|it| it.code == Code::ForeignRef)
        .count();
    assert_eq!(notes, 3, "{diags:?}");
    let missing = diags
        .iter()
        .find(|it| it.code == Code::OpenApiInconsistent)
        .expect("no responses");
    let (file, span) = missing.position().expect("located");
    assert!(file.ends_with("list-pets.yaml"), "{file}");
    assert_eq!(span.line, 1);
}

#[test]
fn webhooks_are_kept_aside_with_a_warning() {
    let text = format!(
        "{HEAD}webhooks:\n  newPet:\n    post:\n      responses: {{'200': {{description: ok}}}}\n"
    );
    let (doc, diags) = load_text(&text);
    assert_eq!(doc.expect("loads").webhooks, vec!["newPet"]);
    assert_eq!(codes(&diags), vec![("O202", 3, 1)]);
}

#[test]
fn swagger_two_is_rejected() {
    let (doc, diags) = load_text("swagger: '2.0'\ninfo: {title: t, version: '1'}\npaths: {}\n");
    assert!(doc.is_none());
    assert_eq!(codes(&diags), vec![("O001", 1, 10)]);
}

#[test]
fn unreadable_schema_degrades_with_a_warning() {
    let text = format!(
        "{HEAD}components:\n  schemas:\n    A:\n      type: string\n      maxLength: many\n"
    );
    let (doc, diags) = load_text(&text);
    assert!(doc.is_some(), "{diags:?}");
    assert_eq!(codes(&diags), vec![("O203", 6, 7)]);
}

#[test]
fn a_duplicate_operation_id_is_renamed_with_a_warning() {
    let text = format!(
        "{HEAD}paths:\n  /a:\n    get: {{operationId: health, responses: {{'200': {{description: ok}}}}}}\n    head: {{operationId: health, responses: {{'200': {{description: ok}}}}}}\n  /b:\n    get: {{operationId: health_2, responses: {{'200': {{description: ok}}}}}}\n"
    );
    let (doc, diags) = load_text(&text);
    assert_eq!(codes(&diags), [("O205", 6, 25)]);
    assert!(!diags.has_errors());
    let raw = doc.expect("loads").raw;
    // `health_2` is taken by another operation: the duplicate becomes `health_3`.
    assert_eq!(raw["paths"]["/a"]["head"]["operationId"], "health_3");
    assert_eq!(raw["paths"]["/b"]["get"]["operationId"], "health_2");
}

#[test]
fn a_response_without_description_is_read_as_empty_with_a_warning() {
    let text = format!(
        "{HEAD}paths:\n  /a:\n    get:\n      responses:\n        '200': {{$ref: '#/components/responses/ok'}}\n        '404': {{content: {{}}}}\ncomponents:\n  responses:\n    ok:\n      content: {{}}\n"
    );
    let (doc, diags) = load_text(&text);
    assert_eq!(codes(&diags), [("O204", 11, 5), ("O204", 8, 9)]);
    assert!(doc.is_some());
}

#[test]
fn component_sections_and_paths_kept_whole_in_other_files_are_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "schemas.yaml",
        "Pet:\n  type: object\n  properties:\n    owner: {$ref: '#/Owner'}\nOwner: {type: string}\n",
    );
    write(
        dir.path(),
        "paths.yaml",
        "/pets:\n  get:\n    operationId: listPets\n    responses:\n      '200':\n        description: ok\n        content:\n          application/json:\n            schema: {$ref: './schemas.yaml#/Pet'}\n",
    );
    let main = write(
        dir.path(),
        "api.yaml",
        &format!(
            "{HEAD}paths: {{$ref: ./paths.yaml}}\ncomponents:\n  schemas: {{$ref: ./schemas.yaml}}\n"
        ),
    );
    let mut diags = Diagnostics::new();
    let doc = load(&main, &[], &mut diags).expect("loads");
    let notes: Vec<_> = codes(&diags).into_iter().map(|it| it.0).collect();
    assert_eq!(notes, ["O206", "O206"]);
    assert!(
        doc.raw
            .pointer("/components/schemas/Pet/properties/owner")
            .is_some()
    );
    assert!(doc.raw.pointer("/paths/~1pets/get").is_some());
}
