//! Join tests on minimal capabilities against a minimal OpenAPI document.

use std::path::Path;

use super::*;
use crate::load::capability::{LoadOptions, load_capability};
use crate::load::openapi::load_file;
use crate::model::capability::{Location, StepKind, ValueSource};

const OPENAPI: &str = r#"openapi: 3.1.0
info: {title: t, version: '1'}
components:
  securitySchemes:
    key: {type: apiKey, in: query, name: code}
paths:
  /items/{itemId}:
    get:
      operationId: getItem
      parameters:
        - {name: itemId, in: path, required: true, schema: {type: string}}
        - {name: verbose, in: query, schema: {type: boolean}}
        - {name: code, in: query, schema: {type: string}}
      responses:
        '200': {description: ok, content: {application/json: {schema: {type: object}}}}
  /items/{itemId}/raiseEvent:
    post:
      operationId: raise
      parameters:
        - {name: itemId, in: path, required: true, schema: {type: string}}
      requestBody: {required: true, content: {application/json: {schema: {}}}}
      responses:
        '202': {description: accepted}
"#;

fn capability(exposes: &str) -> String {
    format!(
        r#"naftiko: 1.0.0-alpha2
info: {{label: t, description: d}}
capability:
  consumes:
    - type: http
      namespace: api
      baseUri: https://example.com
      resources:
        - name: item
          path: /items/{{{{itemId}}}}
          operations:
            - {{name: get-item, method: GET}}
        - name: raise
          path: /items/{{{{itemId}}}}/raiseevent
          operations:
            - {{name: raise, method: POST}}
  exposes:
{exposes}"#
    )
}

struct Joined {
    model: CapabilityModel,
    diags: Diagnostics,
}

impl Joined {
    fn codes(&self) -> Vec<(&'static str, usize)> {
        self.diags
            .iter()
            .filter(|it| it.code.as_str().starts_with('J'))
            .map(|it| {
                (
                    it.code.as_str(),
                    it.position().map(|p| p.1.line).unwrap_or(0),
                )
            })
            .collect()
    }
}

fn run(exposes: &str) -> Joined {
    let mut diags = Diagnostics::new();
    let api = SourceFile::from_text(Path::new("api.yaml"), OPENAPI.to_owned());
    let doc = load_file(api, &[], &mut diags).expect("openapi loads");
    let file = SourceFile::from_text(Path::new("cap.yaml"), capability(exposes));
    let cap =
        load_capability(&file, &LoadOptions::default(), &mut diags).expect("capability loads");
    let model = join(&file, &cap, &[], Some(&doc), &mut diags);
    Joined { model, diags }
}

const REST_OK: &str = r#"    - type: rest
      namespace: rest
      port: 8080
      resources:
        - path: /v1/items/{itemid}
          operations:
            - {method: GET, call: api.get-item}
"#;

#[test]
fn path_variable_binds_case_insensitively_and_query_is_inferred() {
    let joined = run(REST_OK);
    let op = &joined.model.rest[0].operations[0];
    let names: Vec<(&str, Location)> = op
        .inputs
        .iter()
        .map(|it| (it.name.as_str(), it.location))
        .collect();
    assert_eq!(
        names,
        vec![("itemid", Location::Path), ("verbose", Location::Query)]
    );
    assert!(
        op.arguments
            .iter()
            .any(|it| it.consumed == "itemId" && it.source == ValueSource::Input("itemid".into()))
    );
    assert!(!joined.diags.has_errors(), "{:?}", joined.diags);
}

#[test]
fn the_api_key_parameter_is_never_an_input() {
    let joined = run(REST_OK);
    let consumed = &joined.model.consumes[0].operations[0];
    assert!(consumed.inputs.iter().all(|it| it.name != "code"));
}

#[test]
fn literal_case_difference_in_consumed_path_is_reported() {
    let joined = run(REST_OK);
    assert!(
        joined.codes().contains(&("J105", 14)),
        "{:?}",
        joined.codes()
    );
    assert!(joined.model.consumes[0].operations[1].openapi.is_some());
}

#[test]
fn unknown_call_is_an_error_at_the_call() {
    let joined = run(
        "    - type: rest\n      namespace: rest\n      port: 8080\n      resources:\n        - path: /x\n          operations:\n            - {method: GET, call: api.nope}\n",
    );
    assert_eq!(joined.codes().iter().filter(|it| it.0 == "J001").count(), 1);
    assert!(joined.diags.has_errors());
}

