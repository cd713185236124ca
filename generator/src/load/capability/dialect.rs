//! The seed dialect: constructs of the seed capabilities that the official schema or engine do
//! not support, but whose intent is clear. capgen accepts them and says, once per occurrence and
//! at the node, what it inferred (C101–C104, C106–C110; C105 is reported with the bind checks).
//! Under `--strict` the loader turns these warnings into errors.

use std::sync::Arc;

use super::interpret::{
    WithSource, classify_with, is_whole_payload, passthrough_mapping, path_parameters,
    server_variables,
};
use super::model::{
    Capability, ConsumedInputParameter, ConsumesHttp, Exposes, OutputParameter, RawFormat,
    WithValue,
};
use crate::load::diagnostics::{Code, Diagnostic, Diagnostics, pointer_join};
use crate::load::source::SourceFile;

use indexmap::IndexMap;
use serde_json::Value;

use super::model::is_auth_none;

/// The codes of seed-dialect deviations (escalated by `--strict`).
pub const DIALECT_CODES: &[Code] = &[
    Code::ConsumedParamExtras,
    Code::SingleBraceTemplate,
    Code::ForeignWithPrefix,
    Code::WholeBodyMapping,
    Code::QualifiedBindRef,
    Code::RestDescription,
    Code::BaseUriVariable,
    Code::ConsumedOutputPassthrough,
    Code::AuthNone,
    Code::UnknownRawFormat,
];

/// Reports every seed-dialect deviation of the document.
pub fn check(
    file: &Arc<SourceFile>,
    raw: &Value,
    capability: &Capability,
    diags: &mut Diagnostics,
) {
    let mut out = Out { file, diags };
    for (pointer, consumes) in capability.all_consumes() {
        if let Some(http) = consumes.as_http() {
            out.consumes(raw, &pointer, http);
            out.auth_none(raw, &pointer);
        }
    }
    for (index, adapter) in capability.exposes().iter().enumerate() {
        let pointer = Capability::exposes_pointer(index);
        out.adapter(&pointer, adapter);
        if matches!(adapter, Exposes::Rest(_) | Exposes::Mcp(_)) {
            out.auth_none(raw, &pointer);
        }
    }
}

struct Out<'a> {
    file: &'a Arc<SourceFile>,
    diags: &'a mut Diagnostics,
}

