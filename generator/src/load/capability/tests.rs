//! Tests of the whole loader: the seeds, each diagnostic at its position, type errors,
//! versions, strict mode, alpha1, and the corpus.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::*;
use crate::load::diagnostics::{Diagnostic, Severity};
use crate::load::source::SourceFile;

fn load_text(name: &str, text: &str, strict: bool) -> (Option<Capability>, Diagnostics) {
    let file = SourceFile::from_text(Path::new(name), text.to_owned());
    let mut diags = Diagnostics::new();
    let capability = load_capability(&file, &LoadOptions { strict }, &mut diags);
    (capability, diags)
}

fn load_ok(text: &str) -> (Capability, Diagnostics) {
    let (capability, diags) = load_text("cap.yaml", text, false);
    let rendered: Vec<String> = diags.iter().map(Diagnostic::render).collect();
    (
        capability.unwrap_or_else(|| panic!("must load:\n{}", rendered.join(""))),
        diags,
    )
}

fn with_code(diags: &Diagnostics, code: Code) -> Vec<&Diagnostic> {
    diags.iter().filter(|it| it.code == code).collect()
}

/// The only diagnostic with `code`.
fn single(diags: &Diagnostics, code: Code) -> &Diagnostic {
    let found = with_code(diags, code);
    let rendered: Vec<String> = diags.iter().map(Diagnostic::render).collect();
    assert_eq!(
        found.len(),
        1,
        "one {code} expected in:\n{}",
        rendered.join("")
    );
    found[0]
}

fn line_col(diagnostic: &Diagnostic) -> (usize, usize) {
    let (_, span) = diagnostic.position().expect("located");
    (span.line, span.col)
}

fn counts(diags: &Diagnostics, severity: Severity) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for it in diags.iter().filter(|it| it.severity == severity) {
        *out.entry(it.code.to_string()).or_default() += 1;
    }
    out
}