/// The engine puts every `with` entry into the call's parameters: one that nothing reads is a
/// warning, and passed on.
#[test]
fn with_key_naming_no_input_is_a_warning() {
    let joined = run(
        "    - type: rest\n      namespace: rest\n      port: 8080\n      resources:\n        - path: /x/{id}\n          operations:\n            - method: GET\n              call: api.get-item\n              with:\n                nothing: rest.id\n",
    );
    assert!(
        joined.codes().contains(&("J002", 27)),
        "{:?}",
        joined.codes()
    );
    assert!(!joined.diags.has_errors());
    let op = &joined.model.rest[0].operations[0];
    assert!(op.arguments.iter().any(|it| it.consumed == "nothing"));
}

#[test]
fn duplicate_tool_names_are_an_error() {
    let joined = run(
        "    - type: mcp\n      namespace: tools\n      port: 9090\n      tools:\n        - {name: get, description: d, call: api.get-item}\n        - {name: get, description: d, call: api.raise}\n",
    );
    assert_eq!(joined.codes().iter().filter(|it| it.0 == "J003").count(), 1);
}

#[test]
fn duplicate_routes_are_an_error() {
    let joined = run(
        "    - type: rest\n      namespace: rest\n      port: 8080\n      resources:\n        - path: /a/{x}\n          operations:\n            - {method: GET, call: api.get-item}\n        - path: /A/{y}\n          operations:\n            - {method: GET, call: api.get-item}\n",
    );
    assert_eq!(joined.codes().iter().filter(|it| it.0 == "J004").count(), 1);
}

#[test]
fn invalid_tool_name_is_an_error() {
    let joined = run(
        "    - type: mcp\n      namespace: tools\n      port: 9090\n      tools:\n        - {name: 'has space', description: d, call: api.get-item}\n",
    );
    assert!(joined.codes().iter().any(|it| it.0 == "J006"));
}

#[test]
fn tool_schema_requires_path_and_body_and_hints_default() {
    let joined = run(
        "    - type: mcp\n      namespace: tools\n      port: 9090\n      tools:\n        - {name: raise, description: d, call: api.raise}\n",
    );
    let tool = &joined.model.mcp[0].tools[0];
    assert_eq!(
        tool.input_schema["required"],
        serde_json::json!(["itemId", "body"])
    );
    assert_eq!(
        tool.input_schema["additionalProperties"],
        serde_json::json!(false)
    );
    assert!(tool.annotations.destructive_hint && tool.annotations.open_world_hint);
    assert!(!tool.annotations.read_only_hint && !tool.annotations.idempotent_hint);
    assert_eq!(tool.title, "Raise");
    assert!(
        tool.output_schema.is_none(),
        "202 without a body allows no output schema"
    );
}

#[test]
fn object_success_gets_an_output_schema() {
    let joined = run(
        "    - type: mcp\n      namespace: tools\n      port: 9090\n      tools:\n        - {name: get-item, label: Get one item, description: d, call: api.get-item}\n",
    );
    let tool = &joined.model.mcp[0].tools[0];
    assert_eq!(
        tool.output_schema,
        Some(serde_json::json!({"type": "object"}))
    );
    assert!(!tool.wrap_result);
    assert_eq!(tool.title, "Get one item");
}

#[test]
fn operation_missing_from_openapi_is_a_warning() {
    let mut diags = Diagnostics::new();
    let api = SourceFile::from_text(Path::new("api.yaml"), OPENAPI.to_owned());
    let doc = load_file(api, &[], &mut diags).expect("openapi loads");
    let text = capability(REST_OK).replace("/items/{{itemId}}/raiseevent", "/elsewhere");
    let file = SourceFile::from_text(Path::new("cap.yaml"), text);
    let cap = load_capability(&file, &LoadOptions::default(), &mut diags).expect("loads");
    let _ = join(&file, &cap, &[], Some(&doc), &mut diags);
    assert!(diags.iter().any(|it| it.code == Code::NoOpenApiMatch));
}

#[test]
fn forward_takes_the_prefix_below_its_path_variable() {
    let joined = run(
        "    - type: rest\n      namespace: rest\n      port: 8080\n      resources:\n        - path: /proxy/{{path}}\n          forward: {targetNamespace: api, trustedHeaders: [X-Trace]}\n",
    );
    assert!(!joined.diags.has_errors(), "{:?}", joined.diags);
    let forward = &joined.model.rest[0].forwards[0];
    assert_eq!((forward.prefix.as_str(), forward.below), ("/proxy", true));
    assert_eq!(forward.trusted_headers, vec!["X-Trace".to_owned()]);
}

#[test]
fn forward_to_an_unknown_namespace_is_an_error() {
    let joined = run(
        "    - type: rest\n      namespace: rest\n      port: 8080\n      resources:\n        - path: /proxy/{{path}}\n          forward: {targetNamespace: nope}\n",
    );
    assert_eq!(joined.codes().iter().filter(|it| it.0 == "J001").count(), 1);
    assert!(joined.model.rest[0].forwards.is_empty());
}

