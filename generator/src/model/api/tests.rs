//! Lowering operations: names, parameters, bodies, responses, security, paging.

use std::path::Path;

use crate::load::diagnostics::Diagnostics;
use crate::load::openapi::{load, load_file};
use crate::load::source::SourceFile;
use crate::model::api::{
    Api, ApiKeyLocation, BodyKind, ParamLocation, ParamStyle, SecurityKind, Status, lower,
};
use crate::model::types::{TypeRef, type_tokens};

fn api(text: &str) -> (Api, Diagnostics) {
    let file = SourceFile::from_text(Path::new("api.yaml"), text.to_owned());
    let mut diags = Diagnostics::new();
    let doc = load_file(file, &[], &mut diags).expect("the document loads");
    let api = lower(&doc, &mut diags);
    (api, diags)
}

fn durable() -> Api {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../specs/durable-functions");
    let overlay = dir.join("overlay.yaml");
    let mut diags = Diagnostics::new();
    let doc = load(&dir.join("openapi.yaml"), &[&overlay], &mut diags).expect("the seed loads");
    let api = lower(&doc, &mut diags);
    assert!(diags.is_empty(), "{diags:?}");
    api
}

fn rust(api: &Api, ty: &TypeRef) -> String {
    type_tokens(&api.types, ty, &quote::quote!(types))
        .to_string()
        .replace(' ', "")
}

#[test]
fn durable_operations_keep_document_order_and_names() {
    let api = durable();
    let names: Vec<&str> = api
        .operations
        .iter()
        .map(|it| it.rust_name.as_str())
        .collect();
    assert_eq!(
        names,
        vec![
            "start_orchestration",
            "start_orchestration_with_id",
            "list_instances",
            "purge_instances",
            "get_instance_status",
            "purge_instance",
            "raise_event",
            "terminate_instance",
            "suspend_instance",
            "resume_instance",
            "rewind_instance",
            "get_entity",
            "signal_entity",
            "list_entities",
            "restart_instance",
        ]
    );
    let status = &api.operations[4];
    assert_eq!(
        status.key,
        "GET /runtime/webhooks/durabletask/instances/{instanceId}"
    );
    assert_eq!(
        status.pointer,
        "/paths/~1runtime~1webhooks~1durabletask~1instances~1{instanceId}/get"
    );
}

#[test]
fn the_api_key_parameter_is_a_credential_not_an_argument() {
    let api = durable();
    let raise = api
        .operations
        .iter()
        .find(|it| it.rust_name == "raise_event")
        .expect("raise_event");
    let code = raise
        .params
        .iter()
        .find(|it| it.wire_name == "code")
        .expect("code");
    assert_eq!(code.credential.as_deref(), Some("systemKey"));
    let positional: Vec<&str> = raise.positional().map(|it| it.rust_name.as_str()).collect();
    assert_eq!(positional, vec!["instance_id", "event_name"]);
    assert!(raise.call_params().all(|it| it.wire_name != "code"));
    let body = raise.body.as_ref().expect("body");
    assert!(body.required && body.kind == BodyKind::Json && body.ty.is_any());
    assert_eq!(
        raise.security,
        vec![
            vec!["systemKey".to_owned()],
            vec!["functionsKey".to_owned()]
        ]
    );
    let schemes: Vec<(&str, &SecurityKind)> = api
        .security_schemes
        .iter()
        .map(|it| (it.rust_name.as_str(), &it.kind))
        .collect();
    assert_eq!(
        schemes,
        vec![
            (
                "system_key",
                &SecurityKind::ApiKey {
                    location: ApiKeyLocation::Query,
                    name: "code".to_owned()
                }
            ),
            (
                "functions_key",
                &SecurityKind::ApiKey {
                    location: ApiKeyLocation::Header,
                    name: "x-functions-key".to_owned()
                }
            ),
        ]
    );
}

#[test]
fn durable_list_pages_and_filters_by_status_list() {
    let api = durable();
    let list = api
        .operations
        .iter()
        .find(|it| it.rust_name == "list_instances")
        .expect("list");
    let paging = list.paging.as_ref().expect("paging");
    assert_eq!(
        (paging.param.as_str(), paging.header.as_str()),
        ("x_ms_continuation_token", "x_ms_continuation_token")
    );
    let status = list.param("runtime_status").expect("runtimeStatus");
    assert_eq!((status.style, status.explode), (ParamStyle::Form, false));
    assert_eq!(
        rust(&api, &status.ty),
        "::std::vec::Vec<types::RuntimeStatus>"
    );
    let token = list.param("x_ms_continuation_token").expect("token");
    assert_eq!(token.location, ParamLocation::Header);
    let created = list.param("created_time_from").expect("createdTimeFrom");
    assert_eq!(rust(&api, &created.ty), "::chrono::DateTime<::chrono::Utc>");
    assert!(
        api.operations
            .iter()
            .find(|it| it.rust_name == "list_entities")
            .is_some_and(|it| it.paging.is_some())
    );
}