/// Where a diagnostic points: the value at a pointer, or the key of the member at a pointer.
enum At<'p> {
    Value(&'p str),
    Key(&'p str),
}

impl Out<'_> {
    fn warn(&mut self, code: Code, message: String, at: At<'_>, help: &str) {
        let diagnostic = Diagnostic::warning(code, message);
        let diagnostic = match at {
            At::Value(pointer) => diagnostic.at(self.file, pointer),
            At::Key(pointer) => diagnostic.at_key(self.file, pointer),
        };
        self.diags.push(diagnostic.with_help(help));
    }

    /// `authentication: {type: none}` reads as no authentication; the model cannot show it, so
    /// this looks at the raw document.
    fn auth_none(&mut self, raw: &Value, owner: &str) {
        let auth_pointer = pointer_join(owner, "authentication");
        if raw.pointer(&auth_pointer).is_some_and(is_auth_none) {
            let pointer = pointer_join(&auth_pointer, "type");
            self.warn(
                Code::AuthNone,
                "`authentication: {type: none}` is not in the official schema; capgen reads it \
                 as no authentication"
                    .to_owned(),
                At::Value(&pointer),
                "omit `authentication` instead",
            );
        }
    }

    fn consumes(&mut self, raw: &Value, pointer: &str, http: &ConsumesHttp) {
        let base_uri_pointer = pointer_join(pointer, "baseUri");
        for variable in server_variables(&http.base_uri) {
            self.warn(
                Code::BaseUriVariable,
                format!(
                    "`{}` in `baseUri` is a server variable; capgen makes it a required server \
                     variable `{}` of the generated client",
                    variable.written(),
                    variable.name
                ),
                At::Value(&base_uri_pointer),
                "the Naftiko engine does not substitute it and would call the host literally; the \
                 official schema expects a concrete host",
            );
        }
        let scheme = http
            .base_uri
            .split_once("://")
            .map(|it| it.0.to_ascii_lowercase());
        if !matches!(scheme.as_deref(), Some("http" | "https")) {
            let message = match scheme {
                Some(scheme) => format!(
                    "`baseUri` uses `{scheme}://`; a consumed API is reached over `http://` or `https://`"
                ),
                None => "`baseUri` is not an absolute URL (`https://host/base`)".to_owned(),
            };
            self.diags.push(
                Diagnostic::error(Code::BaseUriScheme, message)
                    .at(self.file, &base_uri_pointer)
                    .with_help("the official schema requires `^https?://…`"),
            );
        }
        if http.base_uri.ends_with('/') {
            self.warn(
                Code::TrailingSlashBaseUri,
                "`baseUri` ends with `/`; capgen joins it to resource paths with one `/`"
                    .to_owned(),
                At::Value(&base_uri_pointer),
                "the Naftiko engine rejects a trailing slash since 1.0.0-alpha3 \
                 (BaseUriTrailingSlashIntegrationTest); drop it",
            );
        }
        self.input_parameters(
            &pointer_join(pointer, "inputParameters"),
            &http.input_parameters,
        );
        for (r, resource) in http.resources.iter().enumerate() {
            let resource_pointer = pointer_join(&pointer_join(pointer, "resources"), r);
            let path_pointer = pointer_join(&resource_pointer, "path");
            for parameter in path_parameters(&resource.path)
                .into_iter()
                .filter(|it| !it.double)
            {
                self.warn(
                    Code::SingleBraceTemplate,
                    format!(
                        "`{}` in a consumed path is a single-brace template; capgen substitutes \
                         it like `{{{{{}}}}}`",
                        parameter.written(),
                        parameter.name
                    ),
                    At::Value(&path_pointer),
                    "the Naftiko engine substitutes only `{{name}}` and would send `{name}` \
                     literally",
                );
            }
            self.input_parameters(
                &pointer_join(&resource_pointer, "inputParameters"),
                &resource.input_parameters,
            );
            for (o, operation) in resource.operations.iter().enumerate() {
                let op_pointer = pointer_join(&pointer_join(&resource_pointer, "operations"), o);
                self.input_parameters(
                    &pointer_join(&op_pointer, "inputParameters"),
                    &operation.input_parameters,
                );
                if operation.output_raw_format == Some(RawFormat::Unrecognized) {
                    self.unknown_raw_format(raw, &pointer_join(&op_pointer, "outputRawFormat"));
                }
                let outputs_pointer = pointer_join(&op_pointer, "outputParameters");
                for (i, output) in operation.output_parameters.iter().enumerate() {
                    self.consumed_output(&pointer_join(&outputs_pointer, i), output);
                }
            }
        }
    }

    fn input_parameters(&mut self, pointer: &str, parameters: &[ConsumedInputParameter]) {
        let help = "the official schema allows only `name`, `in` and `value` on consumed input \
                    parameters; the Naftiko engine ignores the rest";
        for (index, parameter) in parameters.iter().enumerate() {
            let parameter_pointer = pointer_join(pointer, index);
            let name = &parameter.name;
            if let Some(ty) = parameter.ty {
                self.warn(
                    Code::ConsumedParamExtras,
                    format!(
                        "consumed input parameter `{name}` declares `type: {ty}`; the official \
                         schema has no `type` here — capgen uses it as the declared type"
                    ),
                    At::Key(&pointer_join(&parameter_pointer, "type")),
                    help,
                );
            }
            if let Some(required) = parameter.required {
                self.warn(
                    Code::ConsumedParamExtras,
                    format!(
                        "consumed input parameter `{name}` declares `required: {required}`; the \
                         official schema has no `required` here — capgen uses it to decide \
                         whether the parameter is optional"
                    ),
                    At::Key(&pointer_join(&parameter_pointer, "required")),
                    help,
                );
            }
            if parameter.description.is_some() {
                self.warn(
                    Code::ConsumedParamExtras,
                    format!(
                        "consumed input parameter `{name}` declares a `description`; the \
                         official schema has no `description` here — capgen uses it as the \
                         parameter's documentation"
                    ),
                    At::Key(&pointer_join(&parameter_pointer, "description")),
                    help,
                );
            }
        }
    }

    fn unknown_raw_format(&mut self, raw: &Value, pointer: &str) {
        let written = raw.pointer(pointer).and_then(Value::as_str).unwrap_or("?");
        self.warn(
            Code::UnknownRawFormat,
            format!(
                "`outputRawFormat: {written}` is not a format the official schema defines; capgen \
                 passes the response through as the upstream sent it"
            ),
            At::Value(pointer),
            "use one of `json`, `xml`, `avro`, `protobuf`, `csv`, `tsv`, `psv`, `yaml`, `html`, \
             `markdown`",
        );
    }

    fn consumed_output(&mut self, pointer: &str, output: &OutputParameter) {
        let Some(value) = output.value.as_deref().filter(|it| is_whole_payload(it)) else {
            return;
        };
        let name = output.name.as_deref().unwrap_or("(unnamed)");
        self.warn(
            Code::ConsumedOutputPassthrough,
            format!(
                "consumed output parameter `{name}` is `value: {value}`, the whole response; \
                 capgen reads it as \"the operation returns the upstream body unchanged\""
            ),
            At::Value(&pointer_join(pointer, "value")),
            "the Naftiko engine uses consumed output parameters only to project step outputs in \
             orchestrations",
        );
    }

    fn adapter(&mut self, pointer: &str, adapter: &Exposes) {
        match adapter {
            Exposes::Rest(rest) => {
                if rest.description.is_some() {
                    self.warn(
                        Code::RestDescription,
                        format!(
                            "REST adapter `{}` has a `description`; the official schema has none \
                             for REST adapters — capgen uses it as the documentation of the \
                             generated server",
                            rest.namespace
                        ),
                        At::Key(&pointer_join(pointer, "description")),
                        "the Naftiko engine ignores it",
                    );
                }
                for (r, resource) in rest.resources.iter().enumerate() {
                    let resource_pointer = pointer_join(&pointer_join(pointer, "resources"), r);
                    for (o, operation) in resource.operations.iter().enumerate() {
                        let op_pointer =
                            pointer_join(&pointer_join(&resource_pointer, "operations"), o);
                        self.with(&op_pointer, &operation.with, &rest.namespace);
                        self.exposed_outputs(&op_pointer, &operation.output_parameters);
                    }
                }
            }
            Exposes::Mcp(mcp) => {
                for (t, tool) in mcp.tools.iter().enumerate() {
                    let tool_pointer = pointer_join(&pointer_join(pointer, "tools"), t);
                    self.with(&tool_pointer, &tool.with, &mcp.namespace);
                    self.exposed_outputs(&tool_pointer, &tool.output_parameters);
                }
            }
            Exposes::Skill(_) | Exposes::Control(_) => {}
        }
    }

    fn with(&mut self, owner: &str, with: &IndexMap<String, WithValue>, namespace: &str) {
        let with_pointer = pointer_join(owner, "with");
        for (key, value) in with {
            let WithSource::Input {
                name,
                foreign_prefix: Some(prefix),
            } = classify_with(value, namespace)
            else {
                continue;
            };
            let written = value.as_str().unwrap_or_default();
            self.warn(
                Code::ForeignWithPrefix,
                format!(
                    "`with` value `{written}` uses prefix `{prefix}`, but this adapter's \
                     namespace is `{namespace}`; capgen reads it as the adapter input `{name}`"
                ),
                At::Value(&pointer_join(&with_pointer, key)),
                &format!(
                    "the Naftiko engine resolves only `{namespace}.{name}` (or `{{{{{name}}}}}`) \
                     and would send the text `{written}` upstream"
                ),
            );
        }
    }

    fn exposed_outputs(&mut self, owner: &str, outputs: &[OutputParameter]) {
        let outputs_pointer = pointer_join(owner, "outputParameters");
        for (index, output) in outputs.iter().enumerate() {
            let Some(mapping) = passthrough_mapping(output) else {
                continue;
            };
            let (missing, what) = match output.ty {
                super::model::ParamType::Array => ("items", "array"),
                _ => ("properties", "object"),
            };
            let source = if is_whole_payload(mapping) {
                "the whole upstream body".to_owned()
            } else {
                format!("the upstream value at `{mapping}`")
            };
            self.warn(
                Code::WholeBodyMapping,
                format!(
                    "`type: {what}, mapping: {mapping}` without `{missing}` — capgen passes \
                     {source} through"
                ),
                At::Value(&pointer_join(&outputs_pointer, index)),
                &format!(
                    "the official schema requires `{missing}` here, and the Naftiko engine would \
                     return an empty result; omit `outputParameters` to pass the body through"
                ),
            );
        }
    }
}