fn seed(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../specs/durable-functions")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

const OFFICIAL: &str = include_str!("../../../tests/capability/official-alpha2.yaml");
const ALPHA1: &str = include_str!("../../../tests/capability/alpha1.yaml");

/// A minimal official document; tests append or replace lines.
const BASE: &str = "\
naftiko: 1.0.0-alpha2
capability:
  consumes:
  - type: http
    namespace: api
    baseUri: https://api.example.com
    resources:
    - name: items
      path: /items/{{id}}
      operations:
      - name: get-item
        method: GET
        inputParameters:
        - name: id
          in: path
  exposes:
  - type: mcp
    namespace: tools
    port: 9090
    tools:
    - name: get-item
      description: Get an item
      call: api.get-item
      with:
        id: tools.id
";

// ---------------------------------------------------------------------------------------------
// Seeds

#[test]
fn seeds_load_with_warnings_only() {
    for name in ["orchestrations.naftiko.yaml", "entities.naftiko.yaml"] {
        let (capability, diags) = load_text(name, &seed(name), false);
        let capability = capability.expect("seed loads");
        assert_eq!(
            diags.error_count(),
            0,
            "{name}: {:?}",
            counts(&diags, Severity::Error)
        );
        let warnings = counts(&diags, Severity::Warning);
        println!("{name}: warnings {warnings:?}");
        for code in [
            "C101", "C102", "C103", "C104", "C105", "C106", "C107", "C108",
        ] {
            assert!(
                warnings.contains_key(code),
                "{name}: no {code} in {warnings:?}"
            );
        }
        assert!(
            !warnings.contains_key("C003"),
            "{name}: unexpected unknown fields"
        );
        assert_eq!(capability.exposes().len(), 2);
    }
}

#[test]
fn seeds_fail_under_strict() {
    for name in ["orchestrations.naftiko.yaml", "entities.naftiko.yaml"] {
        let (capability, diags) = load_text(name, &seed(name), true);
        assert!(
            capability.is_some(),
            "{name}: strict still yields the model"
        );
        let errors = counts(&diags, Severity::Error);
        println!("{name}: strict errors {errors:?}");
        assert!(diags.error_count() > 0);
        for code in [
            "C101", "C102", "C103", "C104", "C105", "C106", "C107", "C108",
        ] {
            assert!(errors.contains_key(code), "{name}: {code} not escalated");
        }
    }
}

#[test]
fn seed_model_keeps_declared_types_and_order() {
    let (capability, _) = load_ok(&seed("orchestrations.naftiko.yaml"));
    let consumes = capability.all_consumes();
    let (pointer, consumes) = &consumes[0];
    assert_eq!(pointer, "/capability/consumes/0");
    let http = consumes.as_http().expect("http");
    assert_eq!(http.base_uri, "https://{appName}.azurewebsites.net");
    let list = &http.resources[0].operations[0];
    assert_eq!(list.name, "listinstances");
    let top = &list.input_parameters[5];
    assert_eq!(
        (top.name.as_str(), top.ty),
        ("top", Some(ParamType::Integer))
    );
    let Some(Authentication::ApiKey(auth)) = &http.authentication else {
        panic!("apikey")
    };
    assert_eq!(auth.placement, Some(ApiKeyPlacement::Query));
    let Exposes::Mcp(mcp) = &capability.exposes()[1] else {
        panic!("mcp second")
    };
    let hints = mcp.tools[0].hints.as_ref().expect("hints");
    assert_eq!((hints.read_only, hints.open_world), (Some(true), None));
    assert!(hints.open_world_or_default());
    let with: Vec<&str> = mcp.tools[0].with.keys().map(String::as_str).collect();
    assert_eq!(with[..2], ["createdTimeFrom", "createdTimeTo"]);
}

#[test]
fn seed_deviations_are_located() {
    let (_, diags) = load_ok(&seed("orchestrations.naftiko.yaml"));
    let at = |code: Code, line: usize| {
        with_code(&diags, code)
            .into_iter()
            .map(line_col)
            .find(|it| it.0 == line)
    };
    assert_eq!(at(Code::BaseUriVariable, 19), Some((19, 14)));
    assert_eq!(at(Code::ConsumedOutputPassthrough, 32), Some((32, 18)));
    assert_eq!(at(Code::ConsumedParamExtras, 51), Some((51, 11)));
    assert_eq!(at(Code::SingleBraceTemplate, 71), Some((71, 13)));
    let qualified = single(&diags, Code::QualifiedBindRef);
    assert!(
        qualified
            .message
            .contains("`{{env.DURABLE_FUNCTIONS_API_KEY}}`"),
        "{}",
        qualified.message
    );
    assert!(
        qualified
            .message
            .contains("bind namespace `env`, key `DURABLE_FUNCTIONS_API_KEY`")
    );
}

// ---------------------------------------------------------------------------------------------
// Official documents

#[test]
fn official_document_is_clean_even_when_strict() {
    for strict in [false, true] {
        let (capability, diags) = load_text("official.yaml", OFFICIAL, strict);
        let rendered: Vec<String> = diags.iter().map(Diagnostic::render).collect();
        assert!(capability.is_some());
        assert!(diags.is_empty(), "strict={strict}:\n{}", rendered.join(""));
    }
}

#[test]
fn alpha1_document_loads_clean_even_when_strict() {
    for strict in [false, true] {
        let (capability, diags) = load_text("alpha1.yaml", ALPHA1, strict);
        let rendered: Vec<String> = diags.iter().map(Diagnostic::render).collect();
        let capability = capability.expect("alpha1 loads");
        assert_eq!(capability.naftiko, NaftikoVersion::Alpha1);
        assert!(diags.is_empty(), "strict={strict}:\n{}", rendered.join(""));
    }
}

#[test]
fn alpha2_fields_in_alpha1_are_unknown() {
    let text = ALPHA1.replace(
        "          call: registry.get-ship\n",
        "          call: registry.get-ship\n          hints: { readOnly: true }\n",
    );
    let (capability, diags) = load_ok(&text);
    let diagnostic = single(&diags, Code::UnknownField);
    assert!(
        diagnostic.message.contains("added in 1.0.0-alpha2"),
        "{}",
        diagnostic.message
    );
    assert_eq!(line_col(diagnostic), (42, 11));
    let Exposes::Mcp(mcp) = &capability.exposes()[0] else {
        panic!("mcp")
    };
    assert_eq!(
        mcp.tools[0].hints.as_ref().and_then(|it| it.read_only),
        Some(true)
    );
    let (_, strict) = load_text("a.yaml", &text, true);
    assert!(strict.error_count() >= 1);
}

#[test]
fn base_document_has_one_foreign_prefix_only() {
    let (_, diags) = load_ok(BASE);
    let rendered: Vec<String> = diags.iter().map(Diagnostic::render).collect();
    assert_eq!(diags.len(), 0, "{}", rendered.join(""));
}

// ---------------------------------------------------------------------------------------------
// Seed-dialect deviations, one per test, at line:col

#[test]
fn c101_consumed_param_extras() {
    let text = BASE.replace(
        "          in: path\n",
        "          in: path\n          type: integer\n",
    );
    let (_, diags) = load_ok(&text);
    let diagnostic = single(&diags, Code::ConsumedParamExtras);
    assert_eq!(line_col(diagnostic), (16, 11));
    assert_eq!(
        diagnostic.message,
        "consumed input parameter `id` declares `type: integer`; the official schema has no \
         `type` here — capgen uses it as the declared type"
    );
    assert_eq!(diagnostic.severity, Severity::Warning);
}

#[test]
fn c102_single_brace_template() {
    let text = BASE.replace("path: /items/{{id}}", "path: /items/{id}");
    let (capability, diags) = load_ok(&text);
    let diagnostic = single(&diags, Code::SingleBraceTemplate);
    assert_eq!(line_col(diagnostic), (9, 13));
    assert!(
        diagnostic
            .message
            .contains("`{id}` in a consumed path is a single-brace template")
    );
    assert!(diagnostic.message.contains("like `{{id}}`"));
    let http = capability.all_consumes()[0]
        .1
        .as_http()
        .cloned()
        .expect("http");
    let params = interpret::path_parameters(&http.resources[0].path);
    assert_eq!(params[0].name, "id");
}

#[test]
fn c103_foreign_with_prefix() {
    let text = BASE.replace("id: tools.id", "id: rest.id");
    let (_, diags) = load_ok(&text);
    let diagnostic = single(&diags, Code::ForeignWithPrefix);
    assert_eq!(line_col(diagnostic), (25, 13));
    assert_eq!(
        diagnostic.message,
        "`with` value `rest.id` uses prefix `rest`, but this adapter's namespace is `tools`; \
         capgen reads it as the adapter input `id`"
    );
}

#[test]
fn c104_whole_body_mapping() {
    let text =
        format!("{BASE}      outputParameters:\n      - type: object\n        mapping: $.\n");
    let (_, diags) = load_ok(&text);
    let diagnostic = single(&diags, Code::WholeBodyMapping);
    assert_eq!(line_col(diagnostic), (27, 9));
    assert_eq!(
        diagnostic.message,
        "`type: object, mapping: $.` without `properties` — capgen passes the whole upstream \
         body through"
    );
}

#[test]
fn c105_qualified_bind_ref() {
    let text = BASE.replace(
        "    baseUri: https://api.example.com\n",
        "    baseUri: https://api.example.com\n    authentication:\n      type: bearer\n      token: '{{env.API_TOKEN}}'\n",
    ) + "binds:\n- namespace: env\n  keys:\n    API_TOKEN: API_TOKEN\n";
    let (_, diags) = load_ok(&text);
    let diagnostic = single(&diags, Code::QualifiedBindRef);
    assert_eq!(line_col(diagnostic), (9, 14));
    assert_eq!(
        diagnostic.message,
        "`{{env.API_TOKEN}}` is a qualified bind reference, not part of the spec; capgen \
         resolves it from the bind namespace `env`, key `API_TOKEN`"
    );
    assert!(with_code(&diags, Code::UnknownBind).is_empty());
}

#[test]
fn c106_rest_description() {
    let text = format!(
        "{BASE}  - type: rest\n    namespace: rest\n    port: 8080\n    description: REST adapter\n    resources: []\n"
    );
    let (_, diags) = load_ok(&text);
    let diagnostic = single(&diags, Code::RestDescription);
    assert_eq!(line_col(diagnostic), (29, 5));
    assert!(
        diagnostic
            .message
            .starts_with("REST adapter `rest` has a `description`")
    );
}

#[test]
fn c107_base_uri_variable() {
    let text = BASE.replace("https://api.example.com", "https://{tenant}.example.com");
    let (_, diags) = load_ok(&text);
    let diagnostic = single(&diags, Code::BaseUriVariable);
    assert_eq!(line_col(diagnostic), (6, 14));
    assert!(
        diagnostic
            .message
            .contains("required server variable `tenant`"),
        "{}",
        diagnostic.message
    );
}

#[test]
fn c108_consumed_output_passthrough() {
    let text = BASE.replace(
        "        method: GET\n",
        "        method: GET\n        outputParameters:\n        - name: result\n          type: object\n          value: $.\n",
    );
    let (_, diags) = load_ok(&text);
    let diagnostic = single(&diags, Code::ConsumedOutputPassthrough);
    assert_eq!(line_col(diagnostic), (16, 18));
    assert!(
        diagnostic
            .message
            .starts_with("consumed output parameter `result` is `value: $.`")
    );
}

#[test]
fn c109_auth_none() {
    let text = BASE.replace(
        "    baseUri: https://api.example.com\n",
        "    baseUri: https://api.example.com\n    authentication:\n      type: none\n",
    );
    let (capability, diags) = load_ok(&text);
    let diagnostic = single(&diags, Code::AuthNone);
    assert_eq!(line_col(diagnostic), (8, 13));
    let http = capability.all_consumes()[0]
        .1
        .as_http()
        .cloned()
        .expect("http");
    assert!(http.authentication.is_none());
    let (_, strict) = load_text("a.yaml", &text, true);
    assert_eq!(single(&strict, Code::AuthNone).severity, Severity::Error);
    assert!(with_code(&strict, Code::SchemaViolation).is_empty());
}

#[test]
fn strict_codes_are_unknown_fields_and_dialect() {
    assert_eq!(STRICT_CODES[0], Code::UnknownField);
    assert_eq!(&STRICT_CODES[1..], DIALECT_CODES);
}

#[test]
fn strict_escalates_dialect_and_unknown_fields() {
    let text = BASE
        .replace("path: /items/{{id}}", "path: /items/{id}")
        .replace(
            "    namespace: api\n",
            "    namespace: api\n    retries: 3\n",
        );
    let (_, relaxed) = load_text("a.yaml", &text, false);
    assert_eq!(relaxed.error_count(), 0);
    assert_eq!(relaxed.warning_count(), 2);
    let (capability, strict) = load_text("a.yaml", &text, true);
    assert!(capability.is_some());
    assert_eq!(
        single(&strict, Code::SingleBraceTemplate).severity,
        Severity::Error
    );
    assert_eq!(
        single(&strict, Code::UnknownField).severity,
        Severity::Error
    );
    // The unknown field is reported once, not again as a schema violation.
    assert!(with_code(&strict, Code::SchemaViolation).is_empty());
}

// ---------------------------------------------------------------------------------------------
// Unknown fields

#[test]
fn c003_unknown_field_with_suggestion() {
    let text = BASE.replace(
        "    baseUri: https://api.example.com\n",
        "    baseUri: https://api.example.com\n    baseUrl: x\n",
    );
    let (_, diags) = load_ok(&text);
    let diagnostic = single(&diags, Code::UnknownField);
    assert_eq!(line_col(diagnostic), (7, 5));
    assert_eq!(
        diagnostic.message,
        "unknown field `baseUrl` in a consumed HTTP adapter; ignored"
    );
    assert_eq!(diagnostic.help.as_deref(), Some("did you mean `baseUri`?"));
}

#[test]
fn misspelled_required_field_gives_both_diagnostics() {
    let text = BASE.replace(
        "    baseUri: https://api.example.com\n",
        "    baseUrl: https://api.example.com\n",
    );
    let (capability, diags) = load_text("a.yaml", &text, false);
    assert!(capability.is_none());
    let shape = single(&diags, Code::CapabilityShape);
    assert_eq!(
        shape.message,
        "missing required field `baseUri` in `capability.consumes[0]`"
    );
    assert_eq!(line_col(shape), (4, 5));
    assert_eq!(
        single(&diags, Code::UnknownField).help.as_deref(),
        Some("did you mean `baseUri`?")
    );
}

// ---------------------------------------------------------------------------------------------
// Type errors (C002)

#[test]
fn type_error_in_port_is_located() {
    let text = BASE.replace("port: 9090", "port: abc");
    let (capability, diags) = load_text("a.yaml", &text, false);
    assert!(capability.is_none());
    let diagnostic = single(&diags, Code::CapabilityShape);
    assert_eq!(diagnostic.severity, Severity::Error);
    assert_eq!(diagnostic.pointer(), Some("/capability/exposes/0/port"));
    assert_eq!(line_col(diagnostic), (19, 11));
    assert_eq!(
        diagnostic.message,
        "expected an integer between 0 and 65535 for `port`, found the string \"abc\""
    );
}

#[test]
fn tools_mapping_instead_of_list_is_located() {
    let text = BASE
        .split("    tools:\n")
        .next()
        .unwrap_or_default()
        .to_owned()
        + "    tools: {}\n";
    let (capability, diags) = load_text("a.yaml", &text, false);
    assert!(capability.is_none());
    let diagnostic = single(&diags, Code::CapabilityShape);
    assert_eq!(diagnostic.pointer(), Some("/capability/exposes/0/tools"));
    assert_eq!(line_col(diagnostic), (20, 12));
    assert_eq!(
        diagnostic.message,
        "expected a list for `tools`, found a mapping"
    );
}

#[test]
fn type_error_inside_tagged_enums_is_located() {
    let text = BASE.replace(
        "    baseUri: https://api.example.com\n",
        "    baseUri: https://api.example.com\n    authentication:\n      type: apikey\n      placement: body\n",
    );
    let (_, diags) = load_text("a.yaml", &text, false);
    let diagnostic = single(&diags, Code::CapabilityShape);
    assert_eq!(
        diagnostic.pointer(),
        Some("/capability/consumes/0/authentication/placement")
    );
    assert_eq!(line_col(diagnostic), (9, 18));
    assert_eq!(
        diagnostic.message,
        "`placement` has the unknown value `body`; expected `header` or `query`"
    );
}

#[test]
fn unknown_adapter_type_is_located() {
    let text = BASE.replace("  - type: mcp\n", "  - type: grpc\n");
    let (_, diags) = load_text("a.yaml", &text, false);
    let diagnostic = single(&diags, Code::CapabilityShape);
    assert_eq!(diagnostic.pointer(), Some("/capability/exposes/0/type"));
    assert_eq!(line_col(diagnostic), (17, 11));
    assert!(
        diagnostic
            .message
            .starts_with("`type` has the unknown value `grpc`"),
        "{}",
        diagnostic.message
    );
}

#[test]
fn type_error_in_nested_output_is_located() {
    let text = format!(
        "{BASE}      outputParameters:\n      - type: object\n        properties:\n          id:\n            type: string\n            mapping: 5\n"
    );
    let (_, diags) = load_text("a.yaml", &text, false);
    let diagnostic = single(&diags, Code::CapabilityShape);
    assert_eq!(
        diagnostic.pointer(),
        Some("/capability/exposes/0/tools/0/outputParameters/0/properties/id/mapping")
    );
    assert_eq!(line_col(diagnostic), (31, 22));
}

#[test]
fn json_documents_are_located_too() {
    let text = r#"{
  "naftiko": "1.0.0-alpha2",
  "capability": {
    "exposes": [
      { "type": "rest", "namespace": "rest", "port": "8080" }
    ]
  }
}"#;
    let (capability, diags) = load_text("cap.json", text, false);
    assert!(capability.is_none());
    let diagnostic = single(&diags, Code::CapabilityShape);
    assert_eq!(diagnostic.pointer(), Some("/capability/exposes/0/port"));
    assert_eq!(line_col(diagnostic), (5, 54));
}