#[test]
fn forward_with_a_variable_inside_its_path_is_refused() {
    let joined = run(
        "    - type: rest\n      namespace: rest\n      port: 8080\n      resources:\n        - path: /proxy/{{a}}/x/{{b}}\n          forward: {targetNamespace: api}\n",
    );
    assert!(joined.diags.has_errors());
    assert!(joined.model.rest[0].forwards.is_empty());
}

const SCRIPT_TOOL: &str = "    - type: mcp\n      namespace: tools\n      port: 9090\n      tools:\n        - name: t\n          description: d\n          steps:\n            - {type: call, name: one, call: api.get-item}\n";

fn script_codes(joined: &Joined) -> Vec<&'static str> {
    joined
        .diags
        .iter()
        .filter(|it| matches!(it.code.as_str(), "J009" | "C202"))
        .map(|it| it.code.as_str())
        .collect()
}

#[test]
fn javascript_steps_take_their_defaults_from_the_control_adapter() {
    let joined = run(&format!(
        "{SCRIPT_TOOL}            - {{type: script, name: two, file: lib/a.js, with: {{n: 3}}}}\n    - type: control\n      port: 9999\n      management:\n        scripting: {{defaultLocation: 'file:///s', defaultLanguage: javascript, statementLimit: 7}}\n"
    ));
    assert!(!joined.diags.has_errors(), "{:?}", joined.diags);
    let steps = &joined.model.mcp[0].tools[0]
        .steps
        .as_ref()
        .expect("bound")
        .steps;
    let StepKind::Script {
        location,
        file,
        statement_limit,
        timeout_ms,
        ..
    } = &steps[1].kind
    else {
        panic!("{:?}", steps[1].kind);
    };
    assert_eq!(
        (location.as_str(), file.as_str()),
        ("file:///s", "lib/a.js")
    );
    assert_eq!((*statement_limit, *timeout_ms), (7, 60_000));
    assert_eq!(
        steps[1].after,
        vec![0],
        "a script waits for every earlier step"
    );
}

#[test]
fn python_steps_leave_their_tool_out() {
    let joined = run(&format!(
        "{SCRIPT_TOOL}            - {{type: script, name: two, language: python, location: 'file:///s', file: a.py}}\n"
    ));
    assert_eq!(script_codes(&joined), ["C202"]);
    assert!(!joined.diags.has_errors());
    assert!(joined.model.mcp[0].tools.is_empty());
}

#[test]
fn a_script_without_location_is_left_out_and_a_climbing_path_is_an_error() {
    let joined = run(&format!(
        "{SCRIPT_TOOL}            - {{type: script, name: two, language: javascript, file: a.js}}\n"
    ));
    assert_eq!(script_codes(&joined), ["J009"]);
    assert!(!joined.diags.has_errors());
    let joined = run(&format!(
        "{SCRIPT_TOOL}            - {{type: script, name: two, language: javascript, location: 'file:///s', file: ../a.js}}\n"
    ));
    assert_eq!(script_codes(&joined), ["J009"]);
    assert!(joined.diags.has_errors());
}

#[test]
fn a_declared_type_wins_over_an_untyped_consumed_input() {
    let joined = run(
        "    - type: mcp\n      namespace: tools\n      port: 9090\n      tools:\n        - name: raise\n          description: d\n          call: api.raise\n          inputParameters:\n            - {name: itemId, type: string, description: i}\n            - {name: body, type: object, description: b}\n",
    );
    let tool = &joined.model.mcp[0].tools[0];
    assert_eq!(
        tool.input_schema["properties"]["body"]["type"],
        serde_json::json!("object")
    );
}

#[test]
fn a_control_adapter_is_served_with_the_groups_it_enables() {
    let control = "    - type: control\n      port: 9199\n      management: {info: true, reload: true}\n      observability:\n        metrics: {local: {enabled: false}}\n        traces: {local: {buffer-size: 50}}\n";
    let joined = run(&format!("{REST_OK}{control}"));
    let adapter = joined.model.control.as_ref().expect("served");
    assert_eq!(adapter.port, 9199);
    assert!(adapter.health && adapter.info && !adapter.metrics);
    let reported: Vec<(&str, usize)> = joined
        .diags
        .iter()
        .filter(|it| it.code == Code::UnsupportedAdapter)
        .map(|it| (it.message.as_str(), it.position().map_or(0, |p| p.1.line)))
        .collect();
    assert_eq!(reported.len(), 2, "{reported:?}");
    assert!(reported[0].0.contains("`reload`"));
    assert!(reported[1].0.contains("`traces`"));
}