#[test]
fn durable_responses_are_typed_per_status() {
    let api = durable();
    let status = api
        .operations
        .iter()
        .find(|it| it.rust_name == "get_instance_status")
        .expect("status");
    let responses: Vec<(Status, bool, &str, Vec<&str>)> = status
        .responses
        .iter()
        .map(|it| {
            (
                it.status,
                it.success,
                it.variant.as_str(),
                it.headers.iter().map(|h| h.rust_name.as_str()).collect(),
            )
        })
        .collect();
    assert_eq!(
        responses,
        vec![
            (Status::Code(200), true, "Ok", vec![]),
            (
                Status::Code(202),
                true,
                "Accepted",
                vec!["location", "retry_after"]
            ),
            (Status::Code(404), false, "NotFound", vec![]),
            (Status::Code(401), false, "Unauthorized", vec![]),
            (Status::Code(500), false, "InternalServerError", vec![]),
        ]
    );
    let rewind = api
        .operations
        .iter()
        .find(|it| it.rust_name == "rewind_instance")
        .expect("rewind");
    let errors: Vec<&str> = rewind.errors().map(|it| it.variant.as_str()).collect();
    assert_eq!(
        errors,
        vec![
            "Gone",
            "Unauthorized",
            "NotFound",
            "PreconditionFailed",
            "InternalServerError",
            "NotImplemented"
        ]
    );
    let precondition = rewind
        .errors()
        .find(|it| it.variant == "PreconditionFailed")
        .and_then(|it| it.ty.as_ref());
    assert_eq!(
        precondition.map(|it| rust(&api, it)).as_deref(),
        Some("types::ErrorBody")
    );
}

#[test]
fn servers_with_variables() {
    let api = durable();
    let server = &api.servers[0];
    assert_eq!(server.url, "https://{appName}.azurewebsites.net");
    assert_eq!(server.variables[0].rust_name, "app_name");
    assert_eq!(server.variables[0].default, "myfuncapp");
}

#[test]
fn names_without_operation_ids_and_colliding_parameters() {
    let (api, diags) = api(r#"
openapi: 3.0.3
info: {title: t, version: '1'}
paths:
  /items/{id}:
    get:
      parameters:
        - {name: id, in: path, required: true, schema: {type: string}}
        - {name: id, in: query, schema: {type: integer}}
        - {name: send, in: query, schema: {type: string}}
        - {name: Accept, in: header, schema: {type: string}}
      responses:
        '200': {description: ok}
  /items:
    post:
      operationId: new
      requestBody:
        content:
          text/plain: {schema: {type: string}}
          application/json: {schema: {type: object, properties: {a: {type: string}}}}
      responses:
        '201':
          description: created
          content:
            application/json:
              schema: {type: object, properties: {id: {type: string}}}
        4XX: {description: client error}
        default: {description: other}
"#);
    let get = &api.operations[0];
    assert_eq!(get.rust_name, "get_items_id");
    let params: Vec<(&str, &str)> = get
        .params
        .iter()
        .map(|it| (it.wire_name.as_str(), it.rust_name.as_str()))
        .collect();
    assert_eq!(
        params,
        vec![("id", "id"), ("id", "id_query"), ("send", "send_2")]
    );
    assert_eq!(
        diags.iter().filter(|it| it.code.as_str() == "O204").count(),
        1,
        "the Accept header is reported"
    );
    let post = &api.operations[1];
    assert_eq!(post.rust_name, "new_2");
    assert_eq!(post.type_name, "New2");
    let body = post.body.as_ref().expect("body");
    assert_eq!(
        (body.media_type.as_str(), body.kind),
        ("application/json", BodyKind::Json)
    );
    assert_eq!(rust(&api, &body.ty), "types::New2Body");
    let statuses: Vec<(Status, bool, &str)> = post
        .responses
        .iter()
        .map(|it| (it.status, it.success, it.variant.as_str()))
        .collect();
    assert_eq!(
        statuses,
        vec![
            (Status::Code(201), true, "Created"),
            (Status::Range(4), false, "ClientError"),
            (Status::Default, false, "Default")
        ]
    );
    assert_eq!(
        rust(&api, post.responses[0].ty.as_ref().expect("typed")),
        "types::New2Response"
    );
}

#[test]
fn path_parameters_follow_the_template_and_missing_ones_are_added() {
    let (api, diags) = api(r#"
openapi: 3.1.0
info: {title: t, version: '1'}
paths:
  /a/{second}/{first}/{third}:
    get:
      operationId: g
      parameters:
        - {name: first, in: path, required: true, schema: {type: integer}}
        - {name: second, in: path, required: true, schema: {type: string}}
        - {name: ghost, in: path, required: true, schema: {type: string}}
"#);
    let names: Vec<&str> = api.operations[0]
        .params
        .iter()
        .map(|it| it.wire_name.as_str())
        .collect();
    assert_eq!(names, vec!["second", "first", "third"]);
    let messages: Vec<String> = diags.iter().map(|it| it.message.clone()).collect();
    assert_eq!(messages.len(), 2, "{messages:?}");
}