// ---------------------------------------------------------------------------------------------
// Versions and roots

#[test]
fn unknown_version_is_rejected() {
    let text = BASE.replace("naftiko: 1.0.0-alpha2", "naftiko: '0.5'");
    let (capability, diags) = load_text("a.yaml", &text, false);
    assert!(capability.is_none());
    let diagnostic = single(&diags, Code::CapabilityVersion);
    assert_eq!(line_col(diagnostic), (1, 10));
    assert_eq!(
        diagnostic.message,
        "unsupported naftiko version `0.5`; capgen reads `1.0.0-alpha1` and `1.0.0-alpha2`"
    );
}

#[test]
fn missing_or_mistyped_version_is_rejected() {
    let text = BASE.replace("naftiko: 1.0.0-alpha2\n", "");
    let (capability, diags) = load_text("a.yaml", &text, false);
    assert!(capability.is_none());
    assert!(
        single(&diags, Code::CapabilityVersion)
            .message
            .starts_with("missing `naftiko` version")
    );
    let text = BASE.replace("naftiko: 1.0.0-alpha2", "naftiko: 1.0");
    let (_, diags) = load_text("a.yaml", &text, false);
    assert!(
        single(&diags, Code::CapabilityVersion)
            .message
            .contains("found a number")
    );
}

#[test]
fn root_must_be_a_mapping() {
    let (capability, diags) = load_text("a.yaml", "- a\n- b\n", false);
    assert!(capability.is_none());
    assert!(single(&diags, Code::NotAMapping).help.is_none());
    // Tagged `!!omap` reads as a mapping; the same list without the tag gets a hint.
    let omap = "!!omap\n- naftiko: 1.0.0-alpha2\n- capability: !!omap\n  - exposes: []\n";
    let (_, diags) = load_text("a.yaml", omap, false);
    assert!(with_code(&diags, Code::NotAMapping).is_empty());
    let untagged = omap.replace(" !!omap", "").replace("!!omap\n", "");
    let (_, diags) = load_text("a.yaml", &untagged, false);
    assert!(
        single(&diags, Code::NotAMapping)
            .help
            .as_deref()
            .unwrap_or_default()
            .contains("!!omap")
    );
}

#[test]
fn syntax_errors_are_reported() {
    let (capability, diags) = load_text("a.yaml", "naftiko: [1.0\n", false);
    assert!(capability.is_none());
    assert!(diags.has_errors());
}

// ---------------------------------------------------------------------------------------------
// Strict mode

#[test]
fn strict_reports_schema_violations_at_the_node() {
    // An exposed REST input parameter without `description` is valid for capgen, not for the
    // schema.
    let text = format!(
        "{BASE}  - type: rest\n    namespace: rest\n    port: 8080\n    resources:\n    - path: /items/{{{{id}}}}\n      inputParameters:\n      - name: id\n        in: path\n        type: string\n      operations:\n      - method: GET\n        call: api.get-item\n"
    );
    let (_, relaxed) = load_text("a.yaml", &text, false);
    assert!(relaxed.is_empty());
    let (capability, strict) = load_text("a.yaml", &text, true);
    assert!(capability.is_some());
    let diagnostic = single(&strict, Code::SchemaViolation);
    assert_eq!(diagnostic.severity, Severity::Error);
    assert_eq!(
        diagnostic.pointer(),
        Some("/capability/exposes/1/resources/0/inputParameters/0")
    );
    assert_eq!(line_col(diagnostic), (32, 9));
    assert_eq!(
        diagnostic.message,
        "missing required property `description` (ExposedInputParameter, official 1.0.0-alpha2 \
         schema)"
    );
}

#[test]
fn strict_collapses_one_of_alternatives() {
    // A mapped output of `type: array` without `items`: one error, from the array alternative.
    let text = format!(
        "{BASE}      outputParameters:\n      - type: array\n        mapping: $.items\n        items:\n          type: string\n          mapping: 3\n"
    );
    let (_, strict) = load_text("a.yaml", &text.replace("mapping: 3", "mapping: $.x"), true);
    assert!(
        strict.is_empty(),
        "{:?}",
        strict.iter().map(Diagnostic::render).collect::<Vec<_>>()
    );
    let text = format!("{BASE}      outputParameters:\n      - type: number\n");
    let (_, strict) = load_text("a.yaml", &text, true);
    let violations = with_code(&strict, Code::SchemaViolation);
    let rendered: Vec<String> = violations.iter().map(|it| it.render()).collect();
    assert!(
        !violations.is_empty() && violations.len() <= 2,
        "{}",
        rendered.join("")
    );
    assert!(
        violations
            .iter()
            .all(|it| it.pointer() == Some("/capability/exposes/0/tools/0/outputParameters/0"))
    );
}

// ---------------------------------------------------------------------------------------------
// Unsupported constructs

#[test]
fn control_and_skill_adapters_are_read() {
    let text = format!(
        "{BASE}  - type: control\n    port: 9999\n  - type: skill\n    namespace: s\n    port: 1\n    skills: []\n"
    );
    let (capability, diags) = load_ok(&text);
    assert!(with_code(&diags, Code::UnsupportedAdapter).is_empty());
    assert!(matches!(capability.exposes()[1], Exposes::Control(_)));
    assert!(matches!(&capability.exposes()[2], Exposes::Skill(it) if it.namespace == "s"));
}

#[test]
fn imported_consumes_are_read_not_reported() {
    let text = BASE.replace(
        "  consumes:\n",
        "  consumes:\n  - import: shared\n    location: ./shared.yaml\n",
    );
    let (capability, diags) = load_ok(&text);
    assert!(with_code(&diags, Code::UnsupportedConstruct).is_empty());
    assert_eq!(capability.all_consumes()[0].1.namespace(), "shared");
}

#[test]
fn c206_import_of_a_missing_file() {
    let text = BASE.replace(
        "  consumes:\n",
        "  consumes:\n  - import: shared\n    location: ./no-such-file.yaml\n",
    );
    let (capability, _) = load_ok(&text);
    let file = SourceFile::from_text(std::path::Path::new("a.yaml"), text);
    let mut diags = Diagnostics::new();
    let imports = super::imports::resolve(&file, &capability, &LoadOptions::default(), &mut diags);
    assert!(imports.is_empty());
    let diagnostic = single(&diags, Code::UnresolvedImport);
    assert_eq!(line_col(diagnostic), (5, 15));
}

#[test]
fn c203_outbound_oauth2() {
    let text = BASE.replace(
        "    baseUri: https://api.example.com\n",
        "    baseUri: https://api.example.com\n    authentication:\n      type: oauth2\n      authorizationServerUri: https://auth.example.com\n      resource: https://api.example.com\n",
    );
    let (_, diags) = load_ok(&text);
    let diagnostic = single(&diags, Code::UnsupportedAuth);
    assert_eq!(line_col(diagnostic), (8, 13));
    assert!(
        diagnostic
            .message
            .starts_with("outbound `oauth2` authentication")
    );
}

// ---------------------------------------------------------------------------------------------
// Binds and references

const BEARER: &str = "    baseUri: https://api.example.com\n    authentication:\n      type: bearer\n      token: '{{TOKEN}}'\n";

#[test]
fn c204_reference_to_no_bind() {
    let text = BASE.replace("    baseUri: https://api.example.com\n", BEARER);
    let (capability, diags) = load_text("a.yaml", &text, false);
    assert!(
        capability.is_some(),
        "a dangling reference does not stop loading"
    );
    let diagnostic = single(&diags, Code::UnknownBind);
    assert_eq!(diagnostic.severity, Severity::Error);
    assert_eq!(line_col(diagnostic), (9, 14));
    assert_eq!(diagnostic.message, "`{{TOKEN}}` names no bind variable");
}

#[test]
fn bind_references_resolve() {
    let bound = BASE.replace("    baseUri: https://api.example.com\n", BEARER)
        + "binds:\n- namespace: secrets\n  location: file:///./secrets.yaml\n  keys:\n    TOKEN: api-token\n";
    let (_, diags) = load_ok(&bound);
    assert!(diags.is_empty());
    // A consumes input parameter of the same name also resolves it (`in: environment`).
    let from_env = BASE.replace(
        "    baseUri: https://api.example.com\n",
        &format!("{BEARER}    inputParameters:\n    - name: TOKEN\n      in: environment\n"),
    );
    let (_, diags) = load_ok(&from_env);
    assert!(diags.is_empty());
    // A qualified reference to a namespace that does not exist is an error.
    let wrong = bound.replace("{{TOKEN}}", "{{env.TOKEN}}");
    let (_, diags) = load_ok(&wrong);
    let diagnostic = single(&diags, Code::UnknownBind);
    assert!(
        diagnostic
            .message
            .contains("no `binds` entry has the namespace `env`")
    );
    assert_eq!(
        diagnostic.help.as_deref(),
        Some("declared: `secrets.TOKEN`")
    );
}

#[test]
fn shared_consumer_files_are_not_checked_for_binds() {
    let text = "naftiko: 1.0.0-alpha2\nconsumes:\n- type: http\n  namespace: api\n  baseUri: https://x.example.com\n  authentication:\n    type: bearer\n    token: '{{TOKEN}}'\n";
    let (capability, diags) = load_ok(text);
    assert!(capability.is_shared_consumer());
    assert!(diags.is_empty());
}

#[test]
fn c204_malformed_binds() {
    let text = format!(
        "{BASE}binds:\n- namespace: my.env\n  keys:\n    token: T\n- namespace: b\n  location: ./x.yaml\n  keys:\n    'A B': X\n"
    );
    let (_, diags) = load_ok(&text);
    let found = with_code(&diags, Code::UnknownBind);
    let summary: Vec<(usize, usize, Severity)> = found
        .iter()
        .map(|it| (line_col(it).0, line_col(it).1, it.severity))
        .collect();
    assert_eq!(
        summary,
        [
            (27, 14, Severity::Error),  // namespace `my.env`
            (29, 5, Severity::Warning), // `token` is not SCREAMING_SNAKE_CASE
            (31, 13, Severity::Error),  // location without scheme
            (33, 5, Severity::Error),   // `A B` is not an identifier
        ]
    );
}

#[test]
fn c205_unknown_aggregate_ref() {
    let text = BASE.replace(
        "      call: api.get-item\n",
        "      ref: unknown.nonexistent\n",
    );
    let (capability, diags) = load_text("a.yaml", &text, false);
    assert!(capability.is_some());
    let diagnostic = single(&diags, Code::UnknownAggregateRef);
    assert_eq!(diagnostic.severity, Severity::Error);
    assert_eq!(line_col(diagnostic), (23, 12));
    assert!(
        diagnostic
            .message
            .contains("no `aggregates` entry has the namespace `unknown`")
    );
}

// ---------------------------------------------------------------------------------------------
// Serialization round trip

#[test]
fn model_round_trips_through_serde() {
    let (capability, _) = load_ok(&seed("entities.naftiko.yaml"));
    let json = serde_json::to_value(&capability).expect("serializes");
    let again: Capability = serde_json::from_value(json.clone()).expect("deserializes");
    assert_eq!(serde_json::to_value(&again).expect("serializes"), json);
}

// ---------------------------------------------------------------------------------------------
// Corpus

/// `shared/corpus` beside the repository (CI) or at `/work/shared` locally.
fn corpus_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus");
    dir.is_dir().then_some(dir)
}

fn capability_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = entries
        .filter_map(|it| it.ok())
        .map(|it| it.path())
        .collect();
    entries.sort();
    for path in entries {
        let name = path
            .file_name()
            .and_then(|it| it.to_str())
            .unwrap_or_default()
            .to_owned();
        if path.is_dir() {
            capability_files(&path, out);
        } else if (name.ends_with(".yml") || name.ends_with(".yaml"))
            && !name.starts_with("openapi-")
        {
            out.push(path);
        }
    }
}

/// What SOURCES.md says about each corpus file: (path relative to the corpus, note).
fn sources_notes(corpus: &Path) -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(corpus.join("SOURCES.md")).unwrap_or_default();
    text.lines()
        .filter(|line| line.starts_with("| "))
        .filter_map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            Some((cells.get(1)?.to_string(), cells.get(8)?.to_string()))
        })
        .collect()
}

#[test]
fn corpus_loads_without_panics() {
    let Some(corpus) = corpus_dir() else {
        println!("note: corpus not found beside the repository; skipping");
        return;
    };
    let mut files = Vec::new();
    capability_files(&corpus.join("naftiko"), &mut files);
    capability_files(&corpus.join("pairs"), &mut files);
    assert!(files.len() > 50, "found only {} files", files.len());
    let notes = sources_notes(&corpus);
    let mut summary = Vec::new();
    for path in &files {
        let relative = path
            .strip_prefix(&corpus)
            .unwrap_or(path)
            .to_string_lossy()
            .replace('\\', "/");
        let note = notes.get(&relative).map(String::as_str).unwrap_or_default();
        let text = std::fs::read_to_string(path).expect("readable");
        let (capability, relaxed) = load_text(&relative, &text, false);
        let (_, strict) = load_text(&relative, &text, true);
        for diagnostic in relaxed.iter().chain(strict.iter()) {
            let _ = diagnostic.render();
        }
        summary.push(format!(
            "{relative}: loaded={} errors={} warnings={} strict-errors={}",
            capability.is_some(),
            relaxed.error_count(),
            relaxed.warning_count(),
            strict.error_count()
        ));
        if note.contains("NOT a capability") {
            continue;
        }
        if note.contains("MEANT TO BE INVALID") {
            assert!(relaxed.has_errors(), "{relative} is meant to be invalid");
        }
        if note.contains("schema-fail") {
            assert!(
                strict.has_errors(),
                "{relative} fails the official schema but not --strict"
            );
        }
        if note.contains("naftiko/framework")
            || relative.contains("/fw-")
            || relative.contains("tutorial-")
        {
            // Official files: they validate, so they load, and strict mode agrees.
            if !note.contains("MEANT TO BE INVALID") {
                let rendered: Vec<String> = strict
                    .iter()
                    .filter(|it| it.severity == Severity::Error)
                    .map(Diagnostic::render)
                    .collect();
                assert!(capability.is_some(), "{relative} should load");
                assert!(!strict.has_errors(), "{relative}:\n{}", rendered.join(""));
            }
        }
    }
    println!("{}", summary.join("\n"));
}

#[test]
fn unknown_output_raw_format_is_a_located_warning() {
    let text = BASE.replace(
        "        method: GET\n",
        "        method: GET\n        outputRawFormat: text\n",
    );
    let (capability, diags) = load_text("a.yaml", &text, false);
    assert!(capability.is_some());
    let diagnostic = single(&diags, Code::UnknownRawFormat);
    assert_eq!(diagnostic.severity, Severity::Warning);
    assert_eq!(line_col(diagnostic), (13, 26));
    assert!(diagnostic.message.contains("`outputRawFormat: text`"));
    let (_, strict) = load_text("a.yaml", &text, true);
    assert_eq!(
        single(&strict, Code::UnknownRawFormat).severity,
        Severity::Error
    );
}
